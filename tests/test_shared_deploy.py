"""Accounts, sign-in failures, folder rules and the audit log of a knowledge base shared on a
real Chroma server (service.deployment, index.deploy_records): one set for every machine.

Each "machine" is a configuration (or a process) with its own empty local folder; the
server is the `chroma_server` fixture (conftest); each test names its own knowledge bases.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.config import load_config
from core.errors import AuthError, KBError
from core.models import User
from tests.test_shared_server import ROOT, _env, _kb, _name, _proc_env

PASSWORD = "correct-horse-1"
pytestmark = [pytest.mark.slow, pytest.mark.server]


def _machines(port: int, tmp_path: Path, name: str | None = None, **extra: str):
    env = _env(port, name or _name(), **extra)
    return env, [load_config(env, index_dir=tmp_path / m / "index") for m in ("a", "b")]


def _kb_stdin(env: dict[str, str], stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=_proc_env(env),
                          input=stdin, capture_output=True, text=True, timeout=300)


def test_an_account_added_on_one_machine_signs_in_on_another(chroma_server, tmp_path):
    from service.accounts import Accounts

    env, (a, b) = _machines(chroma_server, tmp_path)
    r = _kb_stdin(env, PASSWORD + "\n", "users", "add", "张三", "--role", "reader",
                  "--level", "公开", "--index", str(a.index_dir))
    assert r.returncode == 0, r.stderr
    assert Accounts(b).verify("张三", PASSWORD) == User("张三", "reader", "公开")
    assert not Accounts(b).single_user()
    with pytest.raises(AuthError, match="用户名或密码错误"):
        Accounts(b).verify("张三", "wrong-pass-1")
    assert not a.deploy.exists() and not b.deploy.exists()  # nothing kept locally

    # Changes on either machine count on the other; the last-admin rule spans both.
    Accounts(b).add("管理员", PASSWORD, "admin", "内部")
    Accounts(b).update("张三", level="内部")
    assert Accounts(a).get("张三") == User("张三", "reader", "内部")
    with pytest.raises(KBError, match="唯一的管理员"):
        Accounts(a).remove("管理员")
    with pytest.raises(KBError, match="已存在"):
        Accounts(a).add("张三", "another-pass-2", "admin", "内部")
    Accounts(a).passwd("张三", "another-pass-2")
    assert Accounts(b).verify("张三", "another-pass-2").name == "张三"
    Accounts(a).remove("张三")
    assert Accounts(b).get("张三") is None
    listed = _kb(env, "users", "list", "--json", "--index", str(b.index_dir))
    assert '"管理员"' in listed.stdout and "张三" not in listed.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kb_serve_on_another_machine_and_one_audit_log_for_both(
        chroma_server, small_corpus, tmp_path, embedder):
    from service import audit
    from service.accounts import Accounts
    from service.queries import search
    from service.wiring import open_searcher, run_ingest

    env, (a, b) = _machines(chroma_server, tmp_path)
    run_ingest(a, [small_corpus], progress=False, embedder=embedder)
    wang = Accounts(a).add("王五", PASSWORD, "reader", "内部")
    search(a, open_searcher(a, make_embedder=lambda: embedder), "集中培训学时", k=3,
           viewer=wang, via="app")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--index", str(b.index_dir),
                             "--port", str(port)], cwd=ROOT, env=_proc_env(env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "kb serve did not start"
            time.sleep(0.3)
        assert httpx.get(f"{url}/api/search", params={"q": "青年干部"}).status_code == 401
        got = httpx.get(f"{url}/api/search", params={"q": "青年干部社区报到"},
                        auth=("王五", PASSWORD), timeout=60)
        assert got.status_code == 200 and got.json(), got.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    # One log: either machine (and `kb audit` in a process of either) lists both queries.
    for config in (a, b):
        mine = [(e.action, e.detail.get("query"), e.detail.get("via"))
                for e in audit.entries(config, user="王五")]
        assert ("search", "集中培训学时", "app") in mine
        assert ("search", "青年干部社区报到", "api") in mine
    r = _kb(env, "audit", "--user", "王五", "--json", "--index", str(b.index_dir))
    assert r.returncode == 0 and "集中培训学时" in r.stdout and "青年干部社区报到" in r.stdout
    tomorrow = (datetime.now() + timedelta(days=1)).date().isoformat()
    assert audit.entries(b, since=tomorrow) == []
    newest = audit.entries(b, limit=1)
    assert len(newest) == 1 and newest[0] == audit.entries(a)[-1]
    assert not b.deploy.exists()


def test_failed_sign_ins_count_across_machines_and_lock_both(chroma_server, tmp_path):
    from service.accounts import Accounts

    _, (a, b) = _machines(chroma_server, tmp_path, KB_LOGIN_MAX_FAILURES="4")
    Accounts(a).add("张三", PASSWORD, "reader", "公开")
    for config, left in ((a, 3), (b, 2), (a, 1)):
        with pytest.raises(AuthError, match=f"再错 {left} 次"):
            Accounts(config).verify("张三", "wrong-pass-1")
    with pytest.raises(AuthError, match="已被锁定"):
        Accounts(b).verify("张三", "wrong-pass-1")
    for config in (a, b):  # locked everywhere, even for the right password
        with pytest.raises(AuthError, match="锁定"):
            Accounts(config).verify("张三", PASSWORD)
    Accounts(b).passwd("张三", "another-pass-2")  # a new password lifts the lock
    assert Accounts(a).verify("张三", "another-pass-2").name == "张三"

    # Ten failures at once from both machines: none is lost.
    a12, b12 = replace(a, login_max_failures=12), replace(b, login_max_failures=12)

    def fail_twice(config) -> None:
        acc = Accounts(config)
        for _ in range(2):
            with pytest.raises(AuthError):
                acc.verify("张三", "wrong-pass-1")

    threads = [threading.Thread(target=fail_twice, args=(c,)) for c in (a12, b12) * 2 + (a12,)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pytest.raises(AuthError, match="再错 1 次"):
        Accounts(b12).verify("张三", "wrong-pass-1")


def test_a_second_knowledge_base_on_the_server_has_its_own_accounts(chroma_server, tmp_path):
    from service import audit
    from service.accounts import Accounts
    from service.visibility import folder_levels, set_folder_level

    _, (a, b) = _machines(chroma_server, tmp_path)
    other = load_config(_env(chroma_server, _name()), index_dir=tmp_path / "c" / "index")
    Accounts(a).add("张三", PASSWORD, "reader", "公开")
    audit.record(a, "张三", "search", query="第一个知识库")
    set_folder_level(a, [tmp_path / "内部文件"], "内部")
    assert folder_levels(b) == {str(tmp_path / "内部文件"): "内部"}  # the same knowledge base

    assert not Accounts(other).any() and folder_levels(other) == {}
    with pytest.raises(AuthError, match="用户名或密码错误"):
        Accounts(other).verify("张三", PASSWORD)
    Accounts(other).add("张三", "another-pass-2", "admin", "内部")
    assert Accounts(other).verify("张三", "another-pass-2").role == "admin"
    assert Accounts(a).verify("张三", PASSWORD).role == "reader"
    with pytest.raises(AuthError):
        Accounts(a).verify("张三", "another-pass-2")
    assert audit.entries(other) == []
    assert [e.detail["query"] for e in audit.entries(b)] == ["第一个知识库"]


def test_kb_users_migrate_copies_a_machines_old_deploy_sqlite_once(chroma_server, tmp_path):
    from service import audit
    from service.accounts import Accounts
    from service.deployment import local_only_accounts
    from service.visibility import folder_levels, set_folder_level

    folder = tmp_path / "a" / "index"
    embedded = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=folder)
    Accounts(embedded).add("老李", PASSWORD, "admin", "内部")
    audit.record(embedded, "老李", "search", query="旧的记录")
    set_folder_level(embedded, [tmp_path / "内部文件"], "内部")

    env, (shared, _) = _machines(chroma_server, tmp_path)
    assert not Accounts(shared).any() and local_only_accounts(shared) == ["老李"]
    listed = _kb(env, "users", "list", "--index", str(folder))
    assert "kb users migrate" in listed.stderr
    refused = _kb(env, "serve", "--index", str(folder), "--port", "1")
    assert refused.returncode == 2 and "kb users migrate" in refused.stderr

    first = _kb(env, "users", "migrate", "--index", str(folder))
    assert first.returncode == 0 and "1 个账号" in first.stdout, first.stderr
    assert Accounts(shared).verify("老李", PASSWORD).role == "admin"
    assert folder_levels(shared) == {str(tmp_path / "内部文件"): "内部"}
    again = _kb(env, "users", "migrate", "--index", str(folder))
    assert again.returncode == 0 and "已有同名账号" in again.stdout
    old = [e for e in audit.entries(shared, user="老李") if e.detail.get("query") == "旧的记录"]
    assert len(old) == 1  # copied once, however often migrate runs
    assert local_only_accounts(shared) == []


def test_the_app_on_another_machine_signs_in_the_servers_accounts(
        chroma_server, small_corpus, tmp_path, embedder, monkeypatch):
    from service.accounts import Accounts
    from service.wiring import run_ingest
    from tests.test_app_auth import _app, _sign_in, _titles

    env, (a, b) = _machines(chroma_server, tmp_path)
    run_ingest(a, [small_corpus], progress=False, embedder=embedder)
    at = _app(b.index_dir, monkeypatch, **env).run()  # no account anywhere yet
    assert not at.exception, at.exception
    assert _titles(at) == ["登录"]
    assert any("服务器上还没有账号" in w.value for w in at.warning)

    Accounts(a).add("王五", PASSWORD, "reader", "内部")
    at = _app(b.index_dir, monkeypatch, **env).run()
    assert _titles(at) == ["登录"] and not at.warning
    _sign_in(at, "王五", PASSWORD)
    assert _titles(at) == ["问答"]
    assert any("已登录：王五" in c.value for c in at.sidebar.caption)
    assert not b.deploy.exists()
