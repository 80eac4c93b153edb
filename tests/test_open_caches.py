"""What keeps opening an index cheap (issue 16): document texts read on first use, and
the validity of every document kept for the next open of the same documents."""

from __future__ import annotations

import copy
import pickle
from datetime import date
from pathlib import Path

import pytest

from core.errors import IndexBusyError
from core.models import Document
from index.doctext import StoredDocument
from index.store import IndexStore
from service.validity_cache import ALL_KEY, document_validity
from service.wiring import make_tokenizer_for, open_searcher, run_ingest

OLD = ("示例市机关党费管理办法\n示机工发〔2020〕3号\n\n第一条 为规范党费管理，制定本办法。\n"
       "第二条 本办法自2020年1月1日起施行。")
NEW = ("示例市机关党费管理办法（修订）\n示机工发〔2024〕5号\n\n"
       "第一条 为规范党费管理，制定本办法。\n"
       "第二条 本办法自2024年3月1日起施行，"
       "《示例市机关党费管理办法》（示机工发〔2020〕3号）同时废止。")


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "old.txt").write_text(OLD, encoding="utf-8")
    (d / "new.txt").write_text(NEW, encoding="utf-8")
    return d


def test_texts_are_read_on_first_use_and_equal_the_stored_ones(tmp_path, config, embedder):
    run_ingest(config, [_folder(tmp_path)], progress=False, embedder=embedder)
    store = IndexStore(config)
    full = {d.doc_id: d for d in store.docstore.documents()}
    lazy = {d.doc_id: d for d in store.docstore.stored_documents()}
    assert set(full) == set(lazy)
    for did, doc in lazy.items():
        assert isinstance(doc, StoredDocument) and "_text" in doc.__dict__
        assert doc.__dict__["_text"] is None  # nothing read yet
        assert doc == full[did] and full[did] == doc and doc.text == full[did].text
        plain = pickle.loads(pickle.dumps(doc))
        assert type(plain) is Document and plain == full[did]
        assert copy.deepcopy(doc) == full[did]
    store.close()
    s = open_searcher(config)
    hit = s.search("党费管理 施行", k=1)[0]
    assert s.docs[hit.chunk.doc_id].text[hit.chunk.start:hit.chunk.end] == hit.chunk.text


def test_a_text_changed_after_opening_is_refused_not_mixed(tmp_path, config, embedder):
    folder = _folder(tmp_path)
    run_ingest(config, [folder], progress=False, embedder=embedder)
    store = IndexStore(config)
    lazy = {Path(d.source).name: d for d in store.docstore.stored_documents()}
    (folder / "old.txt").write_text(OLD + "\n第三条 本办法由示例市机关工委负责解释。",
                                    encoding="utf-8")
    run_ingest(config, [folder], progress=False, embedder=embedder)
    with pytest.raises(IndexBusyError, match="请重新检索"):
        _ = lazy["old.txt"].text  # its chunk offsets were cut from the old text
    assert "同时废止" in lazy["new.txt"].text  # unchanged: still served
    store.close()


def test_validity_is_kept_for_the_same_documents_and_day(tmp_path, config, embedder):
    folder = _folder(tmp_path)
    run_ingest(config, [folder], progress=False, embedder=embedder)
    day = date(2025, 1, 1)
    store = IndexStore(config)
    docs = {d.doc_id: d for d in store.docstore.stored_documents()}
    first = document_validity(store, docs, day)
    assert store.docstore.get_setting(ALL_KEY)  # saved by a reader (the lock was free)
    by_name = {Path(docs[d].source).name: v for d, v in first.items()}
    assert by_name["old.txt"].status == "已废止"
    store.close()
    store = IndexStore(config)
    again = document_validity(store, {d.doc_id: d for d in store.docstore.stored_documents()},
                              day)
    assert again == first
    # another day, or other documents: computed again, not the saved result
    assert document_validity(store, docs, date(2019, 6, 1)) != first
    store.close()
    (folder / "new.txt").unlink()
    run_ingest(config, [folder], progress=False, embedder=embedder)
    store = IndexStore(config)
    now = document_validity(store, {d.doc_id: d for d in store.docstore.stored_documents()},
                            day)
    assert [v.status for v in now.values()] != ["已废止"]
    store.close()


def test_a_row_without_its_hash_yet_is_read_whole(tmp_path, config, embedder):
    """An early-lexical row (searchable before its vectors) gets its content hash only when
    complete: its text is read at opening, so completing it never trips the hash check."""
    from dataclasses import replace

    run_ingest(config, [_folder(tmp_path)], progress=False, embedder=embedder)
    store = IndexStore(config, create=True)
    doc = next(iter(store.docstore.documents()))
    store.docstore.set_hash(doc.doc_id, "")
    early = {d.doc_id: d for d in store.docstore.stored_documents()}[doc.doc_id]
    assert type(early) is Document and early.text == doc.text
    store.docstore.set_hash(doc.doc_id, doc.content_hash)
    assert replace(early, content_hash=doc.content_hash) == doc
    store.close()


# The snapshot's rows kept in one file (index.snapcache) ---------------------------------
def _snapshot(config):
    store = IndexStore(config)
    try:
        snap = store.snapshot(make_tokenizer_for(config))
        return ({d: (doc.source, doc.content_hash, doc.meta, doc.page_starts, doc.visibility)
                 for d, doc in snap.docs.items()},
                [snap.chunks[c] for c in snap.chunks], snap)
    finally:
        store.close()


def _no_sql_rows(monkeypatch):
    from index.docstore import DocStore

    def refuse(*_a, **_k):
        raise AssertionError("rows read from SQLite although the cache is current")

    monkeypatch.setattr(DocStore, "chunk_rows", refuse)
    monkeypatch.setattr(DocStore, "stored_documents", refuse)


def test_the_second_opening_reads_the_rows_from_the_cache(tmp_path, config, embedder,
                                                         monkeypatch):
    from index.layout import SNAPSHOT_CACHE

    run_ingest(config, [_folder(tmp_path)], progress=False, embedder=embedder)
    first_docs, first_chunks, _ = _snapshot(config)  # written by the ingest
    assert (config.index_dir / SNAPSHOT_CACHE).is_file()
    _no_sql_rows(monkeypatch)
    docs, chunks, snap = _snapshot(config)
    assert docs == first_docs and chunks == first_chunks
    for c in chunks:  # the texts come from the documents, by hash, as before
        assert snap.docs[c.doc_id].text[c.start:c.end] == c.text
    assert all(isinstance(d, StoredDocument) for d in snap.docs.values())


def test_any_change_to_the_rows_makes_the_cache_stale(tmp_path, config, embedder,
                                                     monkeypatch):
    """The stamp is set by SQLite triggers: an ingest, a removal, even a direct UPDATE."""
    import sqlite3

    from index.layout import DOCSTORE_NAME

    folder = _folder(tmp_path)
    run_ingest(config, [folder], progress=False, embedder=embedder)
    _snapshot(config)
    (folder / "old.txt").write_text(OLD + "\n第三条 本办法由示例市机关工委负责解释。",
                                    encoding="utf-8")
    (folder / "new.txt").unlink()
    run_ingest(config, [folder], progress=False, embedder=embedder)
    docs, chunks, snap = _snapshot(config)
    assert len(docs) == 1 and any("负责解释" in c.text for c in chunks)
    db = sqlite3.connect(config.index_dir / DOCSTORE_NAME)
    with db:
        db.execute("UPDATE chunks SET start = start + 1 WHERE ord = 0")
    db.close()
    moved = _snapshot(config)[1]
    assert [c.start for c in moved] != [c.start for c in chunks]
    _no_sql_rows(monkeypatch)  # and that state was kept in its turn
    assert _snapshot(config)[1] == moved


@pytest.mark.parametrize("damage", ["garbled", "short", "empty", "other-stamp"])
def test_a_damaged_or_foreign_cache_is_ignored_and_rewritten(tmp_path, config, embedder,
                                                             damage, monkeypatch):
    from index.layout import SNAPSHOT_CACHE

    run_ingest(config, [_folder(tmp_path)], progress=False, embedder=embedder)
    want = _snapshot(config)[:2]
    path = config.index_dir / SNAPSHOT_CACHE
    data = path.read_bytes()
    if damage == "garbled":
        data = data[:40] + bytes(b ^ 0x5A for b in data[40:80]) + data[80:]
    elif damage == "short":
        data = data[:-6]
    elif damage == "empty":
        data = b""
    else:
        store = IndexStore(config)
        stamp = store.docstore.rows_stamp()
        store.close()
        data = data.replace(stamp.encode(), b"0" * len(stamp))
    path.write_bytes(data)
    assert _snapshot(config)[:2] == want  # read from SQLite
    _no_sql_rows(monkeypatch)
    assert _snapshot(config)[:2] == want  # and a good copy written in its place


def test_a_rebuild_removes_the_cache(tmp_path, config, embedder):
    from index.layout import SNAPSHOT_CACHE, STORE_ENTRIES

    assert SNAPSHOT_CACHE in STORE_ENTRIES
    folder = _folder(tmp_path)
    run_ingest(config, [folder], progress=False, embedder=embedder)
    IndexStore.wipe(config.index_dir)
    assert not (config.index_dir / SNAPSHOT_CACHE).exists()
