"""How much of a question a text covers: the one measure behind fusion weights and refusal."""

from __future__ import annotations

from collections.abc import Container, Mapping


def coverage(weights: Mapping[str, float], within: Container[str]) -> float:
    """Share of the question's term weight (IDF mass) whose terms occur `within`.

    `within` is a set of tokens (a chunk's BM25 tokens: lexical confidence) or a string
    (substring test: how much of the question a candidate sentence states).
    """
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in within) / total
