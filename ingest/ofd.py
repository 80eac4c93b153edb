"""OFD (GB/T 33190) text by zip + XML: pages in Document.xml order, text in reading order.

Per page the text of its TextObjects, of its template pages (Page/Template) and of the
CompositeGraphicUnits its CompositeObjects place (CNKI keeps all text there) is collected
with each TextCode's position on the page (Boundary origin plus the object's CTM applied
to the TextCode's X/Y), then sorted top to bottom and left to right; codes on the same
baseline form one line. Part names are looked up case-insensitively (WPS writes DOC_0/
while its XML says Doc_0/). A page that holds images and no text (a scan saved as OFD)
is recognised by OCR (`ingest.ocr`), its images top to bottom.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile

from core.config import IngestLimits
from ingest.layout import Piece, layout_lines
from ingest.ocr import OcrPage, image_frames, ocr_overrides, recognize, report_page
from ingest.pdf_lines import strip_page_numbers
from ingest.textfile import Unreadable, join_pages
from ingest.zipparts import ZipParts

_MAX_NESTING = 8  # composite units placing composite units
_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


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
        self.media: dict[str, str] = {}  # MultiMedia ID -> part name
        self.images = 0
        self.page_images: list[tuple[float, float, str]] = []  # (y, x, part) of a page
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
        base = _resolve(posixpath.dirname(path), res.get("BaseLoc", "") or ".")
        for unit in res.iter():
            if _local(unit.tag) == "CompositeGraphicUnit" and unit.get("ID"):
                self.units[unit.get("ID")] = unit
            elif _local(unit.tag) == "MultiMedia" and unit.get("ID"):
                media = _child(unit, "MediaFile")
                if media is not None and (media.text or "").strip():
                    self.media[unit.get("ID")] = _resolve(base, media.text)

    def page_pieces(self, path: str, page: ET.Element) -> list[Piece]:
        pieces: list[Piece] = []
        self.page_images = []
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

    def _content(self, path: str, root: ET.Element, pieces: list[Piece]) -> None:
        for res in _children(root, "PageRes"):
            self._load_res(_resolve(posixpath.dirname(path), res.text or ""))
        content = _child(root, "Content")
        if content is not None:
            self._walk(content, _IDENTITY, pieces, 0)

    def _walk(self, el: ET.Element, outer: _Matrix, pieces: list[Piece], depth: int) -> None:
        for child in el:
            name = _local(child.tag)
            if name == "TextObject":
                self._text(child, outer, pieces)
            elif name == "ImageObject":
                self.images += 1
                box = _floats(child.get("Boundary")) or [0.0, 0.0]
                x, y = _apply(outer, box[0], box[1] if len(box) > 1 else 0.0)
                self.page_images.append((y, x, child.get("ResourceID", "")))
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

    def _text(self, obj: ET.Element, outer: _Matrix, pieces: list[Piece]) -> None:
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
            pieces.append(Piece(py, px, size * scale, width, text))


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
    pages, scans = [], {}
    for n, (path, page) in enumerate(doc.pages, 1):
        pages.append(strip_page_numbers("\n".join(layout_lines(doc.page_pieces(path, page)))))
        if not pages[-1].strip() and doc.page_images:
            scans[n] = [doc.media.get(rid, "") for _y, _x, rid in sorted(doc.page_images)]
    results = _recognize(doc, scans)
    for n, page in results.items():
        pages[n - 1] = strip_page_numbers(page.text)
    if not any(p.strip() for p in pages):
        if doc.images:
            raise Unreadable("OFD 页面只有图片，OCR 也未识别出文字")
        raise Unreadable("OFD 中没有文字")
    return join_pages(pages, ocr_overrides(results))


def _recognize(doc: _Doc, scans: dict[int, list[str]]) -> dict[int, OcrPage]:
    """OCR of the pages that hold images and no text (1-based page -> result); a page
    with several images gets their texts top to bottom."""
    out: dict[int, OcrPage] = {}
    total = sum(len(parts) for parts in scans.values())
    done = 0
    for n, parts in scans.items():
        texts, conf, secs, chars = [], 0.0, 0.0, 0
        for part in parts:
            data = doc.pkg.read(part) if part else None
            if data is None:
                raise Unreadable(f"OFD 第{n}页的图片 {part or '（未登记）'} 不在文件中")
            for frame in image_frames(data, f"OFD 第{n}页的图片"):
                page = recognize(frame)
                texts.append(page.text)
                conf += page.confidence * len(page.text)
                chars += len(page.text)
                secs += page.seconds
            done += 1
            report_page(done, total)
        out[n] = OcrPage("\n".join(t for t in texts if t), conf / chars if chars else 0.0, secs)
    return out
