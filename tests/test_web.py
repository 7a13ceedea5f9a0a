"""Dashboard routes through FastAPI's TestClient on SQLite and PostgreSQL: log-in, roles and township
scope, CSRF, creating a session (same errors as the CLI), the gate forms and their live checks."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from congress.db import make_engine, session_scope
from congress.errors import InputError
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import next_step, run_step
from congress.models import (
    Attendance,
    AuditEvent,
    CongressSession,
    Document,
    FlowLaunch,
    PartyApproval,
    Vote,
    WebSession,
)
from congress.settings import Settings
from congress.web import accounts
from congress.web.app import create_app
from tests.conftest import SAMPLE, new_database
from tests.sample_tallies import sample_votes

KEY = "qingshan-18-3"
# every test account's password (the password policy refuses one containing the user name)
PASSWORD = "qingshan-2026"
USERS = {  # username: (role, township)
    "staff": ("staff", "qingshan"),
    "approver": ("approver", "qingshan"),
    "other": ("staff", "baishi"),
    "auditor": ("auditor", None),
    "admin": ("admin", None),
}


@dataclass
class Web:
    settings: Settings
    engine: Engine

    def client(self, username: str | None = None) -> TestClient:
        client = TestClient(create_app(self.settings))
        if username:
            login(client, username, PASSWORD)
        return client


@pytest.fixture
def web(backend: str, tmp_path: Path) -> Iterator[Web]:
    """A fresh migrated database with one account per role, and settings for the app."""
    url, cleanup = new_database(backend, tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output", upload_dir=tmp_path / "uploads")
    engine = make_engine(url)
    with session_scope(engine) as db:
        for name, (role, township) in USERS.items():
            accounts.create_user(db, username=name, display_name=f"{name}名", role=role, township_code=township,
                                 password=PASSWORD, actor="test")
    yield Web(settings, engine)
    engine.dispose()
    cleanup()


def login(client: TestClient, username: str, password: str, next: str = "/sessions"):  # type: ignore[no-untyped-def]
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": password, "login_csrf": token,
                                       "next": next}, follow_redirects=False)


def csrf(client: TestClient) -> str:
    page = client.get("/sessions").text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def create_sample(client: TestClient) -> None:
    response = client.post("/sessions/sample", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/sessions/{KEY}?notice=loaded"


# --- log-in, sessions, CSRF --------------------------------------------------------------


def test_pages_need_a_log_in(web: Web) -> None:
    client = web.client()
    response = client.get(f"/sessions/{KEY}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/sessions/{KEY}"
    assert client.get(f"/sessions/{KEY}/progress", headers={"Accept": "application/json"}).status_code == 401


def test_log_in_checks_the_password_and_stores_only_a_hash(web: Web) -> None:
    client = web.client()
    bad = login(client, "staff", "wrong-password")
    assert bad.status_code == 401 and "用户名或密码不正确" in bad.text
    assert login(client, "nobody", "whatever-pw").status_code == 401
    good = login(client, "staff", PASSWORD)
    assert good.status_code == 303 and good.headers["location"] == "/sessions"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = client.cookies.get("congress_session")
    with session_scope(web.engine) as db:
        stored = db.scalars(select(WebSession.token_sha256)).all()
        user = accounts.get_user(db, "staff")
        events = db.scalars(select(AuditEvent.action).where(AuditEvent.actor == "staff")).all()
    assert token not in stored and len(stored) == 1
    assert user is not None and user.password_hash.startswith("scrypt$") and PASSWORD not in user.password_hash
    assert "logged_in" in events


def test_login_form_needs_its_own_token_and_next_stays_on_site(web: Web) -> None:
    client = web.client()
    client.get("/login")
    forged = client.post("/login", data={"username": "staff", "password": PASSWORD, "login_csrf": "x"})
    assert forged.status_code == 403
    assert login(client, "staff", PASSWORD, next="//evil.example/").headers["location"] == "/"


def test_post_without_the_csrf_token_is_refused(web: Web) -> None:
    client = web.client("staff")
    assert client.post("/sessions/sample", data={}).status_code == 403
    assert client.post("/sessions/sample", data={"csrf_token": "forged"}).status_code == 403
    with session_scope(web.engine) as db:
        assert db.scalar(select(CongressSession)) is None
    # a token of another log-in does not work either
    other = web.client("admin")
    assert client.post("/sessions/sample", data={"csrf_token": csrf(other)}).status_code == 403


def test_log_in_expires_and_log_out_ends_it(web: Web) -> None:
    client = web.client("staff")
    assert client.get("/sessions").status_code == 200
    with session_scope(web.engine) as db:
        for web_session in db.scalars(select(WebSession)):
            web_session.expires_at = ops.now() - timedelta(seconds=1)
    assert client.get("/sessions", follow_redirects=False).status_code == 303
    client = web.client("staff")
    response = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/sessions", follow_redirects=False).status_code == 303


def test_password_change_ends_open_log_ins(web: Web) -> None:
    client = web.client("staff")
    with session_scope(web.engine) as db:
        user = accounts.get_user(db, "staff")
        assert user is not None
        accounts.set_password(db, user=user, password="new-password-1", actor="admin")
    assert client.get("/sessions", follow_redirects=False).status_code == 303
    assert login(web.client(), "staff", "new-password-1").status_code == 303


def test_settings_refuse_the_default_secret_outside_development() -> None:
    with pytest.raises(ValueError, match="CONGRESS_SECRET_KEY"):
        Settings(environment="production")
    with pytest.raises(ValueError, match="CONGRESS_SECRET_KEY"):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="production", secret_key="k" * 40).environment == "production"


def test_accounts_refuse_bad_roles_and_township_roles_without_a_township(web: Web) -> None:
    with session_scope(web.engine) as db:
        with pytest.raises(accounts.AccountError, match="必须指定所属乡镇"):
            accounts.create_user(db, username="x", display_name="x", role="staff", township_code=None,
                                 password="long-enough", actor="t")
        with pytest.raises(accounts.AccountError, match="角色"):
            accounts.create_user(db, username="y", display_name="y", role="boss", township_code=None,
                                 password="long-enough", actor="t")
        with pytest.raises(accounts.AccountError, match="至少"):
            accounts.create_user(db, username="z", display_name="z", role="admin", township_code=None,
                                 password="short", actor="t")


# --- creating a session; township scope ----------------------------------------------------


def test_staff_create_the_sample_and_see_its_timeline(web: Web) -> None:
    client = web.client("staff")
    create_sample(client)
    page = client.get(f"/sessions/{KEY}?notice=loaded")
    assert page.status_code == 200
    assert "青山镇第十八届人民代表大会第三次会议" in page.text and "会议已导入" in page.text
    assert client.get("/sessions").text.count(f"/sessions/{KEY}") >= 1
    progress = client.get(f"/sessions/{KEY}/progress").json()
    assert progress["state"] == "planned" and progress["active"] is False
    assert [s["step"] for s in progress["steps"]][:2] == ["plan", "party_approval"]
    # no flow runner attached to this app: the page says so instead of offering the button
    assert "流程服务未连接" in page.text
    assert client.post(f"/sessions/{KEY}/launch", data={"csrf_token": csrf(client)}).status_code == 409
    with session_scope(web.engine) as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "session_loaded"))
    assert event is not None and event.actor == "staff"
    uploads = list(web.settings.upload_dir.iterdir())
    assert len(uploads) == 1 and (uploads[0] / "session.yaml").exists() and (uploads[0] / "roster.csv").exists()


def test_other_township_neither_sees_nor_changes_the_session(web: Web) -> None:
    create_sample(web.client("staff"))
    other = web.client("other")
    token = csrf(other)
    assert KEY not in other.get("/sessions").text
    for path in ("", "/progress", "/attendance", "/tallies", "/audit", "/suggestions", "/approval/plan",
                 "/files/1"):
        assert other.get(f"/sessions/{KEY}{path}").status_code == 404, path
    assert other.post(f"/sessions/{KEY}/attendance", data={"csrf_token": token}).status_code == 404
    assert other.post(f"/sessions/{KEY}/launch", data={"csrf_token": token}).status_code == 404
    assert "不属于您所在的乡镇" in other.get(f"/sessions/{KEY}").text
    # and cannot load a session file of another township
    refused = other.post("/sessions/sample", data={"csrf_token": token})
    assert refused.status_code == 422 and "不是您所在的乡镇" in refused.text
    auditor = web.client("auditor")
    assert auditor.get(f"/sessions/{KEY}").status_code == 200
    county = auditor.get("/county")
    assert county.status_code == 200 and "青山镇" in county.text and "0/10" in county.text
    assert web.client("staff").get("/county").status_code == 403


def test_upload_reports_the_same_errors_as_the_cli_and_stores_nothing(web: Web, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(SAMPLE, bad)
    roster = (bad / "roster.csv").read_text(encoding="utf-8").splitlines()
    roster[5] = roster[3]  # a duplicate id on line 6
    (bad / "roster.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as cli:
        load_session_file(bad / "session.yaml")
    client = web.client("staff")
    response = client.post("/sessions/upload", data={"csrf_token": csrf(client)}, files={
        "session_file": ("session.yaml", (bad / "session.yaml").read_bytes(), "application/x-yaml"),
        "roster_file": ("代表名册.csv", (bad / "roster.csv").read_bytes(), "text/csv"),
    })
    assert response.status_code == 422
    for problem in cli.value.problems:
        assert problem.problem in response.text
        assert f"<td>{problem.line}</td>" in response.text
    assert "<td>roster.csv</td>" in response.text
    with session_scope(web.engine) as db:
        assert db.scalar(select(CongressSession)) is None


def test_upload_of_good_files_creates_the_session(web: Web) -> None:
    client = web.client("admin")
    response = client.post("/sessions/upload", data={"csrf_token": csrf(client)}, files={
        "session_file": ("session.yaml", (SAMPLE / "session.yaml").read_bytes(), "application/x-yaml"),
        "roster_file": ("名册.csv", (SAMPLE / "roster.csv").read_bytes(), "text/csv"),
    }, follow_redirects=False)
    assert response.status_code == 303
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None and len(ops.active_deputies(db, session)) == 60


def test_upload_checks_the_templates_as_the_cli_does_and_stores_nothing(web: Web, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(web.settings.templates_dir, templates)
    broken = templates / "documents" / "vote_results.md.j2"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines[4] += "{{ votes[0].total }"  # an unclosed expression on line 5
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    web.settings.templates_dir = templates
    client = web.client("admin")
    response = client.post("/sessions/sample", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 422
    assert "<td>documents/vote_results.md.j2</td><td>5</td>" in response.text and "模板语法错误" in response.text
    assert str(tmp_path) not in response.text  # no server path in the page
    with session_scope(web.engine) as db:
        assert ops.get_session(db, KEY) is None  # nothing stored

# --- the gates: who may, and the live checks -----------------------------------------------


def _advance(web: Web) -> None:
    """The steps in order until one does not finish, as the session flow runs them."""
    with session_scope(web.engine) as db:
        while (step := next_step(db, KEY)) is not None:
            if run_step(db, KEY, step, actor="staff", settings=web.settings).status != "done":
                break


def test_approver_approves_but_may_not_enter_tallies_and_staff_may_not_approve(web: Web) -> None:
    create_sample(web.client("staff"))
    staff, approver = web.client("staff"), web.client("approver")
    # a typed approver's name is not taken: the logged-in approver's is recorded
    decision = {"decision": "approved", "approver": "张书记", "decided_on": "2026-12-02", "comments": ""}
    assert staff.post(f"/sessions/{KEY}/approval/plan", data={**decision, "csrf_token": csrf(staff)}).status_code == 403
    assert approver.post(f"/sessions/{KEY}/tallies", data={"csrf_token": csrf(approver),
                                                            "vote.agenda.yes": "50"}).status_code == 403
    assert approver.post(f"/sessions/{KEY}/attendance", data={"csrf_token": csrf(approver)}).status_code == 403
    assert approver.post(f"/sessions/{KEY}/launch", data={"csrf_token": csrf(approver)}).status_code == 403
    # nothing can be decided before it was submitted: no form, and a forged post is refused
    page = approver.get(f"/sessions/{KEY}/approval/plan").text
    assert 'id="approval-form"' not in page and "尚未报送" in page
    early = approver.post(f"/sessions/{KEY}/approval/plan", data={**decision, "csrf_token": csrf(approver)})
    assert early.status_code == 409 and "尚未报送" in early.text
    _advance(web)  # the plan is drafted and the 请示 sent: the session waits for the party committee
    page = approver.get(f"/sessions/{KEY}/approval/plan").text
    assert 'id="approval-form"' in page and 'name="approver"' not in page and "approver名" in page
    assert "会议方案" in page and "请示" in page and 'id="documents"' in page
    assert "正在生成 PDF" in page  # PDFs are off here: the approver reads the documents' text
    returned = approver.post(f"/sessions/{KEY}/approval/plan", data={**decision, "decision": "returned",
                                                                     "csrf_token": csrf(approver)})
    assert returned.status_code == 422 and "退回修改时请填写意见" in returned.text
    assert 'value="returned" checked' in returned.text  # what was chosen stays chosen
    ok = approver.post(f"/sessions/{KEY}/approval/plan", data={**decision, "csrf_token": csrf(approver)},
                       follow_redirects=False)
    assert ok.status_code == 303
    with session_scope(web.engine) as db:
        approval = db.scalar(select(PartyApproval))
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "party_decision_recorded"))
    assert approval is not None and approval.decision == "approved" and approval.approver == "approver名"
    assert event is not None and event.actor == "approver"
    # decided: no second decision on the same request
    again = approver.post(f"/sessions/{KEY}/approval/plan", data={**decision, "csrf_token": csrf(approver)})
    assert again.status_code == 409


def test_a_returned_plan_shows_the_comments_and_a_revised_file_goes_to_a_second_request(web: Web) -> None:
    staff, approver = web.client("staff"), web.client("approver")
    create_sample(staff)
    _advance(web)
    assert approver.post(f"/sessions/{KEY}/approval/plan", data={
        "csrf_token": csrf(approver), "decision": "returned", "comments": "请补充选举办法", "decided_on": "2026-12-02"},
        follow_redirects=False).status_code == 303
    _advance(web)  # the reply record is written; the session waits for a revised plan
    page = staff.get(f"/sessions/{KEY}").text
    assert 'id="returned"' in page and "请补充选举办法" in page and 'id="resubmit-form"' in page
    assert 'id="launch-button"' not in page and "congress" not in page
    sample = (SAMPLE / "session.yaml").read_text(encoding="utf-8")
    same = staff.post(f"/sessions/{KEY}/resubmit", data={"csrf_token": csrf(staff)},
                      files={"session_file": ("session.yaml", sample.encode(), "application/x-yaml")})
    assert same.status_code == 422 and "完全相同" in same.text
    revised = sample.replace("venue: 青山镇人民政府三楼大会议室", "venue: 青山镇人民政府二楼会议室")
    assert revised != sample
    done = staff.post(f"/sessions/{KEY}/resubmit", data={"csrf_token": csrf(staff)},
                      files={"session_file": ("session.yaml", revised.encode(), "application/x-yaml")},
                      follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("notice=resubmitted")
    _advance(web)  # the plan again, and a new 请示: the second request waits for the party committee
    with session_scope(web.engine) as db:
        attempts = [(a.attempt, a.decision) for a in db.scalars(select(PartyApproval).order_by(PartyApproval.attempt))]
        session = ops.get_session(db, KEY)
        assert session is not None and session.venue == "青山镇人民政府二楼会议室"
    assert attempts == [(1, "returned"), (2, None)]
    page = approver.get(f"/sessions/{KEY}/approval/plan").text
    assert "第2次" in page and 'id="approval-form"' in page


def _attendance_form(client: TestClient, overrides: dict[str, str] | None = None) -> dict[str, str]:
    import csv

    form = {"csrf_token": csrf(client)}
    with (SAMPLE / "attendance.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            form[f"status.{row['代表编号']}"] = {"出席": "present", "请假": "leave", "缺席": "absent"}[row["出席情况"]]
            if row["请假批准"] == "是":
                form[f"approved.{row['代表编号']}"] = "1"
    form.update(overrides or {})
    return form


def test_attendance_check_shows_the_quorum_rule_and_the_form_records_it(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    page = staff.get(f"/sessions/{KEY}/attendance").text
    assert " checked" not in page.split('id="attendance-form"')[1]  # nobody is marked by default
    assert 'id="all-present"' in page
    check = staff.post(f"/sessions/{KEY}/attendance/check", data=_attendance_form(staff)).json()
    assert check["counts"] == {"present": 56, "leave": 3, "absent": 1, "unmarked": 0} and check["ok"]
    assert check["items"][0]["level"] == "ok" and "第十四条" in check["items"][0]["citation"]
    too_few = {f"status.QS{n:03d}": "absent" for n in range(1, 22)}
    failing = staff.post(f"/sessions/{KEY}/attendance/check", data=_attendance_form(staff, too_few)).json()
    assert failing["items"][0]["level"] == "error" and "不足三分之二" in failing["items"][0]["text"]
    missing = _attendance_form(staff)
    del missing["status.QS007"]
    unmarked = staff.post(f"/sessions/{KEY}/attendance/check", data=missing).json()
    assert unmarked["counts"]["unmarked"] == 1 and not unmarked["ok"]
    with session_scope(web.engine) as db:
        assert db.scalar(select(Attendance)) is None  # checks store nothing
    refused = staff.post(f"/sessions/{KEY}/attendance", data=missing)
    assert refused.status_code == 422 and "还有1名代表" in refused.text and "林志成" in refused.text
    row = refused.text.split('data-code="QS007"')[1].split("</tr>")[0]
    assert "has-error" in row.split(">")[0] and "未标记" in row
    kept = refused.text.split('data-code="QS008"')[1].split("</tr>")[0]
    assert 'value="present" aria-label="方丽娟出席" checked' in kept  # what was marked stays marked
    assert "attendance.csv" not in refused.text
    saved = staff.post(f"/sessions/{KEY}/attendance", data=_attendance_form(staff), follow_redirects=False)
    assert saved.status_code == 303
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None and ops.present_count(db, session) == 56
        assert {a.recorded_by for a in db.scalars(select(Attendance))} == {"staff"}


def _tallies_form(client: TestClient, **overrides: str) -> dict[str, str]:
    form = {"csrf_token": csrf(client), "el.vice-chair.rounds": "1"}
    for key, (yes, no, abstain) in sample_votes().items():
        form.update({f"vote.{key}.yes": str(yes), f"vote.{key}.no": str(no), f"vote.{key}.abstain": str(abstain)})
    form.update({"el.vice-chair.0.kind": "formal", "el.vice-chair.0.ballots_issued": "56",
                 "el.vice-chair.0.ballots_returned": "56", "el.vice-chair.0.ballots_void": "1",
                 "el.vice-chair.0.votes.0": "41", "el.vice-chair.0.votes.1": "14"})
    form.update(overrides)
    return form


def test_tallies_check_names_the_rule_and_article_and_the_form_records_them(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    staff.post(f"/sessions/{KEY}/attendance", data=_attendance_form(staff))
    good = staff.post(f"/sessions/{KEY}/tallies/check", data=_tallies_form(staff)).json()
    assert good["ok"] and good["problems"] == []
    agenda = next(i for i in good["items"] if i["field"] == "votes.agenda")
    assert agenda["level"] == "ok" and agenda["citation"] == "《浙江省乡镇人民代表大会工作条例》第二十二条"
    election = next(i for i in good["items"] if i["field"] == "elections.vice-chair.rounds.0")
    assert "陈晓梅当选" in election["text"]

    over = staff.post(f"/sessions/{KEY}/tallies/check", data=_tallies_form(staff, **{"vote.agenda.yes": "57"})).json()
    assert not over["ok"]
    assert [p["field"] for p in over["problems"]] == ["votes.agenda"]
    assert "多于出席代表56名" in over["problems"][0]["problem"]
    item = next(i for i in over["items"] if i["field"] == "votes.agenda")
    assert item["level"] == "error" and item["rule"] and "第二十二条" in item["citation"]

    failing = staff.post(f"/sessions/{KEY}/tallies/check",
                         data=_tallies_form(staff, **{"vote.resolution-budget.yes": "30"})).json()
    budget = next(i for i in failing["items"] if i["field"] == "votes.resolution-budget")
    assert failing["ok"] and budget["level"] == "warn" and "未通过" in budget["text"]

    invalid = staff.post(f"/sessions/{KEY}/tallies/check",
                         data=_tallies_form(staff, **{"el.vice-chair.0.ballots_returned": "57"})).json()
    round_item = next(i for i in invalid["items"] if i["field"] == "elections.vice-chair.rounds.0")
    assert round_item["level"] == "error" and "无效" in round_item["text"]

    with session_scope(web.engine) as db:
        assert all(v.yes is None for v in db.scalars(select(Vote)))  # checks store nothing
    refused = staff.post(f"/sessions/{KEY}/tallies", data=_tallies_form(staff, **{"vote.agenda.yes": "57"}))
    assert refused.status_code == 422 and "多于出席代表56名" in refused.text
    row = refused.text.split('data-field="votes.agenda"')[1].split("</tr>")[0]
    assert "多于出席代表56名" in row and 'value="57"' in row  # beside its row, with the number kept
    assert 'value="41"' in refused.text and "tallies.yaml" not in refused.text and "行" not in row
    bad = staff.post(f"/sessions/{KEY}/tallies", data=_tallies_form(staff, **{"el.vice-chair.0.ballots_void": "x"}))
    fieldset = bad.text.split('data-field="elections.vice-chair.rounds.0"')[1].split("</fieldset>")[0]
    assert bad.status_code == 422 and "作废票：" in fieldset and 'value="x"' in fieldset
    saved = staff.post(f"/sessions/{KEY}/tallies", data=_tallies_form(staff), follow_redirects=False)
    assert saved.status_code == 303
    with session_scope(web.engine) as db:
        votes = {v.key: v for v in db.scalars(select(Vote))}
    assert votes["agenda"].yes == 56 and votes["agenda"].recorded_by == "staff" and votes["resolution-budget"].passed
    form_page = staff.get(f"/sessions/{KEY}/tallies").text
    assert 'value="41"' in form_page  # the recorded round comes back into the form


def test_downloads_stay_inside_the_session_folder(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        root = Path(session.output_dir)
        root.mkdir(parents=True, exist_ok=True)
        (root / "01-plan").mkdir(exist_ok=True)
        (root / "01-plan" / "会议方案.docx").write_bytes(b"PK docx")
        (root / "01-plan" / "会议方案.pdf").write_bytes(b"%PDF-1.7")
        good = Document(session_id=session.id, step="plan", kind="plan", path="01-plan/会议方案.docx", sha256="0" * 64)
        evil = Document(session_id=session.id, step="plan", kind="plan", path="../../etc/passwd", sha256="0" * 64)
        db.add_all([good, evil])
        db.flush()
        good_id, evil_id = good.id, evil.id
    assert staff.get(f"/sessions/{KEY}/files/{good_id}").content == b"PK docx"
    pdf = staff.get(f"/sessions/{KEY}/files/{good_id}?format=pdf")
    assert pdf.content == b"%PDF-1.7" and pdf.headers["content-type"] == "application/pdf"
    assert staff.get(f"/sessions/{KEY}/files/{evil_id}").status_code == 404
    assert "?format=pdf" in staff.get(f"/sessions/{KEY}").text


def test_one_active_launch_per_session_is_enforced_by_the_database(web: Web) -> None:
    create_sample(web.client("staff"))
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        db.add(FlowLaunch(session_id=session.id, purpose="start", actor="a", active=1, state="requested",
                          requested_at=ops.now()))
        db.flush()
        db.add(FlowLaunch(session_id=session.id, purpose="start", actor="b", active=1, state="requested",
                          requested_at=ops.now()))
        with pytest.raises(IntegrityError):
            db.flush()
        db.rollback()
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        # finished launches (active NULL) do not count
        for actor in ("a", "b"):
            db.add(FlowLaunch(session_id=session.id, purpose="start", actor=actor, active=None, state="COMPLETED",
                              requested_at=ops.now()))
        db.add(FlowLaunch(session_id=session.id, purpose="start", actor="c", active=1, state="requested",
                          requested_at=ops.now()))
        db.flush()


def test_audit_and_suggestion_pages_list_what_happened(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    audit = staff.get(f"/sessions/{KEY}/audit")
    assert audit.status_code == 200 and "导入会议文件" in audit.text and "staff名" in audit.text
    suggestions = staff.get(f"/sessions/{KEY}/suggestions")
    assert suggestions.status_code == 200 and "关于修缮上坪村至桐坞村村道的建议" in suggestions.text
    everything = staff.get("/suggestions").text
    assert everything.index("J001") < everything.index("J008")
