"""引文篮: quotes collected across questions, saved beside the index; several named
baskets; reorder, remove, merge identical references, export (.docx, Markdown)."""

from __future__ import annotations

import streamlit as st

from answer.basket import export_docx, export_markdown
from app import basket
from app.auth import service_viewer, viewer
from app.render import esc, passage
from app.resources import current_config
from service import audit
from service.baskets import SESSION_NAME, named, named_id

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

st.title("引文篮")
folder = basket.saved_folder()
current = basket.current()
saved = named(folder, service_viewer()) if folder else []
options = {b.basket_id: f"{b.name}（{len(b.items)} 条）" for b in saved}
if current.basket_id not in options:
    options = {current.basket_id: f"{SESSION_NAME}（{len(current.items)} 条）", **options}
c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
chosen = c1.selectbox("当前引文篮", list(options), format_func=options.get,
                      index=list(options).index(current.basket_id), key="basket-choose")
if chosen != current.basket_id:
    basket.choose(chosen)
    st.rerun()
with c2.popover("另存为命名引文篮", icon=":material/bookmark_add:"):
    name = st.text_input("名称（如某篇讲话稿）", key="basket-name")
    if st.button("保存并切换", key="basket-save-as", disabled=not name.strip()):
        basket.save_as(name)
        st.rerun()
st.caption("引文篮保存在索引旁的文件夹中，刷新页面或下次打开本页地址仍在；"
           "每篇稿子可用一个命名引文篮。")

items = basket.entries()
if not items:
    st.info("引文篮是空的。在「问答」页的引文下点击“加入引文篮”即可收集引文。")
    st.stop()

st.caption(f"共 {len(items)} 条引文，导出时按下列顺序编号；出处相同的引文共用一个脚注。")
for i, item in enumerate(items):
    c = item.citation
    ident = f"{c.doc_id}-{c.start}-{c.end}"
    with st.container(border=True):
        body, up, down, rm = st.columns([10, 1, 1, 1], vertical_alignment="center")
        with body:
            st.html(f"<b>[{i + 1}]</b>" + passage(esc(c.quote)))
            st.caption(c.reference)
            when = item.added.replace("T", " ")
            meta = " · ".join(x for x in (f"问题：{item.question}" if item.question else "",
                                          f"加入于 {when}" if when else "") if x)
            if meta:
                st.caption(meta)
        up.button("上移", key=f"basket-up-{ident}", disabled=i == 0,
                  on_click=basket.move, args=(i, -1))
        down.button("下移", key=f"basket-down-{ident}", disabled=i == len(items) - 1,
                    on_click=basket.move, args=(i, 1))
        rm.button("移除", key=f"basket-rm-{ident}", on_click=basket.remove, args=(i,))

with_questions = st.checkbox("导出时在引文前注明所答问题", key="basket-with-questions")
ordered = basket.numbered([i.citation for i in items])
notes = [i.question for i in items] if with_questions else []
markdown = export_markdown(ordered)
owner = service_viewer()
stem = (current.name if current.basket_id == named_id(current.name, owner.name if owner else None)
        else "引文汇编")


def _exported(fmt: str) -> None:
    """Who exported which quotes (the audit log); the data was made for the button."""
    audit.record(current_config(), viewer(), "export", what="basket", format=fmt,
                 quotes=[c.reference for c in ordered],
                 doc_ids=list(dict.fromkeys(c.doc_id for c in ordered)), via="app")


c1, c2, c3, c4 = st.columns(4)
c1.download_button("导出 Word（.docx）", data=export_docx(ordered, notes=notes),
                   file_name=f"{stem}.docx", mime=DOCX_MIME, icon=":material/download:",
                   on_click=_exported, args=("docx",))
c2.download_button("导出 Markdown", data=markdown.encode("utf-8"), file_name=f"{stem}.md",
                   mime="text/markdown", icon=":material/download:", on_click=_exported,
                   args=("md",))
c3.button("合并相同出处", on_click=basket.merge, icon=":material/merge:",
          help="把出处相同的引文排在一起（导出时共用一个脚注）")
c4.button("清空引文篮", on_click=basket.clear, icon=":material/delete_sweep:")
with st.expander("Markdown 预览"):
    st.code(markdown, language="markdown", wrap_lines=True)
