"""文号 and dates in free text: shared by metadata detection and query handling.

`DOC_NO_RE` finds a 文号 in document text or a user query in any bracket style;
`normalize_doc_no` gives its canonical form (阿府办发〔2021〕21号); `parse_date` turns
Chinese and numeric dates into ISO.
"""

from __future__ import annotations

import re

from ingest.structure import cn_to_int

FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_OPEN = "〔[［(（【"
_CLOSE = "〕]］)）】"
_D = "[0-9０-９]"
# Issuer characters exclude function words, so "根据阿府办发〔2021〕21号" yields 阿府办发.
_ORG_CHAR = r"(?:(?![的了是在和与及据照按依即见等为对由将把件])[\u4e00-\u9fff])"
DOC_NO_RE = re.compile(
    rf"(?P<org>{_ORG_CHAR}{{1,10}}?)\s*"
    rf"(?:[{re.escape(_OPEN)}]\s*(?P<year>{_D}{{4}})\s*[{re.escape(_CLOSE)}]"
    rf"|(?P<year2>{_D}{{4}})\s*(?:[-－—]|年\s*第?))"
    rf"\s*(?P<num>{_D}{{1,4}})\s*号"
)
"""Finds 文号 in free text in any bracket style: 阿府办发〔2021〕21号, 国办发[2020]3号,
示机工发(2024)3号, 穗府办规2024-13号, 示机工发2024年3号, full-width digits."""

_CN_YEAR = "[〇零○Ｏ一二三四五六七八九]{4}"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"
_DATE_PATTERNS = (
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
               r"(?!\d)"),
    re.compile(rf"(?P<y>{_CN_YEAR})年(?P<m>{_CN_SMALL})月(?:(?P<d>{_CN_SMALL})[日号])?"),
)


def normalize_doc_no(s: str) -> str:
    """Canonical 文号: any bracket style and digit width -> 阿府办发〔2021〕21号.

    Text that holds no 文号 comes back stripped, with ASCII digits.
    """
    m = DOC_NO_RE.search(s.strip())
    if not m:
        return s.strip().translate(FW_DIGITS)
    year = (m.group("year") or m.group("year2")).translate(FW_DIGITS)
    num = int(m.group("num").translate(FW_DIGITS))
    return f"{m.group('org')}〔{year}〕{num}号"


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
