"""The same index against a real Chroma server (`chroma run`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import load_config
from service.wiring import open_searcher, run_ingest

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "chroma-server"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start within 60 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_search_through_chroma_server(chroma_server, small_corpus, tmp_path,
                                                  embedder):
    env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(chroma_server),
           "KB_COLLECTION": "kb_server_test", "KB_EMBED_MODEL": "hash"}
    config = load_config(env, index_dir=tmp_path / "idx")
    r = run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    assert len(r.added) == 2
    s = open_searcher(config)
    assert not (tmp_path / "idx" / "chroma").exists()  # vectors live in the server
    assert s.store.vectors.count() == len(s.chunks)
    hits = s.search("青年干部社区报到", k=3, mode="vector")
    assert hits and "qingnian" in hits[0].chunk.source
    again = run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    assert again.unchanged == 2 and s.store.vectors.count() == len(s.chunks)
