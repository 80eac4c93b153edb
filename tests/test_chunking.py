"""Structure-aware chunking: invariants, section paths, and the real documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.models import Chunk, DocMeta, Document
from core.text.sentences import split_sentences
from ingest.chunking import ChunkSettings, chunk_document
from ingest.metadata import extract_metadata
from tests.realdocs_util import read_normalized, text_files

MEASURE = """示例市机关党员教育管理办法
示机工发〔2024〕5号
第一章 总则
第一条 为加强示例市机关党员教育管理，制定本办法。
第二条 党员教育管理坚持以下原则：
（一）坚持政治引领；
（二）坚持分类指导。
第二章 教育培训
第三条 党员每年参加集中学习培训不少于32学时。新任党支部书记应当在任职三个月内参加培训。\
培训可以采取集中轮训、网络学习、实践锻炼等方式；各单位应当保障学习时间。培训结束后进行考核。
第四条 各党支部应当建立党员学习档案。
"""

HANDBOOK = """《新风》专刊
第5期（总第41期）
中共示例市委市级机关工委编 2024年5月
本期主题：以“小切口”推动机关作风大转变
【典型案例一】示例市财政局：预算绩效“回头看”
一、背景
局机关党委从绩效评价入手。
二、做法
建立问题台账，按月通报。
【典型案例二】示例市税务局：办税服务“一窗通”
党员先锋岗进驻大厅。
【典型案例三】示例市文旅局：送戏下乡进社区
全年送戏下乡四十场。
"""

SPEECH = """在示例市机关党建工作推进会上的讲话
（2024年3月15日）
同志们：
一、充分肯定过去一年的成效
一是政治建设更加有力。
二是基层基础更加扎实。
同时也要看到不足。
"""


def _doc(text: str, doc_type: str | None = None, page_starts: tuple[int, ...] = ()) -> Document:
    meta = extract_metadata(text, "/kb/sample.txt")
    if doc_type:
        meta = DocMeta(title=meta.title, doc_type=doc_type)
    return Document("doc1", "/kb/sample.txt", text, meta, "hash", page_starts)


def _check_invariants(doc: Document, chunks: list[Chunk], settings: ChunkSettings) -> None:
    covered = bytearray(len(doc.text))
    prev_end = 0
    for c in chunks:
        assert c.text and doc.text[c.start:c.end] == c.text
        assert c.text == c.text.strip()
        assert (c.doc_id, c.source, c.title, c.doc_type) == (
            doc.doc_id, doc.source, doc.title, doc.doc_type)
        # max_chars bounds the new text of a chunk; overlap repeats earlier sentences on top.
        new = doc.text[max(c.start, prev_end):c.end].strip()
        if len(new) > settings.max_chars:
            # Only a single sentence that cannot be cut may exceed the limit.
            assert len(split_sentences(new)) == 1, new[:60]
        covered[c.start:c.end] = b"\1" * (c.end - c.start)
        prev_end = c.end
    if settings.overlap_sentences == 0:
        assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))
    missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
    assert not missing, doc.text[missing[0]:missing[0] + 30]
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_measure_chunks_follow_articles() -> None:
    doc, settings = _doc(MEASURE), ChunkSettings()
    chunks = chunk_document(doc, settings)
    _check_invariants(doc, chunks, settings)
    assert [c.section_label for c in chunks] == [
        "第一章 总则 > 第一条", "第一章 总则 > 第二条", "第二章 教育培训 > 第三条",
        "第二章 教育培训 > 第四条"]
    # The short title + 文号 preamble travels with the first article, not alone.
    assert chunks[0].text.startswith(
        "示例市机关党员教育管理办法\n示机工发〔2024〕5号\n第一章 总则\n第一条")
    assert chunks[1].text.endswith("（二）坚持分类指导。")


def test_long_article_is_split_only_at_sentence_ends() -> None:
    doc, settings = _doc(MEASURE), ChunkSettings(max_chars=60, min_chars=10)
    chunks = chunk_document(doc, settings)
    _check_invariants(doc, chunks, settings)
    art3 = [c for c in chunks if c.section_label.endswith("第三条")]
    assert len(art3) > 1
    assert all(c.text.endswith(("。", "；")) for c in art3)
    assert "".join(c.text for c in art3).replace("\n", "").startswith("第二章 教育培训第三条")


def test_chunk_ids_are_stable_and_pages_come_from_the_document() -> None:
    page2 = MEASURE.index("第二章")
    doc = _doc(MEASURE, page_starts=(0, page2))
    first = chunk_document(doc, ChunkSettings())
    again = chunk_document(doc, ChunkSettings())
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert all(re.fullmatch(r"[0-9a-f]{16}", c.chunk_id) for c in first)
    assert first[0].pages == (1,) and first[-1].pages == (2,)
    assert chunk_document(_doc(MEASURE), ChunkSettings())[0].pages == ()


def test_handbook_cases_are_never_mixed() -> None:
    doc, settings = _doc(HANDBOOK), ChunkSettings(max_chars=500, min_chars=200)
    assert doc.doc_type == "handbook"
    chunks = chunk_document(doc, settings)
    _check_invariants(doc, chunks, settings)
    assert chunks[0].section_label == "" and "本期主题" in chunks[0].text
    for c in chunks[1:]:
        assert c.text.count("【典型案例") <= 1
        assert c.section_label.startswith("【典型案例")
    assert chunks[1].section_label == "【典型案例一】示例市财政局：预算绩效“回头看”"
    assert "二、做法" in chunks[1].text  # small parts of one case merge under the case


def test_small_points_merge_under_their_parent() -> None:
    doc, settings = _doc(SPEECH), ChunkSettings()
    assert doc.doc_type == "speech"
    chunks = chunk_document(doc, settings)
    _check_invariants(doc, chunks, settings)
    assert [c.section_label for c in chunks] == ["一、充分肯定过去一年的成效"]
    assert chunks[0].text.endswith("同时也要看到不足。")


def test_no_merge_when_min_chars_is_zero() -> None:
    doc, settings = _doc(SPEECH), ChunkSettings(min_chars=0)
    chunks = chunk_document(doc, settings)
    _check_invariants(doc, chunks, settings)
    assert [c.section_label for c in chunks][1:] == [
        "一、充分肯定过去一年的成效", "一、充分肯定过去一年的成效 > 一是政治建设更加有力",
        "一、充分肯定过去一年的成效 > 二是基层基础更加扎实", "一、充分肯定过去一年的成效"]


def test_overlap_repeats_sentences_within_a_section() -> None:
    settings = ChunkSettings(max_chars=60, min_chars=10, overlap_sentences=1)
    doc = _doc(MEASURE)
    chunks = chunk_document(doc, settings)
    _check_invariants(doc, chunks, settings)
    art3 = [c for c in chunks if c.section_label.endswith("第三条")]
    assert len(art3) > 1
    for a, b in zip(art3, art3[1:], strict=False):
        assert b.start < a.end  # the last sentence of one piece opens the next
    plain = chunk_document(doc, ChunkSettings(max_chars=60, min_chars=10))
    assert plain[0].start == chunks[0].start


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="max_chars"):
        ChunkSettings(max_chars=0)


def test_empty_and_headingless_documents() -> None:
    assert chunk_document(_doc("  \n\n "), ChunkSettings()) == []
    text = "示例市机关工委开展主题党日活动。\n\n党员们重温了入党誓词。\n"
    chunks = chunk_document(_doc(text), ChunkSettings())
    assert [c.text for c in chunks] == [text.strip()]


# ---- real documents -------------------------------------------------------------------


def test_realdocs_every_text_file_chunks_cleanly(realdocs: Path) -> None:
    settings = ChunkSettings()
    files = text_files(realdocs)
    assert files
    for f in files:
        text = read_normalized(f)
        if not text.strip():
            continue
        doc = Document("d", str(f), text, extract_metadata(text, str(f)), "h")
        _check_invariants(doc, chunk_document(doc, settings), settings)


def test_realdocs_party_constitution_article_nine(realdocs: Path) -> None:
    f = next((realdocs / "party").glob("中国共产党章程*.txt"))
    text = read_normalized(f)
    doc = Document("d", str(f), text, extract_metadata(text, str(f)), "h")
    chunks = chunk_document(doc, ChunkSettings())
    hits = [c for c in chunks if "连续六个月不参加党的组织生活" in c.text]
    assert len(hits) == 1 and hits[0].section_label.endswith("第九条")
    assert hits[0].section_label == "第一章 党员 > 第九条"


@pytest.mark.parametrize("max_chars", [300, 500])
def test_realdocs_laws_never_mix_articles(realdocs: Path, max_chars: int) -> None:
    article = re.compile(r"^第[一二三四五六七八九十百零]+条", re.M)
    for f in text_files(realdocs / "laws"):
        text = read_normalized(f)
        doc = Document("d", str(f), text, extract_metadata(text, str(f)), "h")
        for c in chunk_document(doc, ChunkSettings(max_chars=max_chars)):
            starts = article.findall(c.text)
            assert len(starts) <= 1, (f.name, c.section_label)
            if starts:
                assert c.section_label.endswith(starts[0]), (f.name, c.section_label)
