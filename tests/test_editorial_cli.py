"""Issue 11's bar through `kb cases` / `kb issue` on issues and cases the test writes.

Every case is a record with the right issue number; the edited copy of a printed case
is grouped with it; the finder proposes only unfeatured stories and the fitting one
first; an issue is planned, exported (.docx lists each case's title and unit) and
published; after `kb ingest --rebuild` the published case is featured and not proposed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.editorial_docs import write_editorial_docs

QUERY = "青年干部读书学习"


def kb(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def kb_json(capsys, *argv: str):
    rc, out, err = kb(capsys, *argv, "--json")
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture()
def workspace(tmp_path, monkeypatch, embedder):
    from core.config import load_config
    from service.wiring import run_ingest

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    monkeypatch.delenv("KB_EDITORIAL", raising=False)
    docs = write_editorial_docs(tmp_path / "docs")
    index = tmp_path / "kb" / "index"
    # Files read in this process (no reading subprocess): the fast tier starts no processes.
    config = load_config({"KB_EMBED_MODEL": "hash", "KB_FILE_SECONDS": "0",
                          "KB_FILE_MEMORY_MB": "0"}, index_dir=index)
    run_ingest(config, [docs], progress=False, embedder=embedder)
    monkeypatch.setenv("KB_INDEX", str(index))
    return config, docs


def _by_title(cases: list[dict], part: str) -> dict:
    return next(c for c in cases if part in c["title"])


def test_plan_export_publish_and_rebuild(workspace, capsys, tmp_path, embedder):
    config, docs = workspace
    cases = kb_json(capsys, "cases", "list")
    assert len(cases) == 7
    for c in cases:
        assert {"case_id", "title", "unit", "themes", "summary", "issue_no", "issue_year",
                "total_no", "month", "featured_in", "group", "sources"} <= set(c)
        src = c["sources"][0]
        assert set(src) == {"source", "start", "end"} and Path(src["source"]).is_file()
    printed = {c["case_id"]: c for c in cases if c["issue_no"]}
    assert {k: (v["issue_no"], v["issue_year"], v["total_no"], v["month"])
            for k, v in printed.items()} == {
        "xf39-1": (3, 2024, 39, "2024-03"), "xf39-2": (3, 2024, 39, "2024-03"),
        "xf44-1": (8, 2024, 44, "2024-08"), "xf44-2": (8, 2024, 44, "2024-08")}
    assert all(v["featured_in"][0]["issue"].startswith("《新风》专刊2024年第") for v in
               printed.values())
    copy, fits = _by_title(cases, "智慧护林"), _by_title(cases, "青年读书会")
    assert copy["featured_in"] == [] and copy["group"] == printed["xf39-1"]["group"] != None  # noqa: E711
    assert fits["featured_in"] == [] and fits["group"] is None
    unused = {c["case_id"] for c in kb_json(capsys, "cases", "list", "--unused")}
    assert unused == {fits["case_id"], _by_title(cases, "垃圾分类")["case_id"]}

    groups = kb_json(capsys, "cases", "dups")
    assert [sorted(c["case_id"] for c in g["cases"]) for g in groups] == [
        sorted([copy["case_id"], "xf39-1"])]

    found = kb_json(capsys, "cases", "find", QUERY, "-k", "5")
    assert found[0]["case_id"] == fits["case_id"] and found[0]["why"]
    assert all(not f["featured_in"] and not f["featured"] for f in found)
    assert copy["case_id"] not in {f["case_id"] for f in found}
    assert all(f["issue_no"] is None for f in found)
    for f in found:  # the reasons are passages of the case, verbatim
        text = Path(f["sources"][0]["source"]).read_text(encoding="utf-8")
        assert all(w["text"] in text for w in f["why"])
    # A story printed long enough ago may be proposed again.
    again = kb_json(capsys, "cases", "find", "护林 防火", "--since-months", "1")
    assert {"xf39-1", copy["case_id"]} & {f["case_id"] for f in again}

    issue = kb_json(capsys, "issue", "new", "--theme", "青年干部学习成长", "--month", "2024-10")
    iid = issue["issue_id"]
    assert (iid, issue["no"], issue["total_no"]) == ("2024-10", 10, 46)
    other = _by_title(cases, "垃圾分类")["case_id"]
    assert kb(capsys, "issue", "add", iid, fits["case_id"], other)[0] == 0
    assert kb(capsys, "issue", "move", iid, other, "1")[0] == 0
    shown = kb_json(capsys, "issue", "show", iid)
    assert [c["case_id"] for c in shown["cases"]] == [other, fits["case_id"]]
    out = tmp_path / "提纲.docx"
    assert kb(capsys, "issue", "export", iid, "--out", str(out))[0] == 0
    from docx import Document as Docx

    text = "\n".join(p.text for p in Docx(str(out)).paragraphs)
    for c in (fits, _by_title(cases, "垃圾分类")):
        assert c["unit"] in text and c["title"].split("：")[-1] in text
    assert "本期主题：青年干部学习成长" in text and "第10期（总第46期）" in text
    assert "引文出处" in text and fits["summary"] in text
    assert kb(capsys, "issue", "publish", iid)[0] == 0

    from service.wiring import run_ingest

    run_ingest(config, [docs], rebuild=True, progress=False, embedder=embedder)
    after = {c["case_id"]: c for c in kb_json(capsys, "cases", "list")}
    assert [u["issue"] for u in after[fits["case_id"]]["featured_in"]] == [
        "《新风》专刊2024年第10期（总第46期）"]
    assert after[fits["case_id"]]["featured_in"][0]["origin"] == "published"
    found = kb_json(capsys, "cases", "find", QUERY)
    assert fits["case_id"] not in {f["case_id"] for f in found}
    assert all(not f["featured"] for f in found)
    assert config.editorial.is_file() and not config.editorial.is_relative_to(config.index_dir)


def test_mistakes_are_one_chinese_line(workspace, capsys):
    rc, out, err = kb(capsys, "cases", "show", "没有这个")
    assert rc == 2 and err.startswith("kb: 错误: 没有编号为") and err.count("\n") == 1
    rc, _, err = kb(capsys, "issue", "new", "--theme", "主题", "--month", "2024/10")
    assert rc == 2 and "YYYY-MM" in err
    rc, _, err = kb(capsys, "cases", "find", "  ")
    assert rc == 2 and "为空" in err
    rc, _, err = kb(capsys, "cases", "find", QUERY, "-k", "0")
    assert rc == 2 and "-k" in err
    iid = kb_json(capsys, "issue", "new", "--theme", "主题", "--month", "2024-11")["issue_id"]
    rc, _, err = kb(capsys, "issue", "publish", iid)
    assert rc == 2 and "还没有案例" in err
    rc, _, err = kb(capsys, "issue", "export", iid, "--out", "提纲.pdf")
    assert rc == 2 and ".docx" in err
    rc, _, err = kb(capsys, "issue", "move", iid, "xf39-1", "1")
    assert rc == 2 and "位置" in err
    rc, _, err = kb(capsys, "issue", "add", "2030-01", "xf39-1")
    assert rc == 2 and "没有编号为 2030-01 的期次" in err


def test_usage_history_is_editable(workspace, capsys):
    assert kb(capsys, "cases", "unfeature", "xf39-2")[0] == 0
    listed = {c["case_id"]: c for c in kb_json(capsys, "cases", "list")}
    assert listed["xf39-2"]["featured_in"] == []
    assert kb(capsys, "cases", "feature", "xf39-2", "--issue", "《新风》专刊2022年第5期",
              "--month", "2022-05")[0] == 0
    listed = {c["case_id"]: c for c in kb_json(capsys, "cases", "list")}
    assert [(u["issue"], u["origin"]) for u in listed["xf39-2"]["featured_in"]] == [
        ("《新风》专刊2022年第5期", "manual")]


def test_help_is_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["cases", "find", "-h"])
    out = capsys.readouterr().out
    assert "用法：" in out and "--since-months" in out and "已刊用" in out
