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


# A gold passage as another document holds it: the text of a gold-document chunk that
# overlaps the gold, and where the gold lies inside that text.
Copy = tuple[str, int, int]


def copies(golds, chunks) -> list[list[Copy]]:
    """Per gold, the texts of the gold document's chunks that hold it.

    The same document kept twice (a web page and its text, as realdocs holds the
    Guangzhou policies) is one passage to a reader: the search shows one copy
    (`Searcher._collapse_copies`, identical chunk texts) and the answer quotes it. A
    chunk of another document with exactly such a text is that passage, not another
    document saying the same (an earlier report repeating a sentence differs around it).
    """
    out: list[list[Copy]] = []
    for did, sp in golds:
        here: list[Copy] = []
        if sp is not None:
            for ch in chunks.of_docs([did]):
                if ch.start < sp[1] and sp[0] < ch.end:
                    here.append((ch.text, max(sp[0], ch.start) - ch.start,
                                 min(sp[1], ch.end) - ch.start))
        out.append(here)
    return out


def relevant(chunk, golds, copied: list[list[Copy]] | None = None) -> int | None:
    """Index of the gold this chunk satisfies (in the gold document, or an identical
    chunk of a copy of it), or None."""
    for gi, (did, sp) in enumerate(golds):
        if chunk.doc_id == did:
            if sp is None or (chunk.start < sp[1] and sp[0] < chunk.end):
                return gi
        elif copied and any(chunk.text == t for t, _, _ in copied[gi]):
            return gi
    return None


def cited(doc_id: str, start: int, end: int, golds, copied: list[list[Copy]],
          chunks) -> set[int]:
    """Indexes of the golds a quote `doc.text[start:end]` of `doc_id` overlaps."""
    out = {gi for gi, (did, sp) in enumerate(golds)
           if doc_id == did and (sp is None or (start < sp[1] and sp[0] < end))}
    others = [gi for gi, (did, _) in enumerate(golds) if did != doc_id and copied[gi]]
    if not others:
        return out
    for ch in chunks.of_docs([doc_id]):
        if not ch.start <= start < ch.end:
            continue
        a, b = start - ch.start, end - ch.start
        out |= {gi for gi in others
                if any(ch.text == t and a < e and s < b for t, s, e in copied[gi])}
    return out
