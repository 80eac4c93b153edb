"""Export quotes (the 引文篮, or one answer) as Markdown or as a 公文-ready .docx.

Identical references are merged: quotes that share a reference are numbered once
(one footnote, one line of 引文出处); quotes keep their order.
"""

from __future__ import annotations

from collections.abc import Sequence

from answer.docx import GongwenDoc, answer_parts, quoted
from core.models import Answer, Citation


def distinct_references(citations: Sequence[Citation]) -> list[str]:
    """The references in order of first use, each once."""
    return list(dict.fromkeys(c.reference for c in citations))


def export_markdown(citations: Sequence[Citation], title: str = "引文汇编") -> str:
    """Numbered verbatim quotes, then their references (one number per distinct reference)."""
    refs = distinct_references(citations)
    lines = [f"# {title}", ""]
    for i, c in enumerate(citations, start=1):
        lines += [f"{i}. {quoted(c.quote)}[{refs.index(c.reference) + 1}]", ""]
    lines += ["## 引文出处", ""]
    for i, r in enumerate(refs, start=1):
        lines.append(f"[{i}] {r}")
    return "\n".join(lines) + "\n"


def export_docx(citations: Sequence[Citation], title: str = "引文汇编",
                notes: Sequence[str] = (), *, reference_list: bool = False) -> bytes:
    """A 公文-ready Word document: the quotes in “”, each with a real footnote holding its
    formal reference (one footnote per distinct reference). `notes[i]` (optional, e.g.
    the question a quote answered) is shown in 楷体 above quote i. `reference_list`
    also ends the document with a numbered 引文出处 list."""
    d = GongwenDoc()
    d.title(title)
    for i, c in enumerate(citations):
        if i < len(notes) and notes[i] and (i == 0 or notes[i] != notes[i - 1]):
            d.heading(notes[i], level=2)
        d.paragraph([(quoted(c.quote), c.reference)])
    if reference_list:
        d.heading("引文出处", level=1)
        for i, r in enumerate(distinct_references(citations), start=1):
            d.paragraph([(f"{i}. {r}", None)])
    return d.save()


def export_answer_docx(answer: Answer) -> bytes:
    """`kb ask … --docx`: the question as title, the answer's quotes with footnotes."""
    d = GongwenDoc()
    d.title(answer.question)
    if answer.refused:
        d.paragraph([(answer.answer, None)])
        if answer.nearest:
            d.paragraph([("最相近的文档：" + "；".join(f"《{t}》" for t in answer.nearest), None)])
        return d.save()
    quotes = {c.n: (c.quote, c.reference) for c in answer.citations}
    parts = answer_parts(answer.answer, quotes)  # a quote may span paragraphs
    d.paragraph(parts)
    return d.save()
