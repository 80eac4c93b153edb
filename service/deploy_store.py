"""Where a knowledge base keeps its accounts, sign-in failures, folder visibility rules
and audit log: the `DeployStore` protocol, its row types, and its embedded implementation,
the deployment's own SQLite file `<index>/deploy.sqlite`. (In server mode the records
live on the Chroma server instead: service.deployment.ServerDeployStore, picked by
service.deployment.open_store.)

The file lives in the index directory but is none of the stores a rebuild or a repair
deletes (index.layout.STORE_ENTRIES), so accounts and the audit log survive
`kb ingest --rebuild`, re-ingest and `kb doctor --repair`. WAL and a busy timeout
make it safe for several processes (the app, `kb serve`, the CLI) at once; each thread
keeps its own connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from core.config import Config
from core.errors import KBError, StoreDamagedError

BUSY_MS = 10_000  # a writer of another process holds the file for milliseconds

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    level TEXT NOT NULL,
    pw_hash TEXT NOT NULL,       -- scrypt$n$r$p$salt_hex$hash_hex
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until REAL NOT NULL,
    last REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS folder_visibility (
    path TEXT PRIMARY KEY,       -- absolute path of a folder or file given to an ingest
    level TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
CREATE INDEX IF NOT EXISTS audit_user ON audit(user, ts);
"""


def exists(config: Config) -> bool:
    return config.deploy.is_file()


# One open writing connection per thread and file. Closing the last connection of a WAL
# database checkpoints and syncs it: opening one per call made each audit entry cost
# ~20 ms on the development machine, a kept one ~0.1 ms.
_local = threading.local()
_KEPT = 4  # connections kept per thread (each holds three descriptors: file, -wal, -shm)


def _writer(path: Path) -> sqlite3.Connection:
    key = (os.getpid(), str(path))
    conns: dict = _local.__dict__.setdefault("conns", {})
    try:
        ino = path.stat().st_ino
    except FileNotFoundError:
        ino = None
    cached = conns.get(key)
    if cached is not None:
        db, have = cached
        if have == ino:
            return db
        db.close()  # the file was deleted or replaced (a restore): open the new one
        del conns[key]
    path.parent.mkdir(parents=True, exist_ok=True)
    while len(conns) >= _KEPT:  # bounded: a process touching many indexes keeps the newest
        oldest = next(iter(conns))
        conns.pop(oldest)[0].close()
    db = sqlite3.connect(str(path), timeout=BUSY_MS / 1000, isolation_level=None,
                         check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    with _setup_lock:
        _prepare(db)
    conns[key] = (db, path.stat().st_ino)
    return db


# Switching a new file to WAL and creating its tables can meet SQLITE_BUSY without the
# busy handler being consulted (several threads or processes opening a fresh file at
# once): the setup is serialised within a process and retried, bounded, across them.
_setup_lock = threading.Lock()


def _prepare(db: sqlite3.Connection) -> None:
    deadline = time.monotonic() + BUSY_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL never corrupts the file; a power cut may lose the last commits.
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def connect(config: Config, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the deployment file; `write` creates it (and the index folder).

    A write runs in one IMMEDIATE transaction (committed on leaving, rolled back on an
    error), so a read-modify-write such as counting a failed sign-in is atomic across
    processes. Readers of a writable folder share the thread's writing connection.
    """
    path = config.deploy
    try:
        if write or os.access(path.parent, os.W_OK):
            db = _writer(path)
            if not write:
                yield db
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return
        # A read-only folder: a reader never creates the file (callers check `exists`).
        db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True,
                             timeout=BUSY_MS / 1000, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            yield db
        finally:
            db.close()
    except sqlite3.IntegrityError:
        raise  # a caller's own rule (a name taken): not damage
    except sqlite3.DatabaseError as exc:
        _forget(path)
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        if isinstance(exc, sqlite3.OperationalError) and "locked" in reason:
            raise StoreDamagedError(f"账号与审计文件 {path} 正被其他进程长时间占用（{reason}），"
                                    f"请稍后再试") from None
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in reason:
            raise ReadOnlyStore(f"账号与审计文件 {path} 只读（{reason}）") from None
        raise StoreDamagedError(f"账号与审计文件 {path} 无法使用（{reason}）：请从备份恢复，"
                                f"或将其改名后重新添加账号") from None


class ReadOnlyStore(KBError):
    """The deployment file cannot be written (a read-only index)."""


def _forget(path: Path) -> None:
    """Drop this thread's connection to `path` (after an error it may be unusable)."""
    conns: dict = _local.__dict__.get("conns", {})
    cached = conns.pop((os.getpid(), str(path)), None)
    if cached is not None:
        try:
            cached[0].close()
        except sqlite3.Error:
            pass


def has_table(db: sqlite3.Connection, name: str) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                     (name,)).fetchone()
    return row is not None


# The store protocol --------------------------------------------------------------------
@dataclass(frozen=True)
class StoredAccount:
    name: str
    role: str
    level: str
    pw_hash: str  # scrypt$n$r$p$salt_hex$hash_hex
    created: str


@dataclass(frozen=True)
class StoredEntry:
    """An audit entry as stored: `detail` is its JSON text."""

    ts: float
    at: str
    user: str
    action: str
    detail: str


# An account change: (the account or None, every account) -> the new account, or None to
# delete it; it raises KBError to refuse (and then nothing is written).
Change = Callable[[StoredAccount | None, list[StoredAccount]], StoredAccount | None]


class DeployStore(Protocol):
    """Accounts, sign-in failures, folder rules and the audit log of one knowledge base."""

    where: str  # named in messages: the file, or the server's collection

    def has_accounts(self) -> bool: ...
    def accounts(self) -> list[StoredAccount]: ...  # by name
    def account(self, name: str) -> StoredAccount | None: ...
    def add_account(self, account: StoredAccount) -> bool: ...  # False: the name is taken
    def change_account(self, name: str, change: Change) -> None:
        """Apply `change`; a new password or a deletion also clears the name's failures."""
    def sign_in_state(self, name: str, now: float) -> tuple[StoredAccount | None, float, bool]:
        """(the account or None, locked until (0.0: not locked), any failures counted)."""
    def count_failure(self, name: str, now: float) -> tuple[int, float]:
        """Count a failed sign-in: (failures in a row, locked until or 0.0 when not locked
        - the count restarts at 0 once a lock starts)."""
    def clear_failures(self, name: str) -> None: ...
    def folder_levels(self) -> dict[str, str]: ...
    def set_folder_levels(self, rules: dict[str, str]) -> None: ...
    def forget_folder_levels(self, paths: list[str]) -> None: ...
    def append_audit(self, entry: StoredEntry) -> None: ...
    def audit_entries(self, *, user: str | None, since: float | None, action: str | None,
                      limit: int | None) -> list[StoredEntry]:
        """Entries oldest first (with `limit`, the newest that many)."""
    def writable(self) -> bool:
        """False for a read-only index (an audit entry is then dropped, not an error)."""


class SqliteDeployStore:
    """The embedded store: `<index>/deploy.sqlite` (Config.deploy)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.where = str(config.deploy)

    def _read(self, table: str, sql: str, args: tuple = ()) -> list[tuple]:
        if not exists(self.config):
            return []
        with connect(self.config) as db:
            if not has_table(db, table):
                return []
            return db.execute(sql, args).fetchall()

    # accounts -------------------------------------------------------------
    def has_accounts(self) -> bool:
        return bool(self._read("users", "SELECT 1 FROM users LIMIT 1"))

    def accounts(self) -> list[StoredAccount]:
        rows = self._read("users", "SELECT name, role, level, pw_hash, created FROM users "
                                   "ORDER BY name")
        return [StoredAccount(*r) for r in rows]

    def account(self, name: str) -> StoredAccount | None:
        rows = self._read("users", "SELECT name, role, level, pw_hash, created FROM users "
                                   "WHERE name=?", (name,))
        return StoredAccount(*rows[0]) if rows else None

    def add_account(self, account: StoredAccount) -> bool:
        a = account
        try:
            with connect(self.config, write=True) as db:
                db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                           (a.name, a.role, a.level, a.pw_hash, a.created))
        except sqlite3.IntegrityError:
            return False
        return True

    def change_account(self, name: str, change: Change) -> None:
        # One IMMEDIATE transaction: the last-admin rule holds across processes.
        with connect(self.config, write=True) as db:
            every = [StoredAccount(*r) for r in db.execute(
                "SELECT name, role, level, pw_hash, created FROM users ORDER BY name")]
            old = next((a for a in every if a.name == name), None)
            new = change(old, every)
            if old is None:
                return
            if new is None:
                db.execute("DELETE FROM users WHERE name=?", (old.name,))
            else:
                db.execute("UPDATE users SET role=?, level=?, pw_hash=? WHERE name=?",
                           (new.role, new.level, new.pw_hash, old.name))
            if new is None or new.pw_hash != old.pw_hash:
                db.execute("DELETE FROM login_failures WHERE name=?", (old.name,))

    # sign-in failures ---------------------------------------------------------
    def sign_in_state(self, name: str, now: float) -> tuple[StoredAccount | None, float, bool]:
        if not self.has_accounts():
            return None, 0.0, False
        with connect(self.config) as db:
            row = db.execute("SELECT locked_until FROM login_failures WHERE name=?",
                             (name,)).fetchone()
            found = db.execute("SELECT name, role, level, pw_hash, created FROM users "
                               "WHERE name=?", (name,)).fetchone()
        return (StoredAccount(*found) if found else None, row[0] if row else 0.0,
                row is not None)

    def count_failure(self, name: str, now: float) -> tuple[int, float]:
        cfg = self.config
        with connect(cfg, write=True) as db:
            row = db.execute("SELECT failures, locked_until FROM login_failures WHERE name=?",
                             (name,)).fetchone()
            failures = (row[0] if row and row[1] <= now else 0) + 1
            locked = now + cfg.login_lock_seconds if failures >= cfg.login_max_failures else 0.0
            db.execute("INSERT OR REPLACE INTO login_failures VALUES (?, ?, ?, ?)",
                       (name, 0 if locked else failures, locked, now))
            # Names nobody has tried for a day are forgotten: the table stays small.
            db.execute("DELETE FROM login_failures WHERE last < ? AND locked_until < ?",
                       (now - 86400, now))
        return (0 if locked else failures), locked

    def clear_failures(self, name: str) -> None:
        with connect(self.config, write=True) as db:
            db.execute("DELETE FROM login_failures WHERE name=?", (name,))

    # folder rules -------------------------------------------------------------
    def folder_levels(self) -> dict[str, str]:
        return dict(self._read("folder_visibility", "SELECT path, level FROM folder_visibility"))

    def set_folder_levels(self, rules: dict[str, str]) -> None:
        with connect(self.config, write=True) as db:
            db.executemany("INSERT OR REPLACE INTO folder_visibility VALUES (?, ?)",
                           list(rules.items()))

    def forget_folder_levels(self, paths: list[str]) -> None:
        if not exists(self.config):
            return
        with connect(self.config, write=True) as db:
            db.executemany("DELETE FROM folder_visibility WHERE path=?", [(p,) for p in paths])

    # the audit log --------------------------------------------------------------
    def append_audit(self, entry: StoredEntry) -> None:
        e = entry
        with connect(self.config, write=True) as db:
            db.execute("INSERT INTO audit (ts, at, user, action, detail) VALUES (?, ?, ?, ?, ?)",
                       (e.ts, e.at, e.user, e.action, e.detail))

    def audit_entries(self, *, user: str | None, since: float | None, action: str | None,
                      limit: int | None) -> list[StoredEntry]:
        terms = [(c, v) for c, v in (("user = ?", user), ("ts >= ?", since),
                                     ("action = ?", action)) if v is not None]
        sql = "SELECT ts, at, user, action, detail FROM audit"
        if terms:
            sql += " WHERE " + " AND ".join(c for c, _ in terms)
        sql += " ORDER BY id DESC"  # the newest `limit` when limited; returned oldest first
        if limit is not None:
            sql += f" LIMIT {max(0, int(limit))}"
        rows = self._read("audit", sql, tuple(v for _, v in terms))
        return [StoredEntry(*r) for r in reversed(rows)]

    def writable(self) -> bool:
        d = self.config.index_dir
        target = self.config.deploy if self.config.deploy.exists() else d
        return d.is_dir() and os.access(target, os.W_OK) and os.access(d, os.W_OK)
