"""Streamlit building blocks shared by the pages: filters, citation cards, jumps."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from answer.context import paragraph_span
from app import basket
from app.render import highlight_span, passage
from app.uploads import md_text
from core.models import DOC_TYPE_LABELS, Citation, Document, Filters
from core.text.issuers import issuers_of

DOCS_PAGE = "views/documents.py"
ALL_ISSUERS = "（全部）"


def type_label(doc_type: str) -> str:
    """Chinese name of a document type."""
    return DOC_TYPE_LABELS.get(doc_type, doc_type)


def doc_year(doc: Document) -> int | None:
    """The year of a document's date, if it has one."""
    try:
        return int(doc.meta.date[:4]) if doc.meta.date else None
    except ValueError:
        return None


def filter_controls(docs: Mapping[str, Document], key: str) -> Filters:
    """Render 类型 / 年份范围 / 发文机关 controls and return the Filters they describe.

    The year filter only applies once the range is narrowed, because a year filter
    also drops undated documents.
    """
    types = [t for t in DOC_TYPE_LABELS if any(d.doc_type == t for d in docs.values())]
    years = sorted({y for d in docs.values() if (y := doc_year(d)) is not None})
    issuers = sorted({i for d in docs.values() if d.meta.issuer for i in issuers_of(d.meta.issuer)})
    c1, c2, c3 = st.columns(3)
    chosen = c1.multiselect("类型", types, format_func=type_label, key=f"{key}-types",
                            placeholder="全部类型")
    year_from = year_to = None
    if len(years) >= 2:
        lo, hi = c2.slider("年份范围", years[0], years[-1], (years[0], years[-1]),
                           key=f"{key}-years")
        if (lo, hi) != (years[0], years[-1]):
            year_from, year_to = lo, hi
    else:
        c2.caption("年份范围：" + (f"{years[0]} 年" if years else "无日期信息"))
    issuer = c3.selectbox("发文机关", [ALL_ISSUERS, *issuers], key=f"{key}-issuer")
    return Filters(doc_types=tuple(chosen), year_from=year_from, year_to=year_to,
                   issuer=None if issuer == ALL_ISSUERS else issuer)


def open_in_documents(doc_id: str, start: int | None = None, end: int | None = None) -> None:
    """Switch to the 文档 page showing `doc_id`, with [start, end) highlighted."""
    st.session_state.pop("docs-focus-applied", None)  # re-apply even the same jump
    params = {"doc": doc_id}
    if start is not None and end is not None:
        params |= {"start": str(start), "end": str(end)}
    st.switch_page(DOCS_PAGE, query_params=params)


def status_badge(status: str | None) -> str:
    """【已废止】 and the like before a title; nothing for a document in force."""
    return f"【{status}】" if status not in (None, "现行有效") else ""


def citation_card(c: Citation, doc: Document | None, key: str) -> None:
    """One citation: an expander with the surrounding paragraph (quote highlighted),
    its copyable reference, and buttons to collect it or open it in its document.
    """
    label = md_text(f"{status_badge(c.status)}{c.reference}")  # a title is text, not markup
    with st.expander(f"[{c.n}] {label}", expanded=c.n == 1):
        if c.status not in (None, "现行有效"):
            by = f"，被{c.superseded_by}替代" if c.superseded_by else ""
            st.warning(f"该文件{c.status}{by}，引用前请核对现行文件。")
        if doc is not None:
            ps, pe = paragraph_span(doc, c.start, c.end)
            st.html(passage(highlight_span(doc.text[ps:pe], c.start - ps, c.end - ps)))
        else:
            st.html(passage(highlight_span(c.quote, 0, len(c.quote))))
        where = [c.title]
        if c.section:
            where.append(c.section_label)
        if c.page:
            where.append(f"第{c.page}页")
        st.caption(" · ".join(where))
        st.caption("引用出处（点击右侧图标复制）")
        st.code(c.reference, language=None, wrap_lines=True)
        b1, b2 = st.columns(2)
        in_basket = basket.contains(c)
        if b1.button("已在引文篮" if in_basket else "加入引文篮", key=f"{key}-add",
                     disabled=in_basket, icon=":material/add_shopping_cart:"):
            basket.add(c)
            st.toast("已加入引文篮")
            st.rerun()
        if doc is not None and b2.button("在文档中查看", key=f"{key}-open",
                                         icon=":material/description:"):
            open_in_documents(c.doc_id, c.start, c.end)


def sidebar_status() -> None:
    """Index location and size in the sidebar (never fails)."""
    from app.resources import cached_searcher_or_none, current_config

    try:
        config = current_config()
    except Exception:  # a bad setting is reported by the page itself
        return
    from app.auth import viewer

    s = cached_searcher_or_none(config)
    user = viewer()
    with st.sidebar:
        if user.can("manage_users"):  # server paths are for the administrator
            st.caption(f"索引目录：{config.index_dir}")
        if s is None:
            st.caption("索引尚未建立")
        else:  # counted as the viewer sees them
            docs = {d for d, doc in s.docs.items() if user.sees(doc.visibility)}
            chunks = sum(c.doc_id in docs for c in s.chunks.values())
            st.caption(f"文档 {len(docs)} 篇 · 段落 {chunks} 个")
        n = len(basket.items())
        if n:
            st.caption(f"引文篮：{n} 条")
