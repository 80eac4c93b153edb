"""The `kb` command line (an interface: it calls the service layer)."""
