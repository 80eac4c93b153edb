"""Document metadata detected from normalised text: title, type, date, issuer, 文号 ...

Detection reads the header (the first meaningful lines) and the 落款 (the last lines),
where official documents put these facts. Front matter / sidecar overrides win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import PurePath

from core.errors import ConfigError
from core.models import LEVELS, DocMeta, DocType, parse_level
from core.text.dates import is_date_line, parse_date
from core.text.docno import DOC_NO_RE, is_doc_no_line, normalize_doc_no
from core.text.headings import ARTICLE_LINE_RE, CASE_PART_RE, HEADING_LIKE_RE
from core.text.issues import ISSUE_NO_RE
from core.text.numerals import FW_DIGITS, cn_to_int
from core.text.sentences import SENTENCE_FINAL

_THEME_RE = re.compile(r"本期主题\s*[：:]\s*(?P<t>.+)")
_SALUTATION = re.compile(
    r"^(?:同志们|各位代表|各位委员|同学们|亲爱的.{1,12}|尊敬的.{1,20}|老师们.{0,8})[：:,，]?$"
)
_ORG_SUFFIX = re.compile(
    r"(?:委员会|政府|办公厅|办公室|党委|党组|工委|纪委|支部|局|厅|部|委|署|院|会|中心|小组|中央)$"
)
_JUNK = re.compile(
    r"^(?:---+|={3,}|\*{3,}|<[^>]+>.*|[\w\u4e00-\u9fff]{1,12}\s*[:：]\s*https?://\S*|.*https?://.*|"
    r".*www\.\S+.*|.*【法宝引证码】.*|原文链接.*|首页.*|.*>\s*$|>|字号.*|来源[:：].*|"
    r"发布时间.*|浏览次数.*|打印.*|分享到.*|.*ICP备.*|.*公网安备.*|网站标识码.*|\[!\w+\].*|"
    r"\S{0,16}\d{1,2}月\d{1,2}日电.*|.{0,10}记者\S{2,4})$"
)
# Lines that are never a title: separators, Word style names (Word文档：正文+新闻标题).
_NOT_TITLE = re.compile(r"^(?:[-—_=*·.\s]+|Word文档[：:].*|.*[+＋](?:标题|正文).*)$")
# What file names and web pages add to a title (cleaned off by `clean_title`).
_NAME_PREFIX = re.compile(r"^(?:\d{1,3}[_、.]|[a-z]{2,8}_(?:【[^】]{1,8}】)?)")
_NAME_SUFFIX = re.compile(
    r"(?:_(?:\d{4}(?:修改|修订|修正|年版|版)?|DERIVED|webpage|试行)"
    r"|_[\u4e00-\u9fff]{2,8}(?:规|发|令)[字]?\d{4}-\d{1,4}号|_[\u4e00-\u9fff]{0,6}令\d+号"
    r"|\(FBM-CLI[^)]*\))+$")
_SITE_SUFFIX = re.compile(
    r"(?:\s*[-_|｜]\s*[^-_|｜]{0,30}(?:网|新闻|日报|门户网站|官网|大学|学院|The Paper|"
    r"政务|先锋文汇|研究生之家|党群园地|党建工作|新闻网))+$")
_ID_NAME = re.compile(r"^(?:doc|file|document|untitled|新建)?[_-]?\d+$|^[0-9a-f]{8,}$", re.I)
_VERSION = re.compile(r"_(\d{4})(修改|修订|修正|年版|版)")
_SPEAKER = re.compile(r"^(?:[^\s。，；：！？]{2,40}\s)?[\u4e00-\u9fff]{2,4}$")
_POLICY_TITLE = re.compile(
    r"办法|意见|方案|规定|条例|通知|细则|规则|规范|准则|决定|纲要|规划|计划|章程|要点|"
    r"(?<![做方想看说])法$"
)
_CONTINUES = ("、", "，", "：", "和", "与", "及", "的", "《", "（")


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
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # markdown image
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # markdown link -> its text
        line = " ".join(re.sub(r"^(?:#{1,6}|>)\s*|\*\*", "", line.strip()).split())
        dateline = re.match(r"^\S{0,16}\d{1,2}月\d{1,2}日电\s*题[：:](.+)$", line)
        line = dateline.group(1) if dateline else line
        if line and not _JUNK.match(line):
            out.append(line)
    return out


def clean_title(title: str) -> str:
    """A title without what file names and web pages add: a numbered prefix (11_), a
    site tag (ccgp_【中央】), a version or 文号 suffix (_2017修改, _穗府办规2024-13号) and
    a site name after a separator (-光明日报-光明网)."""
    t = title.strip()
    for _ in range(3):
        before = t
        t = _NAME_SUFFIX.sub("", t).strip()
        t = _SITE_SUFFIX.sub("", t).strip()
        t = _NAME_PREFIX.sub("", t).strip()
        if t == before:
            break
    return t or title.strip()


def title_version(name: str) -> str | None:
    """The version a file name or title states (中国共产党章程_2017修改 → 2017修改)."""
    m = _VERSION.search(name)
    return m.group(1) + m.group(2) if m else None


def untitled(text: str) -> str:
    """What a document with no title is called: its first words, marked as such."""
    first = next((ln for ln in _lines(text) if len(ln) >= 4), "")
    lead = re.split(r"[。！？；]", first)[0][:24]
    return f"（无标题）{lead}" if lead else "（无标题）"


def _title_like(line: str) -> bool:
    return (len(line) <= 120 and not _NOT_TITLE.match(line)
            and not line.endswith(SENTENCE_FINAL) and "。" not in line
            and not (len(line) > 30 and line.count("，") >= 2)
            and not line.endswith(("：", ":")) and not is_date_line(line)
            and not is_doc_no_line(line))


def _same(a: str, b: str) -> bool:
    strip = re.compile(r"[\s()（）\-—–,，、《》〈〉“”\"']")
    return strip.sub("", a) == strip.sub("", b)


def _title(lines: list[str]) -> tuple[str | None, int]:
    """Title and the index of the first line after it (repeated title lines skipped)."""
    if lines and lines[0].startswith("工作表："):  # a spreadsheet: its first sheet's title row
        if len(lines) > 1 and not lines[1].startswith("|"):
            title, after = _title(lines[1:])
            return (title, after + 1) if title else (None, 0)
        return None, 0
    if (not lines or not _title_like(lines[0]) or HEADING_LIKE_RE.match(lines[0])
            or len(lines[0].replace(" ", "")) < 4):
        return None, 0
    first = lines[0]
    web = re.match(r"^【(.+)】\s*[-_|｜].*$", first)
    if web:
        first = web.group(1)
    i = 1
    while i < len(lines) and _same(lines[i], first):
        i += 1
    # A title may wrap: later short lines join it when a subtitle, date or 文号 line
    # follows them, or when the first line is visibly unfinished.
    j = i
    while (j < len(lines) and j - i < 3 and len(lines[j]) <= 50 and _title_like(lines[j])
           and not lines[j].startswith("——") and not _SALUTATION.match(lines[j])
           and not HEADING_LIKE_RE.match(lines[j])):
        j += 1
    nxt = lines[j] if j < len(lines) else ""
    chain = [first]
    if j > i and (nxt.startswith("——") or is_date_line(nxt) or is_doc_no_line(nxt)):
        chain += lines[i:j]
        i = j
    elif j > i and first.endswith(_CONTINUES):
        chain.append(lines[i])
        i += 1
    elif (i < len(lines) and len(first) <= 20 and _ORG_SUFFIX.search(first)
          and re.match(r"^(?:[\u4e00-\u9fff]{0,8}?\d{4}年度?|关于)", lines[i])
          and len(lines[i]) <= 30 and _title_like(lines[i])):
        # An organ's name alone on the first line, the rest of the title under it
        # (上海市普陀区财政局 / 2024年度部门决算).
        chain.append(lines[i])
        i += 1
    subtitle = ""
    if i < len(lines) and lines[i].startswith("——") and len(lines[i]) <= 60:
        subtitle = lines[i]
        i += 1
    # Two-line slogan titles (with a subtitle) read better with a space between lines.
    main = (" " if subtitle and len(chain) > 1 else "").join(chain)
    return main + subtitle, i


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


def _signoff(lines: list[str]) -> tuple[str | None, str | None]:
    """Issuer and date of a 落款 in `lines`: a full date line with org lines above it."""
    for k in range(len(lines) - 1, -1, -1):
        date = parse_date(lines[k]) if is_date_line(lines[k]) else None
        if not date or len(date) != 10:
            continue
        orgs: list[str] = []
        for line in reversed(lines[max(0, k - 3):k]):
            org = _org_line(line)
            if not org:
                break
            orgs.insert(0, org)
        if orgs or k >= len(lines) - 3 or len(lines[k]) <= 12:
            return (" ".join(orgs) or None), date
    return None, None


def _speaker(lines: list[str]) -> str | None:
    """A line like `示例市委常委、市委秘书长 王晓东` (or a bare name) under a speech title."""
    for line in lines[:3]:
        if is_date_line(line):
            continue
        m = _SPEAKER.match(line)
        if m and not _SALUTATION.match(line) and not _org_line(line):
            return line
        break
    return None


def _doc_type(title: str, lines: list[str], body: list[str], has_doc_no: bool) -> str:
    articles = sum(1 for line in body if ARTICLE_LINE_RE.match(line))
    if articles >= 3 or has_doc_no:
        return "policy"
    if re.search(r"讲话|致辞|发言|讲稿|讲课|报告会", title):
        return "speech"
    if re.search(r"报告|总结|述职|决算", title):
        return "report"
    if _POLICY_TITLE.search(re.sub(r"[（(][^）)]*[）)]$", "", title)) or articles:
        return "policy"
    if re.search(r"案例|经验|做法|纪实|主题党日|党日活动|党支部|党总支", title):
        return "case"
    top = lines[:6]
    if any(_SALUTATION.match(line) for line in body[:12]) or (top and is_date_line(top[0])
                                                             and top[0].startswith("（")):
        return "speech"
    headings = sum(1 for line in body if CASE_PART_RE.match(line))
    return "case" if headings >= 2 else "other"


def _handbook(lines: list[str]) -> dict[str, object] | None:
    """Header fields of a 《新风》-style issue: `专刊` line, then `第X期` within two lines."""
    if not lines or not re.search(r"专刊|简报|期刊|工作动态", lines[0]) or len(lines[0]) > 30:
        return None
    issue_line = next((ln for ln in lines[1:3] if ISSUE_NO_RE.search(ln)), None)
    if issue_line is None:
        return None
    n = ISSUE_NO_RE.search(issue_line)
    assert n is not None
    out: dict[str, object] = {"title": f"{lines[0]} {issue_line}",
                              "issue_no": cn_to_int(n.group("n"))}
    for line in lines[1:6]:
        month = parse_date(line) if line is not issue_line else None
        if month and "issue_month" not in out:
            out["issue_month"] = month[:7]
            out["date"] = month
            editor = re.match(r"^(.{2,40}?)\s*编", line)
            if editor and _ORG_SUFFIX.search(editor.group(1)):
                out["issuer"] = editor.group(1)
        theme = _THEME_RE.match(line)
        if theme and "theme" not in out:
            out["theme"] = theme.group("t").rstrip("。 ")
    return out


def extract_metadata(
    text: str, source: str, overrides: Mapping[str, str] | None = None
) -> DocMeta:
    """Detect a document's metadata from its normalised text; `overrides` win.

    `overrides` keys are DocMeta field names (values as strings; unknown keys are
    ignored since front matter carries other keys too). An invalid doc_type, date or
    issue_no raises ConfigError.
    """
    lines = _lines(text)
    fields_: dict[str, object] = {}
    hb = _handbook(lines)
    if hb:
        fields_.update(hb, doc_type="handbook")
    else:
        title, after = _title(lines)
        stem = clean_title(PurePath(source).stem)
        shown = clean_title(title) if title else (untitled(text) if _ID_NAME.match(stem)
                                                  else stem)
        fields_["title"] = shown
        fields_["version"] = title_version(PurePath(source).stem) or (
            title_version(title) if title else None)
        header = lines[after:after + 8]
        # Only a 文号 in the header (or the title) is this document's own; the body cites others.
        doc_no_line = next((ln for ln in lines[:after + 8] if is_doc_no_line(ln)), None)
        m = DOC_NO_RE.search(doc_no_line or title or "")
        if m:
            fields_["doc_no"] = normalize_doc_no(m.group(0))
        doc_type = _doc_type(shown, header, lines[after:], bool(doc_no_line))
        fields_["doc_type"] = doc_type
        fields_.update(_dates_and_issuer(title, header, lines, after, doc_type))
        if doc_type in ("speech", "report"):
            fields_["speaker"] = _speaker(header)
    meta = DocMeta(**fields_)  # type: ignore[arg-type]
    return _apply_overrides(meta, overrides or {})


def _dates_and_issuer(
    title: str | None, header: list[str], lines: list[str], after: int, doc_type: str
) -> dict[str, object]:
    out: dict[str, object] = {}
    # Preference: date line right under the title, then the closing 落款, then a 落款
    # in the header (a notice that forwards an attached document).
    under = next((ln for ln in header[:2] if is_date_line(ln)), None)
    end_org, end_date = _signoff(lines[-8:])
    head_org, head_date = _signoff(lines[after:after + 15])
    title_date = parse_date(title) if title and len(parse_date(title) or "") == 10 else None
    out["date"] = (parse_date(under) if under else None) or end_date or head_date or title_date
    # A report may end with the issuing body alone, its date being under the title.
    last_org = _org_line(lines[-1]) if lines and len(lines) > after + 2 else None
    issuer = _issuer_from_title(title or "") or end_org or head_org or last_org
    if issuer is None and doc_type == "case" and header and _org_line(header[0]):
        issuer = _org_line(header[0])
    out["issuer"] = issuer
    return out


def _apply_overrides(meta: DocMeta, overrides: Mapping[str, str]) -> DocMeta:
    known = {f.name for f in fields(DocMeta)}
    changes: dict[str, object] = {}
    for key, value in overrides.items():
        if key not in known or value is None:
            continue
        value = str(value).strip()
        if key == "doc_type":
            try:
                changes[key] = DocType.parse(value)
            except ValueError:
                raise ConfigError(f"doc_type override {value!r} is not one of: "
                                  f"{', '.join(DocType)}") from None
        elif key == "issue_no":
            digits = value.translate(FW_DIGITS).lstrip("第").rstrip("期")
            try:
                changes[key] = cn_to_int(digits) if digits else None
            except KeyError:
                raise ConfigError(f"issue_no override {value!r} is not a number") from None
        elif key == "date":
            iso = parse_date(value) if value else None
            if value and iso is None:
                raise ConfigError(f"date override {value!r} is not a date (expected YYYY-MM-DD)")
            changes[key] = iso
        elif key == "doc_no":
            changes[key] = normalize_doc_no(value) if value else None
        elif key == "visibility":
            level = parse_level(value) if value else None
            if value and level is None:
                raise ConfigError(f"visibility（可见级别）应为 {'、'.join(LEVELS)} 之一，"
                                  f"实际为 {value!r}")
            changes[key] = level
        elif key == "title":
            if value:
                changes[key] = value
        elif key == "ocr_pages":  # from the reader (ingest.ocr.ocr_overrides)
            changes[key] = tuple(int(v) for v in value.split())
        elif key == "ocr_confidence":
            changes[key] = tuple(float(v) for v in value.split())
        else:
            changes[key] = value or None
    return replace(meta, **changes)  # type: ignore[arg-type]
