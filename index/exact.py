"""Exact matching for what users type verbatim: a 文号, 第X条 of a named document,
a phrase in quotes. Pure functions over the loaded documents and chunks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Chunk, Document, SectionPath
from core.text.docno import DOC_NO_RE, normalize_doc_no
from core.text.headings import ARTICLE_RE, article_number
from core.text.numerals import cn_to_int
from core.text.titles import TITLE_RE, title_matches

_QUOTE_RE = re.compile(r"[“\"「『]([^“”\"「」『』]{2,80})[”\"」』]")


@dataclass(frozen=True)
class ExactQuery:
    """What a query asks for verbatim."""

    doc_nos: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    articles: tuple[int, ...] = ()
    phrases: tuple[str, ...] = ()


def parse_exact(query: str) -> ExactQuery:
    """Find 文号, 《titles》, 第X条 and quoted phrases in a (normalised) query."""
    doc_nos = tuple(normalize_doc_no(m.group(0)) for m in DOC_NO_RE.finditer(query))
    titles = tuple(m.group(1) for m in TITLE_RE.finditer(query))
    arts = tuple(n for m in ARTICLE_RE.finditer(query) if (n := cn_to_int(m.group(1))))
    phrases = tuple(p for m in _QUOTE_RE.finditer(query) if len(p := m.group(1).strip()) >= 2)
    # Quotes mark a verbatim search only when they are (nearly) the whole query; Chinese
    # questions quote named initiatives all the time (“四个自信”指…), which BM25 handles.
    rest = _QUOTE_RE.sub("", query)
    if len(re.sub(r"\W", "", rest)) > sum(len(p) for p in phrases) // 2:
        phrases = ()
    return ExactQuery(doc_nos, titles, arts, phrases)


def strip_names(query: str) -> str:
    """The query without the 文号 and 《titles》 it names (what it asks of those documents)."""
    return TITLE_RE.sub(" ", DOC_NO_RE.sub(" ", query))


def target_docs(q: ExactQuery, docs: Sequence[Document]) -> list[str]:
    """Doc ids the query names by 文号 or 《title》."""
    out = []
    for d in docs:
        if (d.meta.doc_no and d.meta.doc_no in q.doc_nos) or any(
            title_matches(t, d.title) for t in q.titles
        ):
            out.append(d.doc_id)
    return out


def section_article(section: SectionPath) -> int | None:
    """The article number of the innermost 第X条 in a heading path, if any."""
    for label in reversed(section):
        if (n := article_number(label)) is not None:
            return n
    return None


def pinned_chunks(q: ExactQuery, targets: Sequence[str], chunks: Sequence[Chunk]) -> list[str]:
    """Chunk ids that match the query verbatim, to be ranked first.

    第X条 pins only inside documents the query names (an article number alone
    is ambiguous across documents); a quoted phrase pins any chunk containing it.
    """
    pinned: list[str] = []
    if q.articles and targets:
        tset = set(targets)
        for want in q.articles:
            pinned += [c.chunk_id for c in chunks
                       if c.doc_id in tset and section_article(c.section) == want]
    for phrase in q.phrases:
        pinned += [c.chunk_id for c in chunks if phrase in c.text]
    return list(dict.fromkeys(pinned))
