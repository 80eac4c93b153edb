"""The memory-mapped vector mirror (index.vecmirror): what readers search instead of Chroma
when it is current, kept current by every writer, never trusted when stale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.passages import chunk_of
from index.store import IndexStore
from index.vecmirror import MIRROR_DIR, Rows, VectorMirror, write_mirror
from service.wiring import open_searcher, run_ingest

BODY = "".join(f"第{i}项工作由示例市第{i}个单位牵头落实，按季度报送进展，年底前完成验收。"
               for i in range(1, 16))


def _docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gongzuo.txt").write_text("示例市机关工委工作要点\n\n" + BODY, encoding="utf-8")
    (folder / "dangfei.txt").write_text(
        "示例市党费收缴办法\n\n第一条 在职党员按月交纳党费。第二条 党费按季度公示。",
        encoding="utf-8")
    (folder / "neibu.txt").write_text(
        "---\nvisibility: 内部\n---\n示例市内部通报\n\n三号保密柜的钥匙由办公室统一保管。",
        encoding="utf-8")
    return folder


def _ingest(config, folder, embedder):
    return run_ingest(config, [folder], progress=False, embedder=embedder)


@pytest.fixture()
def local(config):
    if config.chroma.host:
        pytest.skip("the mirror is for embedded stores; a Chroma server keeps the vectors")
    return config


def _chroma_rows(config) -> dict[str, np.ndarray]:
    store = IndexStore(config)
    rows = store.vectors.rows()
    store.close()
    return dict(zip(rows.ids, rows.vectors, strict=True))


def _mirror_rows(config) -> dict[str, np.ndarray]:
    store = IndexStore(config)
    assert store.mirror is not None, "a reader after a finished ingest uses the mirror"
    rows = store.mirror.rows_except(set())
    store.close()
    return dict(zip(rows.ids, rows.vectors, strict=True))


def _same(config) -> None:
    chroma, mirror = _chroma_rows(config), _mirror_rows(config)
    assert set(chroma) == set(mirror) and chroma
    for vid, v in chroma.items():
        assert np.allclose(v / np.linalg.norm(v), mirror[vid], atol=1e-5)


def test_readers_search_the_mirror_with_chromas_answers(tmp_path, local, embedder):
    _ingest(local, _docs(tmp_path / "docs"), embedder)
    _same(local)
    store = IndexStore(local)
    assert store.mirror is not None and store._vectors is None  # Chroma not even opened
    docs = {d.doc_id: d for d in store.docstore.documents()}
    inner = next(d for d, doc in docs.items() if doc.visibility == "内部")
    for q in ("党费按季度公示", "牵头落实年底验收", "保密柜钥匙"):
        qv = embedder.embed_queries([q])[0]
        mine = store.query_vectors(qv, 5, None)
        theirs = store.vectors.query(qv, 5)
        assert [v for v, _ in mine] == [v for v, _ in theirs]
        assert np.allclose([s for _, s in mine], [s for _, s in theirs], atol=1e-4)
        # visibility and document filters apply before the top k, as in Chroma
        hidden = store.query_vectors(qv, 50, None, hidden=("内部",))
        inner_chunks = set(store.docstore.chunk_ids_by_doc()[inner])
        assert hidden and not {chunk_of(v) for v, _ in hidden} & inner_chunks
        only = store.query_vectors(qv, 50, [inner])
        assert only and {v for v, _ in only} == {v for v, _ in store.vectors.query(qv, 50, [inner])}
    assert store.query_vectors(qv, 5, []) == []
    store.close()
    s = open_searcher(local)
    assert s.search("保密柜钥匙", k=3, mode="vector")


def test_every_writer_keeps_it_current_and_readers_never_trust_a_stale_one(
        tmp_path, local, embedder):
    folder = _docs(tmp_path / "docs")
    _ingest(local, folder, embedder)
    (folder / "dangfei.txt").write_text("示例市党费收缴办法\n\n第一条 党费按月交纳。第三条 党费"
                                        "专户存储。", encoding="utf-8")
    (folder / "gongzuo.txt").unlink()
    (folder / "xin.txt").write_text("示例市新增文件\n\n青年干部到社区报到。", encoding="utf-8")
    r = _ingest(local, folder, embedder)
    assert r.added and r.updated and r.removed
    _same(local)  # merged: the old rows kept, the changed ones read back from Chroma
    # a writer at work: its readers query Chroma, not the mirror it has made stale
    writer = IndexStore(local, create=True)
    reader = IndexStore(local)
    assert reader.mirror is None and reader.query_vectors(
        embedder.embed_queries(["党费"])[0], 3, None)
    reader.close()
    writer.close()  # no change: the old rows under the new stamp
    _same(local)


def test_a_broken_or_missing_mirror_falls_back_to_chroma(tmp_path, local, embedder):
    _ingest(local, _docs(tmp_path / "docs"), embedder)
    root = local.index_dir / MIRROR_DIR
    cur = json.loads((root / "current.json").read_text())
    (root / cur["dir"] / "ids.npy").write_bytes(b"not numpy")
    store = IndexStore(local)
    assert store.mirror is None
    assert store.query_vectors(embedder.embed_queries(["党费"])[0], 3, None)
    store.close()
    _ingest(local, tmp_path / "docs", embedder)  # the next writer rewrites it whole
    _same(local)
    (root / "current.json").unlink()
    assert IndexStore(local).mirror is None


def test_write_and_query_rows_directly(tmp_path):
    vecs = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0]] * 3  # not normalised on purpose
    rows = Rows(["a", "b", "c", "d", "e:w0"], ["D1", "D1", "D2", "D3", "D3"],
                ["公开", "公开", "内部", "", "公开"], vecs)
    write_mirror(tmp_path, "s1", rows)
    assert VectorMirror.open(tmp_path, "other") is None
    m = VectorMirror.open(tmp_path, "s1")
    assert m is not None and m.count() == 5
    q = np.array([1, 0.1, 0, 0], dtype=np.float32)
    got = m.query(q, 2)
    assert {v for v, _ in got} == {"a", "e:w0"} and got[0][1] == pytest.approx(got[1][1])
    assert [v for v, _ in m.query(q, 3, ["D1"])][:1] == ["a"]
    assert "c" not in {v for v, _ in m.query(np.eye(4)[2], 5, hidden=("内部",))}
    assert m.query(q, 3, ["nope"]) == []
    kept = m.rows_except({"D1"})
    assert kept.ids == ["c", "d", "e:w0"] and kept.levels == ["内部", "", "公开"]


def test_warming_switches_a_reader_to_chromas_index(tmp_path, local, embedder):
    _ingest(local, _docs(tmp_path / "docs"), embedder)
    store = IndexStore(local)
    qv = embedder.embed_queries(["党费按季度公示"])[0]
    before = store.query_vectors(qv, 5, None, hidden=("内部",))
    assert store._vectors is None  # the mirror answered
    assert store.warm_vectors() is True and store._vectors is not None
    after = store.query_vectors(qv, 5, None, hidden=("内部",))
    assert [v for v, _ in after] == [v for v, _ in before]  # a small index: same nearest
    store.close()
