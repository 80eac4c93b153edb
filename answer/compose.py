"""Pick the sentences that answer a question and cite them verbatim.

No LLM: candidate sentences come from the top hits; each is scored by how much
of the question's (IDF-weighted) vocabulary it covers plus a prior from its
hit's rank; near-duplicates are dropped and sources kept diverse. Every quote
is cut from the normalised document text and re-checked before it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from answer.references import reference_for
from core.models import Answer, Citation, Document, Filters, Hit, SearchResult
from core.text.coverage import coverage
from core.text.issues import issue_ref
from core.text.sentences import split_sentences

REFUSAL_TEXT = "知识库中未找到相关依据"


@dataclass(frozen=True)
class AskSettings:
    """Knobs of the extractive answer (calibrated by `kb eval`)."""

    hits: int = 8
    max_quotes: int = 4
    per_doc: int = 2
    min_sentence_chars: int = 8
    rank_prior: float = 0.25
    keep_ratio: float = 0.55  # keep sentences scoring at least this share of the best
    dup_jaccard: float = 0.6
    refuse_below: float = 0.05  # refuse when the best evidence covers less of the question


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int
    end: int
    text: str
    coverage: float
    score: float


# Words that pin a question to one thing the evidence must mention: a unit, a year.
_ANCHOR = re.compile(r"^(?:[\u4e00-\u9fff]{2,8}(?:局|委|馆|院|厅|署|中心)|(?:19|20)\d\d)$")


# A quote must say something: end like a sentence or clause, or be a table row;
# a bare title, 文号 or heading line is not an answer.
_QUOTABLE = re.compile(r"[。！？；：，]|^\|.*\|$")


def anchors(tokens: list[str]) -> set[str]:
    """Question words every quoted document must contain (unit names, years)."""
    return {t for t in tokens if _ANCHOR.match(t)}


def anchor_pattern(anchor: str) -> re.Pattern[str]:
    """How a document mentions an anchor: verbatim, or a unit's full name for its short
    form, its characters in order with a few between (发改委 → 发展和改革委员会,
    科技局 → 科学技术局, 市卫健委 → 市卫生健康委员会)."""
    if anchor.isdigit():
        return re.compile(re.escape(anchor))
    return re.compile(".{0,3}".join(map(re.escape, anchor)))


def missing_issue(searcher, question: str) -> str | None:
    """The 《新风》 issue a question names when no ingested issue matches it."""
    if "专刊" not in question and "新风" not in question:
        return None
    ref = issue_ref(question)
    if ref is None:
        return None
    n, year, written = ref
    for d in searcher.docs.values():
        month = d.meta.issue_month or d.meta.date or ""
        if d.meta.doc_type == "handbook" and d.meta.issue_no == n and month.startswith(year or ""):
            return None
    return written


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _similar(a: str, b: str, limit: float) -> bool:
    ba, bb = _bigrams(a), _bigrams(b)
    if not ba or not bb:
        return a == b
    return len(ba & bb) / len(ba | bb) >= limit or a in b or b in a


def question_terms(searcher, question: str) -> dict[str, float]:
    """Content tokens of the question with their IDF weights."""
    terms: dict[str, float] = {}
    for t in searcher.tokenize(question):
        w = searcher.idf(t)
        if w > 0:
            terms[t] = w
    return terms


def candidates(searcher, hits: list[Hit], terms: dict[str, float],
               s: AskSettings) -> list[Candidate]:
    """Scored sentences of the hits, best first."""
    out = []
    for hit in hits:
        c = hit.chunk
        doc = searcher.docs[c.doc_id]
        for start, end in split_sentences(c.text, c.start):
            text = doc.text[start:end]
            if len(text) < s.min_sentence_chars or not _QUOTABLE.search(text):
                continue
            cov = coverage(terms, text)
            out.append(Candidate(hit, start, end, text, cov, cov + s.rank_prior / hit.rank))
    return sorted(out, key=lambda x: (-x.score, x.hit.rank, x.start))


def select(cands: list[Candidate], s: AskSettings) -> list[Candidate]:
    """Best sentences without near-duplicates, at most `per_doc` from one document."""
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
        if any(_similar(c.text, o.text, s.dup_jaccard) for o in chosen):
            continue
        chosen.append(c)
        per_doc[did] = per_doc.get(did, 0) + 1
    return chosen


def _whole_passage(hit: Hit) -> Candidate:
    """The hit's chunk as one quote, starting at its own heading (第九条 …), not the
    chapter heading glued in front of it."""
    c = hit.chunk
    label = c.section[-1] if c.section else ""
    i = c.text.find("\n" + label) + 1 if label else 0
    return Candidate(hit, c.start + i, c.end, c.text[i:], 1.0, 1.0)


def make_citation(n: int, doc: Document, hit: Hit, start: int, end: int) -> Citation | None:
    """A citation whose quote is exactly the document text at [start:end], else None."""
    quote = doc.text[start:end]
    if not quote:
        return None
    page = doc.page_at(start)
    return Citation(n=n, quote=quote, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                    section=hit.chunk.section, page=page, start=start, end=end,
                    reference=reference_for(doc, hit.chunk.section, page))


def verify(citation: Citation, doc: Document) -> bool:
    """True when the quote is verbatim the document text at its offsets."""
    return doc.doc_id == citation.doc_id and doc.text[citation.start:citation.end] == citation.quote


def _refuse(question: str, hits: list[Hit]) -> Answer:
    nearest = tuple(dict.fromkeys(h.chunk.title for h in hits))[:3]
    return Answer(question=question, answer=REFUSAL_TEXT, refused=True, citations=(),
                  nearest=nearest)


@dataclass(frozen=True)
class Evidence:
    """What the index offers for a question, and how strongly it covers the question."""

    result: SearchResult
    candidates: list[Candidate]
    strength: float  # best share of the question's IDF mass covered by one sentence


def gather(searcher, question: str, filters: Filters | None, s: AskSettings) -> Evidence:
    """Search, then score the candidate sentences of the hits."""
    result = searcher.search_detail(question, k=s.hits, filters=filters)
    q = searcher.normalize(question)
    if (issue := missing_issue(searcher, q)) is not None:
        result = replace(result, missing=(*result.missing, issue))
    terms = question_terms(searcher, q)
    must = [anchor_pattern(a) for a in anchors(list(terms))]
    cands = [c for c in candidates(searcher, result.hits, terms, s)
             if all(p.search(searcher.docs[c.hit.chunk.doc_id].text) for p in must)]
    return Evidence(result, cands, max((c.coverage for c in cands), default=0.0))


def ask(searcher, question: str, *, filters: Filters | None = None,
        settings: AskSettings | None = None) -> Answer:
    """Answer `question` from the index with verified, numbered quotes (or refuse)."""
    s = settings or AskSettings()
    ev = gather(searcher, question, filters, s)
    result, cands = ev.result, ev.candidates
    hits = result.hits
    if not hits or result.missing or not cands or (
            not result.pinned and ev.strength < s.refuse_below):
        return _refuse(question, hits)
    if result.pinned:
        # The question names an article (文号/《标题》 + 第X条) or is a quoted phrase:
        # quote the matching passages whole, nothing else.
        pinned = [h for h in hits if h.chunk.chunk_id in result.pinned][: s.max_quotes]
        chosen = [_whole_passage(h) for h in pinned]
    else:
        chosen = select(cands, s)
    # Present quotes grouped by document (in order of first appearance), in text order.
    first = {}
    for i, c in enumerate(chosen):
        first.setdefault(c.hit.chunk.doc_id, i)
    chosen.sort(key=lambda c: (first[c.hit.chunk.doc_id], c.start))
    citations, parts = [], []
    for c in chosen:
        doc = searcher.docs[c.hit.chunk.doc_id]
        cit = make_citation(len(citations) + 1, doc, c.hit, c.start, c.end)
        if cit is None or not verify(cit, doc):
            continue
        citations.append(cit)
        parts.append(f"{cit.quote}[{cit.n}]")
    if not citations:
        return _refuse(question, hits)
    return Answer(question=question, answer="".join(parts), refused=False,
                  citations=tuple(citations))
