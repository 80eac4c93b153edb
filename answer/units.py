"""Answer units: the spans of a document a quote may be, cut so they hold the whole rule.

A unit never cuts an enumeration or a ；-joined rule group:
- "sentence": a sentence up to its 。！？ (clauses joined by ； stay together); a very long
  sentence also offers its ；-clauses as units of their own;
- "items": a lead-in ending with ： plus the list items that follow it (（一）… / 1. … /
  ① … / 一是…), quoted whole when the question asks for a list, rate or condition;
- "item": one such list item;
- "row": a table row (`|a|b|` lines, or a printed table line of figures); its `context`
  is the table's header rows and caption (单位：万元), quoted before it;
- "heading": a case heading line (【典型案例一】…), for 「有哪些案例」 questions.
Offsets are document offsets; `doc.text[u.start:u.end]` is the unit's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text.dates import YEAR_RE
from core.text.sentences import SENT_END_RE
from core.text.tables import PROSE_MARK_RE, is_table_row

_ITEM = re.compile(r"^(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.．、](?!\d)|[①-⑳]|"
                   r"[一二三四五六七八九十]{1,3}是|[一二三四五六七八九十]{1,3}、)")
_FULL_STOP = re.compile(r"[。！？]+[”’」』）)】〕》\"']*")
_FIGURE = re.compile(r"\d[\d,，]*(?:\.\d+)?")
_CASE_LINE = re.compile(r"^【\s*(?:典型)?案例")
_HEADER_WORDS = re.compile(r"单位[：:]|项目|科目|合计|决算数|预算数|名称|序号|类别|金额|指标|年度")
# Units longer than this are not quoted whole (a list may still be, up to LIST_MAX).
SENTENCE_MAX = 400
LIST_MAX = 500
LONG_SENTENCE = 250


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    kind: str  # sentence | items | item | row | heading
    context: tuple[tuple[int, int], ...] = ()  # header rows / caption of a table row


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        e = end if nl < 0 else nl
        s, t = pos, e
        while s < t and text[s].isspace():
            s += 1
        while t > s and text[t - 1].isspace():
            t -= 1
        if s < t:
            out.append((s, t))
        pos = e + 1
    return out


def _header_rows(text: str, row_start: int, limit: int = 40) -> tuple[tuple[int, int], ...]:
    """The header and caption lines above a table row: for `|` tables the block's first
    row; for printed tables the nearest lines above that carry no figures, up to the
    caption/单位 line (at most three lines, looked for within `limit` lines)."""
    lines = _lines(text, max(0, text.rfind("\n", 0, max(0, row_start - 4000)) + 1), row_start)
    lines = lines[-limit:]
    row = text[row_start:text.find("\n", row_start) if "\n" in text[row_start:] else len(text)]
    if row.startswith("|"):
        block = []
        for s, e in reversed(lines):
            if not text[s:e].startswith("|"):
                break
            block.append((s, e))
        return (block[-1],) if block else ()
    out: list[tuple[int, int]] = []
    for s, e in reversed(lines):
        line = text[s:e]
        if PROSE_MARK_RE.search(line) or len(line) > 160:
            break
        if not _FIGURE.search(line) and _HEADER_WORDS.search(line):
            out.append((s, e))
            if len(out) >= 3:
                break
    return tuple(reversed(out))


def _sentences(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Sentences of a line, ended by 。！？ only (a ；-joined rule group stays whole)."""
    out, pos = [], s
    for m in _FULL_STOP.finditer(text, s, e):
        out.append((pos, m.end()))
        pos = m.end()
    if pos < e:
        out.append((pos, e))
    return [(a, b) for a, b in out if text[a:b].strip()]


def _clauses(text: str, s: int, e: int) -> list[tuple[int, int]]:
    out, pos = [], s
    for m in SENT_END_RE.finditer(text, s, e):
        out.append((pos, m.end()))
        pos = m.end()
    if pos < e:
        out.append((pos, e))
    return out


def units_in(text: str, start: int, end: int) -> list[Unit]:
    """The answer units of `text[start:end]` (a chunk), in text order."""
    lines = _lines(text, start, end)
    units: list[Unit] = []
    i = 0
    while i < len(lines):
        s, e = lines[i]
        line = text[s:e]
        if is_table_row(line):
            units.append(Unit(s, e, "row", _header_rows(text, s)))
            i += 1
            continue
        if _CASE_LINE.match(line):
            units.append(Unit(s, e, "heading"))
            i += 1
            continue
        if line.endswith(("：", ":")):
            j = i + 1
            while j < len(lines) and _ITEM.match(text[lines[j][0]:lines[j][1]]):
                units.append(Unit(*lines[j], "item"))
                j += 1
            if j > i + 1 and lines[j - 1][1] - s <= LIST_MAX:
                units.append(Unit(s, lines[j - 1][1], "items"))
                i = j
                continue
        for a, b in _sentences(text, s, e):
            if b - a > LONG_SENTENCE or b - a > SENTENCE_MAX:
                units.extend(Unit(c, d, "sentence") for c, d in _clauses(text, a, b)
                             if d - c >= 4)
            if b - a <= SENTENCE_MAX:
                units.append(Unit(a, b, "sentence"))
        i += 1
    return units


_MARKERS = re.compile(r"第[零〇○一二两三四五六七八九十百千\d]+[条章节款项编部期]|"
                      r"[（(][一二三四五六七八九十\d]{1,3}[）)]|^[一二三四五六七八九十]{1,3}[、是]")


def has_figure(s: str) -> bool:
    """True when a text states a figure (digits, or a Chinese numeral with a measure word);
    heading markers (第二条, （一）) and years (2021年起) are not figures."""
    s = YEAR_RE.sub("", _MARKERS.sub("", s))
    return bool(re.search(r"\d|[一二两三四五六七八九十百千万亿零〇点]+\s*(?:个|名|人|次|年|月|日|"
                          r"天|"
                          r"周|学时|小时|期|项|条|届|元|万|亿|%|成|倍|分之|岁|户|所|座|件|份|批|轮|"
                          r"场|家|支|部|段|处|回|分|级|类|种|套|辆|公里|平方)", s))
