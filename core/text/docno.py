"""文号 (document numbers) in every style official documents and users write them.

`DOC_NO_RE` finds one in free text: 阿府办发〔2021〕21号, 国办发[2020]3号, 示机工发(2024)3号,
the unbracketed 穗府办规2024-13号 and 示机工发2024年3号, full-width digits.
`normalize_doc_no` gives the canonical form 阿府办发〔2021〕21号; `is_doc_no_line` tells a
line that is a 文号 (what PDF line joining and title detection must never glue).
"""

from __future__ import annotations

import re

from core.text.numerals import FW_DIGITS

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
# Orders are numbered without a year: 中华人民共和国主席令第三十一号, 省政府令第12号.
ORDER_NO_RE = re.compile(r"^\S{0,20}令第?[0-9一二三四五六七八九十百零〇]+号$")
# A 文号 line may carry a few more characters (a 签发人 column, a stray bracket).
_LINE_SLACK = 4


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


def find_doc_nos(text: str) -> list[str]:
    """Every 文号 in `text`, canonical, in order of appearance."""
    return [normalize_doc_no(m.group(0)) for m in DOC_NO_RE.finditer(text)]


def is_doc_no_line(line: str) -> bool:
    """True for a line that is a 文号 (or an order number), not a sentence citing one."""
    s = line.strip()
    m = DOC_NO_RE.search(s)
    if m and len(s) <= len(m.group(0)) + _LINE_SLACK:
        return True
    return bool(ORDER_NO_RE.match(s))
