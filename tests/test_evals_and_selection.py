"""Evaluation metrics, question sets and gold location; answer selection; filters; fusion
through a real (tiny) index built with the lexical "hash" embedder."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from answer.candidates import AskSettings, Candidate, candidates, question_terms, select
from answer.compose import verify
from core.errors import KBError
from core.models import Chunk, DocMeta, DocType, Document, Filters, Hit
from core.text.normalize import normalize_query
from evals.gold import Copies, GoldLocator, cited, relevant, resolve
from evals.metrics import first_relevant, hit_at, mrr_at, ndcg_at, summarize
from evals.sets import QUESTIONS_DIR, EvalSet, Gold, Question, corpus_set
from tests.conftest import MEASURE, ROOT, SPEECH

KINDS = {"fact", "paraphrase", "docno", "article", "table", "pdf", "cross", "two_part",
         "unanswerable"}
QUERY = "党务干部每年参加集中培训不少于多少学时"
ARTICLE3 = "第三条 党务干部每年参加集中培训不少于40学时，其中党的理论教育不少于16学时。"


# ---------------------------------------------------------------- evals/metrics.py


def test_first_relevant():
    assert first_relevant([False, False, True, True]) == 3
    assert first_relevant([True]) == 1
    assert first_relevant([False, False]) is None
    assert first_relevant([]) is None


def test_hit_at():
    assert hit_at([False, True], 1) == 0.0
    assert hit_at([False, True], 2) == 1.0
    assert hit_at([False, True], 10) == 1.0
    assert hit_at([True], 0) == 0.0
    assert hit_at([], 5) == 0.0


def test_mrr_at():
    assert mrr_at([False, False, True], 10) == pytest.approx(1 / 3)
    assert mrr_at([False, False, True], 2) == 0.0  # beyond the cut-off
    assert mrr_at([True, True], 10) == 1.0
    assert mrr_at([False, True, True], 10) == 0.5  # only the first relevant counts
    assert mrr_at([], 10) == 0.0


def test_ndcg_single_gold():
    assert ndcg_at([1.0], 10, 1) == 1.0
    assert ndcg_at([0.0, 1.0, 0.0], 10, 1) == pytest.approx(1 / math.log2(3))
    assert ndcg_at([0.0, 0.0, 1.0], 2, 1) == 0.0  # beyond k


def test_ndcg_needs_every_gold():
    # two golds at ranks 1 and 3: (1 + 1/log2 4) / (1 + 1/log2 3)
    want = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at([1.0, 0.0, 1.0], 10, 2) == pytest.approx(want)
    assert ndcg_at([1.0, 1.0], 10, 2) == pytest.approx(1.0)
    # only one of two golds found at rank 1: 1 / (1 + 1/log2 3)
    assert ndcg_at([1.0, 0.0], 10, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # the ideal is capped at k: needing 5 golds, two perfect results at k=2 score 1
    assert ndcg_at([1.0, 1.0, 0.0], 2, 5) == pytest.approx(1.0)


def test_ndcg_edge_cases():
    assert ndcg_at([], 10, 1) == 0.0
    assert ndcg_at([1.0], 10, 0) == 0.0  # nothing to find: no ideal, no score
    assert ndcg_at([1.0], 0, 1) == 0.0


def test_summarize_means_float_metrics():
    rows = [{"id": "a", "hit@1": 1.0, "mrr@10": 0.5, "rank": 1},
            {"id": "b", "hit@1": 0.0, "mrr@10": 1.0, "rank": 3}]
    assert summarize(rows) == {"hit@1": 0.5, "mrr@10": 0.75, "n": 2}
    thirds = summarize([{"m": 1.0}, {"m": 0.0}, {"m": 0.0}])
    assert thirds == {"m": 0.3333, "n": 3}
    assert summarize([]) == {}


# ---------------------------------------------------------------- evals/sets.py


def _raw_rows() -> list[dict]:
    rows = []
    for path in sorted(QUESTIONS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def test_contracts_document_the_kinds():
    text = (ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    m = re.search(r'"kind":\s*"([a-z_|]+)"', text)
    assert m, "docs/CONTRACTS.md no longer documents the question kinds"
    assert set(m.group(1).split("|")) == KINDS


def test_corpus_set_loads_every_question():
    rows = _raw_rows()
    es = corpus_set()
    assert es.name == "corpus" and es.index == "corpus"
    assert len(rows) > 100
    assert len(es.questions) == len(rows)
    for r in rows:
        assert {"id", "question", "kind"} <= set(r), r


def test_corpus_questions_are_well_formed():
    es = corpus_set()
    ids = [q.qid for q in es.questions]
    assert len(ids) == len(set(ids)), "duplicate question ids"
    kinds = {q.kind for q in es.questions}
    assert kinds <= KINDS, kinds - KINDS
    assert {"fact", "paraphrase", "cross", "unanswerable"} <= kinds
    for q in es.questions:
        assert q.qid and q.question.strip(), q
        assert (q.kind == "unanswerable") == (not q.answerable), q.qid
        if q.kind == "cross":
            assert len(q.golds) >= 2, q.qid
            assert len(set(q.golds)) == len(q.golds), q.qid
        for g in q.golds:
            assert g.doc and g.text, q.qid
            assert 10 <= len(g.text) <= 80, (q.qid, g.text)


def test_unanswerable_rows_have_null_doc_and_gold():
    for r in _raw_rows():
        if r["kind"] == "unanswerable":
            assert r.get("doc") is None and r.get("gold") is None, r["id"]


@pytest.fixture(scope="module")
def corpus_docs() -> dict[str, Document]:
    from ingest.files import build_document

    docs = {}
    for f in sorted((ROOT / "corpus").rglob("*")):
        if not f.is_file() or f.name.endswith(".meta.json") or f.name.startswith("."):
            continue
        d = build_document(f, "x")
        docs[d.doc_id] = d
    return docs


def test_every_corpus_gold_is_verbatim_in_its_document(corpus_docs):
    es = corpus_set()
    loc = GoldLocator(corpus_docs)
    not_found = []
    for q in es.questions:
        for g in q.golds:
            ids = loc.doc_ids(g.doc)
            assert len(ids) == 1, (q.qid, g.doc, ids)
            text = corpus_docs[ids[0]].text
            if normalize_query(g.text).strip() not in text:
                not_found.append((q.qid, g.text))
        got = resolve(q, loc, normalize_query)
        assert len(got) == len(q.golds), q.qid
        for did, (start, end) in got:
            assert start < end <= len(corpus_docs[did].text)
    assert not_found == []
    assert loc.missing == []


def test_real_sets_absent_without_realdocs(tmp_path, monkeypatch):
    import evals.sets as sets

    monkeypatch.setattr(sets, "REALDOCS", tmp_path / "no_realdocs")
    assert sets.real_sets() == []
    assert [s.name for s in sets.all_sets()] == [
        "corpus", "corpus_offtopic_blind", "corpus_unanswerable_blind"]


def test_real_sets_load(realdocs):
    from evals.sets import REAL_QUESTIONS, real_sets

    sets = real_sets()
    names = [s.name for s in sets]
    assert names[:3] == ["aligned", "handwritten", "gz"]
    own = sorted(p.stem for p in REAL_QUESTIONS.glob("*.jsonl") if p.stem != "paraphrase")
    if (REAL_QUESTIONS / "paraphrase.jsonl").is_file():
        own.insert(0, "paraphrase")
    assert names[3:] == [f"real_{stem}" for stem in own]
    all_ids = []
    for es in sets:
        assert es.index == "realdocs"
        assert es.questions, es.name
        for q in es.questions:
            assert q.question.strip() and q.kind, q
            # only our own real_unanswerable questions lack a gold
            assert q.answerable == (q.kind != "unanswerable"), q.qid
            for g in q.golds:
                assert g.doc
                if es.name == "gz":
                    assert g.doc.startswith("documents.json#doc") and g.text is None
                else:
                    assert g.text and g.text.strip(), q.qid
            all_ids.append(q.qid)
    assert len(all_ids) == len(set(all_ids))


# ---------------------------------------------------------------- evals/gold.py

DOC_TEXT = ("示例市级机关党务干部培训管理办法\n"
            "第三条 党务干部每年参加集中培训不少于40学时，其中党的理论教育不少于16学时。\n"
            "第四条 新任党支部书记应当在任职后三个月内参加岗前培训。")


def _doc(doc_id="d1", source="/data/measures/pm99_peixun.txt", text=DOC_TEXT, **meta) -> Document:
    meta.setdefault("title", "示例办法")
    return Document(doc_id=doc_id, source=source, text=text, meta=DocMeta(**meta),
                    content_hash="x")


def _loc() -> GoldLocator:
    return GoldLocator({"d1": _doc(), "d2": _doc("d2", "/other/doc_7.txt", "另一份文件的正文。")})


def test_span_exact_substring():
    loc = _loc()
    gold = "党务干部每年参加集中培训不少于40学时"
    start, end = loc.span("d1", gold, normalize_query)
    assert DOC_TEXT[start:end] == gold
    # the gold is normalised like a query first: full-width digits become ASCII
    assert loc.span("d1", "不少于４０学时", normalize_query) == (
        DOC_TEXT.index("不少于40学时"), DOC_TEXT.index("不少于40学时") + len("不少于40学时"))


def test_span_ignores_punctuation_and_spaces():
    loc = _loc()
    # re-typed evidence: ASCII comma and a space instead of "，", quotes around it
    sp = loc.span("d1", "“党务干部每年参加集中培训不少于40学时, 其中党的理论教育”", normalize_query)
    assert sp is not None
    assert DOC_TEXT[sp[0]:sp[1]] == "党务干部每年参加集中培训不少于40学时，其中党的理论教育"
    sp = loc.span("d1", "不少于16学时第四条", normalize_query)  # across "。\n" and a space
    assert sp is not None and DOC_TEXT[sp[0]:sp[1]] == "不少于16学时。\n第四条"


def test_span_absent():
    loc = _loc()
    assert loc.span("d1", "党务干部每年参加集中培训不少于56学时", normalize_query) is None
    assert loc.span("d1", "，。", normalize_query) is None  # nothing left after stripping
    assert loc.span("d1", None, normalize_query) is None


def test_doc_ids_by_stem_path_and_documents_json():
    loc = _loc()
    assert loc.doc_ids("pm99_peixun") == ["d1"]
    assert loc.doc_ids("measures/pm99_peixun.txt") == ["d1"]
    assert loc.doc_ids("documents.json#doc_7") == ["d2"]
    assert loc.doc_ids("pm00_absent") == []


def test_resolve_skips_golds_not_found():
    loc = _loc()
    q = Question("q1", "?", "cross", (Gold("pm99_peixun", "其中党的理论教育不少于16学时"),
                                      Gold("doc_7", None),
                                      Gold("pm99_peixun", "不在文中的一句话而已"),
                                      Gold("absent_stem", "其中党的理论教育")))
    got = resolve(q, loc, normalize_query)
    i = DOC_TEXT.index("其中党的理论教育不少于16学时")
    assert got == [("d1", (i, i + len("其中党的理论教育不少于16学时"))), ("d2", None)]
    assert loc.missing == []
    lost = Question("q2", "?", "fact", (Gold("pm99_peixun", "不在文中的一句话而已"),))
    assert resolve(lost, loc, normalize_query) == []
    unans = Question("q3", "?", "unanswerable", ())
    assert resolve(unans, loc, normalize_query) == []
    assert loc.missing == ["q2"]


def _chunk(doc_id="d1", start=0, end=10, cid=None, text=None) -> Chunk:
    return Chunk(chunk_id=cid or f"{doc_id}:{start}", doc_id=doc_id, source=f"/{doc_id}.txt",
                 title="t", doc_type=DocType.POLICY, section=(), pages=(), start=start, end=end,
                 text=text if text is not None else "x" * (end - start))


def test_relevant_by_overlap():
    golds = [("d1", (20, 30)), ("d2", None), ("d1", (50, 60))]
    assert relevant(_chunk("d1", 25, 40), golds) == 0
    assert relevant(_chunk("d1", 0, 21), golds) == 0
    assert relevant(_chunk("d1", 29, 55), golds) == 0  # first gold wins
    assert relevant(_chunk("d1", 0, 20), golds) is None  # touching is not overlapping
    assert relevant(_chunk("d1", 30, 50), golds) is None
    assert relevant(_chunk("d1", 55, 70), golds) == 2
    assert relevant(_chunk("d2", 0, 5), golds) == 1  # whole-document gold
    assert relevant(_chunk("d3", 20, 30), golds) is None
    assert relevant(_chunk("d1", 20, 30), []) is None



class _Chunks(dict):
    """The lookups `Copies` makes of a chunk table."""

    def __init__(self, *chunks: Chunk) -> None:
        super().__init__((c.chunk_id, c) for c in chunks)

    def of_docs(self, doc_ids):
        return [c for c in self.values() if c.doc_id in set(doc_ids)]


def test_a_copy_of_the_gold_document_holds_the_gold_passage():
    body = "第十七条 长护险费用按以下比例支付：3级待遇的由长护险基金按90%的比例支付。"
    page = "广州市医疗保障局关于印发长期护理保险试行办法的通知\n" + body
    docs = {
        "html": _doc("html", "/gz/32_长护险.html", page, title="长期护理保险试行办法"),
        # the page kept as text, titled otherwise: found by its identical chunk
        "txt": _doc("txt", "/gz_docs/doc_33.txt", body, title="广州市长期护理保险试行办法"),
        # the same law as .docx, its chunks cut elsewhere: found by its title
        "docx": _doc("docx", "/derived/32.docx", "前言\n" + body, title="长期护理保险试行办法"),
        # another document quoting the rule within other words is not a copy
        "other": _doc("other", "/news.txt", "（转载）" + body + "。", title="政策解读"),
    }
    at = len(page) - len(body)
    chunks = _Chunks(_chunk("html", at, len(page), text=body),
                     _chunk("txt", 0, len(body), text=body),
                     _chunk("docx", 0, len(body) + 3, text="前言\n" + body),
                     _chunk("other", 0, len(body) + 5, text=docs["other"].text))
    i = body.index("3级待遇")
    golds = [("html", (at + i, len(page)))]
    copied = Copies(docs, chunks).of(golds)
    assert sorted(d for d, _ in copied[0]) == ["docx", "txt"]
    assert relevant(chunks["txt:0"], golds, copied) == 0
    assert relevant(chunks["txt:0"], golds) is None  # without the copies: the old rule
    assert relevant(chunks["docx:0"], golds, copied) == 0
    assert relevant(chunks["other:0"], golds, copied) is None
    # A quote from a copy is credited where it overlaps the gold inside the copy.
    assert cited("txt", i, len(body), golds, copied) == {0}
    assert cited("txt", 0, 5, golds, copied) == set()
    assert cited("docx", 3 + i, 3 + i + 4, golds, copied) == {0}
    assert cited("other", 4 + i, 4 + len(body), golds, copied) == set()
    # A whole-document gold has no passage to copy.
    assert Copies(docs, chunks).of([("html", None)]) == [[]]


# ---------------------------------------------------------------- answer.compose.select


_OFFSET = iter(range(0, 10**6, 100))


def _cand(text: str, score: float, doc_id: str = "A", rank: int = 1) -> Candidate:
    # Each made-up unit gets its own span: select() also drops units that overlap.
    start = next(_OFFSET)
    hit = Hit(chunk=_chunk(doc_id, start, start + len(text), cid=f"{doc_id}-{text}", text=text),
              score=score, rank=rank)
    return Candidate(hit, start, start + len(text), text, score, score)


def _texts(cands) -> list[str]:
    return [c.text for c in cands]


def test_select_empty():
    assert select([], AskSettings()) == []


def test_select_keep_ratio_floor():
    cands = [_cand("第一句话说的是培训学时。", 1.0, "A"),
             _cand("第二句话说的是任期年限。", 0.6, "B"),
             _cand("第三句话说的是考核权重。", 0.5, "C")]
    s = AskSettings(keep_ratio=0.55, max_quotes=10, per_doc=10)
    assert _texts(select(cands, s)) == _texts(cands[:2])
    assert _texts(select(cands, AskSettings(keep_ratio=0.5, max_quotes=10))) == _texts(cands)
    assert _texts(select(cands, AskSettings(keep_ratio=0.9, max_quotes=10))) == _texts(cands[:1])


def test_select_max_quotes():
    cands = [_cand(f"第{n}句内容各不相同{n * 7}。", 1.0 - n / 100, doc) for n, doc in
             zip(range(1, 6), "ABCDE", strict=True)]
    assert _texts(select(cands, AskSettings(max_quotes=2))) == _texts(cands[:2])
    assert _texts(select(cands, AskSettings(max_quotes=4))) == _texts(cands[:4])


def test_select_per_doc_limit_skips_but_continues():
    cands = [_cand("甲文件的第一句话。", 1.0, "A"),
             _cand("甲文件的另一个说法。", 0.95, "A"),
             _cand("甲文件的第三种表述。", 0.9, "A"),
             _cand("乙文件里的一句话。", 0.85, "B")]
    s = AskSettings(per_doc=1, max_quotes=4, keep_ratio=0.5)
    assert _texts(select(cands, s)) == ["甲文件的第一句话。", "乙文件里的一句话。"]
    s = AskSettings(per_doc=2, max_quotes=4, keep_ratio=0.5)
    assert _texts(select(cands, s)) == _texts([cands[0], cands[1], cands[3]])


def test_select_drops_near_duplicates():
    # bigrams of 甲乙丙丁戊己 and 甲乙丙丁戊庚 share 4 of 6: Jaccard 0.667
    a, b = _cand("甲乙丙丁戊己", 1.0, "A"), _cand("甲乙丙丁戊庚", 0.9, "B")
    other = _cand("子丑寅卯辰巳", 0.8, "C")
    s = AskSettings(dup_jaccard=0.6, keep_ratio=0.5)
    assert _texts(select([a, b, other], s)) == ["甲乙丙丁戊己", "子丑寅卯辰巳"]
    s = AskSettings(dup_jaccard=0.7, keep_ratio=0.5)
    assert _texts(select([a, b, other], s)) == ["甲乙丙丁戊己", "甲乙丙丁戊庚", "子丑寅卯辰巳"]
    # a sentence contained in a chosen one is a duplicate whatever the threshold
    long = _cand("党务干部每年参加集中培训不少于40学时，其中理论教育不少于16学时。", 1.0, "A")
    part = _cand("党务干部每年参加集中培训不少于40学时", 0.9, "B")
    assert _texts(select([long, part], AskSettings(dup_jaccard=1.0))) == [long.text]


def test_select_dropped_duplicate_does_not_use_up_per_doc():
    cands = [_cand("甲乙丙丁戊己", 1.0, "A"),
             _cand("甲乙丙丁戊己庚", 0.95, "B"),  # contains the first: dropped
             _cand("子丑寅卯辰巳", 0.9, "B")]
    s = AskSettings(per_doc=1, keep_ratio=0.5)
    assert _texts(select(cands, s)) == ["甲乙丙丁戊己", "子丑寅卯辰巳"]


# ---------------------------------------------------------------- core.models.Filters


def test_filters_active():
    assert not Filters().active
    assert Filters(doc_types=("speech",)).active
    assert Filters(year_from=2020).active
    assert Filters(year_to=2020).active
    assert Filters(issuer="工委").active
    assert Filters(source_prefix="/data").active
    assert not Filters(issuer="", source_prefix="").active


def test_filters_doc_types():
    speech = _doc(doc_type=DocType.SPEECH)
    policy = _doc(doc_type="policy")
    assert Filters().allows(speech) and Filters().allows(policy)
    assert Filters(doc_types=("speech",)).allows(speech)
    assert not Filters(doc_types=("speech",)).allows(policy)
    assert Filters(doc_types=("policy", "speech")).allows(policy)


def test_filters_year_range():
    d2023 = _doc(date="2023-05-20")
    undated = _doc(date=None)
    assert Filters(year_from=2023).allows(d2023)
    assert not Filters(year_from=2024).allows(d2023)
    assert Filters(year_to=2023).allows(d2023)
    assert not Filters(year_to=2022).allows(d2023)
    assert Filters(year_from=2020, year_to=2025).allows(d2023)
    assert not Filters(year_from=2024, year_to=2025).allows(d2023)
    assert Filters().allows(undated)
    assert not Filters(year_from=2000).allows(undated)
    assert not Filters(year_to=2100).allows(undated)


def test_filters_issuer_and_source_prefix():
    d = _doc(issuer="中共示例市委市级机关工作委员会")
    assert Filters(issuer="市级机关工作委员会").allows(d)
    assert not Filters(issuer="市纪委").allows(d)
    assert not Filters(issuer="工委").allows(_doc(issuer=None))
    assert Filters(source_prefix="/data/measures/").allows(d)
    assert not Filters(source_prefix="/data/speeches/").allows(d)
    both = Filters(issuer="工作委员会", source_prefix="/data/speeches/")
    assert not both.allows(d)


# ---------------------------------------------------------------- a real tiny index


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from core.config import load_config
    from service.wiring import open_searcher, run_ingest

    folder = tmp_path_factory.mktemp("docs")
    (folder / "peixun_banfa.txt").write_text(MEASURE, encoding="utf-8")
    (folder / "qingnian_jianghua.txt").write_bytes(SPEECH.encode("gbk"))
    cfg = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=tmp_path_factory.mktemp("idx"))
    report = run_ingest(cfg, [folder], progress=False)
    assert len(report.added) == 2 and report.chunks > 2
    return cfg, folder, open_searcher(cfg)


@pytest.fixture(scope="module")
def searcher(tiny):
    return tiny[2]


def _is_article3(hit: Hit) -> bool:
    c = hit.chunk
    return c.section[-1:] == ("第三条",) and "不少于40学时" in c.text


@pytest.mark.parametrize("mode", ["bm25", "vector", "hybrid"])
def test_modes_find_article_3(searcher, mode):
    hits = searcher.search(QUERY, k=5, mode=mode)
    assert hits and _is_article3(hits[0]), [h.chunk.section for h in hits]
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len(searcher.search(QUERY, k=2, mode=mode)) == 2


def test_unknown_mode_is_refused(searcher):
    with pytest.raises(KBError):
        searcher.search(QUERY, mode="fuzzy")


@pytest.fixture(scope="module")
def reweighted(tiny):
    """A second searcher over the tiny index whose `weights` each test may set."""
    from service.wiring import open_searcher

    return open_searcher(tiny[0])


@pytest.mark.parametrize("fusion", ["rrf", "zscore", "minmax"])
def test_fusion_methods_through_searcher(reweighted, fusion):
    from index.fusion import rrf, score_fusion
    from index.searcher import Weights

    s = reweighted
    s.weights = Weights(fusion=fusion, adaptive=None)
    hits = s.search(QUERY, k=5)
    assert hits and _is_article3(hits[0])
    # the hybrid scores are exactly the named fusion of the two retrievers' lists
    q = normalize_query(QUERY).strip()
    tokens = s.tokenize(q)
    bm25 = s.bm25_ranking(tokens, s.weights.depth, None)
    vec = s.vector_ranking(q, s.weights.depth, None)
    assert bm25 and vec
    if fusion == "rrf":
        want = rrf([[c for c, _ in bm25], [c for c, _ in vec]], [1.0, 1.0], k=s.weights.rrf_k)
        assert hits[0].score == pytest.approx(2 / 61, abs=1e-6)  # rank 1 in both lists
    else:
        want = score_fusion([bm25, vec], [1.0, 1.0], method=fusion)
    assert [(h.chunk.chunk_id, h.score) for h in hits] == [
        (c, round(v, 6)) for c, v in want[:5]]
    # the default adaptive weights also work with each fusion
    s.weights = Weights(fusion=fusion)
    assert _is_article3(s.search(QUERY, k=3)[0])


@pytest.mark.parametrize("mode", ["bm25", "vector", "hybrid"])
def test_filters_restrict_hits(tiny, mode):
    _, folder, s = tiny
    speech = s.search(QUERY, k=10, mode=mode, filters=Filters(doc_types=("speech",)))
    assert speech and {h.chunk.doc_type for h in speech} == {DocType.SPEECH}
    y2024 = s.search(QUERY, k=10, mode=mode, filters=Filters(year_from=2024))
    assert y2024 and {h.chunk.doc_type for h in y2024} == {DocType.SPEECH}
    policy = s.search(QUERY, k=10, mode=mode,
                      filters=Filters(doc_types=("policy",), year_to=2023))
    assert policy and _is_article3(policy[0])
    assert {h.chunk.doc_type for h in policy} == {DocType.POLICY}
    prefix = s.search(QUERY, k=10, mode=mode,
                      filters=Filters(source_prefix=str(folder / "qingnian")))
    assert prefix and {Path(h.chunk.source).name for h in prefix} == {"qingnian_jianghua.txt"}
    issuer = s.search(QUERY, k=10, mode=mode, filters=Filters(issuer="市级机关工作委员会"))
    assert issuer and {h.chunk.doc_type for h in issuer} == {DocType.POLICY}
    assert s.search(QUERY, k=10, mode=mode, filters=Filters(issuer="不存在的单位")) == []
    assert s.search(QUERY, k=10, mode=mode, filters=Filters(year_to=2000)) == []


@pytest.mark.parametrize("mode", ["bm25", "vector", "hybrid"])
def test_empty_query_gives_no_hits(searcher, mode):
    for q in ("", "   ", "\u3000\n"):
        assert searcher.search(q, mode=mode) == []
        r = searcher.search_detail(q, mode=mode)
        assert r.hits == [] and r.pinned == () and r.missing == ()


def test_candidates_and_select_on_real_hits(searcher):
    hits = searcher.search(QUERY, k=5)
    s = AskSettings()
    cands = candidates(searcher, hits, question_terms(searcher, QUERY), s)
    assert cands
    scores = [c.score for c in cands]
    assert scores == sorted(scores, reverse=True)
    for c in cands:
        assert searcher.docs[c.hit.chunk.doc_id].text[c.start:c.end] == c.text
        assert len(c.text) >= s.min_sentence_chars
    chosen = select(cands, s)
    assert chosen and "不少于40学时" in chosen[0].text
    assert len(chosen) <= s.max_quotes


def _tiny_set() -> EvalSet:
    return EvalSet("tiny", "corpus", (
        Question("t-1", QUERY, "fact",
                 (Gold("peixun_banfa", "党务干部每年参加集中培训不少于40学时"),)),
        Question("t-2", "新任党支部书记应当在任职后多长时间内参加岗前培训", "paraphrase",
                 (Gold("peixun_banfa", "新任党支部书记应当在任职后三个月内参加岗前培训"),)),
        Question("t-3", "火星探测器的发射窗口是什么时候", "unanswerable", ()),
        # a gold in no document of the index: not counted as answerable
        Question("t-4", QUERY, "fact", (Gold("absent_doc", "党务干部每年参加集中培训"),)),
    ))


def test_eval_answers_on_tiny_set(tiny):
    from evals.answers import eval_answers
    from service.wiring import make_answerer

    cfg, _, s = tiny
    r = eval_answers(s, _tiny_set(), make_answerer(cfg))
    assert r["citations"] >= 2
    assert r["verified_rate"] == 1.0
    assert r["answerable"] == 2
    assert r["unanswerable"] == 1
    assert r["answer_hit_rate"] == 1.0
    assert r["false_refusals"] == 0
    assert r["refusal_recall"] == 1.0
    assert r["refusal_precision"] == 1.0


def test_eval_answers_counts_false_refusals(tiny):
    from evals.answers import eval_answers
    from service.wiring import make_answerer

    cfg, _, s = tiny
    es = EvalSet("tiny2", "corpus", (
        # answerable (whole-document gold) but worded so nothing matches: a false refusal
        Question("f-1", "火星探测器的发射窗口是什么时候", "fact", (Gold("peixun_banfa", None),)),
        Question("f-2", "月球基地的氧气储备有多少吨", "unanswerable", ()),
        Question("f-3", "海底隧道的设计时速是多少", "unanswerable", ()),
    ))
    r = eval_answers(s, es, make_answerer(cfg))
    assert r["answerable"] == 1 and r["unanswerable"] == 2
    assert r["false_refusals"] == 1
    assert r["answer_hit_rate"] == 0.0
    assert r["refusal_recall"] == 1.0
    assert r["refusal_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["citations"] == 0 and r["verified_rate"] == 1.0


def test_eval_retrieval_on_tiny_set(searcher):
    from evals.harness import eval_retrieval

    r = eval_retrieval(searcher, _tiny_set(), k=5)
    assert r["n_questions"] == 4
    assert r["missing_gold"] == ["t-4"]
    for mode in ("bm25", "vector", "hybrid"):
        assert r[mode]["n"] == 2
        assert r[mode]["hit@5"] == 1.0
        assert r["ranks"]["t-1"][mode] == 1
        assert r[mode]["ndcg@10"] > 0


def test_answer_citations_verify(tiny):
    from dataclasses import replace

    from service.wiring import make_answerer

    cfg, _, s = tiny
    a = make_answerer(cfg).ask(s, QUERY)
    assert not a.refused and a.citations
    c = a.citations[0]
    assert c.quote == ARTICLE3
    assert verify(c, s.docs[c.doc_id])
    assert not verify(replace(c, quote=c.quote.replace("40", "56")), s.docs[c.doc_id])
    assert not verify(replace(c, start=c.start + 1), s.docs[c.doc_id])


def test_select_drops_overlapping_units():
    whole = _cand("第六条 在职党员按照下列比例交纳党费：（一）……（二）……", 1.0)
    item = Candidate(whole.hit, whole.start + 20, whole.end, whole.text[20:], 0.9, 0.9, "item")
    other = _cand("第七条 离退休党员……", 0.8)
    assert _texts(select([whole, item, other], AskSettings(keep_ratio=0.5))) == [
        whole.text, other.text]
