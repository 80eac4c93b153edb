"""`kb audit [--user U] [--since DATE] [--action A] [--json]`: read the audit log."""

from __future__ import annotations

import argparse
import json

from core.errors import KBError

_SHOWN = ("query", "file", "name", "op", "format", "what", "issue", "via", "os_user")


def add_audit_command(sub, index_help: str) -> None:
    from service.audit import ACTION_LABELS, ACTIONS

    kinds = "、".join(f"{a}（{ACTION_LABELS[a]}）" for a in ACTIONS)
    p = sub.add_parser("audit", help="查看审计日志：谁在何时检索、提问、导出、上传、删除了什么",
                       description="查看审计日志（按时间先后）：检索、提问、导出、上传、删除、"
                                   "入库、登录与账号管理。日志保存在索引目录的 deploy.sqlite 中"
                                   "（Chroma 服务模式下保存在服务器上，各机器共用一份），"
                                   "重建索引不会删除它。")
    p.add_argument("--user", help="只看该用户（命令行操作记为“本机用户”）")
    p.add_argument("--since", help="从该日期（YYYY-MM-DD，本机时区零点）或时间起")
    p.add_argument("--action", choices=ACTIONS, help=f"只看该类操作：{kinds}")
    p.add_argument("--limit", type=int, help="只显示最近的 N 条")
    p.add_argument("--json", action="store_true", help="每条一个 JSON 对象的数组输出")
    p.add_argument("--index", help=index_help)


def _summary(detail: dict) -> str:
    from ingest.files import printable

    parts = []
    for key in _SHOWN:
        if detail.get(key) not in (None, ""):
            value = detail[key]
            parts.append(f"“{value}”" if key == "query" else f"{key}={value}")
    for key in ("hits", "refused", "outcome", "added", "updated", "removed", "skipped"):
        if key in detail:
            parts.append(f"{key}={detail[key]}")
    for key in ("doc_ids", "quotes", "citations", "paths", "cases"):
        items = detail.get(key)
        if items:
            shown = "、".join(str(i) for i in items[:5]) + ("……" if len(items) > 5 else "")
            parts.append(f"{key}=[{shown}]")
    return printable(" ".join(parts))


def cmd_audit(args: argparse.Namespace, config) -> int:
    from ingest.files import printable
    from service.audit import ACTION_LABELS, entries

    if args.limit is not None and args.limit < 1:
        raise KBError(f"--limit 应为正整数，实际为 {args.limit}")
    found = entries(config, user=args.user, since=args.since, action=args.action,
                    limit=args.limit)
    if args.json:
        print(json.dumps([{"at": e.at, "user": e.user, "action": e.action, "detail": e.detail}
                          for e in found], ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("审计日志中没有符合条件的记录。")
        return 0
    for e in found:
        label = ACTION_LABELS.get(e.action, e.action)
        print(f"{e.at}  {printable(e.user)}  {label}  {_summary(e.detail)}".rstrip())
    return 0


AUDIT_COMMANDS = {"audit": cmd_audit}
