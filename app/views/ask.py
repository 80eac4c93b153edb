"""问答: a question, filters, the extractive answer with [n] and its citations."""

from __future__ import annotations

import time

import streamlit as st

from app import basket
from app.auth import viewer, visible
from app.render import answer_html
from app.resources import current_answerer, current_config, require_searcher
from app.uploads import md_text
from app.widgets import citation_card, filter_controls, open_in_documents
from service import queries

RESULT_KEY = "ask_result"

st.title("问答")
st.caption("根据知识库原文作答：每句话都标注出处 [n]，引文均经原文逐字核对。")
searcher = require_searcher()

with st.form("ask-form"):
    question = st.text_input("问题", key="ask-question",
                             placeholder="例如：党务干部每年参加集中培训不少于多少学时？")
    with st.expander("筛选条件（类型、年份、发文机关）"):
        filters = filter_controls(visible(searcher.docs), "ask")
    submitted = st.form_submit_button("提问", type="primary", icon=":material/send:")

if submitted:
    if question.strip():
        t0 = time.perf_counter()
        with st.spinner("正在检索原文……"):
            # service.queries: only what the viewer may read, and the audit entry
            result = queries.ask(current_config(), searcher, current_answerer(), question,
                                 filters=filters, viewer=viewer(), via="app")
        st.session_state[RESULT_KEY] = (result, time.perf_counter() - t0)
    else:
        st.session_state.pop(RESULT_KEY, None)  # the warning, not the previous answer
        st.warning("请输入问题。")

if RESULT_KEY in st.session_state:
    result, seconds = st.session_state[RESULT_KEY]
    st.markdown(f"**问题：** {md_text(result.question)}")
    if result.refused:
        st.warning(result.answer or "知识库中未找到相关依据")
        if result.nearest:
            st.markdown("最接近的文档：")
            by_title = {d.title: d.doc_id for d in visible(searcher.docs).values()}
            for i, title in enumerate(result.nearest):
                c1, c2 = st.columns([4, 1])
                c1.markdown(f"- 《{md_text(title)}》")
                doc_id = by_title.get(title)
                if doc_id and c2.button("打开文档", key=f"ask-nearest-{i}"):
                    open_in_documents(doc_id)
        st.caption(f"用时 {seconds:.2f} 秒")
    else:
        st.session_state[basket.QUESTION_KEY] = result.question  # kept with added quotes
        st.subheader("回答")
        st.html(answer_html(result.answer))
        st.caption(f"用时 {seconds:.2f} 秒 · 引文 {len(result.citations)} 条")
        st.subheader("引文出处")
        for c in result.citations:
            citation_card(c, searcher.docs.get(c.doc_id), key=f"ask-cit-{c.n}")
        missing = [c for c in result.citations if not basket.contains(c)]
        if missing and st.button("全部加入引文篮", icon=":material/playlist_add:"):
            for c in missing:
                basket.add(c, question=result.question)
            st.toast(f"已加入 {len(missing)} 条引文")
            st.rerun()
