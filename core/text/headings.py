"""Heading markers of Chinese official documents, as patterns over normalised lines.

- divisions 第X编/章/节/部分 and articles 第X条 (`DIVISION_RE`, `PART_RE`,
  `ARTICLE_HEAD_RE`), and any mention of an article (`ARTICLE_RE`, also inside a
  sentence or a heading path);
- a table's caption line (`TABLE_CAPTION_RE`, followed by a `TABLE_UNIT_RE` line);
- enumerations 一、 （一） 1. （1） and speech points 一是 (`ENUM_PATTERNS`);
- 《新风》 case headings 【典型案例一】单位：标题 (`CASE_HEAD_RE`, `case_heading_text`);
- lines that start like any heading (`HEADING_START_RE`, for PDF line joining) and like
  a standalone one (`STANDALONE_HEADING_RE`).
"""

from __future__ import annotations

import re

from core.text.numerals import CN_NUM_CHARS, CN_ORDINAL, NUM, cn_to_int

DIVISION_RE = re.compile(rf"第(?P<n>{NUM})(?P<unit>[编章节])(?P<rest>.*)$")
# The parts of a budget or final-accounts release (第二部分 …部门决算表), a report's parts.
PART_RE = re.compile(rf"第(?P<n>{NUM})(?P<unit>部分)(?P<rest>.*)$")
# A table's own caption on its line (一般公共预算财政拨款基本支出决算表, 重点任务分工表),
# known by what follows it: the unit line, the issuer line, or the table's first row.
TABLE_CAPTION_RE = re.compile(r"[^\s，。；：:|]{1,36}表(?:[（(][^）)]{1,12}[）)])?")
TABLE_UNIT_RE = re.compile(r"(?:单位|编制(?:单位|部门))\s*[：:]|\|")

# A 第X条 followed by these is a citation inside a sentence ("第九条规定的…"), not a heading.
ARTICLE_HEAD_RE = re.compile(rf"第(?P<n>{NUM})条(?=$|\s|[^规所之的中和、，,至及第款项])")
# A 第X条 on the same line as its chapter heading ("第一章 总则 第一条").
INLINE_ARTICLE_RE = re.compile(rf"\s+(第{NUM}条)(?=\s|$)")
# Any mention of an article, e.g. in a query or a heading path.
ARTICLE_RE = re.compile(r"第([0-9]+|[零〇○一二两三四五六七八九十百千]+)条")
# An article heading at the start of a line (document-type detection).
ARTICLE_LINE_RE = re.compile(rf"^第{NUM}条(?:\s|$)")

ENUM_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("h1", re.compile(rf"(?P<n>{CN_ORDINAL})、")),
    ("h2", re.compile(rf"[（(](?P<n>{CN_ORDINAL})[）)]")),
    ("h3", re.compile(r"(?P<n>\d{1,2})[.．、](?![\d.．])")),
    ("h4", re.compile(r"[（(](?P<n>\d{1,2})[）)]")),
    ("point", re.compile(rf"(?P<n>{CN_ORDINAL})是(?![的否不])")),
)

# 【典型案例一】 / 【案例2】 / 典型案例三： at the start of a case heading line.
CASE_HEAD_RE = re.compile(r"【\s*(?:典型)?案例\s*[一二三四五六七八九十\d]+\s*】"
                          r"|(?:典型)?案例[一二三四五六七八九十\d]+[：:、 ]")
_CASE_TAG_RE = re.compile(r"^【[^】]*】\s*|^(?:典型)?案例[一二三四五六七八九十\d]+[：:、 ]\s*")
ANNEX_RE = re.compile(r"附件\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})?(?:[：: ].{0,40})?$")
# Unnumbered part headings of case write-ups ("主要做法", "取得成效").
BARE_SUBHEAD_RE = re.compile(
    r"[\u4e00-\u9fff]{0,6}(?:做法|成效|情况|背景|启示|经验|体会|举措|打算)"
)
# Numbered part headings of a standalone case write-up ("一、基本情况", "二、主要做法").
CASE_PART_RE = re.compile(
    r"^[一二三四五六七八九十]+、.{0,6}(?:背景|基本情况|做法|举措|成效|启示|经验|体会)"
)
# Editor's notes and similar bracketed labels: 【编者点评】.
NOTE_RE = re.compile(r"【(?!\s*(?:典型)?案例)[\u4e00-\u9fff]{2,6}】")
PREFACE_RE = re.compile(r"(?:总\s?纲|序\s?言|前\s?言)$")
# Lines a title never is: they start like a heading (or a table of contents).
HEADING_LIKE_RE = re.compile(
    rf"^(?:第{NUM}[编章节条]|{CN_ORDINAL}、|[（(]{CN_ORDINAL}[）)]"
    r"|总\s*纲|序\s*言|前\s*言|目\s*录)"
)
_N = CN_NUM_CHARS
# Lines that start like any heading or list item (they never continue the line above).
HEADING_START_RE = re.compile(
    rf"^(第[{_N}\d]+[编章节条部分款]|[{_N}]+[、．.]|（[{_N}\d]+）|\([{_N}\d]+\)"
    rf"|\d+[.．、](?!\d)|【|[{_N}]是[，、：:]?|附件|附则|[①-⑳])"
)
# Standalone headings (not run-in markers such as 一是/（一）, which start body text).
STANDALONE_HEADING_RE = re.compile(rf"^(第[{_N}\d]+[编章节部分]|[{_N}]+、)")


def is_table_caption(line: str, next_line: str) -> bool:
    """A table's caption: a short line ending in 表 above the table's unit line
    (单位：万元), its issuer (编制部门：…) or its first row (|序号|…|). A numbered line
    (二、报送统计表) is a heading of its list, so the next 三、 still counts on."""
    line = line.strip()
    return (not HEADING_START_RE.match(line) and bool(TABLE_CAPTION_RE.fullmatch(line))
            and bool(TABLE_UNIT_RE.match(next_line.strip())))


def article_number(text: str) -> int | None:
    """The number of the last 第X条 mentioned in `text` (a heading label or path)."""
    found = ARTICLE_RE.findall(text)
    return cn_to_int(found[-1]) if found else None


def article_label(text: str) -> str | None:
    """The last 第X条 mentioned in `text`, as written."""
    found = list(ARTICLE_RE.finditer(text))
    return found[-1].group(0) if found else None


def is_case_heading(label: str) -> bool:
    """True for a 《新风》 case heading (【典型案例一】…), not an editor's note (【编者点评】)."""
    return bool(CASE_HEAD_RE.match(label))


def case_heading_text(line: str) -> str:
    """A case heading without its 【典型案例一】 tag: 单位：标题."""
    return _CASE_TAG_RE.sub("", line).strip()
