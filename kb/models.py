"""The data that moves between stages: Document -> Chunk -> Hit -> Citation/Answer.

Offsets (`start`, `end`, `page_starts`) always refer to `Document.text`, the
normalised text, which is the one source of truth for quotes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

DOC_TYPES = ("speech", "policy", "handbook", "case", "report", "other")
DOC_TYPE_LABELS = {
    "speech": "讲话",
    "policy": "制度文件",
    "handbook": "《新风》专刊",
    "case": "典型案例",
    "report": "工作报告",
    "other": "其他",
}


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


@dataclass(frozen=True)
class DocMeta:
    """Metadata detected from a document's content (or overridden)."""

    title: str
    doc_type: str = "other"
    date: str | None = None  # ISO YYYY-MM-DD
    issuer: str | None = None
    doc_no: str | None = None  # 文号, normalised: 阿府办发〔2021〕21号
    speaker: str | None = None
    issue_no: int | None = None  # 《新风》第X期
    issue_month: str | None = None  # YYYY-MM
    theme: str | None = None


@dataclass(frozen=True)
class Document:
    """A normalised document with its metadata."""

    doc_id: str
    source: str
    text: str
    meta: DocMeta
    content_hash: str
    page_starts: tuple[int, ...] = ()

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def doc_type(self) -> str:
        return self.meta.doc_type

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a text offset, or None when pages are unknown."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))


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
    doc_type: str
    section: str  # heading path, e.g. "第二章 党员 > 第九条"
    pages: tuple[int, ...]
    start: int
    end: int
    text: str


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
    section: str
    page: int | None
    start: int
    end: int
    reference: str  # 《标题》（文号）第X条


@dataclass(frozen=True)
class Answer:
    """An extractive answer whose sentences carry [n] markers."""

    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...]
    nearest: tuple[str, ...] = ()  # titles of nearest documents when refused
