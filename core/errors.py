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


class MissingDependencyError(KBError):
    """An optional package or program a feature needs is not installed.

    The message is one line naming what to install, like markitdown's
    MissingDependencyException.
    """

    def __init__(self, feature: str, install: str) -> None:
        super().__init__(f"{feature}需要安装可选依赖：{install}")
        self.feature = feature
        self.install = install


def require(module: str, *, feature: str, install: str):
    """Import an optional module, or raise MissingDependencyError naming what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(feature, install) from None


class IndexBusyError(KBError):
    """Another process holds the index's writer lock and the caller chose not to wait."""


class StoreDamagedError(KBError):
    """A part of the index is missing, damaged or belongs to another index.

    The message is one Chinese line naming the fault and the command that repairs it.
    """


class AuthError(KBError):
    """A sign-in failed: unknown name, wrong password, or the name is locked for a while."""


class PermissionDenied(KBError):
    """The signed-in user's role does not allow the action (the message names both)."""
