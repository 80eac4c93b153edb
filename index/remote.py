"""One knowledge base shared through a Chroma server: its documents live beside its vectors.

On a server, knowledge base `<kb>` (ChromaConfig.collection_for) is two collections:
`<kb>` holds the passage vectors (index.vectors) and `<kb>__docs` everything else a
query needs, so that a process with an empty local folder answers like the one that
ingested:

- parts: each document's record (the Document, its chunk records without their text,
  which is cut from the document, its label, and its chunks' BM25 tokens with the
  dictionary fingerprint they were made with) as zlib-compressed JSON in the metadata
  of records `<doc_id>@<digest>#<n>` (content-addressed; a tiny constant embedding).
  Metadata, not `documents`: Chroma full-text indexes documents, which made writing
  them 5-20 times slower (measured, docs/DEPLOYMENT.md);
- the state record: the generation, the index settings and the catalog
  (doc_id -> [digest, parts]); the generation record: the generation alone (the cheap
  check readers make);
- the lease record: which writer holds the knowledge base, across machines
  (index.lease).

The local index folder is a cache. `sync_down` (every IndexStore open) makes its
docstore equal to the server's catalog when the generation differs, fetching only
changed documents; BM25 and the searcher then work as for a local index. A writer's
IndexStore `publish`es on close: new parts first, then the state (the switch), then
the generation, then the old parts are deleted; a killed writer leaves the previous
state whole (its vectors written meanwhile are orphans the next writer's reconcile
drops).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import time
import types
import typing
import zlib
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from core.config import ChromaConfig, Config
from core.errors import KBError
from core.models import Chunk, Document
from index.docstore import DocStore
from index.layout import DOCSTORE_NAME
from index.lock import WriterLock, try_writer_lock
from index.vectors import server_client

STATE_ID = "__kb_state__"
GENERATION_ID = "__kb_generation__"
LEASE_ID = "__kb_lease__"
# Index settings a reader's docstore must carry (IndexStore checks them on opening).
SETTINGS = ("embed_model", "schema", "chunking", "embed_dim")
_PART = 256 * 1024  # base64 characters per part record
_FETCH = 16  # part records per request (a few MB)
_ONE = [[1.0]]  # the constant embedding of a record that is not a vector


class _Gone(Exception):
    """A part named by the state was deleted meanwhile (a publish won): sync again."""


def _pack(text: str) -> str:
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def _unpack(data: str) -> str:
    return zlib.decompress(base64.b64decode(data)).decode("utf-8")


# records <-> dataclasses, generically: fields added to Document or Chunk travel too ------
def _build(cls: type, data: dict) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    return cls(**{k: _coerce(hints[k], v) for k, v in data.items() if k in known})


def _coerce(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is not type(None):
                return _coerce(arg, value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v) for v in value)
        return tuple(_coerce(a, v) for a, v in zip(args, value, strict=False))
    if isinstance(hint, type):
        if is_dataclass(hint) and isinstance(value, dict):
            return _build(hint, value)
        if issubclass(hint, enum.Enum):
            return hint(value)
    return value


def record_json(doc: Document, chunks: list[Chunk], label: str,
                tokens: dict[str, list[str]], dict_fp: str) -> str:
    """A document's record as JSON (deterministic: its sha1 is the digest)."""
    rows = [{k: v for k, v in asdict(c).items() if k != "text"} for c in chunks]
    toks = [tokens.get(c.chunk_id) for c in chunks]
    data = {"doc": asdict(doc), "label": label, "chunks": rows, "dict_fp": dict_fp,
            "tokens": toks if all(t is not None for t in toks) else None}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def parse_record(text: str) -> tuple[Document, list[Chunk], str, str, dict[str, list[str]]]:
    data = json.loads(text)
    doc = _build(Document, data["doc"])
    chunks = [_build(Chunk, {**row, "text": doc.text[row["start"]:row["end"]]})
              for row in data["chunks"]]
    toks = data.get("tokens") or []
    return (doc, chunks, data.get("label", ""), data.get("dict_fp", ""),
            {c.chunk_id: t for c, t in zip(chunks, toks, strict=False) if t is not None})


def _part_ids(doc_id: str, entry: list) -> list[str]:
    digest, n = entry
    return [f"{doc_id}@{digest}#{i}" for i in range(n)]


class Catalog:
    """The `<kb>__docs` collection of one knowledge base on a Chroma server."""

    def __init__(self, cfg: ChromaConfig, name: str, *, create: bool) -> None:
        self.name = name
        self.ident = f"{cfg.host}:{cfg.port}/{name}"
        client = server_client(cfg)
        try:
            if create:
                self._col = client.get_or_create_collection(
                    f"{name}__docs", embedding_function=None, metadata={"kb_role": "documents"})
            else:
                self._col = client.get_collection(f"{name}__docs", embedding_function=None)
        except Exception as exc:  # NotFoundError for a reader of a knowledge base not there
            if create:
                raise KBError(f"Chroma 服务上无法建立知识库 {name!r} 的文档集合（{exc}）") from None
            self._col = None

    def _meta(self, rid: str) -> dict | None:
        if self._col is None:
            return None
        got = self._col.get(ids=[rid], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def generation(self) -> str | None:
        meta = self._meta(GENERATION_ID)
        return None if meta is None else str(meta["generation"])

    def state(self) -> dict | None:
        meta = self._meta(STATE_ID)
        return None if meta is None else json.loads(_unpack(meta["state"]))

    def put_state(self, state: dict) -> None:
        self._col.upsert(ids=[STATE_ID], embeddings=_ONE,
                         metadatas=[{"kind": "state", "state": _pack(json.dumps(state))}])
        self._col.upsert(ids=[GENERATION_ID], embeddings=_ONE,
                         metadatas=[{"kind": "generation", "generation": state["generation"]}])

    def put_parts(self, parts: list[tuple[str, str]]) -> None:
        for i in range(0, len(parts), _FETCH):
            batch = parts[i:i + _FETCH]
            self._col.upsert(ids=[p for p, _ in batch], embeddings=_ONE * len(batch),
                             metadatas=[{"kind": "part", "p": d} for _, d in batch])

    def records(self, wanted: dict[str, list]) -> dict[str, str]:
        """doc_id -> record JSON of each wanted catalog entry; _Gone if a part is missing."""
        ids = [pid for did, entry in wanted.items() for pid in _part_ids(did, entry)]
        got: dict[str, str] = {}
        for i in range(0, len(ids), _FETCH):
            res = self._col.get(ids=ids[i:i + _FETCH], include=["metadatas"])
            got.update({rid: m["p"] for rid, m in zip(res["ids"], res["metadatas"],
                                                      strict=True)})
        out = {}
        for did, entry in wanted.items():
            pids = _part_ids(did, entry)
            if any(p not in got for p in pids):
                raise _Gone(did)
            out[did] = _unpack("".join(got[p] for p in pids))
        return out

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 500):
            self._col.delete(ids=ids[i:i + 500])

    # the lease ------------------------------------------------------------------
    def lease(self) -> dict | None:
        return self._meta(LEASE_ID)

    def put_lease(self, holder: str, seconds: float) -> None:
        self._col.upsert(ids=[LEASE_ID], embeddings=_ONE, metadatas=[
            {"kind": "lease", "holder": holder, "expires": time.time() + seconds}])


def _next_generation(old: str) -> str:
    try:
        n = int(old.split()[0]) + 1
    except (ValueError, IndexError):
        n = 1
    return f"{n} {time.time_ns()} {os.getpid()}"


def kb_name(config: Config) -> str:
    return config.chroma.collection_for(config.index_dir)


# the local cache ---------------------------------------------------------------------
def sync_down(config: Config) -> bool:
    """Make the local docstore the server's catalog if its generation differs.

    Returns True when something was fetched. Nothing happens when the server has no
    catalog for this knowledge base yet (a first ingest, or one from before index.remote).
    """
    catalog = Catalog(config.chroma, kb_name(config), create=False)
    gen = catalog.generation()
    if gen is None:
        return False
    db = config.index_dir / DOCSTORE_NAME
    if db.is_file() and _synced(db, catalog.ident) == gen:
        return False
    lock = try_writer_lock(config.index_dir)  # re-entrant: a writer already holds it
    if lock is None:
        if db.is_file():
            return False  # a local writer (or sync) is updating this cache: serve it
        lock = WriterLock(config.index_dir, timeout=300)
        lock.acquire()
    try:
        for _ in range(5):
            state = catalog.state()
            if state is None:
                return False
            try:
                return _apply(catalog, state, db)
            except _Gone:
                continue  # a publish replaced the parts meanwhile: read the new state
        raise KBError(f"知识库 {catalog.ident} 正在频繁更新，本地缓存未能同步，请稍后再试")
    finally:
        lock.release()


def _synced(db, ident: str) -> str | None:
    ds = DocStore(db, readonly=True)
    try:
        if ds.get_setting("remote_kb") != ident:
            return None
        return ds.get_setting("remote_generation")
    except Exception:  # an unreadable cache is rebuilt by the sync
        return None
    finally:
        ds.close()


def _apply(catalog: Catalog, state: dict, db) -> bool:
    ds = DocStore(db)
    try:
        # The cache can be rebuilt at any time: no fsync per document.
        getattr(ds, "_db").execute("PRAGMA synchronous = OFF")
        same_kb = ds.get_setting("remote_kb") == catalog.ident
        local = json.loads(ds.get_setting("remote_catalog") or "{}") if same_kb else {}
        have = set(ds.hashes())
        want: dict[str, list] = state["docs"]
        fetch = [(d, e) for d, e in want.items() if local.get(d) != e or d not in have]
        # A few documents at a time: 100k chunks held at once cost ~700 MB (measured).
        for i in range(0, len(fetch), _FETCH):
            for text in catalog.records(dict(fetch[i:i + _FETCH])).values():
                doc, chunks, label, dict_fp, tokens = parse_record(text)
                ds.put(doc, chunks, label)
                if tokens:
                    ds.put_tokens(dict_fp, tokens)
        for did in have - want.keys():
            ds.delete(did)
        for key, value in state.get("settings", {}).items():
            ds.set_setting(key, value)
        _remember(ds, catalog.ident, state)
        ds.checkpoint()
    finally:
        ds.close()
    return bool(fetch) or bool(have - want.keys())


def _remember(ds: DocStore, ident: str, state: dict) -> None:
    ds.set_setting("remote_catalog", json.dumps(state["docs"]))
    ds.set_setting("remote_kb", ident)
    ds.set_setting("remote_generation", state["generation"])


def publish(store) -> bool:
    """Send what a writer changed to the server (IndexStore.close of a writer).

    Returns True when the server's knowledge base changed (a new generation).
    """
    config = store.config
    catalog = Catalog(config.chroma, kb_name(config), create=True)
    old = catalog.state() or {"generation": "0", "settings": {}, "docs": {}}
    ds = store.docstore
    entries: dict[str, list] = {}
    parts: list[tuple[str, str]] = []
    with ds.reading():
        docs = {d.doc_id: d for d in ds.documents()}
        by_doc: dict[str, list[Chunk]] = {}
        for c in ds.chunks(docs):
            by_doc.setdefault(c.doc_id, []).append(c)
        labels = ds.labels()
        settings = {k: v for k in SETTINGS if (v := ds.get_setting(k)) is not None}
        # Tokens a few documents at a time: at 100k chunks, all at once made a writer's
        # no-op publish peak at 1.9 GB instead of 0.5 GB (measured, docs/DEPLOYMENT.md).
        order = list(docs)
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            tokens = ds.tokens(store.dict_fp, [c.chunk_id for d in batch
                                               for c in by_doc.get(d, [])])
            for did in batch:
                _entry(did, docs[did], by_doc.get(did, []), labels.get(did, ""), tokens,
                       store.dict_fp, old, entries, parts)
    if entries == old["docs"] and settings == old["settings"] and old["generation"] != "0":
        _remember(ds, catalog.ident, old)
        return False
    catalog.put_parts(parts)
    new = {"generation": _next_generation(old["generation"]), "settings": settings,
           "docs": entries}
    catalog.put_state(new)
    catalog.delete([p for did, e in old["docs"].items() if entries.get(did) != e
                    for p in _part_ids(did, e)])
    _remember(ds, catalog.ident, new)
    return True


def _entry(did: str, doc: Document, chunks: list[Chunk], label: str,
           tokens: dict[str, list[str]], dict_fp: str, old: dict, entries: dict,
           parts: list) -> None:
    """A document's catalog entry; its parts to upload when its digest is new."""
    text = record_json(doc, chunks, label, tokens, dict_fp)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    if old["docs"].get(did, [None])[0] == digest:
        entries[did] = old["docs"][did]
        return
    packed = _pack(text)
    pieces = [packed[i:i + _PART] for i in range(0, len(packed), _PART)] or [""]
    entries[did] = [digest, len(pieces)]
    parts.extend(zip(_part_ids(did, entries[did]), pieces, strict=True))


def wipe_remote(config: Config) -> None:
    """Empty the server's catalog of this knowledge base (a --rebuild; vectors apart).

    The generation stays: readers keep their cache until the rebuild publishes.
    """
    catalog = Catalog(config.chroma, kb_name(config), create=True)
    old = catalog.state()
    if old is None:
        return
    catalog.put_state({"generation": old["generation"], "settings": {}, "docs": {}})
    catalog.delete([p for did, e in old["docs"].items() for p in _part_ids(did, e)])


_SEEN: dict[tuple, tuple[float, str | None]] = {}


def server_generation(config: Config) -> str | None:
    """The server's generation of this knowledge base, asked at most every
    `check_seconds` per process (what a reader compares to decide on a reload)."""
    key = (config.chroma.host, config.chroma.port, kb_name(config))
    now = time.monotonic()
    seen = _SEEN.get(key)
    if seen is not None and now - seen[0] < config.chroma.check_seconds:
        return seen[1]
    try:
        gen = Catalog(config.chroma, key[2], create=False).generation()
    except KBError:
        return seen[1] if seen else None  # the server is away: opening will say so
    _SEEN[key] = (now, gen)
    return gen
