"""Search that reads well: meaningful highlights, snippets, the relevance floor."""

from __future__ import annotations

import pytest

from app.render import snippet_html, snippet_span
from core.text.highlight import meaningful_terms
from service.relevance import FLOOR, best_coverage, is_relevant, nearest_titles


def test_only_meaningful_terms_are_highlighted():
    terms = meaningful_terms("党员到社区报到 “双报到”", ["党员", "到", "社区", "报到", "报"])
    assert terms == ["党员", "社区", "报到", "双报到"]
    q = "示机工发[2023]12号 第十二条"
    assert meaningful_terms(q, []) == ["示机工发〔2023〕12号", "第十二条"]


def test_snippet_is_around_the_best_match():
    text = "无关的开头句子。" * 30 + "党员每年参加集中培训不少于32学时。" + "其他内容。" * 30
    s, e = snippet_span(text, ["集中培训"], width=60)
    assert "党员每年参加集中培训不少于32学时。" in text[s:e] and e - s < 140
    html = snippet_html(text, ["集中培训"], width=60)
    assert html.startswith("……") and html.endswith("……") and "集中培训</mark>" in html
    assert snippet_span("短文。", ["短"]) == (0, 3)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, embedder):
    from core.config import load_config
    from service.wiring import open_searcher
    from tests.appdocs import build_index

    idx = build_index(tmp_path_factory.mktemp("floor"), embedder=embedder)
    return open_searcher(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=idx))


@pytest.mark.slow  # builds an index (reading files in child processes)
def test_floor_refuses_offtopic_and_keeps_relevant(searcher):
    off = searcher.search_detail("区块链 元宇宙", k=10)
    assert off.hits and not is_relevant(searcher, "区块链 元宇宙", off.hits, off.pinned)
    assert best_coverage(searcher, "区块链 元宇宙", off.hits) < FLOOR
    assert nearest_titles(off.hits)
    q = "红色驿站"
    on = searcher.search_detail(q, k=10)
    assert is_relevant(searcher, q, on.hits, on.pinned)
