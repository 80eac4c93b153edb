"""Render a corpus source as a PDF with the quirks of a browser-printed page.

Quirks put into the text layer on purpose, so ingest is tested on them:
- fixed-width wrapping: long paragraphs are cut at the right margin inside
  sentences, and paragraphs run on across page breaks;
- digit and Latin runs are drawn as separate text runs in another font
  resource with a small gap, so pypdf extracts "2024 年";
- common ideographs are written with radical look-alike code points (⺠ for 民,
  ⻓ for 长 from the CJK Radicals Supplement, ⼤ for 大 from Kangxi Radicals): the
  font's cmap is patched so the look-alike shares the ideograph's glyph, which
  is what browsers do when printing;
- a "- N -" page number at the bottom of every page.
Line breaks are chosen so that `ingest.pdf_lines` can undo them: a break is
moved back a character or two when the rejoin rules would keep it (a line
ending in 。, a continuation starting like a heading), as a typesetter would.
Tables are drawn as ruled grids; pypdf returns their cells as space-separated
text, not as `|` rows.

Needs a CJK TrueType font with Latin digits: WenQuanYi Micro Hei, Debian/Ubuntu
package `fonts-wqy-microhei` (/usr/share/fonts/truetype/wqy/wqy-microhei.ttc).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from ingest.pdf_lines import display_width, should_join

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
FONT_HELP = ("PDF output needs a CJK TrueType font with Latin digits: install it with "
             "`apt-get install fonts-wqy-microhei` or pass --font PATH")
# Ideographs printed with a look-alike code point (Supplement, then Kangxi block).
LOOKALIKES = {
    "民": "\u2ea0", "长": "\u2ed3", "门": "\u2ed4", "青": "\u2ed8", "见": "\u2ec5",
    "风": "\u2edb", "马": "\u2ee2", "齐": "\u2eec", "页": "\u2eda", "骨": "\u2ee3",
    "大": "\u2f24", "人": "\u2f08", "力": "\u2f12", "文": "\u2f42", "日": "\u2f47",
    "月": "\u2f49", "用": "\u2f64", "生": "\u2f63", "工": "\u2f2f", "行": "\u2f8f",
}
PAGE_W, PAGE_H, MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 210.0, 297.0, 15.0, 18.0, 20.0
BODY_PT, TITLE_PT, HEADING_PT = 10.5, 16.0, 12.0
LINE_GAP = 1.65
# Gap around digit/Latin runs, in em: pypdf reads a gap from 0.15 em on as a space.
RUN_GAP = 0.16
_RUN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%+\-]*[A-Za-z0-9%]|[A-Za-z0-9]")
_NO_LINE_START = set("，。、；：！？）》」』”’…%")
_NO_LINE_END = set("（《「『“‘")
_HEADING_RE = re.compile(r"^(第[一二三四五六七八九十百零]+[章节部分]|[一二三四五六七八九十]+、|【)")
_MAX_TITLE_CHARS = 36


def find_font(explicit: Path | None = None) -> Path | None:
    """The CJK font to embed, or None when none is installed."""
    for cand in ([explicit] if explicit else []) + list(FONT_CANDIDATES):
        if cand and cand.is_file():
            return cand
    return None


def prepare_font(src: Path, workdir: Path) -> Path:
    """Copy of the font whose cmap also maps each look-alike to its ideograph's glyph."""
    from fontTools.ttLib import TTFont

    # A fixed timestamp keeps rebuilt PDFs byte-identical.
    kwargs = {"fontNumber": 0} if src.suffix.lower() == ".ttc" else {}
    font = TTFont(str(src), recalcTimestamp=False, **kwargs)
    for table in font["cmap"].tables:
        if table.isUnicode():
            for ideo, look in LOOKALIKES.items():
                if ord(ideo) in table.cmap:
                    table.cmap[ord(look)] = table.cmap[ord(ideo)]
    out = workdir / "cjk-lookalike.ttf"
    font.save(str(out))
    return out


def _units(text: str) -> list[str]:
    """Unbreakable pieces: one CJK char, or a whole digit/Latin run."""
    units, pos = [], 0
    for m in _RUN_RE.finditer(text):
        units.extend(text[pos:m.start()])
        units.append(m.group(0))
        pos = m.end()
    units.extend(text[pos:])
    return units


class PdfWriter:
    """Lays out paragraphs, headings and tables page by page."""

    def __init__(self, font: Path) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creation_date(datetime(2024, 6, 1, tzinfo=UTC))
        self.pdf.set_producer("build_corpus")
        self.pdf.add_font("cjk", "", str(font))
        self.pdf.add_font("latin", "", str(font))
        self.width = PAGE_W - 2 * MARGIN_X
        self.page = 0
        self.y = PAGE_H
        self.pdf.set_font("cjk", size=BODY_PT)
        self.ref = 2 * int(self.width / self.pdf.get_string_width("国"))

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.page += 1
        self.pdf.set_font("cjk", size=BODY_PT)
        label = f"- {self.page} -"
        self.pdf.text((PAGE_W - self.pdf.get_string_width(label)) / 2, PAGE_H - 10, label)
        self.y = MARGIN_TOP

    def _advance(self, size: float) -> float:
        step = size * 0.3528 * LINE_GAP
        if self.y + step > PAGE_H - MARGIN_BOTTOM:
            self._new_page()
        self.y += step
        return self.y

    def _width(self, unit: str, size: float) -> float:
        self.pdf.set_font("latin" if unit[0].isascii() and unit[0].isalnum() else "cjk", size=size)
        gap = RUN_GAP * size * 0.3528 if unit[0].isascii() and unit[0].isalnum() else 0.0
        return self.pdf.get_string_width(unit.translate(_LOOK)) + 2 * gap

    def _draw(self, x: float, y: float, units: list[str], size: float) -> None:
        run = ""
        for unit in units + [""]:
            latin = bool(unit) and unit[0].isascii() and unit[0].isalnum()
            if (latin or not unit) and run:
                self.pdf.set_font("cjk", size=size)
                self.pdf.text(x, y, run.translate(_LOOK))
                x += self.pdf.get_string_width(run.translate(_LOOK))
                run = ""
            if latin:
                gap = RUN_GAP * size * 0.3528
                self.pdf.set_font("latin", size=size)
                self.pdf.text(x + gap, y, unit)
                x += self.pdf.get_string_width(unit) + 2 * gap
            else:
                run += unit

    def _lines(self, units: list[str], size: float) -> list[list[str]]:
        """Greedy fixed-width wrapping with typesetting rules and rejoinable breaks."""
        lines: list[list[str]] = []
        start = 0
        while start < len(units):
            end, used = start, 0.0
            while end < len(units) and used + self._width(units[end], size) <= self.width:
                used += self._width(units[end], size)
                end += 1
            if end < len(units) and units[end] in _NO_LINE_START:
                end += 1  # hanging punctuation
            end = max(end, start + 1)
            if end < len(units):
                end = self._good_break(units, start, end)
            lines.append(units[start:end])
            start = end
        return lines

    def _good_break(self, units: list[str], start: int, end: int) -> int:
        for cand in range(end, max(start + 1, end - 6), -1):
            line, rest = "".join(units[start:cand]), "".join(units[cand:])
            if (units[cand] not in _NO_LINE_START and units[cand - 1] not in _NO_LINE_END
                    and should_join(line, rest, self.ref)):
                return cand
        return end

    def paragraph(self, text: str, *, size: float = BODY_PT, align: str = "left") -> None:
        """Write one paragraph, wrapped at the margin (no first-line indent, as browsers print)."""
        for line in self._lines(_units(text), size):
            y = self._advance(size)
            x = MARGIN_X
            if align == "center":
                x += (self.width - sum(self._width(u, size) for u in line)) / 2
            self._draw(x, y, line, size)

    def title(self, text: str) -> None:
        """The title: centred, shrunk to fit one line when it is not too long."""
        size = TITLE_PT
        self.pdf.set_font("cjk", size=size)
        while size > 14 and self.pdf.get_string_width(text) > self.width:
            size -= 1
            self.pdf.set_font("cjk", size=size)
        self.paragraph(text, size=size, align="center")
        self.y += 3

    def table(self, rows: list[list[str]]) -> None:
        """A ruled grid, one text line per cell line."""
        ncol = max(len(r) for r in rows)
        col_w = self.width / ncol
        self.pdf.set_line_width(0.2)
        for row in rows:
            cells = [self._cell_lines(c, col_w - 2) for c in row]
            height = max(len(c) for c in cells) * BODY_PT * 0.3528 * LINE_GAP + 1.5
            if self.y + height > PAGE_H - MARGIN_BOTTOM:
                self._new_page()
            for j, cell in enumerate(cells):
                x = MARGIN_X + j * col_w
                self.pdf.rect(x, self.y, col_w, height)
                for k, line in enumerate(cell):
                    self._draw(x + 1, self.y + (k + 1) * BODY_PT * 0.3528 * LINE_GAP, line,
                               BODY_PT)
            self.y += height
        self.y += 2

    def _cell_lines(self, text: str, width: float) -> list[list[str]]:
        saved, self.width = self.width, width
        try:
            return self._lines(_units(text), BODY_PT) or [[]]
        finally:
            self.width = saved

    def save(self, path: Path) -> None:
        """Write the PDF file."""
        self.pdf.output(str(path))


_LOOK = str.maketrans(LOOKALIKES)


def write_pdf(blocks: list[tuple[str, object]], path: Path, font: Path) -> None:
    """Render (kind, content) blocks (title, center, heading, para, table).

    `font` is a font made by `prepare_font`.
    """
    w = PdfWriter(font)
    for kind, content in blocks:
        if kind == "title":
            w.title(str(content))
        elif kind == "center":
            w.paragraph(str(content), align="center")
        elif kind == "heading":
            w.y += 1.5
            w.paragraph(str(content), size=HEADING_PT)
        elif kind == "table":
            w.table(content)  # type: ignore[arg-type]
        else:
            w.paragraph(str(content))
    w.save(path)


def title_fits(title: str) -> bool:
    """Whether a title prints on one line (longer ones wrap and come back as two lines)."""
    return len(title) <= _MAX_TITLE_CHARS and display_width(title) <= 2 * _MAX_TITLE_CHARS


def is_heading(line: str) -> bool:
    """Short 第X章 / 一、 / 【…】 lines get heading layout (PDF) or style (DOCX)."""
    return bool(_HEADING_RE.match(line)) and len(line) <= 30 and not line.endswith("。")
