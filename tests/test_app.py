"""The Streamlit app, page by page, with streamlit.testing's AppTest on a real small index."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import basket
from app.render import answer_html, highlight_span, highlight_terms
from app.uploads import ALLOWED_SUFFIXES, reason_zh, rejection, safe_name
from core.models import Citation
from tests.appdocs import POLICY_TITLE, QUESTION, QUOTE_PART, REFERENCE_PART, build_index

# Real processes, app sessions or stores on disk: the `make test` tier, not `test-fast`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
TIMEOUT = 120  # the first run opens the index and loads the embedder

st_testing = pytest.importorskip("streamlit.testing.v1")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, embedder) -> Path:
    return build_index(tmp_path_factory.mktemp("appkb"), embedder=embedder)


@pytest.fixture()
def app(index_dir, monkeypatch):
    monkeypatch.setenv("KB_INDEX", str(index_dir))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _html(at) -> str:
    return "\n".join(h.proto.body for h in at.html)


def _page(at, path: str):
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _ask(at, question: str):
    at.text_input(key="ask-question").input(question)
    at.button[0].click().run()  # the form's 提问 button
    assert not at.exception, at.exception
    return at


def basket_items(folder: Path, basket_id: str = "s-0123456789ab") -> list[Citation]:
    from service import baskets

    return [i.citation for i in baskets.load(folder, basket_id).items]


def _citation(doc_text: str, doc_id: str, part: str, n: int, ref: str) -> Citation:
    start = doc_text.index(part)
    return Citation(n=n, quote=part, doc_id=doc_id, source="x.txt", title=POLICY_TITLE,
                    section=(), page=None, start=start, end=start + len(part), reference=ref)


# -- pages ------------------------------------------------------------------------------


def test_missing_index_explains_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_INDEX", str(tmp_path / "nothing"))
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    text = "\n".join(i.value for i in at.info)
    assert "尚未找到知识库索引" in text and "make run" in text and "kb ingest corpus" in text


def test_ask_shows_answer_quote_reference_and_jumps_to_document(app, index_dir):
    _ask(app, QUESTION)
    body = _html(app)
    assert QUOTE_PART in body and "[1]" in body
    assert any(REFERENCE_PART in e.label for e in app.expander)
    assert any(REFERENCE_PART in c.value for c in app.code)  # copyable reference
    assert "<mark" in body  # the quote is highlighted in its paragraph

    app.button(key="ask-cit-1-add").click().run()
    assert not app.exception
    from core.config import load_config
    from service import baskets

    folder = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index_dir).baskets
    saved = baskets.load(folder, app.session_state["basket-id"]).items
    assert saved[0].citation.reference.startswith(REFERENCE_PART)
    assert saved[0].question == QUESTION and saved[0].added  # kept with the quote
    assert app.query_params["basket"] == app.session_state["basket-id"]

    app.button(key="ask-cit-1-open").click().run()
    assert not app.exception
    assert app.title[0].value == "文档"
    body = _html(app)
    assert 'id="kb-focus"' in body and QUOTE_PART in body
    assert app.header[0].value == POLICY_TITLE


def test_ask_refuses_without_evidence(app):
    _ask(app, "足球世界杯冠军是谁")
    assert any("知识库中未找到相关依据" in w.value for w in app.warning)
    assert not app.expander or all("[" not in e.label for e in app.expander)


def test_search_shows_ranked_hits_with_highlights(app):
    _page(app, "views/search.py")
    app.text_input(key="search-query").input("红色驿站")
    app.button[0].click().run()
    assert not app.exception
    body = _html(app)
    assert ">红色驿站</mark>" in body  # adjacent matched terms share one highlight
    assert "来自" in "\n".join(c.value for c in app.caption)  # grouped by document


def test_search_floor_says_not_found_with_nearest_documents(app):
    _page(app, "views/search.py")
    app.text_input(key="search-query").input("区块链 元宇宙")
    app.button[0].click().run()
    assert not app.exception
    assert any("未找到相关内容" in w.value for w in app.warning)
    assert any("最相近的文档" in m.value for m in app.markdown)
    app.text_input(key="search-query").input("  ")
    app.button[0].click().run()  # an empty query: its warning, not the previous results
    assert [w.value for w in app.warning] == ["请输入检索词。"]


def test_document_page_shows_metadata_and_outline(app):
    _page(app, "views/documents.py")
    app.selectbox(key="docs-type").select("policy").run()
    assert not app.exception
    assert app.header[0].value == POLICY_TITLE
    body = _html(app)
    assert "示机工发〔2024〕5号" in body and "2024-02-18" in body
    assert "第二章 组织生活" in body and "第三条" in body  # the outline


def test_basket_reorders_removes_and_exports(app, index_dir):
    from core.config import load_config
    from service.wiring import open_searcher

    s = open_searcher(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index_dir))
    doc = next(d for d in s.docs.values() if d.title == POLICY_TITLE)
    first = _citation(doc.text, doc.doc_id, "每季度召开一次党员大会", 1, "《甲》第三条")
    second = _citation(doc.text, doc.doc_id, "民主评议党员", 2, "《甲》第四条")
    from service import baskets

    folder = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index_dir).baskets
    baskets.save(folder, baskets.Basket("s-0123456789ab", "本次会话", (
        baskets.BasketItem(first, "问一", "2026-12-01T10:00:00"),
        baskets.BasketItem(second, "问二", "2026-12-01T10:01:00"))))
    app.query_params["basket"] = "s-0123456789ab"
    _page(app, "views/basket.py")
    assert any("问题：问一" in c.value for c in app.caption)
    assert {b.label for b in app.download_button} == {"导出 Word（.docx）", "导出 Markdown"}
    preview = app.code[-1].value
    assert preview.index("每季度召开一次党员大会") < preview.index("民主评议党员")
    assert "引文出处" in preview and "[2] 《甲》第四条" in preview

    app.button(key=f"basket-down-{doc.doc_id}-{first.start}-{first.end}").click().run()
    quotes = [c.quote for c in basket_items(folder)]
    assert quotes == ["民主评议党员", "每季度召开一次党员大会"]
    assert "[1] 《甲》第四条" in app.code[-1].value

    app.button(key=f"basket-rm-{doc.doc_id}-{second.start}-{second.end}").click().run()
    assert [c.quote for c in basket_items(folder)] == ["每季度召开一次党员大会"]
    app.button(key=f"basket-rm-{doc.doc_id}-{first.start}-{first.end}").click().run()
    assert any("引文篮是空的" in i.value for i in app.info)


def test_ingest_page_uploads_reports_and_makes_searchable(tmp_path, monkeypatch):
    index = tmp_path / "fresh"
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_MAX_UPLOAD_MB", "1")
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _page(at, "views/ingest.py")
    notice = ("关于开展机关读书月活动的通知\n\n"
              "各党支部要在四月组织读书分享会，每名党员至少读一本书。\n")
    at.file_uploader[0].set_value([
        ("读书月通知.txt", notice.encode("utf-8"), "text/plain"),
        ("太大.txt", b"x" * (1024 * 1024 + 10), "text/plain"),
        ("空白.md", b"  \n", "text/markdown"),
    ]).run()
    at.button[0].click().run()  # 开始入库
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["新增"] == "1" and metrics["跳过"] == "2"
    reasons = at.dataframe[0].value.to_dict("records")
    assert {r["文件"] for r in reasons} == {"太大.txt", "空白.md"}
    assert any("超过上限 1 MB" in r["原因"] for r in reasons)
    uploads = tmp_path / "fresh-uploads"  # beside the index: a rebuild keeps it
    kept = list(uploads.glob("*/*"))
    assert [p.name for p in kept] == ["读书月通知.txt"]
    assert not (index / "uploads").exists()

    _page(at, "views/search.py")  # the cached searcher was reset: the new file is found
    at.text_input(key="search-query").input("读书分享会")
    at.button[0].click().run()
    assert "分享</mark>" in _html(at) and any("读书月" in m.value for m in at.markdown)


# -- helpers behind the pages ------------------------------------------------------------


def test_highlighting_escapes_and_prefers_longer_terms():
    assert highlight_span("a<b>c", 1, 4).count("<mark") == 1
    assert "&lt;b&gt;" in highlight_span("a<b>c", 1, 4)
    html = highlight_terms("青年干部和青年", ["青年", "青年干部"])
    assert html.count("<mark") == 2 and "青年干部</mark>" in html
    assert highlight_terms("红色驿站", ["红色", "驿站"]).count("<mark") == 1
    assert "<sup" in answer_html("原文。[1]") and "[1]" in answer_html("原文。[1]")


def test_basket_helpers_keep_order_and_skip_duplicates():
    state: dict = {}
    a = Citation(1, "甲", "d", "s", "t", "", None, 0, 1, "《t》")
    b = Citation(2, "乙", "d", "s", "t", "", None, 2, 3, "《t》")
    assert basket.add(a, state) and basket.add(b, state) and not basket.add(a, state)
    basket.move(1, -1, state)
    assert [c.quote for c in basket.items(state)] == ["乙", "甲"]
    assert [c.n for c in basket.numbered(basket.items(state))] == [1, 2]
    basket.remove(0, state)
    assert [c.quote for c in basket.items(state)] == ["甲"]


def test_upload_checks():
    from ingest.loaders import supported_suffixes

    assert set(ALLOWED_SUFFIXES) == set(supported_suffixes())
    assert rejection("a.exe", 10, 20) and "不支持" in rejection("a.exe", 10, 20)
    assert "超过上限" in rejection("a.pdf", 21 * 1024 * 1024, 20)
    assert rejection("a.docx", 1000, 20) is None
    assert safe_name("../../etc/通知.txt") == "通知.txt" and safe_name("..") == "upload"
    long = safe_name("长" * 96 + ".docx")  # 293 bytes: too long for most file systems
    assert long.endswith(".docx") and len(long.encode()) <= 180
    assert safe_name("a\n\x1b[2Jb.txt") == "a__[2Jb.txt"
    assert reason_zh("empty file").startswith("空文件")


def test_index_is_opened_once_per_process(index_dir):
    from app.resources import get_searcher, reset_searcher
    from core.config import load_config

    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index_dir)
    first = get_searcher(config)
    assert get_searcher(config) is first
    reset_searcher()  # what the 入库 page does after an ingest
    assert get_searcher(config) is not first


# -- the app follows the index (generation token), issue 10 ---------------------------------


def _search(at, query: str) -> str:
    _page(at, "views/search.py")
    at.text_input(key="search-query").input(query)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return "\n".join(m.value for m in at.markdown)


def test_app_sees_a_cli_ingest_and_a_deleted_document(tmp_path, monkeypatch, embedder):
    from core.config import load_config
    from service.wiring import run_ingest

    index = build_index(tmp_path, embedder=embedder)
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert "防汛值班" not in _search(at, "防汛值班")
    docs = tmp_path / "docs"
    (docs / "fangxun.txt").write_text("关于做好防汛值班工作的通知\n\n汛期实行防汛值班制度。\n",
                                      encoding="utf-8")
    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index)
    run_ingest(config, [docs], progress=False, embedder=embedder)  # as `kb ingest` would
    assert "防汛值班" in _search(at, "防汛值班")  # no restart, no upload
    (docs / "fangxun.txt").unlink()
    run_ingest(config, [docs], progress=False, embedder=embedder)
    assert "防汛值班" not in _search(at, "防汛值班")


def test_deleted_index_is_explained_and_uploads_work_again(tmp_path, monkeypatch, embedder):
    import shutil

    index = build_index(tmp_path, embedder=embedder)
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert "红色驿站" in _search(at, "红色驿站")
    shutil.rmtree(index)
    _page(at, "views/search.py")
    assert any("尚未找到知识库索引" in i.value for i in at.info)
    _page(at, "views/ingest.py")
    at.file_uploader[0].set_value([("通知.txt", "关于读书月的通知\n\n组织读书分享会。\n".encode(),
                                    "text/plain")]).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["新增"] == "1"
    assert "读书" in _search(at, "读书分享会")


def test_a_damaged_index_shows_the_cli_message(tmp_path, monkeypatch, embedder):
    import shutil

    index = build_index(tmp_path, embedder=embedder)
    shutil.rmtree(index / "chroma")
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _page(at, "views/search.py")
    errors = "\n".join(e.value for e in at.error)
    assert "向量库不存在" in errors and "kb doctor --repair" in errors


def test_replace_button_replaces_an_upload_after_confirmation(tmp_path, monkeypatch):
    index = tmp_path / "idx"
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _page(at, "views/ingest.py")
    at.file_uploader[0].set_value([("通知.txt", "关于读书月的通知\n\n组织读书分享会。\n".encode(),
                                    "text/plain")]).run()
    at.button[0].click().run()
    _page(at, "views/documents.py")
    assert at.header[0].value == "关于读书月的通知"
    go = at.button(key=next(b.key for b in at.button if b.key.startswith("replace-go-")))
    assert go.disabled  # no file, no confirmation
    doc_key = go.key.removeprefix("replace-go-")
    at.file_uploader(key=f"replace-file-{doc_key}").set_value(
        [("通知.txt", "关于防汛值班的通知\n\n汛期实行值班制度。\n".encode(), "text/plain")]).run()
    assert at.button(key=go.key).disabled  # still needs the confirmation
    at.checkbox(key=f"replace-ok-{doc_key}").check().run()
    at.button(key=go.key).click().run()
    assert not at.exception, at.exception
    assert any("已用 通知.txt 替换原文档" in s.value for s in at.success)
    assert at.header[0].value == "关于防汛值班的通知"
    assert len(list((tmp_path / "idx-uploads").glob("*/*"))) == 1  # the old file is gone
