"""One search process of `kb bench`, measured from its start: memory and latency.

`python -m evals.benchprobe INDEX QUERIES.json` opens the index the way `kb search`
does, then runs a keyword query, loads the embedder, runs a hybrid query and times the
queries. It prints one JSON object: resident memory after each step (MB, so each
part's share is the difference), the process's peak, and query p50/p95 (ms).
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path


def rss_mb() -> float:
    """Current resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def peak_mb() -> float:
    """Peak resident set size of this process image (VmHWM: ru_maxrss would carry the
    parent's peak over fork and exec on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    index, queries_file = Path(sys.argv[1]), Path(sys.argv[2])
    queries = json.loads(queries_file.read_text())
    steps: dict[str, float] = {"python": rss_mb()}
    from core.config import load_config
    from service.wiring import open_searcher

    steps["imports"] = rss_mb()
    t0 = time.perf_counter()
    searcher = open_searcher(load_config(index_dir=index))
    open_s = time.perf_counter() - t0
    steps["opened"] = rss_mb()
    searcher.search(queries[0], k=10, mode="bm25")
    steps["bm25_query"] = rss_mb()
    searcher.embedder.embed_queries(["预热"])
    steps["embedder"] = rss_mb()
    searcher.search(queries[0], k=10)
    steps["hybrid_query"] = rss_mb()
    times = []
    for q in queries:
        t = time.perf_counter()
        searcher.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    steps["after_queries"] = rss_mb()
    names = list(steps)
    shares = {b: round(steps[b] - steps[a], 1) for a, b in zip(names, names[1:], strict=False)}
    print(json.dumps({"open_s": round(open_s, 3), "rss_mb": steps, "share_mb": shares,
                      "peak_rss_mb": peak_mb(),
                      "p50_ms": round(statistics.median(times), 1),
                      "p95_ms": round(_pct(times, 95), 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
