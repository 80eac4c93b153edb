"""The quote basket (引文篮): citations collected across questions, kept per session."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

import streamlit as st

from core.models import Citation

KEY = "basket"


def _state(state: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
    return st.session_state if state is None else state


def items(state: MutableMapping[str, Any] | None = None) -> list[Citation]:
    """The basket's citations in their current order (created empty on first use)."""
    s = _state(state)
    if KEY not in s:
        s[KEY] = []
    return s[KEY]


def contains(citation: Citation, state: MutableMapping[str, Any] | None = None) -> bool:
    """Whether the same quote (document and span) is already in the basket."""
    ident = (citation.doc_id, citation.start, citation.end)
    return any((c.doc_id, c.start, c.end) == ident for c in items(state))


def add(citation: Citation, state: MutableMapping[str, Any] | None = None) -> bool:
    """Append `citation` unless the same quote is already there; True if added."""
    if contains(citation, state):
        return False
    items(state).append(citation)
    return True


def remove(index: int, state: MutableMapping[str, Any] | None = None) -> None:
    """Drop the citation at `index` (ignored when out of range)."""
    lst = items(state)
    if 0 <= index < len(lst):
        del lst[index]


def move(index: int, delta: int, state: MutableMapping[str, Any] | None = None) -> None:
    """Move the citation at `index` by `delta` places (clamped to the ends)."""
    lst = items(state)
    if not 0 <= index < len(lst):
        return
    target = max(0, min(len(lst) - 1, index + delta))
    lst.insert(target, lst.pop(index))


def clear(state: MutableMapping[str, Any] | None = None) -> None:
    """Empty the basket."""
    items(state).clear()


def numbered(citations: list[Citation]) -> list[Citation]:
    """The citations renumbered 1..n in basket order (for export)."""
    return [replace(c, n=i) for i, c in enumerate(citations, start=1)]
