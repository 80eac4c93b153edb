"""Document metadata detected from normalised text: title, type, date, issuer, 文号 ...

Detection reads the header (the first meaningful lines) and the 落款 (the last lines),
where official documents put these facts. Front matter / sidecar overrides win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import PurePath

from ingest.structure import cn_to_int
from kb.errors import ConfigError
from kb.models import DOC_TYPES, DocMeta

_FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_OPEN = "〔[［(（【"
_CLOSE = "〕]］)）】"
_D = "[0-9０-９]"
# The issuer part excludes function words, so "根据阿府办发〔2021〕21号" yields
# 阿府办发 rather than 根据阿府办发.
_ORG = r"[\u4e00-\u9fff]{1,10}?(?<![的了是在和与及据照按依即见等为对由将把经])"
DOC_NO_RE = re.compile(
    rf"(?P<org>(?:(?<=[^\u4e00-\u9fff的了是在和与及据照按依即见等为对由将把经])|^)"
    rf"[\u4e00-\u9fff]{{1,10}}?)\s*"
    rf"(?:[{re.escape(_OPEN)}]\s*(?P<year>{_D}{{4}})\s*[{re.escape(_CLOSE)}]"
    rf"|(?P<year2>{_D}{{4}})\s*[-－—]\s*(?=\s*{_D}))"
    rf"\s*第?\s*(?P<num>{_D}{{1,4}})\s*号"
)
"""Finds 文号 in free text in any bracket style: 阿府办发〔2021〕21号, 国办发[2020]3号,
示机工发(2024)3号, 穗府办规2024-13号, full-width digits."""

_CN_DATE_DIGIT = "[〇零○Ｏ一二三四五六七八九]"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"
_DATE_PATTERNS = (
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"(?P<y>{_CN_DATE_DIGIT}{{4}})年(?P<m>{_CN_SMALL})月(?:(?P<d>{_CN_SMALL})[日号])?"),
)
_ISSUE_RE = re.compile(rf"第\s*(?P<n>\d{{1,4}}|[零〇一二两三四五六七八九十百]+)\s*期")
_THEME_RE = re.compile(r"本期主题\s*[：:]\s*(?P<t>.+)")
_SALUTATION = re.compile(r"^(?:同志们|各位代表|各位委员|同学们|亲爱的.{1,12}|尊敬的.{1,20}|老师们.{0,8})[：:,，]?$")
_ORG_SUFFIX = re.compile(
    r"(?:委员会|人民政府|办公厅|办公室|政府|党委|党组|工委|纪委|机关党委|总支部|支部|局|厅|部|委|署|"
    r"院|会|中心|小组|国务院|中共中央|数据局)$"
)
_JUNK = re.compile(
    r"^(?:---+|={3,}|\*{3,}|<[^>]+>.*|[\w\u4e00-\u9fff]{1,12}\s*[:：]\s*https?://\S*|.*https?://.*|"
    r".*www\.\S+.*|.*【法宝引证码】.*|原文链接.*|首页.*|.*>\s*$|>|字号.*|来源[:：].*|"
    r"发布时间.*|浏览次数.*|打印.*|分享到.*|.*ICP备.*|.*公网安备.*|网站标识码.*)$"
)
_TERMINAL = ("。", "！", "？", "；", "…")
_CONTINUES = ("、", "，", "：", "和", "与", "及", "的", "《", "（")


def normalize_doc_no(s: str) -> str:
    """Canonical 文号: any bracket style and digit width -> 阿府办发〔2021〕21号.

    Text that holds no 文号 comes back stripped, with ASCII digits.
    """
    m = DOC_NO_RE.search(s.strip())
    if not m:
        return s.strip().translate(_FW_DIGITS)
    year = (m.group("year") or m.group("year2")).translate(_FW_DIGITS)
    num = int(m.group("num").translate(_FW_DIGITS))
    return f"{m.group('org')}〔{year}〕{num}号"


def parse_date(s: str) -> str | None:
    """First date in `s` as ISO: YYYY-MM-DD, or YYYY-MM when the text gives no day."""
    best: tuple[int, str] | None = None
    for pattern in _DATE_PATTERNS:
        m = pattern.search(s.translate(_FW_DIGITS))
        if not m:
            continue
        try:
            y, mo = cn_to_int(m.group("y")), cn_to_int(m.group("m"))
            d = cn_to_int(m.group("d")) if m.group("d") else None
        except KeyError:
            continue
        if not (1 <= mo <= 12 and (d is None or 1 <= d <= 31)):
            continue
        iso = f"{y:04d}-{mo:02d}" + (f"-{d:02d}" if d else "")
        if best is None or m.start() < best[0]:
            best = (m.start(), iso)
    return best[1] if best else None


def _lines(text: str) -> list[str]:
    """Non-blank stripped lines, front matter and web junk removed."""
    raw = text.split("\n")
    if raw and raw[0].strip() == "---":
        # YAML front matter: skip up to the closing fence.
        for i in range(1, min(len(raw), 60)):
            if raw[i].strip() == "---":
                raw = raw[i + 1:]
                break
    out = []
    for line in raw:
        line = " ".join(line.split())
        line = re.sub(r"^#{1,6}\s*", "", line)
        if line and not _JUNK.match(line):
            out.append(line)
    return out


def _is_date_line(line: str) -> bool:
    core = line.strip("（）() ")
    core = re.sub(r"^[\u4e00-\u9fff]{0,6}[：:]", "", core)  # 版本日期：…
    return len(core) <= 30 and parse_date(core) is not None and parse_date(core[:14]) is not None


def _is_doc_no_line(line: str) -> bool:
    m = DOC_NO_RE.search(line)
    return bool(m) and len(line) <= len(m.group(0)) + 4


def _title_like(line: str) -> bool:
    return (len(line) <= 120 and not line.endswith(_TERMINAL) and "。" not in line
            and not line.endswith(("：", ":")) and not _is_date_line(line)
            and not _is_doc_no_line(line))


def _same(a: str, b: str) -> bool:
    strip = re.compile(r"[\s()（）\-—–,，、《》〈〉“”\"']")
    return strip.sub("", a) == strip.sub("", b)


def _title(lines: list[str]) -> tuple[str | None, int]:
    """Title and the index of the first line after it (skipping repeated title lines)."""
    if not lines or not _title_like(lines[0]):
        return None, 0
    first = lines[0]
    web = re.match(r"^【(.+)】\s*[-_|｜].*$", first)
    if web:
        first = web.group(1)
    chain, i = [first], 1
    while i < len(lines) and _same(lines[i], first):
        i += 1
    # Further short lines belong to the title when they end in a subtitle, date or 文号 line,
    # or when the line before is visibly unfinished.
    j = i
    while j < len(lines) and j - i < 3 and len(lines[j]) <= 50 and _title_like(lines[j]) \
            and not lines[j].startswith("——") and not _SALUTATION.match(lines[j]):
        j += 1
    nxt = lines[j] if j < len(lines) else ""
    unfinished = chain[-1].endswith(_CONTINUES)
    if j > i and (nxt.startswith("——") or _is_date_line(nxt) or _is_doc_no_line(nxt)
                  or unfinished):
        take = j if not unfinished or nxt.startswith("——") or _is_date_line(nxt) else i + 1
        chain.extend(lines[i:take])
        i = take
    sep = " " if i < len(lines) and lines[i].startswith("——") else ""
    if i < len(lines) and lines[i].startswith("——") and len(lines[i]) <= 60:
        chain.append(lines[i])
        i += 1
    title = sep.join(chain[:-1]) + chain[-1] if sep and len(chain) > 1 else "".join(chain)
    if sep and len(chain) > 2:
        title = sep.join(chain[:-1]) + chain[-1]
    return title.strip(), i


def _org_line(line: str) -> str | None:
    squeezed = line.replace(" ", "") if re.fullmatch(r"(?:\S )+\S", line) else line
    if len(squeezed) <= 30 and _ORG_SUFFIX.search(squeezed) and not re.search(r"[。，；：]", line):
        return squeezed
    return None


def _issuer_from_title(title: str) -> str | None:
    m = re.match(r"^(.{2,40}?)(?:关于|印发)", title)
    if m and _ORG_SUFFIX.search(m.group(1).strip()):
        return m.group(1).strip()
    return None


def _closing(lines: list[str]) -> tuple[str | None, str | None]:
    """Issuer and date of the 落款: a date line near the end with org lines above it."""
    tail = lines[-8:]
    for k in range(len(tail) - 1, -1, -1):
        if _is_date_line(tail[k]) and parse_date(tail[k]) and len(parse_date(tail[k]) or "") == 10:
            orgs: list[str] = []
            for line in reversed(tail[:k]):
                org = _org_line(line)
                if not org:
                    break
                orgs.insert(0, org)
            return (" ".join(orgs) or None), parse_date(tail[k])
    return None, None
