"""Dates as Chinese documents write them: 2024年5月4日, 2024-05-04, 二〇二四年五月四日.

`find_date`/`parse_date` give ISO forms; `cn_date` writes ISO back as 2024年5月4日;
`is_date_line` tells a line that is a date (maybe bracketed, labelled or with a short
note), `is_bare_date_line` a line that is only a full date (PDF line joining).
"""

from __future__ import annotations

import re

from core.text.numerals import CN_ORDINAL, FW_DIGITS, cn_to_int

_CN_YEAR = "[〇零○Ｏ一二三四五六七八九]{4}"
# A year as a text names one: 2023年, 二〇二三年 / 二○二三年 (group 1: the year as written).
YEAR_RE = re.compile(r"((?:19|20)\d{2}|[一二][〇○零九][一二三四五六七八九〇○零]{2})\s*年")


def names_year(text: str) -> bool:
    """Whether a text names a year (2023年, 二〇二三年)."""
    return bool(YEAR_RE.search(text))


def fiscal_years(text: str) -> tuple[str, ...]:
    """The years a text names as the year it covers, as written: 2026年度 → "2026"
    (二〇二六年度 → "二〇二六"); a plain 2026年 is not one."""
    return tuple(m.group(1) for m in YEAR_RE.finditer(text) if text.startswith("度", m.end()))


# Years a speech or report names relative to the day it is dated: 今年 (2025-04-30 → 2025).
# 上年/本年 are left out: a 2026年度 budget, published in 2025, counts them from its fiscal
# year, not from its date.
_RELATIVE_YEARS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1}
_RELATIVE_RE = re.compile("|".join(_RELATIVE_YEARS))


def relative_years(text: str, dated: str | None) -> tuple[int, ...]:
    """The years `text` names as 今年/去年/前年/明年, counted from `dated` (ISO, the
    document's date); none when the document has no date."""
    m = re.match(r"((?:19|20)\d{2})", dated or "")
    if not m:
        return ()
    year = int(m.group(1))
    return tuple(dict.fromkeys(year + _RELATIVE_YEARS[w.group()]
                               for w in _RELATIVE_RE.finditer(text)))


_DATE_PATTERNS = (
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
               r"(?!\d)"),
    re.compile(rf"(?P<y>{_CN_YEAR})年(?P<m>{CN_ORDINAL})月(?:(?P<d>{CN_ORDINAL})[日号])?"),
)
# A date line may carry a label (版本日期：) or a short note after the date.
_NOTE_CHARS = 12
_BARE_DATE_RE = re.compile(
    r"^[（(]?(\d{4}年\d{1,2}月\d{1,2}日|[一二三四五六七八九十百千零〇两○]{4}年"
    r"[一二三四五六七八九十百千零〇两]{1,3}月[一二三四五六七八九十百千零〇两]{1,3}日)[)）]?(印发)?$"
)


def find_date(s: str) -> tuple[int, int, str] | None:
    """The first date in `s`: (start, end, ISO), ISO being YYYY-MM-DD or YYYY-MM."""
    s = s.translate(FW_DIGITS)
    best: tuple[int, int, str] | None = None
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(s):
            try:
                y, mo = cn_to_int(m.group("y")), cn_to_int(m.group("m"))
                d = cn_to_int(m.group("d")) if m.group("d") else None
            except KeyError:
                continue
            if 1 <= mo <= 12 and (d is None or 1 <= d <= 31):
                iso = f"{y:04d}-{mo:02d}" + (f"-{d:02d}" if d else "")
                if best is None or m.start() < best[0]:
                    best = (m.start(), m.end(), iso)
                break
    return best


def parse_date(s: str) -> str | None:
    """First date in `s` as ISO: YYYY-MM-DD, or YYYY-MM when the text gives no day."""
    found = find_date(s)
    return found[2] if found else None


def cn_date(iso: str | None) -> str | None:
    """2024-05-04 -> 2024年5月4日 (2024-05 -> 2024年5月)."""
    if not iso:
        return None
    parts = iso.split("-")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        return None
    return "".join(f"{n}{u}" for n, u in zip(nums, ("年", "月", "日"), strict=False))


def is_date_line(line: str) -> bool:
    """A line that is a date, maybe bracketed, labelled (版本日期：) or with a short note."""
    core = line.strip("（）() ")
    core = re.sub(r"^[\u4e00-\u9fff]{0,6}[：:]", "", core)
    found = find_date(core)
    return (found is not None and found[0] <= 2
            and len(core) - (found[1] - found[0]) <= _NOTE_CHARS)


def is_bare_date_line(line: str) -> bool:
    """A line that is one full date and nothing else (maybe bracketed, maybe 印发)."""
    return bool(_BARE_DATE_RE.match(line.strip()))
