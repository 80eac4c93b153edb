"""Heading outline and sentence spans of normalised document text.

`outline` finds the headings Chinese official documents use (第X编/章/节/条, 一、, （一）,
1., （1）, 一是, 【典型案例一】, 附件) and nests them by a fixed rank order, so a 条 sits
inside a 章 and an （一） inside a 一、. The heading patterns themselves live in
`core.text.headings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.models import Section
from core.text.headings import (
    ANNEX_RE,
    ARTICLE_HEAD_RE,
    BARE_SUBHEAD_RE,
    CASE_HEAD_RE,
    DIVISION_RE,
    ENUM_PATTERNS,
    INLINE_ARTICLE_RE,
    NOTE_RE,
    PART_RE,
    PREFACE_RE,
    is_table_caption,
)
from core.text.numerals import cn_to_int
from core.text.sentences import CLAUSE_END_RE, POINT_END_RE
from core.text.tables import is_table_row

# Rank decides nesting: a heading closes every open heading of equal or higher rank.
_RANK = {"sheet": 0, "case": 0, "annex": 0, "part": 1, "chapter": 2, "section": 3, "table": 3,
         "article": 4, "article_table": 5, "h1": 5, "h2": 6, "h3": 7, "h4": 8, "point": 9}
_LABEL_MAX = 30

_LEAD_WS = re.compile(r"\s*")
# A spreadsheet's sheet, as ingest.sheets writes it: 工作表：党员名册.
SHEET_RE = re.compile(r"工作表：\S.{0,40}")
_SPACED_CHARS = re.compile(r"^(?:\S )+\S$")


@dataclass
class _Head:
    kind: str
    start: int
    label: str
    line_end: int = -1  # set for points: a point is one paragraph


def _squeeze(s: str) -> str:
    """Collapse whitespace; drop the spaces of letter-spaced names (党 员 -> 党员)."""
    s = " ".join(s.split())
    return s.replace(" ", "") if _SPACED_CHARS.match(s) else s


def _trim_label(s: str, limit: int = _LABEL_MAX) -> str:
    return " ".join(s.split())[:limit].rstrip()


def _clause_label(line: str, pattern: re.Pattern[str]) -> str:
    m = pattern.search(line)
    return _trim_label(line[: m.start()] if m and m.start() > 1 else line)


def _division(line: str, start: int, lines: list[tuple[int, str]], idx: int) -> list[_Head]:
    """第X编/章/节/部分 own-line headings, with a 第X条 that may follow on the same line."""
    m = DIVISION_RE.match(line) or PART_RE.match(line)
    if not m:
        return []
    rest = m.group("rest")
    heads: list[_Head] = []
    inline = INLINE_ARTICLE_RE.search(rest)
    name = rest[: inline.start()] if inline else rest
    name = name.strip()
    glued = re.match(r"[规所之的中和、，至及第课]", rest)  # "第一章规定…" is prose
    if len(name) > 25 or CLAUSE_END_RE.search(name) or glued:
        return []
    if not name and not inline:
        # Name on the next non-blank line ("第一章" / "总 则"), as on some web pages.
        for _, nxt in lines[idx + 1: idx + 3]:
            nxt = nxt.strip()
            if not nxt:
                continue
            if len(nxt) <= 12 and not CLAUSE_END_RE.search(nxt) and not nxt.startswith("第"):
                name = nxt
            break
    kind = {"编": "part", "部分": "part", "章": "chapter", "节": "section"}[m.group("unit")]
    head = f"第{m.group('n')}{m.group('unit')}"
    heads.append(_Head(kind, start, _trim_label(f"{head} {_squeeze(name)}".strip())))
    if inline:
        heads.append(_Head("article", start + m.start("rest") + inline.start(1), inline.group(1)))
    return heads


def _caption(line: str, lines: list[tuple[int, str]], idx: int) -> bool:
    nxt = next((raw for _, raw in lines[idx + 1: idx + 3] if raw.strip()), "")
    return is_table_caption(line, nxt)


def outline(text: str, doc_type: str) -> list[Section]:
    """Headings of `text` in document order, nested by rank, each with its body end.

    Enumerations inside a 第X条 are list items, not headings, so an article stays one
    leaf. 一、/（一）/1./（1）/一是 must count up from 1 (a restart at 1 is allowed)
    to be taken as headings, which drops stray "3." lines and numbered asides.
    一是 points are looked for in speeches and reports only; a point is one paragraph,
    so text after the last point belongs to the enclosing section again.
    总纲/序言/前言 on their own line count as chapters. In handbooks and cases, unnumbered
    part lines (主要做法, 取得成效) and notes (【编者点评】…) count as 一、-level headings.
    """
    lines: list[tuple[int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append((pos, raw))
        pos += len(raw) + 1
    heads: list[_Head] = []
    last: dict[str, int] = {}
    last_article = 0
    in_article = False
    in_table = False  # after a caption: lines 一、…2,940.05 are rows, not headings
    points_ok = doc_type in ("speech", "report")
    subheads_ok = doc_type in ("handbook", "case")
    for idx, (lstart, raw) in enumerate(lines):
        lead = _LEAD_WS.match(raw)
        indent = lead.end() if lead else 0
        line = raw[indent:].rstrip()
        if not line:
            continue
        start = lstart + indent
        if SHEET_RE.fullmatch(line):
            heads.append(_Head("sheet", start, _trim_label(line)))
            last.clear()
            in_article = False
            continue
        if PREFACE_RE.match(line):
            heads.append(_Head("chapter", start, _squeeze(line)))
            last.clear()
            in_article = False
            continue
        found = _division(line, start, lines, idx)
        if found:
            heads.extend(found)
            last.clear()
            in_table = False
            in_article = found[-1].kind == "article"
            if in_article:
                last_article = cn_to_int(found[-1].label[1:-1])
            continue
        m = ARTICLE_HEAD_RE.match(line)
        if m:
            n = cn_to_int(m.group("n"))
            if n == 1 or n > last_article:
                heads.append(_Head("article", start, m.group(0)))
                last_article, in_article, in_table = n, True, False
                last.clear()
                continue
        if len(line) <= 60 and (CASE_HEAD_RE.match(line) or ANNEX_RE.match(line)):
            kind = "case" if CASE_HEAD_RE.match(line) else "annex"
            heads.append(_Head(kind, start, _trim_label(line)))
            last.clear()
            in_article = in_table = False
            continue
        if _caption(line, lines, idx):
            # The caption, not the item before the table, heads its rows. A table inside
            # an article stays in it (第五条 > 党费交纳比例表): the 条 is still the locator.
            kind = "article_table" if in_article else "table"
            heads.append(_Head(kind, start, _trim_label(line, 40)))
            last.clear()
            in_table = True
            continue
        if in_article or (in_table and is_table_row(line)):  # a row 一、…2,940.05
            continue
        if subheads_ok and (BARE_SUBHEAD_RE.fullmatch(line) or NOTE_RE.match(line)):
            note = NOTE_RE.match(line)
            heads.append(_Head("h1", start, note.group(0) if note else line))
            for kind in [k for k in last if _RANK[k] > _RANK["h1"]]:
                del last[kind]
            continue
        head = _enumeration(line, start, last, points_ok)
        if head:
            if head.kind == "point":
                head.line_end = start + len(line)
            heads.append(head)
    return _nest(text, heads)


def _enumeration(line: str, start: int, last: dict[str, int], points_ok: bool) -> _Head | None:
    for kind, pattern in ENUM_PATTERNS:
        if kind == "point" and not points_ok:
            continue
        m = pattern.match(line)
        if not m:
            continue
        n = cn_to_int(m.group("n"))
        if n != 1 and last.get(kind) != n - 1:
            return None
        last[kind] = n
        rank = _RANK[kind]
        for other in list(last):
            if _RANK[other] > rank:
                del last[other]
        label_end = POINT_END_RE if kind == "point" else CLAUSE_END_RE
        return _Head(kind, start, _clause_label(line, label_end))
    return None


def _nest(text: str, heads: list[_Head]) -> list[Section]:
    heads.sort(key=lambda h: h.start)
    levels: list[int] = []
    ends = [len(text)] * len(heads)
    stack: list[tuple[int, int]] = []  # (rank, index) of open headings
    for i, h in enumerate(heads):
        rank = _RANK[h.kind]
        while stack and stack[-1][0] >= rank:
            ends[stack.pop()[1]] = h.start
        stack.append((rank, i))
        levels.append(len(stack))
    sections: list[Section] = []
    for h, level, end in zip(heads, levels, ends, strict=True):
        if h.line_end >= 0:
            end = min(end, h.line_end)
        while end > h.start and text[end - 1].isspace():
            end -= 1
        sections.append(Section(level, h.label, h.kind, h.start, end))
    return sections
