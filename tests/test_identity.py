"""Stable document identity: absolute sources, removal judged by absolute path, uploads that
survive --rebuild, two uploads with the same name are two documents, explicit replacement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_config
from service.uploads import save_upload
from service.wiring import open_searcher, run_ingest
from tests.conftest import FAKE_ENV, MEASURE, SPEECH

# Real processes, app sessions or stores on disk: the `make test` tier, not `test-fast`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTICE_A = "关于开展读书月活动的通知\n\n各党支部在四月组织读书分享会，每名党员至少读一本书。\n"
NOTICE_B = "关于做好防汛值班工作的通知\n\n汛期各单位实行二十四小时值班，值班人员不得脱岗。\n"


def _ingest(config, paths, embedder, **kw):
    return run_ingest(config, [Path(p) for p in paths], progress=False, embedder=embedder, **kw)


def _kb(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _two_folders(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "work" / "a" / "docs", tmp_path / "work" / "b" / "docs"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (a / "peixun.txt").write_text(MEASURE, encoding="utf-8")
    (a / "jianghua.txt").write_text(SPEECH, encoding="utf-8")
    (b / "tongzhi.txt").write_text(NOTICE_A, encoding="utf-8")
    return a, b


def test_relative_folders_from_two_directories_in_process(tmp_path, monkeypatch, embedder):
    a, b = _two_folders(tmp_path)
    config = load_config(FAKE_ENV, index_dir=tmp_path / "idx")
    monkeypatch.chdir(a.parent)
    assert len(_ingest(config, ["docs"], embedder).added) == 2
    monkeypatch.chdir(b.parent)
    r = _ingest(config, ["docs"], embedder)
    assert len(r.added) == 1 and not r.removed
    assert len(open_searcher(config).docs) == 3


@pytest.mark.slow
def test_second_folder_from_another_directory_removes_nothing(tmp_path):
    """Issue 10's bar, with the real CLI: `kb ingest docs` in a/, then in b/ (relative)."""
    a, b = _two_folders(tmp_path)
    idx = str(tmp_path / "idx")
    first = _kb("ingest", "docs", "--index", idx, "--no-progress", cwd=a.parent)
    assert first.returncode == 0 and "新增 2" in first.stdout, first.stderr
    second = _kb("ingest", "docs", "--index", idx, "--no-progress", cwd=b.parent)
    assert second.returncode == 0, second.stderr
    assert "新增 1" in second.stdout and "删除 0" in second.stdout
    s = open_searcher(load_config(FAKE_ENV, index_dir=idx))
    assert sorted(Path(d.source) for d in s.docs.values()) == sorted(
        [a / "jianghua.txt", a / "peixun.txt", b / "tongzhi.txt"])
    assert all(Path(d.source).is_absolute() for d in s.docs.values())
    # Shown relative to the folder they were ingested from.
    assert set(s.store.docstore.labels().values()) == {
        "docs/jianghua.txt", "docs/peixun.txt", "docs/tongzhi.txt"}
    # Re-ingesting a/docs from elsewhere, with a deleted file: only a's file goes.
    (a / "jianghua.txt").unlink()
    third = _kb("ingest", str(a), "--index", idx, "--no-progress", cwd=tmp_path)
    assert "删除 1" in third.stdout and "未变 1" in third.stdout, third.stdout
    s = open_searcher(load_config(FAKE_ENV, index_dir=idx))
    assert {Path(d.source).name for d in s.docs.values()} == {"peixun.txt", "tongzhi.txt"}


def test_relative_sources_of_an_older_index_are_never_removed_on_a_guess(
        small_corpus, config, embedder, tmp_path, monkeypatch):
    _ingest(config, [small_corpus], embedder)
    from index.store import IndexStore

    store = IndexStore(config, create=True)
    did = next(iter(store.docstore.sources()))
    store.docstore.set_source(did, "docs/peixun_banfa.txt", "")  # as stored before issue 10
    store.close()
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text(NOTICE_A, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "other")
    r = _ingest(config, [other], embedder)
    assert not r.removed and len(r.added) == 1
    # Ingesting the document's folder again gives it its absolute path back.
    r = _ingest(config, [small_corpus], embedder)
    assert not r.removed and r.unchanged == 2
    sources = IndexStore(config).docstore.sources()
    assert all(Path(s).is_absolute() for s in sources.values())


def test_two_uploads_with_one_name_are_two_documents(config, embedder):
    a = save_upload(config, "通知.txt", NOTICE_A.encode())
    b = save_upload(config, "通知.txt", NOTICE_B.encode())
    again = save_upload(config, "通知.txt", NOTICE_A.encode())
    assert a != b and again == a and a.name == b.name == "通知.txt"
    assert not a.is_relative_to(config.index_dir)  # outside the index
    r = _ingest(config, [a], embedder)
    r2 = _ingest(config, [b], embedder)
    assert len(r.added) == 1 and len(r2.added) == 1 and not r2.removed
    s = open_searcher(config)
    assert len(s.docs) == 2
    assert set(s.store.docstore.labels().values()) == {"通知.txt"}
    for q, want in (("读书分享会", "读书月"), ("防汛值班", "防汛")):
        assert want in s.search(q, k=1, mode="bm25")[0].chunk.title
        assert want in s.search(q, k=1, mode="vector")[0].chunk.title


def test_rebuild_keeps_and_reingests_uploads(small_corpus, config, embedder):
    up = save_upload(config, "通知.txt", NOTICE_A.encode())
    _ingest(config, [small_corpus], embedder)
    _ingest(config, [up], embedder)
    r = _ingest(config, [small_corpus], embedder, rebuild=True)
    assert up.is_file()
    assert len(r.added) == 3
    s = open_searcher(config)
    assert any(d.source == str(up) for d in s.docs.values())
    # The record of what was ingested (for a repair) names the folder, not the uploads.
    recorded = json.loads((config.index_dir / "ingested.json").read_text(encoding="utf-8"))
    assert recorded == [str(small_corpus)]


def test_uploads_of_the_old_layout_are_moved_before_a_rebuild(small_corpus, config, embedder):
    legacy = config.index_dir / "uploads"
    legacy.mkdir(parents=True)
    (legacy / "通知.txt").write_text(NOTICE_A, encoding="utf-8")
    r = _ingest(config, [small_corpus], embedder, rebuild=True)
    assert len(r.added) == 3 and not legacy.exists()
    moved = list(config.uploads.glob("*/通知.txt"))
    assert len(moved) == 1
    assert any(d.source == str(moved[0]) for d in open_searcher(config).docs.values())


def test_replacing_an_upload_is_explicit_and_keeps_the_old_one_on_failure(config, embedder):
    from service.documents import replace_upload

    a = save_upload(config, "通知.txt", NOTICE_A.encode())
    _ingest(config, [a], embedder)
    old_id = next(iter(open_searcher(config).docs))
    bad = replace_upload(config, old_id, "通知.txt", b"", embedder=embedder)
    assert bad.skipped and old_id in open_searcher(config).docs and a.is_file()
    r = replace_upload(config, old_id, "通知.txt", NOTICE_B.encode(), embedder=embedder)
    assert r.removed == [str(a)] and not a.exists()
    s = open_searcher(config)
    assert len(s.docs) == 1 and old_id not in s.docs
    assert "防汛" in next(iter(s.docs.values())).title


def test_a_folder_document_cannot_be_replaced_from_the_app(small_corpus, config, embedder):
    from core.errors import KBError
    from service.documents import replace_upload

    _ingest(config, [small_corpus], embedder)
    did = next(iter(open_searcher(config).docs))
    with pytest.raises(KBError, match="只有上传的文档"):
        replace_upload(config, did, "x.txt", NOTICE_A.encode(), embedder=embedder)


def test_old_layout_uploads_move_on_an_ordinary_ingest(small_corpus, config, embedder):
    legacy = config.index_dir / "uploads"
    legacy.mkdir(parents=True)
    (legacy / "通知.txt").write_text(NOTICE_A, encoding="utf-8")
    from index.store import IndexStore
    from ingest.chunking import ChunkSettings
    from service.ingestion import ingest
    from service.wiring import make_tokenizer_for

    store = IndexStore(config, create=True)  # how the app stored uploads before issue 10
    ingest([legacy], store, embedder, make_tokenizer_for(config), ChunkSettings(),
           progress=False)
    store.close()
    old_sources = set(open_searcher(config).store.docstore.sources().values())
    assert old_sources == {str(legacy / "通知.txt")}
    r = _ingest(config, [small_corpus], embedder)
    assert r.removed == [str(legacy / "通知.txt")] and len(r.added) == 3
    s = open_searcher(config)
    moved = [d.source for d in s.docs.values() if Path(d.source).name == "通知.txt"]
    assert len(moved) == 1 and Path(moved[0]).is_relative_to(config.uploads)
    assert "读书" in s.search("读书分享会", k=1, mode="bm25")[0].chunk.title
    assert s.store.bm25_fits()
