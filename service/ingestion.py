"""Incremental, restartable ingest of files and folders into an index.

Each file gets a content hash (its bytes, its sidecar's bytes and the pipeline
version): unchanged files are skipped, changed files replaced, files gone from
an ingested folder removed from both stores. A file that cannot be read is
reported by name with its reason and skipped; the job goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.errors import LoadError
from core.models import Chunk, Document
from index.embedders import Embedder
from index.passages import passages
from index.store import IndexStore
from index.tokenize import Tokenizer
from ingest.chunking import ChunkSettings, chunk_document
from ingest.files import build_document, check_chunks, content_hash, discover, doc_id_for

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

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def ingest(
    paths: Sequence[Path],
    store: IndexStore,
    embedder: Embedder,
    tokenize: Tokenizer,
    settings: ChunkSettings,
    *,
    progress: bool = True,
    on_file: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Bring the index in line with `paths` (files or folders, recursive)."""
    t0 = time.perf_counter()
    report = IngestReport()
    store.check_chunking(asdict(settings), embedder)
    report.repaired = store.reconcile()
    files, refused, roots = discover(paths)
    report.skipped.extend(refused)
    stored = store.docstore.hashes()

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", desc="ingest", dynamic_ncols=True)
    seen: set[str] = set()
    pending: list[tuple[Document, list[Chunk]]] = []

    def flush() -> None:
        # One embedding call for several small documents keeps the embedder's batches
        # full; each document is still written on its own (vectors first, docstore last).
        units = [[p for c in chunks for p in passages(c, settings.window_chars)]
                 for _, chunks in pending]
        te = time.perf_counter()
        vecs = embedder.embed_passages([p.embed_text for ps in units for p in ps])
        report.embed_seconds += time.perf_counter() - te
        at = 0
        for (doc, chunks), ps in zip(pending, units, strict=True):
            store.replace_document(doc, chunks, ps, vecs[at : at + len(ps)])
            at += len(ps)
            (report.updated if doc.doc_id in stored else report.added).append(doc.source)
            report.chunks += len(chunks)
        pending.clear()

    for i, path in enumerate(files):
        did = doc_id_for(path)
        seen.add(did)
        try:
            chash = content_hash(path)
            if stored.get(did) == chash:
                report.unchanged += 1
            else:
                doc = build_document(path, chash)
                chunks = chunk_document(doc, settings)
                check_chunks(doc, chunks)
                pending.append((doc, chunks))
                if sum(len(c) for _, c in pending) >= EMBED_BATCH:
                    flush()
        except LoadError as exc:
            report.skipped.append((str(path), exc.reason))
            if did in stored:
                # The file is now unreadable: drop its old entry rather than serve stale text.
                store.remove_document(did)
                report.removed.append(str(path))
        except OSError as exc:
            report.skipped.append((str(path), f"cannot read file ({exc.strerror or exc})"))
        if bar is not None:
            bar.set_postfix(chunks=report.chunks + sum(len(c) for _, c in pending),
                            skipped=len(report.skipped))
            bar.update(1)
        if on_file is not None:
            on_file(str(path), i + 1, len(files))
    if pending:
        flush()
    if bar is not None:
        bar.close()

    # A stored file that no longer exists is removed when this run covered it:
    # it lay under an ingested folder or was named explicitly.
    resolved_roots = [r.resolve() for r in roots]
    named = {Path(p).resolve() for p in paths}
    for did, source in store.docstore.sources().items():
        sp = Path(source).resolve()
        if did in seen or sp.exists():
            continue
        if sp in named or any(sp.is_relative_to(r) for r in resolved_roots):
            store.remove_document(did)
            report.removed.append(source)

    if report.changed or any(report.repaired):
        store.snapshot(tokenize)  # rebuilds and saves BM25 for the new chunk set
    report.seconds = time.perf_counter() - t0
    return report
