"""Visibility 公开/内部 (issue 15): a 公开 viewer never receives an 内部 document's text —
in search (three modes), ask, the document viewer, the quote basket, exports and the case
catalog — while an 内部 viewer does; the filter acts before the top k."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import load_config
from core.errors import ConfigError, KBError, PermissionDenied
from core.models import LEVELS, Citation, Filters, User
from service import audit, baskets
from service.baskets import Basket, BasketItem
from service.documents import document_for
from service.editorial import Workspace
from service.queries import ask, search
from service.wiring import make_answerer, open_searcher, run_ingest
from tests.conftest import FAKE_ENV
from tests.editorial_docs import LAJI_FENLEI, QINGNIAN_DUSHU

PUBLIC_DOC = """关于党费交纳工作的通知

各党支部：党员应当按月交纳党费，党费交纳比例按照本人工资收入确定，由党支部按月收缴。
"""
# Written so that it ranks first for QUERY in every mode: its words repeat the query's.
INTERNAL_DOC = """党费交纳比例内部掌握细则

党费交纳比例内部掌握：党费交纳比例的内部掌握标准为月收入的百分之一点五，党费交纳比例另行通知。
"""
FRONT_MATTER_DOC = """---
title: 前置内部说明
visibility: 内部
---
前置说明：党费交纳比例的前置内部口径，仅供机关党委掌握。
"""
SIDECAR_DOC = "旁注内部材料\n\n旁注材料：党费交纳比例的旁注内部测算。\n"
QUERY = "党费交纳比例"
SECRET_MARKS = ("内部掌握", "前置内部口径", "旁注内部测算", "青年读书会")
PUBLIC = User("张三", "reader", "公开")
INTERNAL = User("李四", "reader", "内部")


@pytest.fixture(scope="module")
def kb(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("vis")
    pub, inn = root / "pub", root / "inn"
    pub.mkdir()
    inn.mkdir()
    (pub / "tongzhi.txt").write_text(PUBLIC_DOC, encoding="utf-8")
    (pub / "qianzhi.md").write_text(FRONT_MATTER_DOC, encoding="utf-8")
    (pub / "pangzhu.txt").write_text(SIDECAR_DOC, encoding="utf-8")
    (pub / "pangzhu.txt.meta.json").write_text('{"visibility": "内部"}', encoding="utf-8")
    (pub / "laji_fenlei.txt").write_text(LAJI_FENLEI, encoding="utf-8")
    (inn / "xize.txt").write_text(INTERNAL_DOC, encoding="utf-8")
    (inn / "qingnian_dushu.txt").write_text(QINGNIAN_DUSHU, encoding="utf-8")
    config = load_config(FAKE_ENV, index_dir=root / "index")
    run_ingest(config, [pub], progress=False, embedder=embedder)
    run_ingest(config, [inn], progress=False, embedder=embedder, visibility="内部")
    searcher = open_searcher(config, make_embedder=lambda: embedder)
    return config, searcher, root


def _internal_ids(searcher) -> set[str]:
    return {d for d, doc in searcher.docs.items() if doc.visibility == "内部"}


def _leaks(text: str) -> list[str]:
    return [m for m in SECRET_MARKS if m in text]


def test_levels_come_from_folder_front_matter_and_sidecar(kb):
    _, searcher, _ = kb
    level = {Path(d.source).name: d.visibility for d in searcher.docs.values()}
    assert level == {"tongzhi.txt": "公开", "laji_fenlei.txt": "公开", "qianzhi.md": "内部",
                     "pangzhu.txt": "内部", "xize.txt": "内部", "qingnian_dushu.txt": "内部"}
    # Every vector carries its document's level in Chroma's metadata.
    got = searcher.store.vectors._collection.get(include=["metadatas"])
    by_doc = {m["doc_id"]: m["visibility"] for m in got["metadatas"]}
    assert by_doc == {d: doc.visibility for d, doc in searcher.docs.items()}


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "vector"])
def test_search_filters_before_top_k(kb, mode):
    config, searcher, _ = kb
    hidden = _internal_ids(searcher)
    # Unfiltered, an 内部 document ranks first ...
    top = searcher.search(QUERY, k=1, mode=mode)
    assert top and top[0].chunk.doc_id in hidden
    # ... so k=1 for a 公开 viewer only holds the 公开 document if the filter comes first.
    hits = search(config, searcher, QUERY, k=1, mode=mode, viewer=PUBLIC)
    assert [h.chunk.title for h in hits] == ["关于党费交纳工作的通知"]
    many = search(config, searcher, QUERY, k=20, mode=mode, viewer=PUBLIC)
    assert many and not {h.chunk.doc_id for h in many} & hidden
    assert not _leaks("".join(h.chunk.text for h in many))
    # The same through the filter alone (what `viewer_filters` adds).
    alone = searcher.search(QUERY, k=1, mode=mode, filters=Filters(max_level="公开"))
    assert [h.chunk.doc_id for h in alone] == [hits[0].chunk.doc_id]
    seen = search(config, searcher, QUERY, k=20, mode=mode, viewer=INTERNAL)
    assert hidden & {h.chunk.doc_id for h in seen}


def test_vector_query_filters_in_chroma(kb, embedder):
    _, searcher, _ = kb
    hidden = _internal_ids(searcher)
    qv = embedder.embed_queries([QUERY])[0]
    vectors = searcher.store.vectors
    nearest = vectors.query(qv, 1)
    assert searcher.chunks[nearest[0][0].split(":")[0]].doc_id in hidden
    (vid, _), = vectors.query(qv, 1, hidden=("内部",))
    assert searcher.chunks[vid.split(":")[0]].doc_id not in hidden


def test_exact_title_of_hidden_document_is_not_pinned(kb):
    config, searcher, _ = kb
    hits = search(config, searcher, "《党费交纳比例内部掌握细则》", k=5, viewer=PUBLIC)
    assert not _leaks("".join(h.chunk.text for h in hits))


def test_ask_answers_and_evidence_stay_within_level(kb):
    config, searcher, _ = kb
    answerer = make_answerer(config)
    hidden = _internal_ids(searcher)
    for q in ("党费交纳比例是多少", "《党费交纳比例内部掌握细则》规定的标准是多少",
              "旁注材料中党费交纳比例怎样测算"):
        a = ask(config, searcher, answerer, q, viewer=PUBLIC)
        # A refusal may repeat the title the question named (知识库中没有《…》): the
        # asker's own words, and the same answer as for a document that does not exist.
        said = a.answer.replace("《党费交纳比例内部掌握细则》", "")
        blob = said + "".join(c.quote + c.title + c.reference for c in a.citations)
        assert not _leaks(blob + "".join(a.nearest)), q
        assert not {c.doc_id for c in a.citations} & hidden
        assert not any("内部" in t for t in a.nearest)
    a = ask(config, searcher, answerer, "党费交纳比例的内部掌握标准是多少", viewer=INTERNAL)
    assert {c.doc_id for c in a.citations} & hidden
    # The plain answerer with the viewer's filters (what `kb serve` calls) is safe too.
    b = answerer.ask(searcher, "党费交纳比例的内部掌握标准是多少",
                     filters=Filters(max_level="公开"))
    assert not {c.doc_id for c in b.citations} & hidden
    assert not _leaks(b.answer + "".join(b.nearest))


def test_document_viewer(kb):
    _, searcher, _ = kb
    hidden = sorted(_internal_ids(searcher))
    shown = next(d for d in searcher.docs if d not in hidden)
    assert document_for(searcher.docs, shown, PUBLIC).doc_id == shown
    with pytest.raises(KBError) as refused:
        document_for(searcher.docs, hidden[0], PUBLIC)
    with pytest.raises(KBError) as missing:
        document_for(searcher.docs, "0" * 16, PUBLIC)
    # A hidden document is reported exactly like a missing one (its existence stays hidden).
    assert str(refused.value).replace(hidden[0], "X") == str(missing.value).replace("0" * 16, "X")
    assert document_for(searcher.docs, hidden[0], INTERNAL).visibility == "内部"
    view = searcher.visible_to("公开")
    assert not set(view.docs) & set(hidden)
    assert not {c.doc_id for c in view.chunks.values()} & set(hidden)


def _citation_of(searcher, title: str, phrase: str) -> Citation:
    doc = next(d for d in searcher.docs.values() if d.title == title)
    start = doc.text.index(phrase)
    return Citation(1, phrase, doc.doc_id, doc.source, doc.title, (), None, start,
                    start + len(phrase), f"《{doc.title}》")


def test_basket_owner_and_levels(kb, tmp_path):
    config, searcher, _ = kb
    folder = tmp_path / "baskets"
    levels = {d: doc.visibility for d, doc in searcher.docs.items()}
    secret = _citation_of(searcher, "党费交纳比例内部掌握细则", "内部掌握标准为月收入的百分之一")
    public = _citation_of(searcher, "关于党费交纳工作的通知", "党费交纳比例按照本人工资收入确定")
    assert levels[secret.doc_id] == "内部" and levels[public.doc_id] == "公开"
    bid = baskets.new_session_id()
    items = (BasketItem(public, "q1"), BasketItem(secret, "q2"))
    baskets.save(folder, Basket(bid, "讲话稿", items), viewer=INTERNAL)
    assert baskets.load(folder, bid).owner == "李四"
    # Another account can neither open nor overwrite it.
    with pytest.raises(PermissionDenied):
        baskets.load(folder, bid, viewer=PUBLIC, levels=levels)
    with pytest.raises(PermissionDenied):
        baskets.save(folder, Basket(bid, "讲话稿"), viewer=PUBLIC)
    with pytest.raises(PermissionDenied):
        baskets.delete(folder, bid, viewer=PUBLIC)
    assert len(baskets.load(folder, bid, viewer=INTERNAL, levels=levels).items) == 2
    # The owner lowered to 公开 sees only the 公开 quote, and exports only that.
    lowered = replace(INTERNAL, level="公开")
    mine = baskets.load(folder, bid, viewer=lowered, levels=levels)
    assert [i.citation.doc_id for i in mine.items] == [public.doc_id]
    md = baskets.export(config, items, "md", viewer=lowered, levels=levels).decode("utf-8")
    docx = baskets.export(config, items, "docx", viewer=lowered, levels=levels)
    assert public.quote in md and secret.quote not in md and not _leaks(md)
    assert not _leaks(_docx_text(docx))
    full = baskets.export(config, items, "md", viewer=INTERNAL, levels=levels).decode("utf-8")
    assert secret.quote in full
    last = audit.entries(config, user="李四", action="export")[-1]
    assert last.detail["doc_ids"] == [public.doc_id, secret.doc_id]
    # Named baskets: each account has its own names and list.
    baskets.save(folder, Basket(baskets.named_id("稿", "张三"), "稿"), viewer=PUBLIC)
    baskets.save(folder, Basket(baskets.named_id("稿", "李四"), "稿"), viewer=INTERNAL)
    assert [b.owner for b in baskets.named(folder, PUBLIC)] == ["张三"]
    assert [b.owner for b in baskets.named(folder, INTERNAL)] == ["李四"]


def _docx_text(data: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def test_case_catalog_and_finder(kb):
    config, searcher, _ = kb
    hidden = _internal_ids(searcher)
    full = Workspace(config, docs=searcher.docs).catalog()
    assert {c.doc_id for c in full.cases} & hidden  # the 内部 case study is a case
    for docs in (searcher.docs, None):
        ws = Workspace(config, docs=docs, viewer=PUBLIC)
        cases = ws.catalog().cases
        assert cases and not {c.doc_id for c in cases} & hidden
        assert not _leaks(json.dumps([c.to_dict() for c in cases], ensure_ascii=False))
        found = ws.find("青年干部读书学习", k=5, searcher=searcher)
        assert not {c.case.doc_id for c in found} & hidden
    ws = Workspace(config, docs=searcher.docs, viewer=INTERNAL)
    assert {c.doc_id for c in ws.catalog().cases} & hidden


def test_levels_survive_rebuild_and_follow_a_folder_change(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "xize.txt").write_text(INTERNAL_DOC, encoding="utf-8")
    config = load_config(FAKE_ENV, index_dir=tmp_path / "index")
    run_ingest(config, [folder], progress=False, embedder=embedder, visibility="内部")
    run_ingest(config, [folder], progress=False, embedder=embedder, rebuild=True)

    def levels():
        s = open_searcher(config, make_embedder=lambda: embedder)
        meta = s.store.vectors._collection.get(include=["metadatas"])["metadatas"]
        out = ({d.visibility for d in s.docs.values()}, {m["visibility"] for m in meta})
        s.store.close()
        return out

    assert levels() == ({"内部"}, {"内部"})  # the folder's level was remembered
    r = run_ingest(config, [folder], progress=False, embedder=embedder)
    assert r.unchanged == 1  # same file, same level: not read again
    r = run_ingest(config, [folder], progress=False, embedder=embedder, visibility="公开")
    assert len(r.updated) == 1
    assert levels() == ({"公开"}, {"公开"})  # docstore and every vector changed together


def test_bad_levels_are_refused(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("---\nvisibility: 机密\n---\n正文内容很短。\n", encoding="utf-8")
    config = load_config(FAKE_ENV, index_dir=tmp_path / "index")
    r = run_ingest(config, [folder], progress=False, embedder=embedder)
    assert r.skipped and "visibility" in r.skipped[0][1] and "机密" in r.skipped[0][1]
    with pytest.raises(KBError):
        run_ingest(config, [folder], progress=False, embedder=embedder, visibility="秘密")
    with pytest.raises(ConfigError):
        load_config({"KB_DEFAULT_VISIBILITY": "秘密"})


def test_default_visibility_is_configurable(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(PUBLIC_DOC, encoding="utf-8")
    config = load_config({**FAKE_ENV, "KB_DEFAULT_VISIBILITY": "内部"},
                         index_dir=tmp_path / "index")
    run_ingest(config, [folder], progress=False, embedder=embedder)
    s = open_searcher(config, make_embedder=lambda: embedder)
    assert {d.visibility for d in s.docs.values()} == {"内部"}
    assert search(config, s, QUERY, k=5, viewer=PUBLIC) == []
    assert LEVELS == ("公开", "内部")


def test_document_level_follows_its_stored_metadata():
    from core.models import DocMeta, Document

    stated = Document("d", "/x", "正文", DocMeta(title="t", visibility="内部"), "h")
    assert stated.visibility == "内部"  # rebuilt without the field: the metadata holds
    assert Document("d", "/x", "正文", DocMeta(title="t"), "h").visibility == "公开"
    odd = Document("d", "/x", "正文", DocMeta(title="t", visibility="绝密"), "h")
    assert not PUBLIC.sees(odd.visibility) and not INTERNAL.sees(odd.visibility)
