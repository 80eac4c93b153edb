"""Document management: find documents by id or path, remove them, read one again.

`kb remove` and the 文档 page use these; every write holds the writer lock (taken once,
re-entrant) and leaves docstore, vectors and BM25 consistent (service.documents).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.config import Config
from core.errors import KBError
from core.models import User
from index.store import IndexStore
from service.accounts import require
from service.documents import remove_documents
from service.ingestion import IngestReport
from service.wiring import run_ingest, writer_lock


@dataclass(frozen=True)
class Targets:
    """Documents named by ids or paths; names that matched nothing."""

    doc_ids: tuple[str, ...]
    sources: tuple[str, ...]
    unknown: tuple[str, ...]


def resolve(config: Config, names: Sequence[str]) -> Targets:
    """Each name is a document id (or a unique prefix of 6+ characters), a file's path
    (its document) or a folder's path (every document under it)."""
    store = IndexStore(config, vectors=False)
    try:
        sources = store.docstore.sources()
    finally:
        store.close()
    ids: dict[str, None] = {}
    unknown: list[str] = []
    for name in names:
        found = [name] if name in sources else []
        if not found and len(name) >= 6:
            found = [d for d in sources if d.startswith(name)]
            if len(found) > 1:
                raise KBError(f"文档编号前缀 {name} 对应多篇文档，请写完整编号")
        if not found:  # sources are absolute and resolved (links followed)
            ps = {Path(os.path.abspath(name)), Path(os.path.realpath(name))}
            found = [d for d, s in sources.items() if Path(s).is_absolute()
                     and any(Path(s) == p or Path(s).is_relative_to(p) for p in ps)]
        if found:
            ids.update(dict.fromkeys(found))
        else:
            unknown.append(name)
    return Targets(tuple(ids), tuple(sources[d] for d in ids), tuple(unknown))


def remove(config: Config, doc_ids: Sequence[str], *, wait: bool = True,
           on_wait: Callable[[str], None] | None = None,
           user: User | None = None) -> list[str]:
    """Remove documents from both stores (an uploaded file from the uploads folder too);
    returns their sources. `user` needs the remove right."""
    require(user, "remove")
    with writer_lock(config, wait=wait, on_wait=on_wait):
        return remove_documents(config, list(doc_ids), user=user)


def reingest(config: Config, doc_id: str, *, embedder=None,
             on_wait: Callable[[str], None] | None = None,
             user: User | None = None) -> IngestReport:
    """Read a document's file again, even when it did not change (after a rule change,
    or to redo its vectors). A file that is gone is reported, the document kept.
    `user` needs the upload right."""
    require(user, "upload")
    with writer_lock(config, on_wait=on_wait):
        store = IndexStore(config, create=True, vectors=False)
        try:
            source = store.docstore.sources().get(doc_id)
            if source is None:
                raise KBError(f"文档 {doc_id} 不在索引中（可能已被删除），请刷新页面")
            if not os.path.isfile(source):
                raise KBError(f"原文件已不在原处：{source}；文档保持不变")
            store.docstore.forget_hash(doc_id)
        finally:
            store.close()
        return run_ingest(config, [Path(source)], progress=False, embedder=embedder)
