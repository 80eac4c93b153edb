"""Build the delivered sample knowledge base `corpus/` from `tools/corpus_src/`.

Every source `tools/corpus_src/<category>/<stem>.txt` (UTF-8, conventions in
docs/CONTRACTS.md) becomes `corpus/<category>/<stem>.<ext>` in the format that
`tools/corpus_formats.tsv` gives the stem:
- `txt`: the source as UTF-8;
- `txt-gbk`: GB18030 bytes (identical to GBK for every GBK character) with CRLF
  line ends, like a file saved on a Chinese Windows machine;
- `docx`: Title style for the title, Heading 1 for 第X章/第X部分, Heading 2 for
  一、 and 【…】 lines, real Word tables;
- `pdf`: browser-printed look (see tools/corpus_pdf.py): needs the
  `fonts-wqy-microhei` package (or `--font PATH`); the PDFs are committed, so
  users never need the font.
Stems missing from the table are written as `txt`; listed stems without a source
are ignored. `--suggest-formats` prints a table with about 15% pdf, 15% docx and
10% txt-gbk, spread over the categories by a hash of the stem (deterministic).

After writing, each file is read back with the ingest loader and normaliser and
every source paragraph must appear verbatim in the result; failures are printed.
PDF tables are the documented exception (cells come back space-separated), as
are PDF titles too long for one line (they come back as two lines).

Usage: python tools/build_corpus.py [--src DIR] [--out DIR] [--formats TSV]
       [--font PATH] [--clean] [--suggest-formats]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(Path(__file__).resolve().parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import corpus_pdf  # noqa: E402

from core.text.normalize import normalize_text  # noqa: E402
from ingest.loaders import load_file  # noqa: E402
from ingest.normalize import normalize_document  # noqa: E402

FORMATS = {"txt": ".txt", "txt-gbk": ".txt", "docx": ".docx", "pdf": ".pdf"}
OUTPUT_SUFFIXES = (".txt", ".docx", ".pdf")
# Repeating assignment for --suggest-formats: 3 pdf, 3 docx, 2 txt-gbk in 20.
_PATTERN = ("pdf", "txt", "docx", "txt", "txt-gbk", "txt", "txt", "pdf", "txt", "docx",
            "txt", "txt", "txt-gbk", "txt", "pdf", "txt", "docx", "txt", "txt", "txt")
_DATE_RE = re.compile(r"^[（(]?\d{4}年\d{1,2}月\d{1,2}日[)）]?$")
_DOC_NO_RE = re.compile(r"^\S{0,16}〔\d{4}〕\d+号$")
_FIXED_ZIP_TIME = (2024, 6, 1, 0, 0, 0)


def read_formats(path: Path) -> dict[str, str]:
    """stem -> format from the TSV table; unknown formats are reported and ignored."""
    table: dict[str, str] = {}
    if not path.is_file():
        return table
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or parts[1] not in FORMATS:
            print(f"{path}:{n}: expected '<stem> <{'|'.join(FORMATS)}>', got {line!r}",
                  file=sys.stderr)
            continue
        table[parts[0]] = parts[1]
    return table


def sources(src: Path) -> list[Path]:
    """Source files, sorted: <category>/<stem>.txt."""
    return sorted(p for p in src.glob("*/*.txt") if p.is_file())


def _stem_hash(stem: str) -> str:
    return hashlib.sha1(stem.encode("utf-8")).hexdigest()


def suggest_formats(paths: list[Path]) -> dict[str, str]:
    """Deterministic format choice: categories interleaved, a fixed 20-slot pattern."""
    by_cat: dict[str, list[Path]] = {}
    for p in paths:
        by_cat.setdefault(p.parent.name, []).append(p)
    queues = [sorted(v, key=lambda p: _stem_hash(p.stem)) for _, v in sorted(by_cat.items())]
    order: list[Path] = []
    while any(queues):
        for q in queues:
            if q:
                order.append(q.pop(0))
    out: dict[str, str] = {}
    owed = 0  # pdf slots given up by titles too long for one printed line
    for i, p in enumerate(order):
        fmt = _PATTERN[i % len(_PATTERN)]
        fits = corpus_pdf.title_fits((_paragraphs(p.read_text("utf-8")) or [""])[0])
        if fmt == "pdf" and not fits:
            fmt, owed = "txt", owed + 1
        elif fmt == "txt" and owed and fits:
            fmt, owed = "pdf", owed - 1
        out[p.stem] = fmt
    return out


def _paragraphs(text: str) -> list[str]:
    return [ln.strip() for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]


def _is_table_row(line: str) -> bool:
    return len(line) >= 2 and line.startswith("|") and line.endswith("|")


def blocks(text: str) -> list[tuple[str, object]]:
    """Source text as layout blocks: title, center, heading, para, table."""
    paras = _paragraphs(text)
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(paras):
        line = paras[i]
        if _is_table_row(line):
            rows = []
            while i < len(paras) and _is_table_row(paras[i]):
                rows.append([c.strip() for c in paras[i][1:-1].split("|")])
                i += 1
            out.append(("table", rows))
            continue
        if i == 0:
            out.append(("title", line))
        elif i <= 4 and (_DATE_RE.match(line) or _DOC_NO_RE.match(line)
                         or (len(line) <= 30 and not line.endswith("。")
                             and not corpus_pdf.is_heading(line))):
            out.append(("center", line))
        elif corpus_pdf.is_heading(line):
            out.append(("heading", line))
        else:
            out.append(("para", line))
        i += 1
    return out


def write_txt(text: str, path: Path, gbk: bool) -> None:
    """UTF-8 as authored, or GB18030 with CRLF."""
    body = text.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    if gbk:
        path.write_bytes(body.replace("\n", "\r\n").encode("gb18030"))
    else:
        path.write_bytes(body.encode("utf-8"))


def write_docx(text: str, path: Path) -> None:
    """Word document with heading styles and real tables, byte-for-byte reproducible."""
    from datetime import datetime

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    for kind, content in blocks(text):
        if kind == "title":
            doc.add_paragraph(str(content), style="Title")
        elif kind == "center":
            doc.add_paragraph(str(content)).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "heading":
            level = 1 if str(content).startswith("第") else 2
            doc.add_heading(str(content), level=level)
        elif kind == "table":
            rows: list[list[str]] = content  # type: ignore[assignment]
            table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            doc.add_paragraph(str(content))
    props = doc.core_properties
    props.author = props.last_modified_by = "build_corpus"
    props.created = props.modified = datetime(2024, 6, 1)
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """Re-pack a zip with fixed timestamps so rebuilding gives identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(fixed, zin.read(info.filename))
    return out.getvalue()


def missing_paragraphs(text: str, path: Path) -> list[str]:
    """Source paragraphs not found verbatim in the loaded, normalised output file."""
    doc_text, _ = normalize_document(load_file(path))
    fmt = path.suffix.lower()
    missing = []
    for i, para in enumerate(_paragraphs(text)):
        if fmt == ".pdf" and (_is_table_row(para) or (i == 0 and not corpus_pdf.title_fits(para))):
            continue
        if _is_table_row(para):
            para = "|" + "|".join(c.strip() for c in para[1:-1].split("|")) + "|"
        norm, _ = normalize_text(para)
        if norm and norm not in doc_text:
            missing.append(para)
    return missing


def build_one(src: Path, out_dir: Path, fmt: str, pdf_font: Path | None) -> Path:
    """Write one source in the given format; remove its outputs in other formats.

    `pdf_font` comes from `corpus_pdf.prepare_font` (needed for PDF only).
    """
    text = src.read_text(encoding="utf-8")
    target_dir = out_dir / src.parent.name
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / (src.stem + FORMATS[fmt])
    for old in target_dir.glob(src.stem + ".*"):
        if old != target and old.suffix in OUTPUT_SUFFIXES and old.stem == src.stem:
            old.unlink()
    if fmt in ("txt", "txt-gbk"):
        write_txt(text, target, gbk=fmt == "txt-gbk")
    elif fmt == "docx":
        write_docx(text, target)
    else:
        if pdf_font is None:
            raise SystemExit(corpus_pdf.FONT_HELP)
        corpus_pdf.write_pdf(blocks(text), target, pdf_font)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=ROOT / "tools" / "corpus_src")
    ap.add_argument("--out", type=Path, default=ROOT / "corpus")
    ap.add_argument("--formats", type=Path, default=ROOT / "tools" / "corpus_formats.tsv")
    ap.add_argument("--font", type=Path, default=None, help="CJK .ttf/.ttc for PDF output")
    ap.add_argument("--clean", action="store_true", help="delete old outputs in --out first")
    ap.add_argument("--suggest-formats", action="store_true",
                    help="print a formats table for the current sources and exit")
    args = ap.parse_args(argv)
    srcs = sources(args.src)
    if args.suggest_formats:
        for stem, fmt in sorted(suggest_formats(srcs).items()):
            print(f"{stem}\t{fmt}")
        return 0
    table = read_formats(args.formats)
    if args.clean and args.out.is_dir():
        for old in args.out.glob("*/*"):
            if old.is_file() and old.suffix in OUTPUT_SUFFIXES:
                old.unlink()
    wanted = {s.stem: table.get(s.stem, "txt") for s in srcs}
    font = corpus_pdf.find_font(args.font) if "pdf" in wanted.values() else None
    if "pdf" in wanted.values() and font is None:
        print(corpus_pdf.FONT_HELP, file=sys.stderr)
        return 2
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        pdf_font = corpus_pdf.prepare_font(font, Path(tmp)) if font else None
        for src in srcs:
            target = build_one(src, args.out, wanted[src.stem], pdf_font)
            missing = missing_paragraphs(src.read_text(encoding="utf-8"), target)
            status = "ok" if not missing else f"{len(missing)} paragraph(s) not verbatim"
            print(f"{wanted[src.stem]:8} {target.relative_to(args.out)}  {status}")
            for para in missing[:3]:
                print(f"    missing: {para[:60]}")
            problems += bool(missing)
    print(f"{len(srcs)} documents written to {args.out}; {problems} with round-trip problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
