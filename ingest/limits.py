"""Bounds on the work one file may cause (`core.config.IngestLimits`), checked before
the expensive step each guards: the size before reading, a zip container's declared
unpacked size and ratio before unpacking, PDF pages and HTML nesting before parsing.

Each refusal is a Chinese reason naming the limit and the variable that sets it.
"""

from __future__ import annotations

import stat
from pathlib import Path

from core.config import IngestLimits
from core.errors import LoadError, require
from ingest.textfile import Unreadable

_MB = 1024 * 1024
# Ratios are judged only above this unpacked size: a small file of repeated text
# compresses far better than 100:1 without being a threat.
_RATIO_FLOOR = 10 * _MB


def read_bounded(path: Path, limits: IngestLimits) -> bytes:
    """The file's bytes, after checking it is a regular file within the size limit."""
    try:
        st = path.stat()
    except OSError as e:
        raise LoadError(str(path), f"cannot read file ({e.strerror or e})") from e
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO would wait forever for a writer.
        raise LoadError(str(path), "不是普通文件（命名管道、设备或文件夹），未读取")
    if st.st_size > limits.max_file_bytes:
        raise LoadError(str(path), f"文件大小 {st.st_size / _MB:.1f} MB，超过上限 "
                                   f"{limits.max_file_mb} MB（KB_MAX_FILE_MB）")
    try:
        with path.open("rb") as f:
            # Read one byte past the limit: a file growing while we read is still bounded.
            data = f.read(limits.max_file_bytes + 1)
    except OSError as e:
        raise LoadError(str(path), f"cannot read file ({e.strerror or e})") from e
    if len(data) > limits.max_file_bytes:
        raise LoadError(str(path), f"文件大小超过上限 {limits.max_file_mb} MB（KB_MAX_FILE_MB）")
    return data


def check_pdf(data: bytes, limits: IngestLimits) -> None:
    import io

    pypdf = require("pypdf", feature="读取 PDF 文件", install="pip install pypdf")
    if b"%PDF-" not in data[:1024]:
        return  # read_pdf names the problem
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return  # pages of an encrypted file are counted after decrypting, in read
        n = len(reader.pages)
    except Exception:  # damaged files are reported by read_pdf
        return
    if n > limits.max_pages:
        raise Unreadable(f"PDF 共 {n} 页，超过上限 {limits.max_pages} 页（KB_MAX_PAGES）")


def html_depth(data: bytes) -> int:
    """How deep the elements of an HTML page nest (libxml2 stops counting at 2048).

    libxml2 parses in C in linear time; BeautifulSoup's work grows with the square of
    the depth (100,000 nested <div> took over 10 minutes), so the depth is measured first.
    """
    from lxml import etree

    try:
        root = etree.fromstring(data, etree.HTMLParser(huge_tree=True))
    except (etree.Error, ValueError):
        return 0
    if root is None:
        return 0
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def check_html(data: bytes, limits: IngestLimits) -> None:
    depth = html_depth(data)
    if depth > limits.max_html_depth:
        shown = f"{depth} 层以上" if depth >= 2048 else f"{depth} 层"
        raise Unreadable(f"HTML 元素嵌套 {shown}，超过上限 {limits.max_html_depth} 层"
                         f"（KB_MAX_HTML_DEPTH）")


def check_zip(data: bytes, limits: IngestLimits) -> None:
    """Refuse a zip container whose declared unpacked size or ratio is over the limits.

    Zip bombs declare their sizes honestly (python's zipfile stops at the declared size
    and checks the CRC, so a lying header fails as a corrupt file instead).
    """
    import io
    import zipfile

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: the loader says so
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_unzipped_mb * _MB:
        raise Unreadable(f"压缩包解压后 {unpacked / _MB:.0f} MB，超过上限 "
                         f"{limits.max_unzipped_mb} MB（KB_MAX_UNZIPPED_MB），疑似 zip 炸弹")
    ratio = unpacked / max(1, len(data))
    if unpacked > _RATIO_FLOOR and ratio > limits.max_zip_ratio:
        raise Unreadable(f"压缩比 {ratio:.0f}:1，超过上限 {limits.max_zip_ratio}:1"
                         f"（KB_MAX_ZIP_RATIO），疑似 zip 炸弹")
