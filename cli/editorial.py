"""`kb cases …` and `kb issue …`: the editors' workspace for the 《新风》 special issue.

`add_editorial_commands(sub)` adds both to the `kb` parser; `EDITORIAL_COMMANDS` maps
them to their handlers. Mistakes raise KBError (one Chinese line, exit 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.config import DEFAULT_INDEX_DIR
from core.errors import KBError

_INDEX_HELP = f"索引目录（默认：环境变量 KB_INDEX，或 {DEFAULT_INDEX_DIR}）"


def _common(p: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    p.add_argument("--index", help=_INDEX_HELP)
    if json_flag:
        p.add_argument("--json", action="store_true", help="输出 JSON")


def add_editorial_commands(sub) -> None:
    """Add `cases` and `issue` (with their subcommands) to the `kb` subparsers."""
    p = sub.add_parser("cases", help="案例目录：列出、查找候选、查看、重复组、刊用记录",
                       description="典型案例目录：每期《新风》专刊中的案例和单独成篇的案例材料")
    cs = p.add_subparsers(dest="sub", required=True, title="子命令")
    q = cs.add_parser("list", help="列出案例", description="列出案例（可按主题、单位、年份筛选）")
    q.add_argument("--theme", help="主题（标签、本期主题或标题中的文字，如 基层减负）")
    q.add_argument("--unit", help="单位名称包含该文字")
    q.add_argument("--year", type=int, help="年份（刊期年份，或材料的年份）")
    q.add_argument("--unused", action="store_true", help="只列出从未刊用的案例（含同一故事）")
    _common(q)
    q = cs.add_parser("find", help="按主题或描述查找未刊用的候选案例",
                      description="按主题或描述查找合适的案例：默认不含已刊用的案例及其重复稿，"
                                  "同一故事只列一篇，尽量来自不同单位，并给出匹配的原文段落")
    q.add_argument("query", metavar="主题或描述")
    q.add_argument("-k", type=int, default=5, help="返回条数（默认 5）")
    q.add_argument("--include-featured", action="store_true", help="也列出已刊用的案例")
    q.add_argument("--since-months", type=int, metavar="N",
                   help="只把最近 N 个月内的刊用算作已刊用")
    _common(q)
    q = cs.add_parser("show", help="查看一个案例",
                      description="查看案例：摘要、要点、出处、刊用记录")
    q.add_argument("case_id", metavar="案例编号")
    _common(q)
    q = cs.add_parser("dups", help="列出重复组（同一故事的多个版本）",
                      description="列出近似重复的案例组：改写稿、不同格式的同一篇、再次刊登、"
                                  "同一单位的后续报道")
    _common(q)
    q = cs.add_parser("feature", help="手工记录案例的刊用", description="手工记录某案例刊用于某期")
    q.add_argument("case_id", metavar="案例编号")
    q.add_argument("--issue", required=True, help="期次名称，如 《新风》专刊2022年第3期")
    q.add_argument("--month", help="刊用月份 YYYY-MM")
    _common(q, json_flag=False)
    q = cs.add_parser("unfeature", help="删除案例的刊用记录",
                      description="删除案例的刊用记录（不写 --issue 时删除全部）")
    q.add_argument("case_id", metavar="案例编号")
    q.add_argument("--issue", help="期次名称中的文字，如 2024年第5期")
    _common(q, json_flag=False)

    p = sub.add_parser("issue", help="期次编排：新建、加入、调整顺序、导出、发布",
                       description="编排一期《新风》专刊：新建草稿、加入案例、调整顺序、"
                                   "导出 Word 提纲、发布（写入刊用记录）")
    iss = p.add_subparsers(dest="sub", required=True, title="子命令")
    q = iss.add_parser("new", help="新建一期草稿", description="新建一期草稿")
    q.add_argument("--theme", required=True, help="本期主题")
    q.add_argument("--month", required=True, help="出刊月份 YYYY-MM")
    q.add_argument("--no", type=int, help="期号（第N期；默认按已有各期推算）")
    q.add_argument("--notes", default="", help="编者按")
    _common(q)
    q = iss.add_parser("add", help="把案例加入草稿", description="把案例按顺序加入草稿")
    q.add_argument("issue_id", metavar="期次编号")
    q.add_argument("case_ids", nargs="+", metavar="案例编号")
    q.add_argument("--note", default="", help="编者点评（加给这些案例）")
    _common(q, json_flag=False)
    q = iss.add_parser("move", help="调整案例顺序", description="把案例移到第 N 位")
    q.add_argument("issue_id", metavar="期次编号")
    q.add_argument("case_id", metavar="案例编号")
    q.add_argument("position", type=int, metavar="位置")
    _common(q, json_flag=False)
    q = iss.add_parser("remove", help="从草稿中移除案例", description="从草稿中移除案例")
    q.add_argument("issue_id", metavar="期次编号")
    q.add_argument("case_ids", nargs="+", metavar="案例编号")
    _common(q, json_flag=False)
    q = iss.add_parser("note", help="写编者按或编者点评",
                       description="写本期编者按；加 --case 时写该案例的编者点评")
    q.add_argument("issue_id", metavar="期次编号")
    q.add_argument("text", metavar="文字")
    q.add_argument("--case", dest="case_id", help="案例编号")
    _common(q, json_flag=False)
    q = iss.add_parser("list", help="列出各期草稿和已发布的期次", description="列出各期")
    _common(q)
    q = iss.add_parser("show", help="查看一期", description="查看一期的案例和提示")
    q.add_argument("issue_id", metavar="期次编号")
    _common(q)
    q = iss.add_parser("export", help="导出 Word 提纲（.docx）", description="导出 Word 提纲")
    q.add_argument("issue_id", metavar="期次编号")
    q.add_argument("--out", required=True, type=Path, help="输出文件（.docx）")
    _common(q, json_flag=False)
    q = iss.add_parser("publish", help="发布：本期案例记为已刊用",
                       description="发布一期：其中的案例记为已刊用，此后不再作为候选推荐")
    q.add_argument("issue_id", metavar="期次编号")
    _common(q)


def _dump(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _workspace(config):
    from service.editorial import Workspace

    return Workspace(config)


def _case_line(catalog, c) -> str:
    where = c.issue_label.replace("《新风》专刊", "") if c.issue_label else "单篇材料"
    used = catalog.featured_in(c.case_id)
    bits = [where, f"主题：{'、'.join(c.themes)}" if c.themes else "",
            f"已刊用：{used[-1].issue}" if used else
            ("同一故事已刊用" if catalog.featured(c) else "未刊用"),
            f"重复组 {c.group}" if c.group else ""]
    from cases.records import heading

    head = heading(c.unit, c.title)
    return f"{c.case_id}  {head}\n    " + " · ".join(b for b in bits if b)


def cmd_cases(args, config) -> int:
    from service.editorial import candidate_json, case_json

    ws = _workspace(config)
    try:
        if args.sub == "find":
            if not args.query.strip():
                raise KBError("主题或描述为空：请给出要查找的主题或描述")
            if args.k < 1:
                raise KBError(f"-k 应为正整数，实际为 {args.k}")
            if args.since_months is not None and args.since_months < 0:
                raise KBError(f"--since-months 不能为负数，实际为 {args.since_months}")
            found = ws.find(args.query, k=args.k, include_featured=args.include_featured,
                            since_months=args.since_months)
            catalog = ws.catalog()
            if args.json:
                _dump([candidate_json(catalog, f) for f in found])
            elif not found:
                print("没有找到合适的未刊用案例（可加 --include-featured 或 --since-months）。")
            for i, f in enumerate([] if args.json else found, start=1):
                print(f"{i}. {_case_line(catalog, f.case)}  [{f.score:.4f}]")
                for w in f.why:
                    print(f"    依据：{w.text.replace(chr(10), ' ')}")
            return 0
        catalog = ws.catalog()
        if args.sub == "list":
            cases = catalog.select(theme=args.theme, unit=args.unit, year=args.year,
                                   unused=args.unused)
            if args.json:
                _dump([case_json(catalog, c) for c in cases])
                return 0
            for c in cases:
                print(_case_line(catalog, c))
            print(f"共 {len(cases)} 个案例（目录共 {len(catalog.cases)} 个）。")
        elif args.sub == "show":
            c = catalog.get(args.case_id)
            if args.json:
                _dump(case_json(catalog, c))
                return 0
            _print_case(catalog, c)
        elif args.sub == "dups":
            _print_dups(ws, catalog, args.json)
        elif args.sub == "feature":
            if args.month:
                from cases.planner import check_month

                check_month(args.month)
            ws.feature(args.case_id, args.issue, args.month)
            print(f"已记录：{args.case_id} 刊用于 {args.issue}")
        elif args.sub == "unfeature":
            gone = ws.unfeature(args.case_id, args.issue)
            if not gone:
                raise KBError(f"案例 {args.case_id} 没有符合条件的刊用记录")
            print(f"已删除 {args.case_id} 的刊用记录：{'、'.join(gone)}")
        return 0
    finally:
        ws.close()


def _print_case(catalog, c) -> None:
    print(f"{c.case_id}  {c.title}")
    print(f"单位：{c.unit or '（未注明）'}")
    if c.issue_label:
        print(f"刊期：{c.issue_label}（{c.month}）  本期主题：{c.issue_theme or '—'}")
    print(f"主题标签：{'、'.join(c.themes) or '—'}")
    print(f"摘要：{c.summary}")
    print(f"出处：{c.reference}")
    for q in c.quotes:
        print(f"要点：{q.text}\n      {q.reference}")
    used = catalog.featured_in(c.case_id)
    print("刊用记录：" + ("；".join(f"{u.issue}（{u.month or '月份不详'}）" for u in used)
                        if used else "未刊用"))
    for m in catalog.group_members(c):
        print(f"同一故事：{m.case_id}  {m.title}（{m.issue_label or '单篇材料'}）")
    print(f"原文：{c.source} [{c.start}:{c.end}]")


def _print_dups(ws, catalog, as_json: bool) -> None:
    from service.editorial import case_json

    groups = catalog.groups()
    pairs = ws.pairs()
    if as_json:
        _dump([{"group": g, "cases": [case_json(catalog, c) for c in members],
                "pairs": [vars(p) for p in pairs if p.a in {c.case_id for c in members}]}
               for g, members in sorted(groups.items())])
        return
    if not groups:
        print("没有发现重复的案例。")
    for g, members in sorted(groups.items()):
        print(f"重复组 {g}（{len(members)} 篇）")
        for c in members:
            print(f"  {_case_line(catalog, c)}")
        for p in pairs:
            if p.a in {c.case_id for c in members}:
                print(f"  {p.a} ~ {p.b}：重合度 {p.containment:.2f}"
                      + ("（同一单位）" if p.same_organ else ""))


def cmd_issue(args, config) -> int:
    from service import planning

    ws = _workspace(config)
    try:
        if args.sub == "new":
            issue = planning.new_issue(ws, args.theme, args.month, no=args.no, notes=args.notes)
            if args.json:
                _dump(issue.to_dict())
            else:
                print(f"已新建 {issue.issue_id}：{issue.label}，本期主题：{issue.theme}")
            return 0
        if args.sub == "list":
            issues = ws.store.issues()
            if args.json:
                _dump([i.to_dict() for i in issues])
                return 0
            if not issues:
                print("还没有编排的期次；用 `kb issue new --theme … --month YYYY-MM` 新建。")
            for i in issues:
                state = "已发布" if i.status == "published" else "草稿"
                print(f"{i.issue_id}  {i.label}  {state}  {len(i.entries)} 个案例  {i.theme}")
            return 0
        if args.sub == "export":
            out: Path = args.out
            if out.suffix.lower() != ".docx":
                raise KBError(f"--out 应为 .docx 文件，实际为 {out}")
            if not out.parent.is_dir():
                raise KBError(f"输出文件夹不存在：{out.parent}")
            out.write_bytes(planning.export_issue(ws, args.issue_id))
            print(f"已导出：{out}")
            return 0
        if args.sub == "add":
            issue = planning.add_cases(ws, args.issue_id, args.case_ids, note=args.note)
        elif args.sub == "move":
            issue = planning.move_case(ws, args.issue_id, args.case_id, args.position)
        elif args.sub == "remove":
            issue = planning.remove_cases(ws, args.issue_id, args.case_ids)
        elif args.sub == "note":
            issue = planning.set_note(ws, args.issue_id, args.text, args.case_id)
        elif args.sub == "publish":
            issue = planning.publish_issue(ws, args.issue_id)
        else:  # show
            issue = ws.store.issue(args.issue_id)
        if getattr(args, "json", False):
            data = issue.to_dict()
            data["warnings"] = planning.warnings(ws, issue)
            _dump(data)
            return 0
        _print_issue(ws, issue)
        return 0
    finally:
        ws.close()


def _print_issue(ws, issue) -> None:
    from cases.records import heading
    from service import planning

    state = "已发布" if issue.status == "published" else "草稿"
    print(f"{issue.issue_id}  {issue.label}（{issue.month}）  {state}")
    print(f"本期主题：{issue.theme}")
    if issue.notes:
        print(f"编者按：{issue.notes}")
    for n, e in enumerate(issue.entries, start=1):
        print(f"  {n}. {e.case_id}  {heading(e.unit, e.title)}")
        if e.note:
            print(f"     编者点评：{e.note}")
    for w in planning.warnings(ws, issue):
        print(f"提示：{w}")


EDITORIAL_COMMANDS = {"cases": cmd_cases, "issue": cmd_issue}
