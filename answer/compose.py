"""Pick the passages that answer a question and cite them verbatim.

No LLM. The question is analysed (`answer.question`): what it asks and the constraints
its evidence must meet (a named document, unit, year, article). Candidate quotes are
answer units (`answer.units`) of the top hits: whole sentences up to 。 (a ；-joined rule
group stays whole), an article's lead-in with its items, table rows with their header.
Each is scored by how much of the question's IDF-weighted vocabulary it covers plus a
prior from its hit's rank; evidence that misses a constraint is dropped; the best
supported unit comes first. The answer refuses when no evidence meets the constraints or
the question's content words have no real support. A two-part question is answered part
by part. Every quote is cut from the normalised document text and re-checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from answer.question import (
    MEASURES,
    Question,
    analyze,
    figure_kind,
    unit_pattern,
    year_pattern,
)
from answer.references import reference_for
from answer.units import has_figure, units_in
from core.models import (
    IN_FORCE,
    Answer,
    Citation,
    Document,
    Filters,
    Hit,
    SearchResult,
    Validity,
)
from core.text.coverage import coverage
from core.text.docno import DOC_NO_RE, normalize_doc_no
from core.text.headings import article_number
from core.text.issues import issue_ref
from core.text.numerals import int_to_cn

REFUSAL_TEXT = "知识库中未找到相关依据"
_HEADER_CHARS = 300  # how much of a document's beginning counts as its header
_HEAD_LINES = 3
_MONEY_TABLE = re.compile(r"单位[：:]\s*(?:万元|元|亿元)")
_YEAR_IN_HEAD = re.compile(r"(?:19|20)\d{2}\s*年")
# Questions about the moment (明天的天气, 今天中午的菜): no document can answer them.
_NOW = re.compile(r"今天|明天|后天|昨天|今晚|明晚|今早|明早|此刻|这会儿|现在几点|这周末|本周末")


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
    matched: int = 0  # distinct question words (2+ characters) the unit contains


# A quote must say something: end like a sentence or clause, or be a table row / list;
# a bare title, 文号 or heading line is not an answer.
_QUOTABLE = re.compile(r"[。！？；：，]")


def anchor_pattern(anchor: str) -> re.Pattern[str]:
    """How a document mentions a unit or a year the question names."""
    return year_pattern(int(anchor)) if anchor.isdigit() else unit_pattern(anchor)


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
    """Content tokens of the question with their IDF weights (unseen words weigh most)."""
    terms: dict[str, float] = {}
    for t in searcher.tokenize(question):
        w = searcher.idf(t)
        if w > 0:
            terms[t] = w
    return terms


def _constraint_terms(terms: dict[str, float], q: Question) -> list[str]:
    """Question words that only say which document is meant: units, years, names."""
    names = [*q.units, *(str(y) for y in q.years), *(n for n, _ in q.aliases), *q.titles,
             *q.plain_titles]
    return [t for t in terms if any(t in n for n in names)]


def _named_in_header(doc: Document, fixed: list[str]) -> list[str]:
    head = doc.title + doc.text[:_HEADER_CHARS]
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
            head = (doc.title + " " + doc.text[:_HEADER_CHARS] if u.kind == "row"
                    else " ".join(_named_in_header(doc, fixed)))
            seen = (text + "".join(doc.text[a:b] for a, b in u.context) + " " + c.section_label
                    + " " + head)
            cov = coverage(terms, seen)
            matched = sum(1 for t in terms if len(t) >= 2 and t in seen)
            score = cov + s.rank_prior / hit.rank + _wanted(u.kind, asks)
            v = getattr(searcher, "validity", {}).get(c.doc_id)
            if v is not None and v.superseded_by:
                score -= s.not_in_force  # the text that replaced it answers first
            key = (c.doc_id, u.start, u.end)
            if key not in out or out[key].score < score:
                out[key] = Candidate(hit, u.start, u.end, text, cov, score, u.kind, u.context,
                                     matched)
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


def _whole_passage(hit: Hit) -> Candidate:
    """The hit's chunk as one quote, starting at its own heading (第九条 …), not the
    chapter heading glued in front of it."""
    c = hit.chunk
    label = c.section[-1] if c.section else ""
    i = c.text.find("\n" + label) + 1 if label else 0
    return Candidate(hit, c.start + i, c.end, c.text[i:], 1.0, 1.0, "passage")


def make_citation(n: int, doc: Document, hit: Hit, start: int, end: int,
                  validity: Validity | None = None) -> Citation | None:
    """A citation whose quote is exactly the document text at [start:end], else None."""
    quote = doc.text[start:end]
    if not quote:
        return None
    page = doc.page_at(start)
    v = validity
    return Citation(n=n, quote=quote, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                    section=hit.chunk.section, page=page, start=start, end=end,
                    reference=reference_for(doc, hit.chunk.section, page, start),
                    status=v.status if v else None,
                    superseded_by=v.superseded_label if v and not v.in_force else None)


def warning(c: Citation) -> str:
    """What a quote from a document not in force must say: 「该文件已废止，被《…》替代」."""
    if c.status in (None, IN_FORCE):
        return ""
    by = f"，被{c.superseded_by}替代" if c.superseded_by and c.status in ("已废止", "已修改") \
        else ""
    return f"（注意：该文件{c.status}{by}）"


def verify(citation: Citation, doc: Document) -> bool:
    """True when the quote is verbatim the document text at its offsets."""
    return doc.doc_id == citation.doc_id and doc.text[citation.start:citation.end] == citation.quote


def _refuse(question: str, hits: list[Hit], why: str = "") -> Answer:
    nearest = tuple(dict.fromkeys(h.chunk.title for h in hits))[:3]
    text = REFUSAL_TEXT + (f"（{why}）" if why else "")
    return Answer(question=question, answer=text, refused=True, citations=(), nearest=nearest)


@dataclass(frozen=True)
class Evidence:
    """What the index offers for a question, and how strongly it covers the question."""

    result: SearchResult
    candidates: list[Candidate]
    strength: float  # best share of the question's IDF mass covered by one unit
    question: Question = field(default_factory=lambda: Question(""))
    unmet: str = ""  # why no evidence can meet the question's constraints
    matched: int = 0  # distinct question words the best unit shares
    n_terms: int = 0  # distinct content words (2+ characters) of the question
    named: bool = False  # the question names its document (文号, 《标题》, 党章, 第X期)


def target_docs(searcher, q: Question) -> tuple[list[str], str]:
    """Documents the question names, and what it names that the index lacks."""
    docs = list(searcher.docs.values())
    found: list[str] = []
    lacking = ""
    for no in q.doc_nos:
        hit = [d.doc_id for d in docs if d.meta.doc_no == no]
        found += hit
        lacking = lacking or ("" if hit else no)
    for t in q.titles:
        hit = [d.doc_id for d in docs if t == d.title or t in d.title
               or (len(d.title) >= 6 and d.title in t)]
        found += hit
        # A 《title》 the knowledge base does not hold: its text cannot be quoted.
        lacking = lacking or ("" if hit else f"知识库中没有《{t}》")
    for t in q.plain_titles:
        short = re.sub(r"^(?:示例市级机关|示例市|市级机关)", "", t)
        found += [d.doc_id for d in docs if short and short in d.title]
    for name, words in q.aliases:
        hit = [d.doc_id for d in docs if all(w in d.title for w in words)]
        found += hit
        lacking = lacking or ("" if hit else f"知识库中没有{name}")
    ref = issue_ref(q.text) if ("专刊" in q.text or "新风" in q.text) else None
    if ref is not None:
        n, year, _ = ref
        found += [d.doc_id for d in docs if d.meta.doc_type == "handbook" and d.meta.issue_no == n
                  and (d.meta.issue_month or d.meta.date or "").startswith(year or "")]
    return list(dict.fromkeys(found)), lacking


def _meets(doc: Document, q: Question, c: Candidate) -> bool:
    """The evidence names every unit, year and level the question sets.

    Units and levels must be in the document. A year must be in the document too, and
    for a figure it must be in the quoted passage's chunk, the title or the document
    date: a figure from another year's paragraph is not the answer.
    """
    # The title and first lines: where a 决算 or a 计划 names its year (2024年度部门决算).
    head = doc.title + "\n" + "\n".join(doc.text.split("\n", _HEAD_LINES)[:_HEAD_LINES])
    for y in q.years:
        pat = year_pattern(y)
        dated = ((doc.meta.date or "").startswith(str(y))
                 or bool(re.search(rf"(?:{pat.pattern})\s*年", head)))
        if not (dated or pat.search(doc.text)):
            return False
        if q.asks in ("number", "duration") and not dated:
            # A document of another year (a 2025 budget, the 2024 report) gives the asked
            # year's figure only where it names that year beside the figure.
            other = bool(_YEAR_IN_HEAD.search(head))
            if not pat.search(c.text if other else c.hit.chunk.text):
                return False
    if not all(lv in doc.text or lv.replace("“", "").replace("”", "") in doc.text
               for lv in q.levels):
        return False
    # A phrase the question quotes (“留用察看”) names what is asked: it must be there.
    if not all(p in doc.text for p in q.quoted):
        return False
    return all(unit_pattern(u).search(doc.text) for u in q.units)


def _measured(searcher, q: Question, c: Candidate) -> bool:
    """A 「多少人」 question is answered by a figure in persons (人/名/位), not in issues."""
    doc = searcher.docs[c.hit.chunk.doc_id]
    seen = c.text + "".join(doc.text[a:b] for a, b in c.context)
    if c.kind == "row":
        # A table states its unit once, in its header (单位：万元); a figure in persons
        # or days is not read off a money table.
        money = bool(_MONEY_TABLE.search(doc.text, max(0, c.start - 3000), c.start))
        if money:
            return q.measure in ("元", "万元", "钱", "") and figure_kind(q.text) in ("", "元")
        return True
    kind = figure_kind(q.text)
    if kind and not re.search(kind, seen):
        return False
    if not q.measure:
        return True
    words = "|".join(map(re.escape, MEASURES.get(q.measure, (q.measure,))))
    figure = rf"[\d〇零一二两三四五六七八九十百千万亿]\s*(?:万|亿)?\s*(?:{words})"
    return bool(re.search(figure, seen))


def gather(searcher, question: str, filters: Filters | None, s: AskSettings) -> Evidence:
    """Search, then score the answer units of the hits that meet the question's constraints."""
    norm = searcher.normalize(question)
    q = analyze(norm, tuple(searcher.tokenize(norm)))
    result = searcher.search_detail(question, k=s.hits, filters=filters)
    if (issue := missing_issue(searcher, q.text)) is not None:
        result = replace(result, missing=(*result.missing, issue))
    targets, lacking = target_docs(searcher, q)
    unmet = lacking
    hits = result.hits
    if targets:
        tset = set(targets)
        hits = [h for h in hits if h.chunk.doc_id in tset] or hits
        labels = {lbl for c in searcher.chunks.values() if c.doc_id in tset for lbl in c.section}
        if q.articles:
            have = {article_number(lbl) for lbl in labels}
            gone = [n for n in q.articles if n not in have]
            if gone:
                unmet = unmet or f"所指文件中没有第{gone[0]}条"
        for n in q.chapters:
            if not any(re.match(rf"第{int_to_cn(n)}章", lbl) for lbl in labels):
                unmet = unmet or f"所指文件中没有第{int_to_cn(n)}章"
        for n in q.parts_no:
            texts = [searcher.docs[d].text for d in tset]
            if not any(re.search(rf"(?m)^{int_to_cn(n)}、", t) for t in texts):
                unmet = unmet or f"所指文件中没有第{int_to_cn(n)}部分"
    terms = question_terms(searcher, q.text)
    cands = [c for c in candidates(searcher, hits, terms, s, q)
             if _meets(searcher.docs[c.hit.chunk.doc_id], q, c)
             and (not targets or c.hit.chunk.doc_id in targets)]
    if q.asks in ("number", "duration"):
        cands = [c for c in cands if has_figure(c.text) and _measured(searcher, q, c)]
    best = cands[0] if cands else None
    strength = max((c.coverage for c in cands), default=0.0)
    words = sum(1 for t in terms if len(t) >= 2)
    return Evidence(result, cands, strength, q, unmet, best.matched if best else 0, words,
                    bool(targets))


def _citations_for(searcher, chosen: list[Candidate], start_n: int) -> list[Citation]:
    """Verified citations of the chosen units; a table row is preceded by its header."""
    out: list[Citation] = []
    done: set[tuple[str, int, int]] = set()
    for c in chosen:
        doc = searcher.docs[c.hit.chunk.doc_id]
        spans = [*(c.context if c.kind == "row" else ()), (c.start, c.end)]
        for a, b in spans:
            key = (doc.doc_id, a, b)
            if key in done:
                continue
            cit = make_citation(start_n + len(out), doc, c.hit, a, b,
                                getattr(searcher, "validity", {}).get(doc.doc_id))
            if cit is not None and verify(cit, doc):
                out.append(cit)
                done.add(key)
    return out


def _case_list(searcher, ev: Evidence) -> list[Candidate]:
    """All case headings of the one handbook issue a 「有哪些案例」 question names."""
    if ev.question.asks != "list" or "案例" not in ev.question.text:
        return []
    ref = issue_ref(ev.question.text)
    if ref is None:
        return []
    n, year, _ = ref
    issues = [d for d in searcher.docs.values() if d.meta.doc_type == "handbook"
              and d.meta.issue_no == n and (d.meta.issue_month or d.meta.date or "").startswith(
                  year or "")]
    if len(issues) != 1:
        return []
    doc = issues[0]
    chunks = sorted((c for c in searcher.chunks.values() if c.doc_id == doc.doc_id),
                    key=lambda c: c.start)
    out, seen = [], set()
    for c in chunks:
        for u in units_in(doc.text, c.start, c.end):
            if u.kind == "heading" and u.start not in seen:
                seen.add(u.start)
                hit = Hit(chunk=c, score=1.0, rank=1)
                out.append(Candidate(hit, u.start, u.end, doc.text[u.start:u.end], 1.0, 1.0,
                                     "heading"))
    return out


def _supported(ev: Evidence, s: AskSettings) -> bool:
    if not ev.candidates or ev.unmet:
        return False
    if _NOW.search(ev.question.text) and not any(
            _NOW.search(c.text) for c in ev.candidates[:3]):
        return False
    if ev.result.pinned:
        return True
    best = ev.candidates[0]
    if any(p in best.text for p in ev.question.quoted):
        return True  # the phrase the question quotes is there verbatim
    # A single shared word is not support: a short question (off-topic ones are short)
    # needs two of its words in the evidence. A long question in the user's own words
    # may share none with the text that answers it (the vectors found it); a topic
    # query without a question word (社保断缴与补缴) is left to the search.
    if (ev.matched < s.min_terms and ev.n_terms <= s.short_question and not ev.named
            and ev.question.interrogative):
        return False
    return ev.strength >= s.refuse_below


NOT_HELD = "（注意：该文件本身未收入知识库，以上为引用它的文件原文）"


def _citing(searcher, doc_no: str, s: AskSettings) -> list[Candidate]:
    """Sentences of other documents that cite a 文号 the knowledge base does not hold."""
    out: list[Candidate] = []
    for c in sorted(searcher.chunks.values(), key=lambda c: (c.doc_id, c.start)):
        if not any(normalize_doc_no(m.group(0)) == doc_no for m in DOC_NO_RE.finditer(c.text)):
            continue
        doc = searcher.docs[c.doc_id]
        for u in units_in(doc.text, c.start, c.end):
            text = doc.text[u.start:u.end]
            if u.kind in ("sentence", "item", "items") and any(
                    normalize_doc_no(m.group(0)) == doc_no for m in DOC_NO_RE.finditer(text)):
                out.append(Candidate(Hit(chunk=c, score=1.0, rank=1), u.start, u.end, text,
                                     1.0, 1.0, u.kind))
    return out[: s.max_quotes]


def _answer_one(searcher, question: str, filters, s: AskSettings
                ) -> tuple[list[Candidate], Evidence]:
    ev = gather(searcher, question, filters, s)
    if ev.result.missing:
        return [], ev
    listed = _case_list(searcher, ev)
    if listed:
        return listed[: max(s.max_quotes, 8)], ev
    if not _supported(ev, s):
        return [], ev
    if ev.result.pinned:
        pinned = [h for h in ev.result.hits if h.chunk.chunk_id in ev.result.pinned]
        return [_whole_passage(h) for h in pinned][: s.max_quotes], ev
    return select(ev.candidates, s), ev


def ask(searcher, question: str, *, filters: Filters | None = None,
        settings: AskSettings | None = None) -> Answer:
    """Answer `question` from the index with verified, numbered quotes (or refuse)."""
    s = settings or AskSettings()
    q = analyze(searcher.normalize(question))
    if q.parts:
        return _ask_parts(searcher, question, q.parts, filters, s)
    chosen, ev = _answer_one(searcher, question, filters, s)
    cited_only = [n for n in ev.question.doc_nos if n in ev.result.missing]
    if not chosen and cited_only and (citing := _citing(searcher, cited_only[0], s)):
        citations = _citations_for(searcher, citing, 1)
        if citations:
            return Answer(question=question, answer=_text(citations) + NOT_HELD, refused=False,
                          citations=tuple(citations))
    if not chosen:
        why = ev.unmet or ("、".join(ev.result.missing) + "不在知识库中"
                           if ev.result.missing else "")
        return _refuse(question, ev.result.hits, why)
    citations = _citations_for(searcher, chosen, 1)
    if not citations:
        return _refuse(question, ev.result.hits)
    return Answer(question=question, answer=_text(citations), refused=False,
                  citations=tuple(citations))


def _text(citations: list[Citation]) -> str:
    return "".join(f"{c.quote}[{c.n}]{warning(c)}" for c in citations)


def _ask_parts(searcher, question: str, parts: tuple[str, ...], filters,
               s: AskSettings) -> Answer:
    """Evidence for each part of a two-part question; says which part has none."""
    half = replace(s, max_quotes=max(1, s.max_quotes // 2))
    citations: list[Citation] = []
    lines: list[str] = []
    hits: list[Hit] = []
    for part in parts:
        chosen, ev = _answer_one(searcher, part, filters, half)
        hits += ev.result.hits
        new = [c for c in _citations_for(searcher, chosen, len(citations) + 1)
               if not any(c.doc_id == o.doc_id and c.start == o.start for o in citations)]
        new = [replace(c, n=len(citations) + i) for i, c in enumerate(new, start=1)]
        if new:
            citations += new
            lines.append(_text(new))
        else:
            lines.append(f"（关于“{part}”，{REFUSAL_TEXT}）")
    if not citations:
        return _refuse(question, hits)
    return Answer(question=question, answer="\n".join(lines), refused=False,
                  citations=tuple(citations))
