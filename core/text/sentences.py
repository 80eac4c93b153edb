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
