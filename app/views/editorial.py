"""专刊编辑: case catalog, duplicate groups, candidate finder and the draft issue.

Only rendering here: the catalog, finder and planner are service.editorial and
service.planning, as for `kb cases` and `kb issue`.
"""

from __future__ import annotations

import streamlit as st

from app.auth import service_viewer
from app.render import esc, passage
from app.resources import current_config, require_searcher
from app.uploads import md_text
from app.widgets import open_in_documents
from cases.records import heading
from core.errors import KBError
from service import planning
from service.editorial import Workspace

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ISSUE_KEY = "editorial-issue"
FOUND_KEY = "editorial-found"

st.title("专刊编辑")
searcher = require_searcher()
try:
    ws = Workspace(current_config(), docs=searcher.docs, viewer=service_viewer())
    catalog = ws.catalog()
except KBError as exc:  # the editorial file cannot be opened (read-only folder …)
    st.error(str(exc))
    st.stop()
drafts = [i for i in ws.store.issues() if i.status == "draft"]
current = next((i for i in drafts if i.issue_id == st.session_state.get(ISSUE_KEY)),
               drafts[-1] if drafts else None)


def _act(fn, *args, **kwargs) -> None:
    """Run a planning step (a button callback: it runs before the next page run, with a
    workspace of its own); a mistake is shown as one line, as the CLI prints it."""
    own = Workspace(current_config(), docs=searcher.docs, viewer=service_viewer())
    try:
        fn(own, *args, **kwargs)
    except KBError as exc:
        st.session_state["editorial-error"] = str(exc)
    finally:
        own.close()


def _badges(case) -> None:
    used = catalog.featured_in(case.case_id)
    if used:
        st.badge(f"已刊用：{used[-1].issue}", color="orange")
    elif catalog.featured(case):
        st.badge("同一故事已刊用", color="orange")
    else:
        st.badge("未刊用", color="green")
    if case.group:
        st.badge(f"重复组 {case.group}", color="violet")
    for t in case.themes:
        st.badge(t, color="gray")


def _case_card(case, key: str, why=()) -> None:
    with st.container(border=True):
        st.markdown(f"**{md_text(heading(case.unit, case.title))}**  `{case.case_id}`")
        st.caption(" · ".join(x for x in (case.unit, case.issue_label or "单篇材料") if x))
        _badges(case)
        st.html(passage(esc(case.summary)))
        for w in why:
            st.html(f"<small>依据（{esc(w.section or '正文')}）：</small>"
                    + passage(esc(w.text)))
        st.caption(f"出处：{case.reference}")
        b1, b2 = st.columns(2)
        if b1.button("在文档中查看", key=f"{key}-open-{case.case_id}",
                     icon=":material/description:"):
            open_in_documents(case.doc_id, case.summary_start, case.summary_end)
        if current is not None and case.case_id not in current.case_ids:
            b2.button("加入本期", key=f"{key}-add-{case.case_id}",
                      on_click=_act, args=(planning.add_cases, current.issue_id,
                                           [case.case_id]))


if "editorial-error" in st.session_state:
    st.error(st.session_state.pop("editorial-error"))
st.caption(f"案例目录共 {len(catalog.cases)} 个案例；刊用记录与各期草稿保存在 "
           f"`{ws.config.editorial}`（重建索引不会删除）。"
           + (f"当前草稿：{current.issue_id}（{current.label}）" if current else ""))

tab_cat, tab_dup, tab_find, tab_plan = st.tabs(["案例目录", "重复组", "选题推荐", "本期编排"])

with tab_cat:
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
    theme = c1.text_input("主题", key="editorial-theme", placeholder="如：基层减负")
    unit = c2.text_input("单位", key="editorial-unit", placeholder="如：财政局")
    years = sorted({c.year for c in catalog.cases if c.year}, reverse=True)
    year = c3.selectbox("年份", [None, *years], key="editorial-year",
                        format_func=lambda y: "全部" if y is None else str(y))
    unused = c4.checkbox("只看未刊用", key="editorial-unused")
    shown = catalog.select(theme=theme or None, unit=unit or None, year=year, unused=unused)
    st.caption(f"符合条件的案例 {len(shown)} 个")
    for case in shown:
        _case_card(case, "cat")

with tab_dup:
    groups = catalog.groups()
    if not groups:
        st.info("没有发现重复的案例。")
    pairs = ws.pairs()
    for g, members in sorted(groups.items()):
        with st.expander(f"重复组 {g}：{md_text(members[0].title)}（{len(members)} 篇）",
                         expanded=True):
            ids = {c.case_id for c in members}
            for p in pairs:
                if p.a in ids:
                    st.caption(f"{p.a} 与 {p.b} 的文字重合度 {p.containment:.2f}"
                               + ("（同一单位）" if p.same_organ else ""))
            for case in members:
                _case_card(case, f"dup-{g}")

with tab_find:
    with st.form("editorial-find-form"):
        query = st.text_input("主题或描述", key="editorial-query",
                              placeholder="如：机关干部为基层减负、精简填表报表")
        f1, f2, f3 = st.columns(3)
        k = f1.number_input("推荐数", min_value=1, max_value=20, value=5, key="editorial-k")
        since = f2.number_input("近 N 个月内刊用过的才排除（0 表示不限）", min_value=0,
                                value=0, key="editorial-since")
        include = f3.checkbox("也推荐已刊用的", key="editorial-include")
        go = st.form_submit_button("推荐案例", type="primary", icon=":material/search:")
    if go:
        if query.strip():
            st.session_state[FOUND_KEY] = ws.find(
                query, k=int(k), include_featured=include,
                since_months=int(since) or None, searcher=searcher)
        else:
            st.warning("请输入主题或描述。")
    found = st.session_state.get(FOUND_KEY)
    if found is not None and not found:
        st.info("没有找到合适的未刊用案例，可勾选“也推荐已刊用的”或设置月份。")
    for i, cand in enumerate(found or [], start=1):
        if catalog.has(cand.case.case_id):
            st.caption(f"第 {i} 名 · 得分 {cand.score:.4f}")
            _case_card(catalog.get(cand.case.case_id), "find", cand.why)

with tab_plan:
    if drafts:
        if current is not None:
            st.session_state[ISSUE_KEY] = current.issue_id
        st.selectbox("草稿", [i.issue_id for i in drafts], key=ISSUE_KEY)
    with st.expander("新建一期", expanded=not drafts):
        with st.form("editorial-new-form"):
            n_theme = st.text_input("本期主题", key="editorial-new-theme")
            n1, n2 = st.columns(2)
            n_month = n1.text_input("出刊月份（YYYY-MM）", key="editorial-new-month")
            n_no = n2.number_input("期号（0 表示自动推算）", min_value=0, max_value=99, value=0,
                                   key="editorial-new-no")
            if st.form_submit_button("新建", icon=":material/add:"):
                try:
                    made = planning.new_issue(ws, n_theme, n_month, no=int(n_no) or None)
                    st.session_state[ISSUE_KEY] = made.issue_id
                    st.rerun()
                except KBError as exc:
                    st.error(str(exc))
    if current is not None:
        st.subheader(md_text(f"{current.label}（{current.month}）"))
        st.markdown(f"本期主题：{md_text(current.theme)}")
        notes = st.text_area("编者按", value=current.notes,
                             key=f"editorial-notes-{current.issue_id}")
        st.button("保存编者按", key="editorial-save-notes", on_click=_act,
                  args=(planning.set_note, current.issue_id, notes))
        for w in planning.warnings(ws, current):
            st.warning(w)
        n = len(current.entries)
        for pos, e in enumerate(current.entries, start=1):
            with st.container(border=True):
                body, up, down, rm = st.columns([10, 1, 1, 1], vertical_alignment="center")
                body.markdown(f"**{pos}. {md_text(heading(e.unit, e.title))}**  `{e.case_id}`")
                up.button("上移", key=f"plan-up-{e.case_id}", disabled=pos == 1, on_click=_act,
                          args=(planning.move_case, current.issue_id, e.case_id, pos - 1))
                down.button("下移", key=f"plan-down-{e.case_id}", disabled=pos == n,
                            on_click=_act,
                            args=(planning.move_case, current.issue_id, e.case_id, pos + 1))
                rm.button("移除", key=f"plan-rm-{e.case_id}", on_click=_act,
                          args=(planning.remove_cases, current.issue_id, [e.case_id]))
        if not current.entries:
            st.info("本期还没有案例：在「案例目录」或「选题推荐」中点击“加入本期”。")
        else:
            p1, p2 = st.columns(2)
            p1.download_button("导出 Word 提纲（.docx）",
                               data=planning.export_issue(ws, current.issue_id),
                               file_name=f"《新风》专刊{current.issue_id}提纲.docx",
                               mime=DOCX_MIME, icon=":material/download:", on_click="ignore",
                               key="editorial-export")
            sure = p2.checkbox("确认发布（发布后本期案例记为已刊用，不能再修改）",
                               key="editorial-sure")
            p2.button("发布", key="editorial-publish", disabled=not sure, type="primary",
                      on_click=_act, args=(planning.publish_issue, current.issue_id))
ws.close()
