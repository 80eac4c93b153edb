"""Builds the pieces from a Config: the only place that knows how they fit together.

Used by the CLI, the Streamlit app, the evaluation harness and the benchmarks.
Heavy modules are imported inside the functions so that `kb search` starts fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from answer.answerer import Answerer
from core.config import Config
from index.embedders import Embedder


def make_tokenizer_for(config: Config):
    """The jieba tokenizer with the bundled and the configured user dictionaries."""
    from index.tokenize import make_tokenizer

    return make_tokenizer(config.user_dicts)


def embedder_factory(config: Config) -> Callable[[], Embedder]:
    """A zero-argument callable that loads the configured embedder when first needed."""

    def build() -> Embedder:
        from index.embedders import make_embedder

        return make_embedder(config.embed_model)

    return build


def open_searcher(config: Config, *, weights=None,
                  make_embedder: Callable[[], Embedder] | None = None, as_of=None):
    """Open the index at config.index_dir for querying, read-only.

    Raises IndexNotFoundError, or StoreDamagedError (one line with the repairing
    command) when a store is missing, damaged or foreign. `make_embedder` supplies the
    embedder when first needed (the app passes its cached model). The validity of every
    document on `as_of` (a date; default today) is computed here and handed to the
    searcher, which ranks what is in force first.
    """
    from index.searcher import Searcher
    from index.store import IndexStore
    from service.validity_cache import document_validity

    store = IndexStore(config)
    searcher = Searcher(store, make_tokenizer_for(config),
                        make_embedder or embedder_factory(config), weights=weights)
    searcher.set_validity(document_validity(store, searcher.docs, as_of))
    return searcher


def warm_in_background(searcher) -> None:
    """For a long-running process: load the vector index's HNSW in a daemon thread;
    queries use the memory-mapped mirror until it is ready (IndexStore.warm_vectors)."""
    import threading

    threading.Thread(target=searcher.store.warm_vectors, name="kb-warm-vectors",
                     daemon=True).start()


def make_answerer(config: Config) -> Answerer:
    """The answer step the configuration names (KB_ANSWERER; default extractive)."""
    from answer.answerer import make_answerer as build

    return build(config.answerer)


def writer_lock(config: Config, *, wait: bool = True,
                on_wait: Callable[[str], None] | None = None, timeout: float | None = None):
    """The index's writer lock (index.lock.WriterLock), to hold around every write."""
    from index.lock import WriterLock

    lock = WriterLock(config.index_dir, wait=wait, on_wait=on_wait, timeout=timeout)
    if not config.chroma.host:
        return lock
    from index.lease import SharedWriterLock  # one writer per knowledge base, any machine

    return SharedWriterLock(lock, config, wait=wait, on_wait=on_wait, timeout=timeout)


def index_generation(config: Config) -> str | None:
    """What changes whenever the index does: the local generation token and, on a Chroma
    server, the server's generation (asked at most every KB_CHROMA_CHECK_SECONDS).

    Readers that keep an index loaded (the app, an API) reload when it changes.
    """
    from index.lock import generation

    local = generation(config.index_dir)
    if not config.chroma.host:
        return local
    from index.remote import server_generation

    return f"{local}|{server_generation(config)}"


def run_ingest(config: Config, paths: Sequence[Path], *, rebuild: bool = False,
               progress: bool = True, embedder: Embedder | None = None, on_file=None,
               on_page=None, settings=None, wait: bool = True,
               on_wait: Callable[[str], None] | None = None,
               follow_links: bool = False, early_lexical: bool = False,
               visibility: str | None = None, user=None):
    """Ingest `paths` into the index at config.index_dir, creating it if needed.

    Runs under the writer lock (waiting for another writer, telling `on_wait` once, or
    raising IndexBusyError when `wait` is False). `rebuild` empties the index first and
    re-ingests the uploads folder with `paths`: uploads live outside the index and are
    never deleted. Readers learn of the change by the generation token.
    `early_lexical`: new documents are searchable by keyword before their vectors are
    done (service.ingestion.ingest).
    `visibility` (公开/内部): the level of the documents under `paths`, recorded for
    later runs, rebuilds and repairs (service.visibility); front matter still wins.
    `user` (a core.models.User; None = the operator): needs the upload right.
    `on_file(path, i, n)` after each file; `on_page(path, done, total)` after each page
    OCR recognised in a scan.
    """
    import os

    from index.lock import bump_generation
    from index.store import IndexStore
    from ingest.chunking import ChunkSettings
    from service.accounts import require
    from service.ingestion import ingest
    from service.uploads import migrate_legacy_uploads
    from service.visibility import check_level, resolver, set_folder_level

    require(user, "upload")
    paths = [Path(os.path.abspath(p)) for p in paths]
    if visibility is not None:
        visibility = check_level(visibility)
    with writer_lock(config, wait=wait, on_wait=on_wait):
        if visibility is not None:
            set_folder_level(config, paths, visibility)
        migrate_legacy_uploads(config)
        if rebuild:
            IndexStore.wipe(config.index_dir)
            if config.chroma.host:  # this knowledge base's documents, never another's
                from index.remote import wipe_remote

                wipe_remote(config)
            if config.uploads.is_dir():
                paths.append(config.uploads)
        store = IndexStore(config, create=True)
        try:
            if rebuild and config.chroma.host:
                store.vectors.delete_ids(store.vectors.all_ids())
            # Documents of the old upload folder are read from their new place (also when
            # an earlier run moved the files and then failed), and dropped only after that.
            legacy = store.sources_under(config.index_dir / "uploads")
            if legacy and config.uploads.is_dir() and config.uploads not in paths:
                paths.append(config.uploads)
            emb = embedder or embedder_factory(config)()
            tokenize = make_tokenizer_for(config)
            report = ingest(paths, store, emb, tokenize, settings or ChunkSettings(),
                            progress=progress, on_file=on_file, on_page=on_page,
                            limits=config.limits,
                            follow_links=follow_links, uploads=config.uploads,
                            early_lexical=early_lexical, level_of=resolver(config))
            if legacy:
                report.removed.extend(store.remove_under(config.index_dir / "uploads"))
                store.snapshot(tokenize)
            store.record_ingested([p for p in paths if p != config.uploads], replace=rebuild)
            store.docstore.checkpoint()
            if rebuild or report.changed or any(report.repaired):
                bump_generation(config.index_dir)
        finally:
            store.close()
    return report
