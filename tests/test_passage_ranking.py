"""Searcher.passage_ranking: the stored window vectors of the hit chunks, nearest first.

Real ingest, real Chroma (embedded, or the test server under KB_TEST_STORE=server),
the deterministic hash embedder: the window that shares the query's words ranks first.
"""

from __future__ import annotations

from index.passages import passages
from service.wiring import open_searcher, run_ingest

# One long section (one chunk of several 250-character windows), every sentence on its
# own topic so each window has words no other window has.
TOPICS = ["党费交纳", "支部换届", "主题党日", "谈心谈话", "发展党员", "组织关系转接",
          "民主评议", "三会一课", "党员教育培训", "廉政教育", "志愿服务", "档案管理"]
TEXT = "示例市级机关支部工作要点\n\n" + "".join(
    f"关于{t}，各支部要按照要求认真落实{t}的各项工作，{t}情况每季度报机关党委备案，"
    f"{t}工作中发现的问题要及时整改。" for t in TOPICS)


def _searcher(tmp_path, config, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "yaodian.txt").write_text(TEXT, encoding="utf-8")
    run_ingest(config, [docs], progress=False, embedder=embedder)
    return open_searcher(config, make_embedder=lambda: embedder)


def test_the_window_holding_the_asked_topic_ranks_first(tmp_path, config, embedder):
    s = _searcher(tmp_path, config, embedder)
    chunk_ids = list(s.chunks)
    long_chunks = [c for c in chunk_ids if len(passages(s.chunks[c], 250)) > 2]
    assert long_chunks, "the document must give a chunk of several windows"
    for topic in ("组织关系转接", "志愿服务"):
        qv = embedder.embed_queries([f"{topic}有什么要求"])[0]
        ranked = s.passage_ranking(qv, chunk_ids)
        cid, start, end = ranked[0]
        doc = s.docs[s.chunks[cid].doc_id]
        assert topic in doc.text[start:end]
        # every window of the asked chunks is ranked once, and only those
        want = {(p.chunk.chunk_id, p.start, p.end)
                for c in chunk_ids for p in passages(s.chunks[c], 250)}
        assert set(ranked) == want and len(ranked) == len(want)


def test_no_known_chunk_gives_no_ranking(tmp_path, config, embedder):
    s = _searcher(tmp_path, config, embedder)
    qv = embedder.embed_queries(["党费"])[0]
    assert s.passage_ranking(qv, ["no-such-chunk"]) == []
