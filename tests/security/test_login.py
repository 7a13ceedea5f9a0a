"""Log-ins (issue 9, item 4): guessing is throttled per account and per client address — a growing delay
after 5 failures in 15 minutes, a 15-minute lock after 10 — without sleeping in the request; every
attempt is audited with its address; an administrator unlocks (page and CLI); new passwords follow a
policy. Waiting is simulated by moving the recorded failures back in time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from congress.lifecycle.operations import now
from congress.models import AuditEvent
from congress.models.auth import LoginFailure
from congress.settings import Settings
from congress.web import accounts
from congress.web.app import create_app
from tests.security.conftest import PASSWORDS, Site, csrf, login


def _wait(site: Site, seconds: float) -> None:
    """As if `seconds` had passed since every recorded failure."""
    with site.db() as db:
        for failure in db.scalars(select(LoginFailure)):
            failure.at -= timedelta(seconds=seconds)


def _fail(site: Site, times: int, username: str = "staff_a", address: str = "testclient") -> None:
    """Failed log-ins recorded as the log-in route records them."""
    with site.db() as db:
        for _ in range(times):
            accounts.record_login_failure(db, username=username, address=address)


def _events(site: Site, action: str) -> list[AuditEvent]:
    with site.db() as db:
        events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        db.expunge_all()
    return events


def test_guessing_is_slowed_then_locked_and_the_right_password_waits_too(site: Site) -> None:
    client = site.client()
    for _ in range(5):
        assert login(client, "staff_a", "wrong-guess-123").status_code == 401
    # the 6th attempt is refused without checking the password, even the right one
    refused = login(client, "staff_a")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "15"
    assert "登录失败次数过多，请 15 秒后再试" in refused.text
    wait, delays = 15, []
    for _ in range(5):  # failures 6..10, each once the delay before it has passed
        _wait(site, wait)
        assert login(client, "staff_a", "wrong-guess-123").status_code == 401
        after = login(client, "staff_a", "wrong-guess-123")
        assert after.status_code == 429
        wait = int(after.headers["retry-after"])
        delays.append(wait)
    assert delays == [30, 60, 120, 240, 900]  # doubling, then the 15-minute lock
    locked = login(client, "staff_a")
    assert locked.status_code == 429 and "已暂停登录 15 分钟" in locked.text and "管理员解锁" in locked.text
    failed = _events(site, "login_failed")
    assert len(failed) == 10 and {e.actor for e in failed} == {"staff_a"}
    assert all(e.detail["address"] == "testclient" and e.at is not None for e in failed)
    assert {e.detail["reason"] for e in _events(site, "login_refused")} == {"delayed", "locked"}


def test_guessing_is_not_a_window_reset_by_waiting(sqlite_site: Site) -> None:
    site = sqlite_site
    """Waiting out a delay allows ONE more try, not another five."""
    client = site.client()
    for _ in range(5):
        login(client, "staff_a", "wrong-guess-123")
    _wait(site, 16)
    assert login(client, "staff_a", "wrong-guess-123").status_code == 401
    assert login(client, "staff_a", "wrong-guess-123").status_code == 429


def test_an_administrator_unlocks_on_the_admin_page_and_a_log_in_resets_the_count(site: Site) -> None:
    admin = site.client("admin")  # logged in before: the guesses below lock their address too
    client = site.client()
    _fail(site, 10)
    assert login(client, "staff_a").status_code == 429
    page = admin.get("/admin")
    assert page.status_code == 200 and "staff_a" in page.text and "已锁定" in page.text
    unlocked = admin.post("/admin/unlock", data={"csrf_token": csrf(admin), "username": "staff_a"},
                          follow_redirects=False)
    assert unlocked.status_code == 303
    event = _events(site, "login_unlocked")[-1]
    assert event.actor == "admin" and event.detail["username"] == "staff_a" and event.detail["cleared"] == 10
    assert "staff_a" not in admin.get("/admin").text.split('id="locked"')[1].split("</table>")[0]
    # the same address is free again too (its failures were this account's)
    assert login(client, "staff_a").status_code == 303
    logged_in = _events(site, "logged_in")[-1]
    assert logged_in.actor == "staff_a" and logged_in.detail["address"] == "testclient"
    # a successful log-in reset the account: four more failures are not throttled
    for _ in range(4):
        assert login(site.client(), "staff_a", "wrong-guess-123").status_code == 401
    assert login(site.client(), "staff_a").status_code == 303


def test_one_address_guessing_at_many_accounts_is_slowed_too(sqlite_site: Site) -> None:
    site = sqlite_site
    client = site.client()
    for name in ("staff_a", "approver_a", "auditor", "admin", "nobody"):
        assert login(client, name, "wrong-guess-123").status_code == 401
    refused = login(client, "staff_b")  # a sixth account, the right password, the same address
    assert refused.status_code == 429
    # unknown names are throttled like real ones: nothing tells an attacker which accounts exist
    with site.db() as db:
        assert accounts.login_throttle(db, username="nobody", address="elsewhere") is None
        for _ in range(4):
            accounts.record_login_failure(db, username="nobody", address="elsewhere")
        assert accounts.login_throttle(db, username="nobody", address="198.51.100.7") is not None


def test_x_forwarded_for_counts_only_behind_the_configured_proxy(sqlite_site: Site) -> None:
    site = sqlite_site
    client = site.client()
    for i in range(5):  # a forged header does not give each guess a fresh address
        login(client, f"user{i}", "wrong-guess-123", **{"X-Forwarded-For": f"203.0.113.{i}"})
    assert login(client, "staff_a", **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429
    assert {e.detail["address"] for e in _events(site, "login_failed")} == {"testclient"}

    behind = Settings(**{**site.settings.model_dump(), "behind_https_proxy": True})
    from fastapi.testclient import TestClient

    proxied = TestClient(create_app(behind))
    # the proxy appends the peer it saw; what the client put before it is ignored
    response = login(proxied, "staff_a", **{"X-Forwarded-For": "10.9.9.9, 198.51.100.20"})
    assert response.status_code == 303
    assert _events(site, "logged_in")[-1].detail["address"] == "198.51.100.20"


@pytest.mark.parametrize(("password", "reason"), [
    ("short-pw", "至少需要 10 个字符"),
    ("my-staff_a-password", "不能包含用户名"),
    ("MY-STAFF_A-PASSWORD", "不能包含用户名"),
    ("aaaaaaaaaaaa", "同一个字符"),
    ("1234567890", "过于常见"),
    ("Password123", "过于常见"),
    ("abcdefghijklm", "过于常见"),
])
def test_password_policy_gives_chinese_reasons(password: str, reason: str) -> None:
    problems = accounts.password_problems("staff_a", password)
    assert any(reason in p for p in problems), problems


def test_password_policy_accepts_a_reasonable_password() -> None:
    assert accounts.password_problems("staff_a", "青山镇-人大-2026") == []
    assert accounts.password_problems("staff_a", PASSWORDS["staff_a"]) == []


def _cli(*args: str, cwd: Path, url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONGRESS_DATABASE_URL": url, "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=cwd, env=env, text=True, input=stdin,
                          capture_output=True, timeout=120)


def test_the_cli_refuses_weak_passwords_and_unlocks(sqlite_site: Site, tmp_path: Path) -> None:
    site = sqlite_site
    url = site.settings.database_url
    weak = _cli("users", "add", "lixs", "--role", "staff", "--township", "qingshan", "--password-stdin",
                cwd=tmp_path, url=url, stdin="lixs123456\n")
    assert weak.returncode == 1
    lines = [line for line in weak.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "密码不能包含用户名" in lines[0] and "Traceback" not in weak.stderr
    client = site.client()
    _fail(site, 10)
    assert login(client, "staff_a").status_code == 429
    unlocked = _cli("users", "unlock", "staff_a", cwd=tmp_path, url=url)
    assert unlocked.returncode == 0, unlocked.stderr
    assert re.search(r"已解锁 staff_a（清除 10 次", unlocked.stdout)
    assert login(client, "staff_a").status_code == 303
    assert _events(site, "login_unlocked")[-1].actor == "admin-cli"


def test_failures_older_than_the_window_do_not_count(sqlite_site: Site) -> None:
    site = sqlite_site
    client = site.client()
    for _ in range(5):
        login(client, "staff_a", "wrong-guess-123")
    _wait(site, 16 * 60)
    with site.db() as db:
        assert accounts.login_throttle(db, username="staff_a", address="testclient", at=now()) is None
    assert login(client, "staff_a").status_code == 303
