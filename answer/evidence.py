"""Evidence for a question: the constraints it sets (named document, unit, year, article,
level, measure) checked against the candidate units, and whether what is left supports
an answer at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from answer.candidates import (
    AskSettings,
    Candidate,
    candidates,
    question_terms,
    question_words,
)
from answer.everyday import REASON as EVERYDAY_REASON
from answer.everyday import is_everyday
from answer.question import (
    MEASURES,
    Question,
    analyze,
    figure_kind,
    unit_pattern,
    year_pattern,
)
from answer.units import has_figure, units_in
from core.models import (
    Document,
    Filters,
    Hit,
    SearchResult,
)
from core.text.attachments import attachment_included, attachment_refs, listed_attachment
from core.text.coverage import coverage
from core.text.dates import YEAR_RE, fiscal_years, names_year, relative_years
from core.text.headings import article_number
from core.text.issues import issue_ref
from core.text.numerals import int_to_cn
from core.text.plain_words import widened
from core.text.sentences import split_sentences
from core.text.titles import title_matches

_HEAD_LINES = 3


_MONEY_TABLE = re.compile(r"单位[：:]\s*(?:万元|元|亿元)")


# The year a figure is compared with is not the year it is for: 较2021年上升了11位,
# 比去年增长, 与2023年相比.
_BASE_YEAR = rf"(?:前年|去年|今年|上年|{YEAR_RE.pattern}(?:度)?)(?:同期)?"
_COMPARED = re.compile(rf"(?:比|较)\s*{_BASE_YEAR}|与\s*{_BASE_YEAR}相比")
# 「多少个」「几个」 ask for a count of things (支部, 项目, 单位), written with a measure word.
_COUNT_ASKED = re.compile(r"(?:多少|几)个(?!月|工作日|小时|百分点|点)")
_COUNT = re.compile(r"[\d〇零一二两三四五六七八九十百千万]\s*(?:万|亿)?\s*(?:多|余|来)?\s*"
                    r"[个家项支处所座条批类种部套户件名人位次期]")
_YEAR_IN_HEAD = re.compile(r"(?:19|20)\d{2}\s*年")


# Questions about the moment (明天的天气, 今天中午的菜): no document can answer them.
_NOW = re.compile(r"今天|明天|后天|昨天|今晚|明晚|今早|明早|此刻|这会儿|现在几点|这周末|本周末")


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


@dataclass(frozen=True)
class Evidence:
    """What the index offers for a question, and how strongly it covers the question."""

    result: SearchResult
    candidates: list[Candidate]
    strength: float  # best share of the question's IDF mass covered by one unit
    question: Question = field(default_factory=lambda: Question(""))
    unmet: str = ""  # why no evidence can meet the question's constraints
    matched: int = 0  # content words of the question the best unit shares
    n_terms: int = 0  # content words of the question (`answer.question.content_words`)
    named: bool = False  # the question names its document (文号, 《标题》, 党章, 第X期)
    n_own: int = 0  # content words that do not only name the document, unit or year


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
        hit = [d.doc_id for d in docs if title_matches(t, d.title)]
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
    of_year = False  # the document itself is of an asked year (its date or title)

    def says(y: int, text: str) -> bool:
        return _says_year(text, doc.meta.date, y)

    for y in q.years:
        pat = year_pattern(y)
        by_date = (doc.meta.date or "").startswith(str(y))
        dated = by_date or bool(re.search(rf"(?:{pat.pattern})\s*年", head))
        of_year |= by_date or bool(pat.search(doc.title))
        if not (dated or says(y, doc.text)):
            return False
        if q.asks in ("number", "duration") and not dated:
            # A document of another year (a 2025 budget, the 2024 report) gives the asked
            # year's figure only where it names that year beside the figure.
            other = bool(_YEAR_IN_HEAD.search(head))
            if not says(y, c.text if other else c.hit.chunk.text):
                return False
    if (q.years and not of_year and q.asks in ("number", "duration")
            and (names_year(c.text) or relative_years(c.text, doc.meta.date))
            and not any(says(y, c.text) for y in q.years)):
        # The quoted sentence dates its figure itself (2023年有3个支部…): another year's
        # figure, even where the asked year appears elsewhere in its chunk. (A document
        # of the asked year may compare with an earlier one: 比2023年增长….)
        return False
    if q.years and q.asks in ("number", "duration"):
        # Even in a document of the asked year, 「去年，…选派了126名」 is last year's figure
        # (比去年增长… is this year's, compared).
        if (relative_years(_COMPARED.sub("", c.text), doc.meta.date)
                and not any(says(y, c.text) for y in q.years)):
            return False
    if _of_another_fiscal_year(doc, q, c):
        return False
    if not all(lv in doc.text or lv.replace("“", "").replace("”", "") in doc.text
               for lv in q.levels):
        return False
    # A phrase the question quotes (“留用察看”) names what is asked: it must be there.
    if not all(p in doc.text for p in q.quoted):
        return False
    return all(unit_pattern(u).search(doc.text) for u in q.units)


@lru_cache(maxsize=1024)
def _says_year(text: str, dated: str | None, y: int) -> bool:
    """`text` names year `y`: 2024年 as written, or 去年 in a text dated 2025; not 较2024年
    (a baseline). Cached: `_meets` asks it of the same document text for every candidate
    unit of that document (about 1 ms for a 30,000-character text)."""
    text = _COMPARED.sub("", text)
    return bool(year_pattern(y).search(text)) or y in relative_years(text, dated)


def _of_another_fiscal_year(doc: Document, q: Question, c: Candidate) -> bool:
    """A question about the 2025年度 figure is not answered by a document titled for
    2026年度 (published, and so dated, in 2025), unless the quote itself says 2025年度."""
    def names(years, written) -> bool:
        return any(year_pattern(y).fullmatch(f) for y in years for f in written)

    asked = [y for y in q.years if names([y], fiscal_years(q.text))]
    covered = fiscal_years(doc.title)
    if not asked or not covered or names(q.years, covered):
        return False
    return not names(asked, fiscal_years(c.text))


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
    if not kind and _COUNT_ASKED.search(q.text) and not _COUNT.search(seen):
        return False  # 多少个支部 is a count, not 覆盖率38%
    if not q.measure:
        return True
    words = "|".join(map(re.escape, MEASURES.get(q.measure, (q.measure,))))
    # 30余名, 200多人, 十来个: an approximate figure is still in the asked measure.
    figure = rf"[\d〇零一二两三四五六七八九十百千万亿]\s*(?:万|亿)?\s*(?:多|余|来)?\s*(?:{words})"
    return bool(re.search(figure, seen))


DEFERRAL_REACH = 80  # characters after a unit, in its paragraph, where it may defer


def _deferred(doc: Document, terms: dict[str, float], best: Candidate, specifics: bool
              ) -> str:
    """Why the best unit cannot answer: the sentence that covers the question best
    defers to an attachment the document does not hold (「…限额，具体见附件1。」), or the
    question asks for the specifics (具体) that the next sentence leaves to one
    (「…比例为10%-70%。具体缴交标准见附件3」)."""
    text = doc.text
    where = f"《{doc.title}》" if doc.title else "该文件"
    listed = listed_attachment(best.text)
    if listed is not None and not attachment_included(text, listed.label, best.end):
        # the best unit only names the attachment: the list under the document
        return f"所问内容见{where}{listed.name}，知识库未收录该附件"
    line_end = text.find("\n", best.end)
    reach = min(len(text) if line_end < 0 else line_end, best.end + DEFERRAL_REACH)
    sentences = split_sentences(text[best.start:reach], best.start)
    for ref in attachment_refs(text, best.start, reach):
        if attachment_included(text, ref.label, ref.end):
            continue
        inside = [sp for sp in sentences if sp[0] <= ref.start < sp[1]]
        if not inside:
            continue
        a, b = inside[0]
        rest = text[best.start:a] + "。" + text[b:max(b, best.end)]
        if coverage(terms, text[a:b]) >= coverage(terms, rest):
            return f"所问内容见{where}{ref.name}，知识库未收录该附件"
        if specifics and a >= best.end and "具体" in text[a:ref.start]:
            return f"所问的具体内容见{where}{ref.name}，知识库未收录该附件"
    return ""


def _silent_on_figure(searcher, cands: list[Candidate], figured: list[Candidate],
                      s: AskSettings) -> str:
    """Why a figure question has no answer: the unit that states what is asked gives no
    figure in the asked measure (「任职满一定年限、表现优秀的…优先晋升职级」 for 「满几年」),
    and the units with figures state something else: they cover less than
    `silent_ratio` of what it covers. Quoting their figure would answer another question."""
    if not cands:
        return ""
    top = max(cands, key=lambda c: c.coverage)
    if top in figured or top.coverage < s.silent_cover:
        return ""
    if max((c.coverage for c in figured), default=0.0) >= s.silent_ratio * top.coverage:
        return ""
    doc = searcher.docs[top.hit.chunk.doc_id]
    where = f"《{doc.title}》" if doc.title else "相关文件"
    return f"{where}对此未给出具体数字"


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
    if (not unmet and not targets and not result.pinned and not q.quoted
            and is_everyday(searcher, norm, s.everyday_rank)):
        unmet = EVERYDAY_REASON
    terms = question_terms(searcher, widened(q.text))
    cands = [c for c in candidates(searcher, hits, terms, s, q)
             if _meets(searcher.docs[c.hit.chunk.doc_id], q, c)
             and (not targets or c.hit.chunk.doc_id in targets)]
    if q.asks in ("number", "duration"):
        figured = [c for c in cands if has_figure(c.text) and _measured(searcher, q, c)]
        if q.interrogative:  # a quiz line with a blank restates its passage
            unmet = unmet or _silent_on_figure(searcher, cands, figured, s)
        cands = figured
    best = cands[0] if cands else None
    if best is not None and q.interrogative and not unmet:
        unmet = _deferred(searcher.docs[best.hit.chunk.doc_id], terms, best,
                          "具体" in q.text)
    strength = max((c.coverage for c in cands), default=0.0)
    words, naming = question_words(terms, q)
    return Evidence(result, cands, strength, q, unmet, best.matched if best else 0,
                    len(words), bool(targets), len(words) - len(naming))


def case_list(searcher, ev: Evidence) -> list[Candidate]:
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


def supported(ev: Evidence, s: AskSettings) -> bool:
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
    # A question naming its document has its title's words met by that document: the
    # evidence must also share one of its own words (公务员法…年休假 answered with another
    # article's 三十日 shares only the law's name).
    if ev.named and ev.n_own and not best.matched_own and ev.question.interrogative:
        return False
    return ev.strength >= s.refuse_below
