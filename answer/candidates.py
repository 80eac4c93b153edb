"""Candidate quotes: the answer units of the top hits, scored, and the selection among them.

A unit is scored by how much of the question's IDF-weighted vocabulary it covers plus a
prior from its hit's rank (and a small bonus for the shape the question asks for);
`select` keeps the best without near-duplicates or overlaps, a few per document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from answer.question import (
    FRAME_WORDS,
    Question,
    content_words,
)
from answer.units import units_in
from core.models import (
    Document,
    Hit,
)
from core.text.coverage import coverage


@dataclass(frozen=True)
class AskSettings:
    """Knobs of the extractive answer (calibrated by `kb eval`, see evals/README.md)."""

    hits: int = 10
    max_quotes: int = 4
    per_doc: int = 3
    min_sentence_chars: int = 8
    rank_prior: float = 0.25
    keep_ratio: float = 0.55  # keep units scoring at least this share of the best
    dup_jaccard: float = 0.6
    refuse_below: float = 0.05  # refuse when the best evidence covers less of the question
    not_in_force: float = 0.3  # score penalty of a unit whose document was replaced
    min_terms: int = 2  # words (2+ characters) a short question must share with the evidence
    short_question: int = 5  # questions with at most this many words are "short"
    quoted_bonus: float = 0.3  # a unit stating the phrase the question quotes
    row_own: float = 0.3  # weight of a table row's own words (beyond its table's header)
    meaning_weight: float = 0.3  # bonus of the unit the embedder ranks first (answer.meaning)
    meaning_pool: int = 20  # how many of the best units the embedder ranks
    window_weight: float = 0.1  # bonus by the rank of a unit's stored window vector
    # A figure question is refused when the unit covering at least `silent_cover` of it
    # has no figure and every unit with one covers less than `silent_ratio` of that.
    silent_cover: float = 0.5
    silent_ratio: float = 0.5
    # A question is about everyday life when this many of answer.everyday's topics lie
    # nearer to it than every stored passage (0: never asked).
    everyday_rank: int = 2


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int
    end: int
    text: str
    coverage: float
    score: float
    kind: str = "sentence"
    context: tuple[tuple[int, int], ...] = ()
    matched: int = 0  # content words of the question the unit shares (`question_words`)
    matched_own: int = 0  # of those, words that do not only name the document, unit or year


# A quote must say something: end like a sentence or clause, or be a table row / list;
# a bare title, 文号 or heading line is not an answer.
_QUOTABLE = re.compile(r"[。！？；：，]")


HEADER_CHARS = 300  # how much of a document's beginning counts as its header


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _similar(a: str, b: str, limit: float) -> bool:
    ba, bb = _bigrams(a), _bigrams(b)
    if not ba or not bb:
        return a == b
    return len(ba & bb) / len(ba | bb) >= limit or a in b or b in a


def question_terms(searcher, question: str) -> dict[str, float]:
    """Content tokens of the question with their IDF weights (unseen words weigh most)."""
    terms: dict[str, float] = {}
    for t in searcher.tokenize(question):
        w = searcher.idf(t)
        if w > 0:
            terms[t] = w
    return terms


def question_words(terms: dict[str, float], q: Question | None
                   ) -> tuple[dict[str, list[str]], set[str]]:
    """The question's content words, each with the tokens that count as sharing it (the
    word, or a word jieba cut out of it), and those of them that only name the document,
    unit or year."""
    words = {w: [t for t in terms if len(t) >= 2 and t in w and t not in FRAME_WORDS]
             for w in content_words(terms)}
    fixed = _constraint_terms(terms, q) if q else []
    return words, {w for w, parts in words.items() if any(t in fixed for t in parts)}


def _constraint_terms(terms: dict[str, float], q: Question) -> list[str]:
    """Question words that only say which document is meant: units, years, names."""
    names = [*q.units, *(str(y) for y in q.years), *(n for n, _ in q.aliases), *q.titles,
             *q.plain_titles]
    return [t for t in terms if any(t in n for n in names)]


def _named_in_header(doc: Document, fixed: list[str]) -> list[str]:
    head = doc.title + doc.text[:HEADER_CHARS]
    return [t for t in fixed if t in head]


def _wanted(kind: str, asks: str) -> float:
    """A small bonus for the unit shape the question asks for."""
    if asks == "list":
        return {"items": 0.15, "heading": 0.05}.get(kind, 0.0)
    if asks in ("number", "duration") and kind == "items":
        return 0.05
    return 0.0


def candidates(searcher, hits: list[Hit], terms: dict[str, float], s: AskSettings,
               q: Question | None = None) -> list[Candidate]:
    """Scored answer units of the hits, best first (one entry per span)."""
    out: dict[tuple[str, int, int], Candidate] = {}
    asks = q.asks if q else "fact"
    fixed = _constraint_terms(terms, q) if q else []
    words, naming = question_words(terms, q)
    for hit in hits:
        c = hit.chunk
        doc = searcher.docs[c.doc_id]
        for u in units_in(doc.text, c.start, c.end):
            text = doc.text[u.start:u.end]
            if len(text) < s.min_sentence_chars:
                continue
            if u.kind in ("sentence", "item") and not _QUOTABLE.search(text):
                continue
            # The unit and year a question sets count as covered when the document's title
            # or header names them: a table row or a sentence never repeats them.
            # A table row never repeats its table's title: the document's title and header
            # count for it whole.
            head = (doc.title + " " + doc.text[:HEADER_CHARS] if u.kind == "row"
                    else " ".join(_named_in_header(doc, fixed)))
            seen = (text + "".join(doc.text[a:b] for a, b in u.context) + " " + c.section_label
                    + " " + head)
            cov = coverage(terms, seen)
            shared = [w for w, parts in words.items() if any(t in seen for t in parts)]
            matched = len(shared)
            own = sum(1 for w in shared if w not in naming)
            score = cov + s.rank_prior / hit.rank + _wanted(u.kind, asks)
            if q is not None and any(p in text for p in q.quoted):
                # The question quotes the term (“其他收入”): the unit that states it, often
                # one row of a table whose header covers the rest, answers it.
                score += s.quoted_bonus
            if u.kind == "row" and s.row_own:
                # Every row counts its table's title: its own words tell the rows apart.
                score += s.row_own * coverage(terms, text)
            v = getattr(searcher, "validity", {}).get(c.doc_id)
            if v is not None and v.superseded_by:
                score -= s.not_in_force  # the text that replaced it answers first
            key = (c.doc_id, u.start, u.end)
            if key not in out or out[key].score < score:
                out[key] = Candidate(hit, u.start, u.end, text, cov, score, u.kind, u.context,
                                     matched, own)
    return sorted(out.values(), key=lambda x: (-x.score, x.hit.rank, x.start))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return (a.hit.chunk.doc_id == b.hit.chunk.doc_id and a.start < b.end and b.start < a.end)


def select(cands: list[Candidate], s: AskSettings) -> list[Candidate]:
    """Best units without near-duplicates or overlaps, at most `per_doc` per document."""
    chosen: list[Candidate] = []
    per_doc: dict[str, int] = {}
    if not cands:
        return chosen
    floor = cands[0].score * s.keep_ratio
    for c in cands:
        if len(chosen) >= s.max_quotes or c.score < floor:
            break
        did = c.hit.chunk.doc_id
        if per_doc.get(did, 0) >= s.per_doc:
            continue
        if any(_overlaps(c, o) or _similar(c.text, o.text, s.dup_jaccard) for o in chosen):
            continue
        chosen.append(c)
        per_doc[did] = per_doc.get(did, 0) + 1
    return chosen


def whole_passage(hit: Hit) -> Candidate:
    """The hit's chunk as one quote, starting at its own heading (第九条 …), not the
    chapter heading glued in front of it."""
    c = hit.chunk
    label = c.section[-1] if c.section else ""
    i = c.text.find("\n" + label) + 1 if label else 0
    return Candidate(hit, c.start + i, c.end, c.text[i:], 1.0, 1.0, "passage")
