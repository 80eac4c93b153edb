"""`kb doctor --repair`: rebuild what can be rebuilt, under the writer lock.

- docstore lost, damaged or chunked by other rules: it is moved aside (kept as
  `docstore.sqlite.damaged-<time>` for inspection) and the index is rebuilt from the
  source files: the folders and files ever named to an ingest (`ingested.json`), the
  sources still readable from the damaged docstore, and the uploads folder;
- vectors missing or damaged: the stored chunks are embedded again (no source needed);
  a damaged embedded store is deleted and created anew first;
- BM25: rebuilt from the docstore's chunks.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from core.config import Config
from index.doctor import FROM_CHUNKS, FROM_DOCSTORE, FROM_SOURCES, Checkup, examine
from index.embedders import Embedder
from index.layout import DOCSTORE_NAME, read_ingested
from index.lock import bump_generation
from index.passages import passages
from index.store import IndexStore
from ingest.chunking import ChunkSettings
from service.wiring import embedder_factory, make_tokenizer_for, run_ingest, writer_lock


def repair(config: Config, *, embedder: Embedder | None = None, wait: bool = True,
           on_wait: Callable[[str], None] | None = None,
           settings: ChunkSettings | None = None) -> list[str]:
    """Repair the index at config.index_dir; returns what was done (Chinese lines)."""
    settings = settings or ChunkSettings()
    with writer_lock(config, wait=wait, on_wait=on_wait):
        up = examine(config, asdict(settings))
        if up.healthy:
            return []
        emb = embedder or embedder_factory(config)()
        if up.needs(FROM_SOURCES):
            return [_rebuild_from_sources(config, emb, settings)]
        done: list[str] = []
        if up.needs(FROM_CHUNKS):
            done.append(_reembed(config, up, emb, settings))
        if up.needs(FROM_DOCSTORE) or up.needs(FROM_CHUNKS):
            store = IndexStore(config, create=True)
            try:
                snap = store.snapshot(make_tokenizer_for(config))
                store.docstore.checkpoint()
            finally:
                store.close()
            done.append(f"BM25 索引已按文档库重建（{len(snap.chunks)} 个段落）")
        bump_generation(config.index_dir)
        return done


def _salvage_sources(db: Path) -> list[Path]:
    """Source paths still readable from a damaged docstore (row by row)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return []
    found: list[Path] = []
    try:
        for (source,) in con.execute("SELECT source FROM documents"):
            found.append(Path(source))
    except sqlite3.DatabaseError:
        pass  # the rows before the damage are kept
    finally:
        con.close()
    # Indexes made before issue 10 stored the path as typed: relative to where `kb ingest`
    # ran, most likely here; only paths that exist are re-read, so a wrong guess reads nothing.
    return [p if p.is_absolute() else Path.cwd() / p for p in found]


def _rebuild_from_sources(config: Config, emb: Embedder, settings: ChunkSettings) -> str:
    root = config.index_dir
    db = root / DOCSTORE_NAME
    named = read_ingested(root)
    salvaged = _salvage_sources(db) if db.is_file() else []
    if db.is_file():
        aside = db.with_name(f"{DOCSTORE_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.move(str(db), aside)
    covered = [p for p in named if p.exists()]
    extra = [p for p in salvaged if p.exists() and not any(p.is_relative_to(c) for c in covered)]
    paths = covered + extra
    # rebuild=True wipes the vectors and BM25 too (their ids belong to the lost
    # docstore) and adds the uploads folder.
    report = run_ingest(config, paths, rebuild=True, progress=False, embedder=emb,
                        settings=settings)
    return (f"文档库已按原文件重建：入库 {len(report.added)} 篇，跳过 {len(report.skipped)} 个"
            f"（读取了 {len(paths)} 个入库路径及上传文件夹）")


def _reembed(config: Config, up: Checkup, emb: Embedder, settings: ChunkSettings) -> str:
    """Embed stored chunks again: all of them when the store was damaged, else the missing."""
    store = IndexStore(config, create=True, vectors=False)
    try:
        damaged = not up.vector_store_readable
        if damaged and not config.chroma.host:
            shutil.rmtree(config.index_dir / "chroma", ignore_errors=True)
        store.vectors = store.open_vectors()
        store.vectors_rewritten()
        if damaged and config.chroma.host:
            store.vectors.delete_ids(store.vectors.all_ids())
        if up.orphan_vectors and not damaged:
            store.vectors.delete_ids(up.orphan_vectors)
        snap_docs = {d.doc_id: d for d in store.docstore.documents()}
        chunks = store.docstore.chunks(snap_docs)
        redo = set(snap_docs) if damaged else set(up.missing_vectors)
        by_doc: dict[str, list] = {}
        for c in chunks:
            if c.doc_id in redo:
                by_doc.setdefault(c.doc_id, []).append(c)
        n = 0
        for did, cs in by_doc.items():
            ps = [p for c in cs for p in passages(c, settings.window_chars)]
            vecs = emb.embed_passages([p.embed_text for p in ps]) if ps else None
            store.vectors.delete_doc(did)
            if ps:
                store.vectors.add(ps, vecs)
            n += len(ps)
    finally:
        store.close()
    what = "向量库已重建" if damaged else "已补齐缺少的向量"
    return f"{what}：{len(by_doc)} 篇文档、{n} 个向量（由文档库中的段落重新向量化）"
