"""Documents and chunk spans in SQLite: the source of truth for text and offsets.

Chunk texts are not stored: they are `document.text[start:end]`, so a quote
can never drift from the document it cites. Each document is written in one
transaction, which is what makes a killed ingest recoverable.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from core.models import PUBLIC, Chunk, DocMeta, Document, section_label, section_path

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL,
    page_starts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    section TEXT NOT NULL,
    pages TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ord);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc_cache (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (doc_id, kind)
);
CREATE TABLE IF NOT EXISTS chunk_tokens (
    chunk_id TEXT PRIMARY KEY REFERENCES chunks(chunk_id) ON DELETE CASCADE,
    dict_fp TEXT NOT NULL,
    tokens TEXT NOT NULL
);
"""
# Any change to the documents or chunks tables, by whatever code, sets `rows_stamp` to a
# new random value in the same transaction: a copy of those rows made under one stamp
# (index.snapcache) is the docstore's content exactly while the stamp is unchanged.
_STAMP_KEY = "rows_stamp"
_SCHEMA += "".join(
    f"CREATE TRIGGER IF NOT EXISTS stamp_{table}_{op.lower()} AFTER {op} ON {table} BEGIN "
    f"INSERT OR REPLACE INTO settings VALUES ('{_STAMP_KEY}', lower(hex(randomblob(8)))); "
    "END;\n"
    for table in ("documents", "chunks") for op in ("INSERT", "UPDATE", "DELETE"))


# Columns added after schema 1 (ALTER TABLE on open by a writer); readers of an older
# docstore see their defaults.
_ADDED_COLUMNS = {"label": "TEXT NOT NULL DEFAULT ''"}


class DocStore:
    """SQLite-backed store of documents, chunk spans and index settings.

    A writer creates the schema and uses WAL (readers keep reading while it commits);
    `readonly=True` opens without writing anything, so a read-only index can be searched.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if readonly:
            self._db = _connect_readonly(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
            have = {r[1] for r in self._db.execute("PRAGMA table_info(documents)")}
            with self._db:
                for col, decl in _ADDED_COLUMNS.items():
                    if col not in have:
                        self._db.execute(f"ALTER TABLE documents ADD COLUMN {col} {decl}")
                # A store from before the triggers gets its first stamp now; from here on
                # the triggers keep it.
                self._db.execute("INSERT OR IGNORE INTO settings VALUES (?, "
                                 "lower(hex(randomblob(8))))", (_STAMP_KEY,))
        self._columns = {r[1] for r in self._db.execute("PRAGMA table_info(documents)")}

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction: every query inside sees the same committed state.

        A writer may commit a document between two queries of a snapshot (documents,
        then chunks); inside one transaction the reader sees neither half of it.
        """
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def checkpoint(self) -> None:
        """Fold the WAL into the database file, so that a copy or a read-only open sees all."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # checks -------------------------------------------------------------
    def quick_check(self) -> str:
        """SQLite's page-level integrity check: "ok" or the first problem found."""
        rows = self._db.execute("PRAGMA quick_check(1)").fetchall()
        return str(rows[0][0]) if rows else "ok"

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) stored."""
        docs = self._db.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    # settings -----------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def rows_stamp(self) -> str | None:
        """The stamp of the documents' and chunks' current content (None: not kept)."""
        return self.get_setting(_STAMP_KEY)

    def text_loader(self):
        """Reads this docstore's texts on demand (index.doctext)."""
        from index.doctext import TextLoader

        return TextLoader(self.path, _connect_readonly)

    def set_setting(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    # documents ----------------------------------------------------------
    def hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every stored document."""
        return dict(self._db.execute("SELECT doc_id, content_hash FROM documents"))

    def sources(self) -> dict[str, str]:
        """doc_id -> source path as ingested."""
        return dict(self._db.execute("SELECT doc_id, source FROM documents"))

    def labels(self) -> dict[str, str]:
        """doc_id -> the name a document is shown by (path in its folder, upload name)."""
        if "label" not in self._columns:
            return {}
        return {d: lab for d, lab in self._db.execute("SELECT doc_id, label FROM documents")
                if lab}

    def visibilities(self) -> dict[str, str]:
        """doc_id -> visibility level, without reading the texts (public when unset)."""
        rows = self._db.execute("SELECT doc_id, json_extract(meta, '$.visibility') FROM documents")
        return {d: lv or PUBLIC for d, lv in rows}

    def set_source(self, doc_id: str, source: str, label: str) -> None:
        """Record where an unchanged document now is (a relative source made absolute)."""
        with self._db:
            self._db.execute("UPDATE documents SET source=?, label=? WHERE doc_id=?",
                             (source, label, doc_id))

    def put(self, doc: Document, chunks: Sequence[Chunk], label: str = "") -> None:
        """Replace a document and all its chunks atomically."""
        with self._db:
            self._insert(doc, chunks, label)

    def put_many(self, items: Sequence[tuple[Document, Sequence[Chunk]]]) -> None:
        """Replace many documents in one transaction (bulk loads: one commit, not one each)."""
        with self._db:
            for doc, chunks in items:
                self._insert(doc, chunks, "")

    def _insert(self, doc: Document, chunks: Sequence[Chunk], label: str) -> None:
        self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc.doc_id,))
        self._db.execute(
            "INSERT INTO documents (doc_id, source, content_hash, text, meta, page_starts,"
            " label) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc.doc_id, doc.source, doc.content_hash, doc.text,
             json.dumps(asdict(doc.meta), ensure_ascii=False),
             json.dumps(list(doc.page_starts)), label),
        )
        self._db.executemany(
            'INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)',
            [(c.chunk_id, c.doc_id, i, section_label(c.section), json.dumps(list(c.pages)),
              c.start, c.end) for i, c in enumerate(chunks)],
        )

    def delete(self, doc_id: str) -> None:
        """Remove a document and its chunks."""
        with self._db:
            self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def set_hash(self, doc_id: str, content_hash: str) -> None:
        """Record a document's content hash (the last step of an early-lexical write)."""
        with self._db:
            self._db.execute("UPDATE documents SET content_hash=? WHERE doc_id=?",
                             (content_hash, doc_id))

    def forget_hash(self, doc_id: str) -> None:
        """Force the next ingest to redo this document (its vectors went missing)."""
        with self._db:
            self._db.execute("UPDATE documents SET content_hash='' WHERE doc_id=?", (doc_id,))

    def chunk_ids(self) -> list[str]:
        """Every chunk id, in the order of `chunks()` (the rows of a BM25 index)."""
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks ORDER BY doc_id, ord")]

    def chunk_ids_by_doc(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for cid, did in self._db.execute("SELECT chunk_id, doc_id FROM chunks"):
            out.setdefault(did, []).append(cid)
        return out

    def documents(self) -> Iterator[Document]:
        """Every stored document."""
        for row in self._db.execute(
            "SELECT doc_id, source, content_hash, text, meta, page_starts FROM documents "
            "ORDER BY source"
        ):
            yield _doc_from_row(row)

    def stored_documents(self) -> Iterator[Document]:
        """Every stored document, its text read only when first used (index.doctext)."""
        from index.doctext import StoredDocument

        loader = self.text_loader()
        for doc_id, source, h, meta, pages in self._db.execute(
            "SELECT doc_id, source, content_hash, meta, page_starts FROM documents "
            "ORDER BY source"
        ).fetchall():
            if not h:  # an early-lexical row gets its hash later: its text is read now
                doc = self.document(doc_id)
                if doc is not None:
                    yield doc
                continue
            m = DocMeta(**json.loads(meta))
            yield StoredDocument(loader=loader, doc_id=doc_id, source=source, meta=m,
                                 content_hash=h, page_starts=tuple(json.loads(pages)),
                                 visibility=m.visibility or PUBLIC)

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute(
            "SELECT doc_id, source, content_hash, text, meta, page_starts FROM documents "
            "WHERE doc_id=?", (doc_id,)
        ).fetchone()
        return _doc_from_row(row) if row else None

    def chunks(self, docs: dict[str, Document]) -> list[Chunk]:
        """Every chunk, in document order, with text cut from its document."""
        out = []
        for cid, did, section, pages, start, end in self._db.execute(
            'SELECT chunk_id, doc_id, section, pages, start, "end" FROM chunks '
            "ORDER BY doc_id, ord"
        ):
            d = docs[did]
            out.append(Chunk(chunk_id=cid, doc_id=did, source=d.source, title=d.title,
                             doc_type=d.doc_type, section=section_path(section),
                             visibility=d.visibility,
                             pages=tuple(json.loads(pages)), start=start, end=end,
                             text=d.text[start:end], ocr=d.ocr_on(*json.loads(pages))))
        return out


    def chunk_rows(self) -> tuple[list[str], list[str], list[int], list[int], list[str],
                                  list[str]]:
        """Every chunk's (ids, doc ids, starts, ends, section labels, pages JSON) in the
        order of `chunks()`, without cutting texts (index.chunktable makes chunks)."""
        rows = self._db.execute('SELECT chunk_id, doc_id, start, "end", section, pages '
                                "FROM chunks ORDER BY doc_id, ord").fetchall()
        if not rows:
            return [], [], [], [], [], []
        ids, docs, starts, ends, sections, pages = (list(col) for col in zip(*rows, strict=True))
        return ids, docs, starts, ends, sections, pages

    # What later stages read from a document's text, kept by content hash ---------
    def cached(self, kind: str) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, data) of the `kind` cache (empty for an older store).

        Rows go when their document is replaced or deleted (ON DELETE CASCADE)."""
        try:
            rows = self._db.execute(
                "SELECT doc_id, content_hash, data FROM doc_cache WHERE kind=?", (kind,))
            return {d: (h, data) for d, h, data in rows}
        except sqlite3.OperationalError:  # no such table: written before the cache existed
            return {}

    def put_cached(self, kind: str, rows: dict[str, tuple[str, str]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO doc_cache SELECT ?, ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM documents WHERE doc_id=?)",
                [(d, kind, h, data, d) for d, (h, data) in rows.items()])

    # BM25 tokens, cached so that a rebuild re-tokenises only new chunks ---------
    def tokens(self, dict_fp: str, chunk_ids: Sequence[str] | None = None,
               ) -> dict[str, list[str]]:
        """chunk_id -> BM25 tokens made with the dictionary `dict_fp` (all, or these)."""
        if chunk_ids is None:
            rows = self._db.execute(
                "SELECT chunk_id, tokens FROM chunk_tokens WHERE dict_fp=?", (dict_fp,))
        else:
            marks = ",".join("?" * len(chunk_ids))
            rows = self._db.execute(
                f"SELECT chunk_id, tokens FROM chunk_tokens WHERE dict_fp=? AND chunk_id IN "
                f"({marks})", (dict_fp, *chunk_ids))
        return {cid: toks.split("\n") if toks else [] for cid, toks in rows}

    def put_tokens(self, dict_fp: str, rows: dict[str, list[str]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO chunk_tokens VALUES (?, ?, ?)",
                                 [(cid, dict_fp, "\n".join(t)) for cid, t in rows.items()])


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Open without writing: mode=ro, or immutable when not even the WAL index can be made.

    A WAL database needs its -shm file; in a read-only directory SQLite cannot create it,
    and `immutable=1` (nobody can write there either) reads the database file as it is.
    """
    uri = f"file:{quote(os.path.abspath(path))}"
    writable_dir = os.access(path.parent, os.W_OK)
    db = sqlite3.connect(f"{uri}?mode=ro" if writable_dir else f"{uri}?immutable=1",
                         uri=True, check_same_thread=False)
    db.execute("PRAGMA query_only = ON")
    return db


def _doc_from_row(row: tuple) -> Document:
    doc_id, source, h, text, meta, pages = row
    m = DocMeta(**json.loads(meta))
    # The level in force is kept in the metadata; documents stored before issue 15 have
    # none and are public, as everything was then.
    return Document(doc_id=doc_id, source=source, text=text, meta=m, content_hash=h,
                    page_starts=tuple(json.loads(pages)), visibility=m.visibility or PUBLIC)
