"""检索: ranked passages with filters and the matched terms highlighted."""

from __future__ import annotations

import streamlit as st

from app.render import highlight_terms, passage
from app.resources import require_searcher
from app.widgets import filter_controls, open_in_documents, status_badge, type_label

RESULT_KEY = "search_result"
MODES = {"hybrid": "混合（关键词 + 语义）", "bm25": "关键词", "vector": "语义"}

st.title("检索")
searcher = require_searcher()

with st.form("search-form"):
    query = st.text_input("检索词", key="search-query", placeholder="例如：青年干部 社区报到")
    filters = filter_controls(searcher.docs, "search")
    c1, c2 = st.columns([3, 1])
    mode = c1.radio("检索方式", list(MODES), format_func=MODES.get, horizontal=True,
                    key="search-mode")
    k = c2.number_input("结果数", min_value=1, max_value=50, value=10, key="search-k")
    submitted = st.form_submit_button("检索", type="primary", icon=":material/search:")

if submitted:
    if query.strip():
        hits = searcher.search(query, k=int(k), mode=mode, filters=filters)
        st.session_state[RESULT_KEY] = (query, hits)
    else:
        st.warning("请输入检索词。")

if RESULT_KEY in st.session_state:
    query, hits = st.session_state[RESULT_KEY]
    if not hits:
        st.info("没有找到匹配的段落，请换个说法或放宽筛选条件。")
    else:
        st.caption(f"“{query}”共 {len(hits)} 条结果")
    for hit in hits:
        c = hit.chunk
        doc = searcher.docs.get(c.doc_id)
        with st.container(border=True):
            v = searcher.status(c.doc_id)
            badge = status_badge(v.status if v else None)
            st.markdown(f"**{hit.rank}. {badge}{c.title}**")
            info = [type_label(c.doc_type)]
            if v is not None and v.status:
                info.append(v.status + (f"（被{v.superseded_label}替代）"
                                        if v.superseded_label and not v.in_force else ""))
            if c.section:
                info.append(c.section_label)
            if c.pages:
                info.append("第" + "、".join(str(p) for p in c.pages) + "页")
            if doc is not None and doc.meta.date:
                info.append(doc.meta.date)
            info.append(f"得分 {hit.score:.4f}")
            st.caption(" · ".join(info))
            st.html(passage(highlight_terms(c.text, hit.matched_terms)))
            if hit.matched_terms:
                st.caption("匹配词：" + "、".join(hit.matched_terms))
            if st.button("在文档中查看", key=f"search-open-{hit.rank}",
                         icon=":material/description:"):
                open_in_documents(c.doc_id, c.start, c.end)
