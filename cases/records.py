"""Records of the editors' workspace: cases, their usage in issues, and draft issues.

Every text a record carries is a verbatim span of its document (`doc.text[start:end]`),
so a summary or a key quote can always be cited with its formal reference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from core.text.issues import issue_label

HANDBOOK = "handbook"  # a case printed in a 《新风》 issue
STANDALONE = "standalone"  # a case study of its own (经验做法, 工作法 write-up)

# Where a usage record comes from.
INGESTED = "ingested"  # the case was printed in an ingested issue
PUBLISHED = "published"  # an issue planned here was published
MANUAL = "manual"  # an editor recorded it


@dataclass(frozen=True)
class Quote:
    """A key sentence of a case, verbatim at `doc.text[start:end]`, with its reference."""

    text: str
    start: int
    end: int
    reference: str = ""


@dataclass(frozen=True)
class Case:
    """One typical case (典型案例): a span of a handbook issue or a whole case document."""

    case_id: str
    kind: str  # HANDBOOK or STANDALONE
    title: str
    unit: str  # 示例市财政局机关党委; "" when the text names none
    organ: str  # the organ the unit belongs to (示例市财政局), for diversity and duplicates
    doc_id: str
    source: str
    start: int  # the case in doc.text (heading included)
    end: int
    summary: str
    summary_start: int
    summary_end: int
    story_start: int  # the story told (no heading, no 编者点评): what duplicates compare
    story_end: int
    section: str = ""  # heading label of the case inside its issue ("" for standalone)
    themes: tuple[str, ...] = ()
    issue_theme: str | None = None  # 本期主题 of the issue it was printed in
    issue_no: int | None = None
    issue_year: int | None = None
    total_no: int | None = None
    month: str | None = None  # YYYY-MM of its issue
    issue_label: str | None = None  # 《新风》专刊2024年第5期（总第41期）
    editor: str | None = None  # who edits the issue: 中共示例市委市级机关工委
    year: int | None = None  # issue year, or the document's year
    reference: str = ""  # formal reference of the case
    quotes: tuple[Quote, ...] = ()
    group: str | None = None  # near-duplicate group id; None when alone

    def to_dict(self) -> dict:
        d = asdict(self)
        d["themes"] = list(self.themes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Case:
        d = dict(d)
        d["themes"] = tuple(d.get("themes") or ())
        d["quotes"] = tuple(Quote(**q) for q in d.get("quotes") or ())
        return cls(**d)

    def with_group(self, group: str | None) -> Case:
        return replace(self, group=group)


@dataclass(frozen=True)
class Usage:
    """A case featured in an issue."""

    case_id: str
    issue: str  # the issue's label: 《新风》专刊2024年第5期（总第41期）
    month: str | None  # YYYY-MM
    origin: str  # INGESTED, PUBLISHED or MANUAL
    issue_id: str | None = None  # the planned issue, when published here

    def to_dict(self) -> dict:
        return {"issue": self.issue, "month": self.month, "origin": self.origin,
                "issue_id": self.issue_id}


@dataclass(frozen=True)
class IssueEntry:
    """A case placed in a draft issue; title and unit are kept should the case vanish."""

    case_id: str
    title: str
    unit: str
    note: str = ""  # the editor's comment (编者点评) for this case


DRAFT = "draft"
PUBLISHED_ISSUE = "published"


@dataclass(frozen=True)
class Issue:
    """A planned issue: theme, month, numbers, ordered cases and the editor's notes."""

    issue_id: str
    theme: str
    month: str  # YYYY-MM
    no: int | None = None  # 第N期 (within its year)
    total_no: int | None = None  # 总第N期
    status: str = DRAFT
    notes: str = ""  # 编者按
    entries: tuple[IssueEntry, ...] = field(default_factory=tuple)
    created: str = ""
    published: str | None = None

    @property
    def year(self) -> int:
        return int(self.month[:4])

    @property
    def label(self) -> str:
        return issue_label(self.year, self.no, self.total_no)

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(e.case_id for e in self.entries)

    def to_dict(self) -> dict:
        return {"issue_id": self.issue_id, "theme": self.theme, "month": self.month,
                "no": self.no, "total_no": self.total_no, "status": self.status,
                "notes": self.notes, "label": self.label, "created": self.created,
                "published": self.published,
                "cases": [asdict(e) for e in self.entries]}


def heading(unit: str, title: str) -> str:
    """单位：标题, the way an issue heads a case; a title that names its organ first
    (示例市档案馆：用好红色档案资源…) has that part replaced by the unit."""
    if not unit:
        return title
    head, sep, rest = title.partition("：")
    if sep and head and head in unit:
        return f"{unit}：{rest}"
    return title if unit in title else f"{unit}：{title}"

