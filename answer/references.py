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

from core.models import Document, SectionPath
from core.text.dates import cn_date
from core.text.headings import article_label, case_heading_text, is_case_heading


def book_title(title: str) -> str:
    """Wrap a title in 《》, turning inner 《》 into 〈〉."""
    inner = title.strip().strip("《》").replace("《", "〈").replace("》", "〉")
    return f"《{inner}》"


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


def reference_for(doc: Document, section: SectionPath, page: int | None) -> str:
    """Copy-ready reference for a quote from `doc` at heading path `section`."""
    m = doc.meta
    title = book_title(m.title)
    date = cn_date(m.date)
    if m.doc_type == "policy":
        ref = title + (f"（{m.doc_no}）" if m.doc_no else "")
        return ref + (article_of(section) or "")
    if m.doc_type == "speech":
        ref = title + (f"（{date}）" if date else "")
        return f"{m.speaker}：{ref}" if m.speaker else ref
    if m.doc_type == "handbook":
        issue = f"第{m.issue_no}期" if m.issue_no else ""
        case = case_title(section, doc.text)
        return f"《新风》专刊{issue}" + (book_title(case) if case else "")
    ref = title + (f"（{date}）" if date else "")
    return ref + (f"第{page}页" if page else "")
