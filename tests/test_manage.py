"""Document management: kb remove (ids, paths, folders), re-ingest, the 文档 page action."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.passages import chunk_of
from service.wiring import run_ingest

pytestmark = pytest.mark.slow  # ingests (files read in child processes), app sessions


def _consistent(config) -> tuple[int, int]:
    from index.store import IndexStore

    store = IndexStore(config)
    ids = {c for cs in store.docstore.chunk_ids_by_doc().values() for c in cs}
    assert {chunk_of(v) for v in store.vectors.all_ids()} == ids
    assert store.bm25_fits()
    n = len(store.docstore.sources())
    store.close()
    return n, len(ids)


def test_kb_remove_by_path_id_and_folder(small_corpus, config, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    idx = str(config.index_dir)
    r = run_ingest(config, [small_corpus], progress=False)
    measure = str(small_corpus / "peixun_banfa.txt")
    assert main(["remove", "nothing.txt", "--index", idx]) == 2
    assert "索引中没有这些文档：nothing.txt" in capsys.readouterr().err
    assert main(["remove", measure, "--index", idx, "--dry-run"]) == 0
    assert _consistent(config)[0] == 2
    assert main(["remove", measure, "--index", idx]) == 0
    assert "删除完成：1 篇" in capsys.readouterr().out
    assert _consistent(config)[0] == 1
    speech_id = r.doc_ids[str(small_corpus / "qingnian_jianghua.txt")]
    assert main(["remove", speech_id[:8], "--index", idx]) == 0
    assert _consistent(config)[0] == 0
    run_ingest(config, [small_corpus], progress=False)
    assert main(["remove", str(small_corpus), "--index", idx]) == 0  # a folder: all in it
    assert _consistent(config) == (0, 0)


def test_reingest_reads_an_unchanged_file_again(small_corpus, config):
    from service.manage import reingest

    r = run_ingest(config, [small_corpus], progress=False)
    did = r.doc_ids[str(small_corpus / "peixun_banfa.txt")]
    again = reingest(config, did)
    assert again.updated == [str(small_corpus / "peixun_banfa.txt")] and again.chunks > 0
    assert _consistent(config)[0] == 2
    Path(small_corpus / "peixun_banfa.txt").unlink()
    from core.errors import KBError

    with pytest.raises(KBError, match="原文件已不在原处"):
        reingest(config, did)


def test_documents_page_removes_after_confirmation(small_corpus, config, monkeypatch):
    from streamlit.testing.v1 import AppTest

    r = run_ingest(config, [small_corpus], progress=False)
    did = r.doc_ids[str(small_corpus / "peixun_banfa.txt")]
    monkeypatch.setenv("KB_INDEX", str(config.index_dir))
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    app_file = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
    at = AppTest.from_file(str(app_file), default_timeout=120)
    at.query_params["doc"] = did
    at.run()
    at.switch_page("views/documents.py").run()
    assert not at.exception, at.exception
    assert any("段落与元数据" in e.label for e in at.expander)
    assert at.button(key=f"manage-remove-{did}").disabled  # not before the confirmation
    at.checkbox(key=f"manage-ok-{did}").check().run()
    at.button(key=f"manage-remove-{did}").click().run()
    assert not at.exception, at.exception
    assert any("已删除" in s.value for s in at.success)
    assert _consistent(config)[0] == 1
