"""One knowledge-base index on disk: docstore (SQLite) + vectors (Chroma) + BM25.

Layout of an index directory:
    docstore.sqlite   documents, chunk spans, settings (source of truth)
    chroma/           embedded Chroma (unless a Chroma server is configured): one vector
                      per passage (index.passages), several per long chunk
    bm25/             bm25s index + the chunk ids it covers

Consistency after a killed ingest: a document is written to Chroma first and
to the docstore last, in one transaction. `reconcile()` drops vectors the
docstore does not know and marks documents whose vectors are missing for
re-ingest; BM25 carries a fingerprint of the chunk ids it covers and is
rebuilt whenever it differs from the docstore.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import Config
from core.errors import IndexMismatchError, IndexNotFoundError
from core.models import Chunk, Document
from index.bm25 import BM25Index, fingerprint
from index.docstore import SCHEMA_VERSION, DocStore
from index.embedders import Embedder, recorded_name
from index.passages import Passage, chunk_head, chunk_of
from index.tokenize import Tokenizer, dictionary_fingerprint
from index.vectors import VectorIndex


def index_text(chunk: Chunk) -> str:
    """What BM25 and the embedder see for a chunk: its title and heading path, then its text.

    The heading path carries words (document title, 第X条, case title) that the
    span itself often lacks; quotes still come from `chunk.text` alone.
    """
    return f"{chunk_head(chunk)}\n{chunk.text}"


@dataclass(frozen=True)
class Snapshot:
    """Everything a searcher needs, read once."""

    docs: dict[str, Document]
    chunks: list[Chunk]
    bm25: BM25Index


class IndexStore:
    """Open (or create) the index at `config.index_dir`."""

    def __init__(self, config: Config, *, create: bool = False) -> None:
        self.config = config
        root = config.index_dir
        db = root / "docstore.sqlite"
        if not create and not db.is_file():
            raise IndexNotFoundError(
                f"索引不存在：{root}（缺少 {db}）；请先运行 `kb ingest 路径 --index {root}`，"
                f"或用 KB_INDEX 指定已有的索引"
            )
        self.docstore = DocStore(db)
        model = recorded_name(config.embed_model)
        recorded = self.docstore.get_setting("embed_model")
        if recorded is None:
            self.docstore.set_setting("embed_model", model)
            self.docstore.set_setting("schema", SCHEMA_VERSION)
        elif recorded != model:
            raise IndexMismatchError(
                f"索引 {root} 是用向量模型 {recorded!r} 建的，当前配置却是 {model!r}："
                f"请把 KB_EMBED_MODEL 设为建库时的模型，或导入到新的索引目录"
            )
        self.vectors = VectorIndex(config.chroma, root / "chroma", {"kb_embed_model": model})
        self.dict_fp = dictionary_fingerprint(config.user_dicts)

    @property
    def bm25_path(self) -> Path:
        return self.config.index_dir / "bm25"

    # settings the ingest must agree with -----------------------------------
    def check_chunking(self, settings: dict, embedder: Embedder) -> None:
        """Record chunking settings and dimension on first use; refuse a mismatch later."""
        want = json.dumps(settings, sort_keys=True)
        have = self.docstore.get_setting("chunking")
        if have is None:
            self.docstore.set_setting("chunking", want)
            self.docstore.set_setting("embed_dim", str(embedder.dim))
        elif have != want:
            raise IndexMismatchError(
                f"索引 {self.config.index_dir} 的切分参数为 {have}，本次入库使用 {want}："
                f"请运行 `kb ingest 路径 --rebuild` 重建索引"
            )

    # writes -------------------------------------------------------------
    def replace_document(self, doc: Document, chunks: Sequence[Chunk],
                         passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Swap a document's vectors and docstore rows (vectors first, docstore last)."""
        self.vectors.delete_doc(doc.doc_id)
        if passages:
            self.vectors.add(passages, vectors)
        self.docstore.put(doc, chunks)

    def remove_document(self, doc_id: str) -> None:
        """Delete a document from the docstore first, then its vectors."""
        self.docstore.delete(doc_id)
        self.vectors.delete_doc(doc_id)

    def reconcile(self) -> tuple[int, int]:
        """Repair what a killed ingest left behind. Returns (orphans removed, docs to redo)."""
        by_doc = self.docstore.chunk_ids_by_doc()
        known = {cid for ids in by_doc.values() for cid in ids}
        in_vectors = self.vectors.all_ids()
        orphans = {v for v in in_vectors if chunk_of(v) not in known}
        if orphans:
            self.vectors.delete_ids(orphans)
        # A chunk's whole-chunk vector (id = chunk id) is written after its windows.
        redo = [d for d, ids in by_doc.items() if not in_vectors.issuperset(ids)]
        for d in redo:
            self.docstore.forget_hash(d)
        return len(orphans), len(redo)

    # reads --------------------------------------------------------------
    def snapshot(self, tokenize: Tokenizer, *, save_bm25: bool = True) -> Snapshot:
        """Load documents and chunks; (re)build BM25 if it does not match them."""
        docs = {d.doc_id: d for d in self.docstore.documents()}
        chunks = self.docstore.chunks(docs)
        ids = [c.chunk_id for c in chunks]
        bm25 = BM25Index.load(self.bm25_path)
        if bm25 is None or bm25.fp != fingerprint(ids, self.dict_fp):
            cached = self.docstore.tokens(self.dict_fp)
            fresh = {c.chunk_id: tokenize(index_text(c)) for c in chunks
                     if c.chunk_id not in cached}
            if fresh:
                self.docstore.put_tokens(self.dict_fp, fresh)
            cached.update(fresh)
            bm25 = BM25Index.build(ids, [cached[i] for i in ids], self.dict_fp)
            if save_bm25:
                bm25.save(self.bm25_path)
        return Snapshot(docs=docs, chunks=chunks, bm25=bm25)
