"""Validity and versions: the rule in force ranks and answers first; repealed, amended,
expired and not-yet-effective documents are marked, with what replaced them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from core.models import DocMeta, Document
from validity.detect import read_facts
from validity.status import compute, title_key

OLD = """示例市级机关党员学习积分管理办法
示机工发〔2021〕5号

第一条 为规范党员学习积分管理，制定本办法。

第二条 党员每年学习积分不少于60分，积分按季度登记。

第三条 本办法自2021年3月1日起施行。

中共示例市委市级机关工作委员会
2021年2月20日
"""

NEW = """示例市级机关党员学习积分管理办法
示机工发〔2024〕9号

第一条 为规范党员学习积分管理，制定本办法。

第二条 党员每年学习积分不少于80分，积分按月登记。

第三条 本办法自2024年6月1日起施行。
《示例市级机关党员学习积分管理办法》（示机工发〔2021〕5号）同时废止。

中共示例市委市级机关工作委员会
2024年5月10日
"""

PLAN = """示例市级机关青年志愿服务三年行动方案（试行）
示机工办〔2021〕2号

一、总体要求
青年干部每年参加志愿服务不少于20小时。

二、附则
本方案自印发之日起施行，有效期至2023年12月31日。

中共示例市委市级机关工委办公室
2021年1月8日
"""

FUTURE = """示例市级机关党员教育培训学时认定办法
示机工发〔2026〕30号

第一条 党员参加教育培训的学时按本办法认定，
并依照《示例市级机关党员学习积分管理办法》（示机工发〔2024〕9号）折算积分。

第二条 本办法自2027年1月1日起施行。

中共示例市委市级机关工作委员会
2026年11月20日
"""


def _doc(doc_id: str, title: str, text: str, date_: str | None, doc_no: str | None = None,
         **meta) -> Document:
    return Document(doc_id=doc_id, source=f"/x/{doc_id}.txt", text=text, content_hash="h",
                    meta=DocMeta(title=title, doc_type="policy", date=date_, doc_no=doc_no,
                                 **meta))


def test_facts_from_the_text():
    f = read_facts(NEW, "2024-05-10")
    assert f.effective_from == "2024-06-01"
    assert f.repeals == (("示例市级机关党员学习积分管理办法", "示机工发〔2021〕5号"),)
    plan = read_facts(PLAN, "2021-01-08")
    assert plan.effective_from == "2021-01-08" and plan.valid_until == "2023-12-31"
    assert read_facts("本方案有效期3年。本方案自2022年1月1日起施行。", None).valid_until == \
        "2024-12-31"
    # a naming period inside an article is not the measure's own validity
    assert read_facts("示范党支部命名有效期为3年。本办法自印发之日起施行。",
                      "2023-05-16").valid_until is None


def test_title_key_ignores_years_trial_and_wrappers():
    assert title_key("示例市级机关党员学习积分管理办法（试行）") == title_key(
        "关于印发《示例市级机关党员学习积分管理办法》的通知")
    assert title_key("中国共产党章程") == title_key("中国共产党章程（2022年修改）")


def test_status_of_each_kind_and_the_links():
    docs = {d.doc_id: d for d in (
        _doc("old", "示例市级机关党员学习积分管理办法", OLD, "2021-02-20", "示机工发〔2021〕5号"),
        _doc("new", "示例市级机关党员学习积分管理办法", NEW, "2024-05-10", "示机工发〔2024〕9号"),
        _doc("plan", "示例市级机关青年志愿服务三年行动方案（试行）", PLAN, "2021-01-08"),
        _doc("future", "示例市级机关党员教育培训学时认定办法", FUTURE, "2026-11-20",
             "示机工发〔2026〕30号"),
    )}
    v = compute(docs, date(2026, 12, 1))
    assert v["old"].status == "已废止" and v["old"].superseded_by == "new"
    assert "示机工发〔2024〕9号" in v["old"].superseded_label
    assert v["new"].status == "现行有效" and v["new"].effective_from == "2024-06-01"
    assert v["plan"].status == "失效" and v["plan"].valid_until == "2023-12-31"
    assert v["future"].status == "尚未生效"
    assert v["future"].cites == ("new",) and v["new"].cited_by == ("future",)
    # on another day the same documents say otherwise
    past = compute(docs, date(2022, 6, 1))
    assert past["old"].status == "现行有效" and past["plan"].status == "现行有效"
    assert past["new"].status == "尚未生效"  # issued 2024: not in force in 2022


def test_versions_of_one_title_and_overrides():
    party = "第一条 年满十八岁的中国工人……可以申请加入中国共产党。"
    docs = {d.doc_id: d for d in (
        _doc("d2017", "中国共产党章程", party, None, version="2017修改"),
        _doc("d2022", "中国共产党章程（2022年修改）", party, "2022-10-22"),
        _doc("copy", "中国共产党章程", party, None, version="2017修改"),
        _doc("x", "某办法", "本办法自2020年1月1日起施行。", "2020-01-01", status="已废止",
             superseded_by="《某新办法》"),
    )}
    v = compute(docs, date(2026, 12, 1))
    assert v["d2017"].status == "已修改" and v["d2017"].superseded_by == "d2022"
    assert v["copy"].status == "已修改" and v["d2022"].status == "现行有效"
    assert v["x"].status == "已废止" and v["x"].superseded_label == "《某新办法》"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    from core.config import load_config
    from service.wiring import run_ingest

    root = tmp_path_factory.mktemp("validity")
    docs = root / "docs"
    docs.mkdir()
    for name, text in (("old", OLD), ("new", NEW), ("plan", PLAN), ("future", FUTURE)):
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=root / "index")
    run_ingest(config, [docs], progress=False)
    return config


def test_the_rule_in_force_ranks_and_answers_first(indexed):
    from answer.compose import ask
    from service.wiring import open_searcher

    s = open_searcher(indexed, as_of=date(2026, 12, 1))
    hits = s.search("党员每年学习积分不少于多少分", k=4)
    assert s.status(hits[0].chunk.doc_id).status == "现行有效"
    assert "80分" in hits[0].chunk.text
    a = ask(s, "党员每年学习积分不少于多少分")
    assert not a.refused and "80分" in a.citations[0].quote
    assert all(c.status is not None for c in a.citations)
    old = [c for c in a.citations if "60分" in c.quote]
    for c in old:
        assert c.status == "已废止" and "示机工发〔2024〕9号" in c.superseded_by
        assert f"[{c.n}]（注意：该文件已废止，被" in a.answer


def test_cli_json_carries_status(indexed, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    idx = str(indexed.index_dir)
    assert main(["search", "党员学习积分", "--index", idx, "--json", "-k", "4"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert all("status" in h and "superseded_by" in h for h in hits)
    assert main(["docs", "list", "--index", idx, "--json"]) == 0
    rows = {Path(r["source"]).stem: r for r in json.loads(capsys.readouterr().out)}
    assert rows["old"]["status"] == "已废止" and "〔2024〕9号" in rows["old"]["superseded_by"]
    assert rows["plan"]["status"] == "失效" and rows["future"]["status"] == "尚未生效"
    assert {c["doc_no"] for c in rows["future"]["cites"]} == {"示机工发〔2024〕9号"}
    keys = {"doc_id", "title", "doc_type", "doc_no", "date", "issuer", "status",
            "effective_from", "valid_until", "superseded_by", "cites", "cited_by", "source"}
    assert keys <= set(rows["new"])
    assert main(["search", "志愿服务", "--index", idx, "--json", "--status", "失效"]) == 0
    assert {h["status"] for h in json.loads(capsys.readouterr().out)} == {"失效"}


def test_a_doc_no_only_cited_is_answered_with_the_citing_passage(indexed):
    from answer.compose import NOT_HELD, ask
    from service.wiring import open_searcher

    s = open_searcher(indexed, as_of=date(2026, 12, 1))
    a = ask(s, "示机工发〔2021〕5号 规定了什么")  # the old measure is in the index: held
    assert not a.answer.endswith(NOT_HELD)
    a = ask(s, "示机工办〔2030〕1号 规定了什么")  # cited nowhere: refused
    assert a.refused


def test_a_doc_no_the_index_only_cites(tmp_path):
    from answer.compose import NOT_HELD, ask
    from core.config import load_config
    from service.wiring import open_searcher, run_ingest

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(
        "示例市级机关党务公开办法\n示机工发〔2024〕2号\n\n第一条 根据《示例市党务公开规定》"
        "（示委发〔2019〕8号），结合实际，制定本办法。\n\n第二条 本办法自印发之日起施行。\n",
        encoding="utf-8")
    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=tmp_path / "index")
    run_ingest(config, [tmp_path / "d"], progress=False)
    a = ask(open_searcher(config), "示委发〔2019〕8号 是什么文件")
    assert not a.refused and a.answer.endswith(NOT_HELD)
    assert "示委发〔2019〕8号" in a.citations[0].quote


@pytest.mark.slow  # an app session
def test_app_marks_what_is_not_in_force(indexed, monkeypatch):
    st_testing = pytest.importorskip("streamlit.testing.v1")
    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("KB_INDEX", str(indexed.index_dir))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(root / "app" / "streamlit_app.py"),
                                      default_timeout=120)
    at.run()
    at.switch_page("views/search.py").run()
    at.text_input(key="search-query").input("党员每年学习积分不少于多少分")
    at.button[0].click().run()
    assert not at.exception, at.exception
    titles = [m.value for m in at.markdown]
    assert any("【已废止】" in t for t in titles)
    assert any(c.value and "已废止（被《" in c.value for c in at.caption)
