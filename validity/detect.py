"""What a document's own text says about its validity: when it takes effect, until when it
holds, and which other documents it repeals. Pure functions over normalised text.

- 「本办法自2024年6月1日起施行」 → effective from that date; 「自印发之日起施行」 → the
  document's own date (its 印发 date);
- 「有效期至2023年12月31日」 → valid until that date; 「有效期X年」 (试行 plans) → X years
  from when it took effect;
- 「《…》（文号）同时废止」 / 「…予以废止」 → the documents it repeals, by title and 文号.
Only sentences about the document itself (本办法/本规定/本方案/…) count for its dates, so
「示范党支部命名有效期为3年」 inside an article does not make the measure expire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.text.dates import find_date
from core.text.docno import DOC_NO_RE, normalize_doc_no
from core.text.numerals import cn_to_int

_SELF = (r"本(?:办法|规定|细则|方案|意见|条例|规则|准则|通知|决定|实施方案|工作方案|计划|指引|"
         r"规范|制度|法|章程)")
_EFFECTIVE = re.compile(
    rf"{_SELF}[^。；]{{0,12}}?自(?P<when>[^。；]{{2,24}}?)起(?:施行|执行|实施|生效)")
_UNTIL = re.compile(rf"{_SELF}[^。]{{0,30}}?有效期(?:至|到)(?P<when>[^。；，]{{4,20}})")
_YEARS = re.compile(
    rf"{_SELF}[^。]{{0,30}}?有效期(?:为)?(?P<n>[一二三四五六七八九十两\d]{{1,3}})年")
_REPEAL_BACK = 160  # characters looked back from 废止 for the titles and 文号 it names
_TITLE = re.compile(r"《([^《》]{2,80})》")
_ON_ISSUE = re.compile(r"印发之日|发布之日|公布之日|下发之日|颁布之日")


@dataclass(frozen=True)
class Facts:
    """Validity facts read from one document's text."""

    effective_from: str | None = None  # ISO date
    valid_until: str | None = None
    repeals: tuple[tuple[str | None, str | None], ...] = ()  # (title, 文号) pairs
    effective_text: str = ""  # the sentence the dates were read from
    until_text: str = ""


def _iso(when: str) -> str | None:
    found = find_date(when)
    return found[2] if found and len(found[2]) == 10 else None


def _add_years(iso: str, n: int) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    try:
        return date(y + n, m, d).isoformat()
    except ValueError:  # 29 February
        return date(y + n, m, 28).isoformat()


def read_facts(text: str, own_date: str | None) -> Facts:
    """The validity facts of a document (`own_date`: its 印发 date, ISO, or None)."""
    effective, until, eff_s, until_s = None, None, "", ""
    for m in _EFFECTIVE.finditer(text):
        when = m.group("when")
        effective = (own_date if _ON_ISSUE.search(when) and own_date and len(own_date) == 10
                     else _iso(when)) or effective
        eff_s = m.group(0)
    m = _UNTIL.search(text)
    if m:
        until, until_s = _iso(m.group("when")), m.group(0)
    else:
        m = _YEARS.search(text)
        start = effective or own_date
        if m and start and len(start) == 10:
            until, until_s = _add_years(start, cn_to_int(m.group("n"))), m.group(0)
            until = (date.fromisoformat(until).toordinal() - 1)
            until = date.fromordinal(until).isoformat()
    repeals: list[tuple[str | None, str | None]] = []
    # Only the clause before each 废止 names what is repealed (not 「…规定，同时废止」 prose);
    # looking back from each 废止 keeps this linear in the text's length.
    for m in re.finditer("废止", text):
        lo = max(0, m.start() - _REPEAL_BACK)
        clause = re.split(r"[。；]", text[lo:m.start()])[-1]
        titles = _TITLE.findall(clause)
        nos = [normalize_doc_no(x.group(0)) for x in DOC_NO_RE.finditer(clause)]
        if not titles and not nos:
            continue
        for i in range(max(len(titles), len(nos))):
            repeals.append((titles[i] if i < len(titles) else None,
                            nos[i] if i < len(nos) else None))
    return Facts(effective, until, tuple(dict.fromkeys(repeals)), eff_s, until_s)


_CITED = re.compile(r"《(?P<t>[^《》]{2,80})》(?:[（(](?P<no>[^（）()]{4,30})[）)])?")


def cited(text: str) -> tuple[tuple[str | None, str | None], ...]:
    """The documents a text cites: (title, 文号) pairs — 《标题》（文号）, a 《title》 alone, or
    a 文号 alone; a 文号 beside its title says which version is meant."""
    out: list[tuple[str | None, str | None]] = []
    covered: list[tuple[int, int]] = []
    for m in _CITED.finditer(text):
        no = m.group("no")
        no = normalize_doc_no(no) if no and DOC_NO_RE.search(no) else None
        out.append((m.group("t"), no))
        covered.append(m.span())
    for m in DOC_NO_RE.finditer(text):
        if not any(a <= m.start() < b for a, b in covered):
            out.append((None, normalize_doc_no(m.group(0))))
    return tuple(dict.fromkeys(out))
