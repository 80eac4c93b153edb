"""Candidate cases for a theme or a description of what an issue needs.

Search hits are passages; a case is ranked by its best passages (so one long case no
longer fills the top of the list), featured stories are left out (a case whose
near-duplicate ran counts as featured), each duplicate group is shown once, and units
already on the list are pushed down so the proposals come from different organs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from cases.planner import Catalog
from cases.records import Case
from cases.tags import matching_tags
from core.models import Hit
from core.text.sentences import split_sentences

_DECAY = (1.0, 0.5, 0.25)  # weights of a case's best, second and third passage
_SAME_ORGAN = 0.5  # a case's score is multiplied by this for each pick of its organ
_TAG_BONUS = 0.3  # share of the top score added when the case carries a named tag
_WHY_CHARS = 160


@dataclass(frozen=True)
class Why:
    """A passage that made a case rank: verbatim `doc.text[start:end]`."""

    text: str
    start: int
    end: int
    section: str
    score: float


@dataclass(frozen=True)
class Candidate:
    case: Case
    score: float
    why: tuple[Why, ...]


def _case_at(by_doc: dict[str, list[Case]], doc_id: str, start: int, end: int) -> Case | None:
    best, overlap = None, 0
    for c in by_doc.get(doc_id, ()):
        o = min(end, c.end) - max(start, c.start)
        if o > overlap:
            best, overlap = c, o
    return best


def _bigrams(query: str) -> tuple[str, ...]:
    q = "".join(query.split())
    return tuple({q[i:i + 2] for i in range(len(q) - 1)})


def _best_sentence(text: str, lo: int, terms: Sequence[str]) -> tuple[int, int]:
    """The sentence of a passage (from offset `lo`) naming most of the query's terms."""
    best, hits = None, -1
    for s, e in split_sentences(text):
        if e <= lo or e - s < 8:
            continue
        s = max(s, lo)
        # A heading line (no sentence end) names the case, it does not show why it fits.
        n = sum(t in text[s:e] for t in terms) - 0.5 * (text[e - 1] not in "。！？”；")
        if n > hits:
            best, hits = (s, e), n
    if best is None:
        return lo, min(len(text), lo + _WHY_CHARS)
    s, e = best
    return s, min(e, s + _WHY_CHARS)


def rank_candidates(catalog: Catalog, hits: Sequence[Hit], query: str, *, k: int = 5,
                    include_featured: bool = False, since: str | None = None,
                    ) -> list[Candidate]:
    """The `k` best cases for `query` given its search `hits` (passages)."""
    by_doc: dict[str, list[Case]] = defaultdict(list)
    for c in catalog.cases:
        by_doc[c.doc_id].append(c)
    passages: dict[str, list[Why]] = defaultdict(list)
    for h in hits:
        ch = h.chunk
        case = _case_at(by_doc, ch.doc_id, ch.start, ch.end)
        if case is None:
            continue
        s, e = _best_sentence(ch.text, max(ch.start, case.start) - ch.start,
                              h.matched_terms or _bigrams(query))
        passages[case.case_id].append(Why(ch.text[s:e], ch.start + s, ch.start + e,
                                          ch.section_label, h.score))
    scores = {cid: sum(w * p.score for w, p in zip(_DECAY, ps, strict=False))
              for cid, ps in passages.items()}
    top = max(scores.values(), default=1.0)
    tags = matching_tags(query)
    for c in catalog.cases:
        if tags and any(t in c.themes for t in tags):
            scores[c.case_id] = scores.get(c.case_id, 0.0) + _TAG_BONUS * top
    pool = []
    for cid, score in scores.items():
        case = catalog.get(cid)
        if not include_featured and catalog.featured(case, since):
            continue
        pool.append((score, case))
    # One story per duplicate group: its best-scoring telling.
    best: dict[str, tuple[float, Case]] = {}
    for score, case in pool:
        key = case.group or case.case_id
        if key not in best or score > best[key][0]:
            best[key] = (score, case)
    remaining = sorted(best.values(), key=lambda x: (-x[0], x[1].case_id))
    chosen: list[Candidate] = []
    organs: dict[str, int] = defaultdict(int)
    while remaining and len(chosen) < k:
        i = max(range(len(remaining)), key=lambda j: (
            remaining[j][0] * _SAME_ORGAN ** organs[remaining[j][1].organ], -j))
        score, case = remaining.pop(i)
        if case.organ:  # an unnamed unit is no reason to push a case down
            organs[case.organ] += 1
        why = tuple(sorted(passages.get(case.case_id, []), key=lambda w: -w.score)[:2])
        if not why:  # ranked by its tags alone: show the summary
            why = (Why(case.summary, case.summary_start, case.summary_end, "摘要", 0.0),)
        chosen.append(Candidate(case, round(score, 4), why))
    return chosen
