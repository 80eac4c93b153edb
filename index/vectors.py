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

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.config import ChromaConfig
from core.errors import IndexMismatchError, KBError
from index.passages import Passage

_BATCH = 1000


def _open_client(cfg: ChromaConfig, path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if cfg.host:
        try:
            return chromadb.HttpClient(host=cfg.host, port=cfg.port, settings=settings)
        except Exception as exc:  # connection errors come in several types
            raise KBError(
                f"Chroma server at {cfg.host}:{cfg.port}: expected a running server, "
                f"could not connect ({exc.__class__.__name__})"
            ) from None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class VectorIndex:
    """Passage vectors (index.passages) with the metadata needed for filtering (doc_id)."""

    def __init__(self, cfg: ChromaConfig, path: Path, signature: dict[str, str]) -> None:
        self._client = _open_client(cfg, path)
        meta = {"hnsw:space": "cosine", **signature}
        collection = self._client.get_or_create_collection(
            cfg.collection,
            metadata=meta,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        found = collection.metadata or {}
        for key, want in signature.items():
            have = found.get(key)
            if have != want:
                raise IndexMismatchError(
                    f"index collection {cfg.collection!r} was built with {key}={have!r}, "
                    f"but this configuration uses {want!r}; re-ingest into a new index "
                    f"directory or set KB_EMBED_MODEL back"
                )
        self._collection = collection
        self._store = None

    @property
    def store(self):
        """The llama-index vector store over the collection (imported on first write)."""
        if self._store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._store = ChromaVectorStore(chroma_collection=self._collection)
        return self._store

    def add(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Add passages with their vectors, written in the order given."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        # The SOURCE relationship makes llama-index store our doc id as the node's
        # ref_doc_id (metadata keys "doc_id"/"document_id"), which deletes and filters use.
        nodes = [
            TextNode(
                id_=p.vector_id,
                text=p.text,
                embedding=v.tolist(),
                metadata={"doc_type": p.chunk.doc_type, "chunk_id": p.chunk.chunk_id},
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=p.chunk.doc_id)},
            )
            for p, v in zip(passages, vectors, strict=True)
        ]
        for i in range(0, len(nodes), _BATCH):
            self.store.add(nodes[i : i + _BATCH])

    def delete_ids(self, ids: Iterable[str]) -> None:
        """Remove vectors by id (missing ids are ignored)."""
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[i : i + _BATCH])

    def delete_doc(self, doc_id: str) -> None:
        """Remove every vector of one document, whatever ids it had."""
        self.store.delete(ref_doc_id=doc_id)

    def all_ids(self) -> set[str]:
        """Every vector id in the collection (for reconciling after a killed ingest)."""
        out: set[str] = set()
        offset = 0
        while True:
            got = self._collection.get(include=[], limit=5000, offset=offset)
            ids = got["ids"]
            out.update(ids)
            if len(ids) < 5000:
                return out
            offset += len(ids)

    def count(self) -> int:
        return self._collection.count()

    def query(
        self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest vector ids with cosine similarity, optionally only within `doc_ids`."""
        if doc_ids is not None and not doc_ids:
            return []
        where = None if doc_ids is None else {"doc_id": {"$in": list(doc_ids)}}
        res = self._collection.query(query_embeddings=[vector.tolist()], n_results=k,
                                     where=where, include=["distances"])
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]
