"""One knowledge-base index on disk: docstore (SQLite) + vectors (Chroma) + BM25.

Layout of an index directory: see `index.layout` (Chroma holds one vector per passage,
index.passages, several per long chunk).

Opened for reading (the default) nothing is created or written, except a rebuilt BM25
index saved when the writer lock happens to be free; faults found on opening raise
StoreDamagedError with the repairing command. Opened with `create=True` (writers, who
hold the lock) the stores are created as needed.

Consistency after a killed ingest: a document is written to Chroma first and
to the docstore last, in one transaction. `reconcile()` drops vectors the
docstore does not know and marks documents whose vectors are missing for
re-ingest; BM25 carries a fingerprint of the chunk ids it covers and is
rebuilt whenever it differs from the docstore.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import Config
from core.errors import (
    IndexBusyError,
    IndexMismatchError,
    IndexNotFoundError,
    KBError,
    StoreDamagedError,
)
from core.models import Chunk, Document
from index import snapcache
from index.bm25 import BM25Index, bm25_matches, sample_rows
from index.chunktable import ChunkTable
from index.docstore import SCHEMA_VERSION, DocStore
from index.embedders import Embedder, recorded_name
from index.layout import (
    DOCSTORE_NAME,
    SNAPSHOT_CACHE,
    damaged,
    db_reason,
    read_ingested,
    wipe_stores,
    write_ingested,
)
from index.lock import try_writer_lock, writer_active
from index.passages import Passage, chunk_head, chunk_of
from index.tokenize import Tokenizer, dictionary_fingerprint
from index.vecmirror import STATE_KEY, MirrorSession, VectorMirror
from index.vectors import DB_FILE, VectorIndex


def index_text(chunk: Chunk) -> str:
    """What BM25 and the embedder see for a chunk: its title and heading path, then its text.

    The heading path carries words (document title, 第X条, case title) that the
    span itself often lacks; quotes still come from `chunk.text` alone.
    """
    return f"{chunk_head(chunk)}\n{chunk.text}"


@dataclass(frozen=True)
class DocumentWrite:
    """One document's part of a grouped write (IndexStore.write_documents).

    `complete`: the document's docstore rows are already there without its hash (an
    early-lexical write), so only its hash is recorded after its vectors: the document
    is complete only once both are there.
    """

    doc: Document
    chunks: Sequence[Chunk]
    passages: Sequence[Passage]
    vectors: np.ndarray
    label: str = ""
    complete: bool = False


@dataclass(frozen=True)
class Snapshot:
    """Everything a searcher needs, read once.

    `chunks` maps chunk_id -> Chunk in index order (the BM25 rows); each Chunk is made
    when read (index.chunktable), so `len`, lookups and `by_doc` are cheap.
    """

    docs: dict[str, Document]
    chunks: ChunkTable
    bm25: BM25Index


class IndexStore:
    """Open (or create) the index at `config.index_dir`."""

    def __init__(self, config: Config, *, create: bool = False,
                 vectors: bool = True) -> None:
        try:
            self._open(config, create, vectors)
        except (StoreDamagedError, IndexNotFoundError):
            # A rebuild (or a first ingest) in progress looks like a missing or damaged
            # store for a moment: say so instead of sending the user to a repair.
            if not create and writer_active(config.index_dir):
                raise IndexBusyError(f"索引 {config.index_dir} 正在被另一个进程写入（例如重建），"
                                     f"暂时无法打开；请稍后再试") from None
            raise

    def _open(self, config: Config, create: bool, vectors: bool) -> None:
        self.config = config
        self.writable = create
        root = config.index_dir
        if config.chroma.host:  # a shared knowledge base: the local folder is a cache
            from index.remote import sync_down

            sync_down(config)
        db = root / DOCSTORE_NAME
        try:
            exists = db.is_file()
        except OSError as exc:  # a folder this user may not enter
            raise KBError(f"无法读取索引 {root}（{exc.strerror}）") from None
        if not create and not exists:
            raise IndexNotFoundError(
                f"索引不存在：{root}（缺少 {db}）；请先运行 `kb ingest 路径 --index {root}`，"
                f"或用 KB_INDEX 指定已有的索引"
            )
        model = recorded_name(config.embed_model)
        try:
            if not create and db.stat().st_size == 0:
                raise damaged(root, f"文档库 {db.name} 是空文件")
            self.docstore = DocStore(db, readonly=not create)
            recorded = self.docstore.get_setting("embed_model")
        except sqlite3.DatabaseError as exc:
            raise damaged(root, f"文档库 {db.name} 无法读取（{db_reason(exc)}）") from None
        if recorded is None:
            if not create:
                raise damaged(root, f"文档库 {db.name} 中没有建库记录（首次入库未完成？）")
            self.docstore.set_setting("embed_model", model)
            self.docstore.set_setting("schema", SCHEMA_VERSION)
        elif recorded != model:
            raise IndexMismatchError(
                f"索引 {root} 是用向量模型 {recorded!r} 建的，当前配置却是 {model!r}："
                f"请把 KB_EMBED_MODEL 设为建库时的模型，或导入到新的索引目录"
            )
        self.dict_fp = dictionary_fingerprint(config.user_dicts)
        self._vectors: VectorIndex | None = None
        # Readers of an embedded store search the memory-mapped mirror when it is
        # current, and open Chroma only when not (index.vecmirror).
        self.mirror: VectorMirror | None = None
        self._session: MirrorSession | None = None
        self._ann_ready = False  # warm_vectors loaded Chroma's index: query it
        self._warming = threading.Lock()
        local = not config.chroma.host
        if create and local:
            self._session = MirrorSession.begin(root, self.docstore)
        if vectors:
            if not create and local:
                self.mirror = VectorMirror.open(root, self.docstore.get_setting(STATE_KEY))
            if self.mirror is not None and not (root / "chroma" / DB_FILE).is_file():
                # The copy would still answer, but the store of record is gone: say so
                # (a repair re-embeds it) rather than serve what nothing can update.
                raise damaged(root, f"向量库不存在（缺少 {root / 'chroma' / DB_FILE}）")
            if self.mirror is None:
                self.vectors = self.open_vectors()
            if not create:
                self._check_vectors()

    @property
    def vectors(self) -> VectorIndex:
        """Chroma's collection (opened on first use by a reader with a current mirror)."""
        if self._vectors is None:
            self.vectors = self.open_vectors()
        assert self._vectors is not None
        return self._vectors

    @vectors.setter
    def vectors(self, value: VectorIndex) -> None:
        self._vectors = value
        if self._session is not None:
            value.on_change = self._session.changed

    def vectors_rewritten(self) -> None:
        """A writer changed vectors directly (a repair, a bulk load): the mirror is then
        rewritten whole when the store closes."""
        if self._session is not None:
            self._session.full = True

    def query_vectors(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None,
                      hidden: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Nearest passage vectors: from Chroma once `warm_vectors` has loaded its index,
        else from the mirror when current, else from Chroma."""
        if self.mirror is not None and not self._ann_ready:
            return self.mirror.query(vector, k, doc_ids, hidden=hidden)
        return self.vectors.query(vector, k, doc_ids, hidden=hidden)

    def warm_vectors(self) -> bool:
        """Load Chroma's HNSW index, then query it instead of the mirror: for a process
        that answers many queries (the app, `kb serve`). The mirror's exact search costs
        about 13 ms at 270k vectors, HNSW about 1 ms; loading HNSW costs 1.8 s, which a
        one-query `kb search` never pays. True when Chroma now answers."""
        if self.mirror is None or self._ann_ready:
            return self._ann_ready or self.mirror is None
        with self._warming:
            try:
                vectors = self.vectors
                if vectors.count() < self.mirror.count():
                    return False  # not the vectors the mirror copied: keep the mirror
            except KBError:
                return False  # a damaged store: the mirror keeps answering
            self._ann_ready = True
        return True

    def open_vectors(self) -> VectorIndex:
        """The vector store; a reader's missing or damaged store raises StoreDamagedError."""
        model = recorded_name(self.config.embed_model)
        try:
            return VectorIndex(self.config.chroma, self.config.index_dir / "chroma",
                               {"kb_embed_model": model}, create=self.writable)
        except StoreDamagedError as exc:
            raise damaged(self.config.index_dir, str(exc)) from None

    def _check_vectors(self) -> None:
        """No silent fallback to BM25 only: too few vectors for the chunks is a fault."""
        try:
            _, n_chunks = self.docstore.counts()
        except sqlite3.DatabaseError as exc:
            raise damaged(self.config.index_dir,
                          f"文档库无法读取（{db_reason(exc)}）") from None
        try:
            n_vectors = self.mirror.count() if self.mirror is not None else self.vectors.count()
        except StoreDamagedError as exc:
            raise damaged(self.config.index_dir, str(exc)) from None
        # Each chunk has at least one vector (its own id, index.passages). While a
        # writer replaces a document its vectors are briefly gone: not a fault then.
        if n_vectors < n_chunks and not writer_active(self.config.index_dir) \
                and not self._writer_elsewhere():
            raise damaged(self.config.index_dir,
                          f"向量库缺少向量（段落 {n_chunks} 个，向量只有 {n_vectors} 个）")

    def _writer_elsewhere(self) -> bool:
        """On a Chroma server: another machine's writer holds the knowledge base now."""
        if not self.config.chroma.host:
            return False
        from index.lease import writer_elsewhere

        return writer_elsewhere(self.config)

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

    # writes (the caller holds the writer lock) ------------------------------
    def replace_document(self, doc: Document, chunks: Sequence[Chunk],
                         passages: Sequence[Passage], vectors: np.ndarray,
                         label: str = "") -> None:
        """Swap a document's vectors and docstore rows (vectors first, docstore last)."""
        self.write_documents([DocumentWrite(doc, chunks, passages, vectors, label)])

    def write_documents(self, writes: Sequence[DocumentWrite]) -> None:
        """Swap several documents' vectors in one Chroma add, then write each one's
        docstore rows: every vector of the group first, the docstore last, so a kill in
        between leaves what `reconcile` repairs, as for one document.

        One add for the group because a local Chroma add costs about 75 ms of CPU
        whatever its size (1,040 vectors: 3.6 s in 40 adds, 0.6 s in one), and during
        an ingest that CPU is taken from the embedder running beside it.
        """
        for w in writes:
            self.vectors.delete_doc(w.doc.doc_id)
        with_vectors = [w for w in writes if w.passages]
        if with_vectors:
            self.vectors.add([p for w in with_vectors for p in w.passages],
                             np.concatenate([w.vectors for w in with_vectors]))
        for w in writes:
            if w.complete:
                self.docstore.set_hash(w.doc.doc_id, w.doc.content_hash)
            else:
                self.docstore.put(w.doc, w.chunks, w.label)

    def sources_under(self, folder: Path) -> dict[str, str]:
        """doc_id -> source of every document whose (absolute) source lies under `folder`."""
        folder = Path(os.path.abspath(folder))
        return {did: src for did, src in self.docstore.sources().items()
                if Path(src).is_absolute() and Path(src).is_relative_to(folder)}

    def remove_under(self, folder: Path) -> list[str]:
        """Remove every document whose source lies under `folder`; returns their sources."""
        gone = self.sources_under(folder)
        for did in gone:
            self.remove_document(did)
        return list(gone.values())

    def close(self) -> None:
        """Close; a writer on a Chroma server first publishes its changes (index.remote),
        an embedded one rewrites the vector mirror."""
        try:
            if self.writable and self.config.chroma.host:
                from index.remote import publish

                publish(self)
            if self._session is not None:
                session, self._session = self._session, None
                session.finish(self._vectors)
        finally:
            self.docstore.close()

    wipe = staticmethod(wipe_stores)

    def ingested_paths(self) -> list[Path]:
        """Folders and files ever named to an ingest of this index (for a repair)."""
        return read_ingested(self.config.index_dir)

    def record_ingested(self, paths: Iterable[Path], *, replace: bool = False) -> None:
        """Remember the absolute paths an ingest was given (a rebuild replaces the list)."""
        write_ingested(self.config.index_dir, paths, replace=replace)

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
        # The vector with a chunk's own id is written last of its passages.
        redo = [d for d, ids in by_doc.items() if not in_vectors.issuperset(ids)]
        for d in redo:
            self.docstore.forget_hash(d)
        return len(orphans), len(redo)

    # reads --------------------------------------------------------------
    def snapshot(self, tokenize: Tokenizer, *, save_bm25: bool = True) -> Snapshot:
        """Load documents and chunk rows; (re)build BM25 if it does not match them.

        Documents and chunk rows are read in one transaction, so a writer committing
        meanwhile is seen entirely or not at all. Chunks are rows (index.chunktable),
        made into `Chunk`s when read; the saved BM25 is memory-mapped and checked against
        the stored tokens of three rows, so opening does not grow much with the index.
        A rebuilt BM25 index is saved only under the writer lock, taken without waiting
        (a reader never blocks). The document and chunk rows come from index.snapcache
        when it was written under the docstore's current `rows_stamp`, else from SQLite
        (and are then kept there the same way as a rebuilt BM25).
        """
        cache = self.config.index_dir / SNAPSHOT_CACHE
        try:
            with self.docstore.reading():
                stamp = self.docstore.rows_stamp()
                cached = snapcache.read(cache, stamp, self.docstore.text_loader()) \
                    if stamp else None
                if cached is not None:
                    docs, chunks = cached
                else:
                    docs = {d.doc_id: d for d in self.docstore.stored_documents()}
                    chunks = ChunkTable.from_rows(docs, *self.docstore.chunk_rows())
                ids = chunks.ids
                sample = self.docstore.tokens(self.dict_fp, sample_rows(ids))
        except (sqlite3.DatabaseError, KeyError, ValueError) as exc:
            raise damaged(self.config.index_dir,
                          f"文档库内容无法读取（{db_reason(exc)}）") from None
        # Rows read whole (an early-lexical write without its hash yet) are not kept:
        # the cached documents read their texts by hash.
        if cached is None and stamp and save_bm25 \
                and all(d.content_hash for d in docs.values()):
            self._save(lambda _: snapcache.write(cache, stamp, docs, chunks), docstore=False)
        bm25 = BM25Index.load(self.bm25_path, mmap=True)
        if bm25 is not None and not bm25_matches(bm25, ids, self.dict_fp, sample):
            bm25 = None  # stale, or copied from another index: rebuilt from the docstore
        if bm25 is None:
            bm25 = self._rebuild_bm25(chunks, tokenize, save_bm25)
        bm25.ids = ids  # one list of ids for both (bm25_matches found them equal)
        return Snapshot(docs=docs, chunks=chunks, bm25=bm25)

    def _rebuild_bm25(self, chunks: ChunkTable, tokenize: Tokenizer,
                      save: bool) -> BM25Index:
        try:
            cached = self.docstore.tokens(self.dict_fp)
        except sqlite3.DatabaseError as exc:
            raise damaged(self.config.index_dir,
                          f"文档库内容无法读取（{db_reason(exc)}）") from None
        ids = chunks.ids
        fresh = {cid: tokenize(index_text(chunks[cid])) for cid in ids if cid not in cached}
        cached.update(fresh)
        bm25 = BM25Index.build(ids, [cached[i] for i in ids], self.dict_fp)
        del cached
        lock = try_writer_lock(self.config.index_dir) if save else None
        if lock is not None:
            try:
                with self._writing_docstore() as ds:
                    if fresh:
                        ds.put_tokens(self.dict_fp, fresh)
                bm25.save(self.bm25_path)
            except OSError:
                pass  # a full disk costs a rebuild at the next open, not the search
            finally:
                lock.release()
        return bm25

    def bm25_fits(self) -> bool:
        """The saved BM25 index covers exactly the docstore's chunks (cheap: no tokenising)."""
        bm25 = BM25Index.load(self.bm25_path)
        if bm25 is None:
            return False
        ids = self.docstore.chunk_ids()
        sample = self.docstore.tokens(self.dict_fp, sample_rows(ids))
        return bm25_matches(bm25, ids, self.dict_fp, sample)

    def save_cached(self, kind: str, rows: dict[str, tuple[str, str]]) -> bool:
        """Keep per-document results (docstore `cached`) for the next open; like a rebuilt
        BM25, only when the writer lock is free (a reader never waits). True when saved."""
        return self._save(lambda ds: ds.put_cached(kind, rows))

    def save_setting(self, key: str, value: str) -> bool:
        """Keep a computed value in the docstore's settings, as `save_cached`."""
        return self._save(lambda ds: ds.set_setting(key, value))

    def _save(self, write, *, docstore: bool = True) -> bool:
        """Run `write` (given a writing docstore when `docstore`) under the writer lock,
        taken only if free: a reader never waits. True when it ran; a full disk or a
        read-only index just means it is computed again next time."""
        lock = None if self.writable else try_writer_lock(self.config.index_dir)
        if lock is None and not self.writable:
            return False
        try:
            if docstore:
                with self._writing_docstore() as ds:
                    write(ds)
            else:
                write(self.docstore)
            return True
        except (OSError, sqlite3.DatabaseError):
            return False
        finally:
            if lock is not None:
                lock.release()

    def _writing_docstore(self):
        """The docstore to write to: this one, or a writing connection for a reader."""
        from contextlib import contextmanager

        @contextmanager
        def opened():
            if self.writable:
                yield self.docstore
                return
            ds = DocStore(self.config.index_dir / DOCSTORE_NAME)
            try:
                yield ds
            finally:
                ds.close()

        return opened()
