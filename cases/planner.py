"""The catalog with its usage history, and the rules of planning an issue.

A case counts as featured when it, or any story of its near-duplicate group, ran in an
issue (optionally: within the last N months). Issue numbers follow those already known:
《新风》 is monthly, 第N期 restarts each January and 总第N期 runs on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cases.records import HANDBOOK, INGESTED, Case, Issue, Usage
from cases.tags import matching_tags, organ_of
from core.errors import KBError

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_month(month: str) -> str:
    """A YYYY-MM month, or KBError naming the expected form."""
    m = MONTH_RE.match(month.strip())
    if not m:
        raise KBError(f"月份应写成 YYYY-MM（如 2025-07），实际为 {month!r}")
    return month.strip()


def months_before(today: date, n: int) -> str:
    """The YYYY-MM month `n` months before `today`'s month (n=0: this month)."""
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Catalog:
    """Every case of the index, with where each was featured."""

    cases: tuple[Case, ...]
    usage: Mapping[str, tuple[Usage, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.case_id: c for c in self.cases})
        groups: dict[str, list[Case]] = {}
        for c in self.cases:
            if c.group:
                groups.setdefault(c.group, []).append(c)
        object.__setattr__(self, "_groups", groups)

    def get(self, case_id: str) -> Case:
        case = self._by_id.get(case_id)  # type: ignore[attr-defined]
        if case is None:
            raise KBError(f"没有编号为 {case_id} 的案例；用 `kb cases list` 查看案例编号")
        return case

    def has(self, case_id: str) -> bool:
        return case_id in self._by_id  # type: ignore[attr-defined]

    def featured_in(self, case_id: str) -> tuple[Usage, ...]:
        return self.usage.get(case_id, ())

    def group_members(self, case: Case) -> list[Case]:
        """The other stories of a case's near-duplicate group."""
        if not case.group:
            return []
        return [c for c in self._groups[case.group]  # type: ignore[attr-defined]
                if c.case_id != case.case_id]

    def featured(self, case: Case, since: str | None = None) -> bool:
        """Featured itself or through its group (only usage from month `since` on, if given)."""
        for c in (case, *self.group_members(case)):
            for u in self.featured_in(c.case_id):
                if since is None or u.month is None or u.month >= since:
                    return True
        return False

    def groups(self) -> dict[str, list[Case]]:
        return {g: list(m) for g, m in self._groups.items()}  # type: ignore[attr-defined]

    def select(self, *, theme: str | None = None, unit: str | None = None,
               year: int | None = None, unused: bool = False) -> list[Case]:
        """Cases matching every given filter, in catalog order."""
        out = []
        for c in self.cases:
            if theme and not matches_theme(c, theme):
                continue
            if unit and unit not in c.unit and unit not in c.organ:
                continue
            if year is not None and c.year != year:
                continue
            if unused and self.featured(c):
                continue
            out.append(c)
        return out


def matches_theme(case: Case, theme: str) -> bool:
    """A theme filter: a tag, the issue's 本期主题, or the title names it."""
    theme = theme.strip()
    if any(theme in t or t in theme for t in case.themes):
        return True
    if theme in (case.issue_theme or "") or theme in case.title:
        return True
    tags = matching_tags(theme)
    return bool(tags) and any(t in case.themes for t in tags)


def assemble_usage(cases: Sequence[Case], recorded: Iterable[Usage],
                   struck: set[tuple[str, str]]) -> dict[str, tuple[Usage, ...]]:
    """Usage per case: each printed case ran in its own issue, plus the recorded history."""
    known = {c.case_id for c in cases}
    out: dict[str, dict[str, Usage]] = {}
    for c in cases:
        if c.kind == HANDBOOK and c.issue_label and (c.case_id, c.issue_label) not in struck:
            out.setdefault(c.case_id, {})[c.issue_label] = Usage(
                c.case_id, c.issue_label, c.month, INGESTED)
    for u in recorded:
        if u.case_id in known:
            out.setdefault(u.case_id, {})[u.issue] = u
    return {k: tuple(sorted(v.values(), key=lambda u: (u.month or "", u.issue)))
            for k, v in out.items()}


def issue_numbers(month: str, known: Iterable[tuple[str, int | None, int | None]],
                  no: int | None = None) -> tuple[int, int | None]:
    """(第N期, 总第N期) for an issue of `month`, following known (month, no, total) issues.

    Monthly issues number 第N期 by the month; 总第N期 keeps the offset the known issues
    share (2024-05 总第41期 gives 2025-07 总第55期). Unknown when they share none.
    """
    year, mon = int(month[:4]), int(month[5:7])
    known = [k for k in known if k[0]]
    monthly = bool(known) and all(n == int(m[5:7]) for m, n, _ in known if n)
    number = no if no is not None else (mon if monthly or not known else _next_no(year, known))
    offsets = {t - (int(m[:4]) * 12 + int(m[5:7])) for m, _, t in known if t}
    if len(offsets) == 1 and monthly:
        return number, offsets.pop() + year * 12 + mon
    same_year = sorted((n, t) for m, n, t in known if m[:4] == month[:4] and n and t)
    if same_year:
        n0, t0 = same_year[-1]
        return number, t0 + number - n0
    return number, None


def _next_no(year: int, known: Sequence[tuple[str, int | None, int | None]]) -> int:
    nos = [n for m, n, _ in known if n and int(m[:4]) == year]
    return max(nos) + 1 if nos else 1


def new_issue_id(month: str, taken: set[str]) -> str:
    """2025-07, or 2025-07-2 when that month already has a planned issue."""
    if month not in taken:
        return month
    k = 2
    while f"{month}-{k}" in taken:
        k += 1
    return f"{month}-{k}"


def issue_warnings(catalog: Catalog, issue: Issue) -> list[str]:
    """What an editor should know about a draft: featured stories, twice the same story."""
    notes = []
    seen_groups: dict[str, str] = {}
    seen_organs: dict[str, str] = {}
    for cid in issue.case_ids:
        if not catalog.has(cid):
            notes.append(f"案例 {cid} 已不在知识库中（文件被删除或改名）")
            continue
        case = catalog.get(cid)
        for u in catalog.featured_in(cid):
            if u.issue_id != issue.issue_id:
                notes.append(f"案例 {cid} 已刊用于{u.issue}")
        if case.group and case.group in seen_groups:
            notes.append(f"案例 {cid} 与 {seen_groups[case.group]} 是同一个故事"
                         f"（重复组 {case.group}）")
        elif catalog.featured(case) and not catalog.featured_in(cid):
            notes.append(f"案例 {cid} 的同一故事已刊用过（重复组 {case.group}）")
        organ = case.organ or organ_of(case.unit)
        if organ and organ in seen_organs:
            notes.append(f"案例 {cid} 与 {seen_organs[organ]} 来自同一单位（{organ}）")
        if case.group:
            seen_groups.setdefault(case.group, cid)
        if organ:
            seen_organs.setdefault(organ, cid)
    return notes
