"""Lazy loading gives what eager loading gave (issue 16): chunk rows made on demand, BM25
memory-mapped, the ingest's embedding overlapped with reading. Correctness only: timings
belong to `kb bench`, never to a pass/fail test."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.bm25 import BM25Index
from index.store import IndexStore
from service.wiring import make_tokenizer_for, open_searcher, run_ingest


def _ingest(config, embedder, folder: Path):
    return run_ingest(config, [folder], progress=False, embedder=embedder)


def test_chunk_table_gives_the_chunks_the_docstore_cuts(config, embedder, small_corpus):
    report = _ingest(config, embedder, small_corpus)
    store = IndexStore(config)
    snap = store.snapshot(make_tokenizer_for(config))
    docs = {d.doc_id: d for d in store.docstore.documents()}
    eager = store.docstore.chunks(docs)
    table = snap.chunks
    assert len(table) == len(eager) == report.chunks > 2
    assert list(table) == [c.chunk_id for c in eager] == snap.bm25.ids
    assert [table[c.chunk_id] for c in eager] == eager  # same fields, text cut alike
    assert [table.row(i) for i in range(len(eager))] == eager
    for doc_id in docs:
        assert table.by_doc(doc_id) == [c for c in eager if c.doc_id == doc_id]
        assert all(table.doc_of(c.chunk_id) == doc_id for c in table.by_doc(doc_id))
    assert list(table.row_docs()) == [c.doc_id for c in eager]
    assert "no-such-chunk" not in table and table.get("no-such-chunk") is None
    # A phrase: exactly the chunks whose text contains it, also one spanning a sentence end.
    for phrase in ("党务干部", "培训", "。第二条", "不存在的短语"):
        assert table.containing(phrase) == [c.chunk_id for c in eager if phrase in c.text]
    # A subset (a viewer's level) holds only its documents' chunks.
    one = sorted(docs)[0]
    sub = table.subset({one})
    assert list(sub) == [c.chunk_id for c in eager if c.doc_id == one]
    assert len(sub) == len(list(sub.values()))
    other = next(c for c in eager if c.doc_id != one)
    assert other.chunk_id not in sub and sub.by_doc(other.doc_id) == []
    assert sub.containing("党") == [c for c in table.containing("党") if c in sub]
    store.close()


def test_bm25_is_memory_mapped_and_scores_as_loaded_whole(config, embedder, small_corpus):
    _ingest(config, embedder, small_corpus)
    store = IndexStore(config)
    snap = store.snapshot(make_tokenizer_for(config))
    data = snap.bm25._r.scores["data"]  # noqa: SLF001
    assert isinstance(data, np.memmap)
    whole = BM25Index.load(store.bm25_path)
    assert whole is not None and not isinstance(whole._r.scores["data"], np.memmap)  # noqa: SLF001
    tokens = make_tokenizer_for(config)("党务干部培训学时")
    assert np.allclose(snap.bm25.scores(tokens), whole.scores(tokens))
    assert snap.bm25.scores(tokens).max() > 0
    store.close()


def test_lazy_searcher_finds_pins_and_filters_as_before(config, embedder, small_corpus):
    _ingest(config, embedder, small_corpus)
    searcher = open_searcher(config, make_embedder=lambda: embedder)
    hits = searcher.search("党务干部每年参加集中培训不少于多少学时", k=3)
    assert hits and "40学时" in hits[0].chunk.text
    # A quoted phrase pins the chunk containing it (found through the document texts).
    res = searcher.search_detail("“岗前培训”", k=3)
    assert res.pinned and "岗前培训" in searcher.chunks[res.pinned[0]].text
    # 第X条 of a named document: its chunks come from the rows of that document only.
    res = searcher.search_detail("示机工发〔2023〕12号 第四条", k=3)
    assert res.hits and "第四条" in res.hits[0].chunk.text


def test_ingest_reports_passages_and_writes_every_vector(config, embedder, small_corpus):
    report = _ingest(config, embedder, small_corpus)
    store = IndexStore(config)
    assert report.passages == store.vectors.count() >= report.chunks
    assert report.passages_per_s > 0
    store.close()


def test_validity_reads_are_kept_by_content_hash(config, embedder, small_corpus):
    from service.validity_cache import KIND, document_validity
    from validity.status import compute

    _ingest(config, embedder, small_corpus)  # the ingest keeps each text's reading
    store = IndexStore(config)
    docs = {d.doc_id: d for d in store.docstore.documents()}
    kept = store.docstore.cached(KIND)
    assert set(kept) == set(docs)
    assert all(kept[d][0] == doc.content_hash for d, doc in docs.items())
    assert document_validity(store, docs) == compute(docs)
    # A changed file replaces its row (and drops its reading); the next ingest reads it.
    measure = small_corpus / "peixun_banfa.txt"
    measure.write_text(measure.read_text(encoding="utf-8").replace(
        "第六条　本办法自2023年6月1日起施行。", "第六条　本办法自2031年6月1日起施行。"),
        encoding="utf-8")
    store.close()
    _ingest(config, embedder, small_corpus)
    store = IndexStore(config)
    docs = {d.doc_id: d for d in store.docstore.documents()}
    kept = store.docstore.cached(KIND)
    assert all(kept[d][0] == doc.content_hash for d, doc in docs.items())
    got = document_validity(store, docs)
    assert got == compute(docs)
    assert any(v.effective_from == "2031-06-01" for v in got.values())
    store.close()


def test_a_thread_bound_embedder_is_called_from_the_ingest_thread(config, embedder,
                                                                   small_corpus, tmp_path):
    # The evaluation's caching embedder holds a SQLite connection of the thread that made
    # it; embedding it in the background thread failed every `kb eval`.
    from evals.embcache import CachingEmbedder

    cached = CachingEmbedder(embedder, tmp_path / "cache.sqlite")
    assert not cached.thread_safe and embedder.thread_safe
    report = run_ingest(config, [small_corpus], progress=False, embedder=cached)
    store = IndexStore(config)
    assert report.passages == store.vectors.count() > 0
    store.close()


def test_an_idle_embedder_gets_the_first_file_without_waiting_for_a_full_group(
        config, embedder, small_corpus):
    # Embedding starts as soon as the first file is read; before, the ingest waited for a
    # group of EMBED_BATCH passages (the whole of a small ingest) and the embedder idled.
    calls: list[int] = []

    class Recording(type(embedder)):
        def embed_passages(self, texts):
            calls.append(len(texts))
            return super().embed_passages(texts)

    report = run_ingest(config, [small_corpus], progress=False, embedder=Recording())
    assert len(calls) == 2 and sum(calls) == report.passages  # one group per file
    store = IndexStore(config)
    assert store.vectors.count() == report.passages
    store.close()


def test_a_group_of_documents_is_written_to_chroma_in_one_add(config, embedder,
                                                              small_corpus, monkeypatch):
    # A local Chroma add costs ~75 ms of CPU whatever its size, taken from the embedder
    # during an ingest: a group's documents share one add, then get their docstore rows.
    from index.vectors import VectorIndex

    adds: list[int] = []
    real_add = VectorIndex.add

    def counting(self, passages, vectors):
        adds.append(len(passages))
        return real_add(self, passages, vectors)

    monkeypatch.setattr(VectorIndex, "add", counting)

    class Bound(type(embedder)):
        thread_safe = False  # no overlap: both small files wait for one group

    report = run_ingest(config, [small_corpus], progress=False, embedder=Bound())
    assert len(report.added) == 2 and adds == [report.passages]
    store = IndexStore(config)
    assert store.vectors.count() == report.passages
    assert len(store.docstore.hashes()) == 2 and all(store.docstore.hashes().values())
    store.close()
    assert open_searcher(config).search("青年干部", k=1, mode="vector")
