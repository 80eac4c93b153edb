"""The deployment's own SQLite file (`<index>/deploy.sqlite`): accounts, sign-in
failures, the folders given a visibility, and the audit log.

It lives in the index directory but is none of the stores a rebuild or a repair
deletes (index.layout.STORE_ENTRIES), so accounts and the audit log survive
`kb ingest --rebuild`, re-ingest and `kb doctor --repair`. WAL and a busy timeout
make it safe for several processes (the app, `kb serve`, the CLI) at once; every
call opens its own connection, so it is safe across threads too.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from core.config import Config

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


@contextmanager
def connect(config: Config, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the deployment file; `write` creates it (and the index folder).

    A write runs in one IMMEDIATE transaction (committed on leaving, rolled back on an
    error), so a read-modify-write such as counting a failed sign-in is atomic across
    processes.
    """
    path = config.deploy
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=BUSY_MS / 1000, isolation_level=None)
    else:  # a reader never creates the file (callers check `exists` first)
        db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True,
                             timeout=BUSY_MS / 1000, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        if write:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        else:
            yield db
    finally:
        db.close()


def has_table(db: sqlite3.Connection, name: str) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                     (name,)).fetchone()
    return row is not None
