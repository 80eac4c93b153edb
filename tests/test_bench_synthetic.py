"""The bench's synthetic index (evals.bench): written in bulk, it must read back like an
ingested one: the vector mirror equal to Chroma's rows, every chunk searchable, and the
HNSW construction effort the quick bench asked for recorded in Chroma's configuration."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evals import bench
from index.store import IndexStore
from service.wiring import open_searcher


@pytest.mark.parametrize("efc", [None, 32])
def test_synthetic_index_reads_back_like_an_ingested_one(config, efc):
    if config.chroma.host:
        pytest.skip("the bench builds embedded synthetic indexes only")
    vecs = np.random.default_rng(0).normal(size=(50, config_dim(config))).astype(np.float32)
    sentences = bench._corpus_sentences()[:300]
    bench._synthetic(config, 120, sentences, vecs, random.Random(1), ef_construction=efc)

    store = IndexStore(config)
    assert store.mirror is not None, "the bulk-written mirror is current"
    mirror = store.mirror.rows_except(set())
    chroma = store.vectors.rows()
    hnsw = store.vectors._collection.configuration_json["hnsw"]  # noqa: SLF001
    store.close()
    assert sorted(mirror.ids) == sorted(chroma.ids) and len(mirror.ids) >= 120
    by_id = dict(zip(chroma.ids, chroma.vectors, strict=True))
    for vid, v, did in zip(mirror.ids, mirror.vectors, mirror.doc_ids, strict=True):
        assert np.allclose(v, by_id[vid] / np.linalg.norm(by_id[vid]), atol=1e-5)
        assert vid.startswith(did)
    assert hnsw["ef_construction"] == (efc or 100)

    searcher = open_searcher(config)
    assert len(searcher.chunks) == 120
    text = next(iter(searcher.chunks.values())).text[:12]
    assert searcher.search(text, k=3)


def config_dim(config) -> int:
    from service.wiring import embedder_factory

    return len(embedder_factory(config)().embed_queries(["维度"])[0])
