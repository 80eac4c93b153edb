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

from dataclasses import replace

from answer.candidates import AskSettings, Candidate, select, whole_passage
from answer.evidence import Evidence, case_list, gather, supported
from answer.meaning import by_meaning
from answer.question import (
    split_parts,
)
from answer.references import paragraph_no, reference_for
from answer.units import units_in
from core.models import (
    IN_FORCE,
    Answer,
    Citation,
    Document,
    Filters,
    Hit,
    Validity,
)
from core.text.docno import DOC_NO_RE, normalize_doc_no
from core.text.headings import article_label

REFUSAL_TEXT = "知识库中未找到相关依据"


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
                    superseded_by=v.superseded_label if v and not v.in_force else None,
                    ocr=doc.ocr_on(page))


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


def _citations_for(searcher, chosen: list[Candidate], start_n: int) -> list[Citation]:
    """Verified citations of the chosen units; a table row is preceded by its header.
    Two quotes that would share a reference get their paragraph (第N段) added to it."""
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
    return _distinct_references(searcher, out)


def _distinct_references(searcher, cits: list[Citation]) -> list[Citation]:
    by_ref: dict[str, list[int]] = {}
    for i, c in enumerate(cits):
        by_ref.setdefault(c.reference, []).append(i)
    out = list(cits)
    for idxs in by_ref.values():
        paras = {paragraph_no(searcher.docs[cits[i].doc_id].text, cits[i].start) for i in idxs}
        doc = searcher.docs[cits[idxs[0]].doc_id]
        if (len(idxs) < 2 or len(paras) < 2 or article_label(cits[idxs[0]].reference)
                or doc.meta.doc_type not in ("policy", "speech", "report")):
            continue  # one passage, quotes of one article, or a case: the reference is right
        for i in idxs:
            n = paragraph_no(searcher.docs[cits[i].doc_id].text, cits[i].start)
            out[i] = replace(cits[i], reference=f"{cits[i].reference}第{n}段")
    return out


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


def _answer_one(searcher, question: str, filters, s: AskSettings,
                ev: Evidence | None = None) -> tuple[list[Candidate], Evidence]:
    """The units answering `question`, from `ev` when its evidence is already gathered."""
    ev = ev or gather(searcher, question, filters, s)
    if ev.result.missing:
        return [], ev
    listed = case_list(searcher, ev)
    if listed:
        return listed[: max(s.max_quotes, 8)], ev
    if not supported(ev, s):
        return [], ev
    if ev.result.pinned:
        pinned = [h for h in ev.result.hits if h.chunk.chunk_id in ev.result.pinned]
        return [whole_passage(h) for h in pinned][: s.max_quotes], ev
    return select(by_meaning(searcher, ev.question.text, ev.candidates, s), s), ev


def ask(searcher, question: str, *, filters: Filters | None = None,
        settings: AskSettings | None = None) -> Answer:
    """Answer `question` from the index with verified, numbered quotes (or refuse)."""
    if filters is not None and filters.max_level is not None:
        # A viewer's level: every look at `searcher.docs`/`chunks` below (documents the
        # question names, an issue's cases, nearest titles) sees only what they may read.
        searcher = searcher.visible_to(filters.max_level)
    s = settings or AskSettings()
    # Only the split is needed here; `gather` analyses each (part of the) question in full.
    parts = split_parts(searcher.normalize(question))
    if parts:
        return _ask_parts(searcher, question, parts, filters, s)
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
    answered = [_answer_one(searcher, part, filters, half) for part in parts]
    if any(chosen for chosen, _ in answered):
        # A question with one supported part is not off-topic: the other part may share a
        # single word with its evidence (小组每组多少人 beside 小组组长任期几年), so the
        # two-word rule for short questions no longer applies to it. The rule only decides
        # support (`supported`), so the evidence already gathered is judged again.
        lenient = replace(half, min_terms=0)
        answered = [(chosen, ev) if chosen else _answer_one(searcher, part, filters, lenient, ev)
                    for part, (chosen, ev) in zip(parts, answered, strict=True)]
    for part, (chosen, ev) in zip(parts, answered, strict=True):
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
