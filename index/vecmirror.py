"""A memory-mapped copy of an index's passage vectors: exact search without Chroma.

Opening Chroma costs a reader its import (0.5 s) and its first read loads the whole
HNSW index (1.3 s at 373k vectors here), so `kb search` started three times slower on
a 100k-chunk index than on a 1k one (issue 16). The mirror is a few `.npy` files under
`<index>/vecmirror/`, memory-mapped: opening costs the same at any size, and a query is
one matrix-vector product over the rows the viewer may see (exact cosine, filtered
before the top k), about 10 ms at 270k vectors on this machine.

Chroma stays the store of record. Every writer changes the docstore's `vector_state`
when it opens (`IndexStore`), so a mirror written before is stale from then on, and
writes a new mirror stamped with that state when it closes: from the rows of the old
mirror whose documents it did not touch plus the touched documents' rows read back
from Chroma, or everything from Chroma when there was no valid mirror. A reader uses
the mirror only when its stamp equals `vector_state`; otherwise (a writer at work, a
killed one) it queries Chroma as before. Embedded stores only: on a Chroma server the
vectors stay on the server.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Protocol

import numpy as np

from index.layout import MIRROR_DIR

STATE_KEY = "vector_state"  # the docstore setting a mirror's stamp must equal
_CURRENT = "current.json"
_FORMAT = 1


@dataclass(frozen=True)
class Rows:
    """Vectors with what filtering needs: id, document and visibility level per row."""

    ids: list[str]
    doc_ids: list[str]
    levels: list[str]  # "" for a vector written before visibility levels existed
    vectors: np.ndarray  # (n, dim) float32

    @staticmethod
    def empty(dim: int = 0) -> Rows:
        return Rows([], [], [], np.zeros((0, dim), dtype=np.float32))


class VectorMirror:
    """The mirror of one index, opened read-only (nothing is read until a query)."""

    def __init__(self, folder: Path, meta: dict) -> None:
        self.folder = folder
        self.stamp: str = meta["stamp"]
        self.level_names: list[str] = meta["levels"]
        self._doc_names: list[str] | None = None
        self._doc_index: dict[str, int] | None = None
        load = _loader(folder)
        # Every file is mapped now: a writer may delete this folder later, and open maps
        # keep reading it.
        self._doc_raw = load("doc_names")
        self._vecs = load("vectors")
        self._ids = load("ids")
        self._docs = load("docs")
        self._lvls = load("levels")
        n = len(self._ids)
        if not (len(self._vecs) == len(self._docs) == len(self._lvls) == n == meta["n"]):
            raise ValueError(f"mirror {folder} has rows of different lengths")

    @classmethod
    def open(cls, index_dir: Path, stamp: str | None) -> VectorMirror | None:
        """The mirror when it matches `stamp` (the docstore's vector_state), else None."""
        if not stamp:
            return None
        try:
            cur = json.loads((index_dir / MIRROR_DIR / _CURRENT).read_text(encoding="utf-8"))
            if cur.get("stamp") != stamp or cur.get("format") != _FORMAT:
                return None
            folder = index_dir / MIRROR_DIR / cur["dir"]
            return cls(folder, cur)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or broken: the reader queries Chroma instead

    def count(self) -> int:
        return len(self._ids)

    def _doc_lookup(self) -> dict[str, int]:
        if self._doc_index is None:
            names = [b.decode() for b in self._doc_raw]
            self._doc_names = names
            self._doc_index = {d: i for i, d in enumerate(names)}
        return self._doc_index

    def doc_names(self) -> list[str]:
        self._doc_lookup()
        assert self._doc_names is not None
        return self._doc_names

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None,
              hidden: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Nearest vector ids with cosine similarity, as `VectorIndex.query`: only within
        `doc_ids`, never at a level in `hidden`, both applied before the top k."""
        n = self.count()
        if n == 0 or k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        q = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        sims = _dot(self._vecs, q / norm if norm > 0 else q)
        keep = None
        hide = set(hidden)
        codes = [i for i, name in enumerate(self.level_names) if name in hide]
        if codes:
            keep = ~np.isin(self._lvls, codes)
        if doc_ids is not None:
            lookup = self._doc_lookup()
            idx = [lookup[d] for d in doc_ids if d in lookup]
            if not idx:
                return []
            inside = np.isin(self._docs, idx)
            keep = inside if keep is None else keep & inside
        if keep is not None:
            sims = np.where(keep, sims, -np.inf)
        k = min(k, n)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self._ids[i].decode(), float(sims[i])) for i in top if np.isfinite(sims[i])]

    def rows_except(self, doc_ids: set[str]) -> Rows:
        """This mirror's rows of every document not in `doc_ids` (copied into memory)."""
        lookup = self._doc_lookup()
        drop = [lookup[d] for d in doc_ids if d in lookup]
        keep = ~np.isin(self._docs, drop) if drop else np.ones(self.count(), dtype=bool)
        names = self.doc_names()
        return Rows(ids=[b.decode() for b in self._ids[keep]],
                    doc_ids=[names[i] for i in self._docs[keep]],
                    levels=[self.level_names[i] for i in self._lvls[keep]],
                    vectors=np.asarray(self._vecs[keep], dtype=np.float32))


_SPLIT_ROWS = 65536
_pool: ThreadPoolExecutor | None = None
_pool_lock = Lock()


def _dot(vecs: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Every row's dot product with `q`.

    `einsum`, not `@`: after a call OpenBLAS's worker threads keep spinning, and on two
    cores they slowed the next query's embedding threefold (bench p95 131 ms at 100k).
    einsum runs in the calling thread and releases the GIL; the product is bound by
    memory anyway, and a large mirror is split in two halves on two threads (14 → 10 ms
    at 270k rows here).
    """
    n = len(vecs)
    if n < _SPLIT_ROWS or (os.cpu_count() or 1) < 2:
        return np.einsum("ij,j->i", vecs, q)
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-mirror")
    half = n // 2
    first = _pool.submit(np.einsum, "ij,j->i", vecs[:half], q)
    rest = np.einsum("ij,j->i", vecs[half:], q)
    return np.concatenate([first.result(), rest])


def _loader(folder: Path):
    def load(name: str) -> np.ndarray:
        return np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    return load


def new_stamp() -> str:
    return uuid.uuid4().hex


def write_mirror(index_dir: Path, stamp: str, rows: Rows) -> None:
    """Write `rows` as the mirror stamped `stamp`: into a new folder, then switch the
    pointer file atomically (a reader holding the old folder's maps keeps reading it)."""
    root = index_dir / MIRROR_DIR
    root.mkdir(parents=True, exist_ok=True)
    sub = f"m-{stamp}"
    folder = root / sub
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    vecs = np.asarray(rows.vectors, dtype=np.float32)
    if len(vecs):
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs = vecs / np.where(norms > 0, norms, 1.0)  # cosine = dot product
    doc_names = sorted(set(rows.doc_ids))
    doc_index = {d: i for i, d in enumerate(doc_names)}
    level_names = sorted(set(rows.levels))
    level_index = {lv: i for i, lv in enumerate(level_names)}
    width = max([len(s.encode()) for s in rows.ids] + [1])
    np.save(folder / "vectors.npy", vecs)
    np.save(folder / "ids.npy", np.array([s.encode() for s in rows.ids], dtype=f"S{width}"))
    np.save(folder / "docs.npy", np.array([doc_index[d] for d in rows.doc_ids], dtype=np.int32))
    np.save(folder / "levels.npy", np.array([level_index[lv] for lv in rows.levels],
                                            dtype=np.uint8))
    dwidth = max([len(d.encode()) for d in doc_names] + [1])
    np.save(folder / "doc_names.npy", np.array([d.encode() for d in doc_names],
                                               dtype=f"S{dwidth}"))
    point(index_dir, sub, stamp, len(rows.ids), level_names)
    for old in root.iterdir():  # earlier mirrors (their readers keep their open maps)
        if old.is_dir() and old.name != sub:
            shutil.rmtree(old, ignore_errors=True)


def point(index_dir: Path, sub: str, stamp: str, n: int, levels: list[str]) -> None:
    """Make `sub` the current mirror under `stamp` (an atomic rename)."""
    root = index_dir / MIRROR_DIR
    tmp = root / f".{_CURRENT}.{os.getpid()}"
    tmp.write_text(json.dumps({"format": _FORMAT, "dir": sub, "stamp": stamp, "n": n,
                               "levels": levels}), encoding="utf-8")
    os.replace(tmp, root / _CURRENT)


def restamp(index_dir: Path, mirror: VectorMirror, stamp: str) -> None:
    """The same rows under a new stamp (a writer that changed no vector)."""
    point(index_dir, mirror.folder.name, stamp, mirror.count(), mirror.level_names)


def merge(base: Rows, more: Rows) -> Rows:
    dim = more.vectors.shape[1] if len(more.ids) else base.vectors.shape[1]
    parts = [v for v in (base.vectors, more.vectors) if len(v)]
    return Rows(base.ids + more.ids, base.doc_ids + more.doc_ids, base.levels + more.levels,
                np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32))


class _Settings(Protocol):
    def get_setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str) -> None: ...


class _Exports(Protocol):
    def rows(self, doc_ids: Sequence[str] | None = None) -> Rows: ...


class MirrorSession:
    """One writer's upkeep of the mirror: stale from `begin`, rewritten by `finish`."""

    def __init__(self, index_dir: Path, base: VectorMirror | None, stamp: str) -> None:
        self.index_dir = index_dir
        self.base = base  # the mirror valid when the writer opened, if any
        self.stamp = stamp
        self.touched: set[str] = set()
        self.full = False  # vectors changed in ways not tracked per document

    @classmethod
    def begin(cls, index_dir: Path, settings: _Settings) -> MirrorSession:
        base = VectorMirror.open(index_dir, settings.get_setting(STATE_KEY))
        stamp = new_stamp()
        settings.set_setting(STATE_KEY, stamp)  # readers stop trusting the old mirror
        return cls(index_dir, base, stamp)

    def changed(self, doc_ids) -> None:
        """`VectorIndex.on_change`: these documents' vectors changed (None: unknown ones)."""
        if doc_ids is None:
            self.full = True
        else:
            self.touched.update(doc_ids)

    def finish(self, vectors: _Exports | None) -> None:
        """Write the mirror of what Chroma now holds (`vectors`: None when this writer
        never opened Chroma). A failure leaves the mirror stale, which readers detect."""
        try:
            if self.base is not None and not self.full and not self.touched:
                restamp(self.index_dir, self.base, self.stamp)
            elif vectors is None:
                return
            elif self.base is not None and not self.full:
                rows = merge(self.base.rows_except(self.touched),
                             vectors.rows(sorted(self.touched)))
                write_mirror(self.index_dir, self.stamp, rows)
            else:
                write_mirror(self.index_dir, self.stamp, vectors.rows())
        except Exception:  # noqa: BLE001 - never fail the writer's close over a copy
            pass  # the mirror stays stale: readers query Chroma until a writer succeeds
