"""Planning an issue in the editors' workspace: new, add, move, remove, export, publish."""

from __future__ import annotations

from collections.abc import Sequence

from cases.export import OutlineCase, export_issue_docx
from cases.planner import check_month, issue_numbers, issue_warnings, new_issue_id
from cases.records import HANDBOOK, Issue, IssueEntry
from core.errors import KBError
from service.editorial import Workspace


def _known_issues(ws: Workspace) -> list[tuple[str, int | None, int | None]]:
    """(month, 第N期, 总第N期) of every issue known: ingested ones and planned ones."""
    known = {(c.month, c.issue_no, c.total_no) for c in ws.catalog().cases
             if c.kind == HANDBOOK and c.month}
    known |= {(i.month, i.no, i.total_no) for i in ws.store.issues()}
    return sorted(k for k in known if k[0])


def new_issue(ws: Workspace, theme: str, month: str, *, no: int | None = None,
              notes: str = "") -> Issue:
    """A draft issue of `month` on `theme`; numbers follow the known issues."""
    ws.require_edit()
    if not theme.strip():
        raise KBError("本期主题为空：请用 --theme 给出本期主题")
    month = check_month(month)
    if no is not None and not 1 <= no <= 99:
        raise KBError(f"期号应在 1–99 之间，实际为 {no}")
    number, total = issue_numbers(month, _known_issues(ws), no)
    issue = Issue(new_issue_id(month, ws.store.issue_ids()), theme.strip(), month,
                  number, total, notes=notes.strip())
    return ws.store.create_issue(issue)


def add_cases(ws: Workspace, issue_id: str, case_ids: Sequence[str], *,
              note: str = "") -> Issue:
    """Append cases to a draft (a case already in it is left where it is)."""
    ws.require_edit()
    catalog = ws.catalog()
    issue = ws.store.issue(issue_id)
    entries = list(issue.entries)
    have = set(issue.case_ids)
    for cid in case_ids:
        case = catalog.get(cid)
        if cid in have:
            continue
        entries.append(IssueEntry(cid, case.title, case.unit, note.strip()))
        have.add(cid)
    return ws.store.set_entries(issue_id, entries)


def _position_of(issue: Issue, case_id: str) -> int:
    try:
        return issue.case_ids.index(case_id)
    except ValueError:
        raise KBError(f"期次 {issue.issue_id} 中没有案例 {case_id}") from None


def move_case(ws: Workspace, issue_id: str, case_id: str, position: int) -> Issue:
    """Move a case of a draft to `position` (1 = first)."""
    ws.require_edit()
    issue = ws.store.issue(issue_id)
    if not 1 <= position <= len(issue.entries):
        raise KBError(f"位置应在 1–{len(issue.entries)} 之间，实际为 {position}")
    entries = list(issue.entries)
    entry = entries.pop(_position_of(issue, case_id))
    entries.insert(position - 1, entry)
    return ws.store.set_entries(issue_id, entries)


def remove_cases(ws: Workspace, issue_id: str, case_ids: Sequence[str]) -> Issue:
    ws.require_edit()
    issue = ws.store.issue(issue_id)
    for cid in case_ids:
        _position_of(issue, cid)
    return ws.store.set_entries(issue_id, [e for e in issue.entries
                                           if e.case_id not in set(case_ids)])


def set_note(ws: Workspace, issue_id: str, text: str, case_id: str | None = None) -> Issue:
    """The editor's note of the issue (编者按), or of one of its cases (编者点评)."""
    ws.require_edit()
    if case_id is None:
        return ws.store.update_issue(issue_id, notes=text.strip())
    issue = ws.store.issue(issue_id)
    i = _position_of(issue, case_id)
    entries = list(issue.entries)
    e = entries[i]
    entries[i] = IssueEntry(e.case_id, e.title, e.unit, text.strip())
    return ws.store.set_entries(issue_id, entries)


def editor_of(ws: Workspace) -> str:
    """Who edits the issues (中共示例市委市级机关工委): the latest ingested issue says."""
    issues = [c for c in ws.catalog().cases if c.kind == HANDBOOK and c.month and c.editor]
    return max(issues, key=lambda c: c.month or "").editor or "" if issues else ""


def export_issue(ws: Workspace, issue_id: str) -> bytes:
    """The .docx outline of an issue (drafts and published ones alike); a case the
    workspace's viewer may not read is listed by its title only."""
    catalog = ws.catalog()
    issue = ws.store.issue(issue_id)
    cases = [OutlineCase(e, catalog.get(e.case_id) if catalog.has(e.case_id) else None)
             for e in issue.entries]
    data = export_issue_docx(issue, cases, editor_of(ws))
    if ws.viewer is not None:
        from service import audit

        audit.record(ws.config, ws.viewer, "export", what="issue", issue=issue_id,
                     cases=[e.case_id for e in issue.entries])
    return data


def publish_issue(ws: Workspace, issue_id: str) -> Issue:
    """Publish a draft: its cases count as featured in it from now on."""
    ws.require_edit()
    issue = ws.store.issue(issue_id)
    missing = [cid for cid in issue.case_ids if not ws.catalog().has(cid)]
    if missing:
        raise KBError(f"期次 {issue_id} 中的案例已不在知识库中：{'、'.join(missing)}；"
                      f"请先移除（kb issue remove）")
    published = ws.store.publish(issue_id)
    ws.refresh()
    return published


def warnings(ws: Workspace, issue: Issue) -> list[str]:
    return issue_warnings(ws.catalog(), issue)
