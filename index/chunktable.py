"""Every chunk of an index as compact rows; a `Chunk` is made only when asked for.

A search process used to hold one `Chunk` per chunk, each with its own copy of its text:
at 100k chunks that was most of its memory and much of its start-up. Here a chunk is a
row of int32 arrays (its document, start, end, heading path and pages, the last two
interned), and its text is cut from its document's text when the chunk is read.

`ChunkTable` is a read-only Mapping chunk_id -> Chunk in index order (documents by id,
chunks in reading order: the rows of the BM25 index), so code that looked chunks up in
a dict keeps working; `by_doc` and `containing` serve what used to scan every chunk.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock

import numpy as np

from core.models import Chunk, Document, section_path

CACHE_SIZE = 4096  # chunks kept once made (a query touches a few hundred)


@dataclass(frozen=True)
class Columns:
    """A chunk table's rows as stored: ids, and int32 columns indexing interned names."""

    ids: list[str]
    doc_names: list[str]
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    section_names: list[str]
    section: np.ndarray
    pages_names: list[str]
    pages: np.ndarray


class ChunkTable(Mapping[str, Chunk]):
    """Chunk rows over documents held by the snapshot (`docs`)."""

    def __init__(self, docs: Mapping[str, Document], columns: Columns) -> None:
        self.docs = docs
        self.ids = columns.ids
        self._row = dict(zip(columns.ids, range(len(columns.ids)), strict=True))
        self._doc_names, self._doc = columns.doc_names, columns.doc
        self._start, self._end = columns.start, columns.end
        self._section_names, self._section = columns.section_names, columns.section
        self._pages_names, self._pages = columns.pages_names, columns.pages
        # Rows of one document are contiguous (ordered by doc_id, then reading order):
        # its range runs from one change of document index to the next.
        n = len(self._doc)
        bounds = [0, *(np.flatnonzero(np.diff(self._doc)) + 1).tolist(), n] if n else []
        firsts = self._doc[bounds[:-1]].tolist() if n else []
        self._doc_rows: dict[str, tuple[int, int]] = {
            self._doc_names[d]: (lo, hi)
            for d, lo, hi in zip(firsts, bounds, bounds[1:], strict=False)}
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = Lock()
        self._only: frozenset[str] | None = None  # a subset's documents
        self._count = len(columns.ids)

    @classmethod
    def from_rows(cls, docs: Mapping[str, Document], ids: list[str], doc_ids: Sequence[str],
                  starts: Sequence[int], ends: Sequence[int], sections: Sequence[str],
                  pages: Sequence[str]) -> ChunkTable:
        """From the docstore's chunk rows (index.docstore.chunk_rows), names interned."""
        doc_names, doc = _interned(doc_ids)
        section_names, section = _interned(sections)
        pages_names, page_idx = _interned(pages)
        return cls(docs, Columns(ids, doc_names, doc, np.asarray(starts, dtype=np.int32),
                                 np.asarray(ends, dtype=np.int32), section_names, section,
                                 pages_names, page_idx))

    def columns(self) -> Columns:
        """The rows as stored (index.snapcache writes them)."""
        return Columns(self.ids, self._doc_names, self._doc, self._start, self._end,
                       self._section_names, self._section, self._pages_names, self._pages)

    def subset(self, doc_ids: Iterable[str]) -> ChunkTable:
        """The same rows restricted to these documents (shares arrays and cache)."""
        view = copy.copy(self)
        only = frozenset(doc_ids) if self._only is None else self._only & set(doc_ids)
        view._only = only
        view._count = sum(hi - lo for d, (lo, hi) in self._doc_rows.items() if d in only)
        return view

    def _has_doc(self, doc_id: str) -> bool:
        return self._only is None or doc_id in self._only

    # Mapping -----------------------------------------------------------------
    def __getitem__(self, chunk_id: str) -> Chunk:
        i = self._row[chunk_id]
        if self._only is not None and self._doc_names[self._doc[i]] not in self._only:
            raise KeyError(chunk_id)
        return self.row(i)

    def __contains__(self, chunk_id: object) -> bool:
        i = self._row.get(chunk_id)  # type: ignore[call-overload]
        return i is not None and self._has_doc(self._doc_names[self._doc[i]])

    def __iter__(self) -> Iterator[str]:
        if self._only is None:
            return iter(self.ids)
        return (self.ids[i] for d in sorted(self._only) for i in range(*self._doc_rows.get(
            d, (0, 0))))

    def __len__(self) -> int:
        return self._count

    # rows ---------------------------------------------------------------------
    def doc_of(self, chunk_id: str) -> str:
        """The document of a chunk, without making the chunk."""
        return self._doc_names[self._doc[self._row[chunk_id]]]

    def row_docs(self) -> np.ndarray:
        """The document id of every row (object array, aligned with `ids`)."""
        return np.array(self._doc_names, dtype=object)[self._doc]

    def row(self, i: int) -> Chunk:
        with self._lock:
            hit = self._cache.get(i)
            if hit is not None:
                self._cache.move_to_end(i)
                return hit
        d = self.docs[self._doc_names[self._doc[i]]]
        start, end = int(self._start[i]), int(self._end[i])
        pages = tuple(json.loads(self._pages_names[self._pages[i]]))
        chunk = Chunk(chunk_id=self.ids[i], doc_id=d.doc_id, source=d.source, title=d.title,
                      doc_type=d.doc_type, visibility=d.visibility,
                      section=section_path(self._section_names[self._section[i]]),
                      pages=pages, start=start, end=end, text=d.text[start:end],
                      ocr=d.ocr_on(*pages))
        with self._lock:
            self._cache[i] = chunk
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return chunk

    def by_doc(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in reading order."""
        lo, hi = self._doc_rows.get(doc_id, (0, 0)) if self._has_doc(doc_id) else (0, 0)
        return [self.row(i) for i in range(lo, hi)]

    def of_docs(self, doc_ids: set[str] | Sequence[str]) -> list[Chunk]:
        """The chunks of these documents, in index order."""
        return [c for d in sorted(set(doc_ids)) for c in self.by_doc(d)]

    def containing(self, phrase: str) -> list[str]:
        """Ids of the chunks whose text contains `phrase`, in index order.

        Searches each document's text once and maps the hits to chunk spans, instead of
        making every chunk.
        """
        out: list[str] = []
        if not phrase:
            return out
        for doc_id in sorted(self._doc_rows):
            if not self._has_doc(doc_id):
                continue
            text = self.docs[doc_id].text
            at = text.find(phrase)
            if at < 0:
                continue
            lo, hi = self._doc_rows[doc_id]
            hits: set[int] = set()
            while at >= 0:
                end = at + len(phrase)
                rows = np.nonzero((self._start[lo:hi] <= at) & (self._end[lo:hi] >= end))[0]
                hits.update(int(r) + lo for r in rows)
                at = text.find(phrase, at + 1)
            out += [self.ids[i] for i in sorted(hits)]
        return out


def _interned(values: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(distinct values, int32 index of each value): repeated strings stored once."""
    names: dict[str, int] = {}
    idx = np.fromiter((names.setdefault(v, len(names)) for v in values), dtype=np.int32,
                      count=len(values))
    return list(names), idx
