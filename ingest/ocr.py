"""OCR of page images: scans, photos and PDF/OFD pages without a usable text layer.

The engine is rapidocr (PP-OCR models shipped inside its wheel, run by onnxruntime: nothing
is downloaded). Recognised lines are put in reading order by the same XY-cut as OFD text
(`ingest.layout.layout_lines`: columns read one after another, boxes on one baseline joined),
so a two-column scan reads like its printed text.

Each page gets a confidence: the mean recognition score of its lines weighted by their
characters. Pages below `LOW_CONFIDENCE` are named in the ingest summary. Readers pass
the OCR'd pages to the document's metadata through `ocr_overrides` (DocMeta.ocr_pages,
ocr_confidence), from where chunks and citations are marked.

Progress: `set_page_hook(hook)` makes every recognised page call `hook(done, total)`;
the reading worker (service.worker) forwards it to the ingest's progress bar.
"""

from __future__ import annotations

import io
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from core.errors import require
from ingest.layout import Piece, layout_lines
from ingest.textfile import Unreadable, join_pages

LOW_CONFIDENCE = 0.85  # a page under this mean score is named for checking
# PDF pages are rendered at this resolution: body text (10.5-16 pt) is 22-33 px high,
# inside PP-OCR's best range; 200 dpi was 1.6x slower for no gain on our test pages.
PDF_DPI = 150
MAX_PIXELS = 60_000_000  # one page image (a 600 dpi A3 scan is 35 MP)
_INSTALL = "pip install rapidocr onnxruntime"
OCR_KEYS = ("ocr_pages", "ocr_confidence")


@dataclass(frozen=True)
class OcrPage:
    """One recognised page: its text in reading order, confidence and engine seconds."""

    text: str
    confidence: float  # 0..1; 0 when nothing was recognised
    seconds: float


_engine = None
_page_hook: Callable[[int, int], None] | None = None


def set_page_hook(hook: Callable[[int, int], None] | None) -> None:
    """Call `hook(done, total)` after each page recognised (None: no reports)."""
    global _page_hook
    _page_hook = hook


def engine():
    """The OCR engine, built once per process (about 0.6 s: three small ONNX models)."""
    global _engine
    if _engine is None:
        require("onnxruntime", feature="识别扫描件和图片中的文字（OCR）", install=_INSTALL)
        rapidocr = require("rapidocr", feature="识别扫描件和图片中的文字（OCR）",
                           install=_INSTALL)
        _engine = rapidocr.RapidOCR(params={"Global.log_level": "error"})
    return _engine


def recognize(image) -> OcrPage:
    """Text of one page image (a BGR numpy array, as OpenCV and PDFium give them)."""
    t0 = time.perf_counter()
    result = engine()(image)
    seconds = time.perf_counter() - t0
    boxes = getattr(result, "boxes", None)
    if boxes is None or not len(boxes):
        return OcrPage("", 0.0, seconds)
    pieces, chars, score = [], 0, 0.0
    for box, text, s in zip(boxes, result.txts, result.scores, strict=False):
        text = str(text).strip()
        if not text:
            continue
        xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
        height = max(ys) - min(ys) or 1.0
        pieces.append(Piece(y=max(ys), x=min(xs), size=height, width=max(xs) - min(xs),
                            text=text))
        chars += len(text)
        score += float(s) * len(text)
    text = "\n".join(layout_lines(pieces)) if pieces else ""
    return OcrPage(text, score / chars if chars else 0.0, seconds)


def report_page(done: int, total: int) -> None:
    """Tell the page hook that `done` of `total` images are recognised."""
    if _page_hook is not None:
        _page_hook(done, total)


def recognize_pages(images: Iterable, total: int) -> Iterator[OcrPage]:
    """Recognise page images one by one, reporting each page to the page hook."""
    for done, image in enumerate(images, 1):
        page = recognize(image)
        report_page(done, total)
        yield page


def image_frames(data: bytes, what: str = "图片") -> list:
    """The pages of an image file (a TIFF may hold several) as BGR arrays."""
    np = require("numpy", feature="识别图片中的文字（OCR）", install="pip install numpy")
    pil = require("PIL.Image", feature="识别图片中的文字（OCR）", install="pip install Pillow")
    pil.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = pil.open(io.BytesIO(data))
        frames = []
        for i in range(getattr(img, "n_frames", 1)):
            img.seek(i)
            if img.width * img.height > MAX_PIXELS:
                raise Unreadable(f"{what}第{i + 1}页 {img.width}×{img.height} 像素，超过上限 "
                                 f"{MAX_PIXELS // 1_000_000} 百万像素")
            rgb = img.convert("RGB")
            frames.append(np.asarray(rgb)[:, :, ::-1].copy())
    except Unreadable:
        raise
    except Exception as e:  # truncated or damaged image data
        raise Unreadable(f"{what}已损坏或不完整，无法解码（{type(e).__name__}）") from e
    if not frames:
        raise Unreadable(f"{what}中没有图像")
    return frames


def pdf_page_images(data: bytes, pages: Iterable[int], dpi: int = PDF_DPI) -> Iterator:
    """Render PDF pages (0-based indices) to BGR arrays with PDFium (pypdfium2)."""
    pdfium = require("pypdfium2", feature="把扫描版 PDF 页面转成图片以识别文字",
                     install="pip install pypdfium2")
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as e:  # pypdf read it, PDFium cannot: name it rather than crash
        raise Unreadable(f"扫描版 PDF 无法渲染成图片以识别文字（{type(e).__name__}）") from e
    try:
        for i in pages:
            try:
                page = pdf[i]
                bitmap = page.render(scale=dpi / 72)
                image = bitmap.to_numpy().copy()
                page.close()
            except Exception as e:  # a damaged page: the file is named with its page
                raise Unreadable(f"PDF 第{i + 1}页已损坏，无法渲染识别"
                                 f"（{type(e).__name__}）") from e
            yield image
    finally:
        pdf.close()


def usable_text(text: str) -> bool:
    """False for a page text layer that is empty or garbage: replacement characters,
    private-use glyphs, controls, or "glyph soup" (letters of scripts a Chinese official
    document does not use, as a font without a ToUnicode map extracts)."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < 4:
        return False
    bad = sum(1 for c in chars if not _plausible(c))
    return bad <= 0.15 * len(chars)


def _plausible(c: str) -> bool:
    if c.isascii():
        return c.isprintable()
    cat = unicodedata.category(c)
    if c == "\ufffd" or cat in ("Co", "Cc", "Cs", "Cn"):
        return False
    o = ord(c)
    # CJK ideographs and punctuation, full-width forms, general punctuation, symbols.
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x303F
            or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or 0x2E80 <= o <= 0x2FDF
            or 0x20000 <= o <= 0x2FA1F or 0x2460 <= o <= 0x24FF or 0x2160 <= o <= 0x217F
            or 0x25A0 <= o <= 0x25FF or c in "×÷°±·—…‘’“”")


def ocr_overrides(pages: dict[int, OcrPage]) -> dict[str, str]:
    """The metadata a reader returns for its OCR'd pages (1-based page -> result)."""
    kept = sorted(p for p, r in pages.items() if r.text.strip())
    if not kept:
        return {}
    return {"ocr_pages": " ".join(map(str, kept)),
            "ocr_confidence": " ".join(f"{pages[p].confidence:.3f}" for p in kept)}


def low_confidence_pages(doc) -> list[tuple[int, float]]:
    """(page, confidence) of a document's OCR'd pages under LOW_CONFIDENCE."""
    m = doc.meta
    return [(p, c) for p, c in zip(m.ocr_pages, m.ocr_confidence, strict=False)
            if c < LOW_CONFIDENCE]


def read_image(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    """A scan or photo (.jpg/.png/.tif): every frame recognised as one page."""
    frames = image_frames(data)
    results = dict(enumerate(recognize_pages(frames, len(frames)), 1))
    texts = [results[i].text for i in range(1, len(frames) + 1)]
    if not any(t.strip() for t in texts):
        raise Unreadable("图片中没有识别出文字（OCR 未找到文字）")
    return join_pages(texts, ocr_overrides(results))
