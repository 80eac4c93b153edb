"""检索: passages grouped by document, a snippet around the best match (the whole passage
on demand), meaningful matches highlighted, and 未找到相关内容 below the relevance floor."""

from __future__ import annotations

import streamlit as st

from app.auth import viewer, visible
from app.render import highlight_terms, passage, snippet_html
from app.resources import current_config, require_searcher
from app.uploads import md_text
from app.widgets import filter_controls, open_in_documents, status_badge, type_label
from core.text.highlight import meaningful_terms
from service import audit, queries
from service.accounts import viewer_filters
from service.progress import partial_note
from service.relevance import NOT_FOUND, is_relevant, nearest_titles, shown_title

RESULT_KEY = "search_result"
SNIPPET_CHARS = 160
MODES = {"hybrid": "混合（关键词 + 语义）", "bm25": "关键词", "vector": "语义"}

st.title("检索")
searcher = require_searcher()
if note := partial_note(current_config().index_dir):
    st.info(note + "。")  # hybrid search uses the vectors made so far

with st.form("search-form"):
    query = st.text_input("检索词", key="search-query", placeholder="例如：青年干部 社区报到")
    filters = filter_controls(visible(searcher.docs), "search")
    c1, c2 = st.columns([3, 1])
    mode = c1.radio("检索方式", list(MODES), format_func=MODES.get, horizontal=True,
                    key="search-mode")
    k = c2.number_input("结果数", min_value=1, max_value=50, value=10, key="search-k")
    submitted = st.form_submit_button("检索", type="primary", icon=":material/search:")

if submitted:
    if query.strip():
        # As service.queries.search does: the viewer's view, their level in the filters.
        view = queries.scoped(searcher, viewer())
        found = view.search_detail(query, k=int(k), mode=mode,
                                   filters=viewer_filters(viewer(), filters))
        audit.record(current_config(), viewer(), "search", query=query, k=int(k), mode=mode,
                     hits=len(found.hits), via="app")
        relevant = is_relevant(view, query, found.hits, found.pinned)
        st.session_state[RESULT_KEY] = (query, found.hits, relevant)
    else:
        st.session_state.pop(RESULT_KEY, None)  # the warning, not the previous results
        st.warning("请输入检索词。")


def show_hit(hit) -> None:
    """One passage of a document: where it is, a snippet around the best match, the
    whole passage on demand."""
    c = hit.chunk
    terms = meaningful_terms(query, hit.matched_terms)
    where = [x for x in (c.section_label,
                         "第" + "、".join(str(p) for p in c.pages) + "页" if c.pages else "")
             if x]
    st.caption(f"{hit.rank}. " + " · ".join([*where, f"得分 {hit.score:.4f}"]))
    st.html(passage(snippet_html(c.text, terms)))
    if len(c.text) > SNIPPET_CHARS + 40:
        with st.expander("展开全文"):
            st.html(passage(highlight_terms(c.text, terms)))
    if st.button("在文档中查看", key=f"search-open-{hit.rank}", icon=":material/description:"):
        open_in_documents(c.doc_id, c.start, c.end)


def show_groups(hits) -> None:
    """Hits grouped by document, documents in the order of their best hit."""
    groups: dict[str, list] = {}
    for h in hits:
        groups.setdefault(h.chunk.doc_id, []).append(h)
    for doc_id, group in groups.items():
        first = group[0].chunk
        doc = searcher.docs.get(doc_id)
        with st.container(border=True):
            v = searcher.status(doc_id)
            badge = status_badge(v.status if v else None)
            st.markdown(f"**{md_text(badge + first.title)}**")  # a title is text, not markup
            info = [type_label(first.doc_type)]
            if v is not None and v.status:
                info.append(v.status + (f"（被{v.superseded_label}替代）"
                                        if v.superseded_label and not v.in_force else ""))
            if doc is not None and doc.meta.date:
                info.append(doc.meta.date)
            if doc is not None and doc.meta.doc_no:
                info.append(doc.meta.doc_no)
            if len(group) > 1:
                info.append(f"本文档 {len(group)} 处")
            st.caption(" · ".join(info))
            for hit in group:
                show_hit(hit)


if RESULT_KEY in st.session_state:
    query, hits, relevant = st.session_state[RESULT_KEY]
    if not hits:
        st.info("没有找到匹配的段落，请换个说法或放宽筛选条件。")
    elif not relevant:
        st.warning(f"{NOT_FOUND}：知识库中没有与“{query}”相关的段落。")
        nearest = nearest_titles(hits)
        if nearest:
            st.markdown("最相近的文档：")
            for i, (doc_id, title) in enumerate(nearest):
                c1, c2 = st.columns([4, 1])
                c1.markdown(f"- {md_text(shown_title(title))}")
                if c2.button("打开文档", key=f"search-nearest-{i}"):
                    open_in_documents(doc_id)
        with st.expander(f"仍然显示检索到的 {len(hits)} 个段落"):
            show_groups(hits)
    else:
        docs = len({h.chunk.doc_id for h in hits})
        st.caption(f"“{query}”共 {len(hits)} 条结果，来自 {docs} 篇文档")
        show_groups(hits)
