"""A planned issue as a .docx outline in 公文 layout (GB/T 9704 page and fonts).

A4 with 37/35/28/26 mm margins, 方正小标宋简体 二号 for the masthead, 黑体 三号 for
headings, 仿宋_GB2312 三号 on a fixed 28 pt line for the text, a red rule under the
masthead, page numbers as "— 1 —". Each case gives its unit, its summary and key
quotes verbatim with [n] marks, and the 引文出处 list at the end gives each [n] its
formal reference, as the quote export (answer.basket) does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from cases.records import Case, Issue, IssueEntry, heading
from core.text.numerals import int_to_cn

TITLE_FONT = "方正小标宋简体"
HEAD_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
UNIT_FONT = "楷体_GB2312"
MASTHEAD = "《新风》专刊"


@dataclass(frozen=True)
class OutlineCase:
    entry: IssueEntry
    case: Case | None  # None when the case has left the index since it was planned


def _run(p, text: str, font: str, size: float, *, bold: bool = False, color=None):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    r = p.add_run(text)
    r.font.name = font
    r.font.size = Pt(size)
    r.font.bold = bold
    r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    return r


def _para(d, *, center: bool = False, indent: bool = False, exact: bool = True):
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    p = d.add_paragraph()
    fmt = p.paragraph_format
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(0)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        fmt.first_line_indent = Pt(32)  # two characters of 三号
    return p


def _red_rule(p) -> None:
    """A red line under a paragraph (the 版头分隔线)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "FF0000")):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _page_numbers(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "— ", BODY_FONT, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    inner = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    inner.append(text)
    field.append(inner)
    p._p.append(field)
    _run(p, " —", BODY_FONT, 14)


def _month_cn(month: str) -> str:
    return f"{int(month[:4])}年{int(month[5:7])}月"


def export_issue_docx(issue: Issue, cases: Sequence[OutlineCase], editor: str = "") -> bytes:
    """The outline of `issue` as .docx bytes."""
    from docx import Document as Docx
    from docx.shared import Mm

    d = Docx()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    _page_numbers(sec)

    _run(_para(d, center=True, exact=False), MASTHEAD, TITLE_FONT, 26, color="FF0000")
    numbers = (f"第{issue.no}期" if issue.no else "") + (
        f"（总第{issue.total_no}期）" if issue.total_no else "")
    if numbers:
        _run(_para(d, center=True), numbers, BODY_FONT, 16)
    line = _para(d, center=True)
    _run(line, f"{editor}编　　{_month_cn(issue.month)}" if editor
         else _month_cn(issue.month), BODY_FONT, 16)
    _red_rule(line)
    _para(d)
    p = _para(d)
    _run(p, "本期主题：", HEAD_FONT, 16)
    _run(p, issue.theme, BODY_FONT, 16)
    if issue.notes:
        p = _para(d, indent=True)
        _run(p, "编者按：", HEAD_FONT, 16)
        _run(p, issue.notes, BODY_FONT, 16)

    references: list[str] = []

    def cite(p, text: str, reference: str) -> None:
        references.append(reference)
        _run(p, f"“{text}”", BODY_FONT, 16)
        _run(p, f"[{len(references)}]", BODY_FONT, 16).font.superscript = True

    for i, oc in enumerate(cases, start=1):
        e, case = oc.entry, oc.case
        _para(d)
        _run(_para(d), f"【典型案例{int_to_cn(i)}】{heading(e.unit, e.title)}", HEAD_FONT, 16)
        unit = _para(d, indent=True)
        _run(unit, "单位：", HEAD_FONT, 16)
        _run(unit, e.unit or "（未注明）", UNIT_FONT, 16)
        if case is None:
            _run(_para(d, indent=True), "（该案例已不在知识库中，请核对原文。）", BODY_FONT, 16)
        else:
            p = _para(d, indent=True)
            _run(p, "摘要：", HEAD_FONT, 16)
            cite(p, case.summary, case.reference)
            if case.quotes:
                _run(_para(d, indent=True), "要点摘录：", HEAD_FONT, 16)
                for q in case.quotes:
                    cite(_para(d, indent=True), q.text, q.reference or case.reference)
        if e.note:
            p = _para(d, indent=True)
            _run(p, "【编者点评】", HEAD_FONT, 16)
            _run(p, e.note, BODY_FONT, 16)

    if references:
        _para(d)
        _run(_para(d), "引文出处", HEAD_FONT, 16)
        for n, ref in enumerate(references, start=1):
            _run(_para(d), f"[{n}] {ref}", BODY_FONT, 14)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
