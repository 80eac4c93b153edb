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
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.config import IngestLimits
from core.errors import LoadError
from core.models import Chunk, Document
from index.embedders import Embedder
from index.passages import passages
from index.store import IndexStore
from index.tokenize import Tokenizer
from ingest.chunking import ChunkSettings
from ingest.files import content_hash, discover, doc_id_for, printable
from service.worker import FileReader, ReadAborted

EMBED_BATCH = 64  # chunks gathered across documents before one embedding call


@dataclass
class IngestReport:
    """What an ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    repaired: tuple[int, int] = (0, 0)
    doc_ids: dict[str, str] = field(default_factory=dict)  # source -> doc_id, files read

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
    limits: IngestLimits | None = None,
    follow_links: bool = False,
    uploads: Path | None = None,
) -> IngestReport:
    """Bring the index in line with `paths` (files or folders, recursive)."""
    t0 = time.perf_counter()
    limits = limits or IngestLimits()
    report = IngestReport()
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

        bar = tqdm(total=len(files), unit="file", desc="ingest", dynamic_ncols=True)
    seen: set[str] = set()
    pending: list[tuple[Document, list[Chunk], str]] = []

    def flush() -> None:
        # One embedding call for several small documents keeps the embedder's batches
        # full; each document is still written on its own (vectors first, docstore last).
        units = [[p for c in chunks for p in passages(c, settings.window_chars)]
                 for _, chunks, _ in pending]
        te = time.perf_counter()
        vecs = embedder.embed_passages([p.embed_text for ps in units for p in ps])
        report.embed_seconds += time.perf_counter() - te
        at = 0
        for (doc, chunks, label), ps in zip(pending, units, strict=True):
            store.replace_document(doc, chunks, ps, vecs[at : at + len(ps)], label)
            at += len(ps)
            (report.updated if doc.doc_id in stored else report.added).append(doc.source)
            report.doc_ids[doc.source] = doc.doc_id
            report.chunks += len(chunks)
        pending.clear()

    in_process = not (limits.file_seconds or limits.file_memory_mb)
    with FileReader(limits, in_process=in_process) as reader:
        for i, path in enumerate(files):
            did = doc_id_for(path)
            seen.add(did)
            label = label_for(path, roots, uploads)
            try:
                chash = content_hash(path)
                if stored.get(did) == chash:
                    report.unchanged += 1
                    report.doc_ids[str(path)] = did
                    if stored_sources.get(did) != str(path) or stored_labels.get(did) != label:
                        store.docstore.set_source(did, str(path), label)
                else:
                    doc, chunks = reader.read(path, chash, settings)
                    pending.append((doc, chunks, label))
                    if sum(len(c) for _, c, _ in pending) >= EMBED_BATCH:
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
            if bar is not None:
                bar.set_postfix(chunks=report.chunks + sum(len(c) for _, c, _ in pending),
                                skipped=len(report.skipped))
                bar.update(1)
            if on_file is not None:
                on_file(str(path), i + 1, len(files))
        if pending:
            flush()
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
        store.snapshot(tokenize)  # rebuilds and saves BM25 for the new chunk set
    report.seconds = time.perf_counter() - t0
    return report
