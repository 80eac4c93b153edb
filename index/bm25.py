"""BM25 over jieba tokens (bm25s), persisted beside the vector store."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def fingerprint(chunk_ids: Sequence[str], dict_fp: str) -> str:
    """Identifies the exact chunk set and dictionary a BM25 index was built from."""
    # The ids concatenated without separator, as when they were hashed one by one
    # (saved fingerprints stay valid); one update is 10x faster at 100k ids.
    return hashlib.sha1((dict_fp + "".join(chunk_ids)).encode()).hexdigest()[:16]


class BM25Index:
    """Sparse BM25 scores for chunks; row i belongs to `ids[i]`."""

    def __init__(self, ids: list[str], retriever, fp: str) -> None:
        self.ids = ids
        self.fp = fp
        self._r = retriever
        self._df: dict[str, int] = {}

    @classmethod
    def build(cls, ids: list[str], tokens: Sequence[list[str]], dict_fp: str) -> BM25Index:
        """Index pre-tokenised chunks (aligned with `ids`)."""
        import bm25s

        r = bm25s.BM25()
        corpus = [t or [""] for t in tokens]
        if corpus:
            r.index(corpus, show_progress=False)
        return cls(list(ids), r, fingerprint(ids, dict_fp))

    def save(self, path: Path) -> None:
        """Write atomically: a killed save leaves the previous index in place."""
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._r.save(str(tmp))
        (tmp / "ids.json").write_text(json.dumps({"fp": self.fp, "ids": self.ids}))
        old = path.with_name(path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, path: Path, *, mmap: bool = False) -> BM25Index | None:
        """The saved index, or None when there is none (or it is unreadable).

        `mmap`: the score matrix stays on disk, paged in by the columns queries touch
        (a search process neither reads it whole at start nor keeps it all in memory).
        A later save writes new files and renames them, so a mapped index stays valid.
        """
        import bm25s

        meta = path / "ids.json"
        if not meta.is_file():
            return None
        try:
            data = json.loads(meta.read_text())
            r = (bm25s.BM25.load(str(path), mmap=mmap, show_progress=False) if data["ids"]
                 else bm25s.BM25())
        except (OSError, ValueError, KeyError):
            return None
        return cls(data["ids"], r, data["fp"])

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (unknown tokens ignored)."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        vocab = self._r.vocab_dict
        ids = [vocab[t] for t in query_tokens if t in vocab]
        if not ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._r.get_scores_from_ids(ids), dtype=np.float32)

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency; a token no chunk contains gets the highest value.

        An unseen word is the most informative part of a question: the answer step
        must see that the index lacks it, not ignore it.
        """
        n = len(self.ids)
        if token not in self._df:
            tid = self._r.vocab_dict.get(token) if n else None
            self._df[token] = (0 if tid is None else
                               int((self._r.get_scores_from_ids([tid]) > 0).sum()))
        df = self._df[token]
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))


SAMPLE_WORDS = 8  # words of each sampled row that must score it


def sample_rows(ids: list[str]) -> list[str]:
    """The chunk ids whose BM25 rows `bm25_matches` inspects: first, middle and last."""
    return sorted({ids[0], ids[len(ids) // 2], ids[-1]}) if ids else []


def bm25_matches(bm25: BM25Index, ids: list[str], dict_fp: str,
                 sample: dict[str, list[str]] | None = None) -> bool:
    """The saved BM25 covers exactly these chunks, with a matrix built from their tokens.

    The fingerprint alone trusts ids.json; BM25 files copied from another index next to
    this index's ids.json made every search fail with IndexError. So the matrix must have
    a row per chunk, and (given `sample`: the stored tokens of `sample_rows(ids)`) its
    vocabulary must hold every token of the sampled chunks and each sampled row must
    score its own tokens: a matrix from another index fails one or the other.
    """
    if bm25.fp != fingerprint(ids, dict_fp) or bm25.ids != ids:
        return False
    if not ids:
        return True
    retriever = bm25._r  # noqa: SLF001 - bm25s keeps what is checked here on its object
    if getattr(retriever, "scores", {}).get("num_docs") != len(ids):
        return False
    vocab = getattr(retriever, "vocab_dict", {})
    for i in sorted({0, len(ids) // 2, len(ids) - 1}):  # the rows of sample_rows(ids)
        tokens = [t for t in (sample or {}).get(ids[i], ()) if t]
        if not tokens:
            continue
        if any(t not in vocab for t in tokens):
            return False
        # A few of the row's own words must score it: scoring all its words walked
        # every posting list they have (40 ms at 100k chunks).
        if not bm25.scores(list(dict.fromkeys(tokens))[:SAMPLE_WORDS])[i] > 0:
            return False
    return True
