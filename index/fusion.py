"""Fusion of ranked lists (pure functions): reciprocal rank fusion and score fusion."""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def rrf(
    rankings: Sequence[Sequence[str]],
    weights: Sequence[float] | None = None,
    k: int = RRF_K,
) -> list[tuple[str, float]]:
    """Fuse ranked lists of ids: score(id) = sum_i w_i / (k + rank_i(id)), rank from 1.

    Ties are broken by the best single rank, then by first appearance, so the
    result is deterministic.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"expected {len(rankings)} weights, found {len(weights)}")
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    order: dict[str, int] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
            best[cid] = min(best.get(cid, rank), rank)
            order.setdefault(cid, len(order))
    return sorted(scores.items(), key=lambda kv: (-kv[1], best[kv[0]], order[kv[0]]))


def score_fusion(
    scored: Sequence[Sequence[tuple[str, float]]],
    weights: Sequence[float] | None = None,
    method: str = "minmax",
) -> list[tuple[str, float]]:
    """Fuse scored lists: each list's scores are normalised, then summed with weights.

    "minmax" maps a list to [0, 1] (an id missing from a list gets 0 there); "zscore"
    uses (s - mean) / std of the list, so a list whose top is no outlier contributes
    little, and a missing id gets the list's lowest z. Ties keep first appearance."""
    if weights is None:
        weights = [1.0] * len(scored)
    if len(weights) != len(scored):
        raise ValueError(f"expected {len(scored)} weights, found {len(weights)}")
    total: dict[str, float] = {}
    for lst, w in zip(scored, weights, strict=True):
        if not lst:
            continue
        vals = [s for _, s in lst]
        lo, hi = min(vals), max(vals)
        if method == "zscore":
            mean = sum(vals) / len(vals)
            std = (sum((v - mean) ** 2 for v in vals) / len(vals)) ** 0.5 or 1.0
            floor = (lo - mean) / std
            for cid, s in lst:
                total[cid] = total.get(cid, 0.0) + w * ((s - mean) / std - floor)
            continue
        span = hi - lo
        for cid, s in lst:
            norm = (s - lo) / span if span > 0 else 1.0
            total[cid] = total.get(cid, 0.0) + w * norm
    order = {cid: i for i, cid in enumerate(total)}
    return sorted(total.items(), key=lambda kv: (-kv[1], order[kv[0]]))
