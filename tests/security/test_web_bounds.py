"""Bounds before work (issue 9, item 3, the dashboard): every number a form or a URL carries is checked
before any computation; nothing a user types produces a 500 or a request longer than a second; errors
are Chinese; an unexpected exception is logged with its traceback while the user reads one line."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select

from congress.models import PartyApproval, Vote
from tests.security.conftest import KEY, Site, create_sample, csrf

CJK = re.compile(r"[\u4e00-\u9fff]")


def _tallies(site: Site, **fields: str) -> tuple[float, object]:
    staff = site.client("staff_a", raise_server_exceptions=False)
    create_sample(staff)
    form = {"csrf_token": csrf(staff), **fields}
    started = time.monotonic()
    response = staff.post(f"/sessions/{KEY}/tallies/check", data=form, headers={"Accept": "application/json"})
    return time.monotonic() - started, response


def test_a_million_rounds_is_refused_at_once_in_chinese(sqlite_site: Site) -> None:
    site = sqlite_site
    seconds, response = _tallies(site, **{"el.vice-chair.rounds": "1000000", "el.vice-chair.0.ballots_issued": "56"})
    assert response.status_code == 200 and seconds < 1.0, seconds  # was ~10 s, stalling every township
    body = response.json()
    assert not body["ok"]
    problem = next(p for p in body["problems"] if p["field"] == "elections.vice-chair.rounds")
    assert "1 到 20" in problem["problem"] or "0 到 20" in problem["problem"]


def test_rounds_that_are_not_a_number_are_a_problem_not_a_500(sqlite_site: Site) -> None:
    site = sqlite_site
    seconds, response = _tallies(site, **{"el.vice-chair.rounds": "abc"})
    assert response.status_code == 200 and seconds < 1.0  # was a 500
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == ["elections.vice-chair.rounds"]
    assert "“abc”不是整数" in problems[0]["problem"]


def test_counts_are_bounded_by_the_roster_and_write_ins_by_the_limit(sqlite_site: Site) -> None:
    site = sqlite_site
    seconds, response = _tallies(site, **{
        "vote.agenda.yes": "1" + "0" * 30, "vote.agenda.no": "-1", "vote.agenda.abstain": "61",
        "el.vice-chair.rounds": "1", "el.vice-chair.0.ballots_issued": "56",
        "el.vice-chair.0.write_ins": "\n".join(f"某{i}:1" for i in range(60)),
    })
    assert response.status_code == 200 and seconds < 1.0
    fields = {p["field"]: p["problem"] for p in response.json()["problems"]}
    assert "0 到 60" in fields["votes.agenda.no"] and "0 到 60" in fields["votes.agenda.abstain"]
    assert "不是整数" in fields["votes.agenda.yes"]  # 31 digits: not even parsed
    assert "最多 50 项" in fields["elections.vice-chair.rounds.0.write_ins"]


def test_the_tallies_form_refuses_out_of_bounds_values_and_stores_nothing(site: Site) -> None:
    staff = site.client("staff_a", raise_server_exceptions=False)
    create_sample(staff)
    refused = staff.post(f"/sessions/{KEY}/tallies", data={"csrf_token": csrf(staff), "vote.agenda.yes": "99999999",
                                                           "el.vice-chair.rounds": "abc"})
    assert refused.status_code == 422 and "0 到 60 之间的整数" in refused.text and "不是整数" in refused.text
    with site.db() as db:
        assert db.scalar(select(func.count()).select_from(Vote).where(Vote.yes.is_not(None))) == 0


def test_ids_beyond_the_column_are_the_ordinary_404_page(site: Site) -> None:
    staff = site.client("staff_a", raise_server_exceptions=False)
    create_sample(staff)
    huge = "99999999999999999999999"
    for path in (f"/sessions/{KEY}/files/{huge}", f"/sessions/{KEY}/files/-1", f"/sessions/{KEY}/files/abc",
                 f"/suggestions/{huge}", f"/suggestions/files/{huge}", f"/sessions/{'k' * 300}",
                 f"/sessions/{KEY}/files/{2**31}"):
        response = staff.get(path)
        assert response.status_code == 404, (path, response.status_code)  # the first was a 500
        assert "找不到页面" in response.text, path


def test_validation_errors_are_chinese_pages_not_english_json(sqlite_site: Site) -> None:
    site = sqlite_site
    client = site.client(raise_server_exceptions=False)
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"login_csrf": token})  # no user name, no password
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Field required" not in response.text and "表单缺少内容或格式不对" in response.text
    as_json = client.post("/login", data={"login_csrf": token}, headers={"Accept": "application/json"})
    assert as_json.status_code == 422 and "表单缺少内容" in as_json.json()["error"]
    assert "detail" not in as_json.json()


def test_forms_bound_texts_and_dates(sqlite_site: Site) -> None:
    site = sqlite_site
    approver = site.client("approver_a", raise_server_exceptions=False)
    create_sample(site.client("staff_a"))
    token = csrf(approver)
    far = approver.post(f"/sessions/{KEY}/approval/plan", data={
        "csrf_token": token, "decision": "approved", "decided_on": "9999-12-31"})
    assert far.status_code == 422 and "审批日期必须在" in far.text
    long = approver.post(f"/sessions/{KEY}/approval/plan", data={
        "csrf_token": token, "decision": "returned", "decided_on": "2026-12-02", "comments": "改" * 20_001})
    assert long.status_code == 422 and "意见不能超过 20000 个字符" in long.text
    with site.db() as db:
        assert db.scalar(select(func.count()).select_from(PartyApproval).where(PartyApproval.decision.is_not(None))) == 0


def test_an_unexpected_error_is_logged_and_the_user_reads_one_chinese_line(sqlite_site: Site) -> None:
    site = sqlite_site
    app = site.app()

    @app.get("/test-only/broken")
    def broken() -> None:
        raise RuntimeError("secret detail of the failure")

    from fastapi.testclient import TestClient

    response = TestClient(app, raise_server_exceptions=False).get("/test-only/broken")
    assert response.status_code == 500
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert "服务器内部出错，已记入日志" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    reference = re.search(r"编号 ([0-9a-f]{8})", response.text).group(1)  # type: ignore[union-attr]
    log = (site.settings.log_dir / "web-errors.log").read_text(encoding="utf-8")
    assert f"reference={reference}" in log and "Traceback" in log and "secret detail of the failure" in log
