"""机关党建知识库: shared data model, configuration, errors and the `kb` CLI."""

__version__ = "0.1.0"
