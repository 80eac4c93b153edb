"""answer.meaning: units re-ordered by the embedder's rank of them against the question."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from answer.candidates import AskSettings, Candidate
from answer.meaning import by_meaning
from core.models import Chunk, Hit

UNITS = ["第一句讲会议。", "第二句讲培训。", "第三句讲党员人数。", "第四句讲经费。"]


class _AxisEmbedder:
    """Unit i points along axis i; the question points along the axis of `wanted`, with a
    smaller component along `second`: a known ranking, no model."""

    def __init__(self, wanted: int, second: int) -> None:
        self.wanted, self.second = wanted, second

    def embed_passages(self, texts):
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, UNITS.index(t)] = 1.0
        return out

    def embed_queries(self, texts):
        v = np.zeros((1, 8), dtype=np.float32)
        v[0, self.wanted], v[0, self.second] = 1.0, 0.5
        return v


@dataclass
class _Searcher:
    embedder: _AxisEmbedder
    windows: tuple[tuple[str, int, int], ...] = ()  # stored windows, nearest first

    def passage_ranking(self, vector, chunk_ids):
        return [w for w in self.windows if w[0] in chunk_ids]


def _cands() -> list[Candidate]:
    chunk = Chunk("c", "d", "x.txt", "标题", "speech", (), (), 0, 40, "".join(UNITS))
    hit = Hit(chunk=chunk, score=1.0, rank=1)
    # lexically tied, so the first one leads without the embedder
    return [Candidate(hit, 10 * i, 10 * i + len(t), t, 0.0, 0.25, "sentence")
            for i, t in enumerate(UNITS)]


def test_the_unit_the_embedder_ranks_first_leads_and_the_bonus_falls_with_rank():
    s = AskSettings(meaning_weight=0.3, meaning_pool=4)
    out = by_meaning(_Searcher(_AxisEmbedder(2, 3)), "问题", _cands(), s)
    assert [c.text for c in out[:2]] == ["第三句讲党员人数。", "第四句讲经费。"]
    assert out[0].score == pytest.approx(0.25 + 0.3)
    assert out[1].score == pytest.approx(0.25 + 0.15)


def test_units_beyond_the_pool_keep_their_score_and_no_weight_keeps_the_order():
    cands = _cands()
    out = by_meaning(_Searcher(_AxisEmbedder(1, 0)), "问题", cands,
                     AskSettings(meaning_weight=0.3, meaning_pool=2))
    assert [c.text for c in out] == ["第二句讲培训。", "第一句讲会议。", *UNITS[2:]]
    assert [c.score for c in out[2:]] == [0.25, 0.25]
    unchanged = by_meaning(_Searcher(_AxisEmbedder(3, 2)), "问题", cands,
                           AskSettings(meaning_weight=0.0))
    assert unchanged == cands


def test_a_unit_whose_window_the_embedder_ranks_first_enters_the_pool():
    # Units 0-1 lie in window (0, 20), units 2-3 in (20, 40); the second ranks first.
    # Only two units are embedded: without the window bonus the lexical order fills the
    # pool with units 0-1 and the unit the question is about (3) never leads.
    s = AskSettings(meaning_weight=0.3, meaning_pool=2, window_weight=0.1)
    searcher = _Searcher(_AxisEmbedder(3, 2), windows=(("c", 20, 40), ("c", 0, 20)))
    out = by_meaning(searcher, "问题", _cands(), s)
    assert out[0].text == "第四句讲经费。"
    assert out[0].score == pytest.approx(0.25 + 0.1 + 0.3)
    assert {c.text: c.score for c in out}["第一句讲会议。"] == pytest.approx(0.25 + 0.05)
    off = by_meaning(searcher, "问题", _cands(), AskSettings(meaning_weight=0.3,
                                                              meaning_pool=2, window_weight=0))
    assert off[0].text in UNITS[:2]
