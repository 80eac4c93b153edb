"""`kb bench`, OCR part: seconds per scanned page through our reader vs the engine alone.

A scanned PDF is made here: A4 pages of a sample document's text drawn with the CJK font
and saved as pictures only (no text layer). Our pipeline is `load_file` on it: parse the
PDF, find that no page has text, render each page with PDFium, recognise it, put the
lines in reading order. The engine's own time is rapidocr called directly on the very
page images our pipeline rendered. Both run in this process, interleaved, and the best
of the rounds is kept for each (the machine is shared: a slow round says nothing about
either). The bar is ocr_ratio <= 1.2. Character-bigram recall of the recognised text
against the drawn text says whether the speed was bought with misreadings.
"""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

from evals.sets import ROOT

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SOURCE = ROOT / "tools" / "corpus_src" / "measures"
A4_100DPI = (827, 1169)


def _lines(chars_per_line: int = 30, pages: int = 2, per_page: int = 24) -> list[list[str]]:
    """Lines of real sample text for `pages` pages."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SOURCE.glob("*.txt"))[:3])
    flat = re.sub(r"\s+", "", text)
    lines = [flat[i:i + chars_per_line] for i in range(0, len(flat), chars_per_line)]
    return [lines[i * per_page:(i + 1) * per_page] for i in range(pages)]


def scanned_pdf(pages: list[list[str]], size: int = 24) -> bytes:
    """An image-only A4 PDF (a 100 dpi scan) of these lines."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), size)
    images = []
    for lines in pages:
        img = Image.new("RGB", A4_100DPI, "white")
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            draw.text((60, 80 + i * int(size * 1.8)), line, fill="black", font=font)
        images.append(img)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=100, save_all=True, append_images=images[1:])
    return buf.getvalue()


def _bigram_recall(truth: str, got: str) -> float:
    t, g = re.sub(r"\s+", "", truth), re.sub(r"\s+", "", got)
    want = [t[i:i + 2] for i in range(len(t) - 1)]
    have: dict[str, int] = {}
    for i in range(len(g) - 1):
        have[g[i:i + 2]] = have.get(g[i:i + 2], 0) + 1
    hit = 0
    for b in want:
        if have.get(b, 0) > 0:
            have[b] -= 1
            hit += 1
    return hit / len(want) if want else 0.0


def bench_ocr(work: Path, pages: int = 2, rounds: int = 2) -> dict:
    """{ocr_s_per_page, ocr_engine_s_per_page, ocr_ratio, ocr_pages, ocr_dpi, ocr_recall}."""
    from ingest.loaders import load_file
    from ingest.ocr import PDF_DPI, engine, pdf_page_images

    if not FONT.is_file():
        return {"ocr_note": f"未测：缺少中文字体 {FONT}（apt-get install fonts-wqy-microhei）"}
    truth = _lines(pages=pages)
    data = scanned_pdf(truth)
    path = work / "scan.pdf"
    path.write_bytes(data)
    images = list(pdf_page_images(data, range(pages)))
    eng = engine()
    eng(images[0])  # warm-up: first-call allocations are charged to neither side
    ours, alone, text = [], [], ""
    for _ in range(rounds):
        t0 = time.perf_counter()
        text = load_file(path).text
        ours.append((time.perf_counter() - t0) / pages)
        t0 = time.perf_counter()
        for img in images:
            eng(img)
        alone.append((time.perf_counter() - t0) / pages)
    out = {"ocr_s_per_page": round(min(ours), 3), "ocr_engine_s_per_page": round(min(alone), 3),
           "ocr_ratio": round(min(ours) / min(alone), 3), "ocr_pages": pages,
           "ocr_dpi": PDF_DPI,
           "ocr_recall": round(_bigram_recall("".join(sum(truth, [])), text), 3)}
    print(f"[bench] OCR {out['ocr_s_per_page']} s/page, engine alone "
          f"{out['ocr_engine_s_per_page']} s/page, ratio {out['ocr_ratio']}, "
          f"bigram recall {out['ocr_recall']}", file=sys.stderr)
    return out


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(bench_ocr(Path(tmp)), ensure_ascii=False))
