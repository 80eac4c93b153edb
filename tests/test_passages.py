"""Passages: what the embedder sees of a chunk (sentence windows, or the whole chunk)."""

from __future__ import annotations

from core.models import Chunk, Document
from index.passages import chunk_of, passages, windows
from index.store import index_text
from ingest.chunking import ChunkSettings, chunk_document
from ingest.metadata import extract_metadata

LONG = "".join(f"第{i}句讲的是示例市第{i}项工作，内容具体，数字清楚，共有{i * 7}个单位参加。"
               for i in range(1, 31))


def _chunk(text: str) -> Chunk:
    return Chunk(chunk_id="c0ffee0123456789", doc_id="d1", source="x.txt", title="标题",
                 doc_type="other", section=("一、总体要求",), pages=(), start=5, end=5 + len(text),
                 text=text)


def test_long_chunk_is_embedded_as_sentence_windows_only_the_last_with_its_id() -> None:
    c = _chunk(LONG)
    ps = passages(c, 250)
    assert len(ps) > 2
    # no whole-chunk passage: the chunk's text is embedded once
    assert all(p.text != c.text for p in ps)
    assert ps[-1].vector_id == c.chunk_id  # written last: reconcile's completeness mark
    assert all(chunk_of(p.vector_id) == c.chunk_id for p in ps)
    assert len({p.vector_id for p in ps}) == len(ps)
    # windows are whole sentences, in order, cover the chunk, and stay within the size
    assert "".join(p.text for p in ps) == c.text
    assert all(p.text.endswith("。") and len(p.text) <= 250 for p in ps)
    assert all(a.end == b.start for a, b in zip(ps, ps[1:], strict=False))
    assert ps[1].embed_text == f"标题 一、总体要求\n{ps[1].text}"


def test_short_chunk_and_window_zero_give_the_whole_chunk_only() -> None:
    short = _chunk("只有一句话。")
    assert [p.vector_id for p in passages(short, 250)] == [short.chunk_id]
    assert passages(short, 250)[0].embed_text == index_text(short)  # what BM25 indexes
    assert [p.vector_id for p in passages(_chunk(LONG), 0)] == ["c0ffee0123456789"]


def test_a_sentence_longer_than_the_window_is_a_window_of_its_own() -> None:
    text = "短句。" + "长" * 300 + "。" + "又一短句。"
    spans = windows(_chunk(text), 250)
    assert [e - s for s, e in spans] == [3, 301, 5]


def test_passage_offsets_match_the_document() -> None:
    text = "示例市某办法\n\n一、总体要求\n\n" + LONG + "\n\n二、保障措施\n\n" + LONG
    doc = Document("d1", "/kb/x.txt", text, extract_metadata(text, "/kb/x.txt"), "h")
    for c in chunk_document(doc, ChunkSettings()):
        for p in passages(c, 250):
            assert doc.text[p.start:p.end] == p.text
