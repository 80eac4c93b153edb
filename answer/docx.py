"""公文-ready Word documents (GB/T 9704 page, fonts) with real Word footnotes.

python-docx has no footnote API: `GongwenDoc` adds the footnotes part
(`word/footnotes.xml` with the separator footnotes -1 and 0, its relationship and its
content type, via python-docx's OPC parts) and writes `w:footnoteReference` runs. One
footnote per distinct reference: a later quote with the same reference repeats the
footnote's number as a superscript instead of adding a second note.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

MM = 36000  # EMU per millimetre
A4 = (210, 297)
MARGINS = {"top": 37, "bottom": 35, "left": 28, "right": 26}  # GB/T 9704-2012, mm
BODY_FONT = "仿宋_GB2312"  # falls back to 仿宋 (fontTable altName) where it is missing
HEADING_FONTS = ("黑体", "楷体_GB2312")  # 一级 黑体, 二级 楷体
TITLE_FONT = "方正小标宋简体"
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
NOTE_PT = 10.5  # 五号
# Substitutes Word uses where the 公文 fonts are not installed (fontTable altName).
ALT_FONTS = {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "方正小标宋简体": "宋体"}
LINE_PT = 28  # fixed line pitch: 22 lines of 28 characters on the A4 type area

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<w:footnotes xmlns:w="{_W}">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" '
    'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing '
    'w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/>'
    "</w:r></w:p></w:footnote>{notes}</w:footnotes>"
)
_NOTE_XML = (
    '<w:footnote w:id="{id}"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:rPr><w:vertAlign w:val="superscript"/>'
    '<w:sz w:val="{sz}"/></w:rPr>'
    '<w:footnoteRef/></w:r><w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" '
    'w:eastAsia="{font}"/><w:sz w:val="{sz}"/><w:szCs w:val="{sz}"/></w:rPr>'
    '<w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
)


def inner_quotes(text: str) -> str:
    """Double quotes inside a quote become single ones: “…“指挥棒”…” -> “…‘指挥棒’…”."""
    return text.replace("“", "‘").replace("”", "’").replace('"', "'")


def quoted(text: str) -> str:
    """A verbatim quote in “”, its own quotation marks turned into ‘’."""
    return f"“{inner_quotes(text)}”"


def _fonts(run, font: str, alt: str | None = None) -> None:
    from docx.oxml.ns import qn

    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)


class GongwenDoc:
    """A document on the 公文 page: A4, GB/T 9704 margins, 仿宋 三号 body."""

    def __init__(self) -> None:
        from docx import Document as Docx
        from docx.oxml.ns import qn
        from docx.shared import Emu, Pt

        self.d = d = Docx()
        sec = d.sections[0]
        sec.page_width, sec.page_height = Emu(A4[0] * MM), Emu(A4[1] * MM)
        sec.top_margin, sec.bottom_margin = Emu(MARGINS["top"] * MM), Emu(MARGINS["bottom"] * MM)
        sec.left_margin, sec.right_margin = Emu(MARGINS["left"] * MM), Emu(MARGINS["right"] * MM)
        normal = d.styles["Normal"]
        normal.font.name = BODY_FONT
        normal.font.size = Pt(BODY_PT)
        normal.element.get_or_add_rPr()
        rfonts = normal.element.rPr.rFonts
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), BODY_FONT)
        pf = normal.paragraph_format
        pf.line_spacing = Pt(LINE_PT)
        pf.space_after = Pt(0)
        self.notes: list[str] = []  # footnote texts, id = index + 1
        self._alt_fonts()

    def _alt_fonts(self) -> None:
        """Declare 仿宋_GB2312 etc. with an altName (仿宋) so Word substitutes where the
        font is missing."""
        for rel in self.d.part.rels.values():
            if rel.reltype.endswith("/fontTable"):
                part = rel.target_part
                entry = "".join(f'<w:font w:name="{f}"><w:altName w:val="{alt}"/>'
                                '<w:charset w:val="86"/><w:family w:val="modern"/></w:font>'
                                for f, alt in ALT_FONTS.items())
                xml = part.blob.decode("utf-8").replace("</w:fonts>", entry + "</w:fonts>")
                part._blob = xml.encode("utf-8")  # noqa: SLF001 - a generic OPC part
                return

    def title(self, text: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        p = self.d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(LINE_PT)
        r = p.add_run(text)
        _fonts(r, TITLE_FONT)
        r.font.size = Pt(TITLE_PT)

    def heading(self, text: str, level: int = 1) -> None:
        """一级标题 黑体, 二级 楷体 (三号, indented two characters like the body)."""
        from docx.shared import Pt

        p = self.d.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        r = p.add_run(text)
        _fonts(r, HEADING_FONTS[min(level, 2) - 1])
        r.font.size = Pt(BODY_PT)

    def paragraph(self, parts: list[tuple[str, str | None]], indent: bool = True) -> None:
        """Body paragraphs from (text, reference or None) pieces: a reference becomes a
        footnote mark after its text; a line break in a text starts a new paragraph."""
        from docx.shared import Pt

        def new():
            q = self.d.add_paragraph()
            if indent:
                q.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
            return q

        p = new()
        for text, reference in parts:
            for i, line in enumerate(re.split(r"\n+", text)):
                if i:
                    p = new()
                if line:
                    p.add_run(line)
            if reference:
                self._mark(p, reference)

    def _mark(self, p, reference: str) -> None:
        from docx.oxml import parse_xml

        if reference in self.notes:  # one footnote per distinct reference
            r = p.add_run(str(self.notes.index(reference) + 1))
            r.font.superscript = True
            return
        self.notes.append(reference)
        p._p.append(parse_xml(
            f'<w:r xmlns:w="{_W}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            f'<w:footnoteReference w:id="{len(self.notes)}"/></w:r>'))

    def save(self) -> bytes:
        from docx.opc.constants import CONTENT_TYPE as CT
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        notes = "".join(_NOTE_XML.format(id=i, font=BODY_FONT, sz=int(NOTE_PT * 2),
                                         text=escape(t))
                        for i, t in enumerate(self.notes, start=1))
        blob = _FOOTNOTES_XML.format(notes=notes).encode("utf-8")
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, blob, self.d.part.package)
        self.d.part.relate_to(part, RT.FOOTNOTES)
        buf = io.BytesIO()
        self.d.save(buf)
        return buf.getvalue()


_MARK = re.compile(r"\[(\d+)\]")


def answer_parts(line: str, quotes: dict[int, tuple[str, str]]) -> list[tuple[str, str | None]]:
    """An answer line `quote[n]quote[m]` as (text, reference) pieces, each quote in “”.

    `quotes`: n -> (quote, reference). Text that is not a citation's quote (a note such
    as （关于“…”，知识库中未找到相关依据）) is kept as it is.
    """
    parts: list[tuple[str, str | None]] = []
    at = 0
    for m in _MARK.finditer(line):
        seg = line[at:m.start()]
        at = m.end()
        n = int(m.group(1))
        if n not in quotes:
            parts.append((seg + m.group(0), None))
            continue
        quote, reference = quotes[n]
        lead = seg[: len(seg) - len(quote)] if seg.endswith(quote) else seg
        body = quote if seg.endswith(quote) else ""
        if lead:
            parts.append((lead, None))
        parts.append((quoted(body) if body else "", reference))
    if at < len(line):
        parts.append((line[at:], None))
    return parts
