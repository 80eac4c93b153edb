"""A knowledge base's deployment records on a Chroma server: accounts, sign-in failures,
folder visibility rules and the audit log, shared by every machine using it.

They live in the companion collection `<kb>__deploy` (beside index.remote's `<kb>__docs`):
each record is one Chroma record with a tiny constant embedding and its fields in the
metadata (like index.remote's), its `kind` telling which:

- `user:<name>`            kind=user: name, role, level, pw_hash (salted scrypt), created
- `fail:<name>:<ts>:<rnd>` kind=fail: name, ts - one failed sign-in (append-only, so that
                           two machines counting failures at once never lose one)
- `folder:<path>`          kind=folder: path, level
- `audit:<ts>:<rnd>`       kind=audit: ts, at, user, action, detail (JSON) - append-only;
                           the id begins with the time in nanoseconds (20 digits), so ids
                           sort in time order and writers on several machines never collide

A collection of its own, not records in `<kb>__docs`: a `--rebuild` or a publish only
ever deletes the ids a catalog names, but an operator resetting the documents (deleting
`<kb>__docs`) must not take the accounts and the log with it. This module only moves
records; service.deploy_store gives them meaning.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from core.config import ChromaConfig
from core.errors import KBError
from index.vectors import server_client

USER, FAILURE, FOLDER, AUDIT = "user", "fail", "folder", "audit"
SUFFIX = "__deploy"
_ONE = [1.0]  # the constant embedding of a record that is not a vector
_PAGE = 1000  # records per request when reading many


def user_id(name: str) -> str:
    return f"user:{name}"


def folder_id(path: str) -> str:
    return f"folder:{path}"


def _stamp(ts: float) -> str:
    return f"{int(ts * 1e9):020d}"


def failure_id(name: str, ts: float) -> str:
    return f"fail:{name}:{_stamp(ts)}:{secrets.token_hex(6)}"


def audit_id(ts: float, salt: str | None = None) -> str:
    """A unique id in time order; `salt` (a migrated entry's origin) makes it repeatable."""
    return f"audit:{_stamp(ts)}:{salt or secrets.token_hex(6)}"


def where(**equal: Any) -> dict:
    """A Chroma `where` for fields equal to values; `ts_from=` adds ts >= it."""
    since = equal.pop("ts_from", None)
    terms: list[dict] = [{k: v} for k, v in equal.items() if v is not None]
    if since is not None:
        terms.append({"ts": {"$gte": float(since)}})
    return terms[0] if len(terms) == 1 else {"$and": terms}


class DeployRecords:
    """The `<kb>__deploy` collection of knowledge base `name` on the server `cfg`.

    Readers never create it: before the first write, every read finds nothing.
    """

    def __init__(self, cfg: ChromaConfig, name: str) -> None:
        self.cfg = cfg
        self.name = f"{name}{SUFFIX}"
        self.ident = f"Chroma 服务 {cfg.host}:{cfg.port} 上的集合 {self.name}"
        self._col: Any = None

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except KBError:
            raise
        except Exception as exc:  # connection and server errors come in several types
            text = " ".join(str(exc).split())[:120]
            reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
            raise KBError(f"{self.ident}（账号与审计日志）无法读写（{reason}）") from None

    def _collection(self, create: bool) -> Any:
        if self._col is None:
            client = server_client(self.cfg)
            if create:
                self._col = self._call(lambda: client.get_or_create_collection(
                    self.name, embedding_function=None, metadata={"kb_role": "deployment"}))
            else:
                try:
                    self._col = client.get_collection(self.name, embedding_function=None)
                except Exception:  # NotFoundError: nothing written yet
                    return None
        return self._col

    # reading ----------------------------------------------------------------
    def get(self, ids: Iterable[str]) -> dict[str, dict]:
        """id -> metadata of those of `ids` that exist."""
        ids = list(ids)
        col = self._collection(False)
        if col is None or not ids:
            return {}
        out: dict[str, dict] = {}
        for i in range(0, len(ids), _PAGE):
            got = self._call(lambda b=ids[i:i + _PAGE]: col.get(ids=b, include=["metadatas"]))
            out.update(zip(got["ids"], got["metadatas"], strict=True))
        return out

    def find(self, match: dict) -> dict[str, dict]:
        """id -> metadata of every record matching `match` (a Chroma where), paged."""
        col = self._collection(False)
        out: dict[str, dict] = {}
        offset = 0
        while col is not None:
            got = self._call(lambda o=offset: col.get(where=match, limit=_PAGE, offset=o,
                                                      include=["metadatas"]))
            out.update(zip(got["ids"], got["metadatas"], strict=True))
            if len(got["ids"]) < _PAGE:
                break
            offset += _PAGE
        return out

    def find_ids(self, match: dict) -> list[str]:
        """The ids of the records matching `match` (cheap: no metadata travels)."""
        col = self._collection(False)
        out: list[str] = []
        offset = 0
        while col is not None:
            got = self._call(lambda o=offset: col.get(where=match, limit=_PAGE, offset=o,
                                                      include=[]))
            out.extend(got["ids"])
            if len(got["ids"]) < _PAGE:
                break
            offset += _PAGE
        return out

    def any(self, match: dict) -> bool:
        col = self._collection(False)
        if col is None:
            return False
        return bool(self._call(lambda: col.get(where=match, limit=1, include=[]))["ids"])

    # writing ----------------------------------------------------------------
    def add(self, records: dict[str, dict]) -> None:
        """Write records whose ids are new; an id already there keeps its record (Chroma's
        add never overwrites: measured on chromadb 1.5.9), so an add is an insert-if-absent."""
        self._write("add", records)

    def put(self, records: dict[str, dict]) -> None:
        """Write records, replacing those with the same ids."""
        self._write("upsert", records)

    def _write(self, how: str, records: dict[str, dict]) -> None:
        if not records:
            return
        col = self._collection(True)
        items = list(records.items())
        for i in range(0, len(items), _PAGE):
            batch = items[i:i + _PAGE]
            self._call(lambda b=batch: getattr(col, how)(
                ids=[k for k, _ in b], embeddings=[_ONE] * len(b), metadatas=[m for _, m in b]))

    def delete(self, ids: Iterable[str] = (), match: dict | None = None) -> None:
        col = self._collection(False)
        if col is None:
            return
        ids = list(ids)
        for i in range(0, len(ids), _PAGE):
            self._call(lambda b=ids[i:i + _PAGE]: col.delete(ids=b))
        if match is not None:
            self._call(lambda: col.delete(where=match))

