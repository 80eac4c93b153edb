"""`kb eval`: retrieval metrics (and answer metrics when available) per set and mode."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from core.config import Config
from core.text.normalize import normalize_query
from evals.answers import eval_answers
from evals.gold import Copies, GoldLocator, relevant, resolve
from evals.metrics import first_relevant, hit_at, mrr_at, ndcg_at, summarize
from evals.sets import REALDOCS, ROOT, EvalSet, all_sets, materialize_gz_docs

MODES = ("bm25", "vector", "hybrid")
EVAL_ROOT = ROOT / ".kb" / "eval"


def index_sources(name: str) -> list[Path]:
    """What each evaluation index is built from."""
    if name == "corpus":
        return [ROOT / "corpus"]
    gz = materialize_gz_docs(EVAL_ROOT / "gz_docs")
    return [REALDOCS] + ([gz] if gz else [])


def ensure_index(name: str, config: Config, progress: bool = True, settings=None) -> Config:
    """Build (incrementally) the evaluation index `name` and return its config."""
    from evals.embcache import CachingEmbedder
    from service.wiring import embedder_factory, run_ingest

    cfg = replace(config, index_dir=EVAL_ROOT / name)
    emb = CachingEmbedder(embedder_factory(cfg)(), EVAL_ROOT / "embcache.sqlite")
    report = run_ingest(cfg, index_sources(name), progress=progress, embedder=emb,
                        settings=settings)
    if report.changed:
        print(f"[eval] index {name}: +{len(report.added)} ~{len(report.updated)} "
              f"-{len(report.removed)} docs, {report.chunks} chunks", file=sys.stderr)
    return cfg


def eval_retrieval(searcher, es: EvalSet, modes=MODES, k: int = 10) -> dict:
    """Per-mode retrieval metrics for the answerable questions of a set."""
    loc = GoldLocator(searcher.docs)
    resolved = {q.qid: resolve(q, loc, normalize_query) for q in es.questions if q.answerable}
    copies = Copies(searcher.docs, searcher.chunks)
    copied = {qid: copies.of(g) for qid, g in resolved.items()}
    out: dict = {"n_questions": len(es.questions), "missing_gold": list(loc.missing)}
    per_q: dict[str, dict] = {}
    for mode in modes:
        rows = []
        t0 = time.perf_counter()
        for q in es.questions:
            golds = resolved.get(q.qid)
            if not golds:
                continue
            hits = searcher.search(q.question, k=k, mode=mode)
            # Cross-document and two-part questions need every gold; others any one.
            need = len(golds) if q.kind in ("cross", "two_part") else 1
            flags, gains, credited = [], [], set()
            for h in hits:
                gi = relevant(h.chunk, golds, copied[q.qid])
                flags.append(gi is not None)
                new = gi is not None and gi not in credited and len(credited) < need
                gains.append(1.0 if new else 0.0)
                if new:
                    credited.add(gi)
            rows.append({"hit@1": hit_at(flags, 1), "hit@5": hit_at(flags, 5),
                         "hit@10": hit_at(flags, 10), "mrr@10": mrr_at(flags, 10),
                         "ndcg@10": ndcg_at(gains, 10, need)})
            per_q.setdefault(q.qid, {})[mode] = first_relevant(flags)
        out[mode] = summarize(rows) | {"ms_per_query": round(
            1000 * (time.perf_counter() - t0) / max(len(rows), 1), 1)}
    out["ranks"] = per_q
    return out


def format_table(results: dict) -> str:
    """Markdown table: one row per set and mode."""
    lines = ["| set | mode | n | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        for mode in MODES:
            m = r.get(mode)
            if not m or "n" not in m:  # a set with no answerable question has no retrieval
                continue
            lines.append(f"| {name} | {mode} | {m['n']} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | "
                         f"{m['hit@10']:.3f} | {m['mrr@10']:.3f} | {m['ndcg@10']:.3f} |")
    return "\n".join(lines)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_eval(config: Config, names: list[str] | None = None, progress: bool = True) -> dict:
    """Evaluate the named sets (default: all available) and return the results."""
    from service.wiring import make_answerer, open_searcher

    answerer = make_answerer(config)
    sets = [s for s in all_sets() if not names or s.name in names]
    results: dict = {}
    searchers: dict = {}
    for es in sets:
        if es.index not in searchers:
            searchers[es.index] = open_searcher(ensure_index(es.index, config, progress))
        s = searchers[es.index]
        results[es.name] = eval_retrieval(s, es)
        results[es.name]["ask"] = eval_answers(s, es, answerer)
    return results


def run_eval_cli(args, config: Config) -> int:
    """Entry point of `kb eval`."""
    results = run_eval(config, args.sets or None)
    payload = {"date": time.strftime("%Y-%m-%d"), "commit": _commit(), "sets": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1))
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    print(format_table(results))
    for name, r in results.items():
        if r.get("missing_gold"):
            print(f"{name}: {len(r['missing_gold'])} gold passages not found in the index: "
                  f"{', '.join(r['missing_gold'][:10])}")
        if "ask" in r:
            print(f"{name} ask: " + ", ".join(f"{k}={v}" for k, v in r["ask"].items()
                                                if not isinstance(v, (list, dict))))
    print(f"(written to {args.out})")
    return 0
