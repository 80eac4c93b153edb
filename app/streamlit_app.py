"""Entry point of the 机关党建知识库 web app: `streamlit run app/streamlit_app.py`.

The index named by KB_INDEX (default .kb/index, as for the CLI) is opened once per
process; pages live in app/views/ and only render. Once an account exists, nothing but
the sign-in page is reachable before sign-in (app/auth.py); the 入库 and 专刊编辑 pages
are offered to editors only. A page that fails shows one Chinese line, never a
traceback (the details go to the server log).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never let a model lookup reach the network
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` only puts app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import auth  # noqa: E402
from app.progress import ingest_status  # noqa: E402
from app.resources import current_config  # noqa: E402
from app.widgets import sidebar_status  # noqa: E402
from core.errors import KBError  # noqa: E402

PAGE_ERROR = ("页面出错了，请刷新页面重试；问题持续出现请联系管理员（详细信息已记入服务日志）。")
log = logging.getLogger("kb.app")

st.set_page_config(page_title="机关党建知识库", page_icon="📚", layout="wide")


def run_safely(nav) -> None:
    """Run the page; an unexpected error is one Chinese line (st.stop/st.rerun pass)."""
    try:
        nav.run()
    except KBError as exc:
        st.error(str(exc))
    except Exception:
        log.exception("page failed")
        st.error(PAGE_ERROR)


try:
    config = current_config()
except KBError as exc:
    st.error(f"配置有误：{exc}")
    st.stop()

user = auth.current_user(config)
with st.sidebar:
    st.markdown("**机关党建知识库**")
if user is None:
    st.session_state.pop(auth.VIEWER_KEY, None)
    run_safely(st.navigation([st.Page(auth.sign_in_page, title="登录", icon=":material/login:",
                                      default=True)], position="hidden"))
    st.stop()

st.session_state[auth.VIEWER_KEY] = user
pages = [
    st.Page("views/ask.py", title="问答", icon=":material/question_answer:", default=True),
    st.Page("views/search.py", title="检索", icon=":material/search:"),
    st.Page("views/documents.py", title="文档", icon=":material/description:"),
    st.Page("views/basket.py", title="引文篮", icon=":material/format_quote:"),
]
if user.can("upload"):
    pages.append(st.Page("views/ingest.py", title="入库", icon=":material/upload_file:"))
if user.can("edit_issue"):
    pages.append(st.Page("views/editorial.py", title="专刊编辑", icon=":material/auto_stories:"))
nav = st.navigation(pages)
auth.sidebar_user(user)
sidebar_status()
ingest_status()
run_safely(nav)
