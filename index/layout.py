"""The files of an index directory, the one-line fault message, and what a rebuild deletes.

    docstore.sqlite   documents, chunk spans, settings (source of truth)
    chroma/           embedded Chroma (unless a Chroma server is configured)
    bm25/             bm25s index + the chunk ids it covers
    ingested.json     the folders and files named to ingests (what a repair re-reads)
    writer.lock       the writer lock (index.lock); generation: the change counter
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from core.errors import StoreDamagedError
from index.lock import GENERATION_NAME, LOCK_NAME

DOCSTORE_NAME = "docstore.sqlite"
INGESTED_NAME = "ingested.json"
MIRROR_DIR = "vecmirror"  # index.vecmirror
SNAPSHOT_CACHE = "snapshot.bin"  # index.snapcache
# What a rebuild deletes: the stores and their temporary files, nothing else.
STORE_ENTRIES = frozenset({DOCSTORE_NAME, f"{DOCSTORE_NAME}-wal", f"{DOCSTORE_NAME}-shm",
                           f"{DOCSTORE_NAME}-journal", "chroma", "bm25", "bm25.tmp",
                           "bm25.old", INGESTED_NAME, MIRROR_DIR,
                           SNAPSHOT_CACHE, f"{SNAPSHOT_CACHE}.tmp"})


def repair_hint(index_dir: Path) -> str:
    """The command that repairs an index, as printed in fault messages."""
    return f"运行 `kb doctor --repair --index {index_dir}` 修复"


def damaged(index_dir: Path, what: str) -> StoreDamagedError:
    """One line: which index, what is wrong, and the command that repairs it."""
    return StoreDamagedError(f"索引 {index_dir} 损坏：{what}；{repair_hint(index_dir)}")


def db_reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def wipe_stores(index_dir: Path) -> None:
    """Delete the stores of an index (for --rebuild), keeping its lock and generation.

    The lock file must survive: a writer waiting on it would otherwise get a lock on
    a deleted file while a third process locks a new one.
    """
    if not index_dir.is_dir():
        return
    for entry in index_dir.iterdir():
        if entry.name in (LOCK_NAME, GENERATION_NAME) or entry.name not in STORE_ENTRIES:
            continue  # the lock, and anything that is not ours, stays
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def read_ingested(index_dir: Path) -> list[Path]:
    """The paths recorded by `IndexStore.record_ingested` (empty when none or unreadable)."""
    try:
        data = json.loads((index_dir / INGESTED_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in data if isinstance(p, str)]


def write_ingested(index_dir: Path, paths: Iterable[Path], *, replace: bool = False) -> None:
    """Remember the absolute paths an ingest was given (a rebuild replaces the list)."""
    old = [] if replace else [str(p) for p in read_ingested(index_dir)]
    new = sorted(set(old) | {os.path.abspath(p) for p in paths})
    path = index_dir / INGESTED_NAME
    tmp = path.with_name(f".{INGESTED_NAME}.tmp")
    tmp.write_text(json.dumps(new, ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(tmp, path)
