"""The quote basket in a real browser: a quote added on 问答 is still there after F5."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.appdocs import QUESTION, QUOTE_PART
from tests.test_browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, app_url  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_basket_survives_reload_and_downloads_docx(app_url):  # noqa: F811
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
            page.locator(".kb-answer").wait_for(timeout=ANSWER_TIMEOUT_MS)
            page.get_by_role("button", name="加入引文篮").first.click()
            page.get_by_text("引文篮：1 条").wait_for(timeout=30_000)
            assert "basket=s-" in page.url  # the browser keeps the basket's id
            page.reload(wait_until="domcontentloaded")
            page.get_by_text("引文篮：1 条").wait_for(timeout=ANSWER_TIMEOUT_MS)
            page.get_by_role("link", name="引文篮").click()
            page.get_by_text(f"问题：{QUESTION}").wait_for(timeout=ANSWER_TIMEOUT_MS)
            assert QUOTE_PART in page.locator("body").inner_text()
            with page.expect_download(timeout=30_000) as dl:
                page.get_by_role("button", name="导出 Word（.docx）").click()
            data = open(dl.value.path(), "rb").read()
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                assert "<w:footnoteReference" in z.read("word/document.xml").decode()
                assert "word/footnotes.xml" in z.namelist()
        finally:
            browser.close()
