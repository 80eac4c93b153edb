"""Chinese and Arabic numerals: one digit table and one pattern for every rule that counts.

`CN_NUM` is the character class of Chinese numerals (〇, ○ and 零 all mean zero, 两 is
two); `NUM` matches a Chinese numeral or 1–4 Arabic digits, as 第X条, 第X期 and
headings use them. `cn_to_int` reads either form; `int_to_cn` writes the form official
documents use for article numbers (第十二条, 第一百零三条).
"""

from __future__ import annotations

import re

# Ｏ (full-width letter O) stands in for 〇 in some typed years: 二Ｏ二四年.
CN_DIGITS: dict[str, int] = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3,
                             "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
CN_NUM_CHARS = "零〇○一二两三四五六七八九十百千"
CN_NUM = f"[{CN_NUM_CHARS}]+"
NUM = rf"(?:{CN_NUM}|\d{{1,4}})"
# Small ordinals of list headings (一、 （二） 三是): no zero, no 百/千.
CN_ORDINAL = "[一二三四五六七八九十]{1,3}"
FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_NUM_RE = re.compile(NUM)


def cn_to_int(s: str) -> int:
    """Value of a Chinese or Arabic numeral: 十二 -> 12, 一百零三 -> 103, 二〇二四 -> 2024.

    Raises KeyError for a character that is not a numeral.
    """
    s = s.strip().translate(FW_DIGITS)
    if s.isdigit():
        return int(s)
    if not any(c in CN_UNITS for c in s):
        # Digit-by-digit form used for years: 二〇二四.
        value = 0
        for c in s:
            value = value * 10 + CN_DIGITS[c]
        return value
    total, digit = 0, 0
    for c in s:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c]
        else:
            total += (digit or 1) * CN_UNITS[c]
            digit = 0
    return total + digit


_CN_WRITE = "零一二三四五六七八九"


def int_to_cn(n: int) -> str:
    """The Chinese numeral official documents write: 12 -> 十二, 103 -> 一百零三 (n < 10000)."""
    if not 0 <= n < 10000:
        raise ValueError(f"expected 0 <= n < 10000, found {n}")
    if n < 10:
        return _CN_WRITE[n]
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += ("" if (unit == "十" and d == 1 and not out) else _CN_WRITE[d]) + unit
    return out


def is_numeral(s: str) -> bool:
    """True when `s` is one whole Chinese or Arabic numeral."""
    return bool(_NUM_RE.fullmatch(s.strip()))
