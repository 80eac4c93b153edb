"""The validity stage: which documents are in force, repealed, amended, expired or not yet
in force, and which documents cite each other (imports only core)."""
