"""Reading order of positioned text on a fixed page (OFD text codes, OCR line boxes).

Pieces of text with their baseline position and size are grouped into lines (same
baseline) and blocks by a recursive XY-cut: text columns (a gutter between two parts each
many lines tall, over the whole block or over a band of rows) are read one after another,
otherwise top to bottom; a table (short cells) is read row by row.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Piece:
    y: float
    x: float
    size: float  # font size in page units
    width: float
    text: str


def _rows(pieces: list[Piece]) -> list[list[Piece]]:
    """Pieces grouped by baseline, top to bottom."""
    rows: list[list[Piece]] = []
    for p in sorted(pieces, key=lambda p: (p.y, p.x)):
        if rows and abs(p.y - rows[-1][0].y) <= 0.4 * max(p.size, rows[-1][0].size):
            rows[-1].append(p)
        else:
            rows.append([p])
    return rows


def _gaps(spans: list[tuple[float, float]], least: float) -> list[float]:
    """Middles of the gaps at least `least` wide between the merged intervals."""
    spans.sort()
    out, end = [], spans[0][1]
    for lo, hi in spans[1:]:
        if lo - end >= least:
            out.append((lo + end) / 2)
        end = max(end, hi)
    return out


def _is_column(side: list[Piece], size: float) -> bool:
    """Prose set in a column: many lines, the middle one at least 10 characters long
    (table columns are short cells: a table is read row by row, not column by column)."""
    rows = _rows(side)
    if len(rows) < 6:
        return False
    lengths = sorted(sum(len(p.text.strip()) for p in row) for row in rows)
    width = max(p.x + p.width for p in side) - min(p.x for p in side)
    return lengths[len(lengths) // 2] >= 10 and width >= 8 * size


def _column_band(pieces: list[Piece], size: float) -> list[list[Piece]] | None:
    """Two text columns over only part of the page, with no blank line above or below
    them (a scan's caption or table right under the columns): the rows before the band,
    its left column, its right column and the rows after it; None when there is none."""
    rows = _rows(pieces)
    for row in rows:
        row.sort(key=lambda p: p.x)
    candidates = {round((a.x + a.width + b.x) / 2) for row in rows
                  for a, b in zip(row, row[1:], strict=False)
                  if b.x - (a.x + a.width) >= 0.8 * size}
    found: list[tuple[int, int, float]] = []  # (first row, end row, gutter x)
    for x in sorted(candidates):
        lo = 0
        for i in range(len(rows) + 1):
            # A row crossing the gutter, or a table row (3+ cells on one side), ends a run.
            if i < len(rows) and not any(p.x < x < p.x + p.width for p in rows[i]) \
                    and sum(p.x < x for p in rows[i]) < 3 and sum(p.x >= x for p in rows[i]) < 3:
                continue
            if i - lo >= 6:
                found.append((lo, i, x))
            lo = i + 1
    for lo, hi, x in sorted(found):  # the topmost band first
        band = [p for row in rows[lo:hi] for p in row]
        left = [p for p in band if p.x < x]
        right = [p for p in band if p.x >= x]
        if left and right and _is_column(left, size) and _is_column(right, size):
            before = [p for row in rows[:lo] for p in row]
            after = [p for row in rows[hi:] for p in row]
            return [part for part in (before, left, right, after) if part]
    return None


def _blocks(pieces: list[Piece], depth: int = 0) -> list[list[Piece]]:
    """Reading order by recursive XY-cut: text columns (gutters between two parts each
    many lines tall and wide) are read one after another; otherwise top to bottom."""
    if len(pieces) < 2 or depth > 60:
        return [pieces]
    size = sorted(p.size for p in pieces)[len(pieces) // 2]
    for cut in _gaps([(p.x, p.x + p.width) for p in pieces], 0.8 * size):
        left = [p for p in pieces if p.x < cut]
        right = [p for p in pieces if p.x >= cut]
        if all(_is_column(side, size) for side in (left, right)):
            return _blocks(left, depth + 1) + _blocks(right, depth + 1)
    band = _column_band(pieces, size)
    if band is not None:
        return [b for part in band for b in _blocks(part, depth + 1)]
    cuts = _gaps([(p.y - p.size, p.y) for p in pieces], 0.3 * size)
    if not cuts:
        return [pieces]
    widest = max(cuts, key=lambda c: min(abs(p.y - c) for p in pieces))
    top = [p for p in pieces if p.y < widest]
    bottom = [p for p in pieces if p.y >= widest]
    if not top or not bottom:
        return [pieces]
    return _blocks(top, depth + 1) + _blocks(bottom, depth + 1)


def layout_lines(pieces: list[Piece]) -> list[str]:
    """The page's lines in reading order, each line left to right."""
    lines = []
    for block in _blocks(pieces):
        for row in _rows(block):
            row.sort(key=lambda p: p.x)
            out, end = "", None
            for p in row:
                if end is not None and p.x - end > 0.8 * p.size:
                    out += " "
                out += p.text
                end = p.x + p.width
            lines.append(out.rstrip())
    return lines
