"""Write a folder of hostile files: what a careless or malicious source hands to `kb ingest`.

    python tools/hostile_files.py FOLDER            # the full sizes of issue 10's bars
    python tools/hostile_files.py FOLDER --small    # the same kinds, small enough for seconds
    python tools/hostile_files.py FOLDER --bar      # issue 10's bar batch (4 bad, 2 good)

Kinds: huge and single-line text, a .docx zip bomb, deeply nested HTML, truncated,
encrypted and 5,000-page PDFs, a .pdf that is a .docx, NUL bytes, binary, empty files,
UTF-16 without BOM, mixed GBK/UTF-8 lines, an over-long line split only by ASCII ". ",
odd names (newline, ANSI escape, RTL override, 250 bytes, leading dash, invalid UTF-8)
and links (loop, dangling, leaving the folder, a folder linking to itself) and a FIFO.

`write_hostile(folder, small=...)` returns {relative file name: expectation}: "skip" (the
ingest must name it with a reason), "ingest" (it must become a searchable document) or
"either" (readable or skipped, but named and never a crash). Uses only the standard
library, pypdf and fpdf2 (a dev dependency), so tests can call it.
"""

from __future__ import annotations

import argparse
import io
import os
import zipfile
from pathlib import Path

SENTENCE = "机关党支部要落实三会一课制度，党员要按时参加组织生活"
GOOD_TEXT = ("关于加强机关党支部标准化建设的通知\n\n"
             "各党支部要落实三会一课制度，每月召开一次支部委员会会议。\n")
MiB = 1 << 20

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_DOC_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
             'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
_DOC_TAIL = "</w:t></w:r></w:p></w:body></w:document>"


def zip_bomb_docx(path: Path, unpacked_bytes: int) -> None:
    """A .docx whose document.xml unpacks to `unpacked_bytes` of spaces (~1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(_DOC_HEAD.encode())
            block = b" " * MiB
            for _ in range(unpacked_bytes // MiB):
                out.write(block)
            out.write(_DOC_TAIL.encode())


def docx_bytes(text: str) -> bytes:
    """A minimal valid .docx holding `text` in one paragraph."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", _DOC_HEAD + text + _DOC_TAIL)
    return buf.getvalue()


def _pdf_with_text(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for i in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {i + 1}. Party branches hold meetings every month. " * 8)
    return bytes(pdf.output())


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_with_text(1))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _many_pages_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _write_repeated(path: Path, unit: bytes, total: int, newline_every: int = 0) -> None:
    """`total` bytes of `unit` repeated, written in blocks (never held in memory whole)."""
    reps = max(1, MiB // len(unit))
    block = unit * reps
    if newline_every:
        block = b"\n".join(unit * newline_every for _ in range(max(1, reps // newline_every)))
        block += b"\n"
    with path.open("wb") as f:
        for _ in range(max(1, round(total / len(block)))):
            f.write(block)


# Limits (environment variables of core.config) under which every "skip" of the small set
# is over a limit, as the full set is under the defaults.
SMALL_LIMITS = {"KB_MAX_FILE_MB": "2", "KB_MAX_UNZIPPED_MB": "32", "KB_MAX_PAGES": "100",
                "KB_MAX_HTML_DEPTH": "1000", "KB_MAX_DOC_CHARS": "200000"}


# Issue 10's bar batch: these four plus two good files, under two minutes and 1 GB.
BAR_BATCH = ("huge.txt", "bomb.docx", "deep.html", "single_line.txt")


def write_bar_batch(folder: Path) -> dict[str, str]:
    """The bar's four bad files (full size) and two good files (`good_*.txt`)."""
    out = write_size_bombs(folder, small=False)
    for i, text in enumerate((GOOD_TEXT, GOOD_TEXT.replace("三会一课", "主题党日"))):
        name = f"good_{i + 1}.txt"
        (folder / name).write_text(text.replace("通知", f"第{i + 1}号通知"), encoding="utf-8")
        out[name] = "ingest"
    return out


def write_size_bombs(folder: Path, *, small: bool) -> dict[str, str]:
    """A huge text, a .docx zip bomb, deeply nested HTML and a single 10 MB line."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_repeated(folder / "huge.txt", (SENTENCE + "。\n").encode(),
                    3 * MiB if small else 100 * MiB)
    zip_bomb_docx(folder / "bomb.docx", 64 * MiB if small else 3 * 1024 * MiB)
    depth = 20_000 if small else 100_000
    (folder / "deep.html").write_bytes(
        ("<html><body>" + "<div>" * depth + "深" + "</div>" * depth + "</body></html>").encode())
    # One line without any sentence end: 10 MB (3.5 million characters).
    _write_repeated(folder / "single_line.txt", "机关党建".encode(),
                    1 * MiB if small else 10 * MiB)
    return dict.fromkeys(BAR_BATCH, "skip")


def write_hostile(folder: Path, *, small: bool = False) -> dict[str, str]:
    """Write the hostile files into `folder` (created); returns {name: expectation}."""
    folder = Path(folder)
    out = write_size_bombs(folder, small=small)

    def put(name: str, data: bytes, expect: str) -> None:
        (folder / name).write_bytes(data)
        out[name] = expect

    put("many_pages.pdf", _many_pages_pdf(300 if small else 5000), "skip")

    # Damaged or disguised containers.
    good_pdf = _pdf_with_text(3)
    put("truncated.pdf", good_pdf[: len(good_pdf) // 2], "skip")
    put("encrypted.pdf", _encrypted_pdf(), "skip")
    # The bytes decide the reader (issue 13): a .docx named .pdf is read as .docx.
    put("docx_named.pdf", docx_bytes(GOOD_TEXT.replace("通知", "改名文档通知")), "ingest")
    put("not_a_zip.docx", b"PK\x03\x04 truncated zip header", "skip")
    put("nul_bytes.txt", GOOD_TEXT.encode() + b"\x00\x00\x01\x02" * 64, "skip")
    put("binary.txt", bytes(range(256)) * 40, "skip")
    put("empty.txt", b"", "skip")
    put("blank.md", b" \n\t\n", "skip")

    # Text that must be read (and split) correctly.
    put("utf16le_nobom.txt", GOOD_TEXT.replace("通知", "UTF16小端通知").encode("utf-16-le"),
        "ingest")
    put("utf16be_nobom.txt", GOOD_TEXT.replace("通知", "UTF16大端通知").encode("utf-16-be"),
        "ingest")
    mixed = ("混合编码的通知\n".encode() + "第一行是GBK编码的党支部工作要点。\n".encode("gbk")
             + "第二行是UTF-8编码的组织生活安排。\n".encode()
             + "第三行又是GBK编码的学习计划。\n".encode("gbk"))
    put("mixed_gbk_utf8.txt", mixed, "ingest")
    put("ascii_dots.txt", ("Long line. " * 8_000).encode(), "ingest")

    # Odd names: the ingest must print them safely, one line each.
    put("换行\n伪造 跳过.txt", GOOD_TEXT.replace("通知", "换行名称通知").encode(), "ingest")
    put("\x1b[2J清屏.txt", GOOD_TEXT.replace("通知", "清屏名称通知").encode(), "ingest")
    put("\u202etxt.exe.txt", GOOD_TEXT.replace("通知", "反向名称通知").encode(), "ingest")
    put("-rf.txt", GOOD_TEXT.replace("通知", "横线名称通知").encode(), "ingest")
    long_name = "长" * 82 + ".txt"  # 250 bytes: the sidecar name would exceed 255
    put(long_name, GOOD_TEXT.replace("通知", "长名称通知").encode(), "ingest")
    try:
        bad = os.fsencode(folder) + b"/bad_\xff\xfe_name.txt"
        with open(bad, "wb") as f:
            f.write(GOOD_TEXT.encode())
        out[os.fsdecode(b"bad_\xff\xfe_name.txt")] = "skip"
    except OSError:  # a file system that insists on UTF-8 names
        pass

    # Links and non-files.
    outside = folder.parent / f"{folder.name}-outside-target.txt"
    outside.write_bytes(GOOD_TEXT.replace("通知", "文件夹外通知").encode())
    links = {"loop_a.txt": "loop_b.txt", "loop_b.txt": "loop_a.txt",
             "dangling.txt": "no_such_target.txt", "outside.txt": str(outside),
             "self_dir": "."}
    for name, target in links.items():
        try:
            (folder / name).symlink_to(target)
        except OSError:
            continue
        out[name] = "skip"
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.txt")
        out["pipe.txt"] = "skip"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--small", action="store_true", help="small sizes (seconds, not minutes)")
    ap.add_argument("--bar", action="store_true", help="only issue 10's bar batch")
    args = ap.parse_args()
    made = (write_bar_batch(args.folder) if args.bar
            else write_hostile(args.folder, small=args.small))
    for name, expect in sorted(made.items()):
        print(f"{expect:6} {name!r}")


if __name__ == "__main__":
    main()
