"""The `kb` command line: ingest, search, ask, doctor, eval, bench.

Heavy modules are imported inside the commands so that `kb search` starts fast.
Domain errors become one clean line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from cli.audit import AUDIT_COMMANDS, add_audit_command
from cli.docs import DOCS_COMMANDS, add_docs_commands, as_of_date
from cli.editorial import EDITORIAL_COMMANDS, add_editorial_commands
from cli.remove import REMOVE_COMMANDS, add_remove_command
from cli.serve import SERVE_COMMANDS, add_serve_commands
from cli.users import USERS_COMMANDS, add_users_commands
from core.config import DEFAULT_INDEX_DIR, load_config
from core.errors import KBError
from core.models import DOC_TYPE_LABELS, LEVELS, LOCAL_USER, SEARCH_MODES, STATUSES
from service.payloads import hit_json  # noqa: F401 - the JSON form, shared with `kb serve`

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never let a model lookup reach the network
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class ChineseParser(argparse.ArgumentParser):
    """argparse with Chinese headings, and mistakes reported as one Chinese line (exit 2)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "用法：", 1)

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: 错误: {_zh_argparse(message)}（查看帮助：{self.prog} -h）\n")


_ARGPARSE_ZH = (
    (r"argument cmd: invalid choice: (\S+) \(choose from (.+)\)", r"无效的命令 \1，应为 \2 之一"),
    (r"the following arguments are required: (.+)", r"缺少参数：\1"),
    (r"argument (\S+): invalid choice: (\S+) \(choose from (.+)\)",
     r"参数 \1 的取值 \2 无效，应为 \3 之一"),
    (r"argument (\S+): invalid int value: (\S+)", r"参数 \1 的取值 \2 无效（应为整数）"),
    (r"argument (\S+): expected one argument", r"参数 \1 需要一个取值"),
    (r"unrecognized arguments: (.+)", r"无法识别的参数：\1"),
    (r"invalid choice: (\S+) \(choose from (.+)\)", r"无效的命令 \1，应为 \2 之一"),
)


def _zh_argparse(message: str) -> str:
    import re

    for pattern, repl in _ARGPARSE_ZH:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, repl, message)
    return message


def printable(text: str) -> str:
    """A name or message made safe for one terminal line (ingest.files.printable)."""
    from ingest.files import printable as shown

    return shown(text)


_INDEX_HELP = f"索引目录（默认：环境变量 KB_INDEX，或 {DEFAULT_INDEX_DIR}）"
_TYPES = "、".join(f"{c}（{label}）" for c, label in DOC_TYPE_LABELS.items())
_TYPES_HELP = f"文档类型，可重复，代码或中文名均可：{_TYPES}"


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", help=_INDEX_HELP)
    p.add_argument("-k", type=int, default=5, help="返回条数（默认 5）")
    p.add_argument("--mode", choices=SEARCH_MODES, default="hybrid",
                   help="检索方式：hybrid 混合（默认）、bm25 关键词、vector 向量")
    p.add_argument("--type", dest="doc_type", action="append", default=[], help=_TYPES_HELP)
    p.add_argument("--year-from", type=int, help="起始年份（含）")
    p.add_argument("--year-to", type=int, help="截止年份（含）")
    p.add_argument("--issuer", help="发文机关包含该文字")
    p.add_argument("--source", help="来源路径以该文件夹开头")
    p.add_argument("--status", dest="statuses", action="append", default=[],
                   choices=STATUSES, help="效力状态（可重复）：" + "、".join(STATUSES))
    p.add_argument("--as-of", help="按该日期（YYYY-MM-DD）判断效力，默认今天")
    p.add_argument("--json", action="store_true", help="输出 JSON")


def build_parser() -> argparse.ArgumentParser:
    ap = ChineseParser(prog="kb", description="机关党建知识库：入库、检索、问答、评测")
    sub = ap.add_subparsers(dest="cmd", required=True, title="命令")

    p = sub.add_parser("ingest", help="导入文件或文件夹（递归）",
                       description="导入文件或文件夹（递归）")
    p.add_argument("paths", nargs="+", type=Path, metavar="路径")
    p.add_argument("--index", help=_INDEX_HELP)
    p.add_argument("--rebuild", action="store_true",
                   help="清空索引后重建（上传文件夹中的文件保留，并一并重新入库）")
    p.add_argument("--no-progress", action="store_true", help="不显示进度条")
    p.add_argument("--no-wait", action="store_true",
                   help="另一个进程正在写入该索引时立即退出，而不是等待")
    p.add_argument("--follow-links", action="store_true",
                   help="跟随指向文件夹之外的符号链接（默认不跟随，并逐个报出）")
    p.add_argument("--visibility", choices=LEVELS,
                   help="这些文件夹/文件中文档的可见级别（记住，重建时沿用；front matter "
                        "或旁注文件中的 visibility 优先；默认 KB_DEFAULT_VISIBILITY，即公开）")

    p = sub.add_parser("doctor", help="检查索引是否完好；--repair 修复能修复的部分",
                       description="检查索引：文档库完整性、向量库、BM25 与文档库是否一致、"
                                   "建库模型与切分参数；--repair 按文档库重建 BM25、按段落重新"
                                   "向量化，文档库损坏时按原文件重建")
    p.add_argument("--index", help=_INDEX_HELP)
    p.add_argument("--repair", action="store_true", help="修复发现的问题")
    p.add_argument("--no-wait", action="store_true",
                   help="另一个进程正在写入该索引时立即退出，而不是等待")

    p = sub.add_parser("search", help="检索；问句为 - 时从标准输入逐行读取",
                       description="检索知识库；问句为 - 时从标准输入逐行读取，"
                                   "每行输出一个 JSON 数组")
    p.add_argument("query", metavar="问句")
    _add_filters(p)
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="高亮命中词：auto（默认，终端中高亮）、always、never")

    p = sub.add_parser("ask", help="提问，回答由逐字引用的原文组成；问题为 - 时从标准输入读取",
                       description="提问：回答只由逐字核对过的原文引用组成，并标注出处")
    p.add_argument("question", metavar="问题")
    _add_filters(p)
    p.add_argument("--docx", type=Path, metavar="文件.docx",
                   help="另存为公文格式的 Word 文档（A4、仿宋三号，出处为脚注）")

    p = sub.add_parser("eval", help="检索与回答评测", description="检索与回答评测")
    p.add_argument("--set", dest="sets", action="append", default=[],
                   help="评测集名称（可重复；默认全部可用的评测集）")
    p.add_argument("--index", help="corpus 评测集使用的索引目录")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--out", type=Path, default=Path("evals/results.json"), help="结果文件")

    p = sub.add_parser("bench", help="性能测试（入库开销、查询延迟、冷启动、内存）",
                       description="性能测试（入库开销、查询延迟、冷启动、内存）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--sizes", default="1000,10000,100000", help="合成索引规模（逗号分隔）")
    p.add_argument("--quick", action="store_true",
                   help="快速模式：只入库语料中的 5 篇文档，少测几种向量化配置（约 10 分钟内）")
    p.add_argument("--fresh", action="store_true",
                   help="重建 .kb/bench/ 下缓存的合成索引，而不是沿用上次的")
    p.add_argument("--out", type=Path, help="结果文件")
    add_editorial_commands(sub)
    add_docs_commands(sub)
    add_remove_command(sub, _INDEX_HELP)
    add_users_commands(sub, _INDEX_HELP)
    add_audit_command(sub, _INDEX_HELP)
    add_serve_commands(sub, _INDEX_HELP)
    return ap


def check_args(args: argparse.Namespace) -> None:
    """Refuse mistakes argparse cannot see (KBError: one Chinese line, exit 2).

    `--type` values are normalised to their codes (the Chinese labels are accepted).
    """
    from core.models import DocType

    if args.cmd == "ingest":
        # A broken link exists as a name: the ingest reports it with its precise reason.
        missing = [printable(str(p)) for p in args.paths if not os.path.lexists(p)]
        if missing:
            raise KBError(f"路径不存在：{'、'.join(missing)}")
    if args.cmd in ("search", "ask"):
        text = args.query if args.cmd == "search" else args.question
        if not text.strip():
            raise KBError("问句为空：请给出要检索或提问的内容（或用 - 从标准输入读取）")
        if args.k < 1:
            raise KBError(f"-k 应为正整数，实际为 {args.k}")
        codes = []
        for t in args.doc_type:
            try:
                codes.append(DocType.parse(t).value)
            except ValueError:
                raise KBError(f"未知的文档类型 {t!r}：应为 {_TYPES}") from None
        args.doc_type = codes
    if hasattr(args, "as_of"):
        args.as_of_date = as_of_date(args.as_of)
    if args.cmd == "ask" and args.docx is not None:
        if args.question == "-":
            raise KBError("--docx 只能用于单个问题，不能与 - （从标准输入读取）同用")
        if not args.docx.parent.is_dir():
            raise KBError(f"文件夹不存在：{printable(str(args.docx.parent))}")


def _filters(args: argparse.Namespace):
    from core.models import Filters

    # Sources are stored as absolute paths: a folder typed relative to here is made so.
    source = os.path.abspath(args.source) if args.source else None
    return Filters(doc_types=tuple(args.doc_type), year_from=args.year_from,
                   year_to=args.year_to, issuer=args.issuer, source_prefix=source,
                   statuses=tuple(args.statuses))


def highlight(text: str, terms: Sequence[str], on: bool) -> str:
    """Mark matched terms (ANSI bold yellow) in a passage."""
    if not on or not terms:
        return text
    import re

    pat = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    return pat.sub(lambda m: f"\x1b[1;33m{m.group(0)}\x1b[0m", text)


def _print_hits(hits, color: bool, labels: dict[str, str], validity=None,
                query: str = "") -> None:
    from core.text.highlight import meaningful_terms

    if not hits:
        print("未找到相关内容。")
        return
    for h in hits:
        c = h.chunk
        v = (validity or {}).get(c.doc_id)
        badge = f"【{v.status}】" if v is not None and not v.in_force else ""
        where = " · ".join(x for x in (
            badge + DOC_TYPE_LABELS.get(c.doc_type, c.doc_type), c.section_label,
            f"第{c.pages[0]}页" if c.pages else "") if x)
        print(f"{h.rank}. 《{printable(c.title)}》 {where}  [{h.score:.4f}]")
        print(f"   {labels.get(c.doc_id) or printable(c.source)}  [{c.start}:{c.end}]")
        body = c.text if len(c.text) <= 300 else c.text[:300] + "……"
        marked = highlight(body, meaningful_terms(query, h.matched_terms), color)
        print("   " + marked.replace("\n", "\n   "))
        print()


def _say(message: str) -> None:
    print(f"kb: {message}", file=sys.stderr, flush=True)


def cmd_ingest(args, config) -> int:
    from service.wiring import run_ingest

    r = run_ingest(config, args.paths, rebuild=args.rebuild, progress=not args.no_progress,
                   wait=not args.no_wait, on_wait=_say, follow_links=args.follow_links,
                   early_lexical=True, visibility=args.visibility)
    from service import audit
    from service.queries import os_user

    audit.record(config, LOCAL_USER, "ingest", paths=[str(p) for p in args.paths],
                 rebuild=args.rebuild, visibility=args.visibility, added=len(r.added),
                 updated=len(r.updated), removed=len(r.removed), skipped=len(r.skipped),
                 via="cli", os_user=os_user())
    for path, reason in r.skipped:
        # Names are printed escaped: a newline or a terminal escape in a file name must
        # not forge a second line or clear the screen.
        print(f"跳过 {printable(path)}: {printable(reason)}", file=sys.stderr)
    for path, page, conf in r.low_confidence:
        print(f"识别置信度低 {printable(path)} 第{page}页（{conf:.2f}）：扫描件文字经 OCR 识别，"
              f"请核对原件", file=sys.stderr)
    print(f"入库完成：新增 {len(r.added)}，更新 {len(r.updated)}，未变 {r.unchanged}，"
          f"删除 {len(r.removed)}，跳过 {len(r.skipped)}，新切分 {r.chunks} 段，"
          f"用时 {r.seconds:.1f} 秒（向量化 {r.embed_seconds:.1f} 秒，"
          f"{r.passages} 个向量段、每秒 {r.passages_per_s:.1f} 个）；索引：{config.index_dir}")
    return 0


def cmd_search(args, config) -> int:
    from service.progress import partial_note
    from service.queries import os_user, search
    from service.relevance import floor_message
    from service.wiring import open_searcher

    searcher = open_searcher(config, as_of=args.as_of_date)
    # The operator of this machine sees everything; each query goes to the audit log.
    who = {"viewer": LOCAL_USER, "via": "cli", "os_user": os_user()}
    filters = _filters(args)
    v = searcher.validity
    if (note := partial_note(config.index_dir)) and args.mode != "bm25":
        _say(note)  # stderr: the JSON on stdout stays as it is
    if args.query == "-":
        for line in sys.stdin:
            q = line.strip()
            hits = search(config, searcher, q, k=args.k, mode=args.mode, filters=filters,
                          **who) if q else []
            print(json.dumps([hit_json(h, v) for h in hits], ensure_ascii=False), flush=True)
        return 0
    hits = search(config, searcher, args.query, k=args.k, mode=args.mode, filters=filters,
                  **who)
    if args.json:
        print(json.dumps([hit_json(h, v) for h in hits], ensure_ascii=False, indent=2))
    elif (floor := floor_message(searcher, args.query, hits)) is not None:
        print(floor)  # nothing relevant (service.relevance); the JSON keeps its hits
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        _print_hits(hits, color, searcher.store.docstore.labels(), v, args.query)
    return 0


def cmd_doctor(args, config) -> int:
    from dataclasses import asdict

    from index.doctor import examine
    from ingest.chunking import ChunkSettings

    settings = asdict(ChunkSettings())
    up = examine(config, settings)
    print(f"检查索引 {config.index_dir}：文档 {up.docs} 篇，段落 {up.chunks} 个，"
          f"向量 {up.vectors} 个")
    for note in up.notes:
        print(f"  提示：{note}")
    for f in up.faults:
        print(f"  问题（{f.part}）：{f.message}")
    if up.healthy:
        print("索引正常。")
        return 0
    if not args.repair:
        fixable = [f for f in up.faults if f.repair]
        if fixable:
            print(f"发现 {len(up.faults)} 处问题；运行 `kb doctor --repair --index "
                  f"{config.index_dir}` 修复")
        else:
            print(f"发现 {len(up.faults)} 处问题，需要按上面的说明处理")
        return 1
    from service.repair import repair

    for line in repair(config, wait=not args.no_wait, on_wait=_say):
        print(f"  已修复：{line}")
    after = examine(config, settings)
    for f in after.faults:
        print(f"  仍有问题（{f.part}）：{f.message}")
    if after.healthy:
        print(f"修复完成，索引正常：文档 {after.docs} 篇，段落 {after.chunks} 个，"
              f"向量 {after.vectors} 个。")
        return 0
    return 1


def cmd_ask(args, config) -> int:
    from cli.ask import run_ask

    return run_ask(args, config, _filters(args))


def cmd_eval(args, config) -> int:
    from evals.harness import run_eval_cli

    return run_eval_cli(args, config)


def cmd_bench(args, config) -> int:
    from evals.bench import run_bench_cli

    return run_bench_cli(args, config)


COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask,
            "doctor": cmd_doctor, "eval": cmd_eval, "bench": cmd_bench, **REMOVE_COMMANDS,
            **SERVE_COMMANDS, **USERS_COMMANDS, **AUDIT_COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kb` console script."""
    args = build_parser().parse_args(argv)
    config = None
    try:
        check_args(args)
        config = load_config(index_dir=getattr(args, "index", None))
        command = COMMANDS.get(args.cmd) or DOCS_COMMANDS.get(args.cmd)
        return (command or EDITORIAL_COMMANDS[args.cmd])(args, config)
    except KBError as exc:
        print(f"kb: 错误: {printable(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage met after the checks at open
        index = config.index_dir if config is not None else DEFAULT_INDEX_DIR
        print(f"kb: 错误: 索引文件损坏（{' '.join(str(exc).split())}）；运行 "
              f"`kb doctor --repair --index {index}` 修复", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kb: 已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kb search … | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a full disk, a folder removed meanwhile: one line, not a trace
        where = f"：{printable(str(exc.filename))}" if exc.filename else ""
        print(f"kb: 错误: 文件读写失败（{exc.strerror or exc}）{where}", file=sys.stderr)
        return 2



if __name__ == "__main__":
    sys.exit(main())
