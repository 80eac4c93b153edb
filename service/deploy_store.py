"""The deployment's own SQLite file (`<index>/deploy.sqlite`): accounts, sign-in
failures, the folders given a visibility, and the audit log.

It lives in the index directory but is none of the stores a rebuild or a repair
deletes (index.layout.STORE_ENTRIES), so accounts and the audit log survive
`kb ingest --rebuild`, re-ingest and `kb doctor --repair`. WAL and a busy timeout
make it safe for several processes (the app, `kb serve`, the CLI) at once; each thread
keeps its own connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
    db = sqlite3.connect(str(path), timeout=BUSY_MS / 1000, isolation_level=None,
                         check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    # WAL + NORMAL never corrupts the file; a power cut may lose the last commits.
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(_SCHEMA)
    conns[key] = (db, path.stat().st_ino)
    return db


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
