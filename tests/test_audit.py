"""The audit log (issue 15): who searched, asked, exported, uploaded or removed what, and
when; `kb audit`; never lost on re-ingest, rebuild or repair."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime, timedelta

import pytest

from cli.main import main
from core.errors import KBError
from core.models import LOCAL_USER, User
from service import audit
from service.queries import ask, search
from service.wiring import make_answerer, open_searcher, run_ingest
from tests.conftest import FAKE_ENV

READER = User("张三", "reader", "公开")
INSIDER = User("李四", "reader", "内部")


def test_record_and_filter(config):
    assert audit.entries(config) == []
    audit.record(config, READER, "search", query="党费", hits=3)
    audit.record(config, INSIDER, "ask", query="学时", refused=False)
    audit.record(config, "王五", "login_failed", via="api")
    got = audit.entries(config)
    assert [(e.user, e.action) for e in got] == [("张三", "search"), ("李四", "ask"),
                                                ("王五", "login_failed")]
    assert got[0].detail == {"query": "党费", "hits": 3}
    assert datetime.fromisoformat(got[0].at).tzinfo is not None
    assert [e.action for e in audit.entries(config, user="李四")] == ["ask"]
    assert [e.user for e in audit.entries(config, action="login_failed")] == ["王五"]
    tomorrow = (datetime.now() + timedelta(days=1)).date().isoformat()
    assert audit.entries(config, since=tomorrow) == []
    assert len(audit.entries(config, since=datetime.now().date().isoformat())) == 3
    assert [e.user for e in audit.entries(config, limit=2)] == ["李四", "王五"]
    with pytest.raises(KBError, match="--since"):
        audit.entries(config, since="昨天")
    with pytest.raises(ValueError):
        audit.record(config, READER, "dance")


def test_concurrent_writers_lose_nothing(config):
    def write(name: str) -> None:
        for i in range(40):
            audit.record(config, name, "search", query=f"q{i}")

    threads = [threading.Thread(target=write, args=(f"u{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = audit.entries(config)
    assert len(got) == 160
    assert {e.user for e in got} == {"u0", "u1", "u2", "u3"}


def test_queries_are_logged_per_user_and_survive_rebuild_and_repair(config, embedder,
                                                                    small_corpus):
    from service.repair import repair

    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    searcher = open_searcher(config, make_embedder=lambda: embedder)
    search(config, searcher, "集中培训学时", k=3, viewer=READER, via="api")
    ask(config, searcher, make_answerer(config), "党务干部每年参加集中培训不少于多少学时",
        viewer=INSIDER, via="api")
    search(config, searcher, "不记录", k=3)  # viewer None: as before accounts, no entry
    (s,), (a,) = audit.entries(config, user="张三"), audit.entries(config, user="李四")
    assert s.action == "search" and s.detail["query"] == "集中培训学时" and s.detail["hits"]
    assert a.action == "ask" and a.detail["citations"] and a.detail["via"] == "api"
    run_ingest(config, [small_corpus], progress=False, embedder=embedder, rebuild=True)
    (config.index_dir / "docstore.sqlite").unlink()
    assert repair(config, embedder=embedder)
    assert [e.user for e in audit.entries(config)] == ["张三", "李四"]


def _kb(monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    return main(list(argv))


def test_cli_commands_are_logged_and_kb_audit_reads_them(monkeypatch, tmp_path, small_corpus,
                                                        capsys):
    index = str(tmp_path / "index")
    assert _kb(monkeypatch, "ingest", str(small_corpus), "--no-progress", "--index", index) == 0
    assert _kb(monkeypatch, "search", "集中培训学时", "--json", "--index", index) == 0
    assert _kb(monkeypatch, "ask", "-", "--index", index, stdin="党费\n培训学时\n") == 0
    capsys.readouterr()
    assert _kb(monkeypatch, "audit", "--json", "--index", index) == 0
    got = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in got] == ["ingest", "search", "ask", "ask"]
    assert {e["user"] for e in got} == {LOCAL_USER.name}
    assert all(e["detail"]["via"] == "cli" and e["detail"]["os_user"] for e in got)
    assert got[1]["detail"]["query"] == "集中培训学时"
    assert _kb(monkeypatch, "audit", "--action", "ask", "--index", index) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "提问" in lines[0] and "“党费”" in lines[0]
    assert _kb(monkeypatch, "audit", "--user", "nobody", "--index", index) == 0
    assert "没有符合条件的记录" in capsys.readouterr().out
    assert _kb(monkeypatch, "audit", "--since", "2026/1/1", "--index", index) == 2
    assert "--since" in capsys.readouterr().err


def test_a_replaced_store_is_reopened(config):
    """A process keeps its connection; a restored or deleted file must not swallow entries."""
    import shutil

    audit.record(config, READER, "search", query="一")
    shutil.rmtree(config.index_dir)
    audit.record(config, READER, "search", query="二")
    assert [e.detail["query"] for e in audit.entries(config)] == ["二"]


@pytest.mark.slow
def test_several_processes_write_one_log(config):
    """The app, `kb serve` and the CLI are separate processes writing the same file."""
    import subprocess
    import sys

    code = ("import sys; from core.config import load_config; from service import audit\n"
            "c = load_config({}, index_dir=sys.argv[1])\n"
            "for i in range(60): audit.record(c, sys.argv[2], 'search', query=str(i))\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(config.index_dir), f"p{n}"])
             for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    got = audit.entries(config)
    assert len(got) == 240
    for n in range(4):
        assert [e.detail["query"] for e in got if e.user == f"p{n}"] == [str(i) for i in range(60)]


def test_an_unwritable_log_is_named(config):
    config.index_dir.mkdir(parents=True)
    config.deploy.write_bytes(b"this is not a database" * 200)
    with pytest.raises(KBError, match="无法写入审计日志"):
        audit.record(config, READER, "search", query="x")
