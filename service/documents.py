"""Explicit writes on single documents: replacing an uploaded document, removing one.

Each runs under one hold of the writer lock and bumps the generation, so every reader
(the app in other sessions, a running `kb` process) reloads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.config import Config
from core.errors import KBError
from core.models import Document, User
from index.lock import bump_generation
from index.store import IndexStore
from service import audit
from service.accounts import require
from service.ingestion import IngestReport
from service.uploads import delete_upload, is_upload, save_upload
from service.wiring import make_tokenizer_for, run_ingest, writer_lock


def replace_upload(config: Config, doc_id: str, name: str, data: bytes, *,
                   embedder=None, on_wait: Callable[[str], None] | None = None,
                   user: User | None = None) -> IngestReport:
    """Ingest a new upload in place of the uploaded document `doc_id`.

    The old document and its file are removed only when the new file was read: a
    replacement that fails (unreadable, over a limit) leaves the old one as it was.
    The new file keeps the old document's visibility. `user` needs the upload right.
    """
    require(user, "upload")
    with writer_lock(config, on_wait=on_wait):
        old = _source_of(config, doc_id)
        if not is_upload(config, old):
            raise KBError("只有上传的文档可以在网页上替换；来自文件夹的文档请修改原文件后重新入库")
        level = _level_of(config, doc_id)
        new = save_upload(config, name, data)
        report = run_ingest(config, [new], progress=False, embedder=embedder,
                            visibility=level)
        new_id = report.doc_ids.get(str(new))
        if new_id is not None and new_id != doc_id:
            report.removed.extend(remove_documents(config, [doc_id]))
    return report


def remove_documents(config: Config, doc_ids: list[str], *,
                     user: User | None = None) -> list[str]:
    """Remove documents from the index (and uploaded files from the uploads folder).
    `user` needs the remove right; the removal is then written to the audit log."""
    require(user, "remove")
    if user is not None:
        audit.record(config, user, "remove", doc_ids=list(doc_ids))
    with writer_lock(config):
        store = IndexStore(config, create=True)
        try:
            sources = store.docstore.sources()
            gone = []
            for did in doc_ids:
                if did in sources:
                    store.remove_document(did)
                    delete_upload(config, sources[did])
                    gone.append(sources[did])
            if gone:
                store.snapshot(make_tokenizer_for(config))
                store.docstore.checkpoint()
                bump_generation(config.index_dir)
        finally:
            store.close()
    return gone


def document_for(docs: Mapping[str, Document], doc_id: str,
                 viewer: User | None = None) -> Document:
    """The document `doc_id` for the document viewer, if `viewer` may read it. A
    document above their level is reported exactly like a missing one."""
    doc = docs.get(doc_id)
    if doc is None or (viewer is not None and not viewer.sees(doc.visibility)):
        raise KBError(f"文档 {doc_id} 不存在，或当前账号无权查看")
    return doc


def _level_of(config: Config, doc_id: str) -> str | None:
    store = IndexStore(config, create=True, vectors=False)
    try:
        return store.docstore.visibilities().get(doc_id)
    finally:
        store.close()


def _source_of(config: Config, doc_id: str) -> str:
    store = IndexStore(config, create=True, vectors=False)
    try:
        source = store.docstore.sources().get(doc_id)
    finally:
        store.close()
    if source is None:
        raise KBError(f"文档 {doc_id} 不在索引中（可能已被删除或替换），请刷新页面")
    return source
