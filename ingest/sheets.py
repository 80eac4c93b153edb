"""Spreadsheets (.xlsx) and slides (.pptx) by zip + XML (openpyxl/python-pptx not needed).

.xlsx: each sheet starts with its name on a line of its own, then one line per row,
`|a|b|c|` (the header row is the sheet's first row, as in the file); a merged range
appears once, in its top-left cell; line breaks inside a cell become spaces; empty rows
are dropped. Each sheet is a page (`page_starts`), so a citation names the sheet's number.
.pptx: slides in presentation order, one page each; each text paragraph a line.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

from ingest.textfile import Unreadable
from ingest.zipparts import ZipParts

ReadResult = tuple[str, tuple[int, ...], dict[str, str]]
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


def _pages(pages: list[str]) -> ReadResult:
    starts, pos = [], 0
    for p in pages:
        starts.append(pos)
        pos += len(p) + 1
    return "\n".join(pages), tuple(starts), {}


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


def _sheet_lines(sheet: ET.Element, shared: list[str]) -> list[str]:
    covered = _covered(sheet)
    lines = []
    for row_no, row in enumerate((r for r in sheet.iter() if _local(r.tag) == "row"), 1):
        r = int(row.get("r") or row_no)
        cells: dict[int, str] = {}
        for col_no, cell in enumerate((c for c in row if _local(c.tag) == "c"), 1):
            m = _CELL_RE.match((cell.get("r") or "").upper())
            col = _col_index(m[1]) if m else col_no
            if (r, col) in covered:
                continue
            cells[col] = " ".join(_cell_value(cell, shared).split())
        values = [cells[c] for c in sorted(cells)]
        while values and not values[-1]:
            values.pop()
        if any(values):
            lines.append("|" + "|".join(values) + "|")
    return lines


def read_xlsx(data: bytes) -> ReadResult:
    """Each sheet's name, then its rows as `|a|b|c|` lines; one page per sheet."""
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
        lines = _sheet_lines(root, shared)
        if lines:
            pages.append("\n".join([sheet.get("name") or "工作表", *lines]))
    if not pages:
        raise Unreadable("no text found in file (all sheets are empty)")
    return _pages(pages)


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
    return _pages(pages)
