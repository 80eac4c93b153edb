"""What the embedder sees of a chunk: windows of its sentences.

A chunk of 800 characters is one mean-pooled vector: a single fact in it is
diluted by everything around it, and a question about that fact ranks the chunk
low. So a chunk longer than one window is embedded as windows of whole sentences
(about `window_chars` each), and a chunk's vector score is its best window's.
Measured in evals/README.md: the vector retriever alone went from hit@5 0.705 to
0.826 on the quiz set, and hybrid MRR@10 on corpus/ from 0.724 to 0.749.

Until issue 16 such a chunk was also embedded whole, which embedded its text twice.
Without the whole-chunk vector (same run, all 434 answerable evaluation questions):
hybrid MRR@10 0.801 → 0.804 and answer hit 0.772 → 0.779, hybrid hit@5 0.926 → 0.912,
vector-only hit@5 0.823 → 0.795; the ingest embeds about 1.24× the text instead of
2.1× (evals/README.md). Indexes built before keep their whole-chunk vectors until
their documents are ingested again; both kinds are searched alike.

Every passage is stored under its own vector id; `chunk_of` maps it back. A chunk's
last passage carries the chunk id itself, and passages are written in order, so a
chunk whose own id is stored has all its windows stored too (`IndexStore.reconcile`).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Chunk
from core.text.sentences import split_sentences

_SEP = ":w"


@dataclass(frozen=True)
class Passage:
    """One embedded view of a chunk: a window of its sentences, or the whole chunk."""

    vector_id: str
    chunk: Chunk
    start: int  # offsets in the document, inside the chunk
    end: int

    @property
    def text(self) -> str:
        """The passage's span of the document."""
        c = self.chunk
        return c.text[self.start - c.start : self.end - c.start]

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the chunk's title and heading path, then the span
        (for a whole chunk, the same text as `index.store.index_text`)."""
        return f"{chunk_head(self.chunk)}\n{self.text}"


def chunk_head(chunk: Chunk) -> str:
    """A chunk's document title and heading path: words the span itself often lacks."""
    return chunk.title if not chunk.section else f"{chunk.title} {chunk.section_label}"


def chunk_of(vector_id: str) -> str:
    """The chunk a vector id belongs to."""
    return vector_id.split(_SEP, 1)[0]


def windows(chunk: Chunk, window_chars: int) -> list[tuple[int, int]]:
    """Spans (document offsets) of consecutive whole sentences, each up to about
    `window_chars` (a longer sentence is a window of its own)."""
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in split_sentences(chunk.text, chunk.start):
        if cur is None:
            cur = (s, e)
        elif e - cur[0] > window_chars:
            out.append(cur)
            cur = (s, e)
        else:
            cur = (cur[0], e)
    if cur is not None:
        out.append(cur)
    return out


def passages(chunk: Chunk, window_chars: int) -> list[Passage]:
    """The passages embedded for a chunk: its windows, or the whole chunk when it fits
    in one. The last one's vector id is the chunk id."""
    spans = windows(chunk, window_chars) if window_chars > 0 else []
    if len(spans) <= 1:
        return [Passage(chunk.chunk_id, chunk, chunk.start, chunk.end)]
    ids = [f"{chunk.chunk_id}{_SEP}{i}" for i in range(len(spans) - 1)] + [chunk.chunk_id]
    return [Passage(v, chunk, s, e) for v, (s, e) in zip(ids, spans, strict=True)]
