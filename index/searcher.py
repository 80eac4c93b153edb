"""Query the hybrid index: BM25 + vectors fused by score (or RRF), exact matches pinned first."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from core.errors import KBError
from core.models import (
    LEVELS,
    SEARCH_MODES,
    Filters,
    Hit,
    SearchMode,
    SearchResult,
    Validity,
    hidden_levels,
    level_sees,
)
from core.text.coverage import coverage
from core.text.normalize import normalize_query
from core.text.plain_words import widened
from core.text.tables import row_support, table_rows
from index.embedders import Embedder
from index.exact import (
    parse_exact,
    pinned_chunks,
    section_article,
    strip_names,
    target_docs,
)
from index.fusion import rrf, score_fusion
from index.passages import chunk_of, passages
from index.store import IndexStore, index_text
from index.tokenize import Tokenizer

Fusion = Literal["minmax", "zscore", "rrf"]
# Passages fetched per wanted chunk. A long chunk has up to 4 windows plus itself, but
# its passages rarely all rank high together: at depth 50, 150 passages gave 50
# distinct chunks for each of 100 corpus questions.
PASSAGES_PER_CHUNK = 3
# A figure asked of a table (决算表/预算/栏 … 多少): see Searcher._table_rerank.
_TABLE_QUERY = re.compile(r"(?:表|栏|科目|决算|预算|经费|支出|收入).{0,30}?(?:多少|几|是多少)")
TABLE_RERANK = 30
NOT_IN_FORCE = 0.8  # score factor of a passage whose document was repealed or replaced
EXPIRED = 0.95  # … whose document expired or is not yet in force
_PLAIN = (".txt", ".md")


def _format_rank(chunk) -> int:
    return 0 if chunk.source.lower().endswith(_PLAIN) else 1
TABLE_BONUS = 2.5  # real_table: hit@5 0.40 → 0.75 (1.0: 0.65, 1.5: 0.70)


@dataclass
class Weights:
    """How the bm25 and vector lists are fused (chosen by `kb eval`, see evals/README.md).

    Default: each list's scores min-max normalised and summed, weighted by the
    query's lexical confidence (how much of it the best BM25 chunk contains):
    bm25 gets lex**sharpness, vector (1 - lex)**sharpness, each plus `adaptive`.
    `fusion="rrf"` gives plain reciprocal rank fusion instead.
    """

    bm25: float = 1.0
    vector: float = 1.0
    depth: int = 50  # candidates taken from each retriever
    fusion: Fusion = "minmax"
    adaptive: float | None = 0.0  # None = fixed weights
    sharpness: float = 2.0
    rrf_k: int = 60


class Searcher:
    """An index loaded into memory for fast repeated queries."""

    def __init__(self, store: IndexStore, tokenize: Tokenizer,
                 embedder_factory: Callable[[], Embedder], *,
                 weights: Weights | None = None) -> None:
        snap = store.snapshot(tokenize)
        self.store = store
        self.docs = snap.docs
        # chunk_id -> Chunk, made when read (index.chunktable); BM25 rows in the same order.
        self.chunks = snap.chunks
        self._bm25 = snap.bm25
        self._row_doc = snap.chunks.row_docs()
        self.tokenize = tokenize
        self._embedder_factory = embedder_factory
        self._embedder: Embedder | None = None
        self.weights = weights or Weights()
        self.validity: dict[str, Validity] = {}
        # A view for a viewer's level (visible_to) shares the index and the embedder.
        self._base = self
        self._max_level: str | None = None
        self._views: dict[str, Searcher] = {}
        self._window: int | None = None

    def set_validity(self, validity: dict[str, Validity]) -> None:
        """The validity of each document (the service layer computes it): hits from a
        document not in force rank below the in-force ones, and `--status` filters."""
        self.validity = validity
        self._views = {}

    def visible_to(self, max_level: str | None) -> Searcher:
        """This index as a viewer of `max_level` may see it (None: the whole index).

        The view's `docs` and `chunks` hold only documents at or below that level, and
        each of its searches is restricted to them in the query itself: BM25 rows are
        masked and vectors filtered by their `visibility` metadata before the top k.
        The answer step reads `docs`/`chunks` as well (documents a question names, the
        cases of an issue, nearest titles), so it is handed the view.
        """
        if not hidden_levels(max_level) or max_level == self._max_level:
            return self
        base = self._base
        assert max_level is not None
        if (view := base._views.get(max_level)) is not None:
            return view
        view = copy.copy(base)
        view.docs = {d: doc for d, doc in base.docs.items()
                     if level_sees(max_level, doc.visibility)}
        view.chunks = base.chunks.subset(view.docs)
        view._max_level = max_level
        view._views = {}
        base._views[max_level] = view
        return view

    def _scoped(self, filters: Filters | None) -> Filters | None:
        """`filters` with this view's level added (the lower of the two wins)."""
        if self._max_level is None:
            return filters
        f = filters or Filters()
        levels = [lv for lv in (f.max_level, self._max_level) if lv in LEVELS]
        return replace(f, max_level=min(levels, key=LEVELS.index))

    def status(self, doc_id: str) -> Validity | None:
        return self.validity.get(doc_id)

    @property
    def embedder(self) -> Embedder:
        base = self._base  # views load no model of their own
        if base._embedder is None:
            base._embedder = base._embedder_factory()
        return base._embedder

    def _allowed(self, filters: Filters | None) -> set[str] | None:
        if filters is None or not filters.active:
            return None
        if filters.statuses and filters.validity is None:
            filters = replace(filters, validity=self.validity)
        return {d for d, doc in self.docs.items() if filters.allows(doc)}

    def bm25_ranking(self, tokens: list[str], k: int,
                     allowed: set[str] | None) -> list[tuple[str, float]]:
        scores = self._bm25.scores(tokens)
        if not len(scores):
            return []
        if allowed is not None:
            scores = np.where(self._row_mask(allowed), scores, 0.0)
        n = min(k, int((scores > 0).sum()))
        if n == 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._bm25.ids[i], float(scores[i])) for i in top]

    def _row_mask(self, allowed: set[str]) -> np.ndarray:
        """BM25 rows of the `allowed` documents. The masks of the last few sets are kept:
        a viewer's level gives the same set query after query (about 10 ms per query to
        rebuild at 100k chunks)."""
        key = frozenset(allowed)
        cache = self._base.__dict__.setdefault("_masks", {})
        mask = cache.get(key)
        if mask is None:
            mask = np.fromiter((d in allowed for d in self._row_doc), bool, len(self._row_doc))
            if len(cache) >= 8:
                try:  # several threads may trim at once
                    cache.pop(next(iter(cache)), None)
                except (StopIteration, RuntimeError):
                    pass
            cache[key] = mask
        return mask

    def lexical_confidence(self, tokens: list[str], chunk_id: str) -> float:
        """Share of the query's IDF mass that the best BM25 chunk contains (0..1).

        High when the user typed the document's own words (a quiz line, a 文号),
        low for a question in the user's own words, where the dense vectors do better.
        """
        terms = {t: self.idf(t) for t in set(tokens)}
        return coverage(terms, set(self.tokenize(index_text(self.chunks[chunk_id]))))

    def vector_ranking(self, query: str, k: int, allowed: set[str] | None,
                       hidden: tuple[str, ...] = ()) -> list[tuple[str, float]]:
        """Nearest chunks; `hidden` visibility levels are excluded by Chroma's `where`."""
        if not self.chunks:
            return []
        qv = self.embedder.embed_queries([query])[0]
        doc_ids = None if allowed is None else sorted(allowed)
        if hidden and allowed is not None and len(allowed) == self._visible_count(hidden):
            doc_ids = None  # only visibility restricts: the metadata filter says it all
        # A long chunk has several passages (index.passages); its score is its best one's.
        got = self.store.query_vectors(qv, k * PASSAGES_PER_CHUNK, doc_ids, hidden=hidden)
        best: dict[str, float] = {}
        for vid, sim in got:
            cid = chunk_of(vid)
            # A killed ingest can leave vectors the docstore does not know: never return
            # them; nor a chunk outside `allowed` (a vector with stale metadata).
            if cid in self.chunks and cid not in best and (
                    allowed is None or self.chunks[cid].doc_id in allowed):
                best[cid] = sim
        return list(best.items())[:k]

    def nearest_similarity(self, vector: np.ndarray) -> float | None:
        """Cosine of the stored passage nearest to a query vector among those this view
        may read (None for an empty index): how near the index comes to the question."""
        if not self.chunks:
            return None
        got = self.store.query_vectors(vector, 1, None, hidden=hidden_levels(self._max_level))
        return float(got[0][1]) if got else None

    def passage_ranking(self, vector: np.ndarray, chunk_ids: Sequence[str]
                        ) -> list[tuple[str, int, int]]:
        """The embedded passages (`index.passages`) of these chunks, the nearest to a
        query vector first, as (chunk id, start, end): where in a long chunk the
        embedder found the question. The stored vectors are reused, nothing is embedded."""
        wanted = {c for c in chunk_ids if c in self.chunks}
        if not wanted:
            return []
        window = self._window_chars()
        docs = sorted({self.chunks[c].doc_id for c in wanted})
        # The query asks for all passages of these documents (k), so those of the wanted
        # chunks are all among the results.
        spans: dict[str, tuple[str, int, int]] = {}
        k = 0
        for chunk in self.chunks.of_docs(docs):
            ps = passages(chunk, window)
            k += len(ps)
            if chunk.chunk_id in wanted:
                spans.update((p.vector_id, (chunk.chunk_id, p.start, p.end)) for p in ps)
        got = self.store.query_vectors(vector, k, docs)
        return [spans[vid] for vid, _ in got if vid in spans]

    def _window_chars(self) -> int:
        """The window size the index was embedded with (recorded by the ingest)."""
        base = self._base
        if base._window is None:
            raw = self.store.docstore.get_setting("chunking")
            base._window = int(json.loads(raw).get("window_chars", 0)) if raw else 0
        return base._window

    def _visible_count(self, hidden: tuple[str, ...]) -> int:
        return sum(1 for d in self._base.docs.values() if d.visibility not in hidden)

    def normalize(self, text: str) -> str:
        """The query normalisation the index applies (NFKC, radicals, spaces)."""
        return normalize_query(text)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over all chunks."""
        return self._bm25.idf(token)

    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        """Rank chunks for `query`; hits are 1-based ranked with fused scores."""
        return self.search_detail(query, k, mode, filters).hits

    def search_detail(self, query: str, k: int = 10, mode: SearchMode = "hybrid",
                      filters: Filters | None = None) -> SearchResult:
        """Like `search`, also returning the pinned exact matches and what the query names
        that the index lacks."""
        if mode not in SEARCH_MODES:
            raise KBError(f"检索方式应为 {', '.join(SEARCH_MODES)} 之一，实际为 {mode!r}")
        q = normalize_query(query).strip()
        if not q:
            return SearchResult([])
        filters = self._scoped(filters)
        hidden = hidden_levels(filters.max_level) if filters is not None else ()
        if filters is not None and filters.max_level is not None and not hidden:
            filters = replace(filters, max_level=None)  # the highest level sees everything
        allowed = self._allowed(filters)
        # The retrievers also see the full forms of short names (人大常委会 → 人民代表大会
        # 常务委员会) and the official terms for everyday words (考察期 → 预备期); exact
        # matching keeps the words as typed.
        wide = widened(q)
        tokens = self.tokenize(wide)
        fused = self._fuse(wide, tokens, mode, max(self.weights.depth, k), allowed, hidden)
        pinned: list[str] = []
        missing: list[str] = []
        if mode == "hybrid":
            if _TABLE_QUERY.search(q):
                fused = self._table_rerank(tokens, fused)
            fused, pinned, missing = self._apply_exact(q, fused, allowed, hidden)
        fused = self._prefer_in_force(fused, set(pinned))
        fused = self._collapse_copies(fused)
        hits = []
        token_set = list(dict.fromkeys(t for t in tokens if len(t) > 1 or not t.isascii()))
        for rank, (cid, score) in enumerate(fused[:k], start=1):
            c = self.chunks[cid]
            matched = tuple(t for t in token_set if t in c.text)
            hits.append(Hit(chunk=c, score=round(float(score), 6), rank=rank,
                            matched_terms=matched))
        return SearchResult(hits, tuple(pinned), tuple(missing))

    def _prefer_in_force(self, fused: list[tuple[str, float]], pinned: set[str]
                         ) -> list[tuple[str, float]]:
        """A passage of a repealed, superseded or expired document ranks below the in-force
        ones (its score × NOT_IN_FORCE or EXPIRED), unless the query named it verbatim."""
        if not self.validity:
            return fused
        out, demoted = [], False
        for cid, score in fused:
            v = self.validity.get(self.chunks[cid].doc_id)
            if v is not None and not v.in_force and cid not in pinned:
                # A text with a replacement yields to it; an expired one without one only
                # yields to an equally good text in force.
                score *= NOT_IN_FORCE if v.superseded_by else EXPIRED
                demoted = True
            out.append((cid, score))
        return sorted(out, key=lambda x: -x[1]) if demoted else fused

    def _collapse_copies(self, fused: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """One hit per passage text: the same document kept as .txt and .docx (or as a
        web page and its text) would fill the list twice. The group keeps its best rank
        and is shown by its plain-text copy, the one a converter altered least."""
        # Equal scores (two copies with the same text and title) put the plain copy first.
        ranked = sorted(fused, key=lambda x: (-round(x[1], 9), _format_rank(self.chunks[x[0]])))
        groups: dict[str, list[tuple[str, float]]] = {}
        for cid, score in ranked:
            groups.setdefault(self.chunks[cid].text, []).append((cid, score))
        out = []
        for members in groups.values():  # dicts keep first-seen (rank) order
            plain = [cid for cid, _ in members if _format_rank(self.chunks[cid]) == 0]
            out.append((plain[0] if plain else members[0][0], members[0][1]))
        return out

    def _table_rerank(self, tokens: list[str], fused: list[tuple[str, float]]
                      ) -> list[tuple[str, float]]:
        """For a figure asked of a table, lift the chunks whose table rows name it.

        A budget table's rows repeat the item names of the narrative 情况说明 beside
        them, and the narrative, with more of the question's words, ranks first; but the
        asked cell sits in a row. Among the top TABLE_RERANK chunks, each gets
        TABLE_BONUS × the share of the question's IDF mass its best row covers.
        """
        head = fused[:TABLE_RERANK]
        if not head:
            return fused
        terms = {t: self.idf(t) for t in set(tokens) if len(t) >= 2}
        top = head[0][1] or 1.0
        rescored = []
        for cid, score in head:
            chunk = self.chunks[cid]
            best = row_support(terms, chunk.title, table_rows(chunk.text))
            rescored.append((cid, score / top + TABLE_BONUS * best))
        rescored.sort(key=lambda x: -x[1])
        # The rest keep their order, on the same scale (below every re-ranked chunk).
        return rescored + [(cid, score / top) for cid, score in fused[TABLE_RERANK:]]

    def _fuse(self, q: str, tokens: list[str], mode: SearchMode, depth: int,
              allowed: set[str] | None, hidden: tuple[str, ...] = ()
              ) -> list[tuple[str, float]]:
        """The retrievers `mode` names, fused (see `Weights`)."""
        named: dict[str, list[tuple[str, float]]] = {}
        weights: list[float] = []
        if mode in ("hybrid", "bm25"):
            named["bm25"] = self.bm25_ranking(tokens, depth, allowed)
            weights.append(self.weights.bm25)
        if mode in ("hybrid", "vector"):
            named["vector"] = self.vector_ranking(q, depth, allowed, hidden)
            weights.append(self.weights.vector)
        if self.weights.adaptive is not None and len(named) == 2 and named["bm25"]:
            lex = self.lexical_confidence(tokens, named["bm25"][0][0])
            a, g = self.weights.adaptive, self.weights.sharpness
            weights = [weights[0] * (a + lex**g), weights[1] * (a + (1.0 - lex) ** g)]
        if self.weights.fusion == "rrf":
            return rrf([[c for c, _ in r] for r in named.values()], weights,
                       k=self.weights.rrf_k)
        return score_fusion(list(named.values()), weights, method=self.weights.fusion)

    def _apply_exact(self, q: str, fused: list[tuple[str, float]], allowed: set[str] | None,
                     hidden: tuple[str, ...] = ()
                     ) -> tuple[list[tuple[str, float]], list[str], list[str]]:
        """Pin verbatim matches first, then chunks of documents the query names.

        Also reports what the query names that the index lacks (for refusal).
        """
        eq = parse_exact(q)
        if not (eq.doc_nos or eq.titles or eq.phrases):
            return fused, [], []
        docs = [d for d in self.docs.values() if allowed is None or d.doc_id in allowed]
        known = {d.meta.doc_no for d in docs}
        missing = [n for n in eq.doc_nos if n not in known]
        targets = target_docs(eq, docs)
        # Only the named documents and those containing a quoted phrase can pin a chunk.
        with_phrase = {self.chunks.doc_of(c) for p in eq.phrases for c in self.chunks.containing(p)}
        candidates = self.chunks.of_docs(set(targets) | with_phrase)
        pinned = [c for c in pinned_chunks(eq, targets, candidates)
                  if allowed is None or self.chunks[c].doc_id in allowed]
        if targets and eq.articles:
            have = {section_article(c.section) for c in self.chunks.of_docs(targets)}
            missing += [f"第{n}条" for n in eq.articles if n not in have]
        if not pinned and not targets:
            return fused, [], missing
        top = fused[0][1] if fused else 1.0
        head = [(cid, top + 1.0 - i * 1e-3) for i, cid in enumerate(pinned)]
        seen = set(pinned)
        tset = set(targets)
        rest = [(c, s) for c, s in fused if c not in seen and self.chunks[c].doc_id not in tset]
        in_target: list[tuple[str, float]] = []
        if tset:
            # The 文号 or 《title》 has chosen the documents; what else the query says
            # chooses the passage. Ranked by the full query, the title and 文号 words
            # would favour the opening chunk, which carries them once more.
            rem = strip_names(q).strip()
            rem_tokens = self.tokenize(rem) if rem else []
            if rem_tokens:
                ranked = [c for c, _ in self._fuse(rem, rem_tokens, "hybrid", 50, tset,
                                                   hidden)]
            else:
                # Nothing but the name: the document itself, from its beginning.
                ranked = [c.chunk_id for c in self.chunks.of_docs(tset)]
            in_target = [(c, top + 0.5 - i * 1e-3) for i, c in enumerate(ranked)
                         if c not in seen]
        return head + in_target + rest, pinned, missing
