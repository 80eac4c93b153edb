"""The paragraph around a quote, for showing it in context."""

from __future__ import annotations

from core.models import Document


def paragraph_span(doc: Document, start: int, end: int, max_chars: int = 600) -> tuple[int, int]:
    """Span of the line(s) containing [start, end), clipped to about `max_chars` around it."""
    text = doc.text
    ps = text.rfind("\n", 0, start) + 1
    pe = text.find("\n", end)
    pe = len(text) if pe < 0 else pe
    if pe - ps > max_chars:
        room = max(0, (max_chars - (end - start)) // 2)
        ps = max(ps, start - room)
        pe = min(pe, end + room)
    return ps, pe
