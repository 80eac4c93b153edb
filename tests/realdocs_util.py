"""Helpers for tests over ../shared/realdocs (the `realdocs` fixture skips when absent)."""

from __future__ import annotations

from pathlib import Path

from core.text.normalize import normalize_text


def read_normalized(path: Path) -> str:
    """A realdocs text file as normalised text."""
    return normalize_text(path.read_text(encoding="utf-8", errors="replace"))[0]


def text_files(root: Path) -> list[Path]:
    """Every .txt/.md file under `root`, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
