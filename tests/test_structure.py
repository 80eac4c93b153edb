"""Heading outline and sentence spans."""

from __future__ import annotations

import re
from pathlib import Path

from core.models import Section
from core.text.numerals import cn_to_int
from core.text.sentences import split_sentences
from ingest.structure import outline
from tests.realdocs_util import read_normalized, text_files

MEASURE = """示例市机关党员教育管理办法
示机工发〔2024〕5号
第一章 总则
第一条 为加强示例市机关党员教育管理，制定本办法。
第二条 党员教育管理坚持以下原则：
（一）坚持政治引领；
（二）坚持分类指导。
第二章 教育培训
第三条 党员每年参加集中学习培训不少于32学时。依据第九条规定
参加轮训的，按实际学时计算。
第四条 各党支部应当建立党员学习档案。
"""

OUTLINE_TEXT = """示例市机关作风建设实施方案
为推动机关作风持续好转，制定本方案。
一、总体要求
（一）指导思想
坚持以问题为导向。
（二）工作目标
1.服务效率明显提升。
2.群众满意度达到90%以上，比去年提高1.5个百分点。
（1）窗口单位首问负责制全覆盖。
（2）承诺办结时限全部公开。
二、主要任务
全面开展作风建设。会议定于2024.3.5召开，其中1.会前准备不计入。
|序号|任务|
|1.|建立台账|
附件：作风建设任务分工表
"""


def _by_label(sections: list[Section]) -> dict[str, Section]:
    return {s.label: s for s in sections}


def test_chapters_and_articles_nest() -> None:
    secs = outline(MEASURE, "policy")
    assert [(s.level, s.kind, s.label) for s in secs] == [
        (1, "chapter", "第一章 总则"), (2, "article", "第一条"), (2, "article", "第二条"),
        (1, "chapter", "第二章 教育培训"), (2, "article", "第三条"), (2, "article", "第四条"),
    ]
    art2 = _by_label(secs)["第二条"]
    # The （一）（二） items are the article's body, not sections of their own.
    assert MEASURE[art2.start:art2.end].endswith("（二）坚持分类指导。")
    ch1 = _by_label(secs)["第一章 总则"]
    assert MEASURE[ch1.start:ch1.end].endswith("（二）坚持分类指导。")
    assert _by_label(secs)["第四条"].end == len(MEASURE.rstrip())


def test_article_cited_mid_sentence_is_not_a_heading() -> None:
    text = "第一条 总则内容。\n依据第九条规定办理。\n第九条规定的情形除外。\n第二条 其他内容。\n"
    assert [s.label for s in outline(text, "policy")] == ["第一条", "第二条"]


def test_chapter_with_inline_article_and_wrapped_chapter_name() -> None:
    text = ("第一章 总则 第一条 为规范管理，制定本办法。\n第二条 适用范围。\n第二章\n\n附 则\n"
            "第三条 施行日期。\n")
    secs = outline(text, "policy")
    assert [(s.level, s.label) for s in secs] == [
        (1, "第一章 总则"), (2, "第一条"), (2, "第二条"), (1, "第二章 附则"), (2, "第三条")]
    assert text[secs[1].start:].startswith("第一条 为规范管理")


def test_enumerated_headings_nest_and_avoid_false_positives() -> None:
    secs = outline(OUTLINE_TEXT, "policy")
    assert [(s.level, s.kind, s.label) for s in secs] == [
        (1, "h1", "一、总体要求"),
        (2, "h2", "（一）指导思想"),
        (2, "h2", "（二）工作目标"),
        (3, "h3", "1.服务效率明显提升"),
        (3, "h3", "2.群众满意度达到90%以上，比去年提高1.5个百分点"),
        (4, "h4", "（1）窗口单位首问负责制全覆盖"),
        (4, "h4", "（2）承诺办结时限全部公开"),
        (1, "h1", "二、主要任务"),
        (1, "annex", "附件：作风建设任务分工表"),
    ]
    h1 = _by_label(secs)["一、总体要求"]
    assert OUTLINE_TEXT[h1.start:h1.end].endswith("（2）承诺办结时限全部公开。")


def test_lead_in_heading_label_is_first_clause() -> None:
    text = "一、加强组织领导。各单位要成立工作专班，明确责任分工。\n二、强化督促检查。\n"
    assert [s.label for s in outline(text, "policy")] == ["一、加强组织领导", "二、强化督促检查"]


def test_points_in_speech_are_paragraphs_under_their_part() -> None:
    text = ("同志们：\n一、关于理论学习\n一是学深悟透。要读原著。\n"
            "二是学以致用，把学习成果转化为工作成效。\n总的来看，学习还要再加强。\n二、关于作风建设\n一是转变作风。\n")
    secs = outline(text, "speech")
    assert [(s.level, s.kind, s.label) for s in secs] == [
        (1, "h1", "一、关于理论学习"), (2, "point", "一是学深悟透"), (2, "point", "二是学以致用"),
        (1, "h1", "二、关于作风建设"), (2, "point", "一是转变作风")]
    second = secs[2]
    assert text[second.start:second.end] == "二是学以致用，把学习成果转化为工作成效。"
    assert outline(text, "policy")[1].kind == "h1"  # no points outside speeches/reports


def test_handbook_cases_are_top_level() -> None:
    text = ("《新风》专刊\n第5期\n【典型案例一】示例市财政局：预算绩效\n一、背景\n过去重分配。\n"
            "二、做法\n建立台账。\n【典型案例二】示例市税务局：一窗通\n群众少跑腿。\n"
            "【典型案例三】示例市文旅局：送戏下乡\n全年四十场。\n")
    secs = outline(text, "handbook")
    cases = [s for s in secs if s.kind == "case"]
    assert [c.level for c in cases] == [1, 1, 1]
    assert [s.level for s in secs if s.kind == "h1"] == [2, 2]
    assert text[cases[0].start:cases[0].end].endswith("建立台账。")
    assert cases[2].end == len(text.rstrip())


def test_unnumbered_case_parts_and_editor_notes() -> None:
    text = ("【典型案例一】示例市民政局：一表通\n局机关党委有9个支部。\n主要做法\n"
            "（一）摸清底数。\n（二）整合归并。\n取得成效\n报表减少六成。\n【编者点评】减表就是减负。\n")
    secs = outline(text, "handbook")
    assert [(s.level, s.label) for s in secs] == [
        (1, "【典型案例一】示例市民政局：一表通"), (2, "主要做法"), (3, "（一）摸清底数"),
        (3, "（二）整合归并"), (2, "取得成效"), (2, "【编者点评】")]
    assert [s.kind for s in outline(text, "policy")] == ["case", "h2", "h2"]


def test_cn_to_int() -> None:
    assert [cn_to_int(s) for s in ("九", "十", "十二", "二十", "一百零三", "二〇二四", "15")] == [
        9, 10, 12, 20, 103, 2024, 15]


def test_split_sentences_spans() -> None:
    text = "  第一句。第二句！“第三句？”\n\n第四句没有标点\n第五句……第六句；"
    spans = split_sentences(text, offset=100)
    got = [text[s - 100:e - 100] for s, e in spans]
    assert got == ["第一句。", "第二句！", "“第三句？”", "第四句没有标点", "第五句……", "第六句；"]
    assert all(s >= 100 for s, _ in spans)


def test_split_sentences_covers_all_non_space_text() -> None:
    text = " 甲。（乙。）\n 丙 \n\n丁"
    covered = "".join(text[s:e] for s, e in split_sentences(text))
    assert covered.replace(" ", "") == re.sub(r"\s", "", text)


ACCOUNTS = """示例市档案馆2025年度部门决算
第一部分 示例市档案馆概况
一、主要职能
第一条 根据示例市机构改革方案，制定本规定。
第二条 示例市档案馆是市委直属的公益一类事业单位。
第三条 示例市档案馆的主要职责是：
（一）负责全市档案的收集、整理和保管；
（二）承担档案的开发利用工作。
第二部分 示例市档案馆2025年度部门决算表
收入支出决算总表
单位：万元
一、一般公共预算财政拨款收入1,234.56一、一般公共服务支出1,000.00
二、政府性基金预算财政拨款收入 二、外交支出
一般公共预算财政拨款基本支出决算表
单位：万元
一、人员经费 一、公用经费
301工资福利支出800.12 302商品和服务支出100.34
301 02津贴补贴300.45 302 02印刷费2.10
第三部分 示例市档案馆2025年度部门决算情况说明
一、收入支出决算总体情况说明
本年收入合计1,234.56万元。
"""


def test_final_accounts_parts_and_table_captions() -> None:
    secs = outline(ACCOUNTS, "report")
    assert [(s.level, s.kind, s.label) for s in secs] == [
        (1, "part", "第一部分 示例市档案馆概况"), (2, "h1", "一、主要职能"),
        (2, "article", "第一条"), (2, "article", "第二条"), (2, "article", "第三条"),
        (1, "part", "第二部分 示例市档案馆2025年度部门决算表"),
        (2, "table", "收入支出决算总表"), (2, "table", "一般公共预算财政拨款基本支出决算表"),
        (1, "part", "第三部分 示例市档案馆2025年度部门决算情况说明"),
        (2, "h1", "一、收入支出决算总体情况说明"),
    ]
    by = _by_label(secs)
    # The 三定 article ends at the next part: the tables are not 「第三条」.
    assert ACCOUNTS[by["第三条"].start:by["第三条"].end].endswith("（二）承担档案的开发利用工作。")
    # A row is headed by its table's caption, and rows starting 一、 are not headings.
    basic = by["一般公共预算财政拨款基本支出决算表"]
    assert "津贴补贴300.45" in ACCOUNTS[basic.start:basic.end]
    total = by["收入支出决算总表"]
    assert "二、政府性基金预算财政拨款收入" in ACCOUNTS[total.start:total.end]


def test_table_inside_an_article_stays_in_it() -> None:
    text = ("第五条 党员按下列标准交纳党费：\n党费交纳比例表\n|月收入|比例|\n|3000元以下|0.5%|\n"
            "第六条 党费按月交纳。\n")
    secs = outline(text, "policy")
    assert [(s.level, s.kind, s.label) for s in secs] == [
        (1, "article", "第五条"), (2, "article_table", "党费交纳比例表"), (1, "article", "第六条")]
    assert text[secs[0].start:secs[0].end].endswith("|3000元以下|0.5%|")


def test_a_line_ending_in_biao_is_a_caption_only_above_a_table() -> None:
    text = ("一、填写登记表\n各单位按要求如实填写。\n二、报送统计表\n单位：人\n|支部|党员数|\n"
            "三、按时报送\n")
    secs = outline(text, "policy")
    # 二、… heads its list, so 三、 still counts on from it.
    assert [(s.kind, s.label) for s in secs] == [
        ("h1", "一、填写登记表"), ("h1", "二、报送统计表"), ("h1", "三、按时报送")]
    text = "附件：作风建设任务分工表\n|序号|任务|\n"
    assert [(s.kind, s.label) for s in outline(text, "policy")] == [
        ("annex", "附件：作风建设任务分工表")]


# ---- real documents -------------------------------------------------------------------

_ARTICLE_LINE = re.compile(r"^第[一二三四五六七八九十百零]+条(?:\s|$)")


def test_realdocs_laws_one_section_per_article(realdocs: Path) -> None:
    files = text_files(realdocs / "laws")
    assert files
    for f in files:
        text = read_normalized(f)
        # Expected from the raw file, where a full-width space always follows the number.
        raw = f.read_text(encoding="utf-8").split("\n")
        expected = [ln.split()[0] for ln in raw if _ARTICLE_LINE.match(ln)]
        secs = outline(text, "policy")
        assert [s.label for s in secs if s.kind == "article"] == expected, f.name
        assert all(s.level == 2 for s in secs if s.kind == "article"), f.name


def test_realdocs_party_constitution_outline(realdocs: Path) -> None:
    text = read_normalized(next((realdocs / "party").glob("中国共产党章程*.txt")))
    secs = outline(text, "policy")
    labels = [s.label for s in secs]
    assert labels[0] == "总纲"
    assert sum(s.kind == "chapter" for s in secs) == 12
    art9 = secs[labels.index("第九条")]
    assert "连续六个月不参加党的组织生活" in text[art9.start:art9.end]
