"""Suggestions in Debian's Chromium: staff hand a suggestion over, record the office's reply and the
deputy's rating, against the dashboard served by uvicorn on a free loopback port (no flow is needed,
so no flow runner is started). Screenshots go to the test's tmp folder (printed); with
CONGRESS_SCREENSHOTS=docs docs/screenshots/suggestions.png is refreshed as well.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from congress.db import make_engine, session_scope
from congress.settings import REPO_ROOT
from congress.web import accounts
from tests.conftest import new_database
from tests.servers import background_server, free_port
from tests.test_web import PASSWORD

pytestmark = pytest.mark.flow
CHROMIUM = Path("/usr/bin/chromium")
KEY = "qingshan-18-3"


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    """The dashboard alone (uvicorn in a subprocess) on a fresh SQLite database with a staff account."""
    url, cleanup = new_database("sqlite", tmp_path)
    engine = make_engine(url)
    with session_scope(engine) as db:
        accounts.create_user(db, username="staff", display_name="李干事", role="staff", township_code="qingshan",
                             password=PASSWORD, actor="test")
    engine.dispose()
    port = free_port()
    env = {**os.environ, "CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(tmp_path / "output"),
           "CONGRESS_UPLOAD_DIR": str(tmp_path / "uploads")}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "congress.web.app:create_app", "--host", "127.0.0.1",
           "--port", str(port)]
    try:
        with background_server(cmd, cwd=REPO_ROOT, env=env, log_path=tmp_path / "web.log",
                               ready_url=f"http://127.0.0.1:{port}/healthz"):
            yield f"http://127.0.0.1:{port}"
    finally:
        cleanup()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/system-packages.txt)")
def test_hand_over_reply_and_rate_in_the_browser(dashboard: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.walkthrough import launch_browser, log_in

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
            page.set_viewport_size({"width": 1366, "height": 900})
            log_in(page, dashboard, "staff", PASSWORD)
            page.click("#sample-form button")
            page.wait_for_url(f"**/sessions/{KEY}?notice=loaded")

            # 交办 two suggestions from the session's list
            page.goto(f"{dashboard}/sessions/{KEY}/suggestions")
            page.check("input[name=codes][value=J001]")
            page.check("input[name=codes][value=J003]")
            page.fill("#handover input[name=on]", "2027-01-05")
            page.click("#handover-button")
            page.wait_for_url("**/suggestions?notice=handed_over")
            expect(page.locator("#notice")).to_contain_text("已交办")
            j001 = page.locator("tr[data-code=J001]")
            expect(j001).to_have_attribute("data-due", "2027-04-05")
            expect(page.locator("#handover-letters a")).to_have_count(2)
            with page.expect_download() as letter:
                page.locator("#handover-letters a").first.click()
            assert letter.value.suggested_filename.startswith("交办函-") and letter.value.suggested_filename.endswith(
                ".docx")

            # the office's reply, then the deputy is not satisfied: a second round
            j001.locator("a").first.click()
            page.fill("#reply-form textarea[name=text]", "村道修缮已列入2027年农村公路养护计划，预计二季度开工。")
            page.fill("#reply-form input[name=replied_on]", "2027-03-20")
            page.click("#reply-form button[type=submit]")
            expect(page.locator("#notice")).to_contain_text("已录入答复")
            expect(page.locator("#documents")).to_contain_text("J001-第1次答复函")  # named without its extension
            page.check("#rating-form input[value=不满意]")
            page.fill("#rating-form textarea[name=comment]", "开工时间不明确")
            page.fill("#rating-form input[name=rated_on]", "2027-03-25")
            page.click("#rating-form button[type=submit]")
            expect(page.locator("#notice")).to_contain_text("重新办理")
            expect(page.locator("#rounds tr[data-round='2']")).to_have_attribute("data-state", "open")
            page.screenshot(path=str(shots / "suggestion-rehandled.png"), full_page=True)

            # the list as of a day after J003's deadline: J003 (no reply) in red, J001 in its second round
            page.goto(f"{dashboard}/sessions/{KEY}/suggestions?today=2027-04-16")
            expect(page.locator("tr[data-code=J003]")).to_have_class("overdue")
            expect(page.locator("tr[data-code=J001] td.round")).to_have_text("第2次")
            expect(page.locator("tr[data-code=J001] td.rating")).to_have_text("不满意")
            page.screenshot(path=str(shots / "suggestions.png"), full_page=True)
            if os.environ.get("CONGRESS_SCREENSHOTS") == "docs":
                page.screenshot(path=str(REPO_ROOT / "docs" / "screenshots" / "suggestions.png"), full_page=False)
        finally:
            print(f"screenshots: {shots}")
            browser.close()
