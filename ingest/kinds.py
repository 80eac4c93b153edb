"""What a file's bytes are, for kinds no loader reads (MS Works and .ppt OLE files, BMP/GIF).

`unreadable_kind(data)` names such a file's real kind with a one-line Chinese reason (and
what would read it), or returns None. `zip_names(data)` lists a zip's members (lower
case) so loaders of zip containers (docx, xlsx, pptx, OFD) are told apart by their parts.
"""

from __future__ import annotations

import io
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"GIF8", "GIF"),
)
# Suffixes of kinds no loader reads: a folder walk still passes them to `load_file`, whose
# look at the bytes names the real kind (a ".doc" may well be a .docx or an OFD).
SNIFFED_SUFFIXES = (".doc", ".xls", ".et", ".ppt", ".dps", ".jpg", ".jpeg", ".png", ".tif",
                    ".tiff")
_NEEDS_OCR = "图片格式暂不支持文字识别；请转存为 PNG 或 JPEG 再入库"
_LIBREOFFICE = ("读取旧版 .doc 需要 LibreOffice（apt-get install libreoffice-writer-nogui），"
                "或用 WPS/Word 另存为 .docx")


def zip_names(data: bytes) -> frozenset[str]:
    """The member names of a zip container, lower case; empty when it is not a readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return frozenset(n.lower() for n in z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return frozenset()


def ole_streams(data: bytes) -> set[str]:
    """Names of the streams of an OLE compound file (olefile when installed, else a scan).

    Without olefile the directory entries are found by their UTF-16LE names: enough to
    tell Word from Works from Excel, which is all the reasons below need.
    """
    try:
        import olefile
    except ImportError:
        olefile = None
    if olefile is not None:
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                return {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
        except Exception:  # damaged directory: fall back to the scan
            pass
    names = ("WordDocument", "WpsCustomData", "CONTENTS", "MN0", "Workbook", "Book",
             "PowerPoint Document", "CompObj", "1Table", "0Table")
    return {n for n in names if n.encode("utf-16-le") in data}


def ole_kind(data: bytes) -> str:
    """The reason an OLE compound file (legacy Office, Kingsoft WPS, MS Works) is not read."""
    streams = ole_streams(data)
    if "WordDocument" in streams:
        who = "WPS 保存的" if "WpsCustomData" in streams else ""
        return f"{who}旧版 Word/WPS 文字文档（.doc，OLE 格式），暂不能直接读取：{_LIBREOFFICE}"
    if "CONTENTS" in streams or "MN0" in streams:
        return ("Microsoft Works 文字处理文档（OLE 格式，不是金山 WPS 文字），不支持；"
                "请用 LibreOffice 另存为 .docx")
    if "Book" in streams:  # a Workbook stream (BIFF8) is read by ingest.xls
        return "Excel 5.0/95 格式的旧表格文件（BIFF5），不支持；请另存为 .xlsx"
    if "PowerPoint Document" in streams:
        return "旧版 PowerPoint/WPS 演示文件（.ppt/.dps，OLE 格式），不支持；请另存为 .pptx"
    return "OLE 复合文档（类型未能识别），不支持"


def unreadable_kind(data: bytes) -> str | None:
    """A one-line Chinese reason for bytes of a known kind that no loader reads, or None."""
    if data.startswith(OLE_MAGIC):
        return ole_kind(data)
    for magic, name in _IMAGES:
        if data.startswith(magic):
            return f"{name} 图片，{_NEEDS_OCR}"  # JPEG/PNG/TIFF are read by ingest.ocr
    return None
