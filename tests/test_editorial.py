"""The editors' workspace without an index: case records, duplicates, planning rules, store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from answer.references import issue_label as doc_issue_label
from answer.references import reference_for
from cases.dups import DupPair, groups_of, near_duplicate_pairs
from cases.planner import Catalog, assemble_usage, check_month, issue_numbers, months_before
from cases.records import HANDBOOK, PUBLISHED, STANDALONE, Issue, IssueEntry, Usage, heading
from cases.store import EditorialStore
from cases.tags import organ_of, theme_tags
from core.errors import KBError
from core.text.issues import issue_label as planned_label
from ingest.files import build_document, content_hash, discover
from service.editorial import build_cases
from tests.editorial_docs import write_editorial_docs

ROOT = Path(__file__).resolve().parents[1]
# The stories the sample corpus tells twice on purpose (see tools/dup_eval.py).
SAMPLE_PAIRS = {("xf27-1", "xf49-1"), ("xf27-2", "xf45-1"), ("xf31-1", "xf49-2"),
                ("xf35-1", "xf54-1")}


def _docs(folder: Path):
    files, _, _ = discover([folder])
    return [build_document(f, content_hash(f)) for f in files]


@pytest.fixture(scope="module")
def sample():
    docs = _docs(ROOT / "corpus")
    cases, pairs = build_cases(docs)
    return {d.doc_id: d for d in docs}, cases, pairs


@pytest.fixture()
def written(tmp_path):
    docs = _docs(write_editorial_docs(tmp_path / "docs"))
    cases, pairs = build_cases(docs)
    return {d.doc_id: d for d in docs}, {c.case_id: c for c in cases}, pairs


def test_written_issues_become_case_records(written):
    docs, cases, _ = written
    assert len(cases) == 7
    printed = {c.case_id: c for c in cases.values() if c.kind == HANDBOOK}
    assert set(printed) == {"xf39-1", "xf39-2", "xf44-1", "xf44-2"}
    c = printed["xf39-1"]
    assert (c.issue_no, c.issue_year, c.total_no, c.month) == (3, 2024, 39, "2024-03")
    assert (c.unit, c.title) == ("示例市林业局机关党委", "“护林先锋岗”守护城市绿肺")
    assert c.issue_theme == "把支部建在一线，让党员作用看得见"
    assert c.reference == ("《新风》专刊2024年第3期（总第39期）"
                           "《示例市林业局机关党委：“护林先锋岗”守护城市绿肺》")
    assert printed["xf44-2"].total_no == 44 and printed["xf44-2"].month == "2024-08"
    standalone = [c for c in cases.values() if c.kind == STANDALONE]
    assert {c.unit for c in standalone} == {"中共示例市林业局机关委员会", "示例市司法局机关党委",
                                            "示例市城市管理局机关党委"}
    for c in cases.values():  # every claim is a span of its document
        text = docs[c.doc_id].text
        assert text[c.summary_start:c.summary_end] == c.summary and c.summary
        assert all(text[q.start:q.end] == q.text for q in c.quotes)
        assert c.start <= c.summary_start < c.summary_end <= c.end


def test_edited_copy_of_a_printed_case_is_grouped_with_it(written):
    _, cases, pairs = written
    copy = next(c for c in cases.values() if "智慧护林" in c.title)
    assert copy.group is not None and copy.group == cases["xf39-1"].group
    assert [(p.a, p.b) for p in pairs] == [(copy.case_id, "xf39-1")]
    assert all(c.group is None for c in cases.values() if c.case_id not in
               (copy.case_id, "xf39-1"))


def test_sample_corpus_cases_and_their_issue_numbers(sample):
    docs, cases, _ = sample
    printed = [c for c in cases if c.kind == HANDBOOK]
    assert len(printed) == 35 and len([c for c in cases if c.kind == STANDALONE]) == 12
    by_issue = {}
    for c in printed:
        by_issue.setdefault((c.issue_year, c.issue_no, c.total_no, c.month), []).append(c)
    assert sorted(by_issue) == [(2023, 3, 27, "2023-03"), (2023, 7, 31, "2023-07"),
                                (2023, 11, 35, "2023-11"), (2024, 5, 41, "2024-05"),
                                (2024, 9, 45, "2024-09"), (2025, 1, 49, "2025-01"),
                                (2025, 6, 54, "2025-06")]
    assert all(len(v) == 5 for v in by_issue.values())
    # The PDF issue glues one long heading onto its body: the title is still cut right.
    c = next(c for c in printed if c.case_id == "xf31-2")
    assert c.title == "“党员项目服务队”跑出用地审批加速度"
    assert c.unit == "示例市自然资源和规划局机关党委"
    for c in printed:
        doc = docs[c.doc_id]
        assert c.issue_label == doc_issue_label(doc)
        assert planned_label(c.issue_year, c.issue_no, c.total_no) == c.issue_label
        if c.case_id != "xf31-2":  # the project's reference, where the heading line is clean
            assert c.reference == reference_for(doc, (c.section,), None)


def test_sample_corpus_duplicates_are_exactly_the_deliberate_pairs(sample):
    _, cases, pairs = sample
    assert {(p.a, p.b) for p in pairs} == SAMPLE_PAIRS
    groups = {}
    for c in cases:
        if c.group:
            groups.setdefault(c.group, set()).add(c.case_id)
    assert sorted(map(sorted, groups.values())) == sorted(map(sorted, SAMPLE_PAIRS))


def test_near_duplicates_use_containment_and_the_same_organ_bar():
    base = "".join(f"第{i}项工作由党员带头推进并按月通报进展做到件件有回音。" for i in range(40))
    half = base[: len(base) // 2] + "".join(f"新增做法{i}在机关食堂试行节约。" for i in range(40))
    other = "".join(f"社区{i}号楼居民参与垃圾分类志愿服务并评选示范家庭。" for i in range(40))
    pairs = near_duplicate_pairs([("a", base, "甲局"), ("b", half, "乙局"), ("c", other, "甲局")])
    assert [(p.a, p.b, p.same_organ) for p in pairs] == [("a", "b", False)]
    assert 0.4 < pairs[0].containment < 0.6  # containment, where Jaccard would be ~0.3
    assert groups_of(["a", "b", "c"], pairs) == {"a": "g-a", "b": "g-a"}
    assert groups_of(["x", "y", "z"], [DupPair("y", "z", 0.5, False),
                                       DupPair("x", "z", 0.3, False)])["y"] == "g-x"


def test_tags_organs_and_headings():
    assert organ_of("中共示例市财政局机关委员会") == "示例市财政局"
    assert organ_of("示例市人力资源和社会保障局社会保险经办党支部") == "示例市人力资源和社会保障局"
    assert organ_of("示例市发展和改革委员会机关党委") == "示例市发展和改革委员会"
    assert heading("中共示例市档案馆总支部委员会", "示例市档案馆：用好红色档案资源") == \
        "中共示例市档案馆总支部委员会：用好红色档案资源"
    assert heading("示例市审计局机关党委", "廉政监督贯穿全流程") == \
        "示例市审计局机关党委：廉政监督贯穿全流程"
    assert "基层减负" in theme_tags("“一表通”为社区减表松绑", "减负 填表 填表 报表 减负")
    assert theme_tags("无关标题", "减负") == ()  # one mention is no tag


def test_issue_numbers_follow_the_known_issues():
    known = [("2024-05", 5, 41), ("2025-01", 1, 49), ("2025-06", 6, 54)]
    assert issue_numbers("2025-07", known) == (7, 55)
    assert issue_numbers("2026-01", known) == (1, 61)
    assert issue_numbers("2025-07", []) == (7, None)
    assert issue_numbers("2025-09", [("2025-03", 1, 10)]) == (2, 11)  # not monthly
    assert planned_label(2025, 7, 55) == "《新风》专刊2025年第7期（总第55期）"
    assert months_before(date(2025, 2, 10), 3) == "2024-11"
    with pytest.raises(KBError, match="YYYY-MM"):
        check_month("2025-7")


def test_featured_counts_through_the_group_and_since(written):
    _, cases, _ = written
    usage = assemble_usage(list(cases.values()), [], set())
    cat = Catalog(tuple(cases.values()), usage)
    copy = next(c for c in cases.values() if "智慧护林" in c.title)
    assert not cat.featured_in(copy.case_id) and cat.featured(copy)
    assert not cat.featured(copy, since="2024-04")  # printed 2024-03
    assert [c.case_id for c in cat.select(unused=True)] == sorted(
        c.case_id for c in cases.values() if c.kind == STANDALONE and c is not copy)
    struck = assemble_usage(list(cases.values()), [], {("xf39-1", cases["xf39-1"].issue_label)})
    assert "xf39-1" not in struck


def test_store_keeps_issues_and_history(tmp_path):
    path = tmp_path / "ed.sqlite"
    st = EditorialStore(path)
    st.create_issue(Issue("2025-07", "主题", "2025-07", 7, 55))
    st.set_entries("2025-07", [IssueEntry("a", "标题甲", "单位甲"), IssueEntry("b", "标题乙", "")])
    published = st.publish("2025-07")
    assert published.status == "published" and published.published
    with pytest.raises(KBError, match="已发布"):
        st.set_entries("2025-07", [])
    st.close()
    again = EditorialStore(path)
    assert [u.case_id for u in again.usage()] == ["a", "b"]
    label = "《新风》专刊2025年第7期（总第55期）"
    assert again.usage()[0] == Usage("a", label, "2025-07", PUBLISHED, "2025-07")
    with pytest.raises(KBError, match="没有编号为 nope"):
        again.issue("nope")


def _dup_eval():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import dup_eval

    return dup_eval


@pytest.mark.slow
def test_realdocs_same_article_in_two_formats_is_grouped(realdocs):
    """The .md/.pdf and .md/.docx copies in ../shared/realdocs (issue 11's bar)."""
    r = _dup_eval().realdocs_eval(realdocs)
    assert r["known_pairs"] >= 6
    assert r["recall"] >= 0.95 and r["precision"] >= 0.90, r


@pytest.mark.slow
def test_edited_copies_are_found_among_a_thousand_cases():
    t = _dup_eval().timing(1000)
    assert t["copies_recall"] >= 0.95 and t["cases"] == 1000
