"""Where Chinese sentences and clauses end: shared by chunker, passages, PDF line joining
and the answer step."""

from __future__ import annotations

import re

# A sentence ends at 。！？；or an ellipsis; closing quotes/brackets right after belong to it.
SENT_END_RE = re.compile(r"[。！？；…]+[”’」』）)】〕》\"']*")
# Marks that end a clause a heading label must not run past.
CLAUSE_END_RE = re.compile(r"[。；：！？;:!?]")
# The same for 一是/二是 points, which run on after a comma.
POINT_END_RE = re.compile(r"[。；：！？，,;:!?]")
# What ends a printed line that was not wrapped (PDF line joining).
TERMINAL = frozenset("。！？；：…!?;")
CLOSERS = frozenset("”’）」』》】)\"'")
# Line endings that close a sentence (title detection: a title never ends like this).
SENTENCE_FINAL = ("。", "！", "？", "；", "…")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans in `text`, as absolute (offset + index) pairs.

    A sentence ends at 。！？；or an ellipsis (closing quotes/brackets right after it
    belong to it) and at every line end. Spans exclude surrounding whitespace.
    """
    spans: list[tuple[int, int]] = []

    def add(s: int, e: int) -> None:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((offset + s, offset + e))

    for line in re.finditer(r"[^\n]+", text):
        pos = line.start()
        for m in SENT_END_RE.finditer(text, line.start(), line.end()):
            add(pos, m.end())
            pos = m.end()
        add(pos, line.end())
    return spans


def ends_sentence(line: str) -> bool:
    """True when the line ends with sentence-final punctuation (optionally quoted)."""
    s = line.rstrip()
    while s and s[-1] in CLOSERS:
        if len(s) >= 2 and s[-2] in TERMINAL:
            return True
        s = s[:-1]
    return bool(s) and s[-1] in TERMINAL


# Where a run with no Chinese sentence end may still be broken, strongest first: ASCII
# sentence ends before a space or the end (not 1.5 or www.gov.cn), then clause marks,
# then spaces. Added for over-long runs (a 10 MB line, a PDF page of English text).
_OVERLONG_BREAKS = (
    re.compile(r"[.!?;](?=\s|$)|；"),
    re.compile(r"[，,、：:]"),
    re.compile(r"\s"),
)


def split_overlong(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Spans of text[start:end], none longer than max_chars, cut at the strongest break
    available (ASCII . ! ? ;, then clause marks, then spaces; a hard cut when there is
    none), and not before a quarter of max_chars so no piece is tiny. Spans exclude
    surrounding whitespace; offsets are absolute."""
    spans: list[tuple[int, int]] = []
    pos = start
    floor = max(1, max_chars // 4)
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        if end - pos <= max_chars:
            cut = end
        else:
            cut = pos + max_chars
            window = text[pos:cut + 1]  # +1: a break right at the limit still counts
            for pattern in _OVERLONG_BREAKS:
                ends = [m.end() for m in pattern.finditer(window, floor) if m.end() <= max_chars]
                if ends:
                    cut = pos + ends[-1]
                    break
        e = cut
        while e > pos and text[e - 1].isspace():
            e -= 1
        if e > pos:
            spans.append((pos, e))
        pos = cut
    return spans
