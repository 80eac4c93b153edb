"""Entry point of the 机关党建知识库 web app: `streamlit run app/streamlit_app.py`.

The index named by KB_INDEX (default .kb/index, as for the CLI) is opened once per
process; pages live in app/views/ and only render.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never let a model lookup reach the network
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` only puts app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app.progress import ingest_status  # noqa: E402
from app.widgets import sidebar_status  # noqa: E402

st.set_page_config(page_title="机关党建知识库", page_icon="📚", layout="wide")

pages = [
    st.Page("views/ask.py", title="问答", icon=":material/question_answer:", default=True),
    st.Page("views/search.py", title="检索", icon=":material/search:"),
    st.Page("views/documents.py", title="文档", icon=":material/description:"),
    st.Page("views/basket.py", title="引文篮", icon=":material/format_quote:"),
    st.Page("views/ingest.py", title="入库", icon=":material/upload_file:"),
    st.Page("views/editorial.py", title="专刊编辑", icon=":material/auto_stories:"),
]
nav = st.navigation(pages)
with st.sidebar:
    st.markdown("**机关党建知识库**")
sidebar_status()
ingest_status()
nav.run()
