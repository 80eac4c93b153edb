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


Place = tuple[str, tuple[int, int]]  # (doc_id, span) where another copy holds a gold


class Copies:
    """Where other copies of a gold document hold a gold passage.

    The same document kept twice is one passage to a reader, and the search shows one
    copy (`Searcher._collapse_copies`). A copy is
    - a document with the gold document's title whose text holds the passage verbatim
      (the 党章 as .txt and as .docx), or
    - a document with a chunk whose text is exactly that of a gold-document chunk
      holding the passage (a Guangzhou policy as a web page and as text, titled apart).
    Another document saying the same is not a copy: an earlier report repeating a
    sentence has another title, and other text around the sentence.

    Built once per evaluation set: the chunks are indexed by their text once, not for
    every question.
    """

    def __init__(self, docs: dict[str, Document], chunks) -> None:
        self.docs = docs
        self.chunks = chunks
        self._by_text: dict[str, list] = {}
        for ch in chunks.values():
            self._by_text.setdefault(ch.text, []).append(ch)

    def of(self, golds) -> list[list[Place]]:
        """Per gold (doc_id, span), the places of its passage in other copies."""
        out: list[list[Place]] = []
        for did, sp in golds:
            here: list[Place] = []
            if sp is not None:
                gold = self.docs[did]
                passage = gold.text[sp[0]:sp[1]]
                for other in self.docs.values():
                    i = other.text.find(passage) if other.doc_id != did else -1
                    if i >= 0 and other.title == gold.title:
                        here.append((other.doc_id, (i, i + len(passage))))
                for ch in self.chunks.of_docs([did]):
                    if not (ch.start < sp[1] and sp[0] < ch.end):
                        continue
                    a, b = max(sp[0], ch.start) - ch.start, min(sp[1], ch.end) - ch.start
                    here += [(o.doc_id, (o.start + a, o.start + b))
                             for o in self._by_text[ch.text] if o.doc_id != did]
            out.append(here)
        return out


def _overlaps(start: int, end: int, sp: tuple[int, int] | None) -> bool:
    return sp is None or (start < sp[1] and sp[0] < end)


def relevant(chunk, golds, copied: list[list[Place]] | None = None) -> int | None:
    """Index of the gold this chunk satisfies (in the gold document, or where a copy of
    it holds the gold), or None."""
    for gi, (did, sp) in enumerate(golds):
        places = [(did, sp), *(copied[gi] if copied else ())]
        if any(chunk.doc_id == d and _overlaps(chunk.start, chunk.end, p) for d, p in places):
            return gi
    return None


def cited(doc_id: str, start: int, end: int, golds, copied: list[list[Place]]) -> set[int]:
    """Indexes of the golds a quote `doc.text[start:end]` of `doc_id` overlaps."""
    return {gi for gi, (did, sp) in enumerate(golds)
            if any(doc_id == d and _overlaps(start, end, p)
                   for d, p in [(did, sp), *copied[gi]])}
