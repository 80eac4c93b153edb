"""Retrieval metrics over ranked relevance flags (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def first_relevant(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant result, or None."""
    for i, f in enumerate(flags, start=1):
        if f:
            return i
    return None


def hit_at(flags: Sequence[bool], k: int) -> float:
    return 1.0 if any(flags[:k]) else 0.0


def mrr_at(flags: Sequence[bool], k: int) -> float:
    r = first_relevant(flags[:k])
    return 1.0 / r if r else 0.0


def ndcg_at(gains: Sequence[float], k: int, ideal_count: int) -> float:
    """Binary-gain nDCG: `gains[i]` is 1 for a relevant result at rank i+1 (each gold once)."""
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(ideal_count, k)))
    return dcg / idcg if idcg else 0.0


def summarize(rows: Sequence[dict]) -> dict[str, float]:
    """Mean of each metric over question rows."""
    if not rows:
        return {}
    keys = [k for k in rows[0] if isinstance(rows[0][k], float)]
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in keys} | {"n": len(rows)}
