"""Read a file into a RawDocument: .txt/.md, .docx, .pdf, .html/.htm.

Anything that cannot be read as text raises `LoadError(path, reason)` with a one-line
reason (empty, binary, corrupt, encrypted, scanned PDF, unsupported type); no other
exception escapes `load_file` for bad input.

Formats:
- .txt/.md: encoding detected from the bytes (see `ingest.textfile`); a leading
  `---` block of `key: value` lines is removed and returned as overrides.
- .docx: body paragraphs and tables in document order, one paragraph per line
  (headings included, as their own lines). A table row becomes one line
  `|cell|cell|` with the cell's paragraphs joined by a space: the corpus source
  convention, so tables round-trip exactly and each cell stays quotable on its
  own; a horizontally merged cell appears once. Text in headers, footers, text
  boxes and Word's automatic numbering (list labels) is not read.
- .pdf: pypdf text per page joined by "\n"; `page_starts` gives each page's
  offset. A bare page-number line at the top or bottom of a page ("- 3 -",
  "第3页 共9页", "3/9") is dropped. Encrypted files are read only when the empty
  password opens them.
- .html/.htm: main text only (see `ingest.html_text`).

Sidecar `<file name>.meta.json` (e.g. `a.pdf.meta.json`) holds metadata overrides
for any format and wins over front matter; sidecars are not documents themselves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ingest.textfile import Unreadable, clean_overrides, decode_text, split_front_matter
from kb.errors import LoadError
from kb.models import RawDocument

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".docx", ".pdf", ".html", ".htm"})
SIDECAR_SUFFIX = ".meta.json"
_FORMATS = {".txt": "txt", ".md": "md", ".docx": "docx", ".pdf": "pdf", ".html": "html",
            ".htm": "html"}
_PAGE_NO_RE = re.compile(
    r"^\s*([-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(\s*[，,/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})\s*$"
)


def is_sidecar(path: Path) -> bool:
    """True for `<file>.meta.json` metadata sidecars, which are not documents."""
    return Path(path).name.lower().endswith(SIDECAR_SUFFIX)


def sidecar_path(path: Path) -> Path:
    """Where the sidecar of `path` would be."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _read_sidecar(path: Path) -> dict[str, str]:
    side = sidecar_path(path)
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LoadError(str(path), f"sidecar {side.name} is not valid UTF-8 JSON ({e})") from e
    if not isinstance(data, dict):
        raise LoadError(str(path), f"sidecar {side.name} must hold a JSON object")
    return clean_overrides(data)


def _read_text(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    text, _encoding = decode_text(data)
    body, fields = split_front_matter(text)
    return body, (), fields


def _read_docx(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    import io
    import zipfile

    from docx import Document as open_docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Unreadable("not a valid .docx (not a zip package)")
    doc = open_docx(io.BytesIO(data))
    lines: list[str] = []
    for block in _body_blocks(doc.element.body):
        if block.tag.endswith("}p"):
            lines.append(Paragraph(block, doc).text)
        else:
            lines.extend(_table_lines(Table(block, doc)))
    return "\n".join(lines), (), {}


def _body_blocks(body):
    """Paragraph and table elements in document order, looking inside content controls."""
    for el in body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag in ("p", "tbl"):
            yield el
        elif tag == "sdt":
            content = el.find("{*}sdtContent")
            if content is not None:
                yield from _body_blocks(content)


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
        if any(cells):
            lines.append("|" + "|".join(c.replace("\n", " ") for c in cells) + "|")
    return lines


def _strip_page_numbers(page: str) -> str:
    lines = page.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _PAGE_NO_RE.match(lines[-1]):
        lines.pop()
    if lines and _PAGE_NO_RE.match(lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def _read_pdf(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    import io

    from pypdf import PdfReader

    if b"%PDF-" not in data[:1024]:
        raise Unreadable("not a PDF file (no %PDF header)")
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as e:  # e.g. AES without a crypto library
            raise Unreadable(f"encrypted PDF, cannot be opened ({type(e).__name__})") from e
        if not opened:
            raise Unreadable("encrypted PDF (password required)")
    pages = [_strip_page_numbers(page.extract_text() or "") for page in reader.pages]
    if not pages:
        raise Unreadable("PDF has no pages")
    if not any(p.strip() for p in pages):
        raise Unreadable("no text layer (scanned PDF?)")
    starts, pos = [], 0
    for p in pages:
        starts.append(pos)
        pos += len(p) + 1
    return "\n".join(pages), tuple(starts), {}


def _read_html(data: bytes) -> tuple[str, tuple[int, ...], dict[str, str]]:
    from ingest.html_text import html_to_text

    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable("binary file (contains NUL bytes), not HTML")
    return html_to_text(data), (), {}


_READERS = {"txt": _read_text, "md": _read_text, "docx": _read_docx, "pdf": _read_pdf,
            "html": _read_html}


def load_file(path: Path) -> RawDocument:
    """Read one document file. Raises LoadError with a one-line reason."""
    path = Path(path)
    suffix = path.suffix.lower()
    if is_sidecar(path):
        raise LoadError(str(path), "metadata sidecar, not a document")
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        wanted = " ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(str(path), f"unsupported file type '{suffix or path.name}'; "
                                   f"expected one of {wanted}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoadError(str(path), f"cannot read file ({e.strerror or e})") from e
    if not data.strip():
        raise LoadError(str(path), "empty file")
    try:
        text, page_starts, overrides = _READERS[fmt](data)
    except Unreadable as e:
        raise LoadError(str(path), e.reason) from e
    except LoadError:
        raise
    except Exception as e:  # parsers raise many types on damaged input; all mean unreadable
        raise LoadError(str(path), f"corrupt or unreadable {fmt} file ({type(e).__name__})") from e
    if not text.strip():
        raise LoadError(str(path), "no text found in file")
    overrides = {**overrides, **_read_sidecar(path)}
    return RawDocument(source=str(path), text=text, fmt=fmt, page_starts=page_starts,
                       overrides=overrides)
