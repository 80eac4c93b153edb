"""The editors' workspace, wired: the case catalog of an index, its usage history, the
candidate finder and the issue planner, for `kb cases`/`kb issue` and the 专刊编辑 page.

The catalog is derived from the index (every handbook issue and case study in the
docstore) and cached in the editorial SQLite under a stamp of the documents' content
hashes, so it follows every ingest, upload and rebuild without a hook in the ingest.
The history and the planned issues in that file are never touched by an ingest.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from cases.dups import DupPair, groups_of, near_duplicate_pairs
from cases.extract import cases_of, is_case_study
from cases.finder import Candidate, rank_candidates
from cases.planner import Catalog, assemble_usage, months_before
from cases.records import MANUAL, Case, Usage
from cases.store import EditorialStore
from core.config import Config
from core.models import DocType, Document, Filters, User, hidden_levels
from service.accounts import require

CATALOG_VERSION = "1"  # bump when extraction or grouping changes: the cache is redone
_SEARCH_TYPES = (DocType.HANDBOOK.value, DocType.CASE.value, DocType.OTHER.value)


def reference_for_case(doc: Document, heading: str, start: int) -> str:
    """The formal reference of a passage of a case: 《新风》专刊…《单位：标题》 in an issue."""
    from answer.references import book_title, issue_label, reference_for

    if doc.doc_type == DocType.HANDBOOK and heading:
        # From the clean heading: the outline's label is cut at 30 characters and a PDF
        # may have glued the body onto the heading line.
        return issue_label(doc) + book_title(heading)
    return reference_for(doc, (), doc.page_at(start), start)


def build_cases(docs: Iterable[Document]) -> tuple[list[Case], list[DupPair]]:
    """Every case of `docs` with its near-duplicate group, and the duplicate pairs."""
    from answer.references import issue_label
    from ingest.structure import outline

    cases: list[Case] = []
    texts: dict[str, str] = {}
    for doc in docs:
        handbook = doc.doc_type == DocType.HANDBOOK
        if not handbook and not is_case_study(doc):
            continue
        found = cases_of(doc, outline(doc.text, doc.doc_type.value), reference_for_case,
                         issue_label(doc) if handbook else None)
        for c in found:
            if c.case_id in texts:  # the same title, unit and file name in two folders
                c = replace(c, case_id=f"{c.case_id}-{_digest([doc.source])[:4]}")
            texts[c.case_id] = doc.text[c.story_start:c.story_end]
            cases.append(c)
    pairs = near_duplicate_pairs([(c.case_id, texts[c.case_id], c.organ) for c in cases])
    groups = groups_of([c.case_id for c in cases], pairs)
    return [c.with_group(groups.get(c.case_id)) for c in cases], pairs


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()


def _stamp(hashes: dict[str, str]) -> str:
    return CATALOG_VERSION + ":" + _digest(f"{k}={v}" for k, v in sorted(hashes.items()))


class Workspace:
    """The editors' workspace of one index (`config.index_dir`, `config.editorial`)."""

    def __init__(self, config: Config, *, docs: dict[str, Document] | None = None,
                 viewer: User | None = None) -> None:
        """`docs`: the index's documents when already loaded (the app's searcher has them).
        `viewer`: whose workspace it is: the catalog, the duplicates and the finder show
        only cases of documents they may read, and the changes (usage records, issues)
        need a role that may edit the special issue (None: single-user, everything)."""
        self.config = config
        self.viewer = viewer
        if docs is None:
            # No editorial file beside an index that does not exist (a mistyped --index).
            from index.store import IndexStore

            IndexStore(config, vectors=False).close()
        self.store = EditorialStore(config.editorial)
        self._docs = docs
        self._catalog: Catalog | None = None
        self._pairs: list[DupPair] = []

    def close(self) -> None:
        self.store.close()

    # the catalog ----------------------------------------------------------------------
    def _load(self) -> tuple[list[Case], list[DupPair]]:
        if self._docs is not None:
            hashes = {d: doc.content_hash for d, doc in self._docs.items()}
            stamp = _stamp(hashes)
            cached = self.store.cached_catalog(stamp)
            if cached is None:
                cases, pairs = build_cases(self._docs.values())
                self._save(stamp, cases, pairs)
                return cases, pairs
            return _from_cache(cached)
        from index.store import IndexStore

        index = IndexStore(self.config, vectors=False)
        try:
            stamp = _stamp(index.docstore.hashes())
            cached = self.store.cached_catalog(stamp)
            if cached is not None:
                return _from_cache(cached)
            cases, pairs = build_cases(index.docstore.documents())
        finally:
            index.close()
        self._save(stamp, cases, pairs)
        return cases, pairs

    def _save(self, stamp: str, cases: Sequence[Case], pairs: Sequence[DupPair]) -> None:
        try:
            self.store.save_catalog(stamp, {"cases": [c.to_dict() for c in cases],
                                            "pairs": [vars(p) for p in pairs]})
        except sqlite3.OperationalError:  # read-only or busy: the cache is only a copy
            pass

    def catalog(self) -> Catalog:
        if self._catalog is None:
            cases, self._pairs = self._load()
            cases = self._visible(cases)
            usage = assemble_usage(cases, self.store.usage(), self.store.struck())
            self._catalog = Catalog(tuple(cases), usage)
        return self._catalog

    def _visible(self, cases: list[Case]) -> list[Case]:
        """The cases the viewer may read (the whole catalog is cached, for everybody)."""
        if self.viewer is None or not hidden_levels(self.viewer.level):
            return cases
        if self._docs is not None:
            levels = {d: doc.visibility for d, doc in self._docs.items()}
        else:
            from index.store import IndexStore

            index = IndexStore(self.config, vectors=False)
            try:
                levels = index.docstore.visibilities()
            finally:
                index.close()
        kept = [c for c in cases if self.viewer.sees(levels.get(c.doc_id, ""))]
        ids = {c.case_id for c in kept}
        self._pairs = [p for p in self._pairs if p.a in ids and p.b in ids]
        return kept

    def require_edit(self) -> None:
        """PermissionDenied unless the viewer may manage the special issue."""
        require(self.viewer, "edit_issue")

    def refresh(self) -> None:
        """Forget what was read (after a change to the history)."""
        self._catalog = None

    def pairs(self) -> list[DupPair]:
        self.catalog()
        return list(self._pairs)

    # candidate finder -----------------------------------------------------------------
    def find(self, query: str, *, k: int = 5, include_featured: bool = False,
             since_months: int | None = None, searcher=None,
             today: date | None = None) -> list[Candidate]:
        """Cases that fit `query`, not featured (or not within `since_months`)."""
        if searcher is None:
            from service.wiring import open_searcher

            searcher = open_searcher(self.config)
        if self.viewer is not None:
            searcher = searcher.visible_to(self.viewer.level)
        hits = searcher.search(query, k=max(60, 12 * k), mode="hybrid",
                               filters=Filters(doc_types=_SEARCH_TYPES))
        since = (months_before(today or date.today(), since_months)
                 if since_months is not None else None)
        return rank_candidates(self.catalog(), hits, query, k=k,
                               include_featured=include_featured, since=since)

    # usage history ----------------------------------------------------------------------
    def feature(self, case_id: str, issue: str, month: str | None = None) -> None:
        """Record by hand that a case ran in `issue` (an issue not in the index)."""
        self.require_edit()
        self.catalog().get(case_id)
        self.store.add_usage([Usage(case_id, issue, month, MANUAL)])
        self.refresh()

    def unfeature(self, case_id: str, issue: str | None = None) -> list[str]:
        """Strike a usage record (every one of the case when `issue` is None)."""
        self.require_edit()
        catalog = self.catalog()
        catalog.get(case_id)
        gone = []
        for u in catalog.featured_in(case_id):
            if issue is None or issue in u.issue:
                self.store.remove_usage(case_id, u.issue, derived=u.origin != MANUAL)
                gone.append(u.issue)
        self.refresh()
        return gone


def _from_cache(data: dict) -> tuple[list[Case], list[DupPair]]:
    return ([Case.from_dict(d) for d in data["cases"]],
            [DupPair(**p) for p in data["pairs"]])


def case_json(catalog: Catalog, case: Case) -> dict:
    """The stable JSON form of a case (`kb cases list/show --json`)."""
    return {
        "case_id": case.case_id, "title": case.title, "unit": case.unit,
        "themes": list(case.themes), "summary": case.summary,
        "issue_no": case.issue_no, "issue_year": case.issue_year, "total_no": case.total_no,
        "month": case.month,
        "featured_in": [u.to_dict() for u in catalog.featured_in(case.case_id)],
        "group": case.group,
        "sources": [{"source": case.source, "start": case.start, "end": case.end}],
        "kind": case.kind, "organ": case.organ, "doc_id": case.doc_id,
        "issue_theme": case.issue_theme, "issue_label": case.issue_label, "year": case.year,
        "summary_span": {"start": case.summary_start, "end": case.summary_end},
        "reference": case.reference,
        "quotes": [{"text": q.text, "start": q.start, "end": q.end, "reference": q.reference}
                   for q in case.quotes],
        "featured": catalog.featured(case),
    }


def candidate_json(catalog: Catalog, cand: Candidate) -> dict:
    d = case_json(catalog, cand.case)
    d["score"] = cand.score
    d["why"] = [{"text": w.text, "start": w.start, "end": w.end, "section": w.section}
                for w in cand.why]
    return d
