"""Spreadsheets (.xlsx) and slides (.pptx) by zip + XML (openpyxl/python-pptx not needed).

.xlsx (and .xls/.et through `ingest.xls`): each sheet is a page (`page_starts`) that
starts with the heading `工作表：名称`; a title row (one merged cell) is a line of its own,
the header row `|序号|姓名|`, then every data row carries its header: `|序号：1|姓名：张三|`
(a row is a unit on its own for search and quotes); a merged range appears once, in its
top-left cell; line breaks inside a cell are dropped between Chinese characters, else
become spaces; empty rows are dropped.
.pptx: slides in presentation order, one page each; each text paragraph a line.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

from ingest.textfile import ReadResult, Unreadable, join_pages
from ingest.zipparts import ZipParts

_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Zip(ZipParts):
    def __init__(self, data: bytes, what: str) -> None:
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise Unreadable(f"不是有效的 {what} 文件（不是 zip 包）")
        super().__init__(data)

    def rels(self, part: str) -> dict[str, str]:
        """Relationship id -> target part name, for `part`."""
        folder, name = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", name + ".rels"))
        out = {}
        for rel in root.iter() if root is not None else ():
            if _local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
                target = rel.get("Target").replace("\\", "/")
                out[rel.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                      else posixpath.normpath(posixpath.join(folder, target)))
        return out


def _text_of(el: ET.Element) -> str:
    """All <t> text under `el` (rich-text runs joined; phonetic runs left out)."""
    parts = []
    for node in el.iter():
        name = _local(node.tag)
        if name == "rPh":
            continue
        if name == "t" and node.text:
            parts.append(node.text)
    return "".join(parts)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _covered(sheet: ET.Element) -> set[tuple[int, int]]:
    """Cells (row, col) inside a merged range other than its top-left cell."""
    out: set[tuple[int, int]] = set()
    for m in sheet.iter():
        if _local(m.tag) != "mergeCell":
            continue
        ends = [_CELL_RE.match(e) for e in (m.get("ref") or "").upper().split(":")]
        if len(ends) != 2 or not all(ends):
            continue
        (c1, r1), (c2, r2) = [(_col_index(e[1]), int(e[2])) for e in ends]
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
            continue  # a whole-column merge: its other cells are empty anyway
        out.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                   if (r, c) != (r1, c1))
    return out


def _cell_value(cell: ET.Element, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return _text_of(cell)
    v = next((c.text or "" for c in cell if _local(c.tag) == "v"), "")
    if kind == "s":
        try:
            return shared[int(v)]
        except (ValueError, IndexError):
            return ""
    if kind == "b":
        return "TRUE" if v == "1" else "FALSE"
    return v


def _sheet_rows(sheet: ET.Element, shared: list[str]) -> list[tuple[int, list[str]]]:
    """(row number, cell values from column A) of each row (merged ranges once, in their
    top-left cell)."""
    covered = _covered(sheet)
    rows = []
    for row_no, row in enumerate((r for r in sheet.iter() if _local(r.tag) == "row"), 1):
        r = int(row.get("r") or row_no)
        cells: dict[int, str] = {}
        for col_no, cell in enumerate((c for c in row if _local(c.tag) == "c"), 1):
            m = _CELL_RE.match((cell.get("r") or "").upper())
            col = _col_index(m[1]) if m else col_no
            if (r, col) in covered:
                continue
            cells[col] = cell_text(_cell_value(cell, shared))
        if cells:
            rows.append((r, [cells.get(c, "") for c in range(1, max(cells) + 1)]))
    return rows


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def cell_text(value: str) -> str:
    """A cell on one line: a line break inside a word of Chinese is dropped (表头里的
    "含\n量"), elsewhere it becomes a space."""
    out = ""
    for p in (" ".join(p.split()) for p in str(value).splitlines()):
        if p and out and not (_CJK.match(out[-1]) and _CJK.match(p[0])):
            out += " "
        out += p
    return out


_NUMBER = re.compile(r"^[-+]?[\d,.%]+$")


def sheet_page(name: str, numbered: list[tuple[int, list[str]]]) -> str:
    """One sheet as text: a heading `工作表：名称`, title lines above the table, the header
    row `|序号|姓名|…|`, then each data row with its header and its row number in the
    sheet, `|序号：1|姓名：张三|…|第3行|`, so a row found or quoted on its own still says
    what each value is and where it stands (`answer.references` cites 工作表「名称」第3行).
    Columns empty in every row are left out."""
    used = sorted({i for _, r in numbered for i, v in enumerate(r) if v})
    rows = [(n, [r[i] if i < len(r) else "" for i in used]) for n, r in numbered]
    rows = [(n, r[:max((i for i, v in enumerate(r) if v), default=-1) + 1]) for n, r in rows]
    lines = [f"工作表：{name or '工作表'}"]
    header: list[str] | None = None
    for n, row in ((n, r) for n, r in rows if r):
        filled = [v for v in row if v]
        if header is None:
            # The header is the first row of two or more words, none a bare number; a
            # single-cell row above it is a title (a merged 表名 across the columns).
            if len(filled) >= 2 and not any(_NUMBER.match(v) for v in filled):
                header = row
                lines.append("|" + "|".join(row) + "|")
            elif len(filled) == 1:
                lines.append(filled[0])
            else:
                lines.append("|" + "|".join(row) + "|")
            continue
        cells = []
        for i, v in enumerate(row):
            h = header[i] if i < len(header) else ""
            cells.append(f"{h}：{v}" if v and h else v)
        lines.append("|" + "|".join(cells) + f"|第{n}行|")
    return "\n".join(lines)


def read_xlsx(data: bytes) -> ReadResult:
    """Each sheet as `sheet_page`; one page per sheet."""
    pkg = _Zip(data, ".xlsx")
    book = pkg.xml("xl/workbook.xml")
    if book is None:
        raise Unreadable("不是有效的 .xlsx 文件（缺少 xl/workbook.xml）")
    rels = pkg.rels("xl/workbook.xml")
    sst = pkg.xml("xl/sharedStrings.xml")
    shared = [_text_of(si) for si in sst if _local(si.tag) == "si"] if sst is not None else []
    pages = []
    for sheet in (s for s in book.iter() if _local(s.tag) == "sheet"):
        part = rels.get(sheet.get(_REL_NS + "id", ""), "")
        root = pkg.xml(part) if part else None
        if root is None:
            continue
        rows = _sheet_rows(root, shared)
        if any(any(r) for _, r in rows):
            pages.append(sheet_page(sheet.get("name") or "", rows))
    if not pages:
        raise Unreadable("no text found in file (all sheets are empty)")
    return join_pages(pages)


def read_pptx(data: bytes) -> ReadResult:
    """The text of each slide in presentation order, one page per slide."""
    pkg = _Zip(data, ".pptx")
    pres = pkg.xml("ppt/presentation.xml")
    if pres is None:
        raise Unreadable("不是有效的 .pptx 文件（缺少 ppt/presentation.xml）")
    rels = pkg.rels("ppt/presentation.xml")
    pages = []
    for sld in (s for s in pres.iter() if _local(s.tag) == "sldId"):
        part = rels.get(sld.get(_REL_NS + "id", ""), "")
        root = pkg.xml(part) if part else None
        if root is None:
            continue
        paras = [_text_of(p).strip() for p in root.iter() if _local(p.tag) == "p"
                 and p.tag.startswith("{http://schemas.openxmlformats.org/drawingml")]
        pages.append("\n".join(p for p in paras if p))
    if not any(p.strip() for p in pages):
        raise Unreadable("no text found in file (slides have no text)")
    return join_pages(pages)
