"""`kb bench`: ingest overhead vs the embedder, query latency at scale, cold start, memory.

Scaled indexes are synthetic but varied: chunk texts are new mixes of real
sentences from corpus/, and vectors are noisy mixtures of real passage
embeddings, so BM25 and HNSW both do real work. Only the sample corpus is
embedded for real (embedding 100k chunks would take hours on this CPU).
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.config import Config
from core.models import Chunk, DocMeta, DocType, Document
from evals.ocrbench import bench_ocr
from evals.sets import ROOT, corpus_set


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def bench_ingest(config: Config, workdir: Path) -> dict:
    """Ingest corpus/ into a fresh index; compare with the raw embedder time on the same texts."""
    from index.passages import passages
    from index.store import IndexStore
    from ingest.chunking import ChunkSettings
    from service.wiring import embedder_factory, run_ingest

    cfg = replace(config, index_dir=workdir / "ingest")
    emb = embedder_factory(cfg)()
    emb.embed_passages(["预热"])  # load outside both timings
    report = run_ingest(cfg, [ROOT / "corpus"], rebuild=True, progress=False, embedder=emb)
    store = IndexStore(cfg)
    docs = {d.doc_id: d for d in store.docstore.documents()}
    chunks = store.docstore.chunks(docs)
    window = ChunkSettings().window_chars
    texts = [p.embed_text for c in chunks for p in passages(c, window)]
    t0 = time.perf_counter()
    emb.embed_passages(texts)
    raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = run_ingest(cfg, [ROOT / "corpus"], progress=False, embedder=emb)
    noop = time.perf_counter() - t0
    return {"docs": len(docs), "chunks": len(chunks), "passages": len(texts),
            "ingest_s": round(report.seconds, 2),
            "embed_raw_s": round(raw, 2), "ingest_embed_ratio": round(report.seconds / raw, 3),
            "reingest_noop_s": round(noop, 2), "reingest_unchanged": again.unchanged}


def _synthetic(config: Config, base: Path, size: int, sentences: list[str],
               vectors: np.ndarray, rng: random.Random) -> Config:
    """Build an index of `size` synthetic chunks directly through the store."""
    from index.passages import passages
    from index.store import IndexStore
    from ingest.chunking import ChunkSettings
    from service.wiring import make_tokenizer_for

    window = ChunkSettings().window_chars
    cfg = replace(config, index_dir=base / f"syn{size}")
    store = IndexStore(cfg, create=True)
    nprng = np.random.default_rng(rng.randrange(1 << 30))
    per_doc = 20
    # jieba needs ~15 min for 100k chunks; sentences end in punctuation, so a chunk's
    # tokens are its title's plus its sentences' tokens, computed once per sentence.
    tokenize = make_tokenizer_for(cfg)
    sent_tokens = {i: tokenize(t) for i, t in enumerate(sentences)}
    for d in range(0, size, per_doc):
        parts, spans, pos, picked = [], [], 0, []
        title_tokens = tokenize(f"合成文档{d}")
        for _ in range(min(per_doc, size - d)):
            # 6-14 sentences: about the size of real chunks (max 800 characters), so the
            # vector store holds as many window passages per chunk as a real index.
            idx = rng.sample(range(len(sentences)), k=min(len(sentences), rng.randint(6, 14)))
            text = "".join(sentences[i] for i in idx)
            picked.append(title_tokens + [t for i in idx for t in sent_tokens[i]])
            parts.append(text)
            spans.append((pos, pos + len(text)))
            pos += len(text) + 1
        body = "\n".join(parts)
        doc = Document(doc_id=f"syn{d:07d}", source=f"synthetic/{d}.txt", text=body,
                       meta=DocMeta(title=f"合成文档{d}"), content_hash=str(d))
        chunks = [Chunk(chunk_id=f"syn{d:07d}-{i}", doc_id=doc.doc_id, source=doc.source,
                        title=doc.title, doc_type=DocType.OTHER, section=(), pages=(), start=s,
                        end=e, text=body[s:e]) for i, (s, e) in enumerate(spans)]
        units = [p for c in chunks for p in passages(c, window)]
        mix = nprng.dirichlet(np.ones(3), size=len(units))
        picks = nprng.integers(0, len(vectors), size=(len(units), 3))
        vecs = np.einsum("ij,ijk->ik", mix, vectors[picks])
        vecs += nprng.normal(0, 0.02, vecs.shape)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        store.vectors.add(units, vecs.astype(np.float32))
        store.docstore.put(doc, chunks)
        store.docstore.put_tokens(store.dict_fp, {c.chunk_id: t for c, t in
                                                  zip(chunks, picked, strict=True)})
    return cfg


def bench_latency(config: Config, workdir: Path, sizes: list[int]) -> dict:
    """Query latency p50/p95 (ms) in-process with the index loaded, per index size."""
    from core.text.sentences import split_sentences
    from index.store import IndexStore
    from service.wiring import open_searcher

    rng = random.Random(7)
    src = IndexStore(replace(config, index_dir=workdir / "ingest"))
    docs = list(src.docstore.documents())
    sentences = [d.text[s:e] for d in docs for s, e in split_sentences(d.text)
                 if e - s >= 12]
    got = src.vectors._collection.get(include=["embeddings"], limit=2000)
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    queries = [q.question for q in corpus_set().questions][:60] or ["机关党建"]
    p50, p95 = {}, {}
    for size in sizes:
        cfg = _synthetic(config, workdir, size, sentences, vectors, rng)
        searcher = open_searcher(cfg)
        searcher.search(queries[0])  # warm: embedder load, HNSW into memory
        times = []
        for q in queries:
            t0 = time.perf_counter()
            searcher.search(q, k=10)
            times.append((time.perf_counter() - t0) * 1000)
        p50[str(size)] = round(statistics.median(times), 1)
        p95[str(size)] = round(_pct(times, 95), 1)
        print(f"[bench] {size} chunks: p50 {p50[str(size)]} ms, p95 {p95[str(size)]} ms",
              file=sys.stderr)
    return {"query_p50_ms": p50, "query_p95_ms": p95}


def bench_cold_start(index_dir: Path, runs: int = 3) -> float:
    """Median wall time of `kb search` in a new process until it prints its first result."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli.main", "search", "党支部书记述职评议",
                        "--index", str(index_dir), "-k", "3", "--json"],
                       check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 2)


def run_bench(config: Config, sizes: list[int]) -> dict:
    """All benchmarks; returns the JSON-able result."""
    import platform

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        work = Path(tmp)
        out = bench_ingest(config, work)
        out.update(bench_latency(config, work, sizes))
        out["cold_start_s"] = bench_cold_start(work / "ingest")
        out.update(bench_ocr(work))  # evals.ocrbench: OCR s/page vs the engine alone
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["machine"] = f"{platform.machine()} {platform.processor() or ''} " \
                     f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}"
    out["date"] = time.strftime("%Y-%m-%d")
    return out


def run_bench_cli(args, config: Config) -> int:
    """Entry point of `kb bench`."""
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    result = run_bench(config, sizes)
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0
