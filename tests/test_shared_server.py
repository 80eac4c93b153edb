"""One knowledge base shared through a real Chroma server (`chroma run`, index.remote).

Each process has its own empty local folder: everything it answers from comes from the
server. The server is the `chroma_server` fixture (conftest: .ci/run's, or one started
for the session); each test names its own collections.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from core.config import load_config
from core.errors import IndexBusyError, KBError

ROOT = Path(__file__).resolve().parents[1]
QUERIES = {"qingnian": "青年干部社区报到服务", "peixun": "党务干部集中培训学时"}

# What a second process runs: open its (empty) folder, search in each mode, print sources.
SEARCH = """
import json, sys
from core.config import load_config
from service.wiring import open_searcher
config = load_config(index_dir=sys.argv[1])
s = open_searcher(config)
out = {mode: {q: [h.chunk.source for h in s.search(q, k=3, mode=mode)]
              for q in json.loads(sys.argv[2])} for mode in ("hybrid", "bm25", "vector")}
print(json.dumps({"hits": out, "docs": len(s.docs), "chunks": len(s.chunks)}))
"""


def _env(port: int, collection: str | None, **extra: str) -> dict[str, str]:
    env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(port),
           "KB_EMBED_MODEL": "hash", "KB_CHROMA_CHECK_SECONDS": "0", **extra}
    if collection:
        env["KB_COLLECTION"] = collection
    return env


def _proc_env(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    return {**base, **env, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def _kb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=_proc_env(env),
                          capture_output=True, text=True, timeout=300)


def _search_in_new_process(env: dict[str, str], folder: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", SEARCH, str(folder), json.dumps(
        list(QUERIES.values()), ensure_ascii=False)], cwd=ROOT, env=_proc_env(env),
        capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _corpus(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def _assert_finds(result: dict, *, modes=("hybrid", "bm25", "vector")) -> None:
    for mode in modes:
        for want, q in QUERIES.items():
            got = result["hits"][mode][q]
            assert got and want in Path(got[0]).name, (mode, q, got)


def _name() -> str:
    return f"kb_t_{uuid.uuid4().hex[:10]}"


@pytest.mark.slow
@pytest.mark.server
def test_second_process_with_an_empty_folder_finds_what_the_first_ingested(
        chroma_server, small_corpus, tmp_path):
    env = _env(chroma_server, _name())
    r = _kb(env, "ingest", str(small_corpus), "--index", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr[-2000:]
    other = tmp_path / "machine-b" / "index"
    assert not other.exists()
    found = _search_in_new_process(env, other)
    _assert_finds(found)
    assert found["docs"] == 2
    # The second process's answers came from its own folder, filled from the server only.
    assert (other / "docstore.sqlite").is_file() and not (other / "chroma").exists()


@pytest.mark.slow
@pytest.mark.server
def test_a_second_knowledge_base_and_its_rebuild_leave_the_first_findable(
        chroma_server, small_corpus, tmp_path, embedder):
    from service.wiring import open_searcher, run_ingest

    first = load_config(_env(chroma_server, _name()), index_dir=tmp_path / "one")
    run_ingest(first, [small_corpus], progress=False, embedder=embedder)
    n_vectors = open_searcher(first).store.vectors.count()
    other_docs = _corpus(tmp_path / "docs2", {
        "dangfei.txt": "关于党费收缴工作的通知\n\n各党支部应当按月收缴党费，每季度末公布。\n",
        "zhibu.txt": "党支部工作条例学习要点\n\n党支部是党的基础组织，担负直接教育党员的职责。\n"})
    # Another --index folder without KB_COLLECTION: its own collection, derived from it.
    env2 = _env(chroma_server, None)
    second = load_config(env2, index_dir=tmp_path / "two")
    assert second.chroma.collection_for(second.index_dir) != first.chroma.collection
    run_ingest(second, [other_docs], progress=False, embedder=embedder)
    s2 = open_searcher(second)
    assert len(s2.docs) == 2 and "dangfei" in s2.search("党费收缴", k=1)[0].chunk.source

    fresh = tmp_path / "fresh-1"
    found = _search_in_new_process(_env(chroma_server, first.chroma.collection), fresh)
    _assert_finds(found)
    assert found["docs"] == 2
    assert open_searcher(first).store.vectors.count() == n_vectors

    # --rebuild of the second knowledge base deletes its ids only.
    run_ingest(second, [other_docs / "zhibu.txt"], rebuild=True, progress=False,
               embedder=embedder)
    s2 = open_searcher(load_config(env2, index_dir=tmp_path / "two"))
    assert [Path(d.source).name for d in s2.docs.values()] == ["zhibu.txt"]
    fresh2 = tmp_path / "fresh-2"
    found = _search_in_new_process(_env(chroma_server, first.chroma.collection), fresh2)
    _assert_finds(found)
    assert open_searcher(first).store.vectors.count() == n_vectors


@pytest.mark.slow
@pytest.mark.server
def test_a_change_by_one_process_is_seen_by_another_after_reload(
        chroma_server, small_corpus, tmp_path, embedder):
    from service.documents import remove_documents
    from service.wiring import index_generation, open_searcher, run_ingest

    name = _name()
    a = load_config(_env(chroma_server, name), index_dir=tmp_path / "a")
    b = load_config(_env(chroma_server, name), index_dir=tmp_path / "b")
    run_ingest(a, [small_corpus], progress=False, embedder=embedder)
    reader = open_searcher(b)
    seen = index_generation(b)
    assert len(reader.docs) == 2

    extra = _corpus(tmp_path / "more", {"lianzheng.txt": "廉政教育月活动方案\n\n"
                                        "今年九月开展廉政教育月活动，组织观看警示教育片。\n"})
    run_ingest(a, [extra], progress=False, embedder=embedder)
    assert index_generation(b) != seen  # B notices without reading its own folder
    reader = open_searcher(b)
    for mode in ("hybrid", "bm25", "vector"):
        hits = reader.search("廉政教育月警示教育片", k=1, mode=mode)
        assert hits and "lianzheng" in hits[0].chunk.source, mode

    seen = index_generation(b)
    gone = next(d for d, doc in reader.docs.items() if "qingnian" in doc.source)
    remove_documents(a, [gone])
    assert index_generation(b) != seen
    reader = open_searcher(b)
    assert gone not in reader.docs and len(reader.docs) == 2
    assert all("qingnian" not in h.chunk.source
               for h in reader.search("青年干部社区报到", k=5, mode="vector"))


HOLD = """
import sys, time
from core.config import load_config
from service.wiring import writer_lock
with writer_lock(load_config(index_dir=sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.mark.slow
@pytest.mark.server
def test_a_writer_on_another_machine_holds_the_knowledge_base(
        chroma_server, small_corpus, tmp_path, embedder):
    from service.wiring import run_ingest

    env = _env(chroma_server, _name())
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "elsewhere")],
                              cwd=ROOT, env=_proc_env(env), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        config = load_config(env, index_dir=tmp_path / "here")  # another folder: no flock
        with pytest.raises(IndexBusyError, match="写入进程"):
            run_ingest(config, [small_corpus], progress=False, embedder=embedder, wait=False)
    finally:
        holder.kill()
        holder.wait(timeout=20)


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request 401 and keeps its Authorization header."""

    seen: list[str | None] = []

    def _deny(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        body = b'{"error":"Unauthorized","message":"bad token"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _deny

    def log_message(self, *args) -> None:  # quiet
        pass


def test_the_token_is_sent_as_bearer_auth_and_a_refusal_names_it(tmp_path):
    from index.vectors import server_client

    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(server.server_port),
               "KB_CHROMA_TOKEN": "s3cret-token", "KB_COLLECTION": "kb_auth"}
        with pytest.raises(KBError, match="KB_CHROMA_TOKEN"):
            server_client(load_config(env).chroma)
    finally:
        server.shutdown()
    assert "Bearer s3cret-token" in _Recorder.seen
    assert "s3cret-token" not in repr(load_config(env))  # never printed with the config


def test_a_record_round_trip_keeps_every_field_of_documents_and_chunks(small_corpus, config,
                                                                      embedder):
    """Records are built from dataclasses.fields: a field added to Document, DocMeta or
    Chunk (visibility, ocr, …) travels to the server and back without code here."""
    from dataclasses import replace

    from index.remote import parse_record, record_json
    from index.store import IndexStore
    from service.wiring import run_ingest

    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    store = IndexStore(config, vectors=False)
    docs = {d.doc_id: d for d in store.docstore.documents()}
    chunks = store.docstore.chunks(docs)
    store.close()
    doc = next(iter(docs.values()))
    doc = replace(doc, visibility="内部", meta=replace(doc.meta, doc_no="示机工发〔2023〕12号"))
    mine = [replace(c, visibility="内部", ocr=True) for c in chunks if c.doc_id == doc.doc_id]
    tokens = {c.chunk_id: ["党务", "干部"] for c in mine}
    got_doc, got_chunks, label, dict_fp, got_tokens = parse_record(
        record_json(doc, mine, "培训办法.txt", tokens, "fp1"))
    assert got_doc == doc and got_chunks == mine
    assert (label, dict_fp, got_tokens) == ("培训办法.txt", "fp1", tokens)
