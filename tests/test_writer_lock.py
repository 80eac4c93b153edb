"""One writer at a time: the inter-process writer lock, waiting and --no-wait, readers that
never block, the generation token; two concurrent `kb ingest` runs lose nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.config import load_config
from core.errors import IndexBusyError
from index.lock import WriterLock, generation, held_by_me, try_writer_lock
from index.passages import chunk_of
from service.wiring import open_searcher, run_ingest
from tests.conftest import FAKE_ENV

# Real processes, app sessions or stores on disk: the `make test` tier, not `test-fast`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOLD = """
import sys, time
from pathlib import Path
from index.lock import WriterLock
lock = WriterLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash",
            "PYTHONPATH": str(ROOT)}


@pytest.fixture()
def holder(config):
    """Another process holding the writer lock of `config.index_dir` until killed."""
    procs = []

    def start(seconds: float = 120.0) -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-c", HOLD, str(config.index_dir), str(seconds)],
                             cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "held"
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def _kb(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_no_wait_fails_fast_with_one_chinese_line(small_corpus, config, holder):
    holder()
    p = _kb("ingest", str(small_corpus), "--index", str(config.index_dir), "--no-progress",
            "--no-wait")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert err.count("\n") == 1 and "正在被另一个写入进程使用" in err and "--no-wait" in err
    assert "Traceback" not in err


def test_a_second_writer_waits_and_says_so_then_proceeds(small_corpus, config, embedder,
                                                         holder):
    h = holder()
    told: list[str] = []
    done = threading.Event()
    result = {}

    def write() -> None:
        result["report"] = run_ingest(config, [small_corpus], progress=False,
                                      embedder=embedder, on_wait=told.append)
        done.set()

    t = threading.Thread(target=write)
    t.start()
    assert not done.wait(1.0)  # still waiting for the other process
    assert len(told) == 1 and "等待其完成" in told[0]
    h.send_signal(signal.SIGKILL)  # a killed writer leaves no stale lock
    t.join(timeout=120)
    assert done.is_set() and len(result["report"].added) == 2


def test_readers_never_block_on_a_writer(small_corpus, config, embedder, holder):
    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    shutil.rmtree(config.index_dir / "bm25")  # the reader must rebuild it, without saving
    holder()
    s = open_searcher(config)
    assert s.search("青年干部", k=1, mode="bm25") and s.search("青年干部", k=1, mode="vector")
    assert not (config.index_dir / "bm25").exists()  # saving needs the (busy) lock
    assert try_writer_lock(config.index_dir) is None


def test_the_lock_excludes_threads_and_is_reentrant(tmp_path):
    idx = tmp_path / "idx"
    lock = WriterLock(idx)
    lock.acquire()
    again = WriterLock(idx)
    again.acquire()  # the same thread: re-entrant (a repair running an ingest)
    assert held_by_me(idx)
    failed: list[BaseException] = []

    def other() -> None:
        assert not held_by_me(idx)
        try:
            WriterLock(idx, wait=False).acquire()
        except IndexBusyError as exc:
            failed.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert failed and "正在被另一个写入进程使用" in str(failed[0])
    again.release()
    lock.release()
    assert not held_by_me(idx)
    free = try_writer_lock(idx)
    assert free is not None
    free.release()


def test_generation_changes_only_when_the_index_does(small_corpus, config, embedder):
    assert generation(config.index_dir) is None
    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    first = generation(config.index_dir)
    assert first is not None
    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    assert generation(config.index_dir) == first  # nothing changed
    (small_corpus / "peixun_banfa.txt").unlink()
    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    assert generation(config.index_dir) not in (None, first)


@pytest.mark.slow
def test_two_concurrent_cli_ingests_lose_nothing(tmp_path, holder, config):
    """Issue 10's bar: two `kb ingest` runs at once on different folders; afterwards every
    document of both is found in bm25 and in vector mode."""
    folders = []
    for name in ("measures", "speeches"):
        d = tmp_path / name
        shutil.copytree(ROOT / "corpus" / name, d)
        folders.append(d)
    idx = str(config.index_dir)
    h = holder()  # both start while a third writer holds the lock: they must contend
    runs = [_kb("ingest", str(d), "--index", idx, "--no-progress") for d in folders]
    h.send_signal(signal.SIGKILL)
    outs = [p.communicate(timeout=600) for p in runs]
    for p, (out, err) in zip(runs, outs, strict=True):
        assert p.returncode == 0, err
        assert "删除 0" in out and "跳过 0" in out
    assert sum("等待其完成" in err for _, err in outs) >= 1
    cfg = load_config(FAKE_ENV, index_dir=idx)
    s = open_searcher(cfg)
    files = sorted(str(f) for d in folders for f in d.iterdir() if f.is_file())
    assert sorted(d.source for d in s.docs.values()) == files
    in_vectors = {chunk_of(v) for v in s.store.vectors.all_ids()}
    assert in_vectors == set(s.chunks)
    for doc in s.docs.values():
        q = doc.title
        assert doc.doc_id in {h.chunk.doc_id for h in s.search(q, k=10, mode="bm25")}, q
        assert doc.doc_id in {h.chunk.doc_id for h in s.search(q, k=10, mode="vector")}, q


def test_vectors_briefly_missing_during_a_write_are_not_a_fault(small_corpus, config, embedder,
                                                                holder):
    """A writer replacing a document deletes its vectors before adding the new ones; a
    reader opening at that moment must not report damage (it does once the writer is gone)."""
    from core.errors import StoreDamagedError
    from index.lock import writer_active
    from index.store import IndexStore

    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    store = IndexStore(config, create=True)
    store.vectors.delete_ids(next(iter(store.docstore.chunk_ids_by_doc().values())))
    store.close()
    assert not writer_active(config.index_dir)
    with pytest.raises(StoreDamagedError, match="向量库缺少向量"):
        open_searcher(config)
    h = holder()
    assert writer_active(config.index_dir)
    assert open_searcher(config).search("青年干部", k=1, mode="bm25")
    h.send_signal(signal.SIGKILL)
    h.wait()
    assert not writer_active(config.index_dir)


def test_an_index_being_rebuilt_is_busy_not_damaged(small_corpus, config, embedder, holder):
    from core.errors import IndexNotFoundError, StoreDamagedError
    from index.store import IndexStore

    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    h = holder()
    IndexStore.wipe(config.index_dir)  # what a rebuild does first, under the lock
    with pytest.raises(IndexBusyError, match="正在被另一个进程写入"):
        open_searcher(config)
    h.send_signal(signal.SIGKILL)
    h.wait()
    with pytest.raises(IndexNotFoundError):
        open_searcher(config)
    assert not issubclass(IndexBusyError, StoreDamagedError)
