"""The same index against a real Chroma server (`chroma run`; the `chroma_server` fixture
of conftest: .ci/run's server, or one started for the session)."""

from __future__ import annotations

import uuid

import pytest

from core.config import load_config
from service.wiring import open_searcher, run_ingest

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_ingest_and_search_through_chroma_server(chroma_server, small_corpus, tmp_path,
                                                  embedder):
    env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(chroma_server),
           "KB_COLLECTION": f"kb_server_{uuid.uuid4().hex[:10]}", "KB_EMBED_MODEL": "hash"}
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
