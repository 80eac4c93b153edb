"""Where the deployment's records live, picked by the configuration: `open_store`.

- Embedded (no KB_CHROMA_HOST): `<index>/deploy.sqlite` (service.deploy_store).
- A knowledge base shared on a Chroma server: `ServerDeployStore`, the records of
  index.deploy_records in the server's `<kb>__deploy` collection, so that every app and
  `kb serve` process of every machine sharing the knowledge base signs in the same
  accounts, counts the same failed sign-ins, applies the same folder rules and writes
  one audit log. A second knowledge base on the same server has its own collection,
  hence its own accounts.

Chroma has no transactions. What stays safe without them: adding an account is an
insert-if-absent (Chroma's add keeps an existing id's record), a failed sign-in and an
audit entry are records of their own (append-only, unique ids), so concurrent writers
never lose one. What does not: two admins changing accounts at the same moment on two
machines (the last-admin rule is checked, then written), accepted as accounts change
rarely and by hand (docs/DEPLOYMENT.md).

`migrate_local` copies a machine's deploy.sqlite (from before the records moved to the
server) to the server once: `kb users migrate`.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import asdict, dataclass

from core.config import Config
from core.errors import KBError
from index import deploy_records as rec
from index.remote import kb_name
from service.deploy_store import (
    Change,
    DeployStore,
    SqliteDeployStore,
    StoredAccount,
    StoredEntry,
)

_RECORDS: dict[tuple, rec.DeployRecords] = {}
_GUARD = threading.Lock()


def open_store(config: Config) -> DeployStore:
    """The deployment store of this configuration's knowledge base."""
    if not config.chroma.host:
        return SqliteDeployStore(config)
    key = (config.chroma, kb_name(config))
    with _GUARD:
        records = _RECORDS.get(key)
        if records is None:
            records = _RECORDS[key] = rec.DeployRecords(config.chroma, key[1])
    return ServerDeployStore(config, records)


def _account(meta: dict) -> StoredAccount:
    return StoredAccount(meta["name"], meta["role"], meta["level"], meta["pw_hash"],
                         meta.get("created", ""))


def _entry(meta: dict) -> StoredEntry:
    return StoredEntry(float(meta["ts"]), meta["at"], meta["user"], meta["action"],
                       meta["detail"])


class ServerDeployStore:
    """The records of one knowledge base in its `<kb>__deploy` collection."""

    def __init__(self, config: Config, records: rec.DeployRecords) -> None:
        self.config = config
        self.records = records
        self.where = records.ident
        # Failures older than this are forgotten (SQLite: names untried for a day).
        self._horizon = max(86400.0, 2 * config.login_lock_seconds)

    # accounts -------------------------------------------------------------
    def has_accounts(self) -> bool:
        return self.records.any(rec.where(kind=rec.USER))

    def accounts(self) -> list[StoredAccount]:
        found = self.records.find(rec.where(kind=rec.USER))
        return sorted((_account(m) for m in found.values()), key=lambda a: a.name)

    def account(self, name: str) -> StoredAccount | None:
        meta = self.records.get([rec.user_id(name)]).get(rec.user_id(name))
        return None if meta is None else _account(meta)

    def add_account(self, account: StoredAccount) -> bool:
        rid = rec.user_id(account.name)
        self.records.add({rid: {"kind": rec.USER, **asdict(account)}})
        # Read back: an account of that name already there (or added by another machine a
        # moment earlier) kept its record, and then this one is not it.
        got = self.records.get([rid]).get(rid)
        return got is not None and got["pw_hash"] == account.pw_hash

    def change_account(self, name: str, change: Change) -> None:
        every = self.accounts()
        old = next((a for a in every if a.name == name), None)
        new = change(old, every)
        if old is None:
            return
        rid = rec.user_id(old.name)
        if new is None:
            self.records.delete([rid])
        else:
            self.records.put({rid: {"kind": rec.USER, **asdict(new)}})
        if new is None or new.pw_hash != old.pw_hash:
            self.clear_failures(old.name)

    # sign-in failures: one record per failure, replayed -----------------------
    def _replay(self, stamps: list[float], now: float) -> tuple[int, float]:
        """(failures in a row, locked until) after these failures, as the SQLite store
        counts them: a lock restarts the count, failures during a lock do not count."""
        cfg = self.config
        count, locked = 0, 0.0
        for ts in sorted(stamps):
            if ts < locked:
                continue
            count += 1
            if count >= cfg.login_max_failures:
                count, locked = 0, ts + cfg.login_lock_seconds
        return (0, locked) if locked > now else (count, 0.0)

    def _failures(self, found: dict[str, dict], now: float) -> list[float]:
        return [float(m["ts"]) for m in found.values()
                if m.get("kind") == rec.FAILURE and float(m["ts"]) >= now - self._horizon]

    def sign_in_state(self, name: str, now: float) -> tuple[StoredAccount | None, float, bool]:
        found = self.records.find(rec.where(name=name))  # the account and its failures
        user = next((_account(m) for m in found.values() if m.get("kind") == rec.USER), None)
        stamps = self._failures(found, now)
        return user, self._replay(stamps, now)[1], bool(stamps)

    def count_failure(self, name: str, now: float) -> tuple[int, float]:
        self.records.add({rec.failure_id(name, now): {"kind": rec.FAILURE, "name": name,
                                                      "ts": now}})
        found = self.records.find(rec.where(kind=rec.FAILURE, name=name))
        self.records.delete(match={"$and": [{"kind": rec.FAILURE},
                                            {"ts": {"$lt": now - self._horizon}}]})
        return self._replay(self._failures(found, now), now)

    def clear_failures(self, name: str) -> None:
        self.records.delete(match=rec.where(kind=rec.FAILURE, name=name))

    # folder rules -------------------------------------------------------------
    def folder_levels(self) -> dict[str, str]:
        return {m["path"]: m["level"]
                for m in self.records.find(rec.where(kind=rec.FOLDER)).values()}

    def set_folder_levels(self, rules: dict[str, str]) -> None:
        self.records.put({rec.folder_id(p): {"kind": rec.FOLDER, "path": p, "level": lv}
                          for p, lv in rules.items()})

    def forget_folder_levels(self, paths: list[str]) -> None:
        self.records.delete([rec.folder_id(p) for p in paths])

    # the audit log --------------------------------------------------------------
    def append_audit(self, entry: StoredEntry, salt: str | None = None) -> None:
        self.import_audit([(entry, salt)])

    def import_audit(self, entries: list[tuple[StoredEntry, str | None]]) -> None:
        self.records.add({rec.audit_id(e.ts, salt): {"kind": rec.AUDIT, **asdict(e)}
                          for e, salt in entries})

    def audit_entries(self, *, user: str | None, since: float | None, action: str | None,
                      limit: int | None) -> list[StoredEntry]:
        match = rec.where(kind=rec.AUDIT, user=user, action=action, ts_from=since)
        if limit is None:
            found = self.records.find(match)
        else:
            # Ids begin with the time: the newest `limit` are known before any is read.
            ids = sorted(self.records.find_ids(match))[-limit:] if limit > 0 else []
            found = self.records.get(ids)
        return [_entry(found[i]) for i in sorted(found)]

    def writable(self) -> bool:
        return True


# from deploy.sqlite to the server ----------------------------------------------------
@dataclass(frozen=True)
class Migration:
    copied: tuple[str, ...]  # accounts now on the server
    skipped: tuple[str, ...]  # accounts whose names the server already had (kept as there)
    folders: int  # folder rules copied (a path the server had keeps the server's level)
    audit: int  # audit entries of the local log (copying again adds none twice)


def local_only_accounts(config: Config) -> list[str]:
    """Server mode: the names of this machine's deploy.sqlite accounts the server lacks."""
    if not config.chroma.host:
        return []
    local = SqliteDeployStore(config).accounts()
    if not local:
        return []
    there = {a.name for a in open_store(config).accounts()}
    return [a.name for a in local if a.name not in there]


def migrate_local(config: Config) -> Migration:
    """Copy this machine's deploy.sqlite to the server's records (server mode only)."""
    local = SqliteDeployStore(config)
    server = open_store(config)
    if not isinstance(server, ServerDeployStore):
        raise KBError("kb users migrate 只用于 Chroma 服务模式：请先设置 KB_CHROMA_HOST、"
                      "KB_CHROMA_PORT 和 KB_COLLECTION")
    copied, skipped = [], []
    for account in local.accounts():
        # A name already there (copied before, or added on the server) keeps its record.
        new = server.account(account.name) is None and server.add_account(account)
        (copied if new else skipped).append(account.name)
    have = server.folder_levels()
    rules = {p: lv for p, lv in local.folder_levels().items() if p not in have}
    server.set_folder_levels(rules)
    # An entry's id comes from its origin and content: a second migration adds nothing.
    origin = f"{socket.gethostname()}:{local.where}"
    entries = local.audit_entries(user=None, since=None, action=None, limit=None)
    server.import_audit([(e, hashlib.sha1(f"{origin}|{e!r}".encode()).hexdigest()[:12])
                         for e in entries])
    return Migration(tuple(copied), tuple(skipped), len(rules), len(entries))
