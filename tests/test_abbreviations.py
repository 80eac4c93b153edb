"""Short names in a question reach the full names the documents use (core.text.abbreviations)."""

from __future__ import annotations

from core.text.abbreviations import with_full_forms
from tests.conftest import searcher_over


def test_full_forms_are_added_once_and_only_when_missing():
    assert (with_full_forms("人大常委会多久开一次会")
            == "人大（人民代表大会）常委会（常务委员会）多久开一次会")
    # the text already holds the full form: nothing added
    assert with_full_forms("最低生活保障（低保）标准") == "最低生活保障（低保）标准"
    assert with_full_forms("党费交纳比例") == "党费交纳比例"


def test_a_short_name_finds_the_passage_written_in_full(tmp_path, config, embedder):
    s = searcher_over(tmp_path, config, embedder, {
        "rules.txt": "示例市人民代表大会常务委员会议事规则\n\n"
                     "第一条 常务委员会会议由主任召集并主持，每两个月至少举行一次。\n\n"
                     "第二条 本市最低生活保障标准由市民政部门会同财政部门拟定。\n",
        "other.txt": "示例市机关会议管理办法\n\n第一条 机关各类会议应当精简，一般不超过半天。\n\n"
                     "第二条 会议材料应当提前印发，会议多久召开一次由各单位确定。\n",
    })
    top = s.search("人大常委会多久开一次会", k=1, mode="bm25")[0]
    assert "每两个月至少举行一次" in top.chunk.text
    assert "最低生活保障标准" in s.search("低保标准由谁拟定", k=1, mode="bm25")[0].chunk.text
