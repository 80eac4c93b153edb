"""Documents and chunk spans in SQLite: the source of truth for text and offsets.

Chunk texts are not stored: they are `document.text[start:end]`, so a quote
can never drift from the document it cites. Each document is written in one
transaction, which is what makes a killed ingest recoverable.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

from core.models import Chunk, DocMeta, Document, section_label, section_path

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
CREATE TABLE IF NOT EXISTS chunk_tokens (
    chunk_id TEXT PRIMARY KEY REFERENCES chunks(chunk_id) ON DELETE CASCADE,
    dict_fp TEXT NOT NULL,
    tokens TEXT NOT NULL
);
"""


class DocStore:
    """SQLite-backed store of documents, chunk spans and index settings."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # settings -----------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

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

    def put(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        """Replace a document and all its chunks atomically."""
        with self._db:
            self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc.doc_id,))
            self._db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                (doc.doc_id, doc.source, doc.content_hash, doc.text,
                 json.dumps(asdict(doc.meta), ensure_ascii=False),
                 json.dumps(list(doc.page_starts))),
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

    def forget_hash(self, doc_id: str) -> None:
        """Force the next ingest to redo this document (its vectors went missing)."""
        with self._db:
            self._db.execute("UPDATE documents SET content_hash='' WHERE doc_id=?", (doc_id,))

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
                             pages=tuple(json.loads(pages)), start=start, end=end,
                             text=d.text[start:end]))
        return out


    # BM25 tokens, cached so that a rebuild re-tokenises only new chunks ---------
    def tokens(self, dict_fp: str) -> dict[str, list[str]]:
        """chunk_id -> BM25 tokens made with the dictionary `dict_fp`."""
        return {cid: toks.split("\n") if toks else [] for cid, toks in self._db.execute(
            "SELECT chunk_id, tokens FROM chunk_tokens WHERE dict_fp=?", (dict_fp,))}

    def put_tokens(self, dict_fp: str, rows: dict[str, list[str]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO chunk_tokens VALUES (?, ?, ?)",
                                 [(cid, dict_fp, "\n".join(t)) for cid, t in rows.items()])


def _doc_from_row(row: tuple) -> Document:
    doc_id, source, h, text, meta, pages = row
    return Document(doc_id=doc_id, source=source, text=text, meta=DocMeta(**json.loads(meta)),
                    content_hash=h, page_starts=tuple(json.loads(pages)))
