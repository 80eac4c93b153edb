"""Normalised text of a loaded document (rules: docs/CONTRACTS.md).

Character rules are the ones queries get (`core.text.normalize`); fixed-layout formats
(a loader that declares `fixed_layout`, e.g. PDF) also have their wrapped lines rejoined
(`ingest.pdf_lines`). Page starts are moved into the normalised text.
"""

from __future__ import annotations

from core.models import RawDocument
from core.text.normalize import map_offsets, normalize_text
from ingest.pdf_lines import rejoin_lines


def normalize_document(raw: RawDocument) -> tuple[str, tuple[int, ...]]:
    """Normalised text of a loaded file and its page starts in that text."""
    text, index = normalize_text(raw.text)
    if raw.fixed_layout:
        text, step = rejoin_lines(text)
        index = [index[k] for k in step]
    return text, map_offsets(raw.page_starts, index)
