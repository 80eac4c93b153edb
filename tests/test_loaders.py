"""Loaders: encodings, front matter, sidecars, .docx, .pdf, .html and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.errors import LoadError
from ingest.loaders import is_sidecar, load_file, supported_suffixes
from ingest.normalize import normalize_document
from ingest.textfile import common_hanzi_share, decode_text

REALDOCS = Path(__file__).resolve().parents[1].parent / "shared" / "realdocs"
TEXT = "示例市机关党建工作实施办法\n第一条 为了加强机关党的建设，制定本办法。\n"


def make_pdf(pages: list[list[str]]) -> bytes:
    """A small PDF whose text layer holds `pages` (lines), font-independent.

    Glyphs come from Helvetica; a ToUnicode map gives each byte code the wanted
    character, so pypdf extracts CJK text without any CJK font installed.
    """
    chars = sorted({c for page in pages for line in page for c in line})
    code = {c: 0x21 + i for i, c in enumerate(chars)}
    pairs = "\n".join(f"<{code[c]:02X}> <{ord(c):04X}>" for c in chars)
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"{len(chars)} beginbfchar\n{pairs}\nendbfchar\n"
            "endcmap CMapName currentdict /CMap defineresource pop end end").encode()
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    tounicode = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap))
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>"
               % tounicode)
    pages_id = add(b"")
    kids = []
    for page in pages:
        ops = ["BT /F1 12 Tf 14 TL 72 760 Td"]
        ops += ["<" + "".join(f"{code[c]:02X}" for c in line) + "> Tj T*" for line in page]
        stream = "\n".join(ops + ["ET"]).encode()
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
                        b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)))
    objs[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, catalog, xref)
    return bytes(out)


PDF_PAGES = [
    ["示例市机关党建工作⺠主评议办法", "第一条 为了加强人⺠群众监督，推动⻓效", "- 1 -"],
    ["机制建设，制定 2024 年度办法。", "- 2 -"],
]


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_gbk_txt_detected_from_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", TEXT.replace("\n", "\r\n").encode("gbk"))
    raw = load_file(path)
    assert raw.fmt == "txt"
    assert normalize_document(raw)[0] == TEXT.strip()


def test_gbk_decoding_checked_on_real_texts() -> None:
    if not REALDOCS.is_dir():
        pytest.skip("realdocs folder absent")
    files = sorted(REALDOCS.glob("*/*.txt"))[:12]
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert decode_text(text.encode("gb18030")) == (text, "gb18030"), f.name
        assert common_hanzi_share(text) > 0.9


@pytest.mark.parametrize("text", ["同学们好", "![图片](https://inews.", "恽代英峥嵘岁月-5AsHC",
                                  "=====</center>\n\n为了贯彻"])
def test_short_texts_in_both_encodings(text: str) -> None:
    # Short GBK snippets can be valid UTF-8 by accident; both readings must come out right.
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")


def test_utf8_without_chinese_stays_utf8() -> None:
    text = "He said “hello” — café naïve"
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")


def test_utf8_with_a_few_bad_bytes_is_not_taken_for_gbk() -> None:
    data = ("机关党建" * 300).encode("utf-8") + b"\xff" + "工作".encode()
    text, encoding = decode_text(data)
    assert encoding == "utf-8" and text.startswith("机关党建")


def test_utf8_bom_markdown_with_front_matter(tmp_path: Path) -> None:
    md = ("\ufeff---\ntitle: 自定义标题\n发文字号: 示机工发〔2024〕3号\n"
          "网址: https://example.org/a\n---\n" + TEXT)
    raw = load_file(write(tmp_path, "a.md", md))
    assert raw.text.lstrip("\n").startswith("示例市")
    assert "\ufeff" not in raw.text and "title:" not in raw.text
    assert raw.overrides == {"title": "自定义标题", "doc_no": "示机工发〔2024〕3号",
                             "url": "https://example.org/a"}


def test_markdown_rule_is_not_front_matter(tmp_path: Path) -> None:
    md = "---\n这是正文里的一段话，不是键值对。\n---\n正文"
    raw = load_file(write(tmp_path, "b.md", md))
    assert raw.overrides == {} and raw.text.startswith("---")


def test_sidecar_overrides_and_is_not_a_document(tmp_path: Path) -> None:
    doc = write(tmp_path, "a.txt", "---\ntitle: 前言标题\nspeaker: 张三\n---\n" + TEXT)
    side = write(tmp_path, "a.txt.meta.json",
                 json.dumps({"title": "旁注标题", "date": "2024-03-15", "x": None}))
    assert is_sidecar(side) and not is_sidecar(doc)
    raw = load_file(doc)
    assert raw.overrides == {"title": "旁注标题", "speaker": "张三", "date": "2024-03-15"}
    with pytest.raises(LoadError):
        load_file(side)


def test_broken_sidecar_is_a_load_error(tmp_path: Path) -> None:
    doc = write(tmp_path, "a.txt", TEXT)
    write(tmp_path, "a.txt.meta.json", "{not json")
    with pytest.raises(LoadError, match="sidecar"):
        load_file(doc)


def test_docx_paragraphs_headings_and_tables_in_order(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("示例市机关党建工作实施办法", style="Title")
    doc.add_heading("第一章 总则", level=1)
    doc.add_paragraph("第一条 为了加强机关党的建设，制定本办法。")
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([["项目", "分值", "标准"], ["政治建设", "15", "按要求"],
                             ["合并单元格", "", "5"]]):
        for c, val in enumerate(row):
            table.cell(r, c).text = val
    table.cell(2, 0).merge(table.cell(2, 1))
    doc.add_paragraph("附则段落。")
    path = tmp_path / "a.docx"
    doc.save(str(path))
    raw = load_file(path)
    assert raw.fmt == "docx"
    assert raw.text.split("\n") == [
        "示例市机关党建工作实施办法", "第一章 总则", "第一条 为了加强机关党的建设，制定本办法。",
        "|项目|分值|标准|", "|政治建设|15|按要求|", "|合并单元格|5|", "附则段落。",
    ]


def test_pdf_text_pages_and_page_numbers(tmp_path: Path) -> None:
    raw = load_file(write(tmp_path, "a.pdf", make_pdf(PDF_PAGES)))
    assert raw.fmt == "pdf" and len(raw.page_starts) == 2
    assert raw.text[raw.page_starts[1]:].startswith("机制建设")
    assert "- 1 -" not in raw.text and "⺠" in raw.text
    text, starts = normalize_document(raw)
    assert "⺠" not in text and "⻓" not in text
    assert text.startswith("示例市机关党建工作民主评议办法\n")
    assert "推动长效" in text and "制定2024年度办法。" in text
    assert len(starts) == 2


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    def encrypted(user: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PDF_PAGES))))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    with pytest.raises(LoadError, match="encrypted"):
        load_file(write(tmp_path, "locked.pdf", encrypted("secret")))
    assert "机制建设" in load_file(write(tmp_path, "open.pdf", encrypted(""))).text


def test_scanned_pdf_without_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    # The blank page has no text layer, so it is rendered and recognised: nothing found.
    with pytest.raises(LoadError, match="没有文字层，OCR 也未识别出文字"):
        load_file(write(tmp_path, "scan.pdf", buf.getvalue()))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b" \n\t\n", "empty"),
        # The bytes name the real kind, whatever the suffix says.
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "图片已损坏"),
        ("noise.txt", bytes((i * 97 + 13) % 256 for i in range(3000)).replace(b"\x00", b"\x01"),
         "text"),
        ("broken.docx", b"PK\x03\x04 this is not really a zip", "docx"),
        ("plain.docx", "这只是一个改了扩展名的文本文件".encode(), "not a valid .docx"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "pdf"),
        ("fake.pdf", "不是PDF".encode(), "not a PDF"),
        ("table.xlsx", b"PK\x03\x04", "xlsx"),
        ("table.xyz", b"PK\x03\x04", "unsupported"),
        ("noext", b"text", "unsupported"),
    ],
)
def test_bad_input_is_a_load_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(LoadError, match=reason) as info:
        load_file(write(tmp_path, name, data))
    assert "\n" not in str(info.value)


def test_zip_without_document_part(tmp_path: Path) -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(LoadError):
        load_file(write(tmp_path, "a.docx", buf.getvalue()))


def test_html_main_text(tmp_path: Path) -> None:
    html = """<html><head><title>关于加强机关党建的通知 - 示例市人民政府</title>
    <script>var x = "脚本内容";</script><style>.a{}</style></head><body>
    <div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/b">政务公开</a></li></ul></div>
    <div class="crumb">当前位置：首页 &gt; 通知公告</div>
    <div class="content"><h1>关于加强机关党建的通知</h1>
      <div id="zoom">
        <p>　　各部门：为了加强机关党的建设，现将有关事项通知如下。</p>
        <p><strong>一、总体要求</strong></p><p>坚持党建引领，推动<span>业务</span>融合发展。</p>
        <table><tr><td>项目</td><td>分值</td></tr><tr><td>政治建设</td><td>15</td></tr></table>
        <p>【打印本页】【关闭窗口】</p>
      </div>
      <div style="display:none">隐藏的重复正文隐藏的重复正文隐藏的重复正文隐藏的重复正文</div>
    </div>
    <div class="footer">版权所有：示例市人民政府 网站标识码1234 ICP备000号</div>
    </body></html>"""
    text = load_file(write(tmp_path, "a.html", html.encode("utf-8"))).text
    lines = text.split("\n")
    assert lines[0] == "关于加强机关党建的通知"
    assert "各部门：为了加强机关党的建设，现将有关事项通知如下。" in lines
    assert "一、总体要求" in lines and "坚持党建引领，推动业务融合发展。" in lines
    assert "|项目|分值|" in lines and "|政治建设|15|" in lines
    for junk in ("脚本", "首页", "当前位置", "版权所有", "打印本页", "隐藏的", "ICP"):
        assert junk not in text, junk


def _realdocs_files() -> list[Path]:
    if not REALDOCS.is_dir():
        pytest.skip("realdocs folder absent")
    return sorted(p for p in REALDOCS.rglob("*")
                  if p.is_file() and p.suffix.lower() in supported_suffixes() and not is_sidecar(p))


@pytest.mark.slow
def test_every_realdocs_file_loads_or_fails_cleanly() -> None:
    loaded = 0
    for path in _realdocs_files():
        try:
            raw = load_file(path)
        except LoadError:
            continue
        text, starts = normalize_document(raw)
        assert text.strip(), path.name
        assert not any(0x2E80 <= ord(c) <= 0x2EFF for c in text), path.name
        assert all(0 <= s <= len(text) for s in starts)
        loaded += 1
    assert loaded > 0


def test_realdocs_html_keeps_articles_drops_boilerplate() -> None:
    files = [p for p in _realdocs_files() if p.suffix == ".html"]
    if not files:
        pytest.skip("no realdocs HTML")
    for path in files:
        text = normalize_document(load_file(path))[0]
        assert len(text) > 1000, path.name
        for junk in ("网站标识码", "ICP备", "无障碍", "当前位置"):
            assert junk not in text, (path.name, junk)


def test_docx_tracked_changes_read_as_accepted(tmp_path: Path) -> None:
    """A draft in 修订 mode: inserted text (w:ins), smart tags and hyperlinks are text,
    deleted text (w:del) is not — python-docx's Paragraph.text dropped the insertions."""
    import docx
    from docx.oxml.ns import qn
    from lxml import etree

    d = docx.Document()
    p = d.add_paragraph("第三条　党员应当按月交纳党费，")

    def run_in(parent_tag: str, text: str, text_tag: str = "w:t") -> None:
        wrap = etree.SubElement(p._p, qn(parent_tag))
        if parent_tag in ("w:ins", "w:del"):
            wrap.set(qn("w:id"), str(len(p._p)))
            wrap.set(qn("w:author"), "审核人")
        t = etree.SubElement(etree.SubElement(wrap, qn("w:r")), qn(text_tag))
        t.text = text

    run_in("w:ins", "特殊情况可以按季度交纳，")
    run_in("w:del", "不得延期，", "w:delText")
    run_in("w:smartTag", "具体办法另行制定。")
    cell = d.add_table(rows=1, cols=1).cell(0, 0)
    p = cell.paragraphs[0]
    run_in("w:ins", "表内插入的文字")
    path = tmp_path / "修订稿.docx"
    d.save(path)
    text = load_file(path).text
    assert "第三条　党员应当按月交纳党费，特殊情况可以按季度交纳，具体办法另行制定。" in text
    assert "不得延期" not in text
    assert "|表内插入的文字|" in text
