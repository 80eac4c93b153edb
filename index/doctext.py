"""Documents whose text is read from the docstore when first used.

A search process used to read every document's text on opening: at 100k chunks that
was 203 MB and 0.5 s of its start, most of the difference between opening a small and a
large index (issue 16). A `StoredDocument` carries its metadata from the opening read
and fetches its text by id the first time something asks for it (a quote, a viewer,
an exact-phrase scan), then keeps it.

The text fetched must be the one the snapshot's chunk offsets were cut from: it is read
only when the stored content hash is still the snapshot's. Otherwise (a writer replaced
or removed the document since) `IndexBusyError` says so, and the next query of a
reloading searcher sees the new state.
"""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from pathlib import Path
from threading import Lock

from core.errors import IndexBusyError
from core.models import Document


class TextLoader:
    """Reads document texts from one docstore file over its own read-only connection
    (the snapshot's may be closed or busy in another thread)."""

    def __init__(self, path: Path, connect) -> None:
        self.path = path
        self._connect = connect
        self._db: sqlite3.Connection | None = None
        self._lock = Lock()

    def text(self, doc: Document) -> str:
        with self._lock:
            if self._db is None:
                self._db = self._connect(self.path)
            row = self._db.execute("SELECT text, content_hash FROM documents WHERE doc_id=?",
                                   (doc.doc_id,)).fetchone()
        if row is None or row[1] != doc.content_hash:
            raise IndexBusyError(f"文档《{doc.title}》在打开索引之后已被更新或删除："
                                 f"请重新检索（{doc.source}）")
        return row[0]


class StoredDocument(Document):
    """A `Document` whose `text` is loaded on first use (see the module docstring)."""

    def __init__(self, *, loader: TextLoader | None = None, **values) -> None:
        self.__dict__["_loader"] = loader
        values.setdefault("text", None)  # unloaded
        super().__init__(**values)

    @property  # type: ignore[override]
    def text(self) -> str:
        got = self.__dict__.get("_text")
        if got is None:
            loader = self.__dict__.get("_loader")
            got = "" if loader is None else loader.text(self)
            self.__dict__["_text"] = got  # frozen dataclass: set through __dict__
        return got

    @text.setter
    def text(self, value: str | None) -> None:  # the dataclass __init__ sets it
        self.__dict__["_text"] = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Document))

    def __hash__(self) -> int:
        return hash((self.doc_id, self.content_hash))

    def __reduce__(self):
        # Pickled (or deep-copied) as a plain Document, text included.
        return (_plain, (tuple(getattr(self, f.name) for f in fields(Document)),))


def restored_document(loader: TextLoader, **values) -> StoredDocument:
    """A StoredDocument from values a `StoredDocument` was written with (index.snapcache),
    without the dataclass __init__: its checks already ran when the values were made, and
    5,000 of them cost a tenth of a large index's opening."""
    doc = object.__new__(StoredDocument)
    doc.__dict__.update(values, _loader=loader, _text=None)
    return doc


def _plain(values: tuple) -> Document:
    return Document(*values)
