"""The real app in a real browser: `streamlit run` + headless Debian Chromium via Playwright.

Never runs `playwright install`: the browser is /usr/bin/chromium (apt: chromium,
fonts-wqy-microhei). Without it the test is skipped on a dev machine and fails in CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.appdocs import QUESTION, QUOTE_PART, REFERENCE_PART, build_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run",
                 "--disable-sync"]
SCREENSHOT = ROOT / "artifacts" / "screenshots" / "ask.png"
START_TIMEOUT = 90.0
ANSWER_TIMEOUT_MS = 90_000  # the first question also opens the index and loads the embedder


def _need_chromium() -> None:
    if CHROMIUM.is_file():
        return
    msg = f"{CHROMIUM} not found: apt-get install -y chromium fonts-wqy-microhei"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not serve {url} within {START_TIMEOUT:.0f}s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture()
def app_url(tmp_path, embedder):
    """A `streamlit run` subprocess serving the app on an index built from the test docs."""
    yield from _serve(tmp_path, build_index(tmp_path, embedder=embedder))


@pytest.fixture()
def empty_app_url(tmp_path):
    """The app on an index that does not exist yet (the first upload creates it)."""
    yield from _serve(tmp_path, tmp_path / "index")


def _serve(tmp_path: Path, index: Path):
    _need_chromium()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KB_INDEX": str(index), "KB_EMBED_MODEL": "hash", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    log = tmp_path / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(url, proc, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def test_ask_in_browser_shows_verified_quote_and_reference(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 1000}, locale="zh-CN")
            page.goto(app_url, wait_until="domcontentloaded")
            box = page.get_by_label("问题")
            box.wait_for(timeout=ANSWER_TIMEOUT_MS)
            box.fill(QUESTION)
            page.get_by_role("button", name="提问").click()
            answer = page.locator(".kb-answer")
            answer.wait_for(timeout=ANSWER_TIMEOUT_MS)
            assert QUOTE_PART in answer.inner_text()
            page.get_by_text(REFERENCE_PART).first.wait_for(timeout=10_000)
            body = page.locator("body").inner_text()
            assert REFERENCE_PART in body and "[1]" in body
            page.wait_for_timeout(500)  # let the expander finish opening
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()


NOTICES = {
    "读书分享会": "关于开展机关读书月活动的通知\n\n各党支部在四月组织读书分享会，每人读一本书。\n",
    "防汛值班": "关于做好汛期防汛值班工作的通知\n\n汛期各单位实行二十四小时防汛值班，不得脱岗。\n",
}


def test_two_uploads_named_tongzhi_are_both_searchable(empty_app_url, tmp_path):
    """Issue 10's bar: two different files, both named 通知.txt, uploaded through 入库
    one after the other (as two users would): both are documents and both are found."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 1000}, locale="zh-CN")
            for text in NOTICES.values():
                page.goto(f"{empty_app_url}/ingest", wait_until="domcontentloaded")
                page.locator('input[type="file"]').first.set_input_files(
                    [{"name": "通知.txt", "mimeType": "text/plain",
                      "buffer": text.encode("utf-8")}])
                page.get_by_text("通知.txt").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
                page.get_by_role("button", name="开始入库").click()
                page.get_by_text("入库完成，新文档现在可以检索和问答").wait_for(
                    timeout=ANSWER_TIMEOUT_MS)
                assert "新增" in page.locator("body").inner_text()
            for word, text in NOTICES.items():
                page.goto(f"{empty_app_url}/search", wait_until="domcontentloaded")
                box = page.get_by_label("检索词")
                box.wait_for(timeout=ANSWER_TIMEOUT_MS)
                box.fill(word)
                page.get_by_role("button", name="检索").click()
                title = text.split("\n")[0]
                page.get_by_text(title).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
            page.goto(f"{empty_app_url}/documents", wait_until="domcontentloaded")
            page.get_by_text("文档", exact=True).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            shot = SCREENSHOT.with_name("two_tongzhi.png")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    kept = sorted(p.name for p in (tmp_path / "index-uploads").glob("*/*"))
    assert kept == ["通知.txt", "通知.txt"]
    from core.config import load_config
    from service.wiring import open_searcher

    s = open_searcher(load_config({"KB_EMBED_MODEL": "hash"}, index_dir=tmp_path / "index"))
    assert sorted(d.title for d in s.docs.values()) == sorted(
        t.split("\n")[0] for t in NOTICES.values())
