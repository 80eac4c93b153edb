"""Export a quote basket (引文篮) as Markdown or .docx with a 引文出处 list."""

from __future__ import annotations

import io
from collections.abc import Sequence

from core.models import Citation


def export_markdown(citations: Sequence[Citation], title: str = "引文汇编") -> str:
    """Numbered verbatim quotes, then their references."""
    lines = [f"# {title}", ""]
    for i, c in enumerate(citations, start=1):
        lines += [f"{i}. “{c.quote}”[{i}]", ""]
    lines += ["## 引文出处", ""]
    for i, c in enumerate(citations, start=1):
        lines.append(f"[{i}] {c.reference}")
    return "\n".join(lines) + "\n"


def export_docx(citations: Sequence[Citation], title: str = "引文汇编") -> bytes:
    """A Word document with the quotes and a 引文出处 list, as bytes."""
    from docx import Document as Docx
    from docx.oxml.ns import qn

    d = Docx()
    style = d.styles["Normal"]
    style.font.name = "宋体"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    d.add_heading(title, level=1)
    for i, c in enumerate(citations, start=1):
        p = d.add_paragraph()
        p.add_run(f"{i}. “{c.quote}”")
        sup = p.add_run(f"[{i}]")
        sup.font.superscript = True
    d.add_heading("引文出处", level=2)
    for i, c in enumerate(citations, start=1):
        d.add_paragraph(f"[{i}] {c.reference}")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
