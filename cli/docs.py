"""`kb docs list|show`: the documents of an index with their validity and citation links."""

from __future__ import annotations

import argparse
import json
from datetime import date

from core.errors import KBError
from core.models import DOC_TYPE_LABELS, STATUSES, DocType, Validity
from service.payloads import doc_json  # the JSON form, shared with `kb serve`

_INDEX_HELP = "索引目录（默认：环境变量 KB_INDEX，或 .kb/index）"


def as_of_date(value: str | None) -> date | None:
    """`--as-of YYYY-MM-DD` as a date; a wrong value is one Chinese line."""
    from validity.status import parse_as_of

    try:
        return parse_as_of(value)
    except ValueError:
        raise KBError(f"--as-of 应为日期（YYYY-MM-DD），实际为 {value!r}") from None


def add_docs_commands(sub) -> None:
    p = sub.add_parser("docs", help="文档清单：效力状态、引用与被引用",
                       description="列出或查看知识库中的文档，含效力状态（现行有效、已修改、已废止、"
                                   "失效、尚未生效）、施行与有效期、替代文件、引用与被引用")
    dsub = p.add_subparsers(dest="docs_cmd", required=True, title="子命令")
    q = dsub.add_parser("list", help="列出文档")
    q.add_argument("--index", help=_INDEX_HELP)
    q.add_argument("--status", choices=STATUSES, help="只列出该效力状态的文档")
    q.add_argument("--type", dest="doc_type", help="文档类型（代码或中文名）")
    q.add_argument("--as-of", help="按该日期（YYYY-MM-DD）判断效力，默认今天")
    q.add_argument("--json", action="store_true", help="输出 JSON")
    q = dsub.add_parser("show", help="查看一个文档")
    q.add_argument("doc_id", metavar="文档ID")
    q.add_argument("--index", help=_INDEX_HELP)
    q.add_argument("--as-of", help="按该日期（YYYY-MM-DD）判断效力，默认今天")
    q.add_argument("--json", action="store_true", help="输出 JSON")


def cmd_docs(args: argparse.Namespace, config) -> int:
    from service.wiring import open_searcher

    searcher = open_searcher(config, as_of=as_of_date(args.as_of))
    docs, validity = searcher.docs, searcher.validity
    if args.docs_cmd == "show":
        doc = docs.get(args.doc_id) or next(
            (d for d in docs.values() if d.doc_id.startswith(args.doc_id)), None)
        if doc is None:
            raise KBError(f"知识库中没有文档 {args.doc_id}：请用 `kb docs list` 查看文档ID")
        out = doc_json(doc, validity.get(doc.doc_id), docs)
        if args.json:
            print(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            _print_doc(out)
        return 0
    want_type = None
    if args.doc_type:
        try:
            want_type = DocType.parse(args.doc_type)
        except ValueError:
            raise KBError(f"未知的文档类型 {args.doc_type!r}") from None
    rows = [doc_json(d, validity.get(d.doc_id), docs)
            for d in sorted(docs.values(), key=lambda d: (d.meta.doc_type, d.title))
            if (want_type is None or d.meta.doc_type == want_type)
            and (args.status is None or (validity.get(d.doc_id) or Validity(None)).status
                 == args.status)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        status = r["status"] or "—"
        print(f"{r['doc_id']}  【{status}】 《{r['title']}》"
              + (f"（{r['doc_no']}）" if r["doc_no"] else "")
              + f"  {DOC_TYPE_LABELS.get(r['doc_type'], r['doc_type'])}"
              + ("  〔内部〕" if r["visibility"] != "公开" else ""))
    print(f"共 {len(rows)} 篇")
    return 0


def _print_doc(r: dict) -> None:
    print(f"《{r['title']}》" + (f"（{r['doc_no']}）" if r["doc_no"] else ""))
    print(f"效力：{r['status'] or '—'}" + (f"（{r['status_reason']}）" if r["status_reason"]
                                           else ""))
    for key, label in (("effective_from", "施行日期"), ("valid_until", "有效期至"),
                       ("superseded_by", "替代文件"), ("date", "日期"), ("issuer", "发文机关"),
                       ("source", "来源"), ("visibility", "可见级别")):
        if r[key]:
            print(f"{label}：{r[key]}")
    for key, label in (("cites", "引用"), ("cited_by", "被引用")):
        for c in r[key]:
            print(f"{label}：《{c['title']}》" + (f"（{c['doc_no']}）" if c["doc_no"] else ""))


DOCS_COMMANDS = {"docs": cmd_docs}
