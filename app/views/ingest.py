"""入库: upload files, ingest them with progress, and see what was added or skipped."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.resources import cached_searcher_or_none, current_config, reset_searcher
from app.uploads import ALLOWED_SUFFIXES, reason_zh, rejection, save_upload, upload_dir
from core.errors import KBError
from service.wiring import run_ingest

REPORT_KEY = "ingest_report"

st.title("入库")
try:
    config = current_config()
except KBError as exc:
    st.error(f"配置有误：{exc}")
    st.stop()

dest = upload_dir(config)
st.caption(f"支持 {' '.join(ALLOWED_SUFFIXES)} 文件，单个文件不超过 {config.max_upload_mb} MB；"
           f"文件保存到 `{dest}`，同名文件再次上传会更新原有内容。")
files = st.file_uploader("选择要导入的文件", type=[s.lstrip(".") for s in ALLOWED_SUFFIXES],
                         accept_multiple_files=True, max_upload_size=config.max_upload_mb,
                         key="ingest-files")

if st.button("开始入库", type="primary", disabled=not files, icon=":material/upload:"):
    rejected: list[tuple[str, str]] = []
    saved: list[Path] = []
    for f in files or []:
        why = rejection(f.name, f.size, config.max_upload_mb)
        if why:
            rejected.append((f.name, why))
        else:
            saved.append(save_upload(f.name, f.getvalue(), dest))
    report = None
    if saved:
        bar = st.progress(0.0, text=f"正在入库 0/{len(saved)}……")

        def on_file(path: str, i: int, n: int) -> None:
            """Advance the progress bar after each file."""
            bar.progress(i / max(n, 1), text=f"正在入库 {i}/{n}：{Path(path).name}")

        searcher = cached_searcher_or_none(config)
        try:
            report = run_ingest(config, saved, progress=False, on_file=on_file,
                                embedder=searcher.embedder if searcher else None)
        except KBError as exc:
            st.error(f"入库失败：{exc}")
            st.stop()
        finally:
            reset_searcher()  # the next page run reopens the index with the new documents
    st.session_state[REPORT_KEY] = (report, rejected)
    st.rerun()

if REPORT_KEY in st.session_state:
    report, rejected = st.session_state[REPORT_KEY]
    added = report.added if report else []
    updated = report.updated if report else []
    unchanged = report.unchanged if report else 0
    skipped = [(Path(p).name, reason_zh(r)) for p, r in (report.skipped if report else [])]
    skipped = rejected + skipped
    st.subheader("入库结果")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("新增", len(added))
    c2.metric("更新", len(updated))
    c3.metric("未变化", unchanged)
    c4.metric("跳过", len(skipped))
    if report:
        st.caption(f"新增段落 {report.chunks} 个，用时 {report.seconds:.1f} 秒。")
    for title, names in (("新增", added), ("更新", updated)):
        if names:
            st.markdown(f"**{title}：** " + "、".join(Path(p).name for p in names))
    if skipped:
        st.markdown("**跳过的文件及原因：**")
        st.dataframe([{"文件": name, "原因": why} for name, why in skipped],
                     hide_index=True, width="stretch")
    if added or updated:
        st.success("入库完成，新文档现在可以检索和问答。")
