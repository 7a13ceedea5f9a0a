"""A whole session driven through the dashboard in Chromium, as township staff and the approver do it.

Used by tests/e2e/test_browser.py against `congress serve`; also runnable by hand against any running
dashboard: python -m tests.e2e.walkthrough http://127.0.0.1:8000 SHOTS_DIR
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from congress.settings import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SAMPLE = REPO_ROOT / "config" / "sample"
KEY = "qingshan-18-3"
# a flow run: the runner picks it up within its poll interval, then a subprocess runs the steps
FLOW_TIMEOUT_MS = 180_000
# the test accounts' password (the password policy refuses one containing the user name)
PASSWORD = "qingshan-2026"


def launch_browser(playwright) -> Browser:  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def log_out(page: Page) -> None:
    page.click("header form button")
    page.wait_for_url("**/login")


def wait_state(page: Page, state_cn: str) -> None:
    """Wait, on the open timeline, until the live part shows the session in this state and idle."""
    expect(page.locator("#session-state")).to_have_text(state_cn, timeout=FLOW_TIMEOUT_MS)
    expect(page.locator("#run[data-active='0']")).to_have_count(1, timeout=FLOW_TIMEOUT_MS)


def start_flow(page: Page, label: str) -> None:
    button = page.locator("#launch-button")
    expect(button).to_have_text(label)
    button.click()
    page.wait_for_url("**/sessions/*?notice=*")


def walkthrough(page: Page, base: str, shots: Path, readme_shots: Path | None = None) -> dict[str, object]:
    """Staff create and start the sample session, the approver approves, staff enter attendance and
    tallies, the approver agrees to the resolutions, resolutions appear and documents download."""
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    seen: dict[str, object] = {}

    log_in(page, base, "staff", PASSWORD)
    page.click("#sample-form button")
    page.wait_for_url(f"**/sessions/{KEY}?notice=loaded")
    start_flow(page, "开始办理")
    expect(page.locator("#notice")).to_contain_text("已启动流程")
    page.screenshot(path=str(shots / "01-started.png"), full_page=True)
    wait_state(page, "等待录入")
    expect(page.locator("tr[data-step=party_approval]")).to_have_attribute("data-status", "waiting")
    expect(page.locator("tr[data-step=plan]")).to_have_attribute("data-status", "done")
    page.screenshot(path=str(shots / "02-waiting-approval.png"), full_page=True)
    log_out(page)

    # the party approver approves the plan; they may not enter tallies
    log_in(page, base, "approver", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}/approval/plan")
    page.check("input[name=decision][value=approved]")
    page.click("#approval-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=approval")
    expect(page.locator("#launch-button")).to_have_count(0)  # approvers do not start flows
    page.goto(f"{base}/sessions/{KEY}/tallies")
    expect(page.locator("#tallies-form button[type=submit]")).to_have_count(0)
    log_out(page)

    log_in(page, base, "staff", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}")
    start_flow(page, "继续办理")
    wait_state(page, "等待录入")
    expect(page.locator("tr[data-step=notices]")).to_have_attribute("data-status", "done")
    if readme_shots is not None:
        page.screenshot(path=str(readme_shots / "timeline.png"), full_page=False)
    page.screenshot(path=str(shots / "03-waiting-attendance.png"), full_page=True)

    # attendance as in the sample file, clicked into the form; the live check shows the quorum rule
    page.goto(f"{base}/sessions/{KEY}/attendance")
    with (SAMPLE / "attendance.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            value = {"出席": "present", "请假": "leave", "缺席": "absent"}[row["出席情况"]]
            page.check(f"input[name='status.{row['代表编号']}'][value={value}]")
            if row["请假批准"] == "是":
                page.check(f"input[name='approved.{row['代表编号']}']")
    expect(page.locator("#check-result")).to_contain_text("出席 56 名", timeout=10_000)
    expect(page.locator("#check-result")).to_contain_text("第十四条")
    page.screenshot(path=str(shots / "04-attendance.png"), full_page=False)
    page.click("#attendance-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=attendance")

    # tallies: first a number that breaks a rule, shown live with its article, then the sample's numbers
    page.goto(f"{base}/sessions/{KEY}/tallies")
    page.fill("input[name='vote.agenda.yes']", "57")
    expect(page.locator("tr[data-field='votes.agenda'] .field-check")).to_contain_text("多于出席代表56名",
                                                                                     timeout=10_000)
    expect(page.locator("tr[data-field='votes.agenda'] .field-check")).to_contain_text("第二十二条")
    page.screenshot(path=str(shots / "05-tally-rule.png"), full_page=False)
    if readme_shots is not None:
        page.screenshot(path=str(readme_shots / "tallies-live-check.png"), full_page=False)
    votes = {"presidium-list": (56, 0, 0), "agenda": (56, 0, 0), "resolution-government-work": (55, 0, 1),
             "resolution-budget": (53, 1, 2), "resolution-presidium": (54, 0, 2)}
    for key, numbers in votes.items():
        for part, n in zip(("yes", "no", "abstain"), numbers, strict=True):
            page.fill(f"input[name='vote.{key}.{part}']", str(n))
    for name, value in (("ballots_issued", 56), ("ballots_returned", 56), ("ballots_void", 1)):
        page.fill(f"input[name='el.vice-chair.0.{name}']", str(value))
    # candidates are listed in the order of the session file: 陈晓梅, 刘志强
    page.fill("input[name='el.vice-chair.0.votes.0']", "41")
    page.fill("input[name='el.vice-chair.0.votes.1']", "14")
    expect(page.locator("fieldset[data-field='elections.vice-chair.rounds.0'] .field-check")).to_contain_text(
        "陈晓梅当选", timeout=10_000)
    expect(page.locator(".field-error")).to_have_count(0)
    page.screenshot(path=str(shots / "06-tallies.png"), full_page=True)
    page.click("#tallies-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=tallies")
    start_flow(page, "继续办理")
    wait_state(page, "等待录入")
    expect(page.locator("tr[data-step=reports]")).to_have_attribute("data-status", "done")
    log_out(page)

    log_in(page, base, "approver", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}/approval/resolutions")
    page.check("input[name=decision][value=approved]")
    page.click("#approval-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=approval")
    log_out(page)

    log_in(page, base, "staff", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}")
    start_flow(page, "继续办理")
    wait_state(page, "已完成")
    expect(page.locator("#resolutions li.resolution-adopted")).to_have_count(3)
    page.screenshot(path=str(shots / "07-completed.png"), full_page=True)
    if readme_shots is not None:
        page.screenshot(path=str(readme_shots / "completed.png"), full_page=False)

    # documents download: a resolution .docx from the timeline and a calendar file
    with page.expect_download() as info:
        page.locator("#resolutions a").first.click()
    download = info.value
    target = shots / download.suggested_filename
    download.save_as(str(target))
    seen["resolution_docx"] = target
    with page.expect_download() as info:
        page.locator("tr[data-step=notices] a", has_text="会议日程.ics").click()
    ics = shots / info.value.suggested_filename
    info.value.save_as(str(ics))
    seen["calendar"] = ics

    page.goto(f"{base}/sessions/{KEY}/audit")
    expect(page.locator("#checklist .check", has_text="✔")).to_have_count(11)
    page.screenshot(path=str(shots / "08-audit.png"), full_page=False)
    page.goto(f"{base}/sessions/{KEY}/suggestions")
    page.screenshot(path=str(shots / "09-suggestions.png"), full_page=True)
    log_out(page)

    log_in(page, base, "auditor", PASSWORD)
    page.goto(f"{base}/county")
    expect(page.locator("#county")).to_contain_text("10/10")
    page.screenshot(path=str(shots / "10-county.png"), full_page=False)
    if readme_shots is not None:
        page.screenshot(path=str(readme_shots / "county.png"), full_page=False)
    return seen


if __name__ == "__main__":
    with sync_playwright() as p:
        browser = launch_browser(p)
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        print(walkthrough(context.new_page(), sys.argv[1], Path(sys.argv[2])))
        browser.close()
