"""Legacy Word 97-2003 / WPS-saved .doc (OLE) through LibreOffice, when it is installed.

`convert_doc(data)` turns a .doc into .docx bytes with `soffice --headless --convert-to
docx` (a fresh profile in a temporary folder for each file, so parallel readers do not
share a lock), for the .docx reader to read. Measured on ../shared/realdocs/formats:
LibreOffice reads the WPS-saved .doc that antiword refuses, in about 1.3 s per file.
Where LibreOffice is not installed, `read_doc_text` reads the binary Word format itself
(`ingest.worddoc`: same text on both real samples, tables as `|cell|cell|` rows).
Other OLE files (MS Works, .xls, .ppt) raise Unreadable with one line naming the kind.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ingest.kinds import OLE_MAGIC, ole_kind, ole_streams
from ingest.textfile import Unreadable

_SECONDS = 100  # below the per-file limit's default (KB_FILE_SECONDS 120)
_INSTALL = "读取旧版 .doc 需要 LibreOffice（apt-get install libreoffice-writer-nogui）"


def soffice() -> str | None:
    """The LibreOffice program, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc_text(data: bytes) -> str:
    """The text of a Word/WPS .doc read without LibreOffice (`ingest.worddoc`): for
    machines where it is not installed; tables come out as from the .docx reader."""
    from ingest.worddoc import read_word_binary

    if not data.startswith(OLE_MAGIC):
        raise Unreadable("不是有效的 .doc 文件（不是 OLE 复合文档）")
    if "WordDocument" not in ole_streams(data):
        raise Unreadable(ole_kind(data))
    return read_word_binary(data, hint=f"也可安装 {_INSTALL.split('需要 ')[1]}后再试")


def convert_doc(data: bytes) -> bytes:
    """The .docx bytes LibreOffice makes of a Word/WPS .doc."""
    if not data.startswith(OLE_MAGIC):
        raise Unreadable("不是有效的 .doc 文件（不是 OLE 复合文档）")
    if "WordDocument" not in ole_streams(data):
        raise Unreadable(ole_kind(data))
    program = soffice()
    if program is None:
        raise Unreadable(f"旧版 Word/WPS 文字文档（.doc），{_INSTALL}，或另存为 .docx")
    with tempfile.TemporaryDirectory(prefix="kb-doc-") as tmp:
        folder = Path(tmp)
        (folder / "in.doc").write_bytes(data)
        cmd = [program, "--headless", "--norestore", "--nologo",
               f"-env:UserInstallation={(folder / 'profile').as_uri()}",
               "--convert-to", "docx", "--outdir", str(folder / "out"), str(folder / "in.doc")]
        try:
            subprocess.run(cmd, capture_output=True, timeout=_SECONDS, check=False,
                           stdin=subprocess.DEVNULL, cwd=folder)
        except subprocess.TimeoutExpired as e:
            raise Unreadable(f"LibreOffice 转换 .doc 超过 {_SECONDS} 秒，未读取") from e
        except OSError as e:
            raise Unreadable(f"无法运行 LibreOffice（{e}）；{_INSTALL}") from e
        out = folder / "out" / "in.docx"
        if not out.is_file():
            raise Unreadable("LibreOffice 未能转换这个 .doc 文件（文件损坏或加密？）")
        return out.read_bytes()
