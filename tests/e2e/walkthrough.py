"""A whole session driven through the dashboard in Chromium, as township staff and the approver do it —
without a single 继续办理 click: after 开始办理, each recorded input carries the session on by itself.

Used by tests/e2e/test_browser.py against `congress serve`; also runnable by hand against any running
dashboard: python -m tests.e2e.walkthrough http://127.0.0.1:8000 SHOTS_DIR
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from congress.settings import REPO_ROOT
from tests.sample_tallies import sample_votes

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SAMPLE = REPO_ROOT / "config" / "sample"
KEY = "qingshan-18-3"
# a flow run: the runner picks it up within its poll interval, then a subprocess runs the steps
FLOW_TIMEOUT_MS = 180_000
# the test accounts' password (the password policy refuses one containing the user name)
PASSWORD = "qingshan-2026"
STATUS = {"出席": "present", "请假": "leave", "缺席": "absent"}


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


def wait_gate(page: Page, gate: str, *, idle: bool = False) -> None:
    """Wait, on the open timeline (it updates itself), until the session waits for `gate` — shown as whom
    it waits for, while the run may still be making the PDFs — and with `idle`, until no run is at work."""
    expect(page.locator(f"[data-gate={gate}]")).to_have_count(1, timeout=FLOW_TIMEOUT_MS)
    if idle:
        expect(page.locator("#run[data-active='0']")).to_have_count(1, timeout=FLOW_TIMEOUT_MS)


def no_continue_button(page: Page) -> None:
    """While the session waits for someone's input, nobody is offered a button to run it."""
    expect(page.locator("#launch-button")).to_have_count(0)


def walkthrough(page: Page, base: str, shots: Path, readme_shots: Path | None = None, *,
                check: Callable[[str, Page], None] | None = None,
                pause_service: Callable[[], None] | None = None) -> dict[str, object]:
    """Staff create and start the sample session; the approver reads and approves the plan; staff enter
    attendance (while the flow service is paused, if `pause_service` pauses it) and tallies; the
    approver agrees to the resolutions; the session completes; documents download. `check(label, page)`
    is called on every page shown (the words on it); screenshots of each role's view go to `shots`
    (and the docs' ones to `readme_shots`)."""
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    seen: dict[str, object] = {}

    def shot(name: str, *, full: bool = True, docs: str | None = None) -> None:
        if check is not None:
            check(name, page)
        if not full:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=full)
        if readme_shots is not None and docs is not None:
            page.screenshot(path=str(readme_shots / docs), full_page=False)

    log_in(page, base, "staff", PASSWORD)
    page.click("#sample-form button")
    page.wait_for_url(f"**/sessions/{KEY}?notice=loaded")
    start = page.locator("#launch-button")
    expect(start).to_have_text("开始办理")
    start.click()
    page.wait_for_url("**/sessions/*?notice=*")
    shot("01-staff-started")
    wait_gate(page, "party_approval_plan")
    expect(page.locator("#waiting-for")).to_contain_text("等待党委审批人（张书记）审批会议方案")
    no_continue_button(page)
    expect(page.locator("tr[data-step=plan]")).to_have_attribute("data-status", "done")
    shot("02-staff-waits-for-the-approver", docs="staff-waits-for-approver.png")
    log_out(page)

    # the approver reads the plan and the 请示 in the page, then approves; the session goes on by itself
    log_in(page, base, "approver", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}")
    page.click("#answer-gate")
    page.wait_for_url(f"**/sessions/{KEY}/approval/plan")
    for _ in range(60):  # the PDFs are made right after the gate showed: their pages come in seconds later
        if page.locator(".page-image").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.locator(".page-image").first).to_be_visible()
    expect(page.locator("#approver")).to_have_text("张书记")
    shot("03-approver-reads-the-plan", docs="approver-reads-the-plan.png")
    page.check("input[name=decision][value=approved]")
    page.click("#approval-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=approval")
    expect(page.locator("#launch-button")).to_have_count(0)  # approvers do not start flows
    expect(page.locator("#running")).to_contain_text("党委审批会议方案后自动继续", timeout=10_000)
    shot("04-approver-sees-it-continue")
    page.goto(f"{base}/sessions/{KEY}/tallies")
    expect(page.locator("#tallies-form button[type=submit]")).to_have_count(0)
    log_out(page)

    log_in(page, base, "staff", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}")
    wait_gate(page, "attendance")
    no_continue_button(page)
    expect(page.locator("tr[data-step=notices]")).to_have_attribute("data-status", "done")
    shot("05-staff-waits-for-attendance", full=False, docs="timeline.png")

    # attendance: nobody marked yet; 全部出席, then the few on leave or absent; the live check counts
    page.click("#answer-gate")
    page.wait_for_url(f"**/sessions/{KEY}/attendance")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    page.click("#all-present")
    with (SAMPLE / "attendance.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["出席情况"] != "出席":
                page.check(f"input[name='status.{row['代表编号']}'][value={STATUS[row['出席情况']]}]")
            if row["请假批准"] == "是":
                page.check(f"input[name='approved.{row['代表编号']}']")
    expect(page.locator("#check-result")).to_contain_text("已标记 60 名", timeout=10_000)
    expect(page.locator("#check-result")).to_contain_text("出席 56 名")
    expect(page.locator("#check-result")).to_contain_text("第十四条")
    shot("06-staff-attendance", full=False, docs="attendance.png")
    page.click("#attendance-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=attendance")
    # no run at work when the flow service goes down below: what is entered then waits for the service
    wait_gate(page, "tallies", idle=pause_service is not None)
    no_continue_button(page)

    # tallies: first a number that breaks a rule, shown live with its article, then the sample's numbers
    page.goto(f"{base}/sessions/{KEY}/tallies")
    page.fill("input[name='vote.agenda.yes']", "57")
    expect(page.locator("tr[data-field='votes.agenda'] .field-check")).to_contain_text("多于出席代表56名",
                                                                                     timeout=10_000)
    expect(page.locator("tr[data-field='votes.agenda'] .field-check")).to_contain_text("第二十二条")
    shot("07-staff-tally-rule", full=False, docs="tallies-live-check.png")
    votes = sample_votes()
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
    shot("08-staff-tallies")
    if pause_service is not None:
        pause_service()  # the flow service goes down: the page says so, the input is kept and picked up later
    page.click("#tallies-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=tallies")
    if pause_service is not None:
        expect(page.locator("#service-paused")).to_contain_text("流程服务暂停", timeout=10_000)
        expect(page.locator("#running")).to_contain_text("流程服务恢复后自动开始")
        no_continue_button(page)
        shot("09-staff-while-the-flow-service-is-paused", full=False, docs="service-paused.png")
    wait_gate(page, "party_approval_resolutions")
    no_continue_button(page)
    expect(page.locator("tr[data-step=reports]")).to_have_attribute("data-status", "done")
    shot("10-staff-waits-for-the-agreement")
    log_out(page)

    log_in(page, base, "approver", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}/approval/resolutions")
    expect(page.locator("#documents details.document")).not_to_have_count(0)
    shot("11-approver-reads-the-drafts")
    page.check("input[name=decision][value=approved]")
    page.click("#approval-form button[type=submit]")
    page.wait_for_url(f"**/sessions/{KEY}?notice=approval")
    log_out(page)

    log_in(page, base, "staff", PASSWORD)
    page.goto(f"{base}/sessions/{KEY}")
    expect(page.locator("#session-state")).to_have_text("已完成", timeout=FLOW_TIMEOUT_MS)
    expect(page.locator("#resolutions li.resolution-adopted")).to_have_count(3)
    # the PDFs come in after the last gate, then the step-completion audit report: wait for them
    expect(page.locator("#run[data-active='0']")).to_have_count(1, timeout=FLOW_TIMEOUT_MS)
    expect(page.locator("tr[data-step=audit]")).to_have_count(1, timeout=10_000)
    no_continue_button(page)
    shot("12-staff-completed", docs="completed.png")

    # documents download: a resolution from the timeline and a calendar file
    with page.expect_download() as info:
        page.locator("#resolutions a").first.click()
    download = info.value
    target = shots / download.suggested_filename
    download.save_as(str(target))
    seen["resolution_docx"] = target
    with page.expect_download() as info:
        page.locator("tr[data-step=notices] a", has_text="会议日程").click()
    ics = shots / info.value.suggested_filename
    info.value.save_as(str(ics))
    seen["calendar"] = ics

    page.goto(f"{base}/sessions/{KEY}/audit")
    expect(page.locator("#checklist .check", has_text="✔")).to_have_count(11)
    shot("13-staff-audit", full=False)
    page.goto(f"{base}/sessions/{KEY}/suggestions")
    shot("14-staff-suggestions")
    log_out(page)

    log_in(page, base, "auditor", PASSWORD)
    page.goto(f"{base}/county")
    expect(page.locator("#county")).to_contain_text("10/10")
    shot("15-auditor-county", full=False, docs="county.png")
    page.goto(f"{base}/sessions/{KEY}/audit")
    shot("16-auditor-audit", full=False, docs="audit.png")
    log_out(page)

    log_in(page, base, "admin", PASSWORD)
    page.goto(f"{base}/admin")
    shot("17-admin", docs="admin.png")
    log_out(page)
    return seen


if __name__ == "__main__":
    with sync_playwright() as p:
        browser = launch_browser(p)
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        print(walkthrough(context.new_page(), sys.argv[1], Path(sys.argv[2])))
        browser.close()
