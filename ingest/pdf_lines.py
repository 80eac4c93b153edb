"""Undo the fixed-width line wrapping of PDF text layers.

pypdf returns one line per printed line, so sentences are cut wherever the page
edge fell. A line break is removed when all of these hold:
- the line before does not end a sentence (。！？；：… or such a mark followed by
  a closing quote or bracket);
- the line before is "full": at least FULL_RATIO of the document's typical full
  line width. Wrapped lines run to the margin, while the last line of a paragraph,
  a heading, a title or a table row usually stops short; this is what keeps
  unnumbered headings ("铭记历史，汲取信仰的力量") off their body;
  a line that starts like a standalone heading (第X章, 一、) must reach
  HEADING_FULL_RATIO, since long headings ("九、……情况说明") stop only a little
  short of the margin;
- the next line is not a heading (第X章/第X条/一、/（一）/1./【…】/一是 …), and
  neither line is a 文号 line (any style, `core.text.docno.is_doc_no_line`), a
  date line or a `|` table row;
- the break is not between two digits (a number never wraps inside itself, so
  this is a table row ending in a figure) and the line before is not Chinese
  text with three or more spaces (table columns).
Two Latin/digit characters meeting at the break keep a space between them, so
wrapped English words are not glued together.
"""

from __future__ import annotations

import re
import unicodedata

from core.text.dates import is_bare_date_line
from core.text.docno import is_doc_no_line
from core.text.headings import HEADING_START_RE, STANDALONE_HEADING_RE
from core.text.sentences import ends_sentence

FULL_RATIO = 0.8
HEADING_FULL_RATIO = 0.9
_MIN_FULL_CHARS = 8


def display_width(line: str) -> int:
    """Width in half-width units: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def reference_width(lines: list[str]) -> int:
    """Typical width of a full line: a high percentile, robust to a few long outliers."""
    widths = sorted(display_width(s) for s in lines if s.strip())
    if not widths:
        return 0
    return widths[int(0.9 * (len(widths) - 1))]


def _is_fixed_line(line: str) -> bool:
    """Lines that never join anything: 文号, dates, table rows."""
    s = line.strip()
    return bool(is_doc_no_line(s) or is_bare_date_line(s) or s.startswith("|") or s.endswith("|"))


def _looks_tabular(line: str) -> bool:
    # After normalisation Chinese prose keeps few spaces; several mean columns.
    return line.count(" ") >= 3 and any("\u4e00" <= c <= "\u9fff" for c in line)


def should_join(prev: str, nxt: str, ref_width: float) -> bool:
    """Whether the break between `prev` and `nxt` was made by wrapping, not by the author.

    `ref_width` is the document's full line width (`reference_width`).
    """
    prev, nxt = prev.strip(), nxt.strip()
    if not prev or not nxt:
        return False
    if ends_sentence(prev) or _is_fixed_line(prev) or _is_fixed_line(nxt):
        return False
    if (prev[-1].isdigit() and nxt[0].isdigit()) or _looks_tabular(prev):
        return False
    ratio = HEADING_FULL_RATIO if STANDALONE_HEADING_RE.match(prev) else FULL_RATIO
    if len(prev) < _MIN_FULL_CHARS or display_width(prev) < ratio * ref_width:
        return False
    return not HEADING_START_RE.match(nxt)


def rejoin_lines(text: str) -> tuple[str, list[int]]:
    """Join wrapped lines; return the text and each output char's index in `text`."""
    lines = text.split("\n")
    ref = reference_width(lines)
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for i, line in enumerate(lines):
        out.append(line)
        index.extend(range(pos, pos + len(line)))
        pos += len(line)
        if i == len(lines) - 1:
            break
        if should_join(line, lines[i + 1], ref):
            nxt = lines[i + 1]
            if line[-1].isascii() and line[-1].isalnum() and nxt[0].isascii() and nxt[0].isalnum():
                out.append(" ")
                index.append(pos)
        else:
            out.append("\n")
            index.append(pos)
        pos += 1
    return "".join(out), index


def count_joins(text: str) -> int:
    """How many line breaks `rejoin_lines` would remove (for reports and tests)."""
    lines = text.split("\n")
    ref = reference_width(lines)
    return sum(should_join(a, b, ref) for a, b in zip(lines, lines[1:], strict=False))


_PAGE_NO_RE = re.compile(
    r"^\s*([-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(\s*[，,/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})\s*$"
)


def strip_page_numbers(page: str) -> str:
    """A printed page without a bare page-number line at its top or bottom ("- 3 -",
    "第3页 共9页", "3/9")."""
    lines = page.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _PAGE_NO_RE.match(lines[-1]):
        lines.pop()
    if lines and _PAGE_NO_RE.match(lines[0]):
        lines.pop(0)
    return "\n".join(lines)
