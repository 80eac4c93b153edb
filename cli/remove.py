"""`kb remove 目标…`: remove documents (by id or path) from the index."""

from __future__ import annotations

import argparse
import sys

from core.errors import KBError
from core.models import LOCAL_USER


def add_remove_command(sub, index_help: str) -> None:
    p = sub.add_parser("remove", help="从索引中删除文档（按文档编号或路径）",
                       description="从索引中删除文档：目标为文档编号（kb docs list 中的编号，"
                                   "或其前 6 位以上）、文件路径或文件夹路径（其中的全部文档）。"
                                   "网页上传的文档连同其上传文件一起删除；来自文件夹的文档，"
                                   "原文件仍在时再次入库该文件夹会重新加入。")
    p.add_argument("targets", nargs="+", metavar="目标")
    p.add_argument("--index", help=index_help)
    p.add_argument("--no-wait", action="store_true",
                   help="另一个进程正在写入该索引时立即退出，而不是等待")
    p.add_argument("--dry-run", action="store_true", help="只列出将删除的文档，不删除")


def cmd_remove(args: argparse.Namespace, config) -> int:
    from ingest.files import printable
    from service.manage import remove, resolve

    t = resolve(config, args.targets)
    if t.unknown:
        raise KBError("索引中没有这些文档：" + "、".join(printable(n) for n in t.unknown))
    if args.dry_run:
        for s in t.sources:
            print(f"将删除 {printable(s)}")
        return 0

    def say(message: str) -> None:
        print(f"kb: {message}", file=sys.stderr, flush=True)

    gone = remove(config, t.doc_ids, wait=not args.no_wait, on_wait=say, user=LOCAL_USER)
    for s in gone:
        print(f"已删除 {printable(s)}")
    print(f"删除完成：{len(gone)} 篇；索引：{config.index_dir}")
    return 0


REMOVE_COMMANDS = {"remove": cmd_remove}
