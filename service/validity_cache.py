"""Document validity for a searcher, with what it reads from each text kept in the docstore.

Reading the facts and citations of every document's text (validity.status.read_document)
was the part of opening an index that grew with it (about 8 s at 100k chunks). Each
document's reading is kept by content hash in the docstore's `doc_cache`, so an open
re-reads only documents that are new or changed. The result of `compute` over all
documents is kept too (docstore setting `validity-all`), under a fingerprint of every
document's id and content hash and the day asked about: an open of an unchanged index on
the same day decodes it instead of computing (0.14 s at 5,000 documents, issue 16).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import astuple
from datetime import date

from core.models import Document, Validity
from index.store import IndexStore
from validity.detect import Facts
from validity.status import Cited, compute, read_document

KIND = "validity-read-1"  # bump when read_document's output changes
ALL_KEY = "validity-all"
ALL_VERSION = "1"  # bump when compute's output changes


def _encode(read: tuple[Facts, Cited]) -> str:
    f, cites = read
    return json.dumps({"f": [f.effective_from, f.valid_until, f.repeals, f.effective_text,
                             f.until_text], "c": cites}, ensure_ascii=False)


def _decode(data: str) -> tuple[Facts, Cited]:
    obj = json.loads(data)
    eff, until, repeals, eff_s, until_s = obj["f"]
    facts = Facts(eff, until, tuple((a, b) for a, b in repeals), eff_s, until_s)
    return facts, tuple((a, b) for a, b in obj["c"])


def _fingerprint(docs: Mapping[str, Document], day: str) -> str:
    h = hashlib.sha1(f"{ALL_VERSION}\0{KIND}\0{day}".encode())
    for d in sorted(docs):
        h.update(f"\n{d}\t{docs[d].content_hash}".encode())
    return h.hexdigest()


def _saved_result(store: IndexStore, fp: str) -> dict[str, Validity] | None:
    try:
        raw = store.docstore.get_setting(ALL_KEY)
        if not raw:
            return None
        obj = json.loads(raw)
        if obj.get("fp") != fp:
            return None
        return {d: Validity(v[0], v[1], v[2], v[3], v[4], v[5], tuple(v[6]), tuple(v[7]))
                for d, v in obj["v"].items()}
    except Exception:  # noqa: BLE001 - a cache is never a reason to fail an open
        return None


def document_validity(store: IndexStore, docs: Mapping[str, Document],
                      as_of: date | None = None) -> dict[str, Validity]:
    """`validity.status.compute` over `docs`, reading only texts not read before (or the
    whole result kept from an earlier open of the same documents on the same day)."""
    fp = _fingerprint(docs, (as_of or date.today()).isoformat())
    saved = _saved_result(store, fp)
    if saved is not None:
        return saved
    result = _compute(store, docs, as_of)
    if all(doc.content_hash for doc in docs.values()):  # no early-lexical row in it
        store.save_setting(ALL_KEY, json.dumps(
            {"fp": fp, "v": {d: astuple(v) for d, v in result.items()}}, ensure_ascii=False))
    return result


def _compute(store: IndexStore, docs: Mapping[str, Document],
             as_of: date | None) -> dict[str, Validity]:
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
