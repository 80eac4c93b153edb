"""Bounded work per file: limits with Chinese reasons, a time and memory limit per file in
the reading subprocess, and over-long lines split so that no chunk exceeds max_chars."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from core.config import IngestLimits, load_config
from core.errors import ConfigError, LoadError
from core.models import DocMeta, Document
from ingest.chunking import ChunkSettings, chunk_document
from ingest.limits import html_depth
from ingest.loaders import load_file
from service.wiring import open_searcher, run_ingest
from tests.conftest import FAKE_ENV

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from hostile_files import SMALL_LIMITS, docx_bytes, write_hostile, zip_bomb_docx  # noqa: E402

# Real processes, app sessions or stores on disk: the `make test` tier, not `test-fast`.
pytestmark = pytest.mark.slow

GOOD = "关于加强机关党支部建设的通知\n\n各党支部要落实三会一课制度，每月召开一次支部委员会会议。\n"


def test_limits_come_from_the_environment_and_are_checked():
    limits = load_config({"KB_MAX_FILE_MB": "5", "KB_FILE_SECONDS": "2.5",
                          "KB_MAX_HTML_DEPTH": "100"}).limits
    assert (limits.max_file_mb, limits.file_seconds, limits.max_html_depth) == (5, 2.5, 100)
    assert load_config({}).limits == IngestLimits()
    with pytest.raises(ConfigError, match="KB_MAX_PAGES 应为数字"):
        load_config({"KB_MAX_PAGES": "many"})
    with pytest.raises(ConfigError, match="不能小于"):
        load_config({"KB_MAX_FILE_MB": "0"})
    with pytest.raises(ConfigError, match="不能大于"):
        load_config({"KB_MAX_HTML_DEPTH": "5000"})


def test_uploads_folder_is_beside_the_index_unless_configured(tmp_path):
    c = load_config({}, index_dir=tmp_path / "kb" / "index")
    assert c.uploads == tmp_path / "kb" / "index-uploads"
    c = load_config({"KB_UPLOADS": str(tmp_path / "up")}, index_dir=tmp_path / "i")
    assert c.uploads == tmp_path / "up"


def test_each_limit_refuses_with_a_chinese_reason(tmp_path):
    small = IngestLimits(max_file_mb=1, max_unzipped_mb=8, max_pages=5, max_html_depth=50,
                         max_doc_chars=5000)
    cases = {
        "big.txt": (GOOD * 20_000).encode(),
        "long.txt": ("党" * 6000).encode(),
        "deep.html": b"<html><body>" + b"<div>" * 300 + b"x" + b"</div>" * 300 + b"</body>",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    zip_bomb_docx(tmp_path / "bomb.docx", 16 * 1024 * 1024)
    from hostile_files import _many_pages_pdf

    (tmp_path / "pages.pdf").write_bytes(_many_pages_pdf(8))
    expect = {"big.txt": "KB_MAX_FILE_MB", "long.txt": "KB_MAX_DOC_CHARS",
              "deep.html": "KB_MAX_HTML_DEPTH", "bomb.docx": "KB_MAX_UNZIPPED_MB",
              "pages.pdf": "KB_MAX_PAGES"}
    for name, var in expect.items():
        with pytest.raises(LoadError) as info:
            load_file(tmp_path / name, small)
        assert var in info.value.reason and "上限" in info.value.reason, name
        assert "\n" not in info.value.reason
    # Under the defaults the same small files are fine (the bomb unpacks to 16 MB only).
    assert load_file(tmp_path / "long.txt").text.startswith("党")
    assert load_file(tmp_path / "deep.html").text == "x"


def test_zip_ratio_and_depth_measures():
    assert html_depth(b"<html><body><div><p>x</p></div></body></html>") == 4
    assert html_depth(b"<div>" * 5000) == 2048  # libxml2's cap
    ok = docx_bytes(GOOD)
    from ingest.limits import check_zip

    check_zip(ok, IngestLimits())  # an ordinary .docx passes
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", " " * (12 * 1024 * 1024))
    from ingest.textfile import Unreadable

    with pytest.raises(Unreadable, match="压缩比"):
        check_zip(buf.getvalue(), IngestLimits())


def test_overlong_lines_are_split_at_the_breaks_the_text_uses():
    text = ("First sentence of a long English paragraph. " * 200).strip()
    dotted = "没有句号的长句子，只用逗号分隔" * 300
    bare = "机关党建" * 2000
    settings = ChunkSettings()
    for body in (text, dotted, bare):
        doc = Document(doc_id="d", source="/x.txt", text=f"标题\n{body}\n", meta=DocMeta(title="t"),
                       content_hash="h")
        chunks = chunk_document(doc, settings)
        assert len(chunks) > 1
        assert max(len(c.text) for c in chunks) <= settings.max_chars
        assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    doc = Document(doc_id="d", source="/x.txt", text=text, meta=DocMeta(title="t"),
                   content_hash="h")
    assert all(c.text.endswith(".") for c in chunk_document(doc, settings))


def test_small_hostile_set_every_file_named_good_ones_searchable(tmp_path, embedder):
    folder = tmp_path / "hostile"
    expect = write_hostile(folder, small=True)
    config = load_config({**FAKE_ENV, **SMALL_LIMITS}, index_dir=tmp_path / "idx")
    r = run_ingest(config, [folder], progress=False, embedder=embedder)
    skipped = {Path(p).name: why for p, why in r.skipped}
    added = {Path(p).name for p in r.added}
    for name, want in expect.items():
        if want == "skip":
            assert name in skipped, name
            assert skipped[name] and "\n" not in skipped[name]
        elif want == "ingest":
            assert name in added, (name, skipped.get(name))
    assert not set(expect) - set(skipped) - added
    s = open_searcher(config)
    for word in ("UTF16小端通知", "UTF16大端通知", "混合编码", "换行名称通知", "长名称通知"):
        hits = s.search(word, k=1, mode="bm25")
        assert hits and word in hits[0].chunk.text, word
    assert max(len(c.text) for c in s.chunks.values()) <= ChunkSettings().max_chars
    assert all("\x1b" not in d.title and "\n" not in d.title for d in s.docs.values())


@pytest.fixture()
def misbehaving():
    """Registers tests/misbehaving_loaders.py's loaders for one test, then restores."""
    import importlib

    from ingest import loaders

    saved = dict(loaders._LOADERS)
    import tests.misbehaving_loaders as module

    importlib.reload(module)  # registering happens on import
    yield
    loaders._LOADERS.clear()
    loaders._LOADERS.update(saved)


def test_a_file_over_time_or_memory_is_skipped_and_the_batch_goes_on(tmp_path, embedder,
                                                                     misbehaving):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a.forever", "b.greedy", "c.crash"):
        (folder / name).write_text("x")
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    config = load_config({**FAKE_ENV, "KB_FILE_SECONDS": "1", "KB_FILE_MEMORY_MB": "512"},
                         index_dir=tmp_path / "idx")
    r = run_ingest(config, [folder], progress=False, embedder=embedder)
    why = {Path(p).name: reason for p, reason in r.skipped}
    assert "KB_FILE_SECONDS" in why["a.forever"]
    assert "内存" in why["b.greedy"] and "KB_FILE_MEMORY_MB" in why["b.greedy"]
    assert "异常退出" in why["c.crash"]
    assert [Path(p).name for p in r.added] == ["good.txt"]


def test_a_timed_out_file_keeps_its_old_entry(tmp_path, embedder, misbehaving):
    """`.sometimes` (tests/misbehaving_loaders.py) sleeps when the file says SLEEP."""
    folder = tmp_path / "docs"
    folder.mkdir()
    f = folder / "a.sometimes"
    f.write_text(GOOD, encoding="utf-8")
    config = load_config({**FAKE_ENV, "KB_FILE_SECONDS": "1"}, index_dir=tmp_path / "idx")
    assert len(run_ingest(config, [folder], progress=False, embedder=embedder).added) == 1
    f.write_text(GOOD + "SLEEP\n", encoding="utf-8")
    r = run_ingest(config, [folder], progress=False, embedder=embedder)
    assert "原有内容保留" in r.skipped[0][1] and not r.removed
    assert len(open_searcher(config).docs) == 1
