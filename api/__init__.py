"""The HTTP API of the knowledge base (`kb serve`): an interface over service/ and core/."""
