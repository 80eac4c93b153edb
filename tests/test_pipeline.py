"""Ingest end to end on small real files: incremental, bad input, killed-ingest recovery."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from index.passages import chunk_of
from service.wiring import open_searcher, run_ingest


def _ingest(config, paths, embedder):
    return run_ingest(config, [Path(p) for p in paths], progress=False, embedder=embedder)


def _consistent(config) -> tuple[set[str], set[str]]:
    from index.store import IndexStore

    store = IndexStore(config)
    in_docstore = {c for ids in store.docstore.chunk_ids_by_doc().values() for c in ids}
    return in_docstore, {chunk_of(v) for v in store.vectors.all_ids()}


def test_ingest_search_and_offsets(small_corpus, config, embedder):
    r = _ingest(config, [small_corpus], embedder)
    assert len(r.added) == 2 and not r.skipped
    s = open_searcher(config)
    for c in s.chunks.values():
        assert s.docs[c.doc_id].text[c.start:c.end] == c.text
    # the GBK file was detected and decoded
    speech = next(d for d in s.docs.values() if "qingnian" in d.source)
    assert "青年干部" in speech.text and speech.meta.doc_type == "speech"
    # 文号 in another bracket style + 第X条 pins the article
    hits = s.search("示机工发[2023]12号第三条", k=3)
    assert "40学时" in hits[0].chunk.text
    assert hits[0].chunk.section_label.endswith("第三条")
    # A 文号 picks the document; the rest of the question picks the passage in it.
    hits = s.search("示机工发（2023）12号 新任支部书记多久以内要参加岗前培训", k=3)
    assert "三个月内参加岗前培训" in hits[0].chunk.text
    assert all(h.chunk.doc_id == hits[0].chunk.doc_id for h in hits)
    # The 文号 alone: that document, from its beginning.
    hits = s.search("示机工发〔2023〕12号", k=2)
    assert hits[0].chunk.start == 0 and "示机工发〔2023〕12号" in hits[0].chunk.text
    for mode in ("bm25", "vector", "hybrid"):
        assert s.search("青年干部到社区报到服务", k=3, mode=mode)
    from core.models import Filters

    only_speech = Filters(doc_types=("speech",))
    for mode in ("bm25", "vector", "hybrid"):
        hits = s.search("党务干部培训学时", k=5, mode=mode, filters=only_speech)
        assert hits and {h.chunk.doc_type for h in hits} == {"speech"}
    assert not s.search("党务干部", filters=Filters(year_from=2030))
    assert {h.chunk.doc_id for h in s.search("党务干部", filters=Filters(year_to=2023))} == {
        d.doc_id for d in s.docs.values() if d.meta.date and d.meta.date < "2024"}


def test_reingest_is_noop_then_update_and_delete(small_corpus, config, embedder):
    _ingest(config, [small_corpus], embedder)
    again = _ingest(config, [small_corpus], embedder)
    assert again.unchanged == 2 and not again.changed and again.chunks == 0

    f = small_corpus / "peixun_banfa.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("40学时", "48学时"), encoding="utf-8")
    (small_corpus / "qingnian_jianghua.txt").unlink()
    r = _ingest(config, [small_corpus], embedder)
    assert r.updated == [str(f)] and len(r.removed) == 1
    docstore_ids, vector_ids = _consistent(config)
    assert docstore_ids == vector_ids and docstore_ids
    s = open_searcher(config)
    assert len(s.docs) == 1
    assert "48学时" in s.search("党务干部每年集中培训学时", k=1, mode="bm25")[0].chunk.text
    assert not any("40学时" in c.text for c in s.chunks.values())


def test_bad_files_are_reported_and_skipped(small_corpus, config, embedder):
    (small_corpus / "empty.txt").write_bytes(b"")
    (small_corpus / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not a pdf")
    (small_corpus / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    (small_corpus / "notes.xyz").write_text("x")
    r = _ingest(config, [small_corpus], embedder)
    skipped = dict(r.skipped)
    assert len(r.added) == 2
    for name in ("empty.txt", "binary.txt", "broken.pdf", "broken.docx", "notes.xyz"):
        reason = skipped[str(small_corpus / name)]
        assert reason and "\n" not in reason


KILL_SCRIPT = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from index.store import IndexStore
    from core.config import load_config
    from service.wiring import run_ingest

    real = IndexStore.write_documents
    calls = []

    def dying(self, writes):
        calls.extend(w.doc.source for w in writes)
        if len(calls) == 2:
            # vectors written, docstore not yet: the worst moment to die
            for w in writes:
                self.vectors.delete_doc(w.doc.doc_id)
                self.vectors.add(w.passages, w.vectors)
            os._exit(9)
        real(self, writes)

    IndexStore.write_documents = dying
    run_ingest(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=sys.argv[1]), [Path(sys.argv[2])],
               progress=False)
""")


def test_killed_ingest_recovers(small_corpus, config, embedder, tmp_path):
    root = Path(__file__).resolve().parents[1]
    script = tmp_path / "die.py"
    script.write_text(KILL_SCRIPT)
    p = subprocess.run([sys.executable, str(script), str(config.index_dir), str(small_corpus)],
                       cwd=root, capture_output=True, text=True)
    assert p.returncode == 9, p.stderr
    docstore_ids, vector_ids = _consistent(config)
    assert vector_ids - docstore_ids  # the orphans the kill left behind
    r = _ingest(config, [small_corpus], embedder)
    assert r.repaired[0] > 0
    assert len(r.added) == 1 and r.unchanged == 1
    docstore_ids, vector_ids = _consistent(config)
    assert docstore_ids == vector_ids
    s = open_searcher(config)
    assert len(s.docs) == 2
    assert s.search("青年干部", k=1, mode="vector")


def test_a_chunk_missing_its_last_window_is_embedded_again(tmp_path, config, embedder):
    """Windows-only chunks (index.passages): the vector with the chunk's own id is written
    last, so a write cut before it leaves the document to be redone, not half-embedded."""
    from index.store import IndexStore

    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "gongzuo_baogao.txt").write_text("示例市机关工委工作报告\n\n" + "".join(
        f"第{i}项工作由示例市第{i}个单位牵头落实，按季度报送进展，年底前完成验收。"
        for i in range(1, 21)), encoding="utf-8")
    _ingest(config, [folder], embedder)
    store = IndexStore(config)
    ids = store.vectors.all_ids()
    windowed = sorted({chunk_of(v) for v in ids if chunk_of(v) != v})
    assert windowed, "the test corpus needs a chunk longer than one window"
    assert all(c in ids for c in windowed)  # each ends with its own id
    store.vectors.delete_ids({windowed[0]})  # as if the write stopped before it
    store.close()
    r = _ingest(config, [folder], embedder)
    assert r.repaired == (0, 1) and len(r.updated) == 1
    docstore_ids, vector_ids = _consistent(config)
    assert docstore_ids == vector_ids


def test_embedding_model_mismatch_is_refused(small_corpus, config, embedder):
    from core.errors import IndexMismatchError

    _ingest(config, [small_corpus], embedder)
    other = replace(config, embed_model="/some/other-model")
    with pytest.raises(IndexMismatchError, match="hash/bigram-384"):
        open_searcher(other)


def test_missing_index_is_a_clear_error(tmp_path):
    from core.config import load_config
    from core.errors import IndexNotFoundError

    with pytest.raises(IndexNotFoundError, match="kb ingest"):
        open_searcher(load_config({}, index_dir=tmp_path / "nothing"))


@pytest.mark.slow
def test_real_model_finds_a_paraphrase_by_vectors(small_corpus, real_config, real_embedder):
    """The default model, end to end: a question in the user's own words (no shared
    wording with 第三条 beyond 党务干部) is answered by the vector retriever, where BM25
    alone ranks 第五条 first."""
    _ingest(real_config, [small_corpus], real_embedder)
    s = open_searcher(real_config)
    q = "党务干部一年要学习多长时间"
    assert s.search(q, k=1, mode="vector")[0].chunk.section[-1] == "第三条"
    assert s.search(q, k=1, mode="hybrid")[0].chunk.section[-1] == "第三条"


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.8, 1.6, 2.4, 3.2])
def test_kill_9_of_a_real_ingest_then_one_rerun(tmp_path, config, embedder, after):
    """kill -9 of `kb ingest` at several moments: one re-run leaves no duplicate chunks,
    docstore and vectors agree, and no reading child outlives its parent."""
    import os
    import shutil
    import signal
    import time

    import psutil

    root = Path(__file__).resolve().parents[1]
    docs = tmp_path / "docs"
    shutil.copytree(root / "corpus", docs)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash",
           "PYTHONPATH": str(root)}
    args = [sys.executable, "-m", "cli", "ingest", str(docs), "--index",
            str(config.index_dir), "--no-progress"]
    p = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(after)
    children = psutil.Process(p.pid).children(recursive=True)
    p.send_signal(signal.SIGKILL)
    p.wait()
    psutil.wait_procs(children, timeout=10)
    assert not [c for c in children if c.is_running() and c.status() != "zombie"]
    r = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    from index.store import IndexStore

    store = IndexStore(config)
    by_doc = store.docstore.chunk_ids_by_doc()
    ids = [c for cs in by_doc.values() for c in cs]
    assert len(ids) == len(set(ids))
    assert {chunk_of(v) for v in store.vectors.all_ids()} == set(ids)
    files = [f for f in docs.rglob("*") if f.is_file()]
    assert len(by_doc) == len(files)
