"""Who is using the app: single-user mode, a local account, or an OIDC identity.

- No account in the knowledge base (a fresh `make run`): single-user mode, everyone who
  can open the page is LOCAL_USER (admin, 内部); the sidebar says so.
- Once the first account exists (`kb users add`), every page needs a sign-in: a form
  (用户名, 密码, 登录) checked by `service.accounts.Accounts.verify` (salted hashes, rate
  limited), or `st.login` when an OIDC provider is configured in .streamlit/secrets.toml
  ([auth]). An OIDC identity is the account of the same name (preferred_username, else
  email); without one it reads as a reader at 公开.
- A sign-in lasts `Config.session_minutes` (KB_SESSION_MINUTES, default 480); signing
  out or expiry clears everything the session held (answers, results, the quote basket).
The pages ask `viewer()` for the user (service.queries scopes what it may read) and
`service_viewer()` for service calls that keep their pre-account behaviour for None.
"""

from __future__ import annotations

import importlib.util
import time

import streamlit as st

from core.config import Config
from core.errors import AuthError
from core.models import LOCAL_USER, ROLE_LABELS, User
from service import audit
from service.accounts import Accounts

SESSION_KEY = "kb-auth"  # (User, signed-in time.time(), "local" | "oidc")
VIEWER_KEY = "kb-viewer"  # the user of the current run, set by streamlit_app.py
EXPIRED_KEY = "kb-auth-expired"
OIDC_ERROR_KEY = "kb-oidc-error"
SINGLE_USER_TEXT = ("单用户模式：尚未设置账号，任何能打开本页的人都可查看全部文档；"
                    "用 kb users add 创建账号后需登录")


@st.cache_resource(show_spinner=False)
def _accounts(key: str, _config: Config) -> Accounts:
    """One Accounts per knowledge base and process (`key`: its deploy file)."""
    return Accounts(_config)


def accounts(config: Config) -> Accounts:
    return _accounts(str(config.deploy), config)


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (st.login can be offered)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one that does not parse: no OIDC
        return False


def _clear_session() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def _oidc_identity() -> str | None:
    for claim in ("preferred_username", "email", "name"):
        value = st.user.get(claim)
        if value:
            return str(value)
    return None


def _oidc_user(config: Config) -> User | None:
    name = _oidc_identity()
    if not name:
        return None
    return accounts(config).get(name) or User(name, "reader", "公开")


def current_user(config: Config) -> User | None:
    """The user of this session: LOCAL_USER in single-user mode, the signed-in account,
    or None when a sign-in is needed."""
    accts = accounts(config)
    if accts.single_user():  # no account, and the knowledge base is this machine's own
        return LOCAL_USER
    state = st.session_state.get(SESSION_KEY)
    if state is not None:
        user, since, kind = state
        if time.time() - since > config.session_minutes * 60:
            _clear_session()
            st.session_state[EXPIRED_KEY] = True
            if kind == "oidc" and _logged_in_oidc():
                st.logout()  # else the identity cookie signs the user straight back in
            return None
        fresh = accts.get(user.name)  # a changed role or level counts at once
        if fresh is None and kind == "local":  # the account was removed meanwhile
            _clear_session()
            return None
        return fresh or User(user.name, "reader", "公开")  # OIDC without an account
    if oidc_configured() and _logged_in_oidc():
        user = _oidc_user(config)
        if user is not None:
            st.session_state[SESSION_KEY] = (user, time.time(), "oidc")
            audit.record(config, user, "login", via="oidc")
            return user
    return None


def _logged_in_oidc() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # no auth configured: st.user has no identity
        return False


def viewer() -> User:
    """The user of the current page run (streamlit_app.py sets it before the page)."""
    return st.session_state.get(VIEWER_KEY) or LOCAL_USER


def service_viewer() -> User | None:
    """The viewer to hand to service calls: None single-user (everything, as before
    accounts existed; baskets stay ownerless), else the signed-in user."""
    user = viewer()
    return None if user == LOCAL_USER else user


def levels() -> dict[str, str]:
    """doc_id -> visibility of the loaded index (for baskets: quotes above the level)."""
    from app.resources import cached_searcher_or_none, current_config

    s = cached_searcher_or_none(current_config())
    return {} if s is None else {d: doc.visibility for d, doc in s.docs.items()}


def visible(docs: dict) -> dict:
    """The documents (doc_id -> Document) the viewer may read."""
    user = viewer()
    return {d: doc for d, doc in docs.items() if user.sees(doc.visibility)}


def _oidc_login() -> None:
    if importlib.util.find_spec("authlib") is None:
        st.session_state[OIDC_ERROR_KEY] = ("统一身份认证需要 Authlib：请运行 "
                                            "pip install 'Authlib>=1.3.2' 后重启应用")
        return
    st.login()


def sign_in_page() -> None:
    """The only page before sign-in: no document, title or count is shown."""
    from app.resources import current_config

    config = current_config()
    st.title("登录")
    st.caption("机关党建知识库需要登录后使用。")
    if not accounts(config).any():  # a knowledge base shared on a Chroma server
        st.warning("本知识库在 Chroma 服务上与其他机器共享，不能不登录使用；服务器上还没有账号，"
                   "请在任一台共用它的机器上运行 kb users add 用户名 --role admin --level 内部 "
                   "添加账号（以前保存在本机 deploy.sqlite 中的账号用 kb users migrate 复制）。")
    if st.session_state.pop(EXPIRED_KEY, False):
        st.info(f"登录已超过 {config.session_minutes} 分钟，已自动退出，请重新登录。")
    with st.form("login-form"):
        name = st.text_input("用户名", key="login-name")
        password = st.text_input("密码", type="password", key="login-password")
        submitted = st.form_submit_button("登录", type="primary", icon=":material/login:")
    if submitted:
        try:
            user = accounts(config).verify(name, password)
        except AuthError as exc:
            audit.record(config, name.strip() or "（空）", "login_failed", via="app")
            st.error(str(exc))
        else:
            _clear_session()  # nothing of a previous visitor stays
            st.session_state[SESSION_KEY] = (user, time.time(), "local")
            audit.record(config, user, "login", via="app")
            st.rerun()
    if oidc_configured():
        st.divider()
        st.button("使用统一身份认证登录", on_click=_oidc_login, icon=":material/badge:")
        if msg := st.session_state.pop(OIDC_ERROR_KEY, None):
            st.error(msg)


def sidebar_user(user: User) -> None:
    """Who is signed in and a sign-out button; the single-user notice otherwise."""
    with st.sidebar:
        if user == LOCAL_USER:
            st.info(SINGLE_USER_TEXT)
            return
        st.caption(f"已登录：{user.name}（{ROLE_LABELS.get(user.role, user.role)} · "
                   f"可见级别 {user.level}）")
        if st.button("退出登录", key="kb-sign-out", icon=":material/logout:"):
            kind = (st.session_state.get(SESSION_KEY) or (None, 0, "local"))[2]
            _clear_session()
            if kind == "oidc" and _logged_in_oidc():
                st.logout()
            st.rerun()
