"""Domain exceptions. Messages say what was expected and what was found."""


class KBError(Exception):
    """Base class: the CLI prints these as one clean line."""


class LoadError(KBError):
    """A file could not be read into text (corrupt, encrypted, scanned, empty, binary)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMismatchError(KBError):
    """The index was built with another embedding model or chunking settings."""


class IndexNotFoundError(KBError):
    """No index exists at the given directory."""


class ConfigError(KBError):
    """A configuration value is invalid."""
