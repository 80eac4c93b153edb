"""文档: browse documents by type; one document's metadata, outline and text.

A citation's "在文档中查看" arrives here with query parameters doc/start/end; the
passage is then highlighted and scrolled into view. An uploaded document can be
replaced by a new file (替换, after a confirmation): the only way an upload replaces
another, since two uploads with the same name are two documents.
"""

from __future__ import annotations

import streamlit as st

from app.auth import viewer, visible
from app.doc_actions import document_actions
from app.render import FOCUS_ID, esc, highlight_span, outline_html, passage, scroll_script
from app.resources import cached_embedder, current_config, require_searcher
from app.uploads import ALLOWED_SUFFIXES, md_text, reason_zh, rejection, shown_name
from app.widgets import type_label
from core.errors import KBError
from core.models import DOC_TYPE_LABELS, Document
from ingest.structure import outline
from service.uploads import is_upload

WHOLE = -1


def _focus(docs: dict[str, Document]) -> tuple[str, int, int] | None:
    """(doc_id, start, end) named by the query parameters, when valid."""
    doc_id = st.query_params.get("doc")
    if not doc_id or doc_id not in docs:
        return None
    try:
        start = int(st.query_params.get("start", "-1"))
        end = int(st.query_params.get("end", "-1"))
    except ValueError:
        return doc_id, -1, -1
    if not 0 <= start < end <= len(docs[doc_id].text):
        return doc_id, -1, -1
    return doc_id, start, end


def _sort_key(doc: Document) -> tuple[str, str]:
    return (doc.meta.date or "0000", doc.title)


def _replace_form(doc: Document, name: str) -> None:
    """替换: upload a new file in place of an uploaded document, after a confirmation."""
    config = current_config()
    with st.expander("替换为新文件"):
        new = st.file_uploader("新文件", type=[s.lstrip(".") for s in ALLOWED_SUFFIXES],
                               key=f"replace-file-{doc.doc_id}",
                               max_upload_size=config.max_upload_mb)
        sure = st.checkbox(f"确认用新文件替换《{md_text(doc.title)}》（{md_text(name)}）；"
                           f"原文件将从知识库和上传文件夹中删除", key=f"replace-ok-{doc.doc_id}")
        if not st.button("替换", key=f"replace-go-{doc.doc_id}", disabled=not (new and sure),
                         icon=":material/swap_horiz:"):
            return
        why = rejection(new.name, new.size, config.max_upload_mb)
        if why:
            st.error(f"{shown_name(new.name)}：{why}")
            return
        from service.documents import replace_upload

        waiting = st.empty()
        try:
            report = replace_upload(config, doc.doc_id, new.name, new.getvalue(),
                                    embedder=cached_embedder(config), user=viewer(),
                                    on_wait=lambda msg: waiting.info(msg))
        except KBError as exc:
            st.error(f"替换失败：{exc}")
            return
        if report.skipped:
            path, reason = report.skipped[0]
            st.error(f"替换失败，原文档保留：{shown_name(new.name)}：{reason_zh(reason)}")
            return
        new_id = next(iter(report.doc_ids.values()), doc.doc_id)
        st.session_state.pop("docs-focus-applied", None)
        st.query_params.clear()
        st.query_params["doc"] = new_id
        st.session_state["docs-replaced"] = shown_name(new.name)
        st.rerun()


st.title("文档")
searcher = require_searcher()
docs = visible(searcher.docs)  # a document above the viewer's level is not listed
labels = searcher.store.docstore.labels()
if replaced := st.session_state.pop("docs-replaced", None):
    st.success(f"已用 {replaced} 替换原文档。")
if not docs:
    st.info("知识库中还没有文档，请先在「入库」页面上传文件。")
    st.stop()

focus = _focus(docs)
if focus and st.session_state.get("docs-focus-applied") != focus:
    st.session_state["docs-type"] = docs[focus[0]].doc_type.value  # a plain str option
    st.session_state["docs-doc"] = focus[0]
    st.session_state[f"docs-section-{focus[0]}"] = WHOLE
    st.session_state["docs-focus-applied"] = focus

counts = {t: sum(d.doc_type == t for d in docs.values()) for t in DOC_TYPE_LABELS}
types = [t for t, n in counts.items() if n]
if st.session_state.get("docs-type") not in types:
    st.session_state["docs-type"] = types[0]
c1, c2 = st.columns([1, 3])
doc_type = c1.selectbox("类型", types, key="docs-type",
                        format_func=lambda t: f"{type_label(t)}（{counts[t]}）")
ids = [d.doc_id for d in sorted((d for d in docs.values() if d.doc_type == doc_type),
                                key=_sort_key, reverse=True)]
if st.session_state.get("docs-doc") not in ids:
    st.session_state["docs-doc"] = ids[0]
doc_id = c2.selectbox("文档", ids, key="docs-doc",
                      format_func=lambda i: docs[i].title
                      + (f"（{docs[i].meta.date}）" if docs[i].meta.date else ""))

with st.expander(f"{type_label(doc_type)}列表（{len(ids)} 篇）"):
    st.dataframe(
        [{"标题": docs[i].title, "文号": docs[i].meta.doc_no or "",
          "日期": docs[i].meta.date or "", "发文机关": docs[i].meta.issuer or ""} for i in ids],
        hide_index=True, width="stretch",
    )

doc = docs[doc_id]
m = doc.meta
v = searcher.status(doc.doc_id)
st.header(md_text(doc.title))
if v is not None and not v.in_force:
    st.warning(f"该文件{v.status}：{v.reason}")
fields = [("类型", type_label(m.doc_type)), ("效力", v.status if v else None),
          ("效力依据", v.reason if v else None), ("文号", m.doc_no), ("日期", m.date),
          ("发文机关", m.issuer), ("讲话人", m.speaker),
          ("期号", f"第{m.issue_no}期" if m.issue_no else None), ("主题", m.theme),
          ("来源文件", labels.get(doc.doc_id) or shown_name(doc.source))]
st.html('<div class="kb-meta" style="line-height:1.8;columns:2">'
        + "".join(f"<div><b>{esc(k)}：</b>{esc(v)}</div>" for k, v in fields if v)
        + "</div>")
st.caption(f"文件位置：{shown_name(doc.source)}")
if v is not None and (v.cites or v.cited_by):
    st.caption("　".join(
        [f"引用：《{docs[d].title}》" for d in v.cites if d in docs]
        + [f"被引用：《{docs[d].title}》" for d in v.cited_by if d in docs]))
if viewer().can("upload") and is_upload(current_config(), doc.source):
    _replace_form(doc, labels.get(doc.doc_id) or shown_name(doc.source))
if viewer().can("remove"):
    document_actions(searcher, doc)

start, end = (focus[1], focus[2]) if focus and focus[0] == doc_id else (-1, -1)
sections = outline(doc.text, doc.doc_type)
left, right = st.columns([1, 3])
with left:
    st.subheader("目录")
    if sections:
        st.html(outline_html((s.level, s.label, s.start <= start < s.end) for s in sections))
    else:
        st.caption("未识别到章节结构")
with right:
    choice = st.selectbox(
        "显示范围", [WHOLE, *range(len(sections))], key=f"docs-section-{doc_id}",
        format_func=lambda i: "全文" if i == WHOLE else
        "　" * (sections[i].level - 1) + sections[i].label,
    )
    lo, hi = (0, len(doc.text)) if choice == WHOLE else (sections[choice].start,
                                                         sections[choice].end)
    if start >= 0:
        st.info("已定位到引用段落（黄色高亮）。")
    text = doc.text[lo:hi]
    inside = 0 <= start and lo <= start and end <= hi
    body = highlight_span(text, start - lo, end - lo, anchor=FOCUS_ID) if inside else esc(text)
    st.html(passage(body, max_height=720))
    if inside:
        st.html(scroll_script(FOCUS_ID), unsafe_allow_javascript=True)
