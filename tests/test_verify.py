"""`congress verify` catches each forgery of issue 10 on a completed session, on SQLite and PostgreSQL.

The session is built once per backend through the core (no Prefect); each test forges inside a
transaction that is rolled back (files are put back), so the tests share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from congress.audit import chain
from congress.audit.verify import Verification, verify
from congress.lifecycle import elections as election_rules
from congress.lifecycle import operations as ops
from congress.models import AuditEvent, Election
from tests.audit_support import KEY, Built, built_fixture, forge_fixture  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]


def check(db: Session) -> Verification:
    db.expire_all()
    return verify(db, session_key=KEY)


def messages(result: Verification) -> str:
    return "\n".join(str(f) for f in result.findings)


def event_seq(db: Session, action: str, *, last: bool = False) -> int:
    order = "DESC" if last else "ASC"
    return db.execute(text(f"SELECT seq FROM audit_event WHERE action = :a ORDER BY seq {order} LIMIT 1"),
                      {"a": action}).scalar_one()


def without_append_only_trigger(db: Session, backend: str) -> None:
    """What an intruder with the database owner's rights does first on PostgreSQL (rolled back after)."""
    if backend == "postgresql":
        db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))


def test_clean_session_verifies(forge: Session) -> None:
    result = check(forge)
    assert result.ok, messages(result)
    assert result.files > 300 and result.sessions == [KEY]
    (report,) = result.chains
    assert report.ok and report.events == report.head.seq > 20


def test_clean_session_verifies_through_the_command(built: Built, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the command is run once, on SQLite")
    env = {**os.environ, "CONGRESS_DATABASE_URL": built.url, "CONGRESS_OUTPUT_DIR": str(built.settings.output_dir)}
    done = subprocess.run([sys.executable, "-m", "cli.main", "verify", KEY], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "全部相符" in done.stdout and "完好" in done.stdout


def test_forged_party_approval_is_reported(forge: Session) -> None:
    forge.execute(text("UPDATE party_approval SET approver = '王某', decided_on = :d WHERE subject = 'plan'"),
                  {"d": date(2026, 11, 20)})
    found = messages(check(forge))
    assert "党委审批（" in found and "审批人现为「王某」" in found and "「党委书记」" in found
    assert "审批日期现为「2026-11-20」" in found and "「2026-12-02」" in found


def test_deleted_attendance_event_is_reported_on_sqlite(forge: Session, backend: str) -> None:
    seq = event_seq(forge, "attendance_recorded")
    if backend == "postgresql":
        with pytest.raises(DBAPIError, match="审计记录只能追加"):
            with forge.begin_nested():
                forge.execute(text("DELETE FROM audit_event WHERE action = 'attendance_recorded'"))
        without_append_only_trigger(forge, backend)
    forge.execute(text("DELETE FROM audit_event WHERE action = 'attendance_recorded'"))
    result = check(forge)
    found = messages(result)
    assert f"缺少第{seq}条记录（已被删除）" in found
    assert "出席情况未见于审计记录" in found
    assert not result.chains[0].ok


def test_forged_tally_is_reported(forge: Session) -> None:
    forge.execute(text("UPDATE vote SET yes = 20, no = 36, abstain = 0 WHERE key = 'resolution-budget'"))
    found = messages(check(forge))
    assert "赞成票现为 20" in found and "反对票现为 36" in found
    # recomputed from the stored tally: 20 of 60 is not > 1/2 of all deputies
    assert "应为「未通过」，数据库记为「通过」" in found
    # and outcome.json still says passed
    assert "outcome.json 中表决" in found and "记为「通过」，按所存计票应为「未通过」" in found


def test_forged_election_count_is_reported(forge: Session) -> None:
    forge.execute(text("UPDATE round_count SET votes = 14 WHERE name = '陈晓梅'"))
    found = messages(check(forge))
    assert "各轮计票与审计记录" in found and "第1轮" in found
    assert "按所存各轮计票应为「无」" in found and "数据库记为「陈晓梅」" in found


def test_bytes_appended_to_the_communique_are_reported(forge: Session, built: Built) -> None:
    path = built.output / "09-resolutions" / "会议公报.docx"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"forged")
        found = messages(check(forge))
    finally:
        path.write_bytes(original)
    forged = hashlib.sha256(original + b"forged").hexdigest()
    assert f"文件 09-resolutions/会议公报.docx 已被改动：现有内容的摘要为 {forged}" in found
    assert check(forge).ok


def test_deleted_last_event_is_reported(forge: Session, backend: str) -> None:
    last = forge.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
    without_append_only_trigger(forge, backend)
    forge.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": last})
    result = check(forge)
    assert result.chains[0].ok  # the chain alone can't see it …
    found = messages(result)
    # … the head recorded in outcome.json does
    assert f"审计链现只到第{last - 1}条：最后的记录已被删除" in found


def test_edited_payload_is_reported(forge: Session, backend: str) -> None:
    seq = event_seq(forge, "tallies_recorded")
    detail = forge.execute(text("SELECT detail FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()
    detail = json.loads(detail) if isinstance(detail, str) else detail
    stored = detail["votes"]["resolution-budget"]["yes"]
    detail["votes"]["resolution-budget"]["yes"] = 20
    without_append_only_trigger(forge, backend)
    forge.execute(text("UPDATE audit_event SET detail = :d WHERE seq = :s"),
                  {"d": json.dumps(detail, ensure_ascii=False), "s": seq})
    result = check(forge)
    assert f"第{seq}条记录（" in result.chains[0].first_break and "内容已被改动" in result.chains[0].first_break
    assert f"赞成票现为 {stored}，审计记录第{seq}条" in messages(result)


def test_edited_payload_with_recomputed_hash_breaks_the_next_link(forge: Session, backend: str) -> None:
    seq = event_seq(forge, "party_decision_recorded")
    without_append_only_trigger(forge, backend)
    forge.execute(text("UPDATE audit_event SET note = 'forged' WHERE seq = :s"), {"s": seq})
    event = forge.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()
    forge.execute(text("UPDATE audit_event SET hash = :h WHERE seq = :s"),
                  {"h": chain.event_hash(event, KEY), "s": seq})
    report = check(forge).chains[0]
    assert f"第{seq + 1}条记录（" in report.first_break and f"与第{seq}条的哈希" in report.first_break


def test_postgresql_refuses_update_delete_and_truncate(forge: Session, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no append-only trigger: the chain alone detects changes there")
    for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event",
                      "TRUNCATE audit_event CASCADE"):
        with pytest.raises(DBAPIError, match="审计记录只能追加，不得修改或删除"):
            with forge.begin_nested():
                forge.execute(text(statement))


def test_verify_and_the_step_decide_elections_with_one_function(forge: Session) -> None:
    session = ops.get_session(forge, KEY)
    assert session is not None
    election = forge.query(Election).filter_by(session_id=session.id).one()
    decision = election_rules.decide(ops.profile_of(session), election_rules.spec_of(election),
                                     election_rules.rounds_of(election), total=60)
    assert decision.elected == election.elected == ["陈晓梅"] and decision.status == election.status == "decided"
    assert decision.gate is None and [r.valid for r in decision.rounds] == [r.valid for r in election.rounds]


def test_dashboard_audit_page_shows_the_verification(built: Built, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from congress.db import session_scope
    from congress.settings import Settings
    from congress.web import accounts
    from congress.web.app import create_app

    with session_scope(built.engine) as db:
        if accounts.get_user(db, "auditor1") is None:
            accounts.create_user(db, username="auditor1", display_name="审计员", role="auditor", township_code=None,
                                 password="qingshan-2026", actor="test")
    client = TestClient(create_app(Settings(database_url=built.url, output_dir=built.settings.output_dir,
                                            upload_dir=tmp_path / "uploads")))
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "auditor1", "password": "qingshan-2026", "login_csrf": token,
                                "next": "/sessions"}, follow_redirects=False)
    page = client.get(f"/sessions/{KEY}/audit")
    assert page.status_code == 200 and "核对通过" in page.text and "完好" in page.text
    path = built.output / "09-resolutions" / "会议公报.docx"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"forged")
        page = client.get(f"/sessions/{KEY}/audit")
    finally:
        path.write_bytes(original)
    assert "核对发现1处问题" in page.text and "会议公报.docx 已被改动" in page.text
