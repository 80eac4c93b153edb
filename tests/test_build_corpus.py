"""tools/build_corpus.py: formats table, outputs, PDF quirks and the round trip."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import build_corpus  # noqa: E402
import corpus_pdf  # noqa: E402

from core.text.normalize import normalize_text  # noqa: E402
from ingest.loaders import load_file  # noqa: E402
from ingest.normalize import normalize_document  # noqa: E402

POLICY = "\n\n".join([
    "示例市机关党建工作测试办法",
    "示机工发〔2024〕3号",
    "第一章 总则",
    "第一条 为了规范示例市机关党建工作，加强人民群众监督，推动长效机制建设，根据有关规定，"
    "结合本市实际，制定本办法。本办法所称机关党建工作，是指市级机关各部门党组织开展的"
    "政治建设、思想建设、组织建设、作风建设和纪律建设等各项工作。",
    "第二条 2024年起，各部门每年开展考核3次，考核结果按照60%的权重计入年度综合考核，"
    "并作为评价部门领导班子和党组（党委）书记工作实绩、评选先进基层党组织的重要依据。",
    "一、总体要求",
    "坚持党建引领，推动业务融合发展，一是加强政治建设，二是加强组织建设，三是改进作风。"
    "各级党组织要以“四强”党支部创建为抓手，持续提升组织力，切实把青年干部培养好、使用好，"
    "门类齐全、见效显著。",
    "附件：考核评分表",
    "|考核项目|分值|评分标准|\n|政治建设|15|未按要求及时传达学习上级重要会议和文件精神的，每次扣2分|",
    "中共示例市委市级机关工作委员会",
    "2024年10月15日",
]) + "\n"
SPEECH = (
    "在示例市机关青年干部座谈会上的讲话\n\n（2024年5月4日）\n\n"
    "示例市委常委、市委秘书长　王晓东\n\n"
    "同志们：今天我们召开座谈会，和青年干部一起谈理想、谈成长。希望大家坚定理想信念，练就过硬本领。\n"
)


def _sources(tmp_path: Path, long_body: int = 1) -> Path:
    src = tmp_path / "src"
    (src / "measures").mkdir(parents=True)
    (src / "speeches").mkdir()
    body = POLICY.replace("一、总体要求", "\n\n".join(
        [POLICY.split("\n\n")[4]] * long_body) + "\n\n一、总体要求")
    (src / "measures" / "pm_test.txt").write_text(body, encoding="utf-8")
    (src / "speeches" / "sp_test.txt").write_text(SPEECH, encoding="utf-8")
    return src


def test_formats_table_missing_and_unlisted_stems(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    table = tmp_path / "formats.tsv"
    table.write_text("# stem\tformat\nsp_test\ttxt-gbk\ngone_stem\tpdf\nbad line\n",
                     encoding="utf-8")
    out = tmp_path / "corpus"
    assert build_corpus.main(["--src", str(src), "--out", str(out), "--formats", str(table)]) == 0
    gbk = (out / "speeches" / "sp_test.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert b"\r\n" in gbk and gbk.decode("gb18030").startswith("在示例市")
    assert (out / "measures" / "pm_test.txt").read_text(encoding="utf-8") == (
        src / "measures" / "pm_test.txt").read_text(encoding="utf-8")


def test_docx_round_trip_and_reproducible_bytes(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    table = tmp_path / "formats.tsv"
    table.write_text("pm_test\tdocx\nsp_test\tdocx\n", encoding="utf-8")
    out = tmp_path / "corpus"
    args = ["--src", str(src), "--out", str(out), "--formats", str(table)]
    assert build_corpus.main(args) == 0
    path = out / "measures" / "pm_test.docx"
    first = path.read_bytes()
    assert not (out / "measures" / "pm_test.txt").exists()
    raw = load_file(path)
    assert "|政治建设|15|未按要求及时传达学习上级重要会议和文件精神的，每次扣2分|" in raw.text
    assert build_corpus.missing_paragraphs(POLICY, path) == []
    from docx import Document

    styles = [p.style.name for p in Document(str(path)).paragraphs[:4]]
    assert styles[0] == "Title" and "Heading 1" in styles
    assert build_corpus.main(args) == 0
    assert path.read_bytes() == first


def test_pdf_has_real_quirks_and_round_trips(tmp_path: Path) -> None:
    font = corpus_pdf.find_font()
    if font is None:
        pytest.skip(corpus_pdf.FONT_HELP)
    src = _sources(tmp_path, long_body=25)
    table = tmp_path / "formats.tsv"
    table.write_text("pm_test\tpdf\nsp_test\tpdf\n", encoding="utf-8")
    out = tmp_path / "corpus"
    assert build_corpus.main(["--src", str(src), "--out", str(out), "--formats", str(table)]) == 0
    path = out / "measures" / "pm_test.pdf"
    raw = load_file(path)
    assert len(raw.page_starts) >= 2
    assert any(0x2E80 <= ord(c) <= 0x2EFF for c in raw.text)  # ⺠ ⻓ … in the text layer
    assert "2024 年" in raw.text or " 2024 " in raw.text
    paragraph = POLICY.split("\n\n")[4]
    assert paragraph not in raw.text  # wrapped inside the sentence
    text, starts = normalize_document(raw)
    assert normalize_text(paragraph)[0] in text
    assert not any(0x2E80 <= ord(c) <= 0x2FDF for c in text)
    assert "示机工发〔2024〕3号\n" in text and "示例市机关党建工作测试办法\n" in text
    assert build_corpus.missing_paragraphs(src.joinpath("measures", "pm_test.txt").read_text(
        encoding="utf-8"), path) == []
    assert build_corpus.missing_paragraphs(SPEECH, out / "speeches" / "sp_test.pdf") == []


def test_suggested_formats_are_deterministic_and_mixed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for cat in ("cases", "measures", "speeches", "reports"):
        (src / cat).mkdir(parents=True)
        for i in range(10):
            (src / cat / f"{cat}_{i:02d}.txt").write_text(f"标题{i}\n\n正文。\n", encoding="utf-8")
    paths = build_corpus.sources(src)
    first = build_corpus.suggest_formats(paths)
    assert first == build_corpus.suggest_formats(list(reversed(paths)))
    counts = {fmt: list(first.values()).count(fmt) for fmt in build_corpus.FORMATS}
    assert counts == {"pdf": 6, "docx": 6, "txt-gbk": 4, "txt": 24}
    for cat in ("cases", "measures", "speeches", "reports"):
        assert {first[p.stem] for p in paths if p.parent.name == cat} != {"txt"}


def test_blocks_layout_kinds() -> None:
    kinds = [k for k, _ in build_corpus.blocks(POLICY)]
    assert kinds[:4] == ["title", "center", "heading", "para"]
    assert "table" in kinds and kinds.count("heading") == 2
