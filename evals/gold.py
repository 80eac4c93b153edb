"""Where each evaluation question's gold answer lies in a loaded index."""

from __future__ import annotations

import re
from pathlib import Path

from core.models import Document
from evals.sets import Question

_STRIP = re.compile(r"[\s，。、；：！？“”‘’（）《》〔〕【】,.;:!?()\"'…—\-]")


class GoldLocator:
    """Finds gold documents and passage spans in the loaded index."""

    def __init__(self, docs: dict[str, Document]) -> None:
        self.docs = docs
        self._stem: dict[str, list[str]] = {}
        for d in docs.values():
            self._stem.setdefault(Path(d.source).stem, []).append(d.doc_id)
        self.missing: list[str] = []

    def doc_ids(self, key: str) -> list[str]:
        if key.startswith("documents.json#"):
            return self._stem.get(key.split("#", 1)[1], [])
        if "/" in key:
            return [d.doc_id for d in self.docs.values()
                    if d.source.replace("\\", "/").endswith(key)]
        return self._stem.get(key, [])

    def span(self, doc_id: str, text: str | None, normalize) -> tuple[int, int] | None:
        if text is None:
            return None
        doc = self.docs[doc_id].text
        t = normalize(text).strip()
        i = doc.find(t)
        if i >= 0:
            return i, i + len(t)
        # Fall back to matching without punctuation and spaces (quiz evidence is often re-typed).
        keep = [j for j, ch in enumerate(doc) if not _STRIP.match(ch)]
        stripped = "".join(doc[j] for j in keep)
        ts = _STRIP.sub("", t)
        i = stripped.find(ts) if ts else -1
        if i < 0:
            return None
        return keep[i], keep[i + len(ts) - 1] + 1


def resolve(q: Question, loc: GoldLocator, normalize) -> list[tuple[str, tuple[int, int] | None]]:
    """(doc_id, span) per gold that exists in the index; span None = whole document."""
    out = []
    for g in q.golds:
        for did in loc.doc_ids(g.doc):
            sp = loc.span(did, g.text, normalize)
            if sp is None and g.text is not None:
                continue
            out.append((did, sp))
    if q.golds and not out:
        loc.missing.append(q.qid)
    return out


def relevant(chunk, golds) -> int | None:
    """Index of the gold this chunk satisfies, or None."""
    for gi, (did, sp) in enumerate(golds):
        if chunk.doc_id != did:
            continue
        if sp is None or (chunk.start < sp[1] and sp[0] < chunk.end):
            return gi
    return None
