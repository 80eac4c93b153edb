"""kb ask: verified quotes, formal references, refusal, basket export."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import pytest

from answer.basket import export_docx, export_markdown
from answer.compose import REFUSAL_TEXT, ask, verify
from answer.docx import inner_quotes
from answer.evidence import anchor_pattern
from answer.references import book_title, cn_date, reference_for
from core.models import DocMeta, Document
from service.wiring import open_searcher, run_ingest
from tests.conftest import searcher_over

HANDBOOK = """《新风》专刊
第5期（总第41期）
中共示例市委市级机关工委编　　2024年5月
本期主题：为基层减负赋能

编者按：本期选编三个典型案例，供各单位学习借鉴。

【典型案例一】示例市财政局机关党委：“三张清单”压实支部责任到每一名党员身上
市财政局机关党委梳理责任清单、任务清单、问题清单，每季度对照清单开展一次督查。
全局23个党支部全部建立清单台账，问题整改完成率达到百分之九十六。

【典型案例二】示例市数据局机关党委：“数据跑路”减少基层填表
市数据局推动报表整合，基层填报表格由每月41张压减到12张。

【典型案例三】示例市发展和改革委员会机关党委：“发改讲堂”让党员人人上讲台
委机关党委组织党员轮流登台讲政策，两年来“发改讲堂”累计举办36期。
"""


def _doc(**meta) -> Document:
    return Document(doc_id="d", source="x.txt", text="正文", content_hash="h",
                    meta=DocMeta(**meta))


def test_reference_rules():
    policy = _doc(title="关于印发《示例市级机关党支部工作细则》的通知", doc_type="policy",
                  doc_no="示机工发〔2024〕3号")
    assert reference_for(policy, ("第二章 组织设置", "第九条"), None) == \
        "《关于印发〈示例市级机关党支部工作细则〉的通知》（示机工发〔2024〕3号）第九条"
    speech = _doc(title="在青年干部座谈会上的讲话", doc_type="speech", date="2024-05-04",
                  speaker="示例市委常委、市委秘书长 王晓东")
    assert reference_for(speech, (), None) == \
        "示例市委常委、市委秘书长 王晓东：《在青年干部座谈会上的讲话》（2024年5月4日）"
    other = _doc(title="部门决算", doc_type="other")
    assert reference_for(other, (), 3) == "《部门决算》第3页"
    assert cn_date("2024-03") == "2024年3月" and book_title("《A》") == "《A》"
    # Inner title marks nest as 〈〉; only a single outer pair is unwrapped.
    assert book_title("《新风》专刊2025年第1期") == "《〈新风〉专刊2025年第1期》"
    assert book_title("《A》和《B》") == "《〈A〉和〈B〉》"
    assert book_title("关于《条例》的说明") == "《关于〈条例〉的说明》"


ACCOUNTS_PAGE = """第二部分 示例市档案馆2025年度部门决算表
收入决算表
单位：万元
一、一般公共预算财政拨款收入1,234.56 1,234.56
二、政府性基金预算财政拨款收入 二、外交支出
三、国有资本经营预算财政拨款收入0.50 0.50
支出决算表
单位：万元
一、一般公共服务支出1,000.00 800.00 200.00
第三部分 示例市档案馆2025年度部门决算情况说明
一、收入支出决算总体情况说明
本年收入合计1,234.56万元。
"""


def test_a_table_row_is_cited_with_its_table():
    """Two tables on one page are two passages: the reference names the table."""
    doc = Document(doc_id="d", source="x.pdf", text=ACCOUNTS_PAGE, content_hash="h",
                   meta=DocMeta(title="示例市档案馆2025年度部门决算", doc_type="report"))

    def ref(phrase: str) -> str:
        return reference_for(doc, (), 4, ACCOUNTS_PAGE.index(phrase))

    assert ref("一、一般公共预算财政拨款收入") == \
        "《示例市档案馆2025年度部门决算》「收入决算表」第4页"
    # A row of two labels without amounts is a row too: the rows below keep the caption.
    assert ref("三、国有资本经营预算") == "《示例市档案馆2025年度部门决算》「收入决算表」第4页"
    assert ref("一、一般公共服务支出1,000.00") == \
        "《示例市档案馆2025年度部门决算》「支出决算表」第4页"
    # The narrative after the tables is under its own heading, not the last table's.
    assert ref("本年收入合计") == "《示例市档案馆2025年度部门决算》第4页"

@pytest.fixture(scope="module")
def searcher(tmp_path_factory, real_embedder):
    """The small corpus plus a handbook issue, indexed once with the real model: these
    tests guard answer quality, which depends on real retrieval."""
    from core.config import load_config
    from tests.conftest import MEASURE, SPEECH

    root = tmp_path_factory.mktemp("answer")
    docs = root / "docs"
    docs.mkdir()
    (docs / "peixun_banfa.txt").write_text(MEASURE, encoding="utf-8")
    (docs / "qingnian_jianghua.txt").write_bytes(SPEECH.encode("gbk"))
    (docs / "xinfeng_05.txt").write_text(HANDBOOK, encoding="utf-8")
    config = load_config({}, index_dir=root / "index")
    run_ingest(config, [docs], progress=False, embedder=real_embedder)
    return open_searcher(config)


@pytest.mark.slow
def test_answer_quotes_are_verbatim_and_cited(searcher):
    a = ask(searcher, "党务干部每年参加集中培训不少于多少学时")
    assert not a.refused and a.citations
    assert a.answer.count("[1]") == 1
    for c in a.citations:
        assert verify(c, searcher.docs[c.doc_id])
        assert f"{c.quote}[{c.n}]" in a.answer
    assert "40学时" in a.citations[0].quote


@pytest.mark.slow
def test_handbook_case_reference(searcher):
    a = ask(searcher, "基层填报表格压减到多少张")
    c = next(c for c in a.citations if "12张" in c.quote)
    # Issue numbers restart every year: the reference carries the year and 总期号.
    assert c.reference == ("《新风》专刊2024年第5期（总第41期）"
                           "《示例市数据局机关党委：“数据跑路”减少基层填表》")
    a = ask(searcher, "财政局党支部建立清单台账的情况")
    c = next(c for c in a.citations if "清单台账" in c.quote)
    assert c.reference.endswith("《示例市财政局机关党委：“三张清单”压实支部责任到每一名党员身上》")


@pytest.mark.slow
def test_unit_short_names_match_their_full_names(searcher):
    assert anchor_pattern("发改委").search("示例市发展和改革委员会机关党委")
    assert anchor_pattern("科技局").search("示例市科学技术局")
    assert not anchor_pattern("科技局").search("示例市科学研究院技术服务中心财务局")
    assert not anchor_pattern("2024").search("2023年")
    # A question naming a unit by its short form is answered, not refused.
    a = ask(searcher, "发改委的讲堂累计办了多少期")
    assert not a.refused and any("36期" in c.quote for c in a.citations)


@pytest.mark.slow
def test_refuses_without_evidence(searcher):
    a = ask(searcher, "示例市2025年公务员招录计划有多少个岗位")
    assert a.refused and a.answer == REFUSAL_TEXT and not a.citations
    assert a.nearest


@pytest.mark.slow
def test_basket_exports(searcher):
    cits = ask(searcher, "新任党支部书记岗前培训有什么要求").citations
    md = export_markdown(cits)
    assert "## 引文出处" in md and cits[0].reference in md and inner_quotes(cits[0].quote) in md
    from docx import Document as Docx

    data = export_docx(cits)
    text = "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)
    assert inner_quotes(cits[0].quote) in text
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # the reference is a real footnote
        assert escape(cits[0].reference) in z.read("word/footnotes.xml").decode("utf-8")
    listed = Docx(io.BytesIO(export_docx(cits, reference_list=True)))
    assert "引文出处" in "\n".join(p.text for p in listed.paragraphs)


TABLE_DOC = """示例市机关事务管理局2024年度部门决算

一、收入支出决算总表

单位：万元

|项目|决算数|
|一、财政拨款收入|1,820.50|
|二、事业收入|35.20|
|三、经营收入|12.00|
|四、其他收入|6.80|
|本年收入合计|1,874.50|

二、情况说明

2024年度本部门收入合计1,874.50万元，比上年增加3.2%，主要是机关运行保障任务增加。
"""


@pytest.mark.parametrize(("question", "figure"), [
    ("示例市机关事务管理局2024年度决算总表中“其他收入”是多少万元？", "6.80"),
    ("示例市机关事务管理局2024年度经营收入决算数是多少万元？", "12.00"),
])
def test_a_table_question_is_answered_from_the_row_it_names(tmp_path, config, embedder,
                                                          question, figure):
    """Every row of a table counts the table's title and header; the row's own words
    (or the phrase the question quotes) choose the row, not its place in the table."""
    a = ask(_one_document(tmp_path, config, embedder, "决算.txt", TABLE_DOC), question)
    assert not a.refused
    # the column header comes first, then the rows, the asked one first
    rows = [c.quote for c in a.citations if c.quote.startswith("|") and any(
        ch.isdigit() for ch in c.quote)]
    assert rows and figure in rows[0], a.answer


def test_content_words_drop_frame_words_and_count_a_compound_once():
    from answer.question import content_words

    tokens = ["个人所得税", "所得税", "所得", "专项", "需要", "满足", "app", "税"]
    assert content_words(tokens) == ("个人所得税", "专项", "app")


RULES_DOC = """示例市机关干部教育培训管理办法

第一条 为加强市级机关干部教育培训工作，制定本办法。
第二条 机关干部每月参加集中学习不少于2次，每次不少于2小时。
第三条 支持干部参加学历教育和职业提升，所在部门应当在时间安排上给予支持。
第四条 新录用干部的岗前培训不少于40学时，由市委组织部统一组织。
"""


def _one_document(tmp_path, config, embedder, name: str, text: str):
    """A searcher over a knowledge base holding one text file."""
    return searcher_over(tmp_path, config, embedder, {name: text})


def _rules_searcher(tmp_path, config, embedder):
    return _one_document(tmp_path, config, embedder, "培训办法.txt", RULES_DOC)


def test_a_named_document_must_share_one_of_the_questions_own_words(tmp_path, config,
                                                                    embedder):
    """The title's words are met by the document itself: a figure that shares none of
    the question's other words (年休假) is not its answer."""
    s = _rules_searcher(tmp_path, config, embedder)
    a = ask(s, "《示例市机关干部教育培训管理办法》规定年休假最长是多少？")
    assert a.refused, a.answer
    a = ask(s, "《示例市机关干部教育培训管理办法》规定岗前培训不少于多少学时？")
    assert not a.refused and "40学时" in a.answer


def test_a_short_question_sharing_one_word_besides_frame_words_is_refused(tmp_path, config,
                                                                          embedder):
    """需要/满足 frame any question: 学历 alone is no support for an off-topic one."""
    s = _rules_searcher(tmp_path, config, embedder)
    assert ask(s, "报考公务员需要满足什么学历条件？").refused
    a = ask(s, "机关干部每月参加集中学习不少于几次？")
    assert not a.refused and "2次" in a.answer


def test_the_part_of_a_supported_two_part_question_may_share_one_word(tmp_path, config,
                                                                      embedder):
    """A question whose one part is supported is not off-topic: its other part is
    answered from evidence sharing one word with it."""
    s = _rules_searcher(tmp_path, config, embedder)
    q = "新录用干部的岗前培训不少于多少学时？报考在职研究生对学历有什么具体要求？"
    a = ask(s, q)
    assert not a.refused
    assert "40学时" in a.answer and "学历教育" in a.answer, a.answer
    # on its own, the second part shares only 学历 with the text: refused
    assert ask(s, "报考在职研究生对学历有什么具体要求？").refused


HOUSING_DOC = ("""示例市公共租赁住房保障办法

第五条 本市户籍家庭申请公共租赁住房，收入准入限额基准为家庭年人均收入42000元。"""
               """结合家庭人口数，确定家庭收入和财产限额，具体见附件1。
第六条 承租家庭的租金按月交纳，每月10日前交清。

附件：1.示例市公共租赁住房家庭收入和财产限额表
""")


@pytest.mark.parametrize("held", [False, True])
def test_a_question_about_what_an_attachment_holds_is_refused_when_it_is_missing(
        tmp_path, config, embedder, held):
    body = HOUSING_DOC
    if held:
        body += ("\n附件1\n示例市公共租赁住房家庭收入和财产限额表\n"
                 + "三人户家庭年收入限额为十二万六千元，财产限额为三十万元。\n" * 4)
    s = _one_document(tmp_path, config, embedder, "公租房办法.txt", body)
    a = ask(s, "示例市三口之家申请公租房，家庭收入和财产限额具体是多少？")
    if held:
        assert not a.refused
    else:
        assert a.refused and "附件1" in a.answer and "未收录" in a.answer, a.answer
    # the sentence that answers is not the one that defers
    a = ask(s, "示例市申请公租房的收入准入限额基准是多少？")
    assert not a.refused and "42000元" in a.answer


RENT_DOC = ("""示例市公共租赁住房租金管理办法

第七条 承租公共租赁住房的户籍家庭，按照家庭收入情况实行差别化租金，"""
            """租金缴交比例为项目租金标准的10%-70%。具体缴交标准见附件3，计算公式为：
月租金=建筑面积×项目租金标准×缴交系数。
第八条 承租家庭的租金按月交纳，每月10日前交清。

附件：3.示例市公共租赁住房分档租金缴交标准表
""")


def test_asked_for_the_specifics_an_attachment_holds_the_answer_is_refused(
        tmp_path, config, embedder):
    """The unit gives the range; the specifics (具体) are in the missing 附件3."""
    s = _one_document(tmp_path, config, embedder, "租金办法.txt", RENT_DOC)
    a = ask(s, "示例市公租房每一档的租金缴交比例具体是多少？")
    assert a.refused and "附件3" in a.answer and "未收录" in a.answer, a.answer
    a = ask(s, "示例市公租房的租金缴交比例是多少？")
    assert not a.refused and "10%-70%" in a.answer, a.answer


CASE_DOC = """示例市统计局：“数据铁军”的支部工作法

2021年起，局机关党委推行“数据铁军”工作法，定期开展业务比武。
2023年有4个支部被市委市级机关工委评为“四强”党支部，其中综合处党支部经验入选全市汇编。
"""


def test_a_figure_dated_another_year_in_its_own_sentence_is_not_the_answer(tmp_path, config,
                                                                          embedder):
    """The asked year (2021) is in the chunk, but the sentence with the figure dates it
    2023: refused. Asked about 2023, the same sentence answers."""
    s = _one_document(tmp_path, config, embedder, "统计局案例.txt", CASE_DOC)
    assert ask(s, "2021年统计局有几个支部被评为“四强”党支部？").refused
    a = ask(s, "2023年统计局有几个支部被评为“四强”党支部？")
    assert not a.refused and "4个支部" in a.answer, a.answer


FISCAL_DOC = """示例市2026年度城乡居民医保集中参保缴费工作的通知

各区医保局：
2026年度城乡居民医保集中参保缴费时间为2025年9月1日至2025年12月20日。
2026年度在校学生个人缴费标准为每人每年380元，由学校统一代收。
{earlier}
示例市医疗保障局
2025年8月15日
"""


@pytest.mark.parametrize("says_earlier", [False, True])
def test_a_document_for_another_fiscal_year_does_not_answer_for_the_asked_one(
        tmp_path, config, embedder, says_earlier):
    """Titled 2026年度 and dated 2025: a 2025年度 question is refused unless the quoted
    sentence itself says 2025年度; the 2026年度 question is answered."""
    earlier = "2025年度在校学生个人缴费标准为每人每年350元。" if says_earlier else ""
    s = _one_document(tmp_path, config, embedder, "参保通知.txt",
                      FISCAL_DOC.format(earlier=earlier))
    a = ask(s, "2025年度示例市在校学生个人缴费标准是多少？")
    if says_earlier:
        assert not a.refused and "350元" in a.answer and "380元" not in a.answer, a.answer
    else:
        assert a.refused, a.answer
    a = ask(s, "2026年度示例市在校学生个人缴费标准是多少？")
    assert not a.refused and "380元" in a.answer, a.answer


SPEECH_DOC = """在示例市级机关青年干部座谈会上的讲话

同志们：
去年，市级机关选派了126名青年干部到街道社区挂职锻炼，时间为一年。
今年，挂职锻炼的规模还要扩大，计划选派150名青年干部到街道社区挂职锻炼。
青年干部要主动到基层一线去，在急难险重任务中锻炼自己。

2025年4月30日
"""


def test_a_speech_counts_its_years_from_its_date(tmp_path, config, embedder):
    """去年 in a speech given in 2025 is 2024: the 2024 figure is the 去年 sentence, the
    2025 one the 今年 sentence, and a 2023 question finds neither."""
    s = _one_document(tmp_path, config, embedder, "座谈会讲话.txt", SPEECH_DOC)
    assert s.docs[next(iter(s.docs))].meta.date == "2025-04-30"
    a = ask(s, "2024年选派了多少名青年干部到街道社区挂职锻炼？")
    assert not a.refused and "126名" in a.answer and "150名" not in a.answer, a.answer
    a = ask(s, "2025年计划选派多少名青年干部到街道社区挂职锻炼？")
    assert not a.refused and "150名" in a.answer and "126名" not in a.answer, a.answer
    assert ask(s, "2023年选派了多少名青年干部到街道社区挂职锻炼？").refused


BASELINE_DOC = """示例市财政局机关党委2023年工作总结

2023年，局机关党支部发展党员8名，较2021年增加3名。
全年开展主题党日活动12次，党员参与率达到98%。

2024年1月10日
"""


def test_the_year_a_figure_is_compared_with_is_not_its_year(tmp_path, config, embedder):
    """「8名，较2021年增加3名」 is the 2023 figure: a 2021 question is refused."""
    s = _one_document(tmp_path, config, embedder, "工作总结.txt", BASELINE_DOC)
    assert ask(s, "2021年局机关党支部发展了多少名党员？").refused
    a = ask(s, "2023年局机关党支部发展了多少名党员？")
    assert not a.refused and "8名" in a.answer, a.answer


COUNT_DOC = """示例市交通运输局机关党建工作情况

全局新命名的“四强”党支部占比由2021年的38%提高到2023年的61%。
2023年，全局新命名“四强”党支部12个，建成党员示范岗30个。

2024年1月15日
"""


def test_a_count_is_not_answered_by_a_percentage(tmp_path, config, embedder):
    """多少个 asks for a count: 「2021年的38%」 does not answer for 2021."""
    s = _one_document(tmp_path, config, embedder, "党建情况.txt", COUNT_DOC)
    assert ask(s, "2021年新命名了多少个“四强”党支部？").refused
    a = ask(s, "2023年新命名了多少个“四强”党支部？")
    assert not a.refused and "12个" in a.answer, a.answer


def test_a_rule_silent_on_the_figure_refuses_rather_than_quote_another(tmp_path, config,
                                                                       embedder):
    """The article about the asked matter gives no figure (满一定年限): the 满5年 of
    another article answers another question, so the answer says the figure is not given."""
    s = _one_document(tmp_path, config, embedder, "党务干部意见.txt",
                      "关于加强党务干部队伍建设的意见\n"
                      "第八条 机关党委专职副书记任职满一定年限、表现优秀的，优先晋升职级。\n"
                      "第九条 专职党务干部在同一岗位连续工作满5年的，应当交流任职。\n")
    a = ask(s, "机关党委专职副书记任职满几年、表现优秀的，可以优先晋升职级？")
    assert a.refused and "对此未给出具体数字" in a.answer, a.answer
    a = ask(s, "专职党务干部在同一岗位连续工作满几年要交流任职？")
    assert not a.refused and "满5年" in a.citations[0].quote, a.answer


def test_an_approximate_figure_answers_in_the_asked_measure(tmp_path, config, embedder):
    """「30余名志愿者」 answers 「多少人」 (a number written with 余/多 before its measure)."""
    s = _one_document(tmp_path, config, embedder, "搬迁.txt",
                      "宿舍搬迁志愿服务\n\n7月1日，学院组织宿舍搬迁志愿服务。"
                      "30余名志愿者深入学生公寓翻修搬迁一线，为同学们打包行李。"
                      "活动持续4天，搬迁工作顺利完成。\n")
    a = ask(s, "宿舍搬迁志愿服务去了多少人？")
    assert not a.refused and "30余名志愿者" in a.citations[0].quote, a.answer


@pytest.mark.slow
def test_an_everyday_question_sharing_a_word_is_refused_with_its_reason(searcher):
    """Words cannot tell 培训 in a private errand from 培训 in a rule; the embedder can:
    everyday topics lie nearer to the question than any passage (answer.everyday)."""
    from answer.everyday import REASON, closer_topics

    for q in ("培训结束后想去健身房练练，办一张健身卡要多少钱？",
              "青年干部周末想学做红烧肉，火候怎么掌握？"):
        a = ask(searcher, q)
        assert a.refused and REASON in a.answer and not a.citations, (q, a.answer)
    q = "党务干部每年参加集中培训不少于多少学时"
    assert closer_topics(searcher, q) == 0
    assert not ask(searcher, q).refused


def test_a_lexical_embedder_never_judges_a_topic(tmp_path, config, embedder):
    from answer.everyday import closer_topics, is_everyday

    s = _rules_searcher(tmp_path, config, embedder)
    assert closer_topics(s, "周末去哪里钓鱼") is None
    assert not is_everyday(s, "周末去哪里钓鱼", 1)
