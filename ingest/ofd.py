"""OFD (GB/T 33190) text by zip + XML: pages in Document.xml order, text in reading order.

Per page the text of its TextObjects, of its template pages (Page/Template) and of the
CompositeGraphicUnits its CompositeObjects place (CNKI keeps all text there) is collected
with each TextCode's position on the page (Boundary origin plus the object's CTM applied
to the TextCode's X/Y), then sorted top to bottom and left to right; codes on the same
baseline form one line. Part names are looked up case-insensitively (WPS writes DOC_0/
while its XML says Doc_0/). A document whose pages hold images and no text is refused as
needing OCR.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

from core.config import IngestLimits
from ingest.kinds import needs_ocr
from ingest.pdf_lines import strip_page_numbers
from ingest.textfile import Unreadable
from ingest.zipparts import ZipParts

_MAX_NESTING = 8  # composite units placing composite units
_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class _Piece:
    y: float
    x: float
    size: float  # font size in page units
    width: float
    text: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _floats(value: str | None) -> list[float]:
    out = []
    for v in (value or "").split():
        try:
            out.append(float(v))
        except ValueError:
            continue
    return out


def _matrix(value: str | None) -> _Matrix:
    m = _floats(value)
    return tuple(m) if len(m) == 6 else _IDENTITY  # type: ignore[return-value]


def _apply(m: _Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _then(inner: _Matrix, outer: _Matrix) -> _Matrix:
    """The matrix applying `inner` first, then `outer`."""
    a, b, c, d, e, f = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _deltas_sum(value: str | None) -> float:
    """The sum of a DeltaX list, expanding the `g count delta` form."""
    tokens, total, i = (value or "").split(), 0.0, 0
    while i < len(tokens):
        try:
            if tokens[i] == "g" and i + 2 < len(tokens):
                total += int(tokens[i + 1]) * float(tokens[i + 2])
                i += 3
            else:
                total += float(tokens[i])
                i += 1
        except ValueError:
            i += 1
    return total


def _resolve(base_dir: str, loc: str) -> str:
    loc = loc.strip().replace("\\", "/")
    if loc.startswith("/"):
        return loc.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, loc))


class _Doc:
    def __init__(self, data: bytes, resources: bool = True) -> None:
        self.pkg = ZipParts(data, "OFD 部件")
        root = self.pkg.xml("OFD.xml")
        body = _child(root, "DocBody") if root is not None else None
        doc_root = _child(body, "DocRoot") if body is not None else None
        if doc_root is None or not (doc_root.text or "").strip():
            raise Unreadable("不是有效的 OFD 文件（OFD.xml 中没有 DocRoot）")
        self.doc_path = _resolve("", doc_root.text)
        self.doc_dir = posixpath.dirname(self.doc_path)
        doc = self.pkg.xml(self.doc_path)
        if doc is None:
            raise Unreadable(f"不是有效的 OFD 文件（缺少 {self.doc_path}）")
        pages = _child(doc, "Pages")
        self.pages = [(_resolve(self.doc_dir, p.get("BaseLoc", "")), p)
                      for p in (_children(pages, "Page") if pages is not None else [])]
        common = _child(doc, "CommonData")
        self.templates: dict[str, str] = {}
        self.units: dict[str, ET.Element] = {}
        self.images = 0
        if common is not None and resources:
            for t in _children(common, "TemplatePage"):
                self.templates[t.get("ID", "")] = _resolve(self.doc_dir, t.get("BaseLoc", ""))
            for kind in ("PublicRes", "DocumentRes"):
                for res in _children(common, kind):
                    self._load_res(_resolve(self.doc_dir, res.text or ""))

    def _load_res(self, path: str) -> None:
        res = self.pkg.xml(path)
        if res is None:
            return
        for unit in res.iter():
            if _local(unit.tag) == "CompositeGraphicUnit" and unit.get("ID"):
                self.units[unit.get("ID")] = unit

    def page_pieces(self, path: str, page: ET.Element) -> list[_Piece]:
        pieces: list[_Piece] = []
        root = self.pkg.xml(path)
        if root is None:
            return pieces
        seen = {path}
        # Page/Template sits in the page's Content.xml (some producers also repeat it in
        # Document.xml's Page entry).
        for tpl in [*_children(page, "Template"), *_children(root, "Template")]:
            tpl_path = self.templates.get(tpl.get("TemplateID", ""))
            if tpl_path and tpl_path not in seen:
                seen.add(tpl_path)
                tpl_root = self.pkg.xml(tpl_path)
                if tpl_root is not None:
                    self._content(tpl_path, tpl_root, pieces)
        self._content(path, root, pieces)
        return pieces

    def _content(self, path: str, root: ET.Element, pieces: list[_Piece]) -> None:
        for res in _children(root, "PageRes"):
            self._load_res(_resolve(posixpath.dirname(path), res.text or ""))
        content = _child(root, "Content")
        if content is not None:
            self._walk(content, _IDENTITY, pieces, 0)

    def _walk(self, el: ET.Element, outer: _Matrix, pieces: list[_Piece], depth: int) -> None:
        for child in el:
            name = _local(child.tag)
            if name == "TextObject":
                self._text(child, outer, pieces)
            elif name == "ImageObject":
                self.images += 1
            elif name == "CompositeObject" and depth < _MAX_NESTING:
                unit = self.units.get(child.get("ResourceID", ""))
                content = _child(unit, "Content") if unit is not None else None
                if content is not None:
                    self._walk(content, _then(self._placement(child), outer), pieces,
                               depth + 1)
            elif name in ("Layer", "PageBlock", "Content"):
                self._walk(child, outer, pieces, depth)

    @staticmethod
    def _placement(obj: ET.Element) -> _Matrix:
        """Object coordinates to its parent's: the CTM, then the Boundary's origin."""
        box = _floats(obj.get("Boundary"))
        ox, oy = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
        return _then(_matrix(obj.get("CTM")), (1.0, 0.0, 0.0, 1.0, ox, oy))

    def _text(self, obj: ET.Element, outer: _Matrix, pieces: list[_Piece]) -> None:
        m = _then(self._placement(obj), outer)
        scale = (abs(m[0] * m[3] - m[1] * m[2])) ** 0.5 or 1.0
        size = (_floats(obj.get("Size")) or [3.5])[0]
        x = y = 0.0
        for code in _children(obj, "TextCode"):
            x = (_floats(code.get("X")) or [x])[0]
            y = (_floats(code.get("Y")) or [y])[0]
            text = code.text or ""
            if not text.strip():
                continue
            px, py = _apply(m, x, y)
            width = (_deltas_sum(code.get("DeltaX")) + size) * scale
            pieces.append(_Piece(py, px, size * scale, width, text))


def _rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Pieces grouped by baseline, top to bottom."""
    rows: list[list[_Piece]] = []
    for p in sorted(pieces, key=lambda p: (p.y, p.x)):
        if rows and abs(p.y - rows[-1][0].y) <= 0.4 * max(p.size, rows[-1][0].size):
            rows[-1].append(p)
        else:
            rows.append([p])
    return rows


def _gaps(spans: list[tuple[float, float]], least: float) -> list[float]:
    """Middles of the gaps at least `least` wide between the merged intervals."""
    spans.sort()
    out, end = [], spans[0][1]
    for lo, hi in spans[1:]:
        if lo - end >= least:
            out.append((lo + end) / 2)
        end = max(end, hi)
    return out


def _is_column(side: list[_Piece], size: float) -> bool:
    """Prose set in a column: many lines, the middle one at least 10 characters long
    (table columns are short cells: a table is read row by row, not column by column)."""
    rows = _rows(side)
    if len(rows) < 6:
        return False
    lengths = sorted(sum(len(p.text.strip()) for p in row) for row in rows)
    width = max(p.x + p.width for p in side) - min(p.x for p in side)
    return lengths[len(lengths) // 2] >= 10 and width >= 8 * size


def _blocks(pieces: list[_Piece], depth: int = 0) -> list[list[_Piece]]:
    """Reading order by recursive XY-cut: text columns (gutters between two parts each
    many lines tall and wide) are read one after another; otherwise top to bottom."""
    if len(pieces) < 2 or depth > 60:
        return [pieces]
    size = sorted(p.size for p in pieces)[len(pieces) // 2]
    for cut in _gaps([(p.x, p.x + p.width) for p in pieces], 0.8 * size):
        left = [p for p in pieces if p.x < cut]
        right = [p for p in pieces if p.x >= cut]
        if all(_is_column(side, size) for side in (left, right)):
            return _blocks(left, depth + 1) + _blocks(right, depth + 1)
    cuts = _gaps([(p.y - p.size, p.y) for p in pieces], 0.3 * size)
    if not cuts:
        return [pieces]
    widest = max(cuts, key=lambda c: min(abs(p.y - c) for p in pieces))
    top = [p for p in pieces if p.y < widest]
    bottom = [p for p in pieces if p.y >= widest]
    if not top or not bottom:
        return [pieces]
    return _blocks(top, depth + 1) + _blocks(bottom, depth + 1)


def _lines(pieces: list[_Piece]) -> list[str]:
    """The page's lines in reading order, each line left to right."""
    lines = []
    for block in _blocks(pieces):
        for row in _rows(block):
            row.sort(key=lambda p: p.x)
            out, end = "", None
            for p in row:
                if end is not None and p.x - end > 0.8 * p.size:
                    out += " "
                out += p.text
                end = p.x + p.width
            lines.append(out.rstrip())
    return lines


def check_ofd(data: bytes, limits: IngestLimits) -> None:
    """Refuse an OFD with more pages than the limit, before reading any page."""
    try:
        n = len(_Doc(data, resources=False).pages)
    except Unreadable:
        raise
    except Exception:  # damage is reported by read_ofd
        return
    if n > limits.max_pages:
        raise Unreadable(f"OFD 共 {n} 页，超过上限 {limits.max_pages} 页（KB_MAX_PAGES）")


def read_ofd(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    """The text of an OFD, one page after another, with each page's start offset."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Unreadable("不是有效的 OFD 文件（不是 zip 包）")
    doc = _Doc(data)
    if not doc.pages:
        raise Unreadable("OFD 没有页面")
    pages = [strip_page_numbers("\n".join(_lines(doc.page_pieces(path, page))))
             for path, page in doc.pages]
    if not any(p.strip() for p in pages):
        if doc.images:
            raise Unreadable(needs_ocr("OFD 页面只有图片，"))
        raise Unreadable("OFD 中没有文字")
    starts, pos = [], 0
    for p in pages:
        starts.append(pos)
        pos += len(p) + 1
    return "\n".join(pages), tuple(starts), {}
