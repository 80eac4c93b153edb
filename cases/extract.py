"""Cases out of documents: each 【典型案例】 of a handbook issue, each standalone case study.

The outline (sections of kind "case") and the formal references are made by other stages;
the service passes them in, so this stage imports only core. Summaries and key quotes are
spans of `doc.text`, chosen by rules (no text is written here).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import PurePath

from cases.records import HANDBOOK, STANDALONE, Case, Quote
from cases.tags import is_organ, organ_of, theme_tags
from core.models import DocType, Document, Section
from core.text.headings import (
    BARE_SUBHEAD_RE,
    CASE_HEAD_RE,
    HEADING_LIKE_RE,
    NOTE_RE,
    case_heading_text,
)
from core.text.issues import total_number
from core.text.numerals import cn_to_int
from core.text.sentences import split_sentences

# (document, the case heading 单位：标题 in an issue or "" for a case study, offset)
# -> the formal reference of the passage at that offset
Reference = Callable[[Document, str, int], str]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_QUOTED = re.compile(r"“([^”]{2,16})”")
# Verbs that say what a unit did: the summary is the sentence that names its method.
_ACTION = re.compile(r"推行|探索|创办|推出|开展|组建|建立|实施|发起|打造|启动|设立|推动|形成|开设|"
                     r"组织(?:开展|党员|实施)|提出|认领|培育|制定")
# A summary says what was done, and when; background sentences state a problem.
_WHEN = re.compile(r"(?:\d{4}年|近年来|今年|去年|从\d{4})")
_PROBLEM = re.compile(r"过去|存在|不够|难以|反映|不足|困难|短板|压力")
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:%|个百分点|万|亿|倍)?")
_RESULT_HEAD = re.compile(r"成效|效果|成果")
_UNIT_LINE = re.compile(r"(?:党委|党组|委员会|党支部|党总支|支部|工委|纪委|局|委|办|中心|馆|院)$")
# Words that make an "other" document a case study: a party organisation at work, or
# a write-up of a work method; titles of what is never one.
_PARTY = re.compile(r"党支部|党总支|党委|党组|党员|党日|党建|党课|党校")
_METHOD = re.compile(r"经验|做法|成效|举措")
_NOT_A_CASE = re.compile(r"预算|决算|报表|统计表|资料汇编|会议资料|例会资料|目录|索引")
_SUMMARY_MIN = 60  # a summary shorter than this takes the next sentence too
_QUOTE_MAX = 160


def is_case_study(doc: Document) -> bool:
    """A standalone case: typed as one, or an untyped write-up of party work or of a
    work method (经验做法), not a table, a budget or a set of meeting papers."""
    if doc.doc_type == DocType.CASE:
        return True
    if doc.doc_type != DocType.OTHER or len(doc.text) < 300 or _NOT_A_CASE.search(doc.title):
        return False
    lines = [ln for ln in doc.text.split("\n") if ln.strip()]
    if sum(ln.startswith("|") for ln in lines) > 0.2 * len(lines):
        return False
    return len(_PARTY.findall(doc.text)) >= 2 or len(_METHOD.findall(doc.text)) >= 2


def cases_of(doc: Document, sections: Sequence[Section], reference: Reference,
             issue_label: str | None = None) -> list[Case]:
    """The cases a document holds: those of a handbook issue, or itself as a case study."""
    if doc.doc_type == DocType.HANDBOOK:
        return handbook_cases(doc, sections, reference, issue_label)
    if is_case_study(doc):
        return [standalone_case(doc, sections, reference)]
    return []


def _short_hash(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:8]


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _split_heading(text: str, start: int) -> tuple[str, str, int]:
    """(unit, title, where the body starts) of a case heading line at `start`.

    A PDF can glue the body onto a long heading; the body of a case begins by naming its
    unit again, which is where the title is cut.
    """
    line_end = _line_end(text, start)
    line = text[start:line_end]
    head = case_heading_text(line)
    head_at = start + line.find(head) if head else line_end
    sep = re.search(r"[：:]", head)
    unit, title = (head[: sep.start()].strip(), head[sep.end():]) if sep else ("", head)
    title_at = head_at + (sep.end() if sep else 0)
    cut = len(title)
    if "。" in title:  # a heading has no full stop: the body's first sentence is glued on
        again = [i for i in (title.find(unit), title.find(organ_of(unit))) if unit and i > 0]
        if again:
            cut = min(again)
        else:
            m = re.search(r"[。，；]", title)
            cut = min(m.start() if m else 40, 40)
    body = title_at + cut if cut < len(title) else line_end
    return unit, title[:cut].strip(), body


def _ordinal(label: str, fallback: int) -> int:
    m = CASE_HEAD_RE.match(label)
    digits = re.search(r"[一二三四五六七八九十\d]+", m.group(0)) if m else None
    try:
        return cn_to_int(digits.group(0)) if digits else fallback
    except (ValueError, KeyError):
        return fallback


def _story_end(text: str, start: int, end: int) -> int:
    """Where the story ends: before the first note line (【编者点评】) inside it."""
    for m in re.finditer(r"\n", text[start:end]):
        at = start + m.end()
        if NOTE_RE.match(text, at):
            return start + m.start()
    return end


def case_heads(doc: Document, sections: Sequence[Section]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each 【典型案例】 of an issue, in order.

    Lines are scanned as well as the outline: a PDF can glue a long heading to its body,
    and the outline takes only short lines as headings.
    """
    text = doc.text
    starts = {s.start: s.label for s in sections if s.kind == "case"}
    pos = 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        if raw.lstrip().startswith("【") and CASE_HEAD_RE.match(raw, lead):
            starts.setdefault(pos + lead, raw.strip()[:30])
        pos += len(raw) + 1
    ordered = sorted(starts)
    annexes = [s.start for s in sections if s.kind == "annex"]
    out = []
    for i, start in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else len(text)
        end = min([a for a in annexes if start < a < nxt] or [nxt])
        while end > start and text[end - 1].isspace():
            end -= 1
        out.append((start, end, starts[start]))
    return out


def handbook_cases(doc: Document, sections: Sequence[Section], reference: Reference,
                   issue_label: str | None = None) -> list[Case]:
    """Each 【典型案例】 of a 《新风》 issue as a case of that issue."""
    meta = doc.meta
    year = int(meta.issue_month[:4]) if meta.issue_month else (
        int(meta.date[:4]) if meta.date else None)
    total = total_number(doc.text[:300])
    out: list[Case] = []
    for i, (start, end, label) in enumerate(case_heads(doc, sections), start=1):
        unit, title, body = _split_heading(doc.text, start)
        heading = f"{unit}：{title}" if unit else title
        n = _ordinal(label, i)
        if total:
            case_id = f"xf{total}-{n}"
        elif year and meta.issue_no:
            case_id = f"xf{year}{meta.issue_no:02d}-{n}"
        else:
            case_id = f"xf{_short_hash(doc.source)[:6]}-{n}"
        story_end = _story_end(doc.text, body, end)
        s, e = choose_summary(doc.text, body, story_end, title)
        out.append(Case(
            case_id=case_id, kind=HANDBOOK, title=title, unit=unit, organ=organ_of(unit),
            doc_id=doc.doc_id, source=doc.source, start=start, end=end,
            summary=doc.text[s:e], summary_start=s, summary_end=e,
            story_start=body, story_end=story_end, section=label,
            themes=theme_tags(title, doc.text[body:story_end]), issue_theme=meta.theme,
            issue_no=meta.issue_no, issue_year=year, total_no=total, month=meta.issue_month,
            issue_label=issue_label, editor=meta.issuer, year=year,
            reference=reference(doc, heading, start),
            quotes=key_quotes(doc, body, story_end, sections, heading, reference)))
    # The same issue twice in the corpus (a .txt and a .docx copy) must not clash.
    seen: set[str] = set()
    for k, c in enumerate(out):
        if c.case_id in seen:
            out[k] = replace(c, case_id=f"{c.case_id}-{_short_hash(doc.source)[:4]}")
        seen.add(out[k].case_id)
    return out


def _unit_line(doc: Document) -> tuple[str, int]:
    """The unit named under a case study's title (示例市××局机关党委), and where the body starts."""
    lines = []
    pos = 0
    for raw in doc.text.split("\n"):
        if raw.strip():
            lines.append((pos, raw.strip()))
        pos += len(raw) + 1
        if len(lines) >= 3:
            break
    if not lines:
        return "", 0
    first_end = lines[0][0] + len(lines[0][1])
    title_line = lines[0][1] in doc.title or doc.title in lines[0][1]
    for at, line in lines[1 if title_line else 0:2]:
        if len(line) <= 40 and not re.search(r"[。，；！？]", line) and _UNIT_LINE.search(line):
            return line, at + len(line)
    return "", first_end if title_line else 0


def standalone_case(doc: Document, sections: Sequence[Section], reference: Reference) -> Case:
    """A whole case-study document as one case."""
    unit, body = _unit_line(doc)
    if not unit:
        # 示例市财政局：“支部联项目”让…: the title names its unit first.
        prefix = re.split(r"[：:]", doc.title, maxsplit=1)
        named = prefix[0].strip() if len(prefix) == 2 and len(prefix[0]) <= 30 else ""
        unit = named if named and is_organ(named) else (doc.meta.issuer or "")
    end = len(doc.text.rstrip())
    s, e = choose_summary(doc.text, body, end, doc.title)
    year = int(doc.meta.date[:4]) if doc.meta.date else None
    name = PurePath(doc.source).name
    return Case(
        case_id=f"al-{_short_hash(doc.title, unit, name)}", kind=STANDALONE, title=doc.title,
        unit=unit, organ=organ_of(unit), doc_id=doc.doc_id, source=doc.source, start=0,
        end=end, summary=doc.text[s:e], summary_start=s, summary_end=e, story_start=body,
        story_end=end, themes=theme_tags(doc.title, doc.text[body:end]), year=year,
        reference=reference(doc, "", s),
        quotes=key_quotes(doc, body, end, sections, "", reference))


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Whole sentences (to 。！？ or the line end; clauses after ；stay with theirs)."""
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in split_sentences(text[start:end], start):
        cur = (cur[0], e) if cur and "\n" not in text[cur[1]:s] else (s, e)
        if text[e - 1] in "。！？”" or "\n" in text[e:e + 1] or e >= end:
            out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    return out


def _prose(line: str) -> bool:
    line = line.strip()
    if len(line) < 30 or HEADING_LIKE_RE.match(line) or NOTE_RE.match(line):
        return False
    if BARE_SUBHEAD_RE.fullmatch(line):
        return False
    return len(_CJK.findall(line)) > len(line) / 2


def choose_summary(text: str, start: int, end: int, title: str) -> tuple[int, int]:
    """The sentence of the first prose paragraphs that names the method, as (start, end).

    Prefers a sentence naming the title's quoted term (“三张清单”), then one saying what
    was done (推行, 创办 …); a short one takes the next sentence with it.
    """
    paras: list[tuple[int, int]] = []
    pos = start
    for raw in text[start:end].split("\n"):
        if _prose(raw) and len(paras) < 2:
            lead = len(raw) - len(raw.lstrip())
            paras.append((pos + lead, pos + len(raw.rstrip())))
        pos += len(raw) + 1
    if not paras:
        s = start + len(text[start:end]) - len(text[start:end].lstrip())
        return s, min(end, _line_end(text, s), s + 200)
    terms = _QUOTED.findall(title)
    grams = {title[i:i + 2] for i in range(len(title) - 1)} - {"示例", "例市"}
    best: tuple[int, int, int, int] | None = None  # (-score, index, start, end)
    sents = [(s, e) for p in paras for s, e in _sentences(text, *p)]
    for k, (s, e) in enumerate(sents):
        sent = text[s:e]
        overlap = sum(g in sent for g in grams)
        score = (3 * any(t in sent for t in terms) + 2 * bool(_ACTION.search(sent))
                 + bool(_WHEN.match(sent)) + min(2, overlap // 3) - bool(_PROBLEM.search(sent)))
        if best is None or (-score, k) < best[:2]:
            best = (-score, k, s, e)
    assert best is not None
    _, k, s, e = best
    if e - s < _SUMMARY_MIN and k + 1 < len(sents) and "\n" not in text[e:sents[k + 1][0]]:
        e = sents[k + 1][1]
    return s, e


def key_quotes(doc: Document, start: int, end: int, sections: Sequence[Section],
               label: str, reference: Reference, limit: int = 2) -> tuple[Quote, ...]:
    """Up to `limit` sentences with figures, from the results part (取得成效) when there is one."""
    text = doc.text
    ranges = [(s.start, s.end) for s in sections if start <= s.start < end
              and s.kind != "case" and _RESULT_HEAD.search(s.label)]
    spans = [se for r in (ranges or [(start, end)]) for se in _sentences(text, *r)]
    scored = []
    for k, (s, e) in enumerate(spans):
        sent = text[s:e]
        if not 15 <= len(sent) <= _QUOTE_MAX or _RESULT_HEAD.fullmatch(sent.strip()):
            continue
        figures = _FIGURE.findall(sent)
        if figures:
            scored.append((-len(figures) - sum("%" in f or "万" in f or "亿" in f
                                               for f in figures), k, s, e))
    chosen = sorted(sorted(scored)[:limit], key=lambda x: x[2])
    return tuple(Quote(text[s:e], s, e, reference(doc, label, s)) for *_, s, e in chosen)
