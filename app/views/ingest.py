"""入库: upload files, ingest them with progress, and see what was added or skipped."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.auth import viewer
from app.resources import cached_embedder, current_config
from app.uploads import (
    ALLOWED_SUFFIXES,
    md_text,
    reason_zh,
    rejection,
    save_upload,
    shown_name,
    upload_dir,
)
from core.errors import KBError
from core.models import LEVELS
from service import audit
from service.uploads import delete_upload
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
           f"文件保存在 `{dest}`（在索引目录之外，重建索引时保留，备份时请一并备份）。"
           f"同名的不同文件各自成为一篇文档；要用新文件替换某篇文档，请在「文档」页面操作。")
files = st.file_uploader("选择要导入的文件", type=[s.lstrip(".") for s in ALLOWED_SUFFIXES],
                         accept_multiple_files=True, max_upload_size=config.max_upload_mb,
                         key="ingest-files")
levels = [lv for lv in LEVELS if viewer().sees(lv)]
default = config.default_visibility if config.default_visibility in levels else levels[0]
level = st.radio("可见级别", levels, index=levels.index(default), horizontal=True,
                 key="ingest-level", help="公开：所有账号可见；内部：只有可见级别为内部的账号可见。"
                 "文件自带的 visibility（可见级别）元数据优先。")

if st.button("开始入库", type="primary", disabled=not files, icon=":material/upload:"):
    rejected: list[tuple[str, str]] = []
    saved: list[Path] = []
    names: dict[str, str] = {}  # kept path -> the name it was uploaded as
    for f in files or []:
        why = rejection(f.name, f.size, config.max_upload_mb)
        if why:
            rejected.append((shown_name(f.name), why))
            continue
        try:
            path = save_upload(config, f.name, f.getvalue())
        except OSError as exc:  # a full disk, a read-only folder: named, not a traceback
            rejected.append((shown_name(f.name), f"无法保存上传文件（{exc.strerror or exc}）"))
            continue
        saved.append(path)
        names[str(path)] = shown_name(f.name)
    report = None
    if saved:
        bar = st.progress(0.0, text=f"正在入库 0/{len(saved)}……")
        waiting = st.empty()

        def on_file(path: str, i: int, n: int) -> None:
            """Advance the progress bar after each file."""
            bar.progress(i / max(n, 1), text=f"正在入库 {i}/{n}：{shown_name(Path(path).name)}")

        def on_page(path: str, done: int, total: int) -> None:
            """A scan being recognised: its pages, within the file's share of the bar."""
            i = saved.index(Path(path)) if Path(path) in saved else 0
            bar.progress((i + done / max(total, 1)) / max(len(saved), 1),
                         text=f"正在识别扫描件 {shown_name(Path(path).name)}：第 {done}/{total} 页")

        try:
            report = run_ingest(config, saved, progress=False, on_file=on_file, on_page=on_page,
                                embedder=cached_embedder(config),
                                on_wait=lambda msg: waiting.info(msg), wait=True,
                                visibility=level, user=viewer())
        except KBError as exc:
            st.error(f"入库失败：{exc}")
            st.stop()
        waiting.empty()
        for path, _ in report.skipped:
            if path in names:  # not ingested: not kept either (the user still has it)
                delete_upload(config, path)
        audit.record(config, viewer(), "upload", files=[names[str(p)] for p in saved],
                     doc_ids=[report.doc_ids[str(p)] for p in saved
                              if str(p) in report.doc_ids],
                     skipped=[names.get(p, p) for p, _ in report.skipped],
                     visibility=level, via="app")
    st.session_state[REPORT_KEY] = (report, rejected, names)
    st.rerun()

if REPORT_KEY in st.session_state:
    report, rejected, names = st.session_state[REPORT_KEY]

    def shown(p: str) -> str:
        return names.get(p) or shown_name(Path(p).name)

    added = report.added if report else []
    updated = report.updated if report else []
    unchanged = report.unchanged if report else 0
    skipped = [(shown(p), reason_zh(r)) for p, r in (report.skipped if report else [])]
    skipped = rejected + skipped
    st.subheader("入库结果")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("新增", len(added))
    c2.metric("更新", len(updated))
    c3.metric("未变化", unchanged)
    c4.metric("跳过", len(skipped))
    if report:
        st.caption(f"新增段落 {report.chunks} 个，用时 {report.seconds:.1f} 秒。")
    for title, paths in (("新增", added), ("更新", updated)):
        if paths:
            st.markdown(f"**{title}：** " + "、".join(md_text(shown(p)) for p in paths))
    if unchanged:
        st.caption(f"{unchanged} 个文件与已入库的文件完全相同，未重复入库。")
    if skipped:
        st.markdown("**跳过的文件及原因：**")
        st.dataframe([{"文件": name, "原因": why} for name, why in skipped],
                     hide_index=True, width="stretch")
    if added or updated:
        st.success("入库完成，新文档现在可以检索和问答。")
