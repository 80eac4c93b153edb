"""Helpers for tests over ../shared/realdocs (the `realdocs` fixture skips when absent)."""

from __future__ import annotations

import re
from pathlib import Path


def read_normalized(path: Path) -> str:
    """A realdocs text file as normalised text (the project normaliser when present)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    try:
        from ingest.normalize import normalize_text
    except ImportError:
        text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
        return re.sub(r"[^\S\n]+", " ", text)
    return normalize_text(raw)[0]


def text_files(root: Path) -> list[Path]:
    """Every .txt/.md file under `root`, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
