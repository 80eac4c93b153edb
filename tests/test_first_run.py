"""First run: new documents are searchable by keyword before their vectors are done
(early_lexical), a kill in between is repaired by one re-run, progress is shared."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from index.passages import chunk_of
from service import progress
from service.wiring import open_searcher, run_ingest


class Watching:
    """The fake embedder, with a hook run before its first embedding call."""

    def __init__(self, inner, hook) -> None:
        self.inner, self.hook, self.calls = inner, hook, 0
        self.dim = inner.dim
        self.name = getattr(inner, "name", "hash")

    def embed_passages(self, texts) -> np.ndarray:
        self.calls += 1
        if self.calls == 1:
            self.hook()
        return self.inner.embed_passages(texts)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _in_thread(fn):
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    return out


@pytest.mark.slow  # ingests (files read in child processes)
def test_keyword_search_works_before_vectors(small_corpus, config, embedder):
    seen: dict = {}

    def reader() -> None:
        # Another thread, as the app or `kb search` would be: the lock is held meanwhile.
        out = _in_thread(lambda: [h.chunk.title for h in open_searcher(config).search(
            "党务干部集中培训学时", k=3, mode="bm25")])
        seen.update(out)
        seen["progress"] = progress.read(config.index_dir)
        from index.store import IndexStore

        store = IndexStore(config, vectors=False)
        seen["tokens"] = len(store.docstore.tokens(store.dict_fp))
        seen["chunks"] = store.docstore.counts()[1]
        store.close()

    r = run_ingest(config, [small_corpus], progress=False, early_lexical=True,
                   embedder=Watching(embedder, reader))
    assert "error" not in seen, seen.get("error")
    assert any("培训" in t for t in seen["value"])
    p = seen["progress"]
    assert p.files_read == p.files_total == 2 and p.docs_searchable == 2
    assert p.passages_embedded == 0 and p.passages_total > 0
    assert len(r.added) == 2 and progress.read(config.index_dir) is None  # cleared at the end
    assert seen["tokens"] == seen["chunks"] > 0  # readers meanwhile reuse the BM25 tokens
    from index.store import IndexStore

    store = IndexStore(config)
    assert "" not in store.docstore.hashes().values() and store.bm25_fits()
    ids = {c for cs in store.docstore.chunk_ids_by_doc().values() for c in cs}
    assert {chunk_of(v) for v in store.vectors.all_ids()} == ids
    store.close()
    s = open_searcher(config)
    assert s.search("青年干部", k=1, mode="vector")


@pytest.mark.slow  # ingests (files read in child processes)
def test_a_kill_before_the_vectors_is_repaired_by_one_rerun(small_corpus, config, embedder):
    def die() -> None:
        raise KeyboardInterrupt  # as good as a kill here: nothing after it runs

    with pytest.raises(KeyboardInterrupt):
        run_ingest(config, [small_corpus], progress=False, early_lexical=True,
                   embedder=Watching(embedder, die))
    from index.store import IndexStore

    store = IndexStore(config, vectors=False)
    assert set(store.docstore.hashes().values()) == {""}  # searchable, but not complete
    store.close()
    r = run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    assert len(r.updated) == 2
    store = IndexStore(config)
    ids = {c for cs in store.docstore.chunk_ids_by_doc().values() for c in cs}
    assert {chunk_of(v) for v in store.vectors.all_ids()} == ids
    assert "" not in store.docstore.hashes().values()


def test_progress_eta_from_measured_speed():
    p = progress.Progress(files_total=4, files_read=2, passages_total=100,
                          passages_embedded=50, embed_seconds=10.0)
    assert p.rate == 5.0 and p.eta_seconds == pytest.approx((50 + 100) / 5)
    assert progress.Progress().eta_seconds is None
    assert progress.eta_text(130) == "约 2 分 10 秒" and progress.eta_text(None) == "估算中"


def test_sidebar_lines_say_what_is_embedded():
    from app.progress import progress_lines

    p = progress.Progress(files_total=40, files_read=40, docs_searchable=40, docs_embedded=5,
                          passages_total=1362, passages_embedded=170, embed_seconds=40.0)
    text = "\n".join(progress_lines(p))
    assert "已读取文件 40/40" in text and "可检索的文档 40 篇" in text
    assert "向量化 170/1362 段" in text and "剩余 约 4 分 40 秒" in text
    assert "混合检索暂时只用已向量化的段落" in text
