"""Search and ask on behalf of a viewer: what they may read, and the audit entry.

The one place the interfaces (CLI, app, API) go through to query as somebody:
- the searcher is narrowed to the viewer's level (`Searcher.visible_to`) and the filters
  carry it (`viewer_filters`), so BM25 rows and vectors of documents above it are
  excluded in the query, before the top k, and the answer step never looks at them;
- the query is written to the audit log (service.audit) with what it returned.
`viewer=None` keeps the behaviour from before accounts existed: everything, no entry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from core.config import Config
from core.models import Answer, Document, Filters, Hit, SearchMode, User
from service import audit
from service.accounts import require, viewer_filters


def os_user() -> str:
    """The operating-system account running this process (audit detail of the CLI)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def scoped(searcher, viewer: User | None):
    """The searcher as `viewer` may see it (the searcher itself for None)."""
    return searcher if viewer is None else searcher.visible_to(viewer.level)


def search(config: Config, searcher, query: str, *, k: int = 5, mode: SearchMode = "hybrid",
           filters: Filters | None = None, viewer: User | None = None,
           via: str = "cli", **detail) -> list[Hit]:
    """Hits for `query` among the documents `viewer` may read; recorded in the audit log."""
    if viewer is None:
        return searcher.search(query, k=k, mode=mode, filters=filters)
    require(viewer, "search")
    hits = scoped(searcher, viewer).search(query, k=k, mode=mode,
                                          filters=viewer_filters(viewer, filters))
    audit.record(config, viewer, "search", query=query, k=k, mode=mode, hits=len(hits),
                 doc_ids=list(dict.fromkeys(h.chunk.doc_id for h in hits)), via=via, **detail)
    return hits


def ask(config: Config, searcher, answerer, question: str, *, filters: Filters | None = None,
        viewer: User | None = None, via: str = "cli", **detail) -> Answer:
    """An answer from the documents `viewer` may read; recorded in the audit log."""
    if viewer is None:
        return answerer.ask(searcher, question, filters=filters)
    require(viewer, "ask")
    answer = answerer.ask(scoped(searcher, viewer), question,
                          filters=viewer_filters(viewer, filters))
    audit.record(config, viewer, "ask", query=question, refused=answer.refused,
                 citations=[c.reference for c in answer.citations],
                 doc_ids=list(dict.fromkeys(c.doc_id for c in answer.citations)),
                 via=via, **detail)
    return answer


def visible_docs(docs: Mapping[str, Document], viewer: User | None) -> dict[str, Document]:
    """The documents of `docs` that `viewer` may read (all for None)."""
    if viewer is None:
        return dict(docs)
    return {d: doc for d, doc in docs.items() if viewer.sees(doc.visibility)}
