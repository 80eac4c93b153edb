"""The editors' SQLite file: usage history, planned issues, and a cache of the catalog.

It lives beside the index (`Config.editorial`), never inside it, so `kb ingest --rebuild`
and deleting the index keep the history. The catalog cache is only a copy of what the
index yields and is replaced whenever the index changes; everything else is the editors'
own work and is never rewritten by an ingest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from cases.records import (
    DRAFT,
    PUBLISHED,
    PUBLISHED_ISSUE,
    Issue,
    IssueEntry,
    Usage,
)
from core.errors import KBError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (
    issue_id TEXT PRIMARY KEY,
    theme TEXT NOT NULL,
    month TEXT NOT NULL,
    no INTEGER,
    total_no INTEGER,
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    published TEXT
);
CREATE TABLE IF NOT EXISTS issue_cases (
    issue_id TEXT NOT NULL REFERENCES issues(issue_id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    title TEXT NOT NULL,
    unit TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issue_id, case_id)
);
CREATE TABLE IF NOT EXISTS usage (
    case_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    month TEXT,
    origin TEXT NOT NULL,
    issue_id TEXT,
    PRIMARY KEY (case_id, issue)
);
-- Usage derived from an ingested issue that an editor struck out (a wrong attribution).
CREATE TABLE IF NOT EXISTS struck (
    case_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    PRIMARY KEY (case_id, issue)
);
CREATE TABLE IF NOT EXISTS catalog (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


class EditorialStore:
    """Open (creating when needed) the editors' SQLite file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise KBError(f"无法打开编辑工作库 {path}（{exc}）；可用 KB_EDITORIAL 指定其他位置"
                          ) from None

    def close(self) -> None:
        self._db.close()

    # catalog cache ------------------------------------------------------------------
    def cached_catalog(self, stamp: str) -> dict | None:
        """The catalog saved for index state `stamp`, or None (another state, or none)."""
        row = self._db.execute("SELECT value FROM catalog WHERE key='stamp'").fetchone()
        if not row or row[0] != stamp:
            return None
        data = self._db.execute("SELECT value FROM catalog WHERE key='data'").fetchone()
        return json.loads(data[0]) if data else None

    def save_catalog(self, stamp: str, data: dict) -> None:
        blob = json.dumps(data, ensure_ascii=False)
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO catalog VALUES ('data', ?)", (blob,))
            self._db.execute("INSERT OR REPLACE INTO catalog VALUES ('stamp', ?)", (stamp,))

    # usage history ------------------------------------------------------------------
    def usage(self) -> list[Usage]:
        rows = self._db.execute("SELECT case_id, issue, month, origin, issue_id FROM usage "
                                "ORDER BY month, issue")
        return [Usage(*r) for r in rows]

    def struck(self) -> set[tuple[str, str]]:
        return {(c, i) for c, i in self._db.execute("SELECT case_id, issue FROM struck")}

    def add_usage(self, usages: Iterable[Usage]) -> None:
        with self._db:
            for u in usages:
                self._db.execute("DELETE FROM struck WHERE case_id=? AND issue=?",
                                 (u.case_id, u.issue))
                self._db.execute("INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?, ?)",
                                 (u.case_id, u.issue, u.month, u.origin, u.issue_id))

    def remove_usage(self, case_id: str, issue: str, *, derived: bool) -> None:
        """Forget that `case_id` ran in `issue`; a derived record is struck out instead."""
        with self._db:
            self._db.execute("DELETE FROM usage WHERE case_id=? AND issue=?", (case_id, issue))
            if derived:
                self._db.execute("INSERT OR REPLACE INTO struck VALUES (?, ?)",
                                 (case_id, issue))

    # issues -------------------------------------------------------------------------
    def issue_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT issue_id FROM issues")}

    def create_issue(self, issue: Issue) -> Issue:
        with self._db:
            self._db.execute("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (issue.issue_id, issue.theme, issue.month, issue.no,
                              issue.total_no, DRAFT, issue.notes, _now(), None))
        return self.issue(issue.issue_id)

    def issues(self) -> list[Issue]:
        ids = [r[0] for r in self._db.execute("SELECT issue_id FROM issues ORDER BY month, "
                                              "issue_id")]
        return [self.issue(i) for i in ids]

    def issue(self, issue_id: str) -> Issue:
        row = self._db.execute("SELECT issue_id, theme, month, no, total_no, status, notes, "
                               "created, published FROM issues WHERE issue_id=?",
                               (issue_id,)).fetchone()
        if row is None:
            raise KBError(f"没有编号为 {issue_id} 的期次；用 `kb issue list` 查看已有期次")
        entries = tuple(IssueEntry(*r) for r in self._db.execute(
            "SELECT case_id, title, unit, note FROM issue_cases WHERE issue_id=? ORDER BY pos",
            (issue_id,)))
        i_id, theme, month, no, total, status, notes, created, published = row
        return Issue(i_id, theme, month, no, total, status, notes, entries, created, published)

    def _draft(self, issue_id: str) -> Issue:
        issue = self.issue(issue_id)
        if issue.status == PUBLISHED_ISSUE:
            raise KBError(f"期次 {issue_id} 已发布，不能再修改")
        return issue

    def set_entries(self, issue_id: str, entries: Sequence[IssueEntry]) -> Issue:
        """Replace the ordered cases of a draft issue."""
        self._draft(issue_id)
        with self._db:
            self._db.execute("DELETE FROM issue_cases WHERE issue_id=?", (issue_id,))
            self._db.executemany(
                "INSERT INTO issue_cases VALUES (?, ?, ?, ?, ?, ?)",
                [(issue_id, pos, e.case_id, e.title, e.unit, e.note)
                 for pos, e in enumerate(entries)])
        return self.issue(issue_id)

    def update_issue(self, issue_id: str, *, theme: str | None = None,
                     notes: str | None = None) -> Issue:
        issue = self._draft(issue_id)
        with self._db:
            self._db.execute("UPDATE issues SET theme=?, notes=? WHERE issue_id=?",
                             (theme if theme is not None else issue.theme,
                              notes if notes is not None else issue.notes, issue_id))
        return self.issue(issue_id)

    def delete_issue(self, issue_id: str) -> None:
        self._draft(issue_id)
        with self._db:
            self._db.execute("DELETE FROM issues WHERE issue_id=?", (issue_id,))

    def publish(self, issue_id: str) -> Issue:
        """Mark a draft published and record each of its cases as featured in it."""
        issue = self._draft(issue_id)
        if not issue.entries:
            raise KBError(f"期次 {issue_id} 还没有案例，不能发布")
        with self._db:
            self._db.execute("UPDATE issues SET status=?, published=? WHERE issue_id=?",
                             (PUBLISHED_ISSUE, _now(), issue_id))
        self.add_usage(Usage(e.case_id, issue.label, issue.month, PUBLISHED, issue_id)
                       for e in issue.entries)
        return self.issue(issue_id)
