"""`kb ask`: answers as text or JSON (one object per line for stdin input)."""

from __future__ import annotations

import json
import sys

from core.models import Answer
from service.payloads import answer_json  # the JSON form, shared with `kb serve`


def print_answer(a: Answer) -> None:
    print(a.answer)
    if a.refused:
        if a.nearest:
            print("最相近的文档：" + "；".join(f"《{t}》" for t in a.nearest))
        return
    print()
    print("引文出处：")
    for c in a.citations:
        where = f"{c.source} [{c.start}:{c.end}]" + (f" 第{c.page}页" if c.page else "")
        badge = f"【{c.status}】" if c.status not in (None, "现行有效") else ""
        print(f"[{c.n}] {badge}{c.reference}  —— {where}")


def run_ask(args, config, filters) -> int:
    """Entry point of `kb ask`."""
    from core.models import LOCAL_USER
    from service.queries import ask, os_user
    from service.wiring import make_answerer, open_searcher

    answerer = make_answerer(config)
    searcher = open_searcher(config, as_of=getattr(args, "as_of_date", None))
    # The operator of this machine sees everything; each question goes to the audit log.
    who = {"viewer": LOCAL_USER, "via": "cli", "os_user": os_user()}
    if args.question == "-":
        for line in sys.stdin:
            q = line.strip()
            if q:
                a = ask(config, searcher, answerer, q, filters=filters, **who)
                print(json.dumps(answer_json(a), ensure_ascii=False), flush=True)
        return 0
    a = ask(config, searcher, answerer, args.question, filters=filters, **who)
    if getattr(args, "docx", None):
        from answer.basket import export_answer_docx

        args.docx.write_bytes(export_answer_docx(a))
        print(f"已保存 Word 文档：{args.docx}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer_json(a), ensure_ascii=False, indent=2))
    else:
        print_answer(a)
    return 0
