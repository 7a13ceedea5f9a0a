"""End to end in Debian's Chromium: `congress serve` (dashboard + flow runner) against the session-wide
Prefect test harness, and a whole session clicked through by staff, the approver and the auditor.

Screenshots go to the test's tmp folder (printed); with CONGRESS_SCREENSHOTS=docs the README's ones are
refreshed in docs/screenshots/ as well.
"""

from __future__ import annotations

import asyncio
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


@pytest.fixture
def served(prefect_harness: None, tmp_path: Path) -> Iterator[str]:
    """`congress serve` in a subprocess, its runner on the harness's Prefect API; yields the base URL."""
    from prefect.settings import PREFECT_API_URL

    from tests.test_web_flows import cancel_unfinished_runs

    # runs left scheduled by an earlier test would be picked up by this runner
    asyncio.run(cancel_unfinished_runs())
    url, cleanup = new_database("sqlite", tmp_path)
    engine = make_engine(url)
    with session_scope(engine) as db:
        for name, role, township in (("staff", "staff", "qingshan"), ("approver", "approver", "qingshan"),
                                     ("auditor", "auditor", None)):
            accounts.create_user(db, username=name, display_name={"staff": "李干事", "approver": "张书记",
                                                                  "auditor": "县人大审计"}[name],
                                 role=role, township_code=township, password=PASSWORD, actor="test")
    engine.dispose()
    port = free_port()
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "CONGRESS_DATABASE_URL": url,
           "CONGRESS_OUTPUT_DIR": str(tmp_path / "output"), "CONGRESS_UPLOAD_DIR": str(tmp_path / "uploads"),
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--poll-seconds", "1"]
    try:
        with background_server(cmd, cwd=tmp_path, env=env, log_path=tmp_path / "serve.log",
                               ready_url=f"http://127.0.0.1:{port}/healthz"):
            yield f"http://127.0.0.1:{port}"
    finally:
        cleanup()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/system-packages.txt)")
def test_a_whole_session_in_the_browser(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.walkthrough import launch_browser, walkthrough

    shots = tmp_path / "screenshots"
    readme = REPO_ROOT / "docs" / "screenshots" if os.environ.get("CONGRESS_SCREENSHOTS") == "docs" else None
    with sync_playwright() as p:
        browser = launch_browser(p)
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        try:
            seen = walkthrough(context.new_page(), served, shots, readme)
        finally:
            print(f"screenshots: {shots}")
            browser.close()
    import docx
    import icalendar

    resolution = Path(str(seen["resolution_docx"]))
    assert resolution.suffix == ".docx" and resolution.name.startswith("关于青山镇")
    text = "\n".join(p.text for p in docx.Document(str(resolution)).paragraphs)
    assert "青山镇第十八届人民代表大会第三次会议通过" in text
    calendar = icalendar.Calendar.from_ical(Path(str(seen["calendar"])).read_bytes())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any("第一次全体会议" in s for s in summaries) and len(summaries) >= 4
