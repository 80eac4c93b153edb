"""One searcher per serving process, loaded once and reopened when the index changes.

Used by the HTTP API (`kb serve`): every request asks `LiveSearcher.get()`, which compares
the index's generation (`service.wiring.index_generation`: the local token bumped by
each write under the writer lock — `kb ingest`, an upload, a removal, a repair — and, on a
Chroma server, the server's generation, asked at most every KB_CHROMA_CHECK_SECONDS)
with the one it loaded and reopens the index when it changed, as the Streamlit app does
(app/resources.py). The embedding model is loaded once
and kept across reloads. While one thread reopens, the others keep answering from the
previous searcher, so an ingest never makes queries wait or fail.
"""

from __future__ import annotations

import threading

from core.config import Config
from service.wiring import (
    embedder_factory,
    index_generation,
    open_searcher,
    warm_in_background,
)


class LiveSearcher:
    """The searcher of `config` as of the index's current generation (thread-safe)."""

    def __init__(self, config: Config, *, as_of=None) -> None:
        self.config = config
        self.as_of = as_of
        self._searcher = None
        self._token: str | None = None
        self._embedder = None
        self._reload = threading.Lock()
        self._model = threading.Lock()
        self.reloads = 0

    def embedder(self):
        """The embedding model, loaded once (shared by queries and uploads)."""
        with self._model:
            if self._embedder is None:
                self._embedder = embedder_factory(self.config)()
            return self._embedder

    def get(self):
        """The current searcher; raises IndexNotFoundError / StoreDamagedError (KBError)."""
        token = index_generation(self.config)
        current = self._searcher
        if current is not None and token == self._token:
            return current
        # Someone else is reopening: answer from the previous searcher meanwhile.
        if current is not None and not self._reload.acquire(blocking=False):
            return current
        if current is None:
            self._reload.acquire()
        try:
            if self._searcher is not None and index_generation(self.config) == self._token:
                return self._searcher
            token = index_generation(self.config)
            searcher = open_searcher(self.config, make_embedder=self.embedder,
                                     as_of=self.as_of)
            warm_in_background(searcher)  # HNSW for the many queries to come
            self._searcher, self._token = searcher, token
            self.reloads += 1
            return searcher
        finally:
            self._reload.release()

    def warm(self) -> None:
        """Open the index and load the model now, so the first request is fast."""
        searcher = self.get()
        if searcher.chunks:
            searcher.embedder  # noqa: B018 - loads the model
