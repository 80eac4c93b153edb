"""The `kb` command line: ingest, search, ask, eval, bench.

Heavy modules are imported inside the commands so that `kb search` starts fast.
Domain errors become one clean line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.config import DEFAULT_INDEX_DIR, load_config
from core.errors import KBError
from core.models import DOC_TYPE_LABELS, SEARCH_MODES

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never let a model lookup reach the network
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", help=f"index directory (default: $KB_INDEX or {DEFAULT_INDEX_DIR})")
    p.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--mode", choices=SEARCH_MODES, default="hybrid")
    p.add_argument("--type", dest="doc_type", action="append", default=[],
                   help="document type: speech policy handbook case report other (repeatable)")
    p.add_argument("--year-from", type=int)
    p.add_argument("--year-to", type=int)
    p.add_argument("--issuer", help="issuing body contains this text")
    p.add_argument("--source", help="source path starts with this folder")
    p.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kb", description="机关党建知识库")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("ingest", help="ingest files or folders (recursive)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--index", help=f"index directory (default: $KB_INDEX or {DEFAULT_INDEX_DIR})")
    p.add_argument("--rebuild", action="store_true", help="drop the index and rebuild it")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("search", help="search the index; QUERY '-' reads queries from stdin")
    p.add_argument("query")
    _add_filters(p)
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    p = sub.add_parser("ask", help="answer with verified quotes; QUESTION '-' reads stdin")
    p.add_argument("question")
    _add_filters(p)

    p = sub.add_parser("eval", help="retrieval and answer evaluation")
    p.add_argument("--set", dest="sets", action="append", default=[],
                   help="evaluation set name (repeatable; default: all available)")
    p.add_argument("--index", help="index directory for the corpus set")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, default=Path("evals/results.json"))

    p = sub.add_parser("bench", help="speed benchmarks (ingest ratio, latency, cold start)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--out", type=Path)
    return ap


def _filters(args: argparse.Namespace):
    from core.models import Filters

    return Filters(doc_types=tuple(args.doc_type), year_from=args.year_from,
                   year_to=args.year_to, issuer=args.issuer, source_prefix=args.source)


def hit_json(hit) -> dict:
    """The stable JSON form of a search hit."""
    c = hit.chunk
    return {"rank": hit.rank, "score": hit.score, "chunk_id": c.chunk_id, "doc_id": c.doc_id,
            "title": c.title, "doc_type": c.doc_type, "source": c.source,
            "section": c.section_label, "page": c.pages[0] if c.pages else None,
            "start": c.start, "end": c.end, "text": c.text}


def highlight(text: str, terms: Sequence[str], on: bool) -> str:
    """Mark matched terms (ANSI bold yellow) in a passage."""
    if not on or not terms:
        return text
    import re

    pat = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    return pat.sub(lambda m: f"\x1b[1;33m{m.group(0)}\x1b[0m", text)


def _print_hits(hits, color: bool) -> None:
    if not hits:
        print("未找到相关内容。")
        return
    for h in hits:
        c = h.chunk
        where = " · ".join(x for x in (
            DOC_TYPE_LABELS.get(c.doc_type, c.doc_type), c.section_label,
            f"第{c.pages[0]}页" if c.pages else "") if x)
        print(f"{h.rank}. 《{c.title}》 {where}  [{h.score:.4f}]")
        print(f"   {c.source}  [{c.start}:{c.end}]")
        body = c.text if len(c.text) <= 300 else c.text[:300] + "……"
        print("   " + highlight(body, h.matched_terms, color).replace("\n", "\n   "))
        print()


def cmd_ingest(args, config) -> int:
    from service.wiring import run_ingest

    r = run_ingest(config, args.paths, rebuild=args.rebuild, progress=not args.no_progress)
    for path, reason in r.skipped:
        print(f"跳过 {path}: {reason}", file=sys.stderr)
    print(f"入库完成：新增 {len(r.added)}，更新 {len(r.updated)}，未变 {r.unchanged}，"
          f"删除 {len(r.removed)}，跳过 {len(r.skipped)}，新切分 {r.chunks} 段，"
          f"用时 {r.seconds:.1f} 秒（向量化 {r.embed_seconds:.1f} 秒）；索引：{config.index_dir}")
    return 0


def cmd_search(args, config) -> int:
    from service.wiring import open_searcher

    searcher = open_searcher(config)
    filters = _filters(args)
    if args.query == "-":
        for line in sys.stdin:
            q = line.strip()
            hits = searcher.search(q, k=args.k, mode=args.mode, filters=filters) if q else []
            print(json.dumps([hit_json(h) for h in hits], ensure_ascii=False), flush=True)
        return 0
    hits = searcher.search(args.query, k=args.k, mode=args.mode, filters=filters)
    if args.json:
        print(json.dumps([hit_json(h) for h in hits], ensure_ascii=False, indent=2))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        _print_hits(hits, color)
    return 0


def cmd_ask(args, config) -> int:
    from cli.ask import run_ask

    return run_ask(args, config, _filters(args))


def cmd_eval(args, config) -> int:
    from evals.harness import run_eval_cli

    return run_eval_cli(args, config)


def cmd_bench(args, config) -> int:
    from evals.bench import run_bench_cli

    return run_bench_cli(args, config)


COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "eval": cmd_eval,
            "bench": cmd_bench}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kb` console script."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(index_dir=getattr(args, "index", None))
        return COMMANDS[args.cmd](args, config)
    except KBError as exc:
        print(f"kb: 错误: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kb: 已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
