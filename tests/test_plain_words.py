"""Everyday words in a question reach the terms the rules use (core.text.plain_words)."""

from __future__ import annotations

import re

from answer.compose import ask
from core.text.plain_words import PLAIN_WORDS, with_official_words
from tests.conftest import searcher_over


def test_the_official_term_follows_the_everyday_phrase():
    assert (with_official_words("还没转正的同志考察期多长")
            == "还没转正（预备党员）的同志考察期（预备期）多长")
    assert with_official_words("涉密文件封存多少年") == "涉密文件（国家秘密）封存多少年（保密期限）"


def test_the_longest_phrase_wins_and_a_term_already_written_is_not_added():
    assert with_official_words("生孩子有什么补贴") == "生孩子（生育）有什么补贴"
    assert with_official_words("预备党员的预备期多长") == "预备党员的预备期多长"
    assert with_official_words("党委开全会") == "党委开全会"  # a short name: abbreviations
    assert with_official_words("党费交纳比例") == "党费交纳比例"


def test_no_listed_phrase_is_its_own_term():
    for pattern, term in PLAIN_WORDS:
        assert term and not re.fullmatch(pattern, term), (pattern, term)


def test_an_everyday_question_is_answered_from_the_rule(tmp_path, config, embedder):
    s = searcher_over(tmp_path, config, embedder, {
        "rules.txt": "示例市发展党员工作规程\n\n"
                     "第一条 发展党员，必须经过党的支部，坚持个别吸收的原则。\n\n"
                     "第二条 申请入党的人，要有两名正式党员作入党介绍人。\n\n"
                     "第三条 预备党员的预备期为一年，从支部大会通过之日算起。\n\n"
                     "第四条 党员的党龄，从预备期满转为正式党员之日算起。\n",
        "staff.txt": "示例市机关工作人员管理规定\n\n第一条 新录用的工作人员试用期为一年。\n\n"
                     "第二条 工作人员每年参加集中培训不少于40学时。\n",
        "other.txt": "示例市机关会议管理办法\n\n第一条 机关各类会议应当精简，一般不超过半天。\n\n"
                     "第二条 会议材料应当提前印发，由各单位确定分发范围。\n",
    })
    answer = ask(s, "还没转正的同志，考察期要多长时间？")
    assert not answer.refused
    assert "预备期为一年" in answer.citations[0].quote
    answer = ask(s, "刚考进机关的人，见习期一般多长？")
    assert not answer.refused
    assert "试用期为一年" in answer.citations[0].quote
