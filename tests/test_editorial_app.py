"""The 专刊编辑 page with streamlit.testing's AppTest on a small index (fake embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.editorial_docs import write_editorial_docs

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
TIMEOUT = 120
PAGE = "views/editorial.py"

st_testing = pytest.importorskip("streamlit.testing.v1")
# An app session: the `make test` tier, not `test-fast` (as tests/test_app.py).
pytestmark = pytest.mark.slow


@pytest.fixture()
def app(tmp_path, monkeypatch, embedder):
    from core.config import load_config
    from service.wiring import run_ingest

    index = tmp_path / "index"
    run_ingest(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=index),
               [write_editorial_docs(tmp_path / "docs")], progress=False, embedder=embedder)
    monkeypatch.setenv("KB_INDEX", str(index))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    monkeypatch.delenv("KB_EDITORIAL", raising=False)
    at = st_testing.AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [h.proto.body for h in at.html]
                     + [c.value for c in at.caption])


def _click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_catalog_duplicates_finder_and_issue(app):
    at = app
    assert at.title[0].value == "专刊编辑"
    text = _text(at)
    assert "“护林先锋岗”守护城市绿肺" in text and "青年读书会" in text
    # st.badge is Markdown (:orange-badge[…]) to AppTest.
    assert "已刊用：《新风》专刊2024年第3期（总第39期）" in text and "未刊用" in text
    assert "重复组 g-" in text

    at.checkbox(key="editorial-unused").check().run()
    catalog_tab = "\n".join(m.value for m in at.tabs[0].markdown)
    assert "“护林先锋岗”守护城市绿肺" not in catalog_tab and "青年读书会" in catalog_tab
    at.checkbox(key="editorial-unused").uncheck().run()
    assert any("重复组" in e.label for e in at.expander)

    at.text_input(key="editorial-query").input("青年干部读书学习")
    next(b for b in at.button if b.label == "推荐案例").click().run()
    assert not at.exception, at.exception
    assert "第 1 名" in _text(at) and "依据" in _text(at)

    at.text_input(key="editorial-new-theme").input("青年干部学习成长")
    at.text_input(key="editorial-new-month").input("2024-10")
    next(b for b in at.button if b.label == "新建").click().run()
    assert not at.exception, at.exception
    assert any("第10期（总第46期）" in s.value for s in at.subheader)

    add = [b for b in at.button if b.key and b.key.startswith("cat-add-")]
    first, second = add[0].key.removeprefix("cat-add-"), add[1].key.removeprefix("cat-add-")
    _click(at, f"cat-add-{first}")
    _click(at, f"cat-add-{second}")
    _click(at, f"plan-up-{second}")
    from core.config import load_config
    from service.editorial import Workspace

    ws = Workspace(load_config())
    assert ws.store.issue("2024-10").case_ids == (second, first)
    assert [d.label for d in at.download_button] == ["导出 Word 提纲（.docx）"]
    _click(at, f"plan-rm-{first}")
    assert ws.store.issue("2024-10").case_ids == (second,)

    at.checkbox(key="editorial-sure").check().run()
    _click(at, "editorial-publish")
    assert ws.store.issue("2024-10").status == "published"
    assert any(u.case_id == second for u in ws.store.usage())
    ws.close()

    _click(at, f"cat-open-{second}")  # each case links back to its passage
    assert at.title[0].value == "文档" and 'id="kb-focus"' in _text(at)
