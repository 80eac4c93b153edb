"""The data that moves between stages: Document -> Chunk -> Hit -> Citation/Answer.

Offsets (`start`, `end`, `page_starts`) always refer to `Document.text`, the
normalised text, which is the one source of truth for quotes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from core.text.issuers import issuer_matches


class DocType(StrEnum):
    """Kinds of documents; the value is the code used in JSON and on the CLI."""

    SPEECH = "speech"
    POLICY = "policy"
    HANDBOOK = "handbook"
    CASE = "case"
    REPORT = "report"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The Chinese name shown to users."""
        return _DOC_TYPE_LABELS[self]

    @classmethod
    def parse(cls, value: str) -> DocType:
        """A type from its code or its Chinese label (制度文件, 专刊 …); ValueError otherwise."""
        v = value.strip()
        for t in cls:
            if v in (t.value, t.label, t.label.strip("《》"), _SHORT_LABELS.get(t)):
                return t
        raise ValueError(value)


_DOC_TYPE_LABELS = {
    DocType.SPEECH: "讲话",
    DocType.POLICY: "制度文件",
    DocType.HANDBOOK: "《新风》专刊",
    DocType.CASE: "典型案例",
    DocType.REPORT: "工作报告",
    DocType.OTHER: "其他",
}
_SHORT_LABELS = {DocType.HANDBOOK: "专刊", DocType.CASE: "案例", DocType.REPORT: "报告"}
DOC_TYPES: tuple[str, ...] = tuple(t.value for t in DocType)
DOC_TYPE_LABELS: dict[str, str] = {t.value: t.label for t in DocType}

SearchMode = Literal["hybrid", "bm25", "vector"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "bm25", "vector")

# A heading path, outermost first: ("第二章 党员", "第九条"). Shown and stored joined.
SectionPath = tuple[str, ...]
SECTION_SEP = " > "


def section_label(path: SectionPath) -> str:
    """A heading path as users and the JSON contract see it: "第二章 党员 > 第九条"."""
    return SECTION_SEP.join(path)


def section_path(label: str) -> SectionPath:
    """The inverse of `section_label` (the docstore keeps the joined form)."""
    return tuple(label.split(SECTION_SEP)) if label else ()


@dataclass(frozen=True)
class RawDocument:
    """What a loader read from a file, before normalisation.

    `page_starts[i]` is the offset in `text` where page i+1 begins (PDF only).
    `overrides` holds metadata given by front matter or a sidecar file.
    """

    source: str
    text: str
    fmt: str
    page_starts: tuple[int, ...] = ()
    overrides: dict[str, str] = field(default_factory=dict)
    fixed_layout: bool = False  # printed lines (PDF): wrapped lines are rejoined


@dataclass(frozen=True)
class DocMeta:
    """Metadata detected from a document's content (or overridden)."""

    title: str
    doc_type: DocType = DocType.OTHER
    date: str | None = None  # ISO YYYY-MM-DD
    issuer: str | None = None
    doc_no: str | None = None  # 文号, normalised: 阿府办发〔2021〕21号
    speaker: str | None = None
    issue_no: int | None = None  # 《新风》第X期
    issue_month: str | None = None  # YYYY-MM
    theme: str | None = None
    version: str | None = None  # a version the file name or title states: 2017修改
    # Validity overrides from front matter or a sidecar (detected values live in Validity).
    status: str | None = None
    effective_from: str | None = None
    valid_until: str | None = None
    superseded_by: str | None = None
    # Visibility as front matter / a sidecar states it (`visibility: 内部`); the level in
    # force, with the folder's and the default, is Document.visibility.
    visibility: str | None = None
    # Pages (1-based) whose text was read by OCR, and each one's mean recognition
    # confidence (0..1), in the same order (the loader sets these, not a sidecar).
    ocr_pages: tuple[int, ...] = ()
    ocr_confidence: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        # Stored and overridden metadata carry the type as its code string.
        if not isinstance(self.doc_type, DocType):
            object.__setattr__(self, "doc_type", DocType(self.doc_type))
        # The docstore keeps metadata as JSON, whose arrays come back as lists.
        for name in ("ocr_pages", "ocr_confidence"):
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class Document:
    """A normalised document with its metadata."""

    doc_id: str
    source: str
    text: str
    meta: DocMeta
    content_hash: str
    page_starts: tuple[int, ...] = ()
    visibility: str = "公开"  # one of LEVELS: who may read it (service.accounts)

    def __post_init__(self) -> None:
        # The stored metadata carries the level too (DocMeta.visibility): whichever way a
        # Document is rebuilt (docstore, a server's copy), the stricter of the two holds.
        stated = self.meta.visibility
        if stated is not None and _rank(stated) > _rank(self.visibility):
            object.__setattr__(self, "visibility", stated)

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def doc_type(self) -> DocType:
        return self.meta.doc_type

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a text offset, or None when pages are unknown."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    def ocr_on(self, *pages: int | None) -> bool:
        """True when any of these pages' text was read by OCR."""
        return any(p in self.meta.ocr_pages for p in pages if p is not None)


@dataclass(frozen=True)
class Section:
    """A heading found in a document: `level` 1 is outermost."""

    level: int
    label: str  # e.g. "第二章 党员", "第九条", "一、总体要求", "案例一 ..."
    kind: str  # part/chapter/section/article/h1/h2/h3/h4/point/case
    start: int  # offset of the heading line in Document.text
    end: int  # end of the section's body (exclusive)


@dataclass(frozen=True)
class Chunk:
    """A retrievable span of a document: `doc.text[start:end] == text`."""

    chunk_id: str
    doc_id: str
    source: str
    title: str
    doc_type: DocType
    section: SectionPath  # heading path, e.g. ("第二章 党员", "第九条")
    pages: tuple[int, ...]
    start: int
    end: int
    text: str
    visibility: str = "公开"  # its document's level (stored in each vector's metadata)
    ocr: bool = False  # its text lies on a page read by OCR (DocMeta.ocr_pages)

    @property
    def section_label(self) -> str:
        return section_label(self.section)


@dataclass(frozen=True)
class Hit:
    """A chunk returned for a query, with its fused score and rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int
    matched_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A verified verbatim quote: `doc.text[start:end] == quote`."""

    n: int
    quote: str
    doc_id: str
    source: str
    title: str
    section: SectionPath
    page: int | None
    start: int
    end: int
    reference: str  # 《标题》（文号）第X条
    status: str | None = None  # 现行有效, 已修改, 已废止, 失效, 尚未生效; None: not a rule
    superseded_by: str | None = None  # 《标题》（文号） of the replacing document
    ocr: bool = False  # quoted from a page read by OCR: check it against the original

    @property
    def section_label(self) -> str:
        return section_label(self.section)


@dataclass(frozen=True)
class Answer:
    """An extractive answer whose sentences carry [n] markers."""

    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...]
    nearest: tuple[str, ...] = ()  # titles of nearest documents when refused


STATUSES = ("现行有效", "已修改", "已废止", "失效", "尚未生效")
IN_FORCE = "现行有效"


@dataclass(frozen=True)
class Validity:
    """Whether a document is in force on a date, and why (validity.status computes it)."""

    status: str | None  # one of STATUSES; None for a document that is no rule (a speech)
    reason: str = ""  # what the status was read from, in Chinese
    effective_from: str | None = None  # ISO dates
    valid_until: str | None = None
    superseded_by: str | None = None  # doc_id of the replacing or repealing document
    superseded_label: str | None = None  # 《标题》（文号） of that document
    cites: tuple[str, ...] = ()  # doc_ids this document cites
    cited_by: tuple[str, ...] = ()

    @property
    def in_force(self) -> bool:
        return self.status in (None, IN_FORCE)


@dataclass(frozen=True)
class Filters:
    """Restrict a search; empty fields do not filter."""

    doc_types: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    issuer: str | None = None
    source_prefix: str | None = None
    statuses: tuple[str, ...] = ()  # keep documents with one of these validity statuses
    validity: Mapping[str, Validity] | None = None  # status per doc_id, for `statuses`
    max_level: str | None = None  # the viewer's level (LEVELS); None = no restriction

    def allows(self, doc: Document) -> bool:
        if self.max_level is not None and not level_sees(self.max_level, doc.visibility):
            return False
        if self.statuses:
            v = (self.validity or {}).get(doc.doc_id)
            if v is None or v.status not in self.statuses:
                return False
        m = doc.meta
        if self.doc_types and m.doc_type not in self.doc_types:
            return False
        if self.year_from is not None or self.year_to is not None:
            year = int(m.date[:4]) if m.date else None
            if year is None:
                return False
            if self.year_from is not None and year < self.year_from:
                return False
            if self.year_to is not None and year > self.year_to:
                return False
        if self.issuer and not issuer_matches(self.issuer, m.issuer):  # 机关工委 = 机关工作委员会
            return False
        return not (self.source_prefix and not doc.source.startswith(self.source_prefix))

    @property
    def active(self) -> bool:
        return bool(self.doc_types or self.year_from is not None or self.year_to is not None
                    or self.issuer or self.source_prefix or self.statuses
                    or self.max_level is not None)


@dataclass(frozen=True)
class SearchResult:
    """Hits plus what the answer step needs to know about the query's exact matches."""

    hits: list[Hit]
    pinned: tuple[str, ...] = ()  # chunk ids matched verbatim (文号 + 第X条, quoted phrase)
    # What the query names verbatim but the index lacks: a 文号 no document has,
    # or 第X条 of a named document that has no such article.
    missing: tuple[str, ...] = ()


# Visibility levels, lowest first: a user sees documents whose level is at or below theirs.
LEVELS: tuple[str, ...] = ("公开", "内部")
PUBLIC = LEVELS[0]
# reader < editor < admin; what each may do is in ROLE_ACTIONS.
ROLES: tuple[str, ...] = ("reader", "editor", "admin")
ROLE_LABELS = {"reader": "读者", "editor": "编辑", "admin": "管理员"}
_READ_ACTIONS = frozenset({"search", "ask", "browse", "export"})
_EDIT_ACTIONS = _READ_ACTIONS | {"upload", "remove", "edit_issue"}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "reader": _READ_ACTIONS,
    "editor": _EDIT_ACTIONS,
    "admin": _EDIT_ACTIONS | {"manage_users"},
}
ACTION_LABELS = {"search": "检索", "ask": "提问", "browse": "浏览文档", "export": "导出",
                 "upload": "上传入库", "remove": "删除文档", "edit_issue": "编辑专刊",
                 "manage_users": "管理账号"}


def _rank(level: str) -> int:
    """A level's place in LEVELS; an unknown level ranks above them all."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def level_sees(max_level: str, level: str) -> bool:
    """True when a viewer of `max_level` may read a document of `level`.

    An unknown document level (damaged data: ingest accepts only LEVELS) is shown to
    nobody; an unknown viewer level counts as the lowest.
    """
    have = LEVELS.index(max_level) if max_level in LEVELS else 0
    return _rank(level) <= have


_LEVEL_ALIASES = {"public": "公开", "internal": "内部", "内部资料": "内部", "不公开": "内部"}


def parse_level(value: str) -> str | None:
    """A visibility level from front matter, a sidecar or the command line (公开, 内部,
    public, internal); None when it is none of them."""
    v = value.strip()
    if v in LEVELS:
        return v
    return _LEVEL_ALIASES.get(v.lower())


def hidden_levels(max_level: str | None) -> tuple[str, ...]:
    """The levels a viewer of `max_level` may not read (none for None)."""
    if max_level is None:
        return ()
    return tuple(lv for lv in LEVELS if not level_sees(max_level, lv))


@dataclass(frozen=True)
class User:
    """Who is asking: an account (service.accounts) or LOCAL_USER in single-user mode."""

    name: str
    role: str  # one of ROLES
    level: str  # one of LEVELS: the highest visibility this user reads

    def can(self, action: str) -> bool:
        """May this user do `action` (a key of ACTION_LABELS)?"""
        return action in ROLE_ACTIONS.get(self.role, frozenset())

    def sees(self, level: str) -> bool:
        """May this user read a document of visibility `level`?"""
        return level_sees(self.level, level)


# A fresh install without accounts runs single-user: the person at the machine may do all.
LOCAL_USER = User("本机用户", "admin", LEVELS[-1])
