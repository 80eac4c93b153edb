"""A relevance floor for search results: does anything found cover the query?

The searcher's scores are fused min-max (the best hit always scores 1.0), so they say
nothing about whether the best hit is relevant at all. The floor is lexical: the share of
the query's IDF weight (`core.text.coverage`, as the answer step uses) that the best of
the top hits contains (its title, heading path and text). An unseen word carries the
highest IDF, so 区块链 元宇宙 over a party-affairs corpus covers nothing. A hit pinned
by an exact 文号 / 第X条 / quoted phrase is always relevant.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.models import Hit
from core.text.coverage import coverage
from index.store import index_text

# Measured with the hybrid top 10 on the corpus eval questions (evals/questions): 7 of 174
# answerable questions (4 %) fall below 0.15, 19 below 0.2; 区块链 元宇宙 covers 0.0,
# 今天天气怎么样 0.14. Below the floor the page still offers the hits, folded away.
FLOOR = 0.15
NOT_FOUND = "未找到相关内容"


# How a question asks, not what it is about: never in the documents' wording.
QUESTION_WORDS = frozenset(
    "什么 怎么 怎么样 怎样 如何 哪些 哪个 哪里 哪儿 为什么 多少 多长 多长时间 多久 几个 是否 能否 "
    "可以 需要 应该 应当 要求 有没有 是不是 吗 呢 请问 一下 规定 情况 怎么办 哪一年 几年".split())


def query_weights(searcher, query: str) -> dict[str, float]:
    """The query's content tokens (two or more characters, or a number/Latin word; no
    question words) with their IDF weights."""
    out: dict[str, float] = {}
    for t in searcher.tokenize(searcher.normalize(query)):
        if (len(t) < 2 and not (t.isascii() and t.isalnum())) or t in QUESTION_WORDS:
            continue
        w = searcher.idf(t)
        if w > 0:
            out[t] = w
    return out


def best_coverage(searcher, query: str, hits: Sequence[Hit]) -> float:
    """The highest lexical coverage of the query by any of `hits`."""
    weights = query_weights(searcher, query)
    if not weights:
        return 1.0  # nothing to judge by (a query of single characters): keep the hits
    return max((coverage(weights, index_text(h.chunk)) for h in hits), default=0.0)


def is_relevant(searcher, query: str, hits: Sequence[Hit],
                pinned: Sequence[str] = ()) -> bool:
    """Whether the results hold anything relevant to `query` (else: 未找到相关内容)."""
    if not hits:
        return False
    if any(h.chunk.chunk_id in set(pinned) for h in hits):
        return True
    return best_coverage(searcher, query, hits) >= FLOOR


def nearest_titles(hits: Sequence[Hit], n: int = 3) -> list[tuple[str, str]]:
    """(doc_id, title) of the documents of the first hits, each once."""
    seen: dict[str, str] = {}
    for h in hits:
        seen.setdefault(h.chunk.doc_id, h.chunk.title)
    return list(seen.items())[:n]


def floor_message(searcher, query: str, hits: Sequence[Hit]) -> str | None:
    """`kb search`'s human output below the floor: 未找到相关内容 and the nearest documents."""
    if not hits or is_relevant(searcher, query, hits):
        return None
    near = "；".join(shown_title(t) for _, t in nearest_titles(hits))
    return f"{NOT_FOUND}。" + (f"最相近的文档：{near}" if near else "")


def shown_title(title: str) -> str:
    """A title in 《》, unless it already starts with one (《新风》专刊 第7期)."""
    return title if title.startswith("《") else f"《{title}》"
