"""Read a file into a RawDocument: .txt/.md, .docx, .pdf, .html/.htm, .ofd, .xlsx, .pptx,
.doc/.wps, .xls/.et and images (.jpg/.png/.tif, by OCR).

A `Loader` declares its format name, the suffixes it takes, the magic bytes its files
start with (none for text formats) and whether its layout is fixed (printed lines, as in
PDF: normalisation rejoins wrapped lines). `register_loader` adds one; the CLI's and the
upload page's lists of accepted types are derived from the registry (`supported_suffixes`).

Anything that cannot be read as text raises `LoadError(path, reason)` with a one-line
reason (empty, binary, corrupt, encrypted, nothing recognised, unsupported type); no other
exception escapes `load_file` for bad input.

Formats:
- .txt/.md: encoding detected from the bytes (see `ingest.textfile`); a leading
  `---` block of `key: value` lines is removed and returned as overrides.
- .docx: body paragraphs and tables in document order, one paragraph per line
  (headings included, as their own lines). A table row becomes one line
  `|cell|cell|` with the cell's paragraphs joined by a space: the corpus source
  convention, so tables round-trip exactly and each cell stays quotable on its
  own; a horizontally merged cell appears once. Header and footer text follows the
  body (each distinct line once, page numbers left out). Text boxes and Word's
  automatic numbering (list labels) are not read.
- .pdf: `ingest.pdf`: pypdf text per page joined by "\n"; `page_starts` gives each
  page's offset; scanned pages recognised by OCR. A bare page-number line at the top or
  bottom of a page ("- 3 -", "第3页 共9页", "3/9") is dropped.
- .html/.htm: main text only (see `ingest.html_text`).
- .ofd: `ingest.ofd`; .xlsx and .pptx: `ingest.sheets`; .xls/.et: `ingest.xls`;
  .doc/.wps (OLE Word): converted to .docx by LibreOffice when installed
  (`ingest.legacy`), then read as .docx; else read by `ingest.worddoc` (the binary
  format's piece table); images: `ingest.ocr`.

The bytes choose the reader (`sniff`: magic, and a container's parts: zip members, OLE
streams), so a .wps that is OOXML is read as .docx; a file of a kind no loader reads
(MS Works, .ppt, BMP) gets a reason naming its real kind (`ingest.kinds`).

Sidecar `<file name>.meta.json` (e.g. `a.pdf.meta.json`) holds metadata overrides
for any format and wins over front matter; sidecars are not documents themselves.

Bounds (`core.config.IngestLimits`, `ingest.limits`; checked before the step they guard, each
refusal a Chinese reason naming the limit and its variable): the file size before
reading; for any zip container (.docx, and .xlsx/.ofd when registered) the declared
unpacked size and ratio before unpacking; a loader's own `check` (PDF pages, HTML
nesting depth) before parsing; the length of the text after reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import IngestLimits
from core.errors import LoadError, MissingDependencyError, require
from core.models import RawDocument
from ingest.kinds import OLE_MAGIC, ole_streams, unreadable_kind, zip_names
from ingest.limits import check_html, check_pdf, check_zip, read_bounded
from ingest.ocr import OCR_KEYS, read_image
from ingest.pdf import read_pdf
from ingest.pdf_lines import strip_page_numbers
from ingest.textfile import (
    ReadResult,
    Unreadable,
    clean_overrides,
    decode_text,
    split_front_matter,
)

SIDECAR_SUFFIX = ".meta.json"
# What a reader returns: text, page starts (offsets in that text), metadata overrides.


@dataclass(frozen=True)
class Loader:
    """One file format: how to recognise it and how to read its bytes."""

    fmt: str  # recorded as RawDocument.fmt
    suffixes: tuple[str, ...]  # lower case, with the dot
    read: Callable[[bytes], ReadResult]  # raises Unreadable (or anything, for damage)
    magic: tuple[bytes, ...] = ()  # leading bytes of its files; () for text formats
    fixed_layout: bool = False  # printed lines: wrapped lines are rejoined
    # A cheap look at the bytes before `read`, raising Unreadable when reading them
    # would exceed a limit (PDF pages, HTML depth).
    check: Callable[[bytes, IngestLimits], None] | None = None
    # For zip containers: members (lower case) that tell this format from other zips.
    parts: tuple[str, ...] = ()


_LOADERS: dict[str, Loader] = {}  # suffix -> loader


def register_loader(loader: Loader) -> None:
    """Add (or replace) the loader of each of `loader.suffixes`."""
    for suffix in loader.suffixes:
        _LOADERS[suffix.lower()] = loader


def supported_suffixes() -> tuple[str, ...]:
    """Every suffix a registered loader takes, in registration order."""
    return tuple(_LOADERS)


def loader_modules() -> tuple[str, ...]:
    """The modules defining the registered readers (a reading subprocess imports them)."""
    return tuple(sorted({loader.read.__module__ for loader in _LOADERS.values()}))


def loader_for(path: Path) -> Loader | None:
    """The loader registered for a file's suffix."""
    return _LOADERS.get(Path(path).suffix.lower())


def sniff(data: bytes) -> Loader | None:
    """The loader whose magic bytes `data` starts with (text formats have none).

    A container is matched by its parts: a zip's members (word/document.xml, OFD.xml …),
    an OLE file's streams (WordDocument, Workbook); one whose parts no loader names is
    nobody's.
    """
    names: frozenset[str] | None = None
    for loader in dict.fromkeys(_LOADERS.values()):
        if not any(data.startswith(m) for m in loader.magic):
            continue
        if not loader.parts:
            return loader
        if names is None:
            names = (frozenset(s.lower() for s in ole_streams(data))
                     if data.startswith(OLE_MAGIC) else zip_names(data))
        if all(p in names for p in loader.parts):
            return loader
    return None
def is_sidecar(path: Path) -> bool:
    """True for `<file>.meta.json` metadata sidecars, which are not documents."""
    return Path(path).name.lower().endswith(SIDECAR_SUFFIX)


def sidecar_path(path: Path) -> Path:
    """Where the sidecar of `path` would be."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def has_sidecar(path: Path) -> bool:
    """True when `path` has a sidecar; a name too long to have one has none."""
    try:
        return sidecar_path(path).is_file()
    except OSError:  # ENAMETOOLONG: a 250-byte name plus ".meta.json"
        return False


def _read_sidecar(path: Path) -> dict[str, str]:
    side = sidecar_path(path)
    if not has_sidecar(path):
        return {}
    try:
        data = json.loads(side.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LoadError(str(path), f"sidecar {side.name} is not valid UTF-8 JSON ({e})") from e
    if not isinstance(data, dict):
        raise LoadError(str(path), f"sidecar {side.name} must hold a JSON object")
    # Which pages were read by OCR is the reader's to say, not a sidecar's.
    return {k: v for k, v in clean_overrides(data).items() if k not in OCR_KEYS}


def _read_text(data: bytes) -> ReadResult:
    text, _encoding = decode_text(data)
    body, fields = split_front_matter(text)
    return body, (), {k: v for k, v in fields.items() if k not in OCR_KEYS}


def _read_docx(data: bytes) -> ReadResult:
    import io
    import zipfile

    docx = require("docx", feature="读取 .docx 文件", install="pip install python-docx")
    from docx.table import Table

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Unreadable("not a valid .docx (not a zip package)")
    doc = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in _body_blocks(doc.element.body):
        if block.tag.endswith("}p"):
            lines.append(paragraph_text(block))
        else:
            lines.extend(_table_lines(Table(block, doc)))
    return "\n".join(lines + _margin_lines(doc, set(lines))), (), {}


def _margin_lines(doc, body: set[str]) -> list[str]:
    """Header and footer text (each distinct line once, after the body): what a page
    header says (单位、文件名) is searchable too; page numbers and lines the body already
    has are left out."""
    out: list[str] = []
    for section in doc.sections:
        for part in (section.first_page_header, section.header, section.even_page_header,
                     section.first_page_footer, section.footer, section.even_page_footer):
            try:
                if part.is_linked_to_previous:
                    continue
                found = [paragraph_text(p._p) for p in part.paragraphs]
                found += [line for t in part.tables for line in _table_lines(t)]
            except (KeyError, ValueError, AttributeError):  # a dangling header reference
                continue
            for line in (" ".join(t.replace("\t", " ").split()) for t in found):
                if (line and line not in body and line not in out
                        and strip_page_numbers(line).strip()):
                    out.append(line)
    return out


# A paragraph's text as Word shows it with changes accepted. python-docx's Paragraph.text
# reads only direct runs and hyperlinks, so text inside tracked insertions (修订 mode,
# common in drafts), smart tags or custom XML was silently lost.
_SKIP = {"del", "moveFrom", "Fallback", "txbxContent", "pPr", "rPr", "instrText",
         "delText", "fldData"}
_CHARS = {"tab": "\t", "ptab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"}


def paragraph_text(p) -> str:
    """The text of a w:p element: every w:t in order, except deleted or moved-away text
    and the duplicate fallback copy of drawings; tabs and breaks as characters."""
    out: list[str] = []

    def walk(el) -> None:
        for child in el:
            tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if tag in _SKIP:
                continue
            if tag == "t":
                out.append(child.text or "")
            elif tag in _CHARS:
                out.append(_CHARS[tag])
            else:
                walk(child)

    walk(p)
    return "".join(out)


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
            texts = (paragraph_text(p._p).strip() for p in cell.paragraphs)
            cells.append(" ".join(t for t in texts if t))
        if any(cells):
            lines.append("|" + "|".join(c.replace("\n", " ") for c in cells) + "|")
    return lines


def _read_html(data: bytes) -> ReadResult:
    from ingest.html_text import html_to_text

    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable("binary file (contains NUL bytes), not HTML")
    return html_to_text(data), (), {}


register_loader(Loader("txt", (".txt",), _read_text))
register_loader(Loader("md", (".md",), _read_text))
register_loader(Loader("docx", (".docx",), _read_docx, magic=(b"PK\x03\x04",),
                       parts=("[content_types].xml", "word/document.xml")))
# %PDF- may follow a few junk bytes; the reader looks in the first KiB itself.
register_loader(Loader("pdf", (".pdf",), read_pdf, magic=(b"%PDF-",), fixed_layout=True,
                       check=check_pdf))
register_loader(Loader("html", (".html", ".htm"), _read_html, check=check_html))
# Scans and photos: recognised by OCR (ingest.ocr), printed lines rejoined like PDF.
register_loader(Loader("image", (".jpg", ".jpeg", ".png", ".tif", ".tiff"), read_image,
                       magic=(b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*"),
                       fixed_layout=True))


def load_file(path: Path, limits: IngestLimits | None = None) -> RawDocument:
    """Read one document file within `limits`. Raises LoadError with a one-line reason."""
    path = Path(path)
    limits = limits or IngestLimits()
    suffix = path.suffix.lower()
    if is_sidecar(path):
        raise LoadError(str(path), "metadata sidecar, not a document")
    named = _LOADERS.get(suffix)
    if named is None and not suffix:
        raise LoadError(str(path), f"unsupported file type '{path.name}'; expected one of "
                                   f"{' '.join(sorted(_LOADERS))}")
    data = read_bounded(path, limits)
    if not data.strip():
        raise LoadError(str(path), "empty file")
    # The bytes decide the reader: a .wps that is OOXML is read as .docx, an OFD named
    # .pdf as OFD; a file of a kind nobody reads (OLE .doc, images) is named as such.
    loader = sniff(data)
    lied = loader is not None and named is not None and loader is not named
    if loader is None:
        kind = unreadable_kind(data)
        if kind is not None:
            raise LoadError(str(path), kind)
        loader = named
    if loader is None:
        wanted = " ".join(sorted(_LOADERS))
        raise LoadError(str(path), f"unsupported file type '{suffix}'; expected one of {wanted}")
    fmt = loader.fmt
    try:
        if data.startswith(b"PK\x03\x04"):
            check_zip(data, limits)
        if loader.check is not None:
            loader.check(data, limits)
        text, page_starts, overrides = loader.read(data)
    except Unreadable as e:
        if lied:
            raise LoadError(str(path), f"the file's bytes are a {fmt} file, not {suffix}: "
                                       f"{e.reason}") from e
        raise LoadError(str(path), e.reason) from e
    except (LoadError, MissingDependencyError):
        raise
    except (MemoryError, RecursionError) as e:
        raise LoadError(str(path), f"读取时超出内存或嵌套上限（{type(e).__name__}，"
                                   f"KB_FILE_MEMORY_MB）") from e
    except Exception as e:  # parsers raise many types on damaged input; all mean unreadable
        what = f"the file's bytes are a {fmt} file, not {suffix}: " if lied else ""
        raise LoadError(str(path), f"{what}文件已损坏或不完整，无法读取（{fmt} 格式，"
                                   f"{type(e).__name__}）") from e
    if not text.strip():
        raise LoadError(str(path), "no text found in file")
    if len(text) > limits.max_doc_chars:
        raise LoadError(str(path), f"文字 {len(text)} 字，超过上限 {limits.max_doc_chars} 字"
                                   f"（KB_MAX_DOC_CHARS）")
    overrides = {**overrides, **_read_sidecar(path)}
    return RawDocument(source=str(path), text=text, fmt=fmt, page_starts=page_starts,
                       overrides=overrides, fixed_layout=loader.fixed_layout)


def _register_more() -> None:
    """Readers kept in their own modules (OFD, spreadsheets and slides)."""
    from ingest.ofd import check_ofd, read_ofd
    from ingest.sheets import read_pptx, read_xlsx
    from ingest.xls import read_xls

    register_loader(Loader("ofd", (".ofd",), read_ofd, magic=(b"PK\x03\x04",),
                           fixed_layout=True, check=check_ofd, parts=("ofd.xml",)))
    register_loader(Loader("xlsx", (".xlsx",), read_xlsx, magic=(b"PK\x03\x04",),
                           parts=("xl/workbook.xml",)))
    register_loader(Loader("pptx", (".pptx",), read_pptx, magic=(b"PK\x03\x04",),
                           parts=("ppt/presentation.xml",)))
    # OLE files are told apart by their streams: Word/WPS 文字 .doc (read by LibreOffice),
    # Excel/WPS 表格 .xls/.et (BIFF8, by xlrd); the others (Works, .ppt) are named by their
    # streams. Kingsoft saves .wps as OLE or as OOXML: the bytes decide (an OOXML one is
    # read as .docx).
    register_loader(Loader("doc", (".doc", ".wps"), _read_doc, magic=(OLE_MAGIC,),
                           parts=("worddocument",)))
    register_loader(Loader("xls", (".xls", ".et"), read_xls, magic=(OLE_MAGIC,),
                           parts=("workbook",)))


def _read_doc(data: bytes) -> ReadResult:
    import ingest.legacy as legacy

    if legacy.soffice() is None:  # LibreOffice keeps tables best; without it, our reader
        return legacy.read_doc_text(data), (), {}
    return _read_docx(legacy.convert_doc(data))


_register_more()
