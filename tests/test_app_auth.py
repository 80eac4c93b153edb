"""Sign-in, roles and visibility in the Streamlit app (streamlit.testing's AppTest on a
real small index), plus the sign-in form in a real browser."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.appdocs import POLICY_TITLE, QUESTION, QUOTE_PART, write_docs

pytestmark = pytest.mark.slow  # real app sessions and stores on disk

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
TIMEOUT = 120

st_testing = pytest.importorskip("streamlit.testing.v1")

SECRET_TITLE = "关于机要文件保管工作的内部通知"
SECRET_SENTENCE = "机要文件一律存放在三号保密柜，钥匙由机要员专人保管。"
SECRET = f"---\n可见级别: 内部\n---\n{SECRET_TITLE}\n\n各处室：\n\n{SECRET_SENTENCE}\n"
MARKUP_TITLE = "关于*强调*与_下划线_的通知"
MARKUP = f"{MARKUP_TITLE}\n\n各支部开展读书分享会，交流学习体会。\n"
PW = {"gk": "gongkai-pass-1", "nb": "neibu-pass-1", "ed": "editor-pass-1"}


def _build(root: Path, embedder) -> Path:
    from core.config import load_config
    from service.wiring import run_ingest

    docs = write_docs(root / "docs")
    (docs / "neibu.txt").write_text(SECRET, encoding="utf-8")
    (docs / "markup.txt").write_text(MARKUP, encoding="utf-8")
    index = root / "index"
    run_ingest(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index), [docs],
               progress=False, embedder=embedder)
    return index


@pytest.fixture(scope="module")
def single_index(tmp_path_factory, embedder) -> Path:
    return _build(tmp_path_factory.mktemp("single"), embedder)


@pytest.fixture(scope="module")
def multi_index(tmp_path_factory, embedder) -> Path:
    from core.config import load_config
    from service.accounts import Accounts

    index = _build(tmp_path_factory.mktemp("multi"), embedder)
    accounts = Accounts(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index))
    accounts.add("gk", PW["gk"], "reader", "公开")
    accounts.add("nb", PW["nb"], "reader", "内部")
    accounts.add("ed", PW["ed"], "editor", "内部")
    return index


def _app(index: Path, monkeypatch, **env):
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    return at


def _text(at) -> str:
    """Everything the page shows as text (elements, labels, sidebar)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "code", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [h.proto.body for h in at.html]
    parts += [e.label for e in at.expander]
    for kind in ("selectbox", "multiselect", "text_input", "button"):
        for e in getattr(at, kind):
            parts.append(e.label)
            parts += [str(o) for o in getattr(e, "options", [])]
    return "\n".join(parts)


def _sign_in(at, name: str, password: str | None = None):
    at.text_input(key="login-name").input(name)
    at.text_input(key="login-password").input(PW.get(name, "") if password is None
                                              else password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _ask(at, question: str):
    at.text_input(key="ask-question").input(question)
    at.button[[b.label for b in at.button].index("提问")].click().run()
    assert not at.exception, at.exception
    return at


def _titles(at) -> list[str]:
    return [t.value for t in at.title]


# -- single-user mode -------------------------------------------------------------------


def test_without_accounts_the_app_runs_single_user_and_says_so(single_index, monkeypatch):
    at = _app(single_index, monkeypatch).run()
    assert not at.exception, at.exception
    assert any("单用户模式" in i.value and "kb users add" in i.value for i in at.sidebar.info)
    assert _titles(at) == ["问答"]
    at.switch_page("views/ingest.py").run()
    assert _titles(at) == ["入库"]  # the local user may upload


# -- sign-in ----------------------------------------------------------------------------


def test_with_accounts_only_the_sign_in_form_is_shown(multi_index, monkeypatch):
    at = _app(multi_index, monkeypatch).run()
    assert not at.exception, at.exception
    assert _titles(at) == ["登录"]
    labels = [t.label for t in at.text_input]
    assert labels == ["用户名", "密码"] and [b.label for b in at.button] == ["登录"]
    shown = _text(at)
    for text in (POLICY_TITLE, QUOTE_PART, SECRET_TITLE, SECRET_SENTENCE, "文档", "段落"):
        assert text not in shown, text
    for page in ("views/documents.py", "views/search.py", "views/ingest.py"):
        with pytest.raises(ValueError, match="Known pages: \\['登录'\\]"):
            at.switch_page(page)  # not even registered before sign-in


def test_a_wrong_password_is_refused_rate_limited_and_audited(multi_index, monkeypatch):
    from core.config import load_config
    from service import audit

    at = _app(multi_index, monkeypatch).run()
    _sign_in(at, "gk", "wrong-password")
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert _titles(at) == ["登录"]
    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=multi_index)
    assert any(e.action == "login_failed" and e.user == "gk"
               for e in audit.entries(config, user="gk"))


def test_a_public_reader_sees_no_internal_document(multi_index, monkeypatch):
    at = _app(multi_index, monkeypatch).run()
    _sign_in(at, "gk")
    assert _titles(at) == ["问答"]
    assert any("已登录：gk" in c.value for c in at.sidebar.caption)
    _ask(at, "机要文件存放在哪里？")
    assert SECRET_SENTENCE not in _text(at) and "保密柜" not in _text(at)
    _ask(at, QUESTION)
    assert QUOTE_PART in _text(at)
    at.switch_page("views/search.py").run()
    at.text_input(key="search-query").input("机要文件 保密柜")
    at.button[[b.label for b in at.button].index("检索")].click().run()
    assert not at.exception, at.exception
    assert SECRET_TITLE not in _text(at) and "机要" not in _text(at).replace("机要文件 保密柜", "")
    at.switch_page("views/documents.py").run()
    assert not at.exception, at.exception
    assert SECRET_TITLE not in _text(at)
    assert not [e for e in at.expander if "删除或重新入库" in e.label]  # readers do not manage
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/ingest.py")  # no 入库 page for a reader
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/editorial.py")


def test_an_internal_reader_and_an_editor(multi_index, monkeypatch):
    from core.config import load_config
    from service import audit

    at = _app(multi_index, monkeypatch).run()
    _sign_in(at, "nb")
    _ask(at, "机要文件存放在哪里？")
    assert "三号保密柜" in _text(at)
    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=multi_index)
    assert any(e.action == "ask" and e.detail.get("query") == "机要文件存放在哪里？"
               for e in audit.entries(config, user="nb"))
    at = _app(multi_index, monkeypatch).run()
    _sign_in(at, "ed")
    at.switch_page("views/ingest.py").run()
    assert _titles(at) == ["入库"]


def test_sign_out_and_expiry_clear_the_session(multi_index, monkeypatch):
    at = _app(multi_index, monkeypatch).run()
    _sign_in(at, "nb")
    _ask(at, "机要文件存放在哪里？")
    at.sidebar.button(key="kb-sign-out").click().run()
    assert _titles(at) == ["登录"] and "三号保密柜" not in _text(at)
    assert "ask_result" not in at.session_state

    _sign_in(at, "nb")
    user, _since, kind = at.session_state["kb-auth"]
    at.session_state["kb-auth"] = (user, time.time() - 481 * 60, kind)  # default: 480 min
    at.run()
    assert _titles(at) == ["登录"]
    assert any("重新登录" in i.value for i in at.info)


def test_oidc_sign_in_is_offered_when_configured(multi_index, monkeypatch):
    at = _app(multi_index, monkeypatch)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "kb",
                          "client_secret": "s", "server_metadata_url":
                          "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.run()
    assert not at.exception, at.exception
    assert "使用统一身份认证登录" in [b.label for b in at.button]


OIDC_SECRETS = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "kb", "client_secret": "s",
                "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


@pytest.mark.parametrize(("identity", "sees_secret", "label"),
                         [({"preferred_username": "nb"}, True,
                           "已登录：nb（读者 · 可见级别 内部）"),
                          ({"email": "visitor@example.gov.cn"}, False,
                           "已登录：visitor@example.gov.cn（读者 · 可见级别 公开）")])
def test_an_oidc_identity_maps_to_the_account_of_that_name(multi_index, monkeypatch, identity,
                                                          sees_secret, label):
    at = _app(multi_index, monkeypatch)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = {"is_logged_in": True, **identity}
    at.run()
    assert not at.exception, at.exception
    assert _titles(at) == ["问答"]
    assert label in [c.value for c in at.sidebar.caption]
    _ask(at, "机要文件存放在哪里？")
    assert ("三号保密柜" in _text(at)) is sees_secret


def test_titles_with_markup_are_shown_as_text(single_index, monkeypatch):
    at = _app(single_index, monkeypatch).run()
    at.switch_page("views/search.py").run()
    at.text_input(key="search-query").input("读书分享会 交流学习体会")
    at.button[[b.label for b in at.button].index("检索")].click().run()
    assert not at.exception, at.exception
    bold = [m.value for m in at.markdown if "强调" in m.value]
    assert bold and all("\\*强调\\*" in v and "\\_下划线\\_" in v for v in bold), bold


# -- a real browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_browser_without_sign_in_shows_the_form_and_no_document_text(multi_index, tmp_path):
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _need_chromium, _serve

    _need_chromium()
    gen = _serve(tmp_path, multi_index)
    url = next(gen)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 900},
                                        locale="zh-CN")
                for path in ("", "/documents", "/search"):
                    page.goto(f"{url}{path}", wait_until="domcontentloaded")
                    page.get_by_label("用户名").wait_for(timeout=60_000)
                    assert page.get_by_label("密码").is_visible()
                    assert page.get_by_role("button", name="登录").is_visible()
                    page.wait_for_timeout(500)
                    body = page.locator("body").inner_text()
                    for text in (POLICY_TITLE, QUOTE_PART, SECRET_TITLE, SECRET_SENTENCE):
                        assert text not in body, (path, text)
                # (an unknown address shows Streamlit's "page not found" dialog over it)
                page.goto(url, wait_until="domcontentloaded")
                page.get_by_label("用户名").wait_for(timeout=60_000)
                page.get_by_label("用户名").fill("nb")
                page.get_by_label("密码").fill(PW["nb"])
                page.get_by_role("button", name="登录").click()
                page.get_by_label("问题").wait_for(timeout=60_000)
                shot = ROOT / "artifacts" / "screenshots" / "sign_in.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot))
            finally:
                browser.close()
    finally:
        gen.close()


def test_a_basket_of_internal_quotes_shows_nothing_to_a_public_reader(multi_index, monkeypatch):
    at = _app(multi_index, monkeypatch).run()
    _sign_in(at, "nb")
    _ask(at, "机要文件存放在哪里？")
    at.button(key="ask-cit-1-add").click().run()
    assert not at.exception, at.exception
    basket_id = at.session_state["basket-id"]
    other = _app(multi_index, monkeypatch)
    other.query_params["basket"] = basket_id  # the address of nb's basket
    other.run()
    _sign_in(other, "gk")
    other.switch_page("views/basket.py").run()
    assert not other.exception, other.exception
    assert "保密柜" not in _text(other) and SECRET_TITLE not in _text(other)
    assert other.session_state["basket-id"] != basket_id  # gk got a basket of its own


def test_a_failing_page_shows_one_chinese_line(single_index, monkeypatch):
    from service import queries

    def boom(*args, **kwargs):
        raise RuntimeError(f"internal detail {single_index}")

    monkeypatch.setattr(queries, "ask", boom)
    at = _app(single_index, monkeypatch).run()
    _ask(at, QUESTION)
    errors = [e.value for e in at.error]
    assert errors and "页面出错了" in errors[0]
    assert "internal detail" not in _text(at) and "RuntimeError" not in _text(at)


def _listening(pid: int) -> set[str]:
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {c.laddr.ip for p in procs for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN}


def test_streamlit_run_without_flags_listens_on_localhost_only(single_index, tmp_path,
                                                               monkeypatch):
    """`.streamlit/config.toml` binds 127.0.0.1 however the app is started (from the
    project folder) and hides error details."""
    import os
    import subprocess
    import sys
    import urllib.request

    from tests.test_browser import _free_port

    port = _free_port()
    env = {**os.environ, "KB_INDEX": str(single_index), "KB_EMBED_MODEL": "hash"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port)]
    log = tmp_path / "st.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log.read_text()[-2000:]
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                                timeout=2):
                        break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()[-2000:]
                    time.sleep(0.5)
            assert _listening(proc.pid) == {"127.0.0.1"}
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    from streamlit import config

    monkeypatch.chdir(ROOT)  # the project's config file, as `streamlit run` reads it
    config.get_config_options(force_reparse=True)
    assert config.get_option("server.address") == "127.0.0.1"
    assert config.get_option("client.showErrorDetails") in (False, "none")
