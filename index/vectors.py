"""Dense vectors in Chroma, through llama-index's vector-store abstraction.

Chroma is opened embedded (`PersistentClient`) or against a server
(`HttpClient`); it never gets an embedding function of its own (its default
would download a model) and always uses cosine space. The collection's
metadata records which embedder built it; opening it with another one raises
`IndexMismatchError`.

Writes go through llama-index's `ChromaVectorStore`, so the collection has the
standard llama-index node layout and a deployment can swap in another store
llama-index supports. Queries go straight to the Chroma collection: they only
need ids and distances, and importing llama-index costs about 1.4 s of the 3 s
cold-start budget of `kb search`.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.config import ChromaConfig
from core.errors import IndexMismatchError, KBError, StoreDamagedError
from index.passages import Passage

_BATCH = 1000
DB_FILE = "chroma.sqlite3"


# chromadb's per-process client cache is a plain dict, filled when a client is made:
# two threads of one process (an upload's ingest beside the app's readers) making or
# dropping clients at once left one of them a half-made client (KeyError, or
# AttributeError: 'RustBindingsAPI' object has no attribute 'bindings').
_CLIENTS = threading.Lock()


def _forget_cached_system(path: str) -> None:
    """Drop chromadb's per-process client for `path` when its files are gone.

    chromadb keeps one client per folder for the life of the process; after the folder
    was deleted (a rebuild, or a user removing the index under the running app) that
    client writes into deleted files and every later call fails. Private API, hence the
    getattr: without it we fall back to chromadb's own behaviour.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    systems = getattr(SharedSystemClient, "_identifier_to_system", {})
    with _CLIENTS:
        system = systems.pop(path, None)
    if system is not None:
        try:
            system.stop()
        except Exception:  # a system over deleted files may fail to stop; it is dropped
            pass


_IMPORTING = threading.Lock()


def import_writer() -> None:
    """Import what writes need (llama-index, about 1.4 s of CPU), one thread at a time:
    two threads importing llama-index at once fail on its circular imports (a partially
    initialised module), which Python's per-module import locks do not prevent. An ingest
    calls it in a background thread while its first files are read, before embedding
    starts; the writes call it too, and then find the modules loaded."""
    with _IMPORTING:
        import llama_index.core.schema  # noqa: F401
        import llama_index.vector_stores.chroma  # noqa: F401


def _readonly_copy(path: Path) -> Path:
    """A private writable copy of a read-only Chroma folder (Chroma cannot open one)."""
    tmp = Path(tempfile.mkdtemp(prefix="kb-readonly-chroma-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    dest = tmp / "chroma"
    shutil.copytree(path, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    return dest


def _open_client(cfg: ChromaConfig, path: Path, create: bool) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if cfg.host:
        return server_client(cfg)
    path = Path(os.path.abspath(path))
    if not (path / DB_FILE).is_file():
        _forget_cached_system(str(path))
        if not create:
            raise StoreDamagedError(f"向量库不存在（缺少 {path / DB_FILE}）")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif not (os.access(path, os.W_OK) and os.access(path / DB_FILE, os.W_OK)):
        path = _readonly_copy(path)
    for attempt in (1, 2):
        try:
            with _CLIENTS:
                return chromadb.PersistentClient(path=str(path), settings=settings)
        except (KeyError, AttributeError):
            # chromadb's per-process client cache changed under us (another thread of
            # this process opened or dropped the same folder): once more, then a fault.
            if attempt == 2:
                raise StoreDamagedError(f"向量库无法打开（{path} 的客户端缓存被并发修改）"
                                        ) from None
        except Exception as exc:  # chromadb wraps SQLite and HNSW errors in several types
            raise StoreDamagedError(f"向量库无法打开（{_reason(exc)}）") from None
    raise AssertionError("unreachable")


@functools.lru_cache(maxsize=8)
def server_client(cfg: ChromaConfig) -> Any:
    """A client of the Chroma server `cfg` names (one per configuration and process).

    chromadb's TokenAuthClientProvider puts `Authorization: Bearer <token>` on every
    request. The Rust `chroma run` of chromadb 1.x does not check it (its server-side
    auth is a no-op); a reverse proxy in front of the server does (docs/DEPLOYMENT.md).
    """
    import chromadb
    from chromadb.config import Settings

    auth: dict[str, Any] = {}
    if cfg.token:
        auth = {"chroma_client_auth_provider":
                "chromadb.auth.token_authn.TokenAuthClientProvider",
                "chroma_client_auth_credentials": cfg.token}
    where = f"Chroma 服务 {cfg.host}:{cfg.port}"
    try:
        client = chromadb.HttpClient(host=cfg.host, port=cfg.port,
                                     settings=Settings(anonymized_telemetry=False, **auth))
        client.list_collections(limit=1)  # heartbeat needs no auth: this one does
    except ValueError as exc:  # chromadb refuses a malformed token before sending it
        raise KBError(f"{where}：KB_CHROMA_TOKEN 格式不对（{_reason(exc)}）") from None
    except Exception as exc:  # connection and auth errors come in several types
        text = str(exc)
        if any(w in text for w in ("401", "403", "Unauthorized", "Forbidden")):
            raise KBError(f"{where} 拒绝了访问：请检查 KB_CHROMA_TOKEN（{_reason(exc)}）"
                          ) from None
        raise KBError(f"{where}：应有正在运行的服务，但无法连接（{_reason(exc)}）") from None
    return client


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


class VectorIndex:
    """Passage vectors (index.passages) with the metadata needed for filtering (doc_id).

    `create=False` (readers) never creates anything: a missing or damaged store raises
    StoreDamagedError instead of quietly becoming an empty one.
    """

    def __init__(self, cfg: ChromaConfig, path: Path, signature: dict[str, str], *,
                 create: bool = True) -> None:
        self._client = _open_client(cfg, path, create)
        # `path` is `<index>/chroma`: on a server the collection is that knowledge base's.
        self.name = name = cfg.collection_for(Path(path).parent)
        meta = {"hnsw:space": "cosine", **signature}
        try:
            if create:
                collection = self._client.get_or_create_collection(
                    name,
                    metadata=meta,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                )
            else:
                collection = self._client.get_collection(name, embedding_function=None)
        except Exception as exc:  # NotFoundError, or SQLite damage under chromadb
            raise StoreDamagedError(f"向量库中没有可用的集合 {name!r}（{_reason(exc)}）") from None
        found = collection.metadata or {}
        for key, want in signature.items():
            have = found.get(key)
            if have != want:
                raise IndexMismatchError(
                    f"index collection {name!r} was built with {key}={have!r}, "
                    f"but this configuration uses {want!r}; re-ingest into a new index "
                    f"directory or set KB_EMBED_MODEL back"
                )
        self._collection = collection
        self._store = None
        # Told of every change: doc ids written or deleted, or None when unknown (a delete
        # by vector id). The writer's IndexStore keeps its vector mirror current with it.
        self.on_change: Callable[[Iterable[str] | None], None] | None = None

    def _changed(self, doc_ids: Iterable[str] | None) -> None:
        if self.on_change is not None:
            self.on_change(doc_ids)

    @property
    def store(self):
        """The llama-index vector store over the collection (imported on first write)."""
        if self._store is None:
            import_writer()
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._store = ChromaVectorStore(chroma_collection=self._collection)
        return self._store

    def add(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Add passages with their vectors, written in the order given."""
        import_writer()
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        # The SOURCE relationship makes llama-index store our doc id as the node's
        # ref_doc_id (metadata keys "doc_id"/"document_id"), which deletes and filters use.
        nodes = [
            TextNode(
                id_=p.vector_id,
                text=p.text,
                embedding=v.tolist(),
                # visibility: the vector query filters by it before top-k (issue 15).
                metadata={"doc_type": p.chunk.doc_type, "chunk_id": p.chunk.chunk_id,
                          "visibility": p.chunk.visibility},
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=p.chunk.doc_id)},
            )
            for p, v in zip(passages, vectors, strict=True)
        ]
        self._changed({p.chunk.doc_id for p in passages})
        for i in range(0, len(nodes), _BATCH):
            self.store.add(nodes[i : i + _BATCH])

    def delete_ids(self, ids: Iterable[str]) -> None:
        """Remove vectors by id (missing ids are ignored)."""
        ids = list(ids)
        if ids:
            self._changed(None)
        for i in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[i : i + _BATCH])

    def delete_doc(self, doc_id: str) -> None:
        """Remove every vector of one document, whatever ids it had."""
        self._changed([doc_id])
        self.store.delete(ref_doc_id=doc_id)

    def _pages(self, include: list, size: int = 5000):
        """The whole collection's `get` results, one page of `size` records at a time."""
        offset = 0
        while True:
            got = self._collection.get(include=include, limit=size, offset=offset)
            yield got
            if len(got["ids"]) < size:
                return
            offset += len(got["ids"])

    def all_ids(self) -> set[str]:
        """Every vector id in the collection (for reconciling after a killed ingest)."""
        return {i for got in self._pages([]) for i in got["ids"]}

    def rows(self, doc_ids: Sequence[str] | None = None):
        """Every vector (or those of `doc_ids`) with its id, document and visibility
        level, for the memory-mapped mirror (index.vecmirror)."""
        from index.vecmirror import Rows

        ids: list[str] = []
        docs: list[str] = []
        levels: list[str] = []
        parts: list[np.ndarray] = []

        def take(got) -> None:
            got_ids = got["ids"]
            ids.extend(got_ids)
            for m in got["metadatas"] or [{}] * len(got_ids):
                m = m or {}
                docs.append(str(m.get("doc_id") or m.get("ref_doc_id") or ""))
                levels.append(str(m.get("visibility") or ""))
            if len(got_ids):
                parts.append(np.asarray(got["embeddings"], dtype=np.float32))

        include = ["embeddings", "metadatas"]
        if doc_ids is None:
            for got in self._pages(include):
                take(got)
        else:
            wanted = list(doc_ids)
            for i in range(0, len(wanted), 200):
                take(self._collection.get(where={"doc_id": {"$in": wanted[i : i + 200]}},
                                          include=include))
        if not ids:
            return Rows.empty()
        return Rows(ids, docs, levels, np.concatenate(parts))

    def count(self) -> int:
        try:
            return self._collection.count()
        except Exception as exc:  # a damaged store fails on the first read
            raise StoreDamagedError(f"向量库无法读取（{_reason(exc)}）") from None

    def query(
        self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None,
        hidden: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Nearest vector ids with cosine similarity, optionally only within `doc_ids`,
        never of a document whose visibility is one of `hidden` (filtered in the query,
        before the top k; a vector written before issue 15 has no visibility and is
        public, as its document is)."""
        if doc_ids is not None and not doc_ids:
            return []
        terms: list[dict] = []
        if doc_ids is not None:
            terms.append({"doc_id": {"$in": list(doc_ids)}})
        if hidden:
            terms.append({"visibility": {"$nin": list(hidden)}})
        where = None if not terms else terms[0] if len(terms) == 1 else {"$and": terms}
        res = self._collection.query(query_embeddings=[vector.tolist()], n_results=k,
                                     where=where, include=["distances"])
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]
