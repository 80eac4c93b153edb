"""The answer step as an interface: today extractive, later perhaps LLM-backed.

An `Answerer` turns a question and a searcher into an `Answer` whose citations are
verified verbatim quotes. Implementations register by name (`register_answerer`); the
service layer chooses one from the configuration (`Config.answerer`), so the CLI, the
app and the evaluation all answer the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from core.errors import ConfigError
from core.models import Answer, Filters


class Answerer(Protocol):
    """Answers questions from an index."""

    name: str

    def ask(self, searcher, question: str, *, filters: Filters | None = None) -> Answer:
        """An answer with verified citations, or a refusal (`Answer.refused`)."""
        ...


class ExtractiveAnswerer:
    """Verbatim sentences of the best passages, no generated text (`answer.compose`)."""

    name = "extractive"

    def __init__(self, settings=None) -> None:
        self.settings = settings

    def ask(self, searcher, question: str, *, filters: Filters | None = None) -> Answer:
        from answer.compose import ask

        return ask(searcher, question, filters=filters, settings=self.settings)


_ANSWERERS: dict[str, Callable[[], Answerer]] = {}


def register_answerer(name: str, factory: Callable[[], Answerer]) -> None:
    """Make an answerer available under `name` (KB_ANSWERER)."""
    _ANSWERERS[name] = factory


def make_answerer(name: str) -> Answerer:
    """The answerer registered as `name`."""
    try:
        return _ANSWERERS[name]()
    except KeyError:
        known = ", ".join(sorted(_ANSWERERS))
        raise ConfigError(f"未知的回答方式 KB_ANSWERER={name!r}：应为 {known}") from None


register_answerer(ExtractiveAnswerer.name, ExtractiveAnswerer)
