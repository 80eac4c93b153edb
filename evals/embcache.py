"""An embedding cache for evaluation runs, so re-chunking experiments re-embed only new texts."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders import Embedder


class CachingEmbedder(Embedder):
    """Wraps an embedder; passage vectors are cached on disk by text hash."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.semantic = inner.semantic
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, b BLOB)")

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.name}\0{text}".encode()).hexdigest()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT k, b FROM v WHERE k IN ({','.join('?' * len(part))})"
            for k, b in self._db.execute(q, part):
                found[k] = np.frombuffer(b, dtype=np.float32)
        todo = [i for i, k in enumerate(keys) if k not in found]
        if todo:
            vecs = self.inner.embed_passages([texts[i] for i in todo])
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)",
                                     [(keys[i], v.astype(np.float32).tobytes())
                                      for i, v in zip(todo, vecs, strict=True)])
            for i, v in zip(todo, vecs, strict=True):
                found[keys[i]] = v
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)
