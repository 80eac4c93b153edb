"""The ingest under way (a `make run` first ingest, a CLI ingest, an upload elsewhere),
shown in the sidebar; pages reload when the index's generation changes meanwhile."""

from __future__ import annotations

import streamlit as st

from index.lock import generation, writer_active
from service import progress

SEEN_KEY = "progress-generation"


def progress_lines(p: progress.Progress) -> list[str]:
    """The sidebar's lines for an ingest under way (Chinese)."""
    lines = [f"正在入库：已读取文件 {p.files_read}/{p.files_total}，"
             f"可检索的文档 {max(p.docs_searchable, p.docs_embedded)} 篇"]
    if p.passages_total:
        lines.append(f"向量化 {p.passages_embedded}/{p.passages_total} 段"
                     f"（文档 {p.docs_embedded} 篇完成），剩余 {progress.eta_text(p.eta_seconds)}")
    if 0 < p.ocr_done < p.ocr_total:  # a scan being recognised page by page
        name = p.ocr_file.replace("\\", "/").rsplit("/", 1)[-1]
        lines.append(f"正在识别扫描件《{name}》：第 {p.ocr_done}/{p.ocr_total} 页")
    lines.append("混合检索暂时只用已向量化的段落；其余段落先按关键词检索。")
    return lines


def _render(index_dir) -> None:
    if not writer_active(index_dir):
        return
    p = progress.read(index_dir)
    if p is None:
        st.caption("正在写入索引……")
        return
    st.progress(p.passages_embedded / p.passages_total if p.passages_total else 0.0)
    for line in progress_lines(p):
        st.caption(line)


def ingest_status() -> None:
    """In the sidebar: progress while a writer works, polled every few seconds; when the
    generation changes (documents became searchable, the ingest ended) the page reruns."""
    from app.resources import current_config

    try:
        index_dir = current_config().index_dir
    except Exception:  # a bad setting is reported by the page itself
        return

    # Poll while a writer works, and while there is no index yet (the first ingest of
    # `make run` may start a moment after the page).
    waiting = writer_active(index_dir) or generation(index_dir) is None

    @st.fragment(run_every=3 if waiting else None)
    def poll() -> None:
        token = generation(index_dir)
        ss = st.session_state
        if ss.get(SEEN_KEY, token) != token:
            ss[SEEN_KEY] = token
            st.rerun(scope="app")
        ss[SEEN_KEY] = token
        _render(index_dir)

    with st.sidebar:
        poll()
