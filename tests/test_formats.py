"""Issue 13, first part: file type from the bytes, OFD, .xlsx and .pptx readers.

Real samples in ../shared/realdocs/formats/ (skipped when absent): every expected phrase
is found in the normalised text after deleting all whitespace on both sides, in order
where INDEX.tsv says so; formats not read yet fail with a one-line reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from core.config import IngestLimits
from core.errors import LoadError
from core.text.normalize import normalize_text
from ingest.loaders import load_file, sniff, supported_suffixes
from ingest.normalize import normalize_document
from tests.conftest import REALDOCS

FORMATS = REALDOCS / "formats"
SAMPLES = sorted(p.name for p in FORMATS.glob("*.expected.txt")) if FORMATS.is_dir() else []
# Samples no reader here takes, and what their one-line reason must say.
# (.doc/.wps are read with or without LibreOffice: without it by ingest.worddoc.)
REFUSED = {
    "msworks_testWORKS2000.wps": "Microsoft Works",
}
# Known gap: the image-only OFD is a photo of a projected film title whose small English
# line sits inside the big calligraphy (PP-OCR reads only "E" of it).
NOT_READ = {"图片型_WPS文字导出.ofd": {"MY PEOPLE, MY COUNTRY"}}
FMT = {".ofd": "ofd", ".xlsx": "xlsx", ".pptx": "pptx", ".wps": "docx", ".doc": "doc",
       ".jpg": "image"}
# Samples read by OCR (seconds each) or LibreOffice (about 1.3 s) run in the slow tier.
SLOW = ("扫描页_表格结构识别综述.jpg", "图片型_WPS文字导出.ofd")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", normalize_text(text)[0])


def in_order(realdocs: Path) -> set[str]:
    rows = (realdocs / "formats" / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    head = rows[0].split("\t")
    col = head.index("phrases_in_reading_order")
    return {r.split("\t")[0] for r in rows[1:] if r.split("\t")[col].startswith("yes")}


@pytest.mark.parametrize("expected", [
    pytest.param(e, marks=pytest.mark.slow)
    if e.endswith(".doc.expected.txt") or e.removesuffix(".expected.txt") in SLOW else e
    for e in SAMPLES] or ["(absent)"])
def test_real_sample(realdocs: Path, expected: str) -> None:
    name = expected.removesuffix(".expected.txt")
    path = realdocs / "formats" / name
    phrases = [p for p in (realdocs / "formats" / expected).read_text(encoding="utf-8")
               .splitlines() if p.strip() and p not in NOT_READ.get(name, ())]
    if name in REFUSED:
        with pytest.raises(LoadError, match=REFUSED[name]) as info:
            load_file(path)
        assert "\n" not in str(info.value) and "the file's bytes" not in str(info.value)
        return
    raw = load_file(path)
    assert raw.fmt == FMT[path.suffix]
    text, _ = normalize_document(raw)
    body = flat(text)
    where = [body.find(flat(p)) for p in phrases]
    missing = [p for p, at in zip(phrases, where, strict=True) if at < 0]
    assert not missing, missing
    if name in in_order(realdocs):
        assert where == sorted(where), "phrases out of reading order"


def _ofd(pages: dict[str, str], document_extra: str = "", doc_dir: str = "Doc_0",
         extra: dict[str, str] | None = None) -> bytes:
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    page_list = "".join(f'<ofd:Page ID="{i}" BaseLoc="Pages/{n}/Content.xml"/>'
                        for i, n in enumerate(pages, 1))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", f'<ofd:OFD {ns} DocType="OFD"><ofd:DocBody><ofd:DocRoot>'
                              f'Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        z.writestr(f"{doc_dir}/Document.xml",
                   f"<ofd:Document {ns}><ofd:CommonData>{document_extra}</ofd:CommonData>"
                   f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>")
        for n, body in pages.items():
            z.writestr(f"{doc_dir}/Pages/{n}/Content.xml", f"<ofd:Page {ns}>{body}</ofd:Page>")
        for n, body in (extra or {}).items():
            z.writestr(n, body)
    return buf.getvalue()


def _text(x: float, y: float, text: str, size: float = 5) -> str:
    return (f'<ofd:TextObject ID="1" Boundary="{x} {y} 100 {size}" Font="1" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}">{text}</ofd:TextCode></ofd:TextObject>')


def _layer(*objects: str) -> str:
    return f'<ofd:Content><ofd:Layer ID="9">{"".join(objects)}</ofd:Layer></ofd:Content>'


def test_own_ofd_reading_order_and_pages(tmp_path: Path) -> None:
    # The second line comes first in the XML; position decides.
    data = _ofd({"Page_0": _layer(_text(20, 40, "第二行文字"), _text(20, 20, "第一行标题"),
                                  _text(95, 280, "— 1 —")),
                 "Page_1": _layer(_text(20, 20, "第二页的内容"))})
    f = tmp_path / "公文.ofd"
    f.write_bytes(data)
    raw = load_file(f)
    assert raw.fmt == "ofd" and raw.fixed_layout
    assert raw.text.index("第一行标题") < raw.text.index("第二行文字")
    assert len(raw.page_starts) == 2 and raw.text[raw.page_starts[1]:].startswith("第二页")
    assert "1 —" not in raw.text  # the printed page number is dropped, as for PDF
    assert ".ofd" in supported_suffixes()


def test_own_ofd_template_and_composite_text_case_insensitive_paths(tmp_path: Path) -> None:
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    unit = (f'<ofd:Res {ns}><ofd:CompositeGraphicUnits><ofd:CompositeGraphicUnit ID="7" '
            f'Width="100" Height="20"><ofd:Content>{_text(0, 0, "资源里的正文")}</ofd:Content>'
            f"</ofd:CompositeGraphicUnit></ofd:CompositeGraphicUnits></ofd:Res>")
    tpl = f"<ofd:Page {ns}>{_layer(_text(20, 5, '模板上的标签'))}</ofd:Page>"
    page = ('<ofd:Template TemplateID="3" ZOrder="Background"/>'
            + _layer('<ofd:CompositeObject ID="8" ResourceID="7" Boundary="20 50 100 20"/>',
                     _text(20, 20, "页面上的文字")))
    data = _ofd({"Page_0": page}, doc_dir="DOC_0",
                document_extra='<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>'
                               '<ofd:TemplatePage ID="3" BaseLoc="Tpls/Tpl_0/Content.xml"/>',
                extra={"DOC_0/DocumentRes.xml": unit, "doc_0/tpls/tpl_0/Content.xml": tpl})
    f = tmp_path / "票.ofd"
    f.write_bytes(data)
    text = load_file(f).text
    assert [text.index(w) for w in ("模板上的标签", "页面上的文字", "资源里的正文")] == sorted(
        text.index(w) for w in ("模板上的标签", "页面上的文字", "资源里的正文"))


def test_image_only_ofd_with_a_missing_image_is_named(tmp_path: Path) -> None:
    img = '<ofd:Content><ofd:Layer ID="2"><ofd:ImageObject ID="3" ResourceID="4" ' \
          'Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/></ofd:Layer></ofd:Content>'
    f = tmp_path / "扫描.ofd"
    f.write_bytes(_ofd({"Page_0": img}))
    with pytest.raises(LoadError, match="OFD 第1页的图片.*不在文件中") as info:
        load_file(f)
    assert "\n" not in str(info.value)


def test_ofd_limits_pages_and_zip_bomb(tmp_path: Path) -> None:
    f = tmp_path / "多页.ofd"
    f.write_bytes(_ofd({f"Page_{i}": _layer(_text(20, 20, f"第{i}页")) for i in range(3)}))
    with pytest.raises(LoadError, match="KB_MAX_PAGES"):
        load_file(f, IngestLimits(max_pages=2))
    bomb = tmp_path / "炸弹.ofd"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", "<OFD/>")
        z.writestr("Doc_0/big.bin", b"\0" * (3 * 1024 * 1024))
    bomb.write_bytes(buf.getvalue())
    with pytest.raises(LoadError, match="KB_MAX_UNZIPPED_MB"):
        load_file(bomb, IngestLimits(max_unzipped_mb=2))


def _xlsx() -> bytes:
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>')
    cells = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"/></row>'
             '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="inlineStr"><is><t>数\n量'
             '</t></is></c></row><row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>42</v>'
             '</c></row>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", f'<workbook {main} {rel}><sheets><sheet name="党员名册" '
                                      f'sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/sharedStrings.xml", f"<sst {main}><si><t>合并的标题</t></si><si><t>姓名"
                                           f"</t></si><si><r><t>张</t></r><r><t>三</t></r>"
                                           f"</si></sst>")
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {main}><sheetData>{cells}'
                                               f'</sheetData><mergeCells><mergeCell ref="A1:B1"'
                                               f'/></mergeCells></worksheet>')
    return buf.getvalue()


def test_xlsx_rows_with_sheet_name_even_under_a_wrong_suffix(tmp_path: Path) -> None:
    for name in ("名册.xlsx", "名册.pdf", "名册.docx"):
        f = tmp_path / name
        f.write_bytes(_xlsx())
        raw = load_file(f)
        assert raw.fmt == "xlsx", name
        assert raw.text.split("\n") == ["工作表：党员名册", "合并的标题", "|姓名|数量|",
                                        "|姓名：张三|数量：42|第3行|"]
        assert raw.page_starts == (0,)


def _xls() -> bytes:
    """A BIFF8 workbook as Excel 97-2003 and WPS 表格 write it (made by xlwt)."""
    import datetime

    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("党员名册")
    sheet.write_merge(0, 0, 0, 2, "市直机关第一党支部党员名册")
    for c, head in enumerate(["姓名", "入党\n时间", "党费（元）"]):
        sheet.write(1, c, head)
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, (name, day, fee) in enumerate((("张三", datetime.date(2015, 7, 1), 42),
                                          ("李四", datetime.date(2019, 6, 30), 37.5)), 2):
        sheet.write(r, 0, name)
        sheet.write(r, 1, day, date)
        sheet.write(r, 2, fee)
    second = book.add_sheet("支部委员")
    for c, (head, value) in enumerate((("职务", "书记"), ("姓名", "王五"))):
        second.write(0, c, head)
        second.write(1, c, value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["名册.xls", "名册.et", "名册.doc"])
def test_xls_and_et_rows_carry_their_header_and_sheet(tmp_path: Path, name: str) -> None:
    f = tmp_path / name
    f.write_bytes(_xls())
    raw = load_file(f)
    assert raw.fmt == "xls"
    assert raw.text.split("\n") == [
        "工作表：党员名册", "市直机关第一党支部党员名册", "|姓名|入党时间|党费（元）|",
        "|姓名：张三|入党时间：2015-07-01|党费（元）：42|第3行|",
        "|姓名：李四|入党时间：2019-06-30|党费（元）：37.5|第4行|",
        "工作表：支部委员", "|职务|姓名|", "|职务：书记|姓名：王五|第2行|"]
    assert raw.page_starts == (0, raw.text.index("工作表：支部委员"))


def test_sheet_rows_are_cited_by_sheet(tmp_path: Path) -> None:
    from answer.references import reference_for
    from ingest.files import build_document
    from ingest.structure import outline

    f = tmp_path / "党员名册.xls"
    f.write_bytes(_xls())
    doc = build_document(f, "h")
    assert doc.title == "市直机关第一党支部党员名册"
    sections = outline(doc.text, doc.doc_type)
    assert [s.label for s in sections] == ["工作表：党员名册", "工作表：支部委员"]
    at = doc.text.index("职务：书记")
    assert reference_for(doc, ("工作表：支部委员",), doc.page_at(at), at) \
        .endswith("工作表「支部委员」第2行")


def test_docx_header_and_footer_follow_the_body(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("关于召开支部委员会会议的通知")
    d.add_paragraph("各支部：定于下周召开会议。")
    section = d.sections[0]
    section.header.paragraphs[0].text = "中共示例市委办公室\t机密"
    section.footer.paragraphs[0].text = "3"  # a page number: left out
    section.footer.add_paragraph("示例市委办公室印发")
    f = tmp_path / "通知.docx"
    d.save(f)
    assert load_file(f).text.split("\n") == [
        "关于召开支部委员会会议的通知", "各支部：定于下周召开会议。", "中共示例市委办公室 机密",
        "示例市委办公室印发"]


def test_docx_named_wps_or_pdf_is_read_as_docx(tmp_path: Path) -> None:
    from tools.hostile_files import docx_bytes

    for name in ("公文.wps", "公文.pdf"):
        f = tmp_path / name
        f.write_bytes(docx_bytes("关于开展主题党日活动的通知"))
        raw = load_file(f)
        assert raw.fmt == "docx" and "主题党日" in raw.text
    assert sniff(docx_bytes("x")).fmt == "docx"


@pytest.mark.parametrize(("streams", "reason"), [
    (("WordDocument", "WpsCustomData", "1Table"), "旧版 Word/WPS.*LibreOffice"),
    (("WordDocument", "1Table"), r"\.doc.*apt-get install libreoffice-writer-nogui"),
    (("CONTENTS", "CompObj"), "Microsoft Works"),
    (("Workbook",), "Excel/WPS 表格文件.*已损坏"),  # a Workbook stream that is not BIFF
])
def test_ole_files_are_named_by_their_streams(tmp_path: Path, streams, reason,
                                              monkeypatch) -> None:
    import ingest.legacy

    monkeypatch.setattr(ingest.legacy, "soffice", lambda: None)  # as where it is not installed
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"".join(
        s.encode("utf-16-le") + bytes(64 - 2 * len(s)) for s in streams)
    for name in ("旧文档.doc", "旧文档.wps", "旧文档.docx"):
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(LoadError, match=reason) as info:
            load_file(f)
        assert "\n" not in str(info.value)


def test_pptx_slides_are_pages(tmp_path: Path) -> None:
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("ppt/presentation.xml", f'<p:presentation xmlns:p="p" {rel}><p:sldIdLst>'
                                           f'<p:sldId r:id="rId2"/><p:sldId r:id="rId1"/>'
                                           f"</p:sldIdLst></p:presentation>")
        z.writestr("ppt/_rels/presentation.xml.rels",
                   '<Relationships><Relationship Id="rId1" Target="slides/slide1.xml"/>'
                   '<Relationship Id="rId2" Target="slides/slide2.xml"/></Relationships>')
        for n, words in ((1, "第二张"), (2, "第一张")):
            z.writestr(f"ppt/slides/slide{n}.xml",
                       f"<sld {a}><a:p><a:r><a:t>{words}</a:t></a:r><a:r><a:t>幻灯片</a:t>"
                       f"</a:r></a:p></sld>")
    f = tmp_path / "汇报.pptx"
    f.write_bytes(buf.getvalue())
    raw = load_file(f)
    assert raw.fmt == "pptx" and raw.text == "第一张幻灯片\n第二张幻灯片"
    assert raw.page_starts == (0, 7)


@pytest.mark.slow  # a whole ingest through the reading subprocess: about 2 s
def test_ingest_names_a_doc_by_its_bytes_and_reads_an_ofd(tmp_path: Path, embedder) -> None:
    from core.config import load_config
    from service.wiring import open_searcher, run_ingest
    from tests.conftest import FAKE_ENV
    from tools.hostile_files import docx_bytes

    folder = tmp_path / "docs"
    folder.mkdir()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le")
    (folder / "旧版文档.doc").write_bytes(ole + bytes(200))
    (folder / "其实是新版.doc").write_bytes(docx_bytes("关于召开支部委员会会议的通知"))
    page = _layer(_text(20, 20, "关于同意设立党支部的批复"))
    (folder / "批复.ofd").write_bytes(_ofd({"Page_0": page}))
    (folder / "扫描件.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    config = load_config(FAKE_ENV, index_dir=tmp_path / "idx")
    r = run_ingest(config, [folder], progress=False, embedder=embedder)
    skipped = {Path(p).name: why for p, why in r.skipped}
    assert {Path(p).name for p in r.added} == {"其实是新版.doc", "批复.ofd"}
    assert "LibreOffice" in skipped["旧版文档.doc"] and "图片已损坏" in skipped["扫描件.jpg"]
    hits = open_searcher(config).search("同意设立党支部", k=1, mode="bm25")
    assert hits and hits[0].chunk.pages == (1,)


@pytest.mark.slow
def test_every_sample_phrase_is_found_by_search_with_its_file_on_top(realdocs: Path,
                                                                      tmp_path: Path,
                                                                      real_config) -> None:
    """Issue 13's bar on the real samples: the samples ingested together (the way a user
    drops a folder), every expected phrase searched on its own has its file as the top hit."""
    from service.wiring import open_searcher, run_ingest

    folder = tmp_path / "samples"
    folder.mkdir()
    names = [e.removesuffix(".expected.txt") for e in SAMPLES]
    for name in names:
        (folder / name).write_bytes((FORMATS / name).read_bytes())
    report = run_ingest(real_config, [folder], progress=False)
    skipped = {Path(p).name for p, _ in report.skipped}
    assert skipped == set(REFUSED), report.skipped  # only what no reader here takes
    searcher = open_searcher(real_config)
    wrong = []
    for name in names:
        if name in REFUSED:
            continue
        for phrase in (FORMATS / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines():
            if not phrase.strip() or phrase in NOT_READ.get(name, ()):
                continue
            hits = searcher.search(phrase, k=1)
            top = Path(hits[0].chunk.source).name if hits else None
            if top != name:
                wrong.append((name, phrase, top))
    assert not wrong, wrong
