"""The audit log: who searched or asked what, exported which quotes, uploaded or
removed which document, signed in (or failed to), managed which account, and when.

Entries live in the deployment store (service.deployment.open_store: the deployment file,
or a shared knowledge base's records on the Chroma server, one log for every machine),
which rebuilds, re-ingests and repairs never touch. On a read-only index (nothing can be
written there) an entry is dropped; any other failure to write one (a full disk, the
server away) raises KBError, so that a query is not answered unlogged.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.config import Config
from core.errors import KBError
from core.models import User
from service.deploy_store import StoredEntry
from service.deployment import open_store

ACTIONS = ("search", "ask", "export", "upload", "remove", "ingest", "login", "login_failed",
           "users")
ACTION_LABELS = {"search": "检索", "ask": "提问", "export": "导出", "upload": "上传",
                 "remove": "删除", "ingest": "入库", "login": "登录",
                 "login_failed": "登录失败", "users": "账号管理"}
MAX_DETAIL = 20_000  # characters of JSON per entry: a pasted book as a query is cut


@dataclass(frozen=True)
class AuditEntry:
    at: str  # ISO time with the machine's UTC offset, e.g. 2026-12-01T16:05:00+08:00
    user: str
    action: str  # one of ACTIONS
    detail: dict[str, Any] = field(default_factory=dict)


def record(config: Config, user: User | str, action: str, **detail: Any) -> None:
    """Append one entry (user: a User or a name, e.g. a failed sign-in's typed name)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    name = user.name if isinstance(user, User) else str(user)
    text = json.dumps(detail, ensure_ascii=False, default=str)
    if len(text) > MAX_DETAIL:
        text = json.dumps({"truncated": text[:MAX_DETAIL]}, ensure_ascii=False)
    now = time.time()
    at = datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds")
    store = open_store(config)
    try:
        store.append_audit(StoredEntry(now, at, name, action, text))
    except (KBError, sqlite3.Error, OSError) as exc:
        if not store.writable():
            return  # a read-only index: searching it stays possible, unlogged
        # A full disk, a damaged file or the server away: the caller stops (a query is
        # not answered unlogged), with a line that names the log, not the index.
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise KBError(f"无法写入审计日志 {store.where}（{reason}）") from None


def parse_since(since: str) -> float:
    """`2026-12-01` (local midnight) or an ISO time -> POSIX seconds; KBError otherwise."""
    s = since.strip()
    try:
        if len(s) == 10:
            d = date.fromisoformat(s)
            return datetime(d.year, d.month, d.day).astimezone().timestamp()
        t = datetime.fromisoformat(s)
        return (t if t.tzinfo else t.astimezone()).timestamp()
    except ValueError:
        raise KBError(f"--since 应为日期 YYYY-MM-DD 或时间 YYYY-MM-DDTHH:MM，实际为 {since!r}"
                      ) from None


def entries(config: Config, *, user: str | None = None, since: str | None = None,
            action: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Entries in time order (oldest first), optionally of one user / action / since."""
    found = open_store(config).audit_entries(
        user=user, since=None if since is None else parse_since(since), action=action,
        limit=None if limit is None else max(0, int(limit)))
    return [AuditEntry(e.at, e.user, e.action, json.loads(e.detail)) for e in found]
