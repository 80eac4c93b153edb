"""Table rows in normalised text: `|a|b|` rows, and printed rows of PDF tables.

A printed row (pypdf puts a table's cells on one line) holds amounts and labels and no
sentence marks: 「一、一般公共预算财政拨款收入2,940.05一、一般公共服务支出2,106.66」.
"""

from __future__ import annotations

import re

from core.text.coverage import coverage
from core.text.numerals import CN_ORDINAL

PROSE_MARK_RE = re.compile(r"[。；！？]")  # sentence marks a table row never has
# A figure in a printed table: not a year, date, 第X or list number.
_CELL_FIGURE = re.compile(r"(?<![\d第])\d[\d,]*(?:\.\d+)?(?![\d年月日号期届次部条章])")
# A row of two columns' labels whose cells are empty: 「二、政府性基金预算财政拨款收入
# 二、外交支出」 (an income item beside an expense item of a 收入支出决算总表).
_TWO_ITEMS = re.compile(rf"{CN_ORDINAL}、\S{{2,40}}\s+{CN_ORDINAL}、\S{{2,40}}")


def is_table_row(line: str) -> bool:
    """A `|a|b|` row, or a printed table line: amounts and labels, no sentence marks.

    A printed row holds an amount with decimals or thousands separators (2,940.05) or
    at least two figures, or is two columns' numbered labels side by side; a heading
    such as 「第二部分 …2024年度部门决算表」 is no row.
    """
    if line.startswith("|") and line.endswith("|"):
        return True
    if len(line) > 160 or PROSE_MARK_RE.search(line) or "……" in line:
        return False
    cells = _CELL_FIGURE.findall(line)
    return (any("." in c or "," in c for c in cells) or len(cells) >= 2
            or bool(_TWO_ITEMS.fullmatch(line)))


def table_rows(text: str) -> list[str]:
    """The table rows among the lines of `text`."""
    return [ln.strip() for ln in text.split("\n") if ln.strip() and is_table_row(ln.strip())]


def row_support(terms: dict[str, float], title: str, rows: list[str]) -> float:
    """How well the best of a table's rows states what a question asks: the share of
    the question's term weight its words carry, not counting the words the document's
    title holds (the unit, the year, 决算): a row never repeats them, and counted, they
    made every row of the asked table look alike."""
    asked = {t: w for t, w in terms.items() if t not in title} or terms
    return max((coverage(asked, r) for r in rows), default=0.0)
