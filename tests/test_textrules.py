"""The Chinese text rules in core/text/: unit cases, then data-driven checks on real files.

Real files are the sample corpus sources (tools/corpus_src/, always present), the delivered
sample knowledge base (corpus/) and ../shared/realdocs (skipped when absent). Expected values
in the vectors below were read from the files themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.text.coverage import coverage
from core.text.dates import cn_date, find_date, is_bare_date_line, is_date_line, parse_date
from core.text.docno import DOC_NO_RE, find_doc_nos, is_doc_no_line, normalize_doc_no
from core.text.headings import (
    ARTICLE_HEAD_RE,
    ARTICLE_RE,
    CASE_HEAD_RE,
    DIVISION_RE,
    ENUM_PATTERNS,
    HEADING_START_RE,
    INLINE_ARTICLE_RE,
    NOTE_RE,
    STANDALONE_HEADING_RE,
    article_label,
    article_number,
    case_heading_text,
    is_case_heading,
)
from core.text.issues import issue_number, issue_ref, total_number
from core.text.normalize import map_offsets, normalize_query, normalize_text
from core.text.numerals import CN_NUM, NUM, cn_to_int, int_to_cn, is_numeral
from core.text.sentences import CLAUSE_END_RE, SENT_END_RE, ends_sentence, split_sentences
from tests.conftest import ROOT
from tests.realdocs_util import read_normalized, text_files

SRC = ROOT / "tools" / "corpus_src"
CORPUS = ROOT / "corpus"
FW = str.maketrans("0123456789", "０１２３４５６７８９")


def nonempty_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def sources(category: str) -> list[Path]:
    return sorted((SRC / category).glob("*.txt"))


def enum_kinds(line: str) -> list[str]:
    return [kind for kind, pattern in ENUM_PATTERNS if pattern.match(line)]


# ---------------------------------------------------------------------------
# numerals.py


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十一", 21),
        ("一百", 100),
        ("一百零三", 103),
        ("一百一十", 110),
        ("一千零一", 1001),
        ("二〇二四", 2024),  # U+3007 IDEOGRAPHIC NUMBER ZERO
        ("二○二四", 2024),  # U+25CB WHITE CIRCLE, as typed in many documents
        ("二零二四", 2024),
        ("两", 2),
        ("两百", 200),
        ("零", 0),
        ("12", 12),
        ("１２", 12),
        (" 十二 ", 12),
    ],
)
def test_cn_to_int(written: str, value: int) -> None:
    assert cn_to_int(written) == value


@pytest.mark.parametrize("bad", ["万", "十万", "abc", "第三"])
def test_cn_to_int_rejects_non_numerals(bad: str) -> None:
    with pytest.raises(KeyError):
        cn_to_int(bad)


def test_int_to_cn_round_trip() -> None:
    for n in range(1, 301):
        written = int_to_cn(n)
        assert re.fullmatch(CN_NUM, written), (n, written)
        assert cn_to_int(written) == n, (n, written)


@pytest.mark.parametrize(
    ("value", "written"),
    [(0, "零"), (1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (100, "一百"),
     (101, "一百零一"), (103, "一百零三"), (110, "一百一十"), (111, "一百一十一"),
     (1000, "一千"), (1010, "一千零一十")],
)
def test_int_to_cn_forms(value: int, written: str) -> None:
    assert int_to_cn(value) == written


@pytest.mark.parametrize("bad", [-1, 10000])
def test_int_to_cn_range(bad: int) -> None:
    with pytest.raises(ValueError):
        int_to_cn(bad)


def test_is_numeral_and_num_pattern() -> None:
    assert is_numeral("十二") and is_numeral("12") and is_numeral(" 三 ") and is_numeral("两")
    assert not is_numeral("十二条") and not is_numeral("12345") and not is_numeral("")
    assert re.fullmatch(NUM, "2024") and re.fullmatch(NUM, "一百零三")
    assert not re.fullmatch(NUM, "12345")


# ---------------------------------------------------------------------------
# sentences.py


def test_split_sentences_spans() -> None:
    text = "他说：“好。”我们走！真的？是的；\n等等……“再见……”\n  尾巴  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "他说：“好。”", "我们走！", "真的？", "是的；", "等等……", "“再见……”", "尾巴",
    ]
    assert spans == [(0, 7), (7, 11), (11, 14), (14, 17), (18, 22), (22, 28), (31, 33)]
    assert split_sentences(text, offset=100) == [(s + 100, e + 100) for s, e in spans]


def test_split_sentences_line_ends_and_blanks() -> None:
    assert split_sentences("第一条 总则\n本办法适用于机关") == [(0, 6), (7, 15)]
    assert split_sentences("甲。乙", offset=5) == [(5, 7), (7, 8)]
    assert split_sentences("") == []
    assert split_sentences("\n \n\u3000\n") == []
    # A colon or comma ends a clause, not a sentence.
    assert len(split_sentences("主要包括：一是学习，二是实践。")) == 1
    assert CLAUSE_END_RE.search("主要包括：") and not CLAUSE_END_RE.search("学习，实践")


@pytest.mark.parametrize(
    ("line", "expected"),
    [("好。", True), ("好。”", True), ("好！）", True), ("……", True), ("好。  ", True),
     ("附件：", True), ("好”", False), ("好", False), ("（2024年5月4日）", False), ("", False),
     ("“三张清单”压实支部责任", False)],
)
def test_ends_sentence(line: str, expected: bool) -> None:
    assert ends_sentence(line) is expected


def check_spans(text: str, offset: int = 0) -> list[str]:
    """Problems with split_sentences(text, offset): empty when every invariant holds."""
    problems: list[str] = []
    spans = split_sentences(text, offset)
    prev = offset
    for s, e in spans:
        if not prev <= s < e <= offset + len(text):
            problems.append(f"span {(s, e)} out of order or bounds (previous end {prev})")
            break
        seg = text[s - offset : e - offset]
        if seg != seg.strip() or "\n" in seg:
            problems.append(f"span {(s, e)} has edge whitespace or a line break: {seg[:20]!r}")
        ends = [m.end() for m in SENT_END_RE.finditer(seg)]
        if any(end != len(seg) for end in ends):
            problems.append(f"span {(s, e)} runs past a sentence end: {seg[:30]!r}")
        if ends and not ends_sentence(seg):
            problems.append(f"span {(s, e)} ends a sentence but ends_sentence is False")
        prev = e
    joined = "".join(text[s - offset : e - offset] for s, e in spans)
    if re.sub(r"\s", "", joined) != re.sub(r"\s", "", text):
        problems.append("spans do not cover every non-space character exactly once")
    return problems


# ---------------------------------------------------------------------------
# headings.py


def test_division_re() -> None:
    m = DIVISION_RE.match("第三章 总则")
    assert m and (m["n"], m["unit"], m["rest"].strip()) == ("三", "章", "总则")
    m = DIVISION_RE.match("第二节 组织设置")
    assert m and m["unit"] == "节"
    m = DIVISION_RE.match("第一编")
    assert m and (m["unit"], m["rest"]) == ("编", "")
    assert not DIVISION_RE.match("第九条 党员")


@pytest.mark.parametrize(
    ("line", "n"),
    [("第九条　党员如果没有正当理由", "九"), ("第九条 党员", "九"), ("第九条", "九"),
     ("第十条 ", "十"), ("第123条 本法", "123"),
     ("第一百零三条 本办法自印发之日起施行。", "一百零三"),
     ("第二十三条《中华人民共和国监察法》第十五条", "二十三"),
     ("第九条规定的", None), ("第九条的规定", None), ("第九条、第十条", None),
     ("第九条第二款", None), ("第九条，", None), ("第九条中", None), ("第三章 总则", None)],
)
def test_article_head_re(line: str, n: str | None) -> None:
    m = ARTICLE_HEAD_RE.match(line)
    assert (m["n"] if m else None) == n


def test_article_number_and_label() -> None:
    assert article_number("第一章 总则 > 第十二条") == 12
    assert article_label("第一章 总则 > 第十二条") == "第十二条"
    assert article_number("第九条和第十条") == 10
    assert article_number("第3条") == 3
    assert article_number("总则") is None and article_label("总则") is None
    assert ARTICLE_RE.findall("依照第九条、第一百零三条") == ["九", "一百零三"]


@pytest.mark.parametrize(
    ("line", "kinds", "n"),
    [("一、总则", ["h1"], "一"), ("十一、附则", ["h1"], "十一"), ("（一）集中轮训", ["h2"], "一"),
     ("(二)网络学习", ["h2"], "二"), ("1.基本要求", ["h3"], "1"), ("1．基本要求", ["h3"], "1"),
     ("1、基本要求", ["h3"], "1"), ("（1）第一项", ["h4"], "1"), ("(2)第二项", ["h4"], "2"),
     ("一是要坚定理想信念", ["point"], "一"), ("三是严守纪律规矩", ["point"], "三"),
     ("1.5亿元", [], None), ("2024.5", [], None), ("二是否可以", [], None),
     ("三是不是", [], None), ("一是的", [], None), ("总则", [], None)],
)
def test_enum_patterns(line: str, kinds: list[str], n: str | None) -> None:
    assert enum_kinds(line) == kinds
    if kinds:
        assert dict(ENUM_PATTERNS)[kinds[0]].match(line)["n"] == n


def test_case_headings() -> None:
    line = "【典型案例一】示例市财政局：标题"
    assert CASE_HEAD_RE.match(line) and is_case_heading(line)
    assert case_heading_text(line) == "示例市财政局：标题"
    assert case_heading_text("【 典型案例 二 】 示例市审计局：标题") == "示例市审计局：标题"
    tagged_headings = (("【案例2】某局：标题", "某局：标题"), ("典型案例三：某局做法", "某局做法"))
    for tagged, text in tagged_headings:
        assert CASE_HEAD_RE.match(tagged) and is_case_heading(tagged), tagged
        assert case_heading_text(tagged) == text
    for not_case in ("典型案例", "一、典型案例", "【编者点评】很好", "示例市财政局：标题"):
        assert not CASE_HEAD_RE.match(not_case), not_case
    assert not is_case_heading("一、典型案例") and not is_case_heading("示例市财政局：标题")
    assert NOTE_RE.match("【编者点评】很好") and not NOTE_RE.match(line)


@pytest.mark.parametrize(
    ("line", "start", "standalone"),
    [("第一章 总则", True, True), ("第二部分 主要任务", True, True), ("一、总则", True, True),
     ("（一）集中轮训", True, False), ("一是要坚定", True, False), ("1.基本要求", True, False),
     ("【典型案例一】", True, False), ("附件1", True, False), ("①第一项", True, False),
     ("二〇二四年工作安排", False, False), ("本办法适用于", False, False)],
)
def test_heading_start_patterns(line: str, start: bool, standalone: bool) -> None:
    assert bool(HEADING_START_RE.match(line)) is start
    assert bool(STANDALONE_HEADING_RE.match(line)) is standalone


# ---------------------------------------------------------------------------
# docno.py


@pytest.mark.parametrize(
    "written",
    ["阿府办发〔2021〕21号", "阿府办发[2021]21号", "阿府办发［2021］21号", "阿府办发（2021）21号",
     "阿府办发(2021)21号", "阿府办发【2021】21号", "阿府办发〔２０２１〕２１号",
     "阿府办发 〔 2021 〕 21 号", "阿府办发2021-21号", "阿府办发2021－21号", "阿府办发2021年21号",
     "阿府办发2021年第21号", "阿府办发〔2021〕021号"],
)
def test_normalize_doc_no_styles(written: str) -> None:
    assert normalize_doc_no(written) == "阿府办发〔2021〕21号"
    assert find_doc_nos(written) == ["阿府办发〔2021〕21号"]
    assert is_doc_no_line(written)


def test_doc_no_unbracketed_forms() -> None:
    assert normalize_doc_no("穗府办规2024-13号") == "穗府办规〔2024〕13号"
    assert normalize_doc_no("示机工发2024年3号") == "示机工发〔2024〕3号"
    assert normalize_doc_no("国办发〔２０２０〕３号") == "国办发〔2020〕3号"


def test_doc_no_in_text() -> None:
    assert normalize_doc_no("根据阿府办发〔2021〕21号") == "阿府办发〔2021〕21号"
    assert find_doc_nos("根据阿府办发〔2021〕21号") == ["阿府办发〔2021〕21号"]
    text = "按照国办发〔2020〕3号和穗府办规2024-13号的要求，依据粤人社规（2021）5号执行。"
    assert find_doc_nos(text) == [
        "国办发〔2020〕3号", "穗府办规〔2024〕13号", "粤人社规〔2021〕5号",
    ]
    assert find_doc_nos("本办法自2024年5月4日起施行。") == []
    # Text without a 文号 comes back stripped, with ASCII digits.
    assert normalize_doc_no(" 第３期 ") == "第3期"


@pytest.mark.parametrize(
    ("line", "expected"),
    [("示机工发〔2023〕12号", True), ("（皖政办秘〔2021〕82号）", True),
     ("穗府办规2024-13号", True), ("示机工发2024年3号", True),
     ("中华人民共和国主席令第三十一号", True), ("省政府令第12号", True), ("国务院令第746号", True),
     ("根据阿府办发〔2021〕21号文件精神，现就进一步做好有关工作通知如下。", False),
     ("关于建立公共数据资源授权运营价格形成机制的通知(发改价格〔2025〕65号)", False),
     ("第3期（总第27期）", False), ("2024年3月5日", False), ("示例市财政局机关党委", False)],
)
def test_is_doc_no_line(line: str, expected: bool) -> None:
    assert is_doc_no_line(line) is expected


# ---------------------------------------------------------------------------
# dates.py


@pytest.mark.parametrize(
    ("text", "iso"),
    [("2024年5月4日", "2024-05-04"), ("2024-05-04", "2024-05-04"), ("2024/5/4", "2024-05-04"),
     ("2024.5.4", "2024-05-04"), ("二〇二四年五月四日", "2024-05-04"),
     ("二○二四年五月四日", "2024-05-04"), ("二〇二四年十二月三十一日", "2024-12-31"),
     ("２０２４年５月４日", "2024-05-04"), ("2024 年 5 月 4 日", "2024-05-04"),
     ("2024年5月4号", "2024-05-04"), ("2024年5月", "2024-05"), ("二〇二四年五月", "2024-05"),
     ("本办法自2024年5月4日起施行。", "2024-05-04"), ("于2023年1月1日和2024年5月4日", "2023-01-01"),
     ("2024年13月4日", None), ("2024年5月40日", None), ("20240504", None),
     ("从二〇二〇年到二〇三五年", None), ("第5期（总第41期）", None)],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_find_date_offsets() -> None:
    assert find_date("（2024年5月4日）") == (1, 10, "2024-05-04")
    assert find_date("版本日期：2024-02-27") == (5, 15, "2024-02-27")
    assert find_date("无日期") is None


def test_parse_date_full_width_o_year() -> None:
    assert parse_date("二Ｏ二四年五月四日") == "2024-05-04"


def test_cn_date() -> None:
    assert cn_date("2024-05-04") == "2024年5月4日"
    assert cn_date("2024-05") == "2024年5月"
    assert cn_date(None) is None and cn_date("") is None and cn_date("May") is None
    for iso in ("2022-02-24", "2023-11", "2025-12-31"):
        assert parse_date(cn_date(iso)) == iso


@pytest.mark.parametrize(
    ("line", "date_line", "bare"),
    [("2024年5月4日", True, True), ("（2024年5月4日）", True, True), ("(2024年5月4日)", True, True),
     ("2024年5月4日印发", True, True), ("二〇二四年五月四日", True, True),
     ("2024年5月", True, False), ("2024-05-04", True, False), ("版本日期：2024-02-27", True, False),
     ("（版本日期：2024-02-27）", True, False), ("2024年5月4日 星期六", True, False),
     ("本办法自2024年5月4日起施行。", False, False),
     ("政府工作报告——2024年3月5日在第十四届全国人民代表大会第二次会议上", False, False),
     ("示机工发〔2023〕12号", False, False)],
)
def test_date_lines(line: str, date_line: bool, bare: bool) -> None:
    assert is_date_line(line) is date_line
    assert is_bare_date_line(line) is bare


# ---------------------------------------------------------------------------
# issues.py


def test_issue_numbers() -> None:
    assert issue_number("第5期（总第41期）") == 5
    assert total_number("第5期（总第41期）") == 41
    header = "第十二期（总第一百期）"
    assert issue_number(header) == 12 and total_number(header) == 100
    assert issue_number("第 5 期") == 5 and total_number("第5期") is None
    assert issue_number("《新风》专刊") is None


def test_issue_ref() -> None:
    ref = issue_ref("《新风》2025年第1期有哪些案例")
    assert ref is not None and ref[:2] == (1, "2025") and ref[2] == "2025年第1期"
    assert issue_ref("总第49期") is None
    assert issue_ref("《新风》总第49期有哪些案例") is None
    assert issue_ref("第三期讲了什么") == (3, None, "第三期")
    assert issue_ref("《新风》第5期（总第41期）")[:2] == (5, None)
    assert issue_ref("机关作风建设有哪些案例") is None


# ---------------------------------------------------------------------------
# coverage.py and normalize.py


def test_coverage() -> None:
    weights = {"党员": 2.0, "教育": 1.0, "培训": 1.0}
    assert coverage(weights, {"党员", "教育"}) == pytest.approx(0.75)
    assert coverage(weights, "加强党员教育管理") == pytest.approx(0.75)
    assert coverage(weights, "党员培训和教育") == pytest.approx(1.0)
    assert coverage(weights, set()) == 0.0 and coverage(weights, "") == 0.0
    assert coverage({}, "党员") == 0.0
    assert coverage({"党员教育": 1.0}, "党员") == 0.0  # a string is a substring test
    assert coverage({"党员": 0.0}, "党员") == 0.0


def test_normalize_text() -> None:
    raw = ("\u3000\u3000第一条\u3000为了规范管理，制定本办法。\r\n"
           "第二条 本办法适用于２０２４年 ⺠政部门。\u200b")
    out, index = normalize_text(raw)
    assert out == "第一条 为了规范管理，制定本办法。\n第二条 本办法适用于2024年 民政部门。"
    assert len(index) == len(out) and index == sorted(index)
    assert all(raw[i] == c for i, c in zip(index, out, strict=True) if c in "第一条为了规范管理")
    assert map_offsets((0, 2, 5), index) == (0, 0, 3)
    assert normalize_text("一 、总则\n\n\n\n二、附则\n\n")[0] == "一、总则\n\n二、附则"
    assert normalize_query("第九条\n规定了什么？ ") == "第九条 规定了什么？"


# ---------------------------------------------------------------------------
# The sample corpus sources (tools/corpus_src/), conventions in docs/CONTRACTS.md.


@dataclass(frozen=True)
class MeasureVector:
    stem: str
    doc_no: str  # the 文号 line under the title
    date: str  # the one bare date line (落款, or under the title for a 通知)
    articles: int  # 第X条 headings; 0 for 意见/方案 written with 一、/（一）


MEASURES = [
    MeasureVector("pm01_zhibu_biaozhunhua_banfa", "示机工发〔2023〕12号", "2023-05-16", 34),
    MeasureVector("pm02_dangjian_zerenzhi_banfa", "示办发〔2024〕7号", "2024-03-22", 31),
    MeasureVector("pm03_dangwu_ganbu_yijian", "示组发〔2022〕19号", "2022-09-06", 0),
    MeasureVector("pm04_shuzhi_pingyi_banfa", "示机工发〔2024〕31号", "2024-10-15", 34),
    MeasureVector("pm05_mofan_jiguan_kaohe_banfa", "示机工委发〔2025〕9号", "2025-04-08", 34),
    MeasureVector("pm06_zhendi_jianshe_yijian", "示机工〔2022〕21号", "2022-07-12", 0),
    MeasureVector("pm07_dangfei_guanli_guiding", "示机工规〔2023〕2号", "2023-02-28", 35),
    MeasureVector("pm08_qingnian_lilun_xuexi_fangan", "示机工办〔2025〕4号", "2025-03-10", 0),
    MeasureVector("pm09_qinglian_jiguan_banfa", "示委办发〔2025〕3号", "2025-01-20", 33),
]


@dataclass(frozen=True)
class HandbookVector:
    stem: str
    issue: int
    total: int
    month: str  # from the line 中共示例市委市级机关工委编　　2023年3月
    cases: int


HANDBOOK = [
    HandbookVector("xf2023_03_zhibu_gongzuofa", 3, 27, "2023-03", 5),
    HandbookVector("xf2023_07_dangjian_yewu_ronghe", 7, 31, "2023-07", 5),
    HandbookVector("xf2023_11_qingnian_ganbu", 11, 35, "2023-11", 5),
    HandbookVector("xf2024_05_jiceng_jianfu", 5, 41, "2024-05", 5),
    HandbookVector("xf2024_09_qinglian_jiguan", 9, 45, "2024-09", 5),
    HandbookVector("xf2025_01_jiguan_zuofeng", 1, 49, "2025-01", 5),
    HandbookVector("xf2025_06_dangyuan_jiaoyu", 6, 54, "2025-06", 5),
]

SPEECHES = {
    "sp01_jiguan_dangjian_2022": "2022-02-24",
    "sp02_mofan_jiguan_2023": "2023-06-16",
    "sp03_dangwu_peixun_2022": "2022-09-06",
    "sp04_shuzhi_pingyi_2024": "2025-01-08",
    "sp05_zuofeng_jianfu_2024": "2024-04-18",
    "sp06_qiyi_biaozhang_2022": "2022-06-29",
    "sp07_qingnian_zuotan_2025": "2025-04-30",
    "sp08_qinglian_jiguan_2025": "2025-03-20",
    "sp09_xinfeng_bianwei_2023": "2023-02-15",
}


def source_lines(category: str, stem: str) -> list[str]:
    return nonempty_lines((SRC / category / f"{stem}.txt").read_text(encoding="utf-8"))


def test_vectors_cover_every_source() -> None:
    assert {p.stem for p in sources("measures")} == {v.stem for v in MEASURES}
    assert {p.stem for p in sources("handbook")} == {v.stem for v in HANDBOOK}
    assert {p.stem for p in sources("speeches")} == set(SPEECHES)


def test_measure_doc_no_lines_are_the_second_line() -> None:
    with_doc_no = {p.stem for p in sources("measures")
                   if is_doc_no_line(nonempty_lines(p.read_text(encoding="utf-8"))[1])}
    assert with_doc_no == {v.stem for v in MEASURES}


@pytest.mark.parametrize("vec", MEASURES, ids=lambda v: v.stem)
def test_measure_source(vec: MeasureVector) -> None:
    lines = source_lines("measures", vec.stem)
    assert not is_doc_no_line(lines[0])  # the title
    assert is_doc_no_line(lines[1]) and normalize_doc_no(lines[1]) == vec.doc_no
    # The 文号 line is the only one; other 文号 are cited inside sentences.
    assert [i for i, line in enumerate(lines) if is_doc_no_line(line)] == [1]
    assert find_doc_nos("\n".join(lines))[0] == vec.doc_no
    bare = [line for line in lines if is_bare_date_line(line)]
    assert len(bare) == 1 and parse_date(bare[0]) == vec.date
    assert cn_date(vec.date) == bare[0]
    # A 文号 carries the year the document was issued in.
    assert vec.doc_no.split("〔")[1][:4] == vec.date[:4]
    numbers = [cn_to_int(m["n"]) for line in lines if (m := ARTICLE_HEAD_RE.match(line))]
    assert numbers == list(range(1, vec.articles + 1))


@pytest.mark.parametrize("vec", MEASURES, ids=lambda v: v.stem)
def test_measure_doc_no_in_every_style(vec: MeasureVector) -> None:
    org, year, num = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", vec.doc_no).groups()
    brackets = ("〔〕", "[]", "［］", "（）", "()", "【】")
    variants = [f"{org}{o}{year}{c}{num}号" for o, c in brackets]
    variants += [f"{org}〔{year}〕{num}号".translate(FW), f"{org}{year}-{num}号",
                 f"{org}{year}年{num}号", f"{org}{year}年第{num}号"]
    for v in variants:
        assert normalize_doc_no(v) == vec.doc_no, v
        assert is_doc_no_line(v), v
        sentence = f"根据{v}文件精神，结合本单位实际，现就进一步做好有关工作提出如下意见。"
        assert find_doc_nos(sentence) == [vec.doc_no], v
        assert not is_doc_no_line(sentence), v


@pytest.mark.parametrize("vec", HANDBOOK, ids=lambda v: v.stem)
def test_handbook_header(vec: HandbookVector) -> None:
    lines = source_lines("handbook", vec.stem)
    assert lines[0] == "《新风》专刊"
    header = lines[1]
    assert issue_number(header) == vec.issue and total_number(header) == vec.total
    assert int(vec.stem.split("_")[1]) == vec.issue  # xf<year>_<issue>_...
    assert parse_date(lines[2]) == vec.month
    assert vec.stem[2:6] == vec.month[:4]
    year = vec.month[:4]
    assert issue_ref(f"《新风》{year}年第{vec.issue}期有哪些案例")[:2] == (vec.issue, year)
    assert issue_ref(f"《新风》专刊总第{vec.total}期有哪些案例") is None


def test_handbook_running_numbers_are_monthly() -> None:
    # One issue a month: total - issue is the same within a year and grows by 12 a year.
    offsets = {v.month[:4]: v.total - v.issue for v in HANDBOOK}
    for v in HANDBOOK:
        assert v.total - v.issue == offsets[v.month[:4]]
    years = sorted(offsets)
    assert all(offsets[b] - offsets[a] == 12 * (int(b) - int(a)) for a, b in zip(years, years[1:]))


@pytest.mark.parametrize("vec", HANDBOOK, ids=lambda v: v.stem)
def test_handbook_case_headings(vec: HandbookVector) -> None:
    lines = source_lines("handbook", vec.stem)
    heads = [line for line in lines if line.startswith("【典型案例")]
    assert len(heads) == vec.cases
    ordinals = []
    for line in heads:
        assert CASE_HEAD_RE.match(line) and is_case_heading(line), line
        text = case_heading_text(line)
        assert text == line.split("】", 1)[1].strip() and not text.startswith("【")
        unit, title = text.split("：", 1)
        assert unit.startswith("示例市") and title, line
        ordinals.append(cn_to_int(re.match(r"【典型案例(\S+?)】", line)[1]))
    assert ordinals == list(range(1, vec.cases + 1))
    # No other line of the issue looks like a case heading.
    assert [line for line in lines if CASE_HEAD_RE.match(line)] == heads


def editor_notes() -> list[str]:
    return [line for p in sources("handbook") for line in nonempty_lines(p.read_text("utf-8"))
            if line.startswith("【编者点评】")]


def test_editor_notes_are_notes() -> None:
    notes = editor_notes()
    assert len(notes) == sum(v.cases for v in HANDBOOK)
    for line in notes:
        assert NOTE_RE.match(line) and not CASE_HEAD_RE.match(line), line


def test_editor_notes_are_not_case_headings() -> None:
    assert [line[:12] for line in editor_notes() if is_case_heading(line)] == []


@pytest.mark.parametrize(("stem", "iso"), sorted(SPEECHES.items()))
def test_speech_date_line(stem: str, iso: str) -> None:
    lines = source_lines("speeches", stem)
    date_line = lines[1]
    assert date_line.startswith("（") and date_line.endswith("）")
    assert is_date_line(date_line) and is_bare_date_line(date_line)
    assert parse_date(date_line) == iso
    assert cn_date(iso) == date_line.strip("（）")
    assert not is_date_line(lines[0])  # the title, even when it names a year
    assert not is_doc_no_line(date_line) and not is_date_line(lines[2])  # the speaker line


def test_case_sources_unit_line() -> None:
    for p in sources("cases"):
        lines = nonempty_lines(p.read_text(encoding="utf-8"))
        unit = lines[1]
        assert unit.startswith(("示例市", "中共示例市")), p.stem
        assert not is_doc_no_line(unit) and not is_date_line(unit), p.stem
        assert not any(is_doc_no_line(line) for line in lines), p.stem
        assert enum_kinds(lines[2]) == ["h1"], p.stem  # 一、基本情况


def all_sources() -> list[Path]:
    return sorted(SRC.rglob("*.txt"))


def test_split_sentences_on_corpus_sources() -> None:
    assert len(all_sources()) == 40
    problems = {p.stem: found for p in all_sources()
                if (found := check_spans(p.read_text(encoding="utf-8"), offset=3))}
    assert problems == {}


def numbering_breaks(text: str) -> dict[str, list[tuple[int, int]]]:
    """Steps in 第X条 / 一、 / （一） / 1. numbering that neither count up by one nor restart
    at 1 (第X条 after a chapter heading on the same line included)."""
    seqs: dict[str, list[int]] = {"article": [], "h1": [], "h2": [], "h3": []}
    enum = dict(ENUM_PATTERNS)
    for line in text.split("\n"):
        if m := ARTICLE_HEAD_RE.match(line):
            seqs["article"].append(cn_to_int(m["n"]))
        elif DIVISION_RE.match(line):  # 第一章 总则 第一条 …, on one line
            seqs["article"] += [cn_to_int(a[1:-1]) for a in INLINE_ARTICLE_RE.findall(line)]
        for kind in ("h1", "h2", "h3"):
            if m := enum[kind].match(line):
                seqs[kind].append(cn_to_int(m["n"]))
    return {kind: bad for kind, seq in seqs.items()
            if (bad := [(a, b) for a, b in zip(seq, seq[1:]) if b not in (a + 1, 1)])}


def test_numbering_on_corpus_sources() -> None:
    assert {p.stem: b for p in all_sources() if (b := numbering_breaks(p.read_text("utf-8")))} == {}


# The delivered sample knowledge base: .txt files are the sources, some as GBK with CRLF.


def read_delivered(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def test_every_source_is_delivered() -> None:
    for src in all_sources():
        found = list((CORPUS / src.parent.name).glob(f"{src.stem}.*"))
        assert [p.suffix for p in found] in ([".txt"], [".docx"], [".pdf"]), src.stem


def test_delivered_txt_files_read_like_their_sources() -> None:
    delivered = sorted(CORPUS.rglob("*.txt"))
    assert any(b"\r\n" in p.read_bytes() for p in delivered)  # some are GBK with CRLF
    by_stem = {v.stem: v for v in MEASURES}
    for path in delivered:
        text = normalize_text(read_delivered(path))[0]
        src = SRC / path.parent.name / path.name
        assert text == normalize_text(src.read_text(encoding="utf-8"))[0], path.name
        lines = nonempty_lines(text)
        if path.stem in by_stem:
            assert normalize_doc_no(lines[1]) == by_stem[path.stem].doc_no
        if path.stem in SPEECHES:
            assert parse_date(lines[1]) == SPEECHES[path.stem]


# ---------------------------------------------------------------------------
# ../shared/realdocs (skipped when absent)


@pytest.fixture(scope="module")
def real_texts(realdocs: Path) -> dict[str, str]:
    """Every .txt/.md file of realdocs, normalised, by path relative to realdocs."""
    return {p.relative_to(realdocs).as_posix(): read_normalized(p) for p in text_files(realdocs)}


def real_text(texts: dict[str, str], folder: str, key: str) -> str:
    found = [t for name, t in texts.items() if name.startswith(folder + "/") and key in name]
    assert len(found) == 1, (folder, key)
    return found[0]


def test_split_sentences_on_realdocs(real_texts: dict[str, str]) -> None:
    assert len(real_texts) > 50
    problems = {name: found for name, text in real_texts.items() if (found := check_spans(text))}
    assert problems == {}


def test_line_start_articles_parse(real_texts: dict[str, str]) -> None:
    """Every 第X条 at a line start has a numeral written the official way (第十二条)."""
    start = re.compile(r"第([零〇○一二两三四五六七八九十百千]+|\d+)条")
    seen = 0
    for name, text in real_texts.items():
        for line in text.split("\n"):
            if not (m := start.match(line)):
                continue
            seen += 1
            value = cn_to_int(m[1])
            assert value >= 1, (name, line[:20])
            if not m[1].isdigit():
                assert int_to_cn(value) == m[1], (name, line[:20])
            assert article_number(m[0]) == value
            # In these documents no line opens with a citation such as 第九条规定的….
            assert ARTICLE_HEAD_RE.match(line), (name, line[:20])
    assert seen > 700


def test_article_numbering_on_realdocs(real_texts: dict[str, str]) -> None:
    breaks = {name: b for name, text in real_texts.items() if (b := numbering_breaks(text))}
    assert breaks == {}


@dataclass(frozen=True)
class ArticlesVector:
    folder: str
    key: str
    runs: tuple[int, ...]  # article count of each document in the file (numbering restarts)


REAL_ARTICLES = [
    ArticlesVector("laws", "保守国家秘密法", (65,)),
    ArticlesVector("laws", "公务员法", (113,)),
    ArticlesVector("laws", "公职人员政务处分法", (68,)),
    ArticlesVector("laws", "常务委员会监督法", (65,)),
    ArticlesVector("laws", "地方各级人民政府组织法", (90,)),
    ArticlesVector("laws", "监察法", (78,)),
    ArticlesVector("party", "中国共产党章程", (55,)),
    ArticlesVector("policy_central", "网络数据安全管理条例", (64,)),
    ArticlesVector("policy_central", "授权运营实施规范", (27,)),
    ArticlesVector("policy_central", "授权运营实施办法", (35,)),
    # Two measures in one file: the 登记 measure, then the 授权运营 one again.
    ArticlesVector("policy_central", "登记管理实施办法", (35, 35)),
    # Articles 1, 8, 15, 18, 22, 30, 38, 43 and 46 follow their chapter on the same line.
    ArticlesVector("policy_local", "阿坝州", (49,)),
]


@pytest.mark.parametrize("vec", REAL_ARTICLES, ids=lambda v: v.key)
def test_real_article_runs(real_texts: dict[str, str], vec: ArticlesVector) -> None:
    text = real_text(real_texts, vec.folder, vec.key)
    numbers: list[int] = []
    for line in text.split("\n"):
        if m := ARTICLE_HEAD_RE.match(line):
            numbers.append(cn_to_int(m["n"]))
        elif DIVISION_RE.match(line):
            numbers += [cn_to_int(a[1:-1]) for a in INLINE_ARTICLE_RE.findall(line)]
    assert numbers == [n for run in vec.runs for n in range(1, run + 1)]


def test_law_articles_subset(realdocs: Path, real_texts: dict[str, str]) -> None:
    """laws/articles_subset.jsonl: each article's label, number, chapter and first line."""
    rows = [json.loads(line) for line in
            (realdocs / "laws" / "articles_subset.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    assert len(rows) > 400
    for r in rows:
        label, n = r["article_no"], r["article_no_arabic"]
        assert cn_to_int(label[1:-1]) == n and int_to_cn(n) == label[1:-1], label
        assert article_number(label) == n and article_label(f"{r['chapter']} {label}") == label
        assert DIVISION_RE.match(r["chapter"])["unit"] == "章", r["chapter"]
        if r["section"]:
            assert DIVISION_RE.match(r["section"])["unit"] == "节", r["section"]
        text = real_texts[f"laws/{r['law']}.txt"]
        lines = nonempty_lines(text)
        assert parse_date(lines[1]) == r["version_date"] and is_date_line(lines[1])
        first = normalize_text(r["text"])[0].split("\n")[0]
        heads = [line for line in lines if (m := ARTICLE_HEAD_RE.match(line))
                 and cn_to_int(m["n"]) == n and line[m.end():].lstrip() == first]
        assert len(heads) == 1, (r["law"], label)


def article_at(text: str, pos: int) -> int | None:
    """The number of the 第X条 whose text holds offset `pos`."""
    found, offset = None, 0
    for line in text.split("\n"):
        if offset > pos:
            break
        if m := ARTICLE_HEAD_RE.match(line):
            found = cn_to_int(m["n"])
        elif DIVISION_RE.match(line):
            for m in INLINE_ARTICLE_RE.finditer(line):
                if offset + m.start(1) <= pos:
                    found = cn_to_int(m[1][1:-1])
        offset += len(line) + 1
    return found


def test_handwritten_questions_name_the_article_of_their_evidence(
    realdocs: Path, real_texts: dict[str, str]
) -> None:
    rows = [json.loads(line) for line in
            (realdocs / "qa" / "example_questions_handwritten.jsonl").read_text("utf-8")
            .splitlines() if line.strip()]
    checked = 0
    for r in rows:
        n = article_number(r["type"])  # e.g. 条例条文定位(第九条)
        if n is None or r["doc"] not in real_texts:
            continue
        text = real_texts[r["doc"]]
        pos = text.find(normalize_text(r["evidence"])[0])
        assert pos >= 0, r["q"]
        assert article_at(text, pos) == n, r["q"]
        checked += 1
    assert checked == 4


@dataclass(frozen=True)
class DocNoVector:
    folder: str
    key: str
    doc_no: str


REAL_DOC_NOS = [
    DocNoVector("policy_local", "FBM-CLI.12.4792728", "阿府办发〔2021〕21号"),
    DocNoVector("policy_local", "FBM-CLI.12.5115678", "包府办发〔2022〕43号"),
    DocNoVector("policy_local", "FBM-CLI.12.5679380", "京经信发〔2022〕87号"),
    DocNoVector("policy_local", "FBM-CLI.12.4638041", "皖政办秘〔2021〕82号"),
    DocNoVector("policy_local", "FBM-CLI.12.6476457", "皖开放办〔2022〕6号"),
    DocNoVector("policy_central", "发改价格2025-65号", "发改价格〔2025〕65号"),
]


@pytest.mark.parametrize("vec", REAL_DOC_NOS, ids=lambda v: v.doc_no)
def test_real_doc_no_line(real_texts: dict[str, str], vec: DocNoVector) -> None:
    lines = nonempty_lines(real_text(real_texts, vec.folder, vec.key))
    doc_lines = [line for line in lines if is_doc_no_line(line)]
    assert len(doc_lines) == 1 and normalize_doc_no(doc_lines[0]) == vec.doc_no
    assert find_doc_nos("\n".join(lines))[0] == vec.doc_no
    # Title lines that cite the 文号 in brackets are not 文号 lines.
    titles = [line for line in lines if vec.doc_no in line and line not in doc_lines]
    assert all(not is_doc_no_line(line) for line in titles)


def test_doc_no_in_file_names(realdocs: Path) -> None:
    name = next((realdocs / "policy_central").glob("发改价格*")).stem.split("_")[0]
    assert normalize_doc_no(name) == "发改价格〔2025〕65号"


def test_policy_gz_documents(realdocs: Path) -> None:
    """documents.json: 文号 fields, publish dates, and the 文号 in the HTML file names."""
    gz = realdocs / "policy_gz"
    docs = json.loads((gz / "documents.json").read_text("utf-8"))
    assert len(docs) == 37
    numbers = set()
    for d in docs:
        assert parse_date(d["publish_date"]) == d["publish_date"]
        assert parse_date(cn_date(d["publish_date"])) == d["publish_date"]
        no = d["doc_no"]
        found = find_doc_nos(no)
        if "号" not in no:
            assert not found and not is_doc_no_line(no), no
        elif re.search(r"令第\d+号$", no):  # 广州市人民政府令第179号
            assert is_doc_no_line(no) and not found, no
        if DOC_NO_RE.fullmatch(no):
            assert normalize_doc_no(no) == no and found == [no] and is_doc_no_line(no), no
            numbers.add(no)
    assert "穗府办规〔2024〕13号" in numbers
    checked = 0
    for page in sorted(gz.glob("*.html")):
        tail = page.stem.rsplit("_", 1)[-1]  # 11_公共租赁住房保障办法_穗府办规2024-13号
        if not DOC_NO_RE.fullmatch(tail):
            continue
        doc_no = normalize_doc_no(tail)
        assert "〔" in doc_no and doc_no in numbers, page.name
        assert doc_no in find_doc_nos(page.read_text("utf-8", errors="replace")), page.name
        checked += 1
    assert checked == 5


@pytest.mark.parametrize(
    ("folder", "key", "iso", "bare"),
    [("laws", "保守国家秘密法", "2024-02-27", False), ("laws", "公务员法", "2018-12-29", False),
     ("laws", "监察法", "2024-12-25", False),
     ("reports", "二十大报告_2022-10-16", "2022-10-16", True),
     ("reports", "十九大报告_2017-10-18", "2017-10-18", True),
     ("policy_central", "乡村振兴战略的意见_2018", "2018-01-02", True),
     ("speeches", "开班致辞_20260423", "2026-04-23", True)],
)
def test_real_date_line_under_title(
    real_texts: dict[str, str], folder: str, key: str, iso: str, bare: bool
) -> None:
    lines = nonempty_lines(real_text(real_texts, folder, key))[:5]
    dated = [line for line in lines if is_date_line(line)]
    assert len(dated) == 1 and parse_date(dated[0]) == iso
    assert is_bare_date_line(dated[0]) is bare


def test_report_title_with_date_is_not_a_date_line(real_texts: dict[str, str]) -> None:
    first = nonempty_lines(real_text(real_texts, "reports", "2024年政府工作报告"))[0]
    assert parse_date(first) == "2024-03-05" and not is_date_line(first)


def test_formats_expected_phrases(realdocs: Path) -> None:
    """The 红头公文 OFD's phrases: its 文号 line and its 印发 date line."""
    phrases = nonempty_lines(
        (realdocs / "formats" / "公文_路桥区卫生局批复_iOFD.ofd.expected.txt").read_text("utf-8"))
    assert [p for p in phrases if is_doc_no_line(p)] == ["路卫发〔2011〕76号"]
    assert [p for p in phrases if is_bare_date_line(p)] == ["2011年3月10日印发"]
    assert parse_date("2011年3月10日印发") == "2011-03-10"


def test_attachment_refs_and_whether_the_attachment_is_held() -> None:
    from core.text.attachments import attachment_included, attachment_refs

    text = ("结合家庭人口数，确定家庭收入和财产限额，具体见附件1。补贴标准详见附件。\n"
            "附件：1.家庭收入和财产限额表\n")
    assert [(r.label, r.name) for r in attachment_refs(text)] == [("1", "附件1"), ("", "附件")]
    assert text[attachment_refs(text)[0].start:attachment_refs(text)[0].end] == "见附件1"
    assert not attachment_included(text, "1")  # a list of attachments is not the attachment
    held = text + "附件1\n" + "一人户家庭年收入限额为四万九千九百五十二元。" * 6 + "\n附件2\n短。\n"
    assert attachment_included(held, "1")
    assert not attachment_included(held, "2")  # a label with no body
    assert not attachment_included(held, "1", after=len(held) - 5)  # only after the reference
    assert not attachment_included(held.replace("附件1\n", "附件12\n"), "1")
    from core.text.attachments import listed_attachment

    assert listed_attachment("附件：1.家庭收入和财产限额表").name == "附件1"
    assert listed_attachment("附件2 社保经办机构地址").name == "附件2"
    assert listed_attachment("按附件要求填报。") is None


def test_attachments_the_real_policies_defer_to_are_not_in_them(realdocs: Path) -> None:
    """The Guangzhou policies (policy_gz/documents.json) defer their tables to attachments
    that the published text leaves out."""
    from core.text.attachments import attachment_included, attachment_refs

    docs = json.loads((realdocs / "policy_gz" / "documents.json").read_text("utf-8"))
    refs = [(d["id"], r) for d in docs for r in attachment_refs(d["original_text"])]
    assert len(refs) >= 8
    held = [(i, r.name) for i, r in refs if attachment_included(
        next(d["original_text"] for d in docs if d["id"] == i), r.label, r.end)]
    assert held == []
