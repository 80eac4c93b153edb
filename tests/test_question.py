"""Question analysis and answer units: small pure functions, tested on their own."""

from __future__ import annotations

import pytest

from answer.question import (
    analyze,
    asked,
    doc_aliases,
    split_parts,
    units,
    year_pattern,
)
from answer.units import has_figure, is_table_row, units_in
from core.text.dates import names_year
from tests.conftest import MEASURE


@pytest.mark.parametrize(("q", "kind"), [
    ("党务干部每年参加集中培训不少于多少学时", "number"),
    ("新任党支部书记多长时间内要参加岗前培训", "duration"),
    ("讲话讲了哪几点意见", "list"),
    ("《新风》第5期有哪些典型案例", "list"),
    ("这项工作由谁负责", "who"),
    ("本办法什么时候起施行", "when"),
    ("处长可以兼任支部书记吗", "yesno"),
    ("述职评议考核结果分为几个等次", "number"),
    # when a count starts, not how long it is
    ("统计一个同志入党多少年时，应该从哪一天开始数？", "when"),
    ("党龄从什么时候算起", "when"),
])
def test_what_is_asked(q, kind):
    assert asked(q) == kind


def test_years_in_both_numeral_forms():
    assert analyze("2024年和二〇二三年的标准").years == (2024, 2023)
    pat = year_pattern(2024)
    assert pat.search("二〇二四年") and pat.search("二○二四年") and pat.search("2024年")
    assert not pat.search("2023年")


def test_documents_named_in_plain_words():
    names = dict(doc_aliases("党章规定预备期多长，二十大报告和公务员法怎么说"))
    assert names["党章"] == ("中国共产党章程",)
    assert names["二十大报告"] == ("第二十次全国代表大会", "报告")
    assert names["公务员法"] == ("公务员法",)
    # ordinary words ending in 法 name no law
    assert doc_aliases("有什么好办法和做法") == ()


def test_units_come_from_words_not_phrases():
    toks = ("示例市", "发改委", "讲堂", "党支部", "召开", "支部委员会")
    assert units("示例市发改委的讲堂办了多少期", toks) == ("示例市", "发改委", "示例市发改委")
    assert units("党支部多久召开一次支部委员会会议", ("党支部", "召开", "支部委员会")) == ()
    assert units("四川省公共数据资源登记办法") == ("四川省",)
    assert units("港澳居民子女在广州就读") == ()
    # a district the tokenizer cut in two is joined back; 社区 stays an ordinary word
    assert units("临江区机关党员活动阵地建设有什么标准", ("临江", "区", "机关", "党员")) == (
        "临江区",)
    assert units("社区党组织怎么建", ("社区", "党组织", "怎么", "建")) == ()
    assert units("每个区有几个示范点", ("每个", "区", "有", "几个", "示范点")) == ()
    # 「一个省」 points at a region without naming one; 三门峡市 is a name
    assert units("一个省的人大常委会班子里，一般能有多少名成员？") == ()
    assert units("三门峡市采购中心成立几年了", ("三门峡市", "采购", "中心")) == ("三门峡市",)
    # a city cut off its 市 (洛阳 + 市政府) is a region too
    assert units("洛阳市政府集中采购中心组织了多少个项目",
                 ("洛阳", "市政", "政府", "市政府", "集中", "采购", "中心", "项目")) == ("洛阳市",)
    # 市级, 市场 are no city's 市; a word with 对 is no part of a unit's name
    assert units("2024年上半年市级机关发展了多少名党员",
                 ("2024", "年", "上半年", "市级", "机关", "发展", "党员")) == ()
    assert units("人才市场调取档案要带什么", ("人才", "市场", "调取", "档案")) == ()
    assert units("工委对市体育局提了什么要求", ("工委", "对市", "体育", "体育局")) == ("体育局",)


def test_a_unit_keeps_the_words_cut_off_its_front():
    """事务局 alone would be met by 机关事务管理局: the unit is 退役军人事务局."""
    toks = ("示例", "市", "退役", "军人", "退役军人", "事务", "事务局", "机关", "党委", "机关党委")
    assert units("示例市退役军人事务局机关党委有多少名党员", toks) == ("退役军人事务局",)
    toks = ("市", "机关", "事务", "管理", "管理局", "食堂")
    assert units("市机关事务管理局食堂", toks) == ("机关事务管理局",)
    # a region or a year before it is not part of the name
    assert units("2024年示例市财政局", ("2024", "年", "示例", "市", "财政局")) == ("财政局",)


def test_years_named_in_either_numeral_form():
    assert names_year("2023年有3个支部被评为“四强”党支部")
    assert names_year("二〇二三年全年") and names_year("二○二三年")
    assert not names_year("全年共发文120件") and not names_year("第2023号")


def test_fiscal_years_are_the_years_written_as_年度():
    from core.text.dates import fiscal_years

    assert fiscal_years("2026年度城乡居民医保集中参保") == ("2026",)
    assert fiscal_years("二〇二四年度部门决算") == ("二〇二四",)
    assert fiscal_years("2025年9月下旬至2025年12月20日") == ()


@pytest.mark.parametrize(("q", "parts"), [
    ("2023年和2024年的党费收缴总额分别是多少",
     ("2023年的党费收缴总额是多少", "2024年的党费收缴总额是多少")),
    ("《甲法》的处分期和《乙法》的处分期间分别是多长",
     ("《甲法》的处分期间是多长", "《乙法》的处分期间是多长")),
    ("预备期和留党察看期分别是多长时间", ("预备期是多长时间", "留党察看期是多长时间")),
    ("青年理论学习小组每组多少人合适？组长任期是几年？",
     ("青年理论学习小组每组多少人合适？", "青年理论学习小组，组长任期是几年？")),
    ("党员每月交纳党费的比例是多少", ()),
    # the frame both parts share goes with each one
    ("示例市2024年工作要点定的学习时长目标和覆盖率各是多少",
     ("示例市2024年工作要点定的学习时长目标是多少", "示例市2024年工作要点定的覆盖率是多少")),
    ("办法对支部书记和支部委员的培训学时分别是多少",
     ("办法对支部书记的培训学时是多少", "办法对支部委员的培训学时是多少")),
    ("市发改委和市财政局2024年度的培训经费分别是多少",
     ("市发改委2024年度的培训经费是多少", "市财政局2024年度的培训经费是多少")),
    ("比较一下市发改委和市财政局2024年的会议费支出，各是多少？",
     ("市发改委2024年的会议费支出，是多少？", "市财政局2024年的会议费支出，是多少？")),
    ("专项经费和工作经费当年分别安排了多少",
     ("专项经费当年安排了多少", "工作经费当年安排了多少")),
    ("支部书记和支部委员的任期分别是几年？两者一样吗？",
     ("支部书记的任期是几年？", "支部委员的任期是几年？",
      "支部书记和支部委员的任期，两者一样吗？")),
    ("新风专刊每年出版几期？两者一样吗？",
     ("新风专刊每年出版几期？", "新风专刊每年出版，两者一样吗？")),
    ("述职评议考核结果分为几个等次？每个等次的比例是多少？",
     ("述职评议考核结果分为几个等次？", "述职评议考核结果分为，每个等次的比例是多少？")),
])
def test_two_part_questions_split(q, parts):
    assert split_parts(q) == parts


def test_answer_units_keep_rules_whole():
    text = MEASURE
    start = text.index("第五条")
    end = text.index("第三章")
    got = {text[u.start:u.end]: u.kind for u in units_in(text, start, end)}
    items = next(t for t, k in got.items() if k == "items")
    assert items.startswith("第五条") and items.endswith("（三）实践锻炼。")
    assert got["（二）网络学习；"] == "item"
    sentence = ("机关党员人数在50人以下的，至少配备1名；50人至200人的，不少于2名；"
                "200人以上的，不少于3名。")
    whole = [u for u in units_in(sentence, 0, len(sentence)) if u.kind == "sentence"]
    assert [(u.start, u.end) for u in whole] == [(0, len(sentence))]  # the ；-group is one unit


def test_table_rows_and_figures():
    assert is_table_row("|一般公共服务支出|2,106.66|")
    assert is_table_row("一、一般公共预算财政拨款收入2,940.05一、一般公共服务支出2,106.66")
    assert not is_table_row("第二部分 上海市普陀区财政局2024年度部门决算表")
    # Two columns' labels with empty cells side by side are a row; one heading is not.
    assert is_table_row("二、政府性基金预算财政拨款收入 二、外交支出")
    assert not is_table_row("一、收入支出决算总体情况说明")
    assert not is_table_row("二、主要做法 三、取得成效。")
    assert not is_table_row("本年收入合计2946.25万元，其中财政拨款收入2940.05万元。")
    assert has_figure("每人每季度不少于两次") and has_figure("交纳0.5%")
    assert not has_figure("第二条 本办法适用于各级党支部")
    assert not has_figure("2021年起，推行工作法") and not has_figure("二〇二一年度")
    assert has_figure("2023年有4个支部")


def test_organ_names_are_read_whole():
    toks = ("普陀区", "人民", "政府", "人民政府", "办公室", "2023", "部门", "预算")
    got = units("普陀区人民政府办公室2023年部门预算的财政拨款收入是多少？", toks)
    assert "普陀区人民政府办公室" in got
    # 「各部门机关党委」 names no one organ: only the city is a constraint
    assert units("示例市各部门机关党委要做什么", ("示例市", "各部门", "机关党委")) == ("示例市",)


def test_the_kind_of_figure_asked():
    from answer.question import figure_kind

    assert figure_kind("党员每月按工资收入的多少比例交纳党费") == figure_kind("国防支出增长多少")
    assert "%" in figure_kind("交纳比例是多少")
    assert figure_kind("补贴金额是多少") == "元"
    assert figure_kind("有多少个党支部") == ""
    # how much one borrows, is subsidised or fined: money
    assert figure_kind("住房公积金贷款最高能贷多少？") == "元"
    assert figure_kind("送餐补贴是多少？") == "元"
    assert figure_kind("经营性数据产品的收费标准是多少") == "元"
    # ... but not a share of a wage, nor a count of people or days
    assert figure_kind("党费按工资收入的多少交") == ""
    assert figure_kind("享受补贴的有多少人") == ""
    assert figure_kind("补助发放多少天") == ""


def test_relative_years_count_from_the_documents_date():
    from core.text.dates import relative_years

    assert relative_years("去年选派126名，今年计划150名", "2025-04-30") == (2024, 2025)
    assert relative_years("前年和明年", "2025") == (2023, 2026)
    assert relative_years("去年选派126名", None) == ()  # an undated document: no year
    assert relative_years("比上年增长5%", "2025-01-10") == ()  # a budget's 上年: its own year


def test_a_tier_pointed_at_is_not_a_named_level():
    from answer.question import levels

    assert levels("在职党员最低一档的比例是多少") == ()
    assert levels("报上一级党组织批准") == ()
    assert levels("评为五星级的支部") == ("五星级",)
    assert levels("被评为“一般”等次") == ("“一般”等次",)


def test_a_saying_about_amounts_is_not_a_figure_question():
    from answer.question import asked

    assert asked("单位饭堂用什么办法鼓励大家吃多少打多少、不剩饭？") == "fact"
    assert asked("食堂每天供应多少份午餐？") == "number"
