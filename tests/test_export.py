"""公文-ready exports: the .docx XML (A4, GB/T 9704 margins, 仿宋 三号, real footnotes),
`kb ask --docx`, Markdown, and a LibreOffice rendering when LibreOffice is installed."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile

import pytest

from answer.basket import export_answer_docx, export_docx, export_markdown
from answer.docx import answer_parts, inner_quotes
from core.models import Answer, Citation

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _cit(n: int, quote: str, reference: str) -> Citation:
    return Citation(n=n, quote=quote, doc_id="d", source="/x.txt", title="T", section=(),
                    page=None, start=n * 10, end=n * 10 + len(quote), reference=reference)


CITS = [_cit(1, "要用好考核“指挥棒”，为基层减负", "《办法》（示机工发〔2023〕12号）第三条"),
        _cit(2, "每季度召开一次党员大会", "《办法》（示机工发〔2023〕12号）第三条"),
        _cit(3, "党务干部每年参加集中培训不少于32学时", "《细则》第九条")]


def parts_of(data: bytes) -> dict[str, str]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xml", ".rels"))}


def test_docx_is_gongwen_page_with_real_footnotes():
    x = parts_of(export_docx(CITS, notes=["问题一", "问题一", "问题二"]))
    doc = x["word/document.xml"]
    # A4 (210 x 297 mm in twentieths of a point) and GB/T 9704 margins 37/35/28/26 mm.
    assert re.search(r'<w:pgSz w:w="11906" w:h="16838"', doc)
    mar = dict(re.findall(r'w:(top|bottom|left|right)="(\d+)"', re.search(
        r"<w:pgMar [^>]*>", doc).group(0)))
    assert {k: round(int(v) / 56.7) for k, v in mar.items()} == \
        {"top": 37, "bottom": 35, "left": 28, "right": 26}
    # Body: 仿宋_GB2312 (eastAsia too) 三号 = 16 pt = sz 32; 仿宋 as its substitute.
    styles = x["word/styles.xml"]
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, re.S).group(0)
    assert 'w:eastAsia="仿宋_GB2312"' in normal and '<w:sz w:val="32"/>' in normal
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in x["word/fontTable.xml"]
    assert 'w:eastAsia="黑体"' in doc or 'w:eastAsia="楷体_GB2312"' in doc  # the questions
    assert "Heading" not in doc  # no Word default (blue) heading styles
    # The footnotes part, its relationship and content type; separators -1 and 0.
    assert "footnotes+xml" in x["[Content_Types].xml"]
    assert 'relationships/footnotes" Target="footnotes.xml"' in x["word/_rels/document.xml.rels"]
    notes = x["word/footnotes.xml"]
    assert 'w:type="separator" w:id="-1"' in notes and 'w:id="0"' in notes
    bodies = re.findall(r'<w:footnote w:id="(\d+)">.*?<w:t[^>]*> ?([^<]*)</w:t>', notes, re.S)
    # One footnote per distinct reference; the second quote of 《办法》 repeats its number.
    assert bodies == [("1", CITS[0].reference), ("2", CITS[2].reference)]
    assert re.findall(r'<w:footnoteReference w:id="(\d+)"/>', doc) == ["1", "2"]
    assert "[1]" not in doc
    # Nested quotes: “要用好考核‘指挥棒’，为基层减负”.
    assert "“要用好考核‘指挥棒’，为基层减负”" in doc


def test_markdown_merges_identical_references():
    md = export_markdown(CITS)
    assert "1. “要用好考核‘指挥棒’，为基层减负”[1]" in md and "2. “每季度召开一次党员大会”[1]" in md
    assert md.count("示机工发〔2023〕12号") == 1 and "[2] 《细则》第九条" in md


def test_answer_lines_become_quotes_with_footnotes():
    quotes = {1: ("甲“乙”丙", "R1"), 2: ("丁", "R2")}
    parts = answer_parts("甲“乙”丙[1]（关于“戊”，知识库中未找到相关依据）丁[2]", quotes)
    assert parts == [("“甲‘乙’丙”", "R1"), ("（关于“戊”，知识库中未找到相关依据）", None),
                     ("“丁”", "R2")]
    assert inner_quotes("“a”") == "‘a’"
    a = Answer(question="问？", answer="甲“乙”丙[1]丁[2]", refused=False,
               citations=(_cit(1, "甲“乙”丙", "R1"), _cit(2, "丁", "R1")))
    x = parts_of(export_answer_docx(a))
    assert x["word/footnotes.xml"].count("<w:footnoteRef/>") == 1


@pytest.mark.slow  # ingests and runs `kb ask` in-process with the fake embedder
def test_kb_ask_docx(small_corpus, tmp_path, monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    idx = tmp_path / "idx"
    assert main(["ingest", str(small_corpus), "--index", str(idx), "--no-progress"]) == 0
    out = tmp_path / "答复.docx"
    code = main(["ask", "党务干部每年培训不少于多少学时", "--index", str(idx), "--docx", str(out)])
    assert code == 0 and out.is_file()
    x = parts_of(out.read_bytes())
    assert re.search(r'<w:pgSz w:w="11906" w:h="16838"', x["word/document.xml"])
    assert "<w:footnoteReference" in x["word/document.xml"]
    assert "《" in x["word/footnotes.xml"]  # the formal reference
    assert main(["ask", "-", "--index", str(idx), "--docx", str(out)]) == 2
    assert "--docx" in capsys.readouterr().err


@pytest.mark.slow  # starts LibreOffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_a4_with_footnotes(tmp_path):
    src = tmp_path / "引文汇编.docx"
    src.write_bytes(export_docx(CITS))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(src)], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    from pypdf import PdfReader

    page = PdfReader(tmp_path / "引文汇编.pdf").pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = page.extract_text()
    body, _, foot = text.partition("每季度召开一次党员大会")
    assert "指挥棒" in body and "《细则》第九条" in foot  # the reference at the page foot


def test_a_quote_of_several_paragraphs_stays_one_quote():
    a = Answer(question="问？", answer="第一段\n\n第二段[1]\n另一句[2]", refused=False,
               citations=(_cit(1, "第一段\n\n第二段", "R1"), _cit(2, "另一句", "R2")))
    doc = parts_of(export_answer_docx(a))["word/document.xml"]
    texts = re.findall(r"<w:t[^>]*>([^<]*)</w:t>", doc)
    assert texts[1:] == ["“第一段", "第二段”", "“另一句”"]  # after the title; no empty ones
    assert doc.count("<w:p>") + doc.count("<w:p ") == 4
    assert re.findall(r'<w:footnoteReference w:id="(\d+)"/>', doc) == ["1", "2"]
