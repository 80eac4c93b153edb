"""One search process of `kb bench`, measured from its start: memory and latency.

`python -m evals.benchprobe INDEX QUERIES.json` opens the index the way `kb search`
does, then runs a keyword query, loads the embedder, runs a hybrid query and times the
queries: first on the vector mirror (what a one-shot `kb search` uses), then after
loading Chroma's HNSW index (what the app and `kb serve` use once warmed up). It prints
one JSON object: resident memory after each step (MB, so each part's share is the
difference), the process's peak, and query p50/p95 (ms) of both rounds.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path


def _status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status in MB (Linux; None elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Current resident set size of this process (0 where /proc is missing)."""
    return _status_mb("VmRSS") or 0.0


def peak_mb() -> float:
    """Peak resident set size of this process image (VmHWM: ru_maxrss would carry the
    parent's peak over fork and exec on Linux)."""
    found = _status_mb("VmHWM")
    if found is not None:
        return found
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    index, queries_file = Path(sys.argv[1]), Path(sys.argv[2])
    queries = json.loads(queries_file.read_text())
    steps: dict[str, float] = {"python": rss_mb()}
    from core.config import load_config
    from index.searcher import Searcher
    from index.store import IndexStore
    from service.validity_cache import document_validity
    from service.wiring import embedder_factory, make_tokenizer_for

    steps["imports"] = rss_mb()
    t0 = time.perf_counter()
    # service.wiring.open_searcher, step by step
    config = load_config(index_dir=index)
    tokenize = make_tokenizer_for(config)
    steps["tokenizer"] = rss_mb()
    store = IndexStore(config)  # the vector mirror, mapped (or Chroma, loading its HNSW)
    steps["vectors_hnsw"] = rss_mb()
    searcher = Searcher(store, tokenize, embedder_factory(config))
    steps["docs_chunks_bm25"] = rss_mb()
    searcher.set_validity(document_validity(store, searcher.docs))
    steps["validity"] = rss_mb()
    open_s = time.perf_counter() - t0
    # Texts held after opening (index.doctext reads them on first use; `d.text` would
    # read every one of them here)
    docs_text = sum(sys.getsizeof(d.__dict__.get("_text") or "") if "_text" in d.__dict__
                    else sys.getsizeof(d.text) for d in searcher.docs.values())
    table = searcher.chunks
    arrays = sum(a.nbytes for a in (table._doc, table._start, table._end,  # noqa: SLF001
                                    table._section, table._pages))  # noqa: SLF001
    bm25 = searcher._bm25._r.scores  # noqa: SLF001
    parts = {"docs_text_mb": round(docs_text / 2**20, 1),
             "chunk_arrays_mb": round(arrays / 2**20, 1),
             "bm25_matrix_mb_on_disk": round(sum(
                 bm25[k].nbytes for k in ("data", "indices", "indptr") if k in bm25) / 2**20, 1),
             "bm25_mapped": type(bm25.get("data")).__name__ == "memmap",
             "vectors": store.mirror.count() if store.mirror is not None
             else store.vectors.count(),
             "vector_mirror": store.mirror is not None}
    searcher.search(queries[0], k=10, mode="bm25")
    steps["bm25_query"] = rss_mb()
    searcher.embedder.embed_queries(["预热"])
    steps["embedder"] = rss_mb()
    searcher.search(queries[0], k=10)
    steps["hybrid_query"] = rss_mb()
    def timed() -> list[float]:
        out = []
        for q in queries:
            t = time.perf_counter()
            searcher.search(q, k=10)
            out.append((time.perf_counter() - t) * 1000)
        return out

    # First as a one-shot `kb search` answers (the memory-mapped vector mirror), then as
    # the app and `kb serve` do once their background warm-up has loaded Chroma's HNSW.
    first = timed() if store.mirror is not None else []
    steps["mirror_queries"] = rss_mb()
    store.warm_vectors()
    steps["vectors_warmed"] = rss_mb()
    times = timed()
    steps["after_queries"] = rss_mb()
    names = list(steps)
    shares = {b: round(steps[b] - steps[a], 1) for a, b in zip(names, names[1:], strict=False)}
    print(json.dumps({"open_s": round(open_s, 3), "rss_mb": steps, "share_mb": shares,
                      "parts": parts,
                      "peak_rss_mb": peak_mb(),
                      "p50_ms": round(statistics.median(times), 1),
                      "p95_ms": round(_pct(times, 95), 1),
                      "mirror_p50_ms": round(statistics.median(first), 1) if first else None,
                      "mirror_p95_ms": round(_pct(first, 95), 1) if first else None}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
