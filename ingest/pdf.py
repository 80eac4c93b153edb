"""PDF text by pypdf, page by page; scanned pages recognised by OCR (`ingest.ocr`).

A page is recognised when its text layer is not usable (empty, replacement or private-use
characters, glyph soup: `ingest.ocr.usable_text`) or when it holds an image under fewer
than `_STAMP_CHARS` characters of text (a scan with a scanner app's stamp); the OCR text
replaces the layer only when it is longer (or the layer unusable). A bare page-number
line at the top or bottom of a page is dropped. Encrypted files are read only when the
empty password opens them.
"""

from __future__ import annotations

import io

from core.errors import require
from ingest.ocr import ocr_overrides, pdf_page_images, recognize_pages, usable_text
from ingest.pdf_lines import strip_page_numbers
from ingest.textfile import Unreadable, join_pages

_STAMP_CHARS = 40


def _chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def _has_image(page) -> bool:
    """True when the page draws an image XObject of its own (forms are not looked into)."""
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is None:
            return False
        return any(x.get_object().get("/Subtype") == "/Image"
                   for x in xobjects.get_object().values())
    except Exception:  # a damaged resource dictionary: treat as no image
        return False


def read_pdf(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    """pypdf text per page; pages without a usable text layer recognised by OCR."""
    pypdf = require("pypdf", feature="读取 PDF 文件", install="pip install pypdf")
    if b"%PDF-" not in data[:1024]:
        raise Unreadable("not a PDF file (no %PDF header)")
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as e:  # e.g. AES without a crypto library
            raise Unreadable(f"encrypted PDF, cannot be opened ({type(e).__name__})") from e
        if not opened:
            raise Unreadable("encrypted PDF (password required)")
    pages = [strip_page_numbers(_page_text(page)) for page in reader.pages]
    if not pages:
        raise Unreadable("PDF has no pages")
    # Pages without a usable text layer (scans, garbage glyphs) are recognised by OCR, and
    # so are pictures of a page under a few words of text (a scanner app's watermark).
    scanned = [i for i, p in enumerate(pages) if not usable_text(p)
               or (_chars(p) < _STAMP_CHARS and _has_image(reader.pages[i]))]
    results = {}
    if scanned:
        images = pdf_page_images(data, scanned)
        for i, page in zip(scanned, recognize_pages(images, len(scanned)), strict=True):
            text = strip_page_numbers(page.text)
            if _chars(text) > _chars(pages[i]) or not usable_text(pages[i]):
                results[i + 1] = page
                pages[i] = text
    if not any(p.strip() for p in pages):
        raise Unreadable("扫描版 PDF：既没有文字层，OCR 也未识别出文字")
    return join_pages(pages, ocr_overrides(results))


def _page_text(page) -> str:
    """A page's text layer; a page whose content stream pypdf cannot parse has none (it
    is rendered and recognised instead, if PDFium can draw it)."""
    try:
        return page.extract_text() or ""
    except Exception:  # damaged content stream of one page
        return ""
