"""Accounts (issue 15): salted password hashes, sign-in with a per-name lockout, roles,
the `kb users` commands, and accounts that survive rebuilds and repairs."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from cli.main import main
from core.config import load_config
from core.errors import AuthError, KBError, PermissionDenied
from core.models import LOCAL_USER, ROLES, User
from service import audit, deploy_store
from service.accounts import Accounts, require, viewer_filters
from tests.conftest import FAKE_ENV, MEASURE

PASSWORD = "correct-horse-1"


@pytest.fixture()
def accounts(config) -> Accounts:
    return Accounts(config)


def test_add_list_and_verify(accounts):
    assert not accounts.any() and accounts.users() == []
    assert not accounts.config.index_dir.exists()  # asking creates nothing
    accounts.add("张三", PASSWORD, "reader", "公开")
    accounts.add("李四", PASSWORD, "editor", "内部")
    assert accounts.any()
    assert accounts.users() == [User("张三", "reader", "公开"), User("李四", "editor", "内部")]
    assert accounts.verify("张三", PASSWORD) == User("张三", "reader", "公开")
    # A second instance (another process) checks the same store.
    assert Accounts(accounts.config).verify(" 李四 ", PASSWORD).level == "内部"
    with pytest.raises(AuthError, match="用户名或密码错误"):
        accounts.verify("张三", "wrong-password")
    with pytest.raises(AuthError, match="用户名或密码错误"):
        Accounts(accounts.config).verify("王五", PASSWORD)  # unknown: the same message
    with pytest.raises(KBError, match="已存在"):
        accounts.add("张三", PASSWORD, "reader", "公开")


def test_hashes_are_salted_scrypt(accounts):
    accounts.add("a1", PASSWORD, "reader", "公开")
    accounts.add("a2", PASSWORD, "reader", "公开")
    with sqlite3.connect(accounts.config.deploy) as db:
        stored = dict(db.execute("SELECT name, pw_hash FROM users"))
        raw = Path(accounts.config.deploy).read_bytes()
    assert stored["a1"] != stored["a2"]  # per-user random salt
    assert all(h.startswith("scrypt$") for h in stored.values())
    assert PASSWORD not in "".join(stored.values()) and PASSWORD.encode() not in raw


def test_bad_names_passwords_roles_levels(accounts):
    for name, password, role, level, why in [
        ("", PASSWORD, "reader", "公开", "用户名不能为空"),
        ("a:b", PASSWORD, "reader", "公开", "冒号"),
        ("a\nb", PASSWORD, "reader", "公开", "控制字符"),
        ("ok", "short", "reader", "公开", "密码太短"),
        ("ok", PASSWORD, "root", "公开", "角色应为"),
        ("ok", PASSWORD, "reader", "秘密", "可见级别应为"),
    ]:
        with pytest.raises(KBError, match=why):
            accounts.add(name, password, role, level)
    assert not accounts.any()


def test_lockout_after_failures(config):
    cfg = replace(config, login_max_failures=3)
    accounts = Accounts(cfg)
    accounts.add("张三", PASSWORD, "reader", "公开")
    for left in (2, 1):
        with pytest.raises(AuthError, match=f"再错 {left} 次"):
            accounts.verify("张三", "nope-nope")
    with pytest.raises(AuthError, match="已被锁定，请 5 分钟后再试"):
        accounts.verify("张三", "nope-nope")
    # Locked: even the right password is refused, in every process.
    for acc in (accounts, Accounts(cfg)):
        with pytest.raises(AuthError, match="锁定"):
            acc.verify("张三", PASSWORD)
    # The lock ends when its time is over (moved into the past here, not waited for).
    with deploy_store.connect(cfg, write=True) as db:
        db.execute("UPDATE login_failures SET locked_until = 0")
    assert accounts.verify("张三", PASSWORD).name == "张三"
    # Unknown names are counted and locked the same way.
    for _ in range(3):
        with pytest.raises(AuthError):
            accounts.verify("nobody", "x" * 9)
    with pytest.raises(AuthError, match="锁定"):
        accounts.verify("nobody", "x" * 9)


def test_failures_counted_across_threads_and_instances(config):
    """Several server threads / processes failing at once: every failure counts."""
    cfg = replace(config, login_max_failures=12)
    Accounts(cfg).add("张三", PASSWORD, "reader", "公开")
    errors: list[str] = []

    def fail_twice() -> None:
        acc = Accounts(cfg)
        for _ in range(2):
            try:
                acc.verify("张三", "wrong-wrong")
            except AuthError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=fail_twice) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 10
    with sqlite3.connect(cfg.deploy) as db:
        assert db.execute("SELECT failures FROM login_failures").fetchone()[0] == 10


def test_passwd_remove_update(accounts):
    accounts.add("admin", PASSWORD, "admin", "内部")
    accounts.add("张三", PASSWORD, "reader", "公开")
    assert accounts.verify("张三", PASSWORD)  # cached in this process from now on
    accounts.passwd("张三", "another-pass-2")
    with pytest.raises(AuthError):
        accounts.verify("张三", PASSWORD)  # the cache does not outlive a new password
    assert accounts.verify("张三", "another-pass-2").name == "张三"
    with pytest.raises(KBError, match="唯一的管理员"):
        accounts.remove("admin")
    with pytest.raises(KBError, match="唯一的管理员"):
        accounts.update("admin", role="editor")
    assert accounts.update("张三", role="admin", level="内部") == User("张三", "admin", "内部")
    accounts.remove("admin")
    with pytest.raises(AuthError):
        accounts.verify("admin", PASSWORD)
    with pytest.raises(KBError, match="不存在"):
        accounts.passwd("admin", PASSWORD)
    accounts.remove("张三")  # the last account: back to single-user mode
    assert not accounts.any()


def test_roles():
    reader, editor, admin = (User("u", r, "公开") for r in ROLES)
    for action in ("search", "ask", "browse", "export"):
        assert reader.can(action) and editor.can(action) and admin.can(action)
    for action in ("upload", "remove", "edit_issue"):
        assert not reader.can(action) and editor.can(action) and admin.can(action)
    assert not editor.can("manage_users") and admin.can("manage_users")
    assert not User("u", "guest", "内部").can("search")
    assert LOCAL_USER.can("manage_users") and LOCAL_USER.sees("内部")
    assert not reader.sees("内部") and reader.sees("公开") and not reader.sees("绝密")
    with pytest.raises(PermissionDenied, match="账号 u（读者）无权上传入库"):
        require(reader, "upload")
    require(None, "manage_users")  # single-user mode
    assert viewer_filters(reader, None).max_level == "公开"
    assert viewer_filters(None, None).max_level is None
    lowered = viewer_filters(User("x", "reader", "内部"), viewer_filters(reader, None))
    assert lowered.max_level == "公开"  # a restriction is never widened


def test_changes_check_the_role(config, embedder, tmp_path):
    from service.editorial import Workspace
    from service.manage import remove
    from service.planning import new_issue
    from service.wiring import open_searcher, run_ingest

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "banfa.txt").write_text(MEASURE, encoding="utf-8")
    run_ingest(config, [folder], progress=False, embedder=embedder)
    doc_id = next(iter(open_searcher(config, make_embedder=lambda: embedder).docs))
    reader, editor = User("r", "reader", "内部"), User("e", "editor", "内部")
    with pytest.raises(PermissionDenied, match="删除文档"):
        remove(config, [doc_id], user=reader)
    assert doc_id in open_searcher(config, make_embedder=lambda: embedder).docs
    with pytest.raises(PermissionDenied, match="编辑专刊"):
        new_issue(Workspace(config, viewer=reader), "主题", "2025-07")
    assert new_issue(Workspace(config, viewer=editor), "主题", "2025-07").month == "2025-07"
    assert remove(config, [doc_id], user=editor)
    assert doc_id not in open_searcher(config, make_embedder=lambda: embedder).docs


def test_accounts_survive_rebuild_and_repair(config, embedder, small_corpus):
    from service.repair import repair
    from service.wiring import run_ingest

    run_ingest(config, [small_corpus], progress=False, embedder=embedder)
    Accounts(config).add("张三", PASSWORD, "reader", "公开")
    run_ingest(config, [small_corpus], progress=False, embedder=embedder, rebuild=True)
    assert Accounts(config).verify("张三", PASSWORD)
    (config.index_dir / "docstore.sqlite").write_bytes(b"not a database" * 100)
    assert repair(config, embedder=embedder)  # rebuilt from the source files
    assert Accounts(config).verify("张三", PASSWORD)


def _kb(monkeypatch, index: Path, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    return main([*argv, "--index", str(index)])


def test_cli_users(monkeypatch, tmp_path, capsys):
    index = tmp_path / "index"
    assert _kb(monkeypatch, index, "users", "list") == 0
    assert "还没有账号" in capsys.readouterr().out
    assert _kb(monkeypatch, index, "users", "add", "张三", "--role", "editor", "--level", "内部",
               stdin=PASSWORD + "\n") == 0
    out = capsys.readouterr().out
    assert "已添加账号 张三" in out and "第一个账号" in out
    assert _kb(monkeypatch, index, "users", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "张三", "role": "editor", "level": "内部"}]
    assert _kb(monkeypatch, index, "users", "passwd", "张三", stdin="new-password-9\n") == 0
    cfg = load_config(FAKE_ENV, index_dir=index)
    assert Accounts(cfg).verify("张三", "new-password-9").role == "editor"
    assert _kb(monkeypatch, index, "users", "add", "李四", "--role", "reader", "--level",
               "公开", stdin="") == 2
    assert "没有读到密码" in capsys.readouterr().err
    assert _kb(monkeypatch, index, "users", "set", "张三", "--role", "admin") == 0
    assert _kb(monkeypatch, index, "users", "remove", "张三") == 0
    assert "单用户模式" in capsys.readouterr().out
    ops = [e.detail["op"] for e in audit.entries(cfg, action="users")]
    assert ops == ["add", "passwd", "set", "remove"]


def test_password_twice_on_a_terminal(monkeypatch):
    from cli import users

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["secret-pass-1", "secret-pass-1", "secret-pass-1", "other-pass-2"])
    monkeypatch.setattr(users.getpass, "getpass", lambda prompt="": next(answers))
    assert users.read_password(Tty()) == "secret-pass-1"
    with pytest.raises(KBError, match="两次输入的密码不一致"):
        users.read_password(Tty())


def test_single_user_only_for_a_local_knowledge_base(config, tmp_path, embedder):
    from dataclasses import replace as dc_replace

    from service.wiring import run_ingest

    assert Accounts(config).single_user()
    shared = dc_replace(config, chroma=dc_replace(config.chroma, host="127.0.0.1"))
    assert not Accounts(shared).single_user()  # a shared knowledge base never runs open
    Accounts(config).add("张三", PASSWORD, "reader", "公开")
    assert not Accounts(config).single_user()
    with pytest.raises(PermissionDenied, match="上传入库"):
        run_ingest(config, [tmp_path], progress=False, embedder=embedder,
                   user=User("张三", "reader", "公开"))


def test_a_damaged_store_is_one_chinese_line(config):
    from core.errors import StoreDamagedError

    config.index_dir.mkdir(parents=True)
    config.deploy.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StoreDamagedError, match="账号与审计文件 .* 无法使用"):
        Accounts(config).any()
    with pytest.raises(StoreDamagedError, match="改名后重新添加账号"):
        Accounts(config).add("张三", PASSWORD, "reader", "公开")
