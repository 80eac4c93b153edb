"""Issue 13 item 3: .doc/.wps (Word 97+ binary) read without LibreOffice (ingest.worddoc).

A .doc made here by LibreOffice from a python-docx file (slow: a real soffice process;
skipped without it) must read the same through the fallback as through LibreOffice; the
real samples in ../shared/realdocs/formats (skipped when absent) must give every expected
phrase, in order; encrypted, piece-table-less and cut-short files are refused in one line.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import ingest.legacy
from core.errors import LoadError
from ingest.loaders import load_file
from ingest.worddoc import _lines, read_word_binary

SAMPLES = ("poi_61490_标题表格页眉页脚.doc", "行标编制说明_第12部分设计_WPS保存.doc")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture()
def no_libreoffice(monkeypatch):
    monkeypatch.setattr(ingest.legacy, "soffice", lambda: None)  # as on a fresh machine


def _field(paragraph, instr: str, result: str) -> None:
    """A complex field (begin, code, separate, result, end) appended to a paragraph."""
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    for xml in (f'<w:r {w}><w:fldChar w:fldCharType="begin"/></w:r>',
                f'<w:r {w}><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>',
                f'<w:r {w}><w:fldChar w:fldCharType="separate"/></w:r>',
                f'<w:r {w}><w:t>{result}</w:t></w:r>',
                f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>'):
        paragraph._p.append(parse_xml(xml))


def _to_doc(d, tmp_path: Path) -> Path:
    src = tmp_path / "通知.docx"
    d.save(src)
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "doc", "--outdir", str(tmp_path / "out"), str(src)],
                   capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    out = tmp_path / "out" / "通知.doc"
    assert out.is_file(), "LibreOffice made no .doc"
    return out


def _made_doc(tmp_path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("关于开展主题党日活动的通知", level=1)
    p = d.add_paragraph("详见")
    _field(p, 'HYPERLINK "http://example.org/dangjian"', "党建网站")
    p.add_run("的说明。")
    d.add_paragraph("各党支部：现将有关事项通知如下。")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate((("支部", "书记", "人数"), ("第一支部", "", "12"),
                             ("第二支部", "李四", "9"))):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    t.cell(2, 1).add_paragraph("兼组织委员")  # two paragraphs in one cell
    d.add_paragraph("特此通知。")
    section = d.sections[0]
    section.header.paragraphs[0].text = "中共示例市直机关工委"
    footer = section.footer.paragraphs[0]
    _field(footer, "PAGE", "1")  # a page number: left out
    section.footer.add_paragraph("示例市直机关工委办公室印发")
    return _to_doc(d, tmp_path)


@pytest.mark.slow  # two real soffice processes (make the .doc, read it the LibreOffice way)
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_own_doc_reads_as_through_libreoffice(tmp_path: Path, monkeypatch) -> None:
    doc = _made_doc(tmp_path)
    via_libreoffice = load_file(doc).text
    monkeypatch.setattr(ingest.legacy, "soffice", lambda: None)
    raw = load_file(doc)
    assert raw.fmt == "doc"
    lines = raw.text.split("\n")
    assert [line.rstrip() for line in via_libreoffice.split("\n")] == lines
    body = [line for line in lines if line]
    assert body == ["关于开展主题党日活动的通知", "详见党建网站的说明。",
                    "各党支部：现将有关事项通知如下。", "|支部|书记|人数|", "|第一支部||12|",
                    "|第二支部|李四 兼组织委员|9|", "特此通知。", "中共示例市直机关工委",
                    "示例市直机关工委办公室印发"]


@pytest.mark.slow  # a real soffice process makes the .doc
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_tracked_changes_read_as_the_text_now_reads(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    w = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
         'w:author="张三" w:date="2024-01-01T00:00:00Z"')
    d = docx.Document()
    p = d.add_paragraph("会议定于")
    p._p.append(parse_xml(f'<w:del {w} w:id="1"><w:r><w:delText>周一</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {w} w:id="2"><w:r><w:t>周三</w:t></w:r></w:ins>'))
    p.add_run("召开。")
    d.add_paragraph("请准时参加。")
    text = read_word_binary(_to_doc(d, tmp_path).read_bytes())
    assert text.split("\n") == ["会议定于周三召开。", "请准时参加。"]


@pytest.mark.slow  # a real soffice process makes the .doc
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_compressed_cp1252_piece(tmp_path: Path) -> None:
    """Word stores text that cp1252 can hold one byte a character (fCompressed); LibreOffice
    writes UTF-16 only, so its piece is rewritten here as Word would store it."""
    import docx
    import olefile

    line = "Party branch meeting – “agenda” café €5"
    d = docx.Document()
    d.add_paragraph(line)
    doc = _to_doc(d, tmp_path)
    with olefile.OleFileIO(str(doc), write_mode=True) as ole:
        word = bytearray(ole.openstream("WordDocument").read())
        name = "1Table" if struct.unpack_from("<H", word, 0x0A)[0] & 0x0200 else "0Table"
        table = bytearray(ole.openstream(name).read())
        pos = 32  # the FIB opens the WordDocument stream
        pos += 2 + 2 * struct.unpack_from("<H", word, pos)[0]
        pos += 2 + 4 * struct.unpack_from("<H", word, pos)[0]
        fc_clx = struct.unpack_from("<I", word, pos + 2 + 8 * 33)[0]
        assert table[fc_clx] == 0x02  # the Pcdt, no Prc before it
        pcd = fc_clx + 5 + 8  # one piece: two CPs, then its Pcd
        fc = struct.unpack_from("<I", table, pcd + 2)[0]
        assert word[fc : fc + 2 * len(line)].decode("utf-16-le") == line
        word[fc : fc + len(line) + 1] = (line + "\r").encode("cp1252")
        struct.pack_into("<I", table, pcd + 2, (fc * 2) | 0x40000000)
        ole.write_stream("WordDocument", bytes(word))
        ole.write_stream(name, bytes(table))
    assert read_word_binary(doc.read_bytes()) == line


@pytest.mark.parametrize("name", SAMPLES)
def test_real_samples_without_libreoffice(realdocs: Path, name: str, no_libreoffice) -> None:
    path = realdocs / "formats" / name
    text = load_file(path).text
    assert text == read_word_binary(path.read_bytes())
    phrases = [p for p in (realdocs / "formats" / f"{name}.expected.txt")
               .read_text(encoding="utf-8").splitlines() if p.strip()]
    where = [flat(text).find(flat(p)) for p in phrases]
    assert -1 not in where, [p for p, at in zip(phrases, where, strict=True) if at < 0]
    assert where == sorted(where)  # header/footer lines come after the body


def test_real_sample_table_rows_and_margins(realdocs: Path) -> None:
    text = read_word_binary((realdocs / "formats" / SAMPLES[0]).read_bytes())
    lines = text.split("\n")
    assert lines[lines.index("下面是表格3x3") + 1:][:3] == ["|11|12|13|", "|21|22|23|",
                                                         "|31|32|33|"]
    assert lines[-2:] == ["页眉左 页眉中 页眉右", "页脚内容"]
    wps = read_word_binary((realdocs / "formats" / SAMPLES[1]).read_bytes()).split("\n")
    # WPS's title block is a one-column table whose first cell holds two paragraphs.
    assert wps[0] == "|NB/T XXXX－20YY 核电厂定期安全评价 第12部分：设计|"


def _fib_at(data: bytes) -> int:
    at = data.find(b"\xec\xa5\xc1\x00")  # FibBase: wIdent 0xA5EC, nFib 0x00C1 (Word 97)
    assert at >= 0
    return at


def test_encrypted_doc_is_refused_in_chinese(realdocs: Path, tmp_path: Path,
                                            no_libreoffice) -> None:
    data = bytearray((realdocs / "formats" / SAMPLES[0]).read_bytes())
    flags = _fib_at(data) + 0x0A
    data[flags : flags + 2] = struct.pack("<H", struct.unpack_from("<H", data, flags)[0]
                                          | 0x0100)  # fEncrypted
    f = tmp_path / "加密的通知.doc"
    f.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="已加密.*取消密码") as info:
        load_file(f)
    assert "加密的通知.doc" in str(info.value) and "\n" not in str(info.value)
    assert "LibreOffice" not in str(info.value)  # it cannot open it either


def test_doc_without_piece_table_is_refused(realdocs: Path, tmp_path: Path,
                                           no_libreoffice) -> None:
    data = bytearray((realdocs / "formats" / SAMPLES[0]).read_bytes())
    fib = _fib_at(data)
    pos = fib + 32
    pos += 2 + 2 * struct.unpack_from("<H", data, pos)[0]  # fibRgW
    pos += 2 + 4 * struct.unpack_from("<H", data, pos)[0]  # fibRgLw
    lcb_clx = pos + 2 + 8 * 33 + 4
    data[lcb_clx : lcb_clx + 4] = bytes(4)
    f = tmp_path / "快速保存.doc"
    f.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="没有片段表.*另存为 .docx.*libreoffice-writer-nogui"):
        load_file(f)


def test_cut_short_doc_is_named_not_crashed(realdocs: Path, tmp_path: Path,
                                           no_libreoffice) -> None:
    data = (realdocs / "formats" / SAMPLES[1]).read_bytes()
    for n, size in enumerate((len(data) // 2, 4096, 700)):
        f = tmp_path / f"残缺{n}.doc"
        f.write_bytes(data[:size])
        with pytest.raises(LoadError) as info:
            load_file(f)
        assert f.name in str(info.value) and "\n" not in str(info.value)


def test_control_characters_become_text() -> None:
    chars = ("标题\r第一行\x0b第二行\x0c"
             "见\x13 HYPERLINK \"x\" \x14\x13 REF a \x14网站\x15\x15。\r"  # nested: results kept
             "页码\x13 PAGE \x15无结果\r"  # no separator: all of it dropped
             "甲\x07乙\x07丙\x07\x07"  # without paragraph properties: \x07\x07 ends the row
             "\x01图\x08后\x1e文\r")
    assert _lines(chars, {}, 0) == ["标题", "第一行", "第二行", "见网站。", "页码无结果",
                                    "|甲|乙|丙|", "图后-文"]
