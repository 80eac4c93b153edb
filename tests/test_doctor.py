"""Damaged or foreign stores are detected at open and by `kb doctor`, explained in one
Chinese line with the repairing command, and `kb doctor --repair` restores them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import StoreDamagedError
from index.doctor import FROM_CHUNKS, FROM_DOCSTORE, FROM_SOURCES, examine
from index.store import IndexStore
from service.repair import repair
from service.wiring import open_searcher, run_ingest

# Real processes, app sessions or stores on disk: the `make test` tier, not `test-fast`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _kb(*args: str, user: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash",
           "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "cli", *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
        env["HOME"] = "/tmp"
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture()
def built(small_corpus, config, embedder):
    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    return config


def _truncate(path: Path, fraction: float = 0.5) -> None:
    os.truncate(path, int(path.stat().st_size * fraction))


def _searchable(config) -> None:
    s = open_searcher(config)
    assert len(s.docs) == 2
    assert s.search("青年干部", k=1, mode="bm25") and s.search("青年干部", k=1, mode="vector")


def test_truncated_docstore_one_line_then_repair_restores(built, embedder):
    """Issue 10's bar (the CLI half is test_truncated_docstore_with_the_cli)."""
    db = built.index_dir / "docstore.sqlite"
    IndexStore(built).docstore.checkpoint()
    _truncate(db)
    with pytest.raises(StoreDamagedError) as info:
        open_searcher(built)
    msg = str(info.value)
    assert "\n" not in msg and "文档库" in msg and "kb doctor --repair" in msg
    up = examine(built)
    assert up.needs(FROM_SOURCES)
    done = repair(built, embedder=embedder)
    assert done and "重建" in done[0]
    assert list(built.index_dir.glob("docstore.sqlite.damaged-*"))  # kept for inspection
    assert examine(built).healthy
    _searchable(built)


@pytest.mark.slow
def test_truncated_docstore_with_the_cli(built):
    db = built.index_dir / "docstore.sqlite"
    IndexStore(built).docstore.checkpoint()
    _truncate(db)
    idx = str(built.index_dir)
    p = _kb("search", "青年干部", "--index", idx)
    assert p.returncode != 0 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert f"kb doctor --repair --index {idx}" in p.stderr
    d = _kb("doctor", "--index", idx)
    assert d.returncode == 1 and "文档库" in d.stdout and "Traceback" not in d.stderr
    fixed = _kb("doctor", "--repair", "--index", idx)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "修复完成，索引正常" in fixed.stdout
    ok = _kb("search", "青年干部", "--index", idx, "--json")
    assert ok.returncode == 0 and "青年干部" in ok.stdout


def test_empty_docstore_is_a_fault_not_an_empty_answer(built, embedder):
    db = built.index_dir / "docstore.sqlite"
    for f in built.index_dir.glob("docstore.sqlite*"):
        f.unlink()
    db.write_bytes(b"")
    with pytest.raises(StoreDamagedError, match="空文件"):
        open_searcher(built)
    repair(built, embedder=embedder)
    _searchable(built)


def test_missing_vector_store_is_reported_not_bm25_only(built, embedder):
    shutil.rmtree(built.index_dir / "chroma")
    with pytest.raises(StoreDamagedError, match="向量库不存在"):
        open_searcher(built)
    assert (built.index_dir / "chroma").exists() is False  # a reader creates nothing
    up = examine(built)
    assert up.needs(FROM_CHUNKS) and not up.needs(FROM_SOURCES)
    done = repair(built, embedder=embedder)
    assert any("向量库已重建" in d for d in done)
    assert examine(built).healthy
    _searchable(built)


def test_damaged_vector_store_is_rebuilt_from_chunks(built, embedder):
    _truncate(built.index_dir / "chroma" / "chroma.sqlite3", 0.3)
    if not built.chroma.host:
        # Readers search the vector mirror (index.vecmirror) and never open Chroma: they
        # keep answering from the copy; `kb doctor` and the next writer find the damage.
        assert open_searcher(built).search("青年干部", k=1, mode="vector")
        assert not examine(built).healthy
        shutil.rmtree(built.index_dir / "vecmirror")
    with pytest.raises(StoreDamagedError, match="向量库"):
        open_searcher(built)
    repair(built, embedder=embedder)
    assert examine(built).healthy
    _searchable(built)


def test_missing_and_orphan_vectors_are_repaired_without_the_sources(built, embedder,
                                                                    small_corpus):
    store = IndexStore(built, create=True)
    one_doc = next(iter(store.docstore.chunk_ids_by_doc().values()))
    store.vectors.delete_ids(one_doc)
    store.close()
    shutil.rmtree(small_corpus)  # re-embedding needs the stored chunks only
    up = examine(built)
    assert up.missing_vectors and up.needs(FROM_CHUNKS)
    assert any("原文件已不在原处" in n for n in up.notes)
    repair(built, embedder=embedder)
    assert examine(built).healthy
    _searchable(built)


def test_bm25_from_another_index_is_detected_and_rebuilt(built, tmp_path, embedder):
    from tests.appdocs import build_index

    other = build_index(tmp_path / "other", embedder=embedder)
    bm25 = built.index_dir / "bm25"
    ids = (bm25 / "ids.json").read_bytes()

    def swap() -> None:
        shutil.rmtree(bm25)
        shutil.copytree(other / "bm25", bm25)
        (bm25 / "ids.json").write_bytes(ids)  # the fingerprint matches, the matrix does not

    swap()
    assert examine(built).needs(FROM_DOCSTORE)
    done = repair(built, embedder=embedder)
    assert any("BM25" in d for d in done)
    assert examine(built).healthy
    swap()
    _searchable(built)  # a reader rebuilds it instead of failing (and saves it: lock free)
    assert examine(built).healthy


def test_a_foreign_model_is_not_repaired_but_explained(built):
    from dataclasses import replace

    other = replace(built, embed_model="/some/other-model")
    up = examine(other)
    assert up.faults and not up.faults[0].repair and "KB_EMBED_MODEL" in up.faults[0].message


@pytest.mark.slow
def test_read_only_index_can_be_searched(built, small_corpus):
    """As another user (root ignores permissions), on an index nobody may write."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot drop write permission")
    import tempfile

    IndexStore(built).docstore.checkpoint()
    root = Path(tempfile.mkdtemp(prefix="kb-readonly-test-"))
    try:
        shutil.copytree(built.index_dir, root / "index")
        shutil.copytree(small_corpus, root / "docs")
        for p in [root, *root.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        user = 65534 if os.geteuid() == 0 else None  # nobody
        idx = str(root / "index")
        p = _kb("search", "青年干部", "--index", idx, "--json", user=user)
        assert p.returncode == 0, p.stderr
        assert "青年干部" in p.stdout
        w = _kb("ingest", str(root / "docs"), "--index", idx, user=user)
        assert w.returncode == 2 and "不可写" in w.stderr and "Traceback" not in w.stderr
    finally:
        for p in [root, *root.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(root)
