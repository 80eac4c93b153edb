"""Formal references for citations, the way Chinese official writing cites.

- policy:   《标题》（文号）第X条
            e.g. 《示例市级机关党务干部培训管理办法》（示机工发〔2023〕12号）第三条
- speech:   讲话人：《标题》（YYYY年M月D日）
            e.g. 王晓东：《在示例市级机关青年干部座谈会上的讲话》（2024年5月4日）
- handbook: 《新风》专刊第X期《案例标题》
            e.g. 《新风》专刊第5期《示例市财政局机关党委：“三张清单”压实支部责任》
- other:    《标题》, plus （YYYY年M月D日） when dated and 第N页 when the page is known
A title that itself contains 《》 gets them turned into 〈〉, as nested titles are written.
"""

from __future__ import annotations

import re

from core.models import Document, SectionPath
from core.text.dates import cn_date
from core.text.headings import (
    ARTICLE_HEAD_RE,
    DIVISION_RE,
    ENUM_PATTERNS,
    PART_RE,
    article_label,
    case_heading_text,
    is_case_heading,
    is_table_caption,
)
from core.text.issues import issue_label as core_issue_label
from core.text.issues import total_number
from core.text.tables import is_table_row

# Enumerated heading markers by level, outermost first: 一、 （一） 1. （1）.
_LEVELS = tuple(p for kind, p in ENUM_PATTERNS if kind in ("h1", "h2", "h3", "h4"))
_MAX_BACK = 20000  # characters looked back for the enclosing headings


def book_title(title: str) -> str:
    """Wrap a title in 《》, turning inner 《》 into 〈〉."""
    t = title.strip()
    # Only one outer pair is unwrapped: 《新风》专刊… and 《A》和《B》 keep their marks, nested.
    if re.fullmatch(r"《[^《》]*》", t):
        t = t[1:-1]
    return "《" + t.replace("《", "〈").replace("》", "〉") + "》"


def article_of(section: SectionPath) -> str | None:
    """The innermost 第X条 in a heading path."""
    for label in reversed(section):
        if (found := article_label(label)) is not None:
            return found
    return None


def case_title(section: SectionPath, text: str = "") -> str | None:
    """The case heading inside a handbook issue's heading path, without its 【典型案例一】 tag.

    Heading-path labels are shortened, so the full heading line is looked up in
    the document `text` when given.
    """
    for part in section:
        if is_case_heading(part):
            i = text.find(part) if text else -1
            if i >= 0:
                end = text.find("\n", i)
                part = text[i : end if end >= 0 else len(text)]
            return case_heading_text(part) or None
    return None


def _lines_before(text: str, start: int):
    """Line starts and lines before `start`, nearest first (the line holding it included)."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    lo = max(0, start - _MAX_BACK)
    pos = end
    while pos > lo:
        s = text.rfind("\n", lo, pos) + 1
        yield s, text[s:pos].lstrip()
        pos = s - 1


def enclosing_article(text: str, start: int) -> str | None:
    """The 第X条 whose body holds offset `start` (the nearest article heading above it)."""
    for _, line in _lines_before(text, start):
        m = ARTICLE_HEAD_RE.match(line)
        if m:
            return m.group(0)
        if DIVISION_RE.match(line) or PART_RE.match(line):
            return None
    return None


def enclosing_table(text: str, start: int) -> str | None:
    """The caption of the table whose rows hold offset `start` (「一般公共预算财政拨款基本
    支出决算表」): the nearest caption above it, unless a heading comes first."""
    below = ""
    for _, line in _lines_before(text, start):
        if not line.strip():
            continue
        if is_table_caption(line, below):
            return line.strip()
        if (ARTICLE_HEAD_RE.match(line) or DIVISION_RE.match(line) or PART_RE.match(line)
                or (any(p.match(line) for p in _LEVELS) and not is_table_row(line))):
            return None
        below = line
    return None


def paragraph_no(text: str, start: int) -> int:
    """Which paragraph of its section (counted from the heading line, 1-based) holds
    offset `start`: tells apart two quotes under one 二、（三） heading."""
    n = 0
    for _, line in _lines_before(text, start):
        if not line.strip():
            continue
        n += 1
        if (ARTICLE_HEAD_RE.match(line) or DIVISION_RE.match(line)
                or any(p.match(line) for p in _LEVELS)):
            break
    return max(n, 1)


def locator(text: str, start: int) -> str:
    """Where in a 意见/方案/讲话 a passage lies, by its enumerated headings: 二、（三）."""
    found: dict[int, str] = {}
    deepest = len(_LEVELS)
    for _, line in _lines_before(text, start):
        for level, pat in enumerate(_LEVELS):
            m = pat.match(line)
            if m and level < deepest:
                found[level] = m.group(0)
                deepest = level
                break
        if deepest == 0:
            break
    return "".join(found[k] for k in sorted(found))


# ingest.sheets ends each data row with its row number in the sheet: |姓名：张三|第3行|
_SHEET_ROW_RE = re.compile(r"\|(第\d+行)\|$")


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[text.rfind("\n", 0, start) + 1:end if end >= 0 else len(text)]


def issue_label(doc: Document) -> str:
    """《新风》专刊2025年第1期（总第49期）: issue numbers restart every year."""
    m = doc.meta
    year = (m.issue_month or m.date or "")[:4]
    return core_issue_label(year, m.issue_no, total_number(doc.text[:300]))


def reference_for(doc: Document, section: SectionPath, page: int | None,
                  start: int | None = None) -> str:
    """Copy-ready reference for a quote from `doc` at heading path `section`; a quote from
    a page read by OCR adds 「（扫描件第N页，文字经识别，请核对原件）」."""
    ref = _reference(doc, section, page, start)
    if doc.ocr_on(page):
        ref += f"（扫描件第{page}页，文字经识别，请核对原件）"
    return ref


def _reference(doc: Document, section: SectionPath, page: int | None,
               start: int | None) -> str:
    m = doc.meta
    title = book_title(m.title)
    date = cn_date(m.date)
    where = "" if start is None else locator(doc.text, start)
    if m.doc_type == "policy":
        ref = title + (f"（{m.doc_no}）" if m.doc_no else "")
        art = enclosing_article(doc.text, start) if start is not None else None
        return ref + (art or article_of(section) or where)
    if m.doc_type == "speech":
        ref = title + (f"（{date}）" if date else "") + where
        return f"{m.speaker}：{ref}" if m.speaker else ref
    if m.doc_type == "handbook":
        case = case_title(section, doc.text)
        return issue_label(doc) + (book_title(case) if case else "")
    ref = title + (f"（{date}）" if date else "")
    if start is not None and (table := enclosing_table(doc.text, start)) is not None:
        # Two tables on one page are two passages: the caption tells them apart.
        ref += f"「{table}」"
    sheet = next((p for p in section if p.startswith("工作表：")), None)
    if sheet:  # a spreadsheet row: its sheet and row, not the page the sheet happens to be
        row = _SHEET_ROW_RE.search(_line_at(doc.text, start)) if start is not None else None
        return ref + f"工作表「{sheet.removeprefix('工作表：')}」" + (row.group(1) if row else "")
    return ref + (f"第{page}页" if page and not doc.ocr_on(page) else "")  # OCR: in the note
