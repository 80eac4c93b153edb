"""What of a query to highlight in a passage (the search page, `kb search`'s output)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.text.docno import DOC_NO_RE, normalize_doc_no
from core.text.headings import ARTICLE_RE

_QUOTED = re.compile(r"[“\"'‘「『]([^”\"'’」』]{2,40})[”\"'’」』]")


def meaningful_terms(query: str, matched: Iterable[str]) -> list[str]:
    """What to highlight for `query`: matched words of two or more characters (a single
    character of the jieba split, 到 or 报, is not a match), plus the exact phrases, 文号
    and 第X条 the query names (in the form the documents write them)."""
    terms = [t for t in matched if len(t.strip()) >= 2]
    terms += [m.group(1) for m in _QUOTED.finditer(query)]
    terms += [normalize_doc_no(m.group(0)) for m in DOC_NO_RE.finditer(query)]
    terms += [m.group(0) for m in ARTICLE_RE.finditer(query)]
    return list(dict.fromkeys(terms))
