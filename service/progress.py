"""Ingest progress, shared with readers: `<index>/ingest-progress.json`.

The writer (service.ingestion) replaces the file as files are read and passages
embedded; the app reads it while the writer lock is held, to show documents and
passages embedded / total and an ETA from the measured passage speed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROGRESS_NAME = "ingest-progress.json"


@dataclass(frozen=True)
class Progress:
    files_total: int = 0
    files_read: int = 0
    docs_searchable: int = 0  # in the docstore: found by keyword search
    docs_embedded: int = 0  # with all their vectors
    passages_total: int = 0  # known so far (grows while files are read)
    passages_embedded: int = 0
    embed_seconds: float = 0.0
    updated_at: float = 0.0
    ocr_file: str = ""  # a scan being recognised by OCR, and its pages done / total
    ocr_done: int = 0
    ocr_total: int = 0

    @property
    def rate(self) -> float:
        """Passages embedded per second (0 before the first batch)."""
        return self.passages_embedded / self.embed_seconds if self.embed_seconds else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left: passages still to embed (those of unread files estimated from
        the files read) over the measured speed; None before the first batch."""
        if not self.rate:
            return None
        per_file = self.passages_total / self.files_read if self.files_read else 0.0
        todo = self.passages_total - self.passages_embedded
        todo += per_file * max(0, self.files_total - self.files_read)
        return max(0.0, todo / self.rate)


def write(index_dir: Path, p: Progress) -> None:
    path = Path(index_dir) / PROGRESS_NAME
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps({**asdict(p), "updated_at": time.time()}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # progress is a courtesy: never fail an ingest over it


def read(index_dir: Path) -> Progress | None:
    """The last progress written, or None (no ingest ever wrote one, or unreadable)."""
    try:
        data = json.loads((Path(index_dir) / PROGRESS_NAME).read_text(encoding="utf-8"))
        return Progress(**{k: data[k] for k in Progress.__dataclass_fields__ if k in data})
    except (OSError, ValueError, TypeError):
        return None


def clear(index_dir: Path) -> None:
    try:
        (Path(index_dir) / PROGRESS_NAME).unlink(missing_ok=True)
    except OSError:
        pass


def eta_text(seconds: float | None) -> str:
    """约 3 分 20 秒 / 约 40 秒 / 估算中."""
    if seconds is None:
        return "估算中"
    s = int(round(seconds))
    return f"约 {s // 60} 分 {s % 60} 秒" if s >= 60 else f"约 {s} 秒"


def partial_note(index_dir: Path) -> str | None:
    """One line for readers while an ingest is embedding, else None."""
    from index.lock import writer_active

    if not writer_active(index_dir):
        return None
    p = read(index_dir)
    if p is None or p.passages_embedded >= p.passages_total:
        return None
    return (f"正在入库：已向量化 {p.passages_embedded}/{p.passages_total} 段，混合检索暂只用"
            f"已向量化的段落，其余按关键词检索（剩余{eta_text(p.eta_seconds)}）")
