"""Metadata detection on small fictional snippets and on the real documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.text.dates import parse_date
from core.text.docno import DOC_NO_RE, normalize_doc_no
from ingest.metadata import extract_metadata
from tests.realdocs_util import read_normalized, text_files

NOTICE = """中共示例市委市级机关工委关于印发《示例市机关党支部规范化建设办法》的通知
示机工发〔2024〕3号
各市级机关党组织：
现将《示例市机关党支部规范化建设办法》印发给你们，请结合实际认真贯彻执行。
中共示例市委市级机关工委
2024年3月8日
示例市机关党支部规范化建设办法
第一章 总则
第一条 为推进示例市机关党支部规范化建设，制定本办法。
第二条 本办法适用于示例市级机关各党支部。
第二章 组织设置
第三条 党支部应当按期换届，换届工作包括：
（一）提出换届申请；
（二）召开党员大会选举。
"""

SPEECH = """在示例市机关党建工作推进会上的讲话
（2024年3月15日）
示例市委常委、市委秘书长 王晓东
同志们：
今天召开这次会议，主要是总结去年工作，部署今年任务。
一、充分肯定过去一年的成效
一是政治建设更加有力。各级机关党组织落实第一议题制度。
二是基层基础更加扎实。全年新建标准化党支部二十个。
"""

HANDBOOK = """《新风》专刊
第十二期（总第48期）
中共示例市委市级机关工委编 二〇二四年三月
本期主题：以“小切口”推动机关作风大转变。
编者按：本期选编三个单位的做法，供学习借鉴。
【典型案例一】示例市财政局：预算绩效“回头看”
局机关党委从绩效评价入手，建立问题台账。
【典型案例二】示例市税务局：办税服务“一窗通”
党员先锋岗进驻大厅，群众等候时间缩短一半。
【典型案例三】示例市文旅局：送戏下乡进社区
全年送戏下乡四十场，覆盖全市十二个街道。
"""


def test_policy_notice_fields() -> None:
    m = extract_metadata(NOTICE, "/kb/docs/guifanhua.txt")
    assert m.title.startswith("中共示例市委市级机关工委关于印发")
    assert m.doc_type == "policy"
    assert m.doc_no == "示机工发〔2024〕3号"
    assert m.issuer == "中共示例市委市级机关工委"
    assert m.date == "2024-03-08"
    assert m.speaker is None


@pytest.mark.parametrize(
    "variant",
    ["示机工发[2024]3号", "示机工发（2024）3号", "示机工发(2024)3号", "示机工发【2024】3号",
     "示机工发［２０２４］３号", "示机工发〔２０２４〕０３号", "示机工发 〔2024〕 3 号"],
)
def test_doc_no_variants_normalise(variant: str) -> None:
    assert normalize_doc_no(variant) == "示机工发〔2024〕3号"
    text = NOTICE.replace("示机工发〔2024〕3号", variant)
    assert extract_metadata(text, "x.txt").doc_no == "示机工发〔2024〕3号"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("根据示府办发〔2023〕12号文件精神", "示府办发〔2023〕12号"),
        ("按照示机工发[2024]3号的要求", "示机工发〔2024〕3号"),
        ("示机工发2024年3号讲了什么", "示机工发〔2024〕3号"),
        ("穗府办规2024-13号的适用范围", "穗府办规〔2024〕13号"),
    ],
)
def test_doc_no_re_finds_numbers_in_free_text(query: str, expected: str) -> None:
    m = DOC_NO_RE.search(query)
    assert m is not None
    assert normalize_doc_no(m.group(0)) == expected


def test_doc_no_re_ignores_dates_and_plain_numbers() -> None:
    for text in ("2024年3月15日召开会议", "在2024年3号楼开会", "共有12号文件"):
        assert DOC_NO_RE.search(text) is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [("2024年3月15日", "2024-03-15"), ("2024-03-05", "2024-03-05"), ("2024.3.5", "2024-03-05"),
     ("二〇二四年三月", "2024-03"), ("二〇二三年十二月二十一日", "2023-12-21"), ("无日期", None)],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_speech_fields() -> None:
    m = extract_metadata(SPEECH, "jianghua.txt")
    assert m.title == "在示例市机关党建工作推进会上的讲话"
    assert m.doc_type == "speech"
    assert m.date == "2024-03-15"
    assert m.speaker == "示例市委常委、市委秘书长 王晓东"


def test_speech_title_wrapping_over_two_lines() -> None:
    text = ("在示例市机关青年干部座谈会、\n\n团员青年代表交流会上的讲话\n\n（2024年5月4日）\n\n"
            "同志们：\n")
    m = extract_metadata(text, "x.txt")
    assert m.title == "在示例市机关青年干部座谈会、团员青年代表交流会上的讲话"
    assert m.date == "2024-05-04"


def test_handbook_fields() -> None:
    m = extract_metadata(HANDBOOK, "xinfeng_12.txt")
    assert m.doc_type == "handbook"
    assert m.issue_no == 12
    assert m.issue_month == "2024-03"
    assert m.theme == "以“小切口”推动机关作风大转变"
    assert m.issuer == "中共示例市委市级机关工委"
    assert "第十二期" in m.title


def test_case_and_report_types() -> None:
    case = ("示例市税务局：“一窗通”让群众少跑腿\n示例市税务局机关党委\n一、基本情况\n"
            "局机关有党员一百余名。\n二、主要做法\n设立党员先锋岗。\n三、取得成效\n等候时间缩短。\n")
    m = extract_metadata(case, "x.txt")
    assert (m.doc_type, m.issuer) == ("case", "示例市税务局机关党委")
    report = "示例市机关工委2023年工作总结\n一、主要工作\n全年开展培训十二期。\n"
    assert extract_metadata(report, "x.txt").doc_type == "report"


def test_title_skips_web_junk_and_falls_back_to_stem() -> None:
    web = "首页 > 政务公开 > 通知\n原文链接：https://example.org/a.html\n示例市关于加强机关食堂管理的通知\n正文。\n"
    assert extract_metadata(web, "a.txt").title == "示例市关于加强机关食堂管理的通知"
    body = "近日，示例市机关工委组织开展了主题党日活动，党员们参观了革命纪念馆。\n"
    m = extract_metadata(body, "/docs/主题党日活动纪实.txt")
    assert m.title == "主题党日活动纪实"


def test_overrides_win_and_are_validated() -> None:
    m = extract_metadata(SPEECH, "x.txt", {"doc_type": "report", "issue_no": "7",
                                           "date": "2024年4月1日", "aliases": "ignored"})
    assert (m.doc_type, m.issue_no, m.date) == ("report", 7, "2024-04-01")
    with pytest.raises(ConfigError, match=r"'memo'.*speech, policy, handbook"):
        extract_metadata(SPEECH, "x.txt", {"doc_type": "memo"})
    with pytest.raises(ConfigError, match="issue_no"):
        extract_metadata(SPEECH, "x.txt", {"issue_no": "abc"})


# ---- real documents -------------------------------------------------------------------

_DATE_LINE = re.compile(r"^[（(]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[）)]$")


def test_realdocs_policy_local_doc_numbers(realdocs: Path) -> None:
    files = text_files(realdocs / "policy_local")
    assert files
    for f in files:
        text = read_normalized(f)
        m = extract_metadata(text, str(f))
        # The 文号 on its own line in the header, in whatever bracket style it was printed.
        header = text.split("\n")[:12]
        wanted = next(normalize_doc_no(ln) for ln in header if DOC_NO_RE.fullmatch(
            ln.strip().strip("（）()")))
        assert m.doc_no == wanted, f.name
        assert m.doc_type == "policy", f.name
    abazhou = [f for f in files if f.name.startswith("阿坝州")]
    assert abazhou and extract_metadata(read_normalized(abazhou[0]), "a").doc_no \
        == "阿府办发〔2021〕21号"


def test_realdocs_speech_dates(realdocs: Path) -> None:
    checked = 0
    for folder in ("speeches", "reports"):
        for f in text_files(realdocs / folder):
            text = read_normalized(f)
            lines = [ln.strip() for ln in text.split("\n")[:12]]
            date_line = next((_DATE_LINE.match(ln) for ln in lines if _DATE_LINE.match(ln)), None)
            if date_line is None:
                continue
            y, mo, d = (int(g) for g in date_line.groups())
            m = extract_metadata(text, str(f))
            assert m.date == f"{y:04d}-{mo:02d}-{d:02d}", f.name
            assert m.doc_type in ("speech", "report"), f.name
            checked += 1
    assert checked >= 2
