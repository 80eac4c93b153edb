"""《新风》 issue numbers: 第5期, 2025年第1期, and the running number 总第49期."""

from __future__ import annotations

import re

from core.text.numerals import cn_to_int

# 第X期 in an issue's header line (第5期（总第41期）: the first match is the issue).
ISSUE_NO_RE = re.compile(r"第\s*(?P<n>\d{1,4}|[零〇一二两三四五六七八九十百]+)\s*期")
# 第X期 named in a question, with its optional year, but not 总第X期.
ISSUE_REF_RE = re.compile(
    r"(?:(?P<year>(?:19|20)\d\d)年)?\s*(?<!总)第\s*(?P<n>\d{1,3}|[一二三四五六七八九十]+)\s*期"
)
TOTAL_NO_RE = re.compile(r"总\s*第\s*(?P<n>\d{1,4}|[零〇一二两三四五六七八九十百]+)\s*期")


def issue_number(line: str) -> int | None:
    """The issue number a header line gives (第5期（总第41期） -> 5)."""
    m = ISSUE_NO_RE.search(line)
    return cn_to_int(m.group("n")) if m else None


def total_number(line: str) -> int | None:
    """The running number a header line gives (总第41期 -> 41)."""
    m = TOTAL_NO_RE.search(line)
    return cn_to_int(m.group("n")) if m else None


def issue_ref(question: str) -> tuple[int, str | None, str] | None:
    """The issue a question names: (number, year or None, the words as written)."""
    m = ISSUE_REF_RE.search(question)
    if not m:
        return None
    return cn_to_int(m.group("n")), m.group("year"), m.group(0).strip()


def issue_label(year: int | str | None, no: int | None, total: int | None) -> str:
    """《新风》专刊2025年第1期（总第49期）: issue numbers restart every year, so the year
    and the running number go with them."""
    issue = f"第{no}期" if no else ""
    return (f"《新风》专刊{f'{year}年' if year and issue else ''}{issue}"
            + (f"（总第{total}期）" if total else ""))
