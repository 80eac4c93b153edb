"""Character-level normalisation shared by documents and queries (rules: docs/CONTRACTS.md).

Every step works on a list of characters paired with the index of the input
character each one came from, so callers get a map from normalised offsets back
to the raw text (used to move PDF page offsets into the normalised text).

Interpretations of the contract worth knowing:
- Besides the listed CJK punctuation, `…` and the enclosed numbers (①, ⑴, ㈠)
  are kept, because NFKC turns them into ASCII look-alikes ("...", "1", "(一)").
- Leading indentation (often two U+3000) is dropped like trailing spaces, so a
  line starts with its heading marker (第一条, 一、).
- A space is dropped between CJK and a digit/Latin run, and next to CJK
  punctuation ("一 、" -> "一、"); a space between two ideographs or two Latin
  words is kept.
- Zero-width characters, soft hyphens and control characters are dropped; runs
  of blank lines become one blank line.
- Radical look-alikes: the Kangxi block goes through NFKC, except ⼾ which maps
  to 户 (NFKC gives the traditional 戶); the CJK Radicals Supplement uses the
  table in `core.text.radicals`.

Fixed-layout formats (PDF) also rejoin wrapped lines: `ingest.normalize`.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left

from core.text.radicals import KANGXI_OVERRIDES, RADICAL_SUPPLEMENT

Chars = list[str]
Index = list[int]

# CJK punctuation that NFKC would turn into ASCII but Chinese writing keeps.
_KEEP = set("，。；：！？（）【】〔〕“”‘’、《》…")
_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
# Enclosed alphanumerics and enclosed CJK: list markers NFKC would flatten.
_KEEP_RANGES = ((0x2460, 0x24FF), (0x3200, 0x32FF))
_EXTRA_PUNCT = set("“”‘’…—―·")


def is_han(ch: str) -> bool:
    """True for a CJK ideograph (any plane) or 〇."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
        or o == 0x3007
    )


def is_cjk_punct(ch: str) -> bool:
    """True for full-width/CJK punctuation (、。《》“” …)."""
    o = ord(ch)
    if 0x3001 <= o <= 0x303F and o != 0x3007:
        return True
    if 0xFF01 <= o <= 0xFF65 and not ch.isalnum():
        return True
    return ch in _EXTRA_PUNCT


def _is_latin_or_digit(ch: str) -> bool:
    # Unit signs belong to the number they follow ("3.2% 下降" -> "3.2%下降").
    return (ch.isalnum() and ord(ch) < 0x2E80) or ch in "%‰℃°"


def _char_out(group: str) -> str:
    """Normalised form of one base character plus its combining marks."""
    ch = group[0]
    if ch in _DROP:
        return ""
    if ch in "\t\u3000\u00a0" or (unicodedata.category(ch) == "Zs"):
        return " "
    if ch in "\f\u2028\u2029":
        return "\n"
    if ch in _KEEP or any(lo <= ord(ch) <= hi for lo, hi in _KEEP_RANGES):
        return group
    if ch in RADICAL_SUPPLEMENT:
        return RADICAL_SUPPLEMENT[ch]
    if ch in KANGXI_OVERRIDES:
        return KANGXI_OVERRIDES[ch]
    if ch != "\n" and unicodedata.category(ch) == "Cc":
        return ""
    return unicodedata.normalize("NFKC", group)


def _chars(text: str) -> tuple[Chars, Index]:
    """Character-level rules: line ends, NFKC with exceptions, radicals."""
    out: Chars = []
    idx: Index = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\r":
            out.append("\n")
            idx.append(i)
            i += 2 if text.startswith("\r\n", i) else 1
            continue
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        for c in _char_out(text[i:j]):
            out.append(c)
            idx.append(i)
        i = j
    return out, idx


def _drop_space(prev: str, nxt: str) -> bool:
    if prev == "\n" or nxt == "\n":
        return True
    if is_cjk_punct(prev) or is_cjk_punct(nxt):
        return True
    return (is_han(prev) and _is_latin_or_digit(nxt)) or (
        _is_latin_or_digit(prev) and is_han(nxt)
    )


def _spaces(chars: Chars, idx: Index) -> tuple[Chars, Index]:
    """Collapse space runs; drop them at line edges and next to CJK (see module doc)."""
    out: Chars = []
    oidx: Index = []
    n = len(chars)
    i = 0
    while i < n:
        if chars[i] != " ":
            out.append(chars[i])
            oidx.append(idx[i])
            i += 1
            continue
        j = i
        while j < n and chars[j] == " ":
            j += 1
        prev = out[-1] if out else "\n"
        nxt = chars[j] if j < n else "\n"
        if not _drop_space(prev, nxt):
            out.append(" ")
            oidx.append(idx[i])
        i = j
    return out, oidx


def _blank_lines(chars: Chars, idx: Index) -> tuple[Chars, Index]:
    """At most one blank line in a row; none at the start or the end."""
    out: Chars = []
    oidx: Index = []
    run = 0
    for c, k in zip(chars, idx, strict=True):
        if c == "\n":
            run += 1
            if not out or run > 2:
                continue
        else:
            run = 0
        out.append(c)
        oidx.append(k)
    while out and out[-1] == "\n":
        out.pop()
        oidx.pop()
    return out, oidx


def normalize_text(text: str) -> tuple[str, list[int]]:
    """Normalise `text`; also return, for each output char, its index in `text`."""
    chars, idx = _chars(text)
    chars, idx = _spaces(chars, idx)
    chars, idx = _blank_lines(chars, idx)
    return "".join(chars), idx


def map_offsets(offsets: tuple[int, ...], index: list[int]) -> tuple[int, ...]:
    """Move raw-text offsets into the normalised text (`index` from `normalize_text`).

    Each offset becomes the position of the first kept character at or after it.
    """
    return tuple(bisect_left(index, off) for off in offsets)


def normalize_query(q: str) -> str:
    """Apply the document rules to a query (no line rejoining); keeps it on one line."""
    text, _ = normalize_text(q.replace("\n", " "))
    return text.strip()
