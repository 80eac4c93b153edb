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


def open_searcher(config: Config, *, weights=None):
    """Open the index at config.index_dir for querying (raises IndexNotFoundError)."""
    from index.searcher import Searcher
    from index.store import IndexStore

    store = IndexStore(config)
    return Searcher(store, make_tokenizer_for(config), embedder_factory(config), weights=weights)


def make_answerer(config: Config) -> Answerer:
    """The answer step the configuration names (KB_ANSWERER; default extractive)."""
    from answer.answerer import make_answerer as build

    return build(config.answerer)


def run_ingest(config: Config, paths: Sequence[Path], *, rebuild: bool = False,
               progress: bool = True, embedder: Embedder | None = None, on_file=None,
               settings=None):
    """Ingest `paths` into the index at config.index_dir, creating it if needed."""
    import shutil

    from index.store import IndexStore
    from ingest.chunking import ChunkSettings
    from service.ingestion import ingest

    if rebuild and config.index_dir.exists():
        shutil.rmtree(config.index_dir)
    store = IndexStore(config, create=True)
    if rebuild and config.chroma.host:
        store.vectors.delete_ids(store.vectors.all_ids())
    emb = embedder or embedder_factory(config)()
    return ingest(paths, store, emb, make_tokenizer_for(config), settings or ChunkSettings(),
                  progress=progress, on_file=on_file)
