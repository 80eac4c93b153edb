"""Check an index directory part by part (`kb doctor`), without changing anything.

Each fault is one Chinese line, and says how it is repaired: `from_sources` (the
docstore itself is lost or was built by other rules: re-read the source files),
`from_chunks` (vectors missing or damaged: embed the stored chunks again), `from_docstore`
(BM25: rebuilt from the stored tokens), or not at all by the doctor (another embedding
model: a configuration mistake, not damage).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from core.config import Config
from core.errors import KBError
from index.bm25 import BM25Index, bm25_matches, sample_rows
from index.docstore import DocStore
from index.embedders import recorded_name
from index.layout import DOCSTORE_NAME, read_ingested
from index.passages import chunk_of
from index.tokenize import dictionary_fingerprint
from index.vectors import VectorIndex

FROM_SOURCES = "from_sources"
FROM_CHUNKS = "from_chunks"
FROM_DOCSTORE = "from_docstore"
NOT_REPAIRABLE = ""


@dataclass(frozen=True)
class Fault:
    part: str  # 文档库 / 向量库 / BM25 / 设置
    message: str
    repair: str  # one of FROM_SOURCES, FROM_CHUNKS, FROM_DOCSTORE, NOT_REPAIRABLE


@dataclass
class Checkup:
    """What `examine` found: faults, counts, and notes that are not faults."""

    faults: list[Fault] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    docs: int = 0
    chunks: int = 0
    vectors: int = 0
    missing_vectors: list[str] = field(default_factory=list)  # doc ids
    orphan_vectors: set[str] = field(default_factory=set)
    vector_store_readable: bool = True

    @property
    def healthy(self) -> bool:
        return not self.faults

    def needs(self, repair: str) -> bool:
        return any(f.repair == repair for f in self.faults)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def examine(config: Config, chunking: dict | None = None) -> Checkup:
    """Every check of an index: docstore, settings, vectors, BM25, sources.

    `chunking` is the current ChunkSettings as a dict (asdict); when given, an index
    chunked with other settings is a fault.
    """
    up = Checkup()
    root = config.index_dir
    db = root / DOCSTORE_NAME
    if not db.is_file():
        if read_ingested(root):
            up.faults.append(Fault("文档库", f"文档库 {db} 不存在", FROM_SOURCES))
            return up
        raise KBError(f"索引不存在：{root}（缺少 {db}）；请先运行 `kb ingest 路径 --index {root}`")
    if db.stat().st_size == 0:
        up.faults.append(Fault("文档库", f"文档库 {db.name} 是空文件", FROM_SOURCES))
        return up
    try:
        ds = DocStore(db, readonly=True)
    except sqlite3.DatabaseError as exc:
        up.faults.append(Fault("文档库", f"文档库无法打开（{_short(exc)}）", FROM_SOURCES))
        return up
    try:
        if not _check_docstore(ds, config, chunking, up):
            return up
        by_doc = ds.chunk_ids_by_doc()
        ids = ds.chunk_ids()
        dict_fp = dictionary_fingerprint(config.user_dicts)
        sample = ds.tokens(dict_fp, sample_rows(ids))
    finally:
        ds.close()
    _check_vectors(config, by_doc, up)
    bm25 = BM25Index.load(root / "bm25")
    if bm25 is None:
        up.faults.append(Fault("BM25", "BM25 索引不存在或无法读取", FROM_DOCSTORE))
    elif not bm25_matches(bm25, ids, dict_fp, sample):
        up.faults.append(Fault("BM25", "BM25 索引与文档库的段落不一致（过期，或来自别的索引）",
                               FROM_DOCSTORE))
    return up


def _check_docstore(ds: DocStore, config: Config, chunking: dict | None, up: Checkup) -> bool:
    """Docstore integrity and settings; False when nothing further can be checked."""
    try:
        verdict = ds.quick_check()
        model = ds.get_setting("embed_model")
        have_chunking = ds.get_setting("chunking")
        up.docs, up.chunks = ds.counts()
        docs = {d.doc_id: d for d in ds.documents()}
        spans = ds.chunks(docs)
        sources = ds.sources()
    except (sqlite3.DatabaseError, KeyError, ValueError) as exc:
        up.faults.append(Fault("文档库", f"文档库内容无法读取（{_short(exc)}）", FROM_SOURCES))
        return False
    if verdict != "ok":
        up.faults.append(Fault("文档库", f"文档库完整性检查未通过（{verdict[:120]}）",
                               FROM_SOURCES))
        return False
    if model is None:
        up.faults.append(Fault("文档库", "文档库中没有建库记录（首次入库未完成？）", FROM_SOURCES))
        return False
    want = recorded_name(config.embed_model)
    if model != want:
        up.faults.append(Fault("设置", f"索引是用向量模型 {model!r} 建的，当前配置为 "
                                      f"{want!r}：请把 KB_EMBED_MODEL 设为建库时的模型",
                               NOT_REPAIRABLE))
        return False
    if chunking is not None and have_chunking not in (None, json.dumps(chunking, sort_keys=True)):
        up.faults.append(Fault("设置", "索引的切分参数与当前版本不同，需要按新规则重新切分",
                               FROM_SOURCES))
    bad = [c.chunk_id for c in spans if not 0 <= c.start < c.end <= len(docs[c.doc_id].text)]
    if bad:
        up.faults.append(Fault("文档库", f"{len(bad)} 个段落的位置超出所属文档", FROM_SOURCES))
    gone = [s for s in sources.values() if not _exists(s)]
    if gone:
        up.notes.append(f"{len(gone)} 篇文档的原文件已不在原处（修复文档库时无法重读它们）")
    return True


def _exists(source: str) -> bool:
    try:
        return Path(source).exists()
    except OSError:
        return False


def _check_vectors(config: Config, by_doc: dict[str, list[str]], up: Checkup) -> None:
    try:
        vectors = VectorIndex(config.chroma, config.index_dir / "chroma",
                              {"kb_embed_model": recorded_name(config.embed_model)},
                              create=False)
        in_vectors = vectors.all_ids()
        up.vectors = len(in_vectors)
    except KBError as exc:
        up.vector_store_readable = False
        up.faults.append(Fault("向量库", str(exc), FROM_CHUNKS))
        return
    except Exception as exc:  # chromadb reports damage in several types
        up.vector_store_readable = False
        up.faults.append(Fault("向量库", f"向量库无法读取（{_short(exc)}）", FROM_CHUNKS))
        return
    known = {cid for ids in by_doc.values() for cid in ids}
    up.orphan_vectors = {v for v in in_vectors if chunk_of(v) not in known}
    up.missing_vectors = [d for d, ids in by_doc.items() if not in_vectors.issuperset(ids)]
    if up.missing_vectors:
        up.faults.append(Fault("向量库", f"{len(up.missing_vectors)} 篇文档缺少向量",
                               FROM_CHUNKS))
    if up.orphan_vectors:
        up.faults.append(Fault("向量库", f"{len(up.orphan_vectors)} 个向量不属于任何段落"
                                        f"（中断的入库留下的）", FROM_CHUNKS))

