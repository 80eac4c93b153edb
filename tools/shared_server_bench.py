"""Measure a shared knowledge base on a Chroma server at size (docs/DEPLOYMENT.md).

    python tools/shared_server_bench.py write --port P --docs 2000 --chunks 50
    python tools/shared_server_bench.py read --port P --index EMPTY_FOLDER

`write` builds a synthetic knowledge base (chunks of real text from tests/conftest.py and
corpus/, a unique number each; random unit vectors, model "hash") straight into an
IndexStore on the server and times the publish. `read` opens a searcher from a local
folder (empty: the whole rebuild from the server) and prints the time of each step and
the peak memory (ru_maxrss) as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import load_config  # noqa: E402


def _env(args) -> dict[str, str]:
    return {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(args.port),
            "KB_COLLECTION": args.collection, "KB_EMBED_MODEL": "hash",
            "HF_HUB_OFFLINE": "1"}


def _paragraphs() -> list[str]:
    from tests.conftest import MEASURE, SPEECH

    texts = [MEASURE, SPEECH]
    for p in (ROOT / "corpus").rglob("*"):
        if p.suffix in (".txt", ".md"):
            texts.append(p.read_text(encoding="utf-8", errors="ignore"))
    paras = [x.strip() for t in texts for x in t.split("\n") if len(x.strip()) >= 20]
    return paras


def write(args) -> None:
    import numpy as np

    from core.models import Chunk, DocMeta, DocType, Document
    from index.passages import Passage
    from index.store import IndexStore, index_text
    from service.wiring import make_tokenizer_for

    config = load_config(_env(args), index_dir=args.index)
    tokenize = make_tokenizer_for(config)
    paras = _paragraphs()
    rng = random.Random(7)
    pool = []  # (text, tokens) of about 300 characters each
    for _ in range(2000):
        text = ""
        while len(text) < 280:
            text += rng.choice(paras)
        pool.append(text[:320])
    t0 = time.perf_counter()
    store = IndexStore(config, create=True)
    dim = 384
    for d in range(args.docs):
        picks = [rng.randrange(len(pool)) for _ in range(args.chunks)]
        parts = [f"{pool[i]}（编号{d}-{k}）" for k, i in enumerate(picks)]
        text = "\n".join(parts)
        doc = Document(doc_id=f"bench{d:06d}", source=f"/bench/doc{d:06d}.txt", text=text,
                       meta=DocMeta(title=f"测试文档{d}", doc_type=DocType.OTHER),
                       content_hash=f"h{d}")
        chunks, at = [], 0
        for k, part in enumerate(parts):
            chunks.append(Chunk(chunk_id=f"{doc.doc_id}:{k}", doc_id=doc.doc_id,
                                source=doc.source, title=doc.title, doc_type=doc.doc_type,
                                section=(), pages=(), start=at, end=at + len(part),
                                text=part))
            at += len(part) + 1
        vecs = np.asarray([rng.gauss(0, 1) for _ in range(dim * len(chunks))],
                          dtype=np.float32).reshape(len(chunks), dim)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        passages = [Passage(vector_id=c.chunk_id, chunk=c, start=c.start, end=c.end)
                    for c in chunks]
        store.replace_document(doc, chunks, passages, vecs)
        store.docstore.put_tokens(store.dict_fp, {c.chunk_id: tokenize(index_text(c))
                                                  for c in chunks})
        if d % 200 == 0:
            print(f"{d} docs {time.perf_counter() - t0:.0f} s", flush=True)
    t1 = time.perf_counter()
    store.close()  # publishes to the server
    t2 = time.perf_counter()
    print(json.dumps({"docs": args.docs, "chunks": args.docs * args.chunks,
                      "write_s": round(t1 - t0, 1), "publish_s": round(t2 - t1, 1)}))


def read(args) -> None:
    t0 = time.perf_counter()
    from index.remote import sync_down

    config = load_config(_env(args), index_dir=args.index)
    fetched = sync_down(config)
    t1 = time.perf_counter()
    rss_sync = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from service.wiring import open_searcher

    s = open_searcher(config)
    t2 = time.perf_counter()
    hits = s.search(args.query, k=5, mode="bm25")
    vhits = s.search(args.query, k=5, mode="vector")
    t3 = time.perf_counter()
    print(json.dumps({"fetched": fetched, "docs": len(s.docs), "chunks": len(s.chunks),
                      "sync_s": round(t1 - t0, 1), "open_s": round(t2 - t1, 1),
                      "first_queries_s": round(t3 - t2, 2), "total_s": round(t3 - t0, 1),
                      "maxrss_after_sync_mb": rss_sync // 1024,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "bm25_hits": len(hits), "vector_hits": len(vhits)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["write", "read"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--collection", default="kb_bench")
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--chunks", type=int, default=50)
    ap.add_argument("--query", default="党务干部集中培训学时")
    args = ap.parse_args()
    write(args) if args.what == "write" else read(args)


if __name__ == "__main__":
    main()
