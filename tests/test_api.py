"""The HTTP API (`kb serve`, api/): authentication, visibility, audit, uploads, errors.

Plumbing through FastAPI's TestClient on a real small index (fake embedder); the bar of
issue 15 also against a real `kb serve` process on a free 127.0.0.1 port (`slow`).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from core.config import load_config

ROOT = Path(__file__).resolve().parents[1]

SECRET_TITLE = "关于机要文件保管工作的内部通知"
SECRET_SENTENCE = "机要文件一律存放在三号保密柜，钥匙由机要员专人保管。"
SECRET = f"---\n可见级别: 内部\n---\n{SECRET_TITLE}\n\n各处室：\n\n{SECRET_SENTENCE}\n"
PUBLIC_TITLE = "关于开展机关读书月活动的通知"
PUBLIC = f"{PUBLIC_TITLE}\n\n各党支部在四月组织读书分享会，每名党员读一本书并交流心得。\n"
QUERIES = ("机要文件存放在哪里", "保密柜 钥匙", "机要员专人保管")
PW = {"gk": "gongkai-pass-1", "nb": "neibu-pass-1", "ed": "editor-pass-1",
      "ed2": "editor-pass-2"}


@pytest.fixture(scope="module")
def kb(tmp_path_factory, embedder):
    """An index with a 公开 and an 内部 document and three accounts."""
    from service.accounts import Accounts
    from service.wiring import run_ingest

    base = tmp_path_factory.mktemp("apikb")
    docs = base / "docs"
    docs.mkdir()
    (docs / "neibu.txt").write_text(SECRET, encoding="utf-8")
    (docs / "gongkai.txt").write_text(PUBLIC, encoding="utf-8")
    config = load_config({"KB_EMBED_MODEL": "hash"}, index_dir=base / "index")
    run_ingest(config, [docs], progress=False, embedder=embedder)
    accounts = Accounts(config)
    accounts.add("gk", PW["gk"], "reader", "公开")
    accounts.add("nb", PW["nb"], "reader", "内部")
    accounts.add("ed", PW["ed"], "editor", "公开")
    accounts.add("ed2", PW["ed2"], "editor", "内部")
    return config


@pytest.fixture(scope="module")
def client(kb):
    from api.app import create_app

    return TestClient(create_app(kb), raise_server_exceptions=False)


def auth(name: str) -> tuple[str, str]:
    return name, PW[name]


def _doc_ids(client) -> dict[str, str]:
    hits = client.get("/api/search", params={"q": "通知", "k": 20, "mode": "bm25"},
                      auth=auth("nb")).json()
    return {h["title"]: h["doc_id"] for h in hits}


# -- authentication ---------------------------------------------------------------------


def test_no_or_wrong_credentials_are_401_with_a_basic_challenge(client):
    for kwargs in ({}, {"auth": ("gk", "not-the-password")}, {"auth": ("nobody", "whatever1")}):
        r = client.get("/api/search", params={"q": "读书"}, **kwargs)
        assert r.status_code == 401, kwargs
        assert r.headers["www-authenticate"].startswith("Basic ")
        assert set(r.json()) == {"error"} and "登录" in r.json()["error"]
    r = client.get("/api/ask", params={"q": "读书"})
    assert r.status_code == 401
    r = client.get("/api/docs/whatever")
    assert r.status_code == 401


def test_a_reader_may_not_upload(client):
    r = client.post("/api/ingest", auth=auth("gk"),
                    files={"file": ("x.txt", "通知\n\n正文。\n".encode(), "text/plain")})
    assert r.status_code == 403
    assert "无权" in r.json()["error"] and "gk" in r.json()["error"]


# -- visibility -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "vector"])
def test_a_public_reader_never_receives_internal_text_from_search(client, mode):
    for q in QUERIES:
        r = client.get("/api/search", params={"q": q, "k": 20, "mode": mode}, auth=auth("gk"))
        assert r.status_code == 200
        body = r.text
        assert "机要" not in body and SECRET_TITLE not in body, (mode, q)
        r = client.get("/api/search", params={"q": q, "k": 20, "mode": mode}, auth=auth("nb"))
        if mode != "vector":  # the fake embedder has no semantics; bm25/hybrid must find it
            assert any(SECRET_SENTENCE in h["text"] for h in r.json()), (mode, q)


def test_a_public_reader_never_receives_internal_text_from_ask(client):
    for q in ("机要文件存放在哪里？", "机要文件的钥匙由谁保管？"):
        r = client.get("/api/ask", params={"q": q}, auth=auth("gk"))
        assert r.status_code == 200
        assert "机要" not in json.dumps(r.json()["citations"], ensure_ascii=False)
        assert "保密柜" not in r.json()["answer"]
        assert SECRET_TITLE not in r.text
    r = client.get("/api/ask", params={"q": "机要文件存放在哪里？"}, auth=auth("nb"))
    a = r.json()
    assert not a["refused"] and "三号保密柜" in a["answer"]
    assert any(SECRET_TITLE in c["title"] for c in a["citations"])


def test_documents_above_the_level_are_answered_like_missing_ones(client):
    ids = _doc_ids(client)
    secret, public = ids[SECRET_TITLE], ids[PUBLIC_TITLE]
    r = client.get(f"/api/docs/{secret}", auth=auth("gk"))
    assert r.status_code == 404 and SECRET_TITLE not in r.text
    assert client.get("/api/docs/0000000000000000", auth=auth("gk")).status_code == 404
    r = client.get(f"/api/docs/{secret}", auth=auth("nb"))
    assert r.status_code == 200
    assert r.json()["visibility"] == "内部" and SECRET_SENTENCE in r.json()["text"]
    r = client.get(f"/api/docs/{public}", auth=auth("gk"))
    assert r.status_code == 200 and r.json()["title"] == PUBLIC_TITLE


# -- audit ------------------------------------------------------------------------------


def test_the_audit_log_lists_both_users_queries(kb, client):
    from service import audit

    client.get("/api/search", params={"q": "审计检索甲"}, auth=auth("gk"))
    client.get("/api/ask", params={"q": "审计提问乙？"}, auth=auth("nb"))
    got = {(e.user, e.action, e.detail.get("query")) for e in audit.entries(kb)}
    assert ("gk", "search", "审计检索甲") in got
    assert ("nb", "ask", "审计提问乙？") in got
    client.get("/api/search", params={"q": "读书"}, auth=("gk", "wrong-password"))
    assert any(e.action == "login_failed" for e in audit.entries(kb, user="gk"))


# -- the same JSON as the CLI -----------------------------------------------------------


def test_search_returns_the_objects_of_kb_search_json(kb, client, monkeypatch):
    from cli.main import main

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["search", "读书分享会", "--json", "--mode", "bm25", "-k", "3",
                     "--index", str(kb.index_dir)]) == 0
    cli = json.loads(out.getvalue())
    api = client.get("/api/search", params={"q": "读书分享会", "mode": "bm25", "k": 3},
                     auth=auth("nb")).json()
    assert cli and api == cli


def test_ask_returns_the_object_of_kb_ask_json(kb, client, monkeypatch):
    from cli.main import main

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    q = "读书月活动每名党员要读几本书？"
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["ask", q, "--json", "--index", str(kb.index_dir)]) == 0
    assert client.get("/api/ask", params={"q": q}, auth=auth("nb")).json() == json.loads(
        out.getvalue())


# -- uploads ----------------------------------------------------------------------------


def test_an_editor_uploads_and_the_document_is_found_at_once(kb, client):
    title = "关于做好汛期防汛值班工作的通知"
    text = f"{title}\n\n汛期各单位实行二十四小时防汛值班，值班人员不得脱岗。\n"
    r = client.post("/api/ingest", auth=auth("ed"),
                    files={"file": ("通知.txt", text.encode("utf-8"), "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "added" and r.json()["doc_id"]
    hits = client.get("/api/search", params={"q": "防汛值班", "mode": "bm25"},
                      auth=auth("gk")).json()
    assert [h["title"] for h in hits][:1] == [title]
    kept = list(kb.uploads.glob("*/通知.txt"))
    assert len(kept) == 1


def test_an_unreadable_upload_is_refused_in_chinese_and_not_kept(kb, client):
    r = client.post("/api/ingest", auth=auth("ed"),
                    files={"file": ("tool.exe", b"MZ\x90\x00binary", "application/x-msdos")})
    assert r.status_code == 422
    assert "未能入库 tool.exe" in r.json()["error"] and "不支持的文件类型" in r.json()["error"]
    assert not list(kb.uploads.glob("*/tool.exe"))
    r = client.post("/api/ingest", auth=auth("ed"), files={"file": ("a.txt", b"", "text/plain")})
    assert r.status_code == 422 and "空文件" in r.json()["error"]


# -- errors and the OpenAPI page ---------------------------------------------------------


def test_errors_are_chinese_json_never_tracebacks(kb, client, monkeypatch):
    r = client.get("/api/search", auth=auth("gk"))
    assert r.status_code == 422 and "参数有误" in r.json()["error"] and "q" in r.json()["error"]
    r = client.get("/api/search", params={"q": "读书", "mode": "magic"}, auth=auth("gk"))
    assert r.status_code == 422 and "mode" in r.json()["error"]
    r = client.get("/api/search", params={"q": "读书", "type": "小说"}, auth=auth("gk"))
    assert r.status_code == 422 and "小说" in r.json()["error"]
    assert client.get("/api/nowhere", auth=auth("gk")).json() == {"error": "没有这个地址"}

    def boom():
        raise RuntimeError(f"secret detail at {kb.index_dir}")

    monkeypatch.setattr(client.app.state.live, "get", boom)
    r = client.get("/api/search", params={"q": "读书"}, auth=auth("gk"))
    assert r.status_code == 500
    assert r.json() == {"error": "服务器内部错误，详情已记入服务日志"}
    assert str(kb.index_dir) not in r.text and "Traceback" not in r.text


def test_openapi_page_lists_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/ask", "/api/ingest", "/api/docs/{doc_id}"} <= set(spec["paths"])
    assert "HTTPBasic" in json.dumps(spec["components"]["securitySchemes"])
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()


def test_the_searcher_reloads_when_another_process_ingests(kb, client, tmp_path, embedder):
    from service.wiring import run_ingest

    live = client.app.state.live
    client.get("/api/search", params={"q": "读书"}, auth=auth("gk"))
    before = live.reloads
    f = tmp_path / "kaoqin.txt"
    f.write_text("关于严格考勤纪律的通知\n\n机关干部上下班实行指纹考勤，迟到早退按月通报。\n",
                 encoding="utf-8")
    run_ingest(kb, [f], progress=False, embedder=embedder)  # as `kb ingest` would
    hits = client.get("/api/search", params={"q": "指纹考勤", "mode": "bm25"},
                      auth=auth("gk")).json()
    assert hits and hits[0]["title"] == "关于严格考勤纪律的通知"
    assert live.reloads == before + 1


def test_kb_serve_refuses_to_start_without_accounts(tmp_path, capsys):
    from cli.main import main

    assert main(["serve", "--index", str(tmp_path / "index"), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "不允许匿名访问" in err and "kb users add" in err


# -- a real server ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def served(kb, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KB_EMBED_MODEL": "hash", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "cli.main", "serve", "--index", str(kb.index_dir),
           "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"kb serve exited {proc.returncode}: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"kb serve did not start: {log.read_text()[-2000:]}")
                time.sleep(0.3)
            yield url, log, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.mark.slow
def test_real_server_401_visibility_and_audit(kb, served):
    from service import audit

    url, log, pid = served
    from tests.test_app_auth import _listening

    assert _listening(pid) == {"127.0.0.1"}  # no --host: this machine only
    assert httpx.get(f"{url}/api/search", params={"q": "机要"}).status_code == 401
    for q in QUERIES:
        gk = httpx.get(f"{url}/api/search", params={"q": q, "k": 20}, auth=auth("gk"))
        assert gk.status_code == 200 and "机要" not in gk.text
        nb = httpx.get(f"{url}/api/search", params={"q": q, "k": 20}, auth=auth("nb"))
        assert any(SECRET_SENTENCE in h["text"] for h in nb.json())
    gk = httpx.get(f"{url}/api/ask", params={"q": "机要文件存放在哪里？"}, auth=auth("gk"))
    assert gk.status_code == 200 and "保密柜" not in gk.text
    nb = httpx.get(f"{url}/api/ask", params={"q": "机要文件存放在哪里？"}, auth=auth("nb"))
    assert "三号保密柜" in nb.json()["answer"]
    got = {(e.user, e.action, e.detail.get("query")) for e in audit.entries(kb)}
    q = "机要文件存放在哪里？"
    assert ("gk", "ask", q) in got and ("nb", "ask", q) in got
    assert all(("gk", "search", q) in got and ("nb", "search", q) in got for q in QUERIES)
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.slow
def test_load_test_twenty_users_during_an_ingest_has_no_errors(tmp_path):
    """Issue 15's bar, bounded: 20 users (5 requests each) while an editor uploads."""
    from evals.load import run_load
    from tests.appdocs import CASE, POLICY, SPEECH

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in (("policy", POLICY), ("speech", SPEECH), ("case", CASE)):
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    r = run_load(users=20, requests=5, uploads=2, corpus=corpus, model="hash",
                 work=tmp_path / "work")
    assert r.total == 100
    assert r.errors == 0, r.error_samples
    assert r.uploads_found == 2


def test_chinese_account_names_sign_in(kb, client):
    """Credentials are UTF-8 (RFC 7617): 张三 signs in, a malformed header is a 401."""
    import base64

    from service.accounts import Accounts

    if Accounts(kb).get("张三") is None:
        Accounts(kb).add("张三", "zhangsan-pass-1", "reader", "公开")
    r = client.get("/api/search", params={"q": "读书"}, auth=("张三", "zhangsan-pass-1"))
    assert r.status_code == 200 and r.json()
    bad = base64.b64encode("张三".encode("gbk")).decode()
    r = client.get("/api/search", params={"q": "读书"}, headers={"Authorization": f"Basic {bad}"})
    assert r.status_code == 401 and "格式有误" in r.json()["error"]
    r = client.get("/api/search", params={"q": "读书"}, headers={"Authorization": "Bearer x"})
    assert r.status_code == 401 and "HTTP Basic" in r.json()["error"]


def test_an_upload_marked_internal_is_hidden_from_public_readers(client):
    title = "关于值班室密码柜使用的内部规定"
    text = f"{title}\n\n值班室密码柜的开启口令每月更换一次，由值班主任掌握。\n".encode()
    r = client.post("/api/ingest", auth=auth("ed"), data={"visibility": "内部"},
                    files={"file": ("guiding.txt", text, "text/plain")})
    assert r.status_code == 403 and "可见级别" in r.json()["error"]  # above ed's own level
    r = client.post("/api/ingest", auth=auth("ed2"), data={"visibility": "机密"},
                    files={"file": ("guiding.txt", text, "text/plain")})
    assert r.status_code == 422
    r = client.post("/api/ingest", auth=auth("ed2"), data={"visibility": "内部"},
                    files={"file": ("guiding.txt", text, "text/plain")})
    assert r.status_code == 200, r.text
    q = {"q": "密码柜 开启口令", "mode": "bm25"}
    assert "密码柜" not in client.get("/api/search", params=q, auth=auth("gk")).text
    assert any(h["title"] == title
               for h in client.get("/api/search", params=q, auth=auth("nb")).json())


def test_an_upload_over_the_limit_is_refused_before_it_is_read(kb, client):
    big = b"x" * ((kb.max_upload_mb + 2) * 1024 * 1024)
    r = client.post("/api/ingest", auth=auth("ed"), files={"file": ("big.txt", big, "text/plain")})
    assert r.status_code == 413 and "MB" in r.json()["error"]
