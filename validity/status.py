"""The validity of every document on a date: 现行有效, 已修改, 已废止, 失效, 尚未生效.

Computed over the whole knowledge base, since a document is repealed by another one's
「…同时废止」 and superseded by a newer version of itself:
1. facts from each text (`validity.detect`), overridden by front matter or a sidecar
   (`status`, `effective_from`, `valid_until`, `superseded_by`);
2. repeal clauses mark their targets (found by 文号 or by title) 已废止, once the repealing
   document has taken effect;
3. documents with the same title (years, 试行/暂行, 修订 words and 关于印发《…》的通知
   wrappers ignored) and different dates form a version chain: the newest is in force,
   the older ones 已修改;
4. a valid-until date before the day → 失效; an effective date after it → 尚未生效.
Only rules (policy documents) have a status; a speech or a case has None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from core.models import IN_FORCE, STATUSES, Document, Validity
from core.text.dates import cn_date, parse_date
from core.text.docno import normalize_doc_no
from validity.detect import Facts, cited, read_facts

_WRAPPER = re.compile(r"^.*?关于(?:印发|转发|发布)《(?P<t>[^《》]+)》的通知$")
_NOISE = re.compile(r"[（(]?(?:\d{4}年(?:度)?(?:修订|修正|修改|版)?|试行|暂行|修订|修正|修改)"
                    r"[）)]?|^\d{4}年(?:印发的)?|[《》〈〉\s·]")


def title_key(title: str) -> str:
    """A title without years, 试行/暂行, revision words and 关于印发《…》的通知 wrappers."""
    t = title.strip()
    m = _WRAPPER.match(t)
    if m:
        t = m.group("t")
    return _NOISE.sub("", t)


def _label(doc: Document) -> str:
    title = doc.title.replace("《", "〈").replace("》", "〉")
    return f"《{title}》" + (f"（{doc.meta.doc_no}）" if doc.meta.doc_no else "")


def _version_date(doc: Document, facts: Facts) -> str:
    """What orders versions: the effective or issue date, else a year in the version name."""
    if facts.effective_from or doc.meta.date:
        return facts.effective_from or doc.meta.date or ""
    m = re.search(r"\d{4}", doc.meta.version or "")
    return m.group(0) if m else ""


def _is_rule(doc: Document) -> bool:
    return doc.meta.doc_type == "policy"


Cited = tuple[tuple[str | None, str | None], ...]


def read_document(doc: Document) -> tuple[Facts, Cited]:
    """What `compute` reads from one document's text (its facts and the documents it
    cites): the slow part, the same on every open while the text is unchanged, so a
    caller may cache it by content hash and pass it back as `read`."""
    return read_facts(doc.text, doc.meta.date), cited(doc.text)


def compute(docs: Mapping[str, Document], as_of: date | None = None, *,
            read: Mapping[str, tuple[Facts, Cited]] | None = None) -> dict[str, Validity]:
    """The validity of each document on `as_of` (default: today).

    `read`: `read_document` of some documents, computed earlier (missing ones are read).
    """
    day = (as_of or date.today()).isoformat()
    parts = {d: (read or {}).get(d) or read_document(doc) for d, doc in docs.items()}
    facts = {d: p[0] for d, p in parts.items()}
    by_no = {doc.meta.doc_no: d for d, doc in docs.items() if doc.meta.doc_no}
    by_key: dict[str, list[str]] = {}
    for d, doc in docs.items():
        by_key.setdefault(title_key(doc.title), []).append(d)

    def effective(d: str) -> str | None:
        return docs[d].meta.effective_from or facts[d].effective_from

    def find(title: str | None, no: str | None) -> list[str]:
        if no and normalize_doc_no(no) in by_no:
            return [by_no[normalize_doc_no(no)]]
        return list(by_key.get(title_key(title), [])) if title else []

    repealed: dict[str, str] = {}
    for d in docs:
        when = effective(d)
        if when and when > day:
            continue  # a repeal takes effect with the repealing document
        for title, no in facts[d].repeals:
            for target in find(title, no):
                if target != d:
                    repealed.setdefault(target, d)
    newer: dict[str, str] = {}
    for members in by_key.values():
        # Only a version already in force supersedes the older ones.
        dated = sorted(((v, d) for d in members
                        if (v := _version_date(docs[d], facts[d])) <= day), reverse=True)
        if len({v for v, _ in dated}) < 2:
            continue  # copies of one version (a .txt and its .docx) are no version chain
        top_date, top = dated[0]
        for v, d in dated[1:]:
            if v < top_date:
                newer[d] = top

    cites: dict[str, list[str]] = {d: [] for d in docs}
    for d, doc in docs.items():
        found = [t for title, no in parts[d][1] for t in find(title, no)]
        cites[d] = [t for t in dict.fromkeys(found) if t != d]
    cited_by: dict[str, list[str]] = {d: [] for d in docs}
    for d, targets in cites.items():
        for t in targets:
            cited_by[t].append(d)

    out: dict[str, Validity] = {}
    for d, doc in docs.items():
        f, m = facts[d], doc.meta
        eff, until = effective(d), m.valid_until or f.valid_until
        by = repealed.get(d) or newer.get(d)
        status, reason = (IN_FORCE if _is_rule(doc) else None), ""
        if eff:
            reason = f"自{cn_date(eff)}起施行"
        if by and d in repealed:
            status, reason = "已废止", f"被{_label(docs[by])}废止"
        elif by:
            status, reason = "已修改", f"已有新版本{_label(docs[by])}"
        elif until and until < day:
            status, reason = "失效", f"有效期至{cn_date(until)}，已过期"
        elif eff and eff > day:
            status, reason = "尚未生效", f"自{cn_date(eff)}起施行，尚未生效"
        label = _label(docs[by]) if by else None
        if m.status in STATUSES:
            status, reason = m.status, "按元数据指定"
        if m.superseded_by:
            label = m.superseded_by
        out[d] = Validity(status=status if _is_rule(doc) or m.status else None, reason=reason,
                          effective_from=eff, valid_until=until,
                          superseded_by=by, superseded_label=label,
                          cites=tuple(cites[d]), cited_by=tuple(cited_by[d]))
    return out


def parse_as_of(value: str | None) -> date | None:
    """`--as-of YYYY-MM-DD` as a date (None when not given); ValueError when invalid."""
    if not value:
        return None
    iso = parse_date(value)
    if not iso or len(iso) != 10:
        raise ValueError(value)
    return date.fromisoformat(iso)
