"""The snapshot's document and chunk rows in one binary file, for a quick opening.

Reading 100k chunk rows and 5,000 documents' metadata from SQLite took about 0.4 s of
`kb search`'s start at 100k chunks (the metadata column sits after the text, so SQLite
walks each text's overflow pages to reach it): the whole difference between opening a
small and a large index (issue 16). This file holds the same rows, written by the first
opening after a change and read by the next ones in a few milliseconds.

A stale copy would cut quotes at wrong offsets, so the file is trusted only under the
docstore's `rows_stamp`: SQLite triggers (index.docstore) set it to a new random value
in the same transaction as any change to the documents or chunks tables, whoever makes
it. The stamp is read in the snapshot's read transaction and must equal the one the
file was written under; anything else (no stamp, another stamp, a short or garbled
file) means the rows are read from SQLite as before.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import numpy as np

from core.models import DocMeta, DocType, Document
from index.chunktable import ChunkTable, Columns
from index.doctext import TextLoader, restored_document

MAGIC = b"KBSNAP1\n"
_HEAD = struct.Struct("<Q")  # byte length of the JSON header that follows
_COLUMNS = 5  # doc, start, end, section, pages: int32 each
# A file written for other DocMeta fields (another version of the code) is not read.
_META_FIELDS = [f.name for f in fields(DocMeta)]


def write(path: Path, stamp: str, docs: Mapping[str, Document], chunks: ChunkTable) -> None:
    """Write the rows read under `stamp` (atomically: a reader sees the old or new file)."""
    cols = chunks.columns()
    ids = "\n".join(cols.ids).encode("utf-8")
    head = json.dumps({
        "stamp": stamp, "meta_fields": _META_FIELDS,
        "docs": [[d.doc_id, d.source, d.content_hash, _meta_json(d.meta),
                  list(d.page_starts), d.visibility] for d in docs.values()],
        "doc_names": cols.doc_names, "section_names": cols.section_names,
        "pages_names": cols.pages_names, "rows": len(cols.ids), "ids_bytes": len(ids),
    }, ensure_ascii=False).encode("utf-8")
    table = np.stack([cols.doc, cols.start, cols.end, cols.section, cols.pages]).astype(
        "<i4") if cols.ids else np.zeros((_COLUMNS, 0), "<i4")
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC + _HEAD.pack(len(head)) + head + ids + table.tobytes())
    os.replace(tmp, path)


def read(path: Path, stamp: str, loader: TextLoader,
         ) -> tuple[dict[str, Document], ChunkTable] | None:
    """(documents, chunk table) from the file when it was written under `stamp`, else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return _parse(data, stamp, loader)
    except (ValueError, KeyError, TypeError, IndexError, struct.error):
        return None  # garbled: read from SQLite (and rewritten)


def _parse(data: bytes, stamp: str, loader: TextLoader,
           ) -> tuple[dict[str, Document], ChunkTable] | None:
    if not data.startswith(MAGIC):
        return None
    at = len(MAGIC)
    (n_head,) = _HEAD.unpack_from(data, at)
    at += _HEAD.size
    head = json.loads(data[at:at + n_head].decode("utf-8"))
    if head["stamp"] != stamp or head["meta_fields"] != _META_FIELDS:
        return None
    at += n_head
    n, n_ids = int(head["rows"]), int(head["ids_bytes"])
    if len(data) != at + n_ids + _COLUMNS * 4 * n:
        raise ValueError("length")
    ids = data[at:at + n_ids].decode("utf-8").split("\n") if n else []
    table = np.frombuffer(data, dtype="<i4", count=_COLUMNS * n, offset=at + n_ids)
    table = table.reshape(_COLUMNS, n).astype(np.int32)
    if len(ids) != n:
        raise ValueError("ids")
    for col, names in ((0, head["doc_names"]), (3, head["section_names"]),
                       (4, head["pages_names"])):
        if n and (table[col].min() < 0 or table[col].max() >= len(names)):
            raise ValueError("index")
    docs: dict[str, Document] = {}
    for doc_id, source, h, meta, page_starts, visibility in head["docs"]:
        docs[doc_id] = restored_document(loader, doc_id=doc_id, source=source,
                                         meta=_meta_from(meta), content_hash=h,
                                         page_starts=tuple(page_starts), visibility=visibility)
    if not set(head["doc_names"]) <= docs.keys():
        raise ValueError("documents")
    chunks = ChunkTable(docs, Columns(ids, head["doc_names"], table[0], table[1], table[2],
                                      head["section_names"], table[3], head["pages_names"],
                                      table[4]))
    return docs, chunks


def _meta_json(meta: DocMeta) -> dict:
    return {k: (v.value if isinstance(v, DocType) else v) for k, v in vars(meta).items()}


def _meta_from(values: dict) -> DocMeta:
    # DocMeta's own __init__ costs about 8 µs (its __post_init__ converts the type and
    # tuples); 5,000 of them were a tenth of the opening. The values were written from a
    # DocMeta, so they are filled in directly with the same conversions.
    meta = object.__new__(DocMeta)
    values["doc_type"] = DocType(values["doc_type"])
    values["ocr_pages"] = tuple(values["ocr_pages"])
    values["ocr_confidence"] = tuple(values["ocr_confidence"])
    meta.__dict__.update(values)
    return meta
