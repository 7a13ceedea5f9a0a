"""End to end in Debian's Chromium: `congress serve` (dashboard + supervised flow runner) against the
session-wide Prefect test harness, and a whole session clicked through by staff, the approver, the
auditor and the administrator — without a single 继续办理 click: each recorded input continues the
session by itself. On the way the runner is killed: the page says 流程服务暂停, the attendance entered
meanwhile is kept, and the session goes on once `serve` has restarted the runner. Every page shown is
checked for ASCII words (tests/test_web_chinese.py's rules).

Screenshots of each role's view go to the test's tmp folder (printed); with CONGRESS_SCREENSHOTS=docs
the ones of docs/dashboard.md and the README are refreshed in docs/screenshots/ as well.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from congress.db import make_engine, session_scope
from congress.settings import REPO_ROOT
from congress.web import accounts
from tests.conftest import new_database
from tests.servers import background_server, free_port
from tests.test_web import PASSWORD
from tests.test_web_chinese import Crawl, _data

pytestmark = pytest.mark.flow
CHROMIUM = Path("/usr/bin/chromium")
ACCOUNTS = {"staff": ("staff", "qingshan", "李干事"), "approver": ("approver", "qingshan", "张书记"),
            "auditor": ("auditor", None, "县人大审计"), "admin": ("admin", None, "系统管理员")}


def _flows(base: str) -> str:
    try:
        return str(httpx.get(f"{base}/healthz", timeout=2).json().get("flows"))
    except httpx.HTTPError:
        return "unreachable"


def wait_flows(base: str, state: str, seconds: float = 120) -> float:
    """Seconds until /healthz says the flow service is `state`."""
    started = time.monotonic()
    while _flows(base) != state:
        if time.monotonic() - started > seconds:
            pytest.fail(f"the flow service did not become {state} within {seconds:g} s")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def served(prefect_harness: None, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], str]]:
    """`congress serve` in a subprocess, its runner on the harness's Prefect API; yields the base URL, the
    serve process and the database URL, once the flow service is up."""
    from prefect.settings import PREFECT_API_URL

    from tests.test_web_flows import cancel_unfinished_runs

    # runs left scheduled by an earlier test would be picked up by this runner
    asyncio.run(cancel_unfinished_runs())
    url, cleanup = new_database("sqlite", tmp_path)
    engine = make_engine(url)
    with session_scope(engine) as db:
        for name, (role, township, display) in ACCOUNTS.items():
            accounts.create_user(db, username=name, display_name=display, role=role, township_code=township,
                                 password=PASSWORD, actor="test")
    engine.dispose()
    port = free_port()
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "CONGRESS_DATABASE_URL": url,
           "CONGRESS_OUTPUT_DIR": str(tmp_path / "output"), "CONGRESS_UPLOAD_DIR": str(tmp_path / "uploads"),
           "CONGRESS_LOG_DIR": str(tmp_path / "logs"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--poll-seconds", "1"]
    base = f"http://127.0.0.1:{port}"
    try:
        with background_server(cmd, cwd=tmp_path, env=env, log_path=tmp_path / "serve.log",
                               ready_url=f"{base}/healthz") as proc:
            wait_flows(base, "up")
            yield base, proc, url
    finally:
        cleanup()


def runner_pid(serve: subprocess.Popen[bytes]) -> int:
    """The runner `serve` started (its child running flows.deployments)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == serve.pid and b"flows.deployments" in command:
            return int(entry.name)
    pytest.fail("no runner under congress serve")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/system-packages.txt)")
def test_a_whole_session_in_the_browser_without_pressing_continue(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    from tests.e2e.walkthrough import launch_browser, walkthrough

    base, serve, database = served
    engine = make_engine(database)
    crawl = Crawl(_data(engine))
    paused: dict[str, float] = {}

    def check(label: str, page) -> None:  # type: ignore[no-untyped-def]
        crawl.data |= _data(engine)
        crawl.check(label, page.inner_text("body"))

    def pause_service() -> None:
        """Kill the runner; `serve` notices, says so, and starts it again after its back-off."""
        killed = runner_pid(serve)
        os.kill(killed, signal.SIGKILL)
        paused["down"] = wait_flows(base, "down", 10)
        paused["killed"] = killed

    shots = tmp_path / "screenshots"
    readme = REPO_ROOT / "docs" / "screenshots" if os.environ.get("CONGRESS_SCREENSHOTS") == "docs" else None
    with sync_playwright() as p:
        browser = launch_browser(p)
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        try:
            seen = walkthrough(context.new_page(), base, shots, readme, check=check, pause_service=pause_service)
        finally:
            print(f"screenshots: {shots}")
            browser.close()
    # the runner came back as another process, and picked up the attendance recorded while it was down
    assert _flows(base) == "up" and runner_pid(serve) != paused["killed"]
    engine.dispose()
    report = "\n".join(f"{word!r} on {', '.join(sorted(pages))}" for word, pages in sorted(crawl.found.items()))
    assert not crawl.found, f"ASCII words in pages:\n{report}"

    import docx
    import icalendar

    resolution = Path(str(seen["resolution_docx"]))
    assert resolution.suffix == ".docx" and resolution.name.startswith("关于青山镇")
    text = "\n".join(p.text for p in docx.Document(str(resolution)).paragraphs)
    assert "青山镇第十八届人民代表大会第三次会议通过" in text
    calendar = icalendar.Calendar.from_ical(Path(str(seen["calendar"])).read_bytes())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any("第一次全体会议" in s for s in summaries) and len(summaries) >= 4
