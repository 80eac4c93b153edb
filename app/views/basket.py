"""引文篮: quotes collected across questions; reorder, remove, export (.docx, Markdown)."""

from __future__ import annotations

import streamlit as st

from answer.basket import export_docx, export_markdown
from app import basket
from app.render import esc, passage

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

st.title("引文篮")
cits = basket.items()
if not cits:
    st.info("引文篮是空的。在「问答」页的引文下点击“加入引文篮”即可收集引文。")
    st.stop()

st.caption(f"共 {len(cits)} 条引文，导出时按下列顺序编号。")
for i, c in enumerate(cits):
    ident = f"{c.doc_id}-{c.start}-{c.end}"
    with st.container(border=True):
        body, up, down, rm = st.columns([10, 1, 1, 1], vertical_alignment="center")
        with body:
            st.html(f"<b>[{i + 1}]</b>" + passage(esc(c.quote)))
            st.caption(c.reference)
        up.button("上移", key=f"basket-up-{ident}", disabled=i == 0,
                  on_click=basket.move, args=(i, -1))
        down.button("下移", key=f"basket-down-{ident}", disabled=i == len(cits) - 1,
                    on_click=basket.move, args=(i, 1))
        rm.button("移除", key=f"basket-rm-{ident}", on_click=basket.remove, args=(i,))

ordered = basket.numbered(cits)
markdown = export_markdown(ordered)
c1, c2, c3 = st.columns(3)
c1.download_button("导出 Word（.docx）", data=export_docx(ordered), file_name="引文汇编.docx",
                   mime=DOCX_MIME, icon=":material/download:", on_click="ignore")
c2.download_button("导出 Markdown", data=markdown.encode("utf-8"), file_name="引文汇编.md",
                   mime="text/markdown", icon=":material/download:", on_click="ignore")
c3.button("清空引文篮", on_click=basket.clear, icon=":material/delete_sweep:")
with st.expander("Markdown 预览"):
    st.code(markdown, language="markdown", wrap_lines=True)
