"""Document validity for a searcher, with what it reads from each text kept in the docstore.

Reading the facts and citations of every document's text (validity.status.read_document)
was the part of opening an index that grew with it (about 8 s at 100k chunks). Each
document's reading is kept by content hash in the docstore's `doc_cache`, so an open
re-reads only documents that are new or changed; `compute` itself stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from core.models import Document, Validity
from index.store import IndexStore
from validity.detect import Facts
from validity.status import Cited, compute, read_document

KIND = "validity-read-1"  # bump when read_document's output changes


def _encode(read: tuple[Facts, Cited]) -> str:
    f, cites = read
    return json.dumps({"f": [f.effective_from, f.valid_until, f.repeals, f.effective_text,
                             f.until_text], "c": cites}, ensure_ascii=False)


def _decode(data: str) -> tuple[Facts, Cited]:
    obj = json.loads(data)
    eff, until, repeals, eff_s, until_s = obj["f"]
    facts = Facts(eff, until, tuple((a, b) for a, b in repeals), eff_s, until_s)
    return facts, tuple((a, b) for a, b in obj["c"])


def document_validity(store: IndexStore, docs: Mapping[str, Document],
                      as_of: date | None = None) -> dict[str, Validity]:
    """`validity.status.compute` over `docs`, reading only texts not read before."""
    try:
        cached = store.docstore.cached(KIND)
    except Exception:  # noqa: BLE001 - a cache is never a reason to fail an open
        cached = {}
    read: dict[str, tuple[Facts, Cited]] = {}
    fresh: dict[str, tuple[str, str]] = {}
    for d, doc in docs.items():
        got = cached.get(d)
        if got is not None and doc.content_hash and got[0] == doc.content_hash:
            try:
                read[d] = _decode(got[1])
                continue
            except (ValueError, KeyError, TypeError):
                pass  # unreadable row: read the text again
        read[d] = read_document(doc)
        if doc.content_hash:  # an early-lexical row has none yet; its final write will
            fresh[d] = (doc.content_hash, _encode(read[d]))
    if fresh and store.writable:
        store.docstore.put_cached(KIND, fresh)  # an ingest (holding the lock) primes it
    elif fresh:
        store.save_cached(KIND, fresh)
    return compute(docs, as_of, read=read)
