"""Cancellation and postponement that mean it: the session's state (and the run refusing it), the state
restored when lifted, every deputy's file rewritten (METHOD:CANCEL, then METHOD:REQUEST again), the audit
with old and new values, and outcome.json rewritten by the CLI after each change.

Core operations directly against both backends; the CLI in-process on a SQLite file. Every .ics is read
back with vobject.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import vobject
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress.calendar import operations as cal_ops
from congress.errors import SessionHalted
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import next_step, run_step
from congress.models import AuditEvent, CalendarEntry, Document, StepRun
from congress.models.calendar import SessionHalt
from tests.test_calendar import KEY, advance, alarms_of, approve_plan, invitations

EVENTS = 60 * 5 + 9  # files: each deputy's five session events, the presidium meeting for its nine members


@pytest.fixture
def notified(db: Session, load_sample, settings):  # type: ignore[no-untyped-def]
    """The sample session past the notices step, waiting for attendance."""
    session = load_sample()
    approve_plan(db, session)
    assert advance(db, settings)[-1] == ("checkin_quorum", "waiting")
    return session


def read(path: Path):  # type: ignore[no-untyped-def]
    return vobject.readOne(path.read_text(encoding="utf-8"))


def methods(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in folder.glob("邀请/*.ics"):
        cal = read(path)
        assert len(cal.vevent_list) == 1  # one UID per iTIP message, always
        counts[cal.method.value] = counts.get(cal.method.value, 0) + 1
    return counts


def last_audit(db: Session, session, action: str) -> AuditEvent:  # type: ignore[no-untyped-def]
    return db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id, AuditEvent.action == action)
                      .order_by(AuditEvent.id.desc())).first()


def test_cancel_refuses_to_run_until_reinstated(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    folder = Path(notified.output_dir) / "calendar"
    groups = next(s for s in notified.sittings if s.key == "groups-1")
    groups_uid = f"congress-sitting-{groups.id}@{settings.calendar_host}"
    cal_ops.cancel(db, session=notified, sitting_key="groups-1", reason="场地调整", actor="staff", settings=settings)
    waiting_message = notified.state_message

    change = cal_ops.cancel(db, session=notified, sitting_key=None, reason="防汛", actor="staff", settings=settings)
    assert change.state == ("waiting", "cancelled") and change.recorded
    assert notified.state == "cancelled" and notified.waiting_for is None and "防汛" in notified.state_message
    assert methods(folder) == {"CANCEL": EVENTS}
    event = last_audit(db, notified, "session_cancelled")
    assert event.actor == "staff" and event.detail["reason"] == "防汛"
    assert event.detail["old"]["state"] == "waiting" and event.detail["old"]["waiting_for"] == "attendance"
    assert event.detail["new"]["state"] == "cancelled" and len(event.detail["uids"]) == 5
    assert len(cal_ops.open_halt(db, notified).uids) == 5  # the individually cancelled sitting is not among them

    # a cancelled session does not run: no step, no document
    documents = db.scalar(select(func.count()).select_from(Document))
    with pytest.raises(SessionHalted):
        run_step(db, KEY, next_step(db, KEY) or "", actor="staff", settings=settings)
    assert db.scalar(select(func.count()).select_from(Document)) == documents
    # cancelling again changes and records nothing; nor does postponing a cancelled session
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    assert not cal_ops.cancel(db, session=notified, sitting_key=None, reason="", actor="s", settings=settings).recorded
    with pytest.raises(ValueError, match="reinstate"):
        cal_ops.postpone(db, session=notified, reason="x", actor="s", settings=settings, today=date(2026, 12, 10))
    with pytest.raises(ValueError, match="reinstate"):
        cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 24),
                                   start="09:00", end="11:30", place=None, actor="s", settings=settings,
                                   today=date(2026, 12, 10))
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events

    lifted = cal_ops.reinstate(db, session=notified, reason="汛情解除", actor="staff", settings=settings)
    assert lifted.state == ("cancelled", "waiting") and notified.waiting_for == "attendance"
    assert notified.state_message == waiting_message
    assert sorted(lifted.uids) == sorted(event.detail["uids"]) and lifted.invitations == EVENTS - 60
    # every file the whole cancellation rewrote is a REQUEST again, SEQUENCE raised twice, alarms back;
    # the sitting cancelled on its own stays cancelled
    for deputy_code in ("QS001", "QS004"):
        for uid, path in invitations(folder, deputy_code).items():
            cal = read(path)
            if uid == groups_uid:
                assert cal.method.value == "CANCEL" and cal.vevent.sequence.value == "1"
                assert alarms_of(cal.vevent) == []
            else:
                assert cal.method.value == "REQUEST" and cal.vevent.status.value == "CONFIRMED"
                assert cal.vevent.sequence.value == "2" and len(alarms_of(cal.vevent)) == 3
    halt = db.scalar(select(SessionHalt).where(SessionHalt.session_id == notified.id))
    assert halt.lifted_how == "reinstated" and halt.lifted_by == "staff" and cal_ops.open_halt(db, notified) is None
    reinstated = last_audit(db, notified, "session_reinstated")
    assert reinstated.detail["old"]["state"] == "cancelled" and reinstated.detail["new"]["state"] == "waiting"
    # reinstating again is nothing; the next run continues at its first unfinished step (the attendance gate)
    assert not cal_ops.reinstate(db, session=notified, reason="", actor="s", settings=settings).recorded
    assert run_step(db, KEY, "checkin_quorum", actor="staff", settings=settings).status == "waiting"


def test_cancel_before_the_notices_halts_without_files(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    approve_plan(db, session)
    assert run_step(db, KEY, "plan", actor="t", settings=settings).status == "done"
    change = cal_ops.cancel(db, session=session, sitting_key=None, reason="", actor="staff", settings=settings)
    assert change.state == ("running", "cancelled") and session.state == "cancelled"
    assert change.files == [] and not (Path(session.output_dir) / "calendar").exists()
    assert "未说明原因" in session.state_message
    with pytest.raises(SessionHalted):
        run_step(db, KEY, "party_approval", actor="t", settings=settings)
    cal_ops.reinstate(db, session=session, reason="", actor="staff", settings=settings)
    assert session.state not in ops.HALTED_STATES
    # reinstated: the run goes on and the notices go out as invitations
    assert advance(db, settings)[-1] == ("checkin_quorum", "waiting")
    assert methods(Path(session.output_dir) / "calendar") == {"REQUEST": EVENTS}


def test_postpone_then_reschedule_every_sitting_lifts_it(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    folder = Path(notified.output_dir) / "calendar"
    meeting_uid = f"congress-presidium-meeting-{notified.id}@{settings.calendar_host}"
    checkin_uid = f"congress-checkin-{notified.id}@{settings.calendar_host}"
    change = cal_ops.postpone(db, session=notified, reason="台风", actor="staff", settings=settings,
                              today=date(2026, 12, 10))
    assert notified.state == "postponed" and change.state == ("waiting", "postponed")
    # the presidium meeting (4 December) was held; everything from the 10th on is called off
    assert meeting_uid not in change.uids and checkin_uid in change.uids and len(change.uids) == 5
    assert methods(folder) == {"CANCEL": 60 * 5, "REQUEST": 9}
    assert change.cancellations == 60 * 5
    with pytest.raises(SessionHalted):
        run_step(db, KEY, "checkin_quorum", actor="staff", settings=settings)
    assert not cal_ops.postpone(db, session=notified, reason="", actor="s", settings=settings,
                                today=date(2026, 12, 10)).recorded
    event = last_audit(db, notified, "session_postponed")
    assert event.detail["old"]["state"] == "waiting" and event.detail["new"]["state"] == "postponed"

    # each sitting given its new date is confirmed again at once; the others wait
    new_dates = {"preparatory": ("08:30", "09:00"), "plenary-1": ("09:00", "11:30"), "groups-1": ("14:30", "17:30")}
    for key, (start, end) in new_dates.items():
        moved = cal_ops.reschedule_sitting(db, session=notified, sitting_key=key, day=date(2026, 12, 29),
                                           start=start, end=end, place=None, actor="staff", settings=settings,
                                           today=date(2026, 12, 10))
        assert notified.state == "postponed" and moved.state is None
    assert moved.pending == ["第二次全体会议"]
    plenary_1 = next(s for s in notified.sittings if s.key == "plenary-1")
    cal = read(invitations(folder, "QS004")[f"congress-sitting-{plenary_1.id}@{settings.calendar_host}"])
    assert cal.method.value == "REQUEST" and cal.vevent.sequence.value == "2"
    assert cal.vevent.dtstart.value.date() == date(2026, 12, 29) and len(alarms_of(cal.vevent)) == 3

    last = cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 30),
                                      start="09:00", end="11:30", place=None, actor="staff", settings=settings,
                                      today=date(2026, 12, 10))
    assert last.pending == [] and last.state == ("postponed", "waiting") and notified.waiting_for == "attendance"
    # check-in keeps its distance from the opening day: 21 → 28 December
    assert notified.opening_date == date(2026, 12, 29) and notified.checkin_date == date(2026, 12, 28)
    checkin = db.scalar(select(CalendarEntry).where(CalendarEntry.uid == checkin_uid))
    assert checkin.status == "CONFIRMED" and checkin.starts.startswith("2026-12-28") and checkin.sequence == 2
    assert methods(folder) == {"REQUEST": EVENTS}
    lifted = last_audit(db, notified, "session_postponement_lifted")
    assert lifted.detail["old"]["state"] == "postponed" and lifted.detail["new"]["state"] == "waiting"
    assert lifted.detail["uids"] == [checkin_uid]
    halt = db.scalar(select(SessionHalt).where(SessionHalt.session_id == notified.id))
    assert halt.lifted_how == "rescheduled" and halt.previous_waiting_for == "attendance"


def test_postponed_sitting_called_off_and_postponed_session_cancelled(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    cal_ops.postpone(db, session=notified, reason="", actor="staff", settings=settings, today=date(2026, 12, 10))
    # a sitting put off and then dropped: the postponement no longer waits for it
    dropped = cal_ops.cancel(db, session=notified, sitting_key="groups-1", reason="并入全体会议", actor="staff",
                             settings=settings)
    assert dropped.recorded and dropped.files == []  # its files already said CANCEL
    for key in ("preparatory", "plenary-1"):
        cal_ops.reschedule_sitting(db, session=notified, sitting_key=key, day=date(2026, 12, 29),
                                   start="08:30" if key == "preparatory" else "09:00",
                                   end="09:00" if key == "preparatory" else "11:30", place=None, actor="staff",
                                   settings=settings, today=date(2026, 12, 10))
    # cancelling the postponed session outright keeps what it was before the postponement
    whole = cal_ops.cancel(db, session=notified, sitting_key=None, reason="", actor="staff", settings=settings)
    # the presidium meeting (held before the postponement) and the two sittings confirmed again since
    assert whole.state == ("postponed", "cancelled") and len(whole.uids) == 3
    halts = db.scalars(select(SessionHalt).where(SessionHalt.session_id == notified.id)
                       .order_by(SessionHalt.id)).all()
    assert [h.lifted_how for h in halts] == ["cancelled", None] and halts[1].previous_state == "waiting"
    back = cal_ops.reinstate(db, session=notified, reason="", actor="staff", settings=settings)
    assert back.state == ("cancelled", "waiting")
    statuses = dict(db.execute(select(CalendarEntry.summary, CalendarEntry.status)
                               .where(CalendarEntry.session_id == notified.id)).tuples().all())
    assert statuses["青山镇人代会：分组审议"] == "CANCELLED"
    assert sum(1 for s in statuses.values() if s == "CONFIRMED") == 5


def test_completed_session_cannot_be_cancelled(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    session.state = "completed"  # what the last step leaves (running all ten steps here would only be slower)
    db.flush()
    for call in (lambda: cal_ops.cancel(db, session=session, sitting_key=None, reason="", actor="s", settings=settings),
                 lambda: cal_ops.postpone(db, session=session, reason="", actor="s", settings=settings,
                                          today=date(2026, 12, 1))):
        with pytest.raises(ValueError, match="办结"):
            call()
    assert not cal_ops.reinstate(db, session=session, reason="", actor="s", settings=settings).recorded


def test_dtstamp_is_stored_creation_time_and_stable(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    entries = db.scalars(select(CalendarEntry).where(CalendarEntry.session_id == notified.id)).all()
    now = datetime.now(UTC)
    # made now (the notice date, 8 December, is a week ahead of the run)
    assert all(e.dtstamp <= now and (now - e.dtstamp).total_seconds() < 600 for e in entries)
    folder = Path(notified.output_dir) / "calendar"
    before = {p: p.read_bytes() for p in folder.rglob("*.ics")}
    # the notices step done again from scratch, files deleted: the same bytes (DTSTAMP comes from the entry)
    for path in before:
        path.unlink()
    notices = db.scalar(select(StepRun).where(StepRun.session_id == notified.id, StepRun.step == "notices"))
    notices.status = "pending"
    assert run_step(db, KEY, "notices", actor="staff", settings=settings).status == "done"
    assert {p: p.read_bytes() for p in folder.rglob("*.ics")} == before


def test_files_of_the_earlier_layout_are_retired(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    """A session noticed before one invitation per event: its per-deputy bundle goes at the first change."""
    import hashlib

    from congress.models import NoticeDelivery

    root = Path(notified.output_dir)
    legacy = root / "calendar" / "邀请-QS004.ics"
    legacy.write_bytes(b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n")
    doc = Document(session_id=notified.id, step="notices", kind="invitation", path="calendar/邀请-QS004.ics",
                   sha256=hashlib.sha256(legacy.read_bytes()).hexdigest())
    db.add(doc)
    db.flush()
    qs004 = next(d for d in ops.active_deputies(db, notified) if d.code == "QS004")
    delivery = db.scalar(select(NoticeDelivery).where(NoticeDelivery.session_id == notified.id,
                                                      NoticeDelivery.deputy_id == qs004.id))
    delivery.calendar_document_id = doc.id
    db.flush()
    cal_ops.cancel(db, session=notified, sitting_key="groups-1", reason="", actor="staff", settings=settings)
    assert not legacy.exists()
    assert db.scalar(select(Document).where(Document.path == "calendar/邀请-QS004.ics")) is None
    assert db.get(Document, delivery.calendar_document_id).path == "calendar/邀请/QS004-陈晓梅-02-代表报到.ics"
    retired = last_audit(db, notified, "calendar_files_retired")
    assert retired.detail["retired"] == [{"path": "calendar/邀请-QS004.ics", "sha256": doc.sha256}]


def test_cli_rewrites_outcome_after_each_change(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`congress cancel / reinstate / postpone / reschedule` in-process on a committed SQLite database:
    outcome.json follows each change (state, and the calendars listed as cancellations or invitations)."""
    from typer.testing import CliRunner

    from cli.main import app
    from congress.db import make_engine, session_scope
    from congress.inputs import load_session_file
    from congress.settings import Settings, get_settings
    from tests.conftest import SAMPLE, new_database

    url, cleanup = new_database("sqlite", tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output", render_pdf="off")
    engine = make_engine(url)
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="t",
                                      output_root=settings.output_dir)
        approve_plan(db, session)
    with session_scope(engine) as db:
        while (step := next_step(db, KEY)) is not None:
            if run_step(db, KEY, step, actor="t", settings=settings).status != "done":
                break
    for name, value in {"CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(tmp_path / "output"),
                        "CONGRESS_RENDER_PDF": "off"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    outcome_path = tmp_path / "output" / KEY / "outcome.json"

    def outcome() -> dict:  # type: ignore[type-arg]
        return json.loads(outcome_path.read_text(encoding="utf-8"))

    def kinds() -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in outcome()["calendars"]:
            counts[c["kind"]] = counts.get(c["kind"], 0) + 1
        return counts

    runner = CliRunner()
    try:
        result = runner.invoke(app, ["cancel", KEY, "--reason", "防汛"])
        assert result.exit_code == 0, result.output
        assert "METHOD:CANCEL" in result.output and outcome()["session"]["state"] == "cancelled"
        assert kinds() == {"session_calendar": 1, "cancellation": EVENTS}
        assert runner.invoke(app, ["cancel", KEY]).exit_code == 0  # again: nothing to do

        result = runner.invoke(app, ["reinstate", KEY])
        assert result.exit_code == 0, result.output
        assert outcome()["session"]["state"] == "waiting" and kinds() == {"session_calendar": 1, "invitation": EVENTS}

        result = runner.invoke(app, ["postpone", KEY, "--reason", "台风", "--on", "2026-12-10"])
        assert result.exit_code == 0, result.output
        assert outcome()["session"]["state"] == "postponed"
        assert kinds() == {"session_calendar": 1, "cancellation": 60 * 5, "invitation": 9}

        for key, day, start, end in (("preparatory", "2026-12-29", "08:30", "09:00"),
                                     ("plenary-1", "2026-12-29", "09:00", "11:30"),
                                     ("groups-1", "2026-12-29", "14:30", "17:30"),
                                     ("plenary-2", "2026-12-30", "09:00", "11:30")):
            result = runner.invoke(app, ["reschedule", KEY, key, "--date", day, "--start", start, "--end", end,
                                         "--on", "2026-12-10"])
            assert result.exit_code == 0, result.output
        assert "延期已解除" in result.output
        assert outcome()["session"]["state"] == "waiting" and kinds() == {"session_calendar": 1, "invitation": EVENTS}
        written = outcome()["calendars"]
        on_disk = {c["path"]: c["sha256"] for c in written}
        import hashlib

        assert all(hashlib.sha256((outcome_path.parent / p).read_bytes()).hexdigest() == h for p, h in on_disk.items())

        # bad input: an unknown session, exit 1
        assert runner.invoke(app, ["reinstate", "no-such-session"]).exit_code == 1
    finally:
        get_settings.cache_clear()
        engine.dispose()
        cleanup()


def test_a_halted_session_is_not_lifted_by_reloading_its_file(db: Session, load_sample, settings,
                                                              tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from congress.errors import InputError
    from congress.inputs import load_session_file
    from tests.conftest import SAMPLE

    session = load_sample()
    cal_ops.cancel(db, session=session, sitting_key=None, reason="防汛", actor="staff", settings=settings)
    folder = tmp_path / "changed"
    shutil.copytree(SAMPLE, folder)
    text = (folder / "session.yaml").read_text(encoding="utf-8")
    (folder / "session.yaml").write_text(text.replace("三楼大会议室", "二楼会议室", 1), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        ops.load_session(db, spec=load_session_file(folder / "session.yaml"), actor="staff",
                         output_root=settings.output_dir)
    assert "已取消" in str(refused.value) and "congress reinstate" in str(refused.value)
    assert session.state == "cancelled"
