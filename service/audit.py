"""The audit log: who searched or asked what, exported which quotes, uploaded or
removed which document, signed in (or failed to), managed which account, and when.

Entries live in the deployment file (service.deploy_store), which rebuilds, re-ingests
and repairs never touch. On a read-only index (nothing can be written there) an entry is
dropped; any other failure to write one (a full disk) raises KBError, so that a query is
not answered unlogged.
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
from service import deploy_store

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
    try:
        with deploy_store.connect(config, write=True) as db:
            db.execute("INSERT INTO audit (ts, at, user, action, detail) VALUES (?, ?, ?, ?, ?)",
                       (now, at, name, action, text))
    except (KBError, sqlite3.Error, OSError) as exc:
        if not _writable(config):
            return  # a read-only index: searching it stays possible, unlogged
        # A full disk or a damaged file: the caller stops (a query is not answered
        # unlogged), with a line that names the log, not the index.
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise KBError(f"无法写入审计日志 {config.deploy}（{reason}）") from None


def _writable(config: Config) -> bool:
    import os

    d = config.index_dir
    target = config.deploy if config.deploy.exists() else d
    return d.is_dir() and os.access(target, os.W_OK) and os.access(d, os.W_OK)


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
    if not deploy_store.exists(config):
        return []
    where, args = [], []
    if user is not None:
        where.append("user = ?")
        args.append(user)
    if since is not None:
        where.append("ts >= ?")
        args.append(parse_since(since))
    if action is not None:
        where.append("action = ?")
        args.append(action)
    sql = "SELECT at, user, action, detail FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"  # the newest `limit` when limited; returned oldest first
    if limit is not None:
        sql += f" LIMIT {max(0, int(limit))}"
    with deploy_store.connect(config) as db:
        if not deploy_store.has_table(db, "audit"):
            return []
        rows = db.execute(sql, args).fetchall()
    return [AuditEntry(at, u, a, json.loads(d)) for at, u, a, d in reversed(rows)]
