"""The 文档 page's management part for one document: its passages and metadata, and
removing or re-ingesting it after a confirmation (service.manage)."""

from __future__ import annotations

import json
from dataclasses import asdict

import streamlit as st

from app.auth import viewer
from app.uploads import md_text
from core.models import Document

DONE_KEY = "docs-managed"


def chunk_rows(searcher, doc_id: str) -> list[dict]:
    """One row per passage of the document, in text order."""
    rows = []
    for c in sorted((c for c in searcher.chunks.values() if c.doc_id == doc_id),
                    key=lambda c: c.start):
        rows.append({"段落编号": c.chunk_id, "层级": c.section_label or "（无）",
                     "页码": "、".join(map(str, c.pages)), "位置": f"{c.start}–{c.end}",
                     "字数": len(c.text), "开头": c.text[:40].replace("\n", " ")})
    return rows


def document_actions(searcher, doc: Document) -> None:
    """Render the expanders for `doc` (called by the 文档 page with one line)."""
    from app.resources import cached_embedder, current_config

    if done := st.session_state.pop(DONE_KEY, None):
        st.success(done)
    rows = chunk_rows(searcher, doc.doc_id)
    with st.expander(f"段落与元数据（{len(rows)} 段）"):
        st.dataframe(rows, hide_index=True)
        meta = {"doc_id": doc.doc_id, "source": doc.source, "content_hash": doc.content_hash,
                **{k: v for k, v in asdict(doc.meta).items() if v is not None}}
        st.code(json.dumps(meta, ensure_ascii=False, indent=1, default=str), language="json")
    with st.expander("删除或重新入库"):
        st.caption("重新入库：重新读取原文件并切分、向量化（原文件须仍在原处）。删除：从索引中"
                   "移除本文档；网页上传的文档连同上传文件一起删除，来自文件夹的文档在再次入库"
                   "该文件夹时会重新加入。")
        sure = st.checkbox(f"确认对《{md_text(doc.title)}》执行操作", key=f"manage-ok-{doc.doc_id}")
        c1, c2 = st.columns(2)
        config = current_config()
        if c1.button("重新入库", key=f"manage-reingest-{doc.doc_id}", disabled=not sure,
                     icon=":material/refresh:"):
            from core.errors import KBError
            from service.manage import reingest

            try:
                with st.spinner("正在重新入库……"):
                    r = reingest(config, doc.doc_id, embedder=cached_embedder(config),
                                 user=viewer())
            except KBError as exc:
                st.error(str(exc))
                return
            skipped = "；".join(reason for _, reason in r.skipped)
            st.session_state[DONE_KEY] = (f"已重新入库，{r.chunks} 段。" if not skipped
                                          else f"未能重新读取：{skipped}")
            st.rerun()
        if c2.button("删除", key=f"manage-remove-{doc.doc_id}", disabled=not sure,
                     type="primary", icon=":material/delete:"):
            from service.manage import remove

            remove(config, [doc.doc_id], user=viewer())
            st.session_state[DONE_KEY] = f"已删除《{doc.title}》。"
            st.query_params.pop("doc", None)
            st.rerun()
