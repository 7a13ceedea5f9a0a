"""Calendar entries, invitations, reschedules, cancellations, deadlines and working days.

Core functions directly against the database (SQLite and PostgreSQL). Every .ics file produced is
read back with vobject, a second reader independent of the icalendar library that wrote it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import vobject
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress import rules
from congress.calendar import deadlines
from congress.calendar import operations as cal_ops
from congress.calendar.entries import holiday_warnings, inspection_spec, upsert
from congress.holidays import holiday_name, is_rest_day, is_workday, known_years
from congress.ical.builder import Entry, Person, calendar_bytes, invitation_bytes, invitations_bytes
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import STEPS, next_step, run_step
from congress.models import AuditEvent, CalendarDetail, CalendarEntry, Document, NoticeDelivery, Sitting
from congress.models.calendar import CalendarInvitation
from congress.profiles import load_profile
from congress.settings import Settings
from tests.conftest import SAMPLE

KEY = "qingshan-18-3"
ALARMS = [timedelta(days=-7), timedelta(days=-1), timedelta(hours=-2)]
# all-day deadlines: 09:00 a week before, the day before and on the day (docs/calendar.md)
ALL_DAY_ALARMS = [timedelta(days=-7, hours=9), timedelta(hours=-15), timedelta(hours=9)]
# the sample's presidium members: they alone are invited to the presidium's meeting
PRESIDIUM = set(yaml.safe_load((SAMPLE / "session.yaml").read_text(encoding="utf-8"))["session"]["presidium"])


def advance(db: Session, settings: Settings) -> list[tuple[str, str]]:
    results = []
    while (step := next_step(db, KEY)) is not None:
        result = run_step(db, KEY, step, actor="test", settings=settings)
        results.append((step, result.status))
        if result.status != "done":
            break
    return results


def approve_plan(db: Session, session) -> None:  # type: ignore[no-untyped-def]
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记", comments="",
                              decided_on=date(2026, 12, 2), actor="approver")


@pytest.fixture
def notified(db: Session, load_sample, settings):  # type: ignore[no-untyped-def]
    """The sample session advanced past the notices step (waiting for attendance)."""
    session = load_sample()
    approve_plan(db, session)
    assert advance(db, settings)[-1] == ("checkin_quorum", "waiting")
    return session


def read_ics(path: Path):  # type: ignore[no-untyped-def]
    return vobject.readOne(path.read_text(encoding="utf-8"))


def events_by_uid(cal) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {ev.uid.value: ev for ev in cal.vevent_list}


def alarms_of(ev) -> list:  # type: ignore[no-untyped-def]
    return ev.contents.get("valarm", [])


def invitations(folder: Path, code: str) -> dict[str, Path]:
    """One deputy's invitation files by the UID of the one event each holds."""
    out = {}
    for path in sorted(folder.glob(f"邀请/{code}-*.ics")):
        (ev,) = read_ics(path).vevent_list
        out[ev.uid.value] = path
    return out


def test_every_file_parses_in_vobject_with_tz_alarms_people(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    folder = Path(notified.output_dir) / "calendar"
    files = sorted(folder.rglob("*.ics"))
    assert len(files) == 1 + 60 * 5 + 9  # the session calendar; one file per deputy and event
    for path in files:
        cal = read_ics(path)
        assert cal.vtimezone.tzid.value == "Asia/Shanghai"
        for ev in cal.vevent_list:
            assert ev.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Asia/Shanghai"]
            assert ev.dtstart.value.utcoffset() == timedelta(hours=8)
            assert sorted(a.trigger.value for a in ev.valarm_list) == sorted(ALARMS)
            assert ev.organizer.value == "urn:congress:qingshan:presidium"
            assert ev.uid.value.endswith(f"@{settings.calendar_host}")
            assert ev.location.value and ev.sequence.value == "0" and ev.status.value == "CONFIRMED"
            # DTSTAMP: when the object was made, never the notice date a week ahead
            assert ev.dtstamp.value <= datetime.now(UTC) and ev.dtstamp.value.tzinfo is not None
    session_cal = read_ics(folder / "会议日程.ics")
    assert session_cal.method.value == "PUBLISH"
    assert not any(hasattr(ev, "attendee") for ev in session_cal.vevent_list)  # PUBLISH names nobody
    sittings = db.scalars(select(Sitting).where(Sitting.session_id == notified.id)).all()
    uids = set(events_by_uid(session_cal))
    assert {f"congress-sitting-{s.id}@{settings.calendar_host}" for s in sittings} <= uids
    assert f"congress-presidium-meeting-{notified.id}@{settings.calendar_host}" in uids
    assert f"congress-checkin-{notified.id}@{settings.calendar_host}" in uids

    # one iTIP message per deputy and event: METHOD:REQUEST, one VEVENT (one UID), that deputy as ATTENDEE
    for deputy in ops.active_deputies(db, notified):
        mine = invitations(folder, deputy.code)
        assert set(mine) <= uids
        meeting = any(u.startswith("congress-presidium-meeting-") for u in mine)
        assert meeting == (deputy.code in PRESIDIUM), deputy.code
        assert len(mine) == (6 if deputy.code in PRESIDIUM else 5)
        for path in mine.values():
            cal = read_ics(path)
            assert cal.method.value == "REQUEST" and len(cal.vevent_list) == 1
            assert len(cal.vevent.contents["uid"]) == 1
            assert [a.value for a in cal.vevent.attendee_list] == [
                f"tel:+86{deputy.contact}" if deputy.contact else f"urn:congress:qingshan:deputy:{deputy.code}"]
            assert cal.vevent.attendee.params["CN"] == [deputy.name]
    qs004 = sorted(p.name for p in folder.glob("邀请/QS004-*.ics"))
    assert qs004 == [f"QS004-陈晓梅-{n}.ics" for n in ("02-代表报到", "03-预备会议", "04-第一次全体会议", "05-分组审议",
                                                    "06-第二次全体会议")]
    plenary = next(read_ics(p).vevent for p in invitations(folder, "QS004").values()
                   if p.name == "QS004-陈晓梅-04-第一次全体会议.ics")
    text = plenary.description.value
    assert "会议议程" in text and "青山镇人民政府工作报告" in text and "会议材料" in text and "代表须知" in text
    # the delivery record points at the deputy's first file; every file is in CalendarInvitation
    assert db.scalar(select(func.count()).select_from(CalendarInvitation)
                     .where(CalendarInvitation.session_id == notified.id)) == 60 * 5 + 9
    first = {d.deputy_id: d.calendar_document_id for d in db.scalars(
        select(NoticeDelivery).where(NoticeDelivery.session_id == notified.id))}
    qs001 = next(d for d in ops.active_deputies(db, notified) if d.code == "QS001")
    qs004_id = next(d.id for d in ops.active_deputies(db, notified) if d.code == "QS004")
    assert db.get(Document, first[qs001.id]).path == f"calendar/邀请/QS001-{qs001.name}-01-主席团会议.ics"
    assert db.get(Document, first[qs004_id]).path == "calendar/邀请/QS004-陈晓梅-02-代表报到.ics"


def test_reschedule_keeps_uid_raises_sequence_and_keeps_old_data(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    sitting = next(s for s in notified.sittings if s.key == "plenary-2")
    uid = f"congress-sitting-{sitting.id}@{settings.calendar_host}"
    before = db.scalar(select(CalendarEntry).where(CalendarEntry.uid == uid))
    old_stamp = before.dtstamp
    change = cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 24),
                                       start="09:30", end="11:30", place="二楼会议室", actor="staff",
                                       settings=settings, today=date(2026, 12, 10))
    assert change.uids == [uid] and change.sequences[uid] == 1 and change.invitations == 60
    entry = db.scalar(select(CalendarEntry).where(CalendarEntry.uid == uid))
    assert entry.id == before.id and entry.sequence == 1 and entry.dtstamp > old_stamp
    assert entry.starts == "2026-12-24T09:30:00+08:00" and entry.location == "二楼会议室"
    assert notified.closing_date == date(2026, 12, 24)
    # every other entry untouched
    others = db.scalars(select(CalendarEntry).where(CalendarEntry.session_id == notified.id,
                                                    CalendarEntry.uid != uid)).all()
    assert others and all(e.sequence == 0 for e in others)
    # the re-issued invitation carries the new SEQUENCE and time under the same UID, in the same file
    mine = invitations(Path(notified.output_dir) / "calendar", "QS010")
    assert mine[uid].name.endswith("-06-第二次全体会议.ics")
    ical = read_ics(mine[uid])
    ev = ical.vevent
    assert ical.method.value == "REQUEST" and ev.sequence.value == "1"
    assert ev.dtstart.value.isoformat() == "2026-12-24T09:30:00+08:00" and ev.dtstamp.value == entry.dtstamp
    assert ev.location.value == "二楼会议室" and len(ev.valarm_list) == 3
    # only that event's files changed
    assert len(change.files) == 60 + 1 and "calendar/会议日程.ics" in change.files
    # nothing lost: the audit holds the old values
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "sitting_rescheduled",
                                               AuditEvent.session_id == notified.id))
    assert event.actor == "staff"
    assert event.detail["old"] == {"day": "2026-12-23", "start": "09:00", "end": "11:30", "place": "三楼大会议室",
                                   "opening_date": "2026-12-22", "closing_date": "2026-12-23"}
    # the same reschedule again changes nothing, and records nothing
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    again = cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 24),
                                      start="09:30", end="11:30", place=None, actor="staff", settings=settings,
                                      today=date(2026, 12, 10))
    assert again.sequences[uid] == 1 and again.files == [] and not again.recorded
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_advancing_a_sitting_inside_the_notice_period_is_refused(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(rules.RuleViolation) as excinfo:
        cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-1", day=date(2026, 12, 15),
                                   start="09:00", end="11:30", place=None, actor="staff", settings=settings,
                                   today=date(2026, 12, 10))
    assert "第二十条" in str(excinfo.value) and "7" in str(excinfo.value)
    sitting = next(s for s in notified.sittings if s.key == "plenary-1")
    assert sitting.day == date(2026, 12, 22)
    # far enough ahead it is allowed
    cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-1", day=date(2026, 12, 17),
                               start="09:00", end="11:30", place=None, actor="staff", settings=settings,
                               today=date(2026, 12, 10))
    assert notified.opening_date == date(2026, 12, 17)


def test_bad_reschedule_input_is_reported(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LookupError, match="plenary-1、groups-1"):
        cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-9", day=date(2026, 12, 24),
                                   start="09:00", end="10:00", place=None, actor="s", settings=settings,
                                   today=date(2026, 12, 10))
    with pytest.raises(ValueError, match="HH:MM"):
        cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 24),
                                   start="11:00", end="10:00", place=None, actor="s", settings=settings,
                                   today=date(2026, 12, 10))


def test_reschedule_onto_a_rest_day_or_unknown_year_warns(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    change = cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 26),
                                       start="09:00", end="11:30", place=None, actor="s", settings=settings,
                                       today=date(2026, 12, 10))
    assert len(change.warnings) == 1 and "2026-12-26" in change.warnings[0] and "休息日" in change.warnings[0]
    change = cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2027, 1, 4),
                                       start="09:00", end="11:30", place=None, actor="s", settings=settings,
                                       today=date(2026, 12, 10))
    assert len(change.warnings) == 1 and "尚未收录" in change.warnings[0]


def test_cancel_a_sitting_then_the_session(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    folder = Path(notified.output_dir) / "calendar"
    groups = next(s for s in notified.sittings if s.key == "groups-1")
    uid = f"congress-sitting-{groups.id}@{settings.calendar_host}"
    before = invitations(folder, "QS004")
    change = cal_ops.cancel(db, session=notified, sitting_key="groups-1", reason="场地调整", actor="staff",
                            settings=settings)
    assert change.uids == [uid] and change.cancellations == 60 and change.invitations == 0
    # the deputy's file for that event is rewritten in place as METHOD:CANCEL, the others stay REQUEST
    after = invitations(folder, "QS004")
    assert after == before
    cancel = read_ics(after[uid])
    assert cancel.method.value == "CANCEL"
    (ev,) = cancel.vevent_list
    assert ev.uid.value == uid and ev.status.value == "CANCELLED" and ev.sequence.value == "1"
    assert alarms_of(ev) == [] and ev.attendee.params["CN"] and ev.organizer.value
    assert {read_ics(p).method.value for u, p in after.items() if u != uid} == {"REQUEST"}
    published = events_by_uid(read_ics(folder / "会议日程.ics"))[uid]
    assert published.status.value == "CANCELLED" and alarms_of(published) == []  # no alarms anywhere
    assert db.scalar(select(Sitting).where(Sitting.id == groups.id)) is not None  # the sitting is kept
    docs = {d.path: d for d in db.scalars(select(Document).where(Document.session_id == notified.id))}
    assert docs[str(after[uid].relative_to(folder.parent))].kind == "cancellation"
    # cancelling it again changes nothing
    assert cal_ops.cancel(db, session=notified, sitting_key="groups-1", reason="", actor="s",
                          settings=settings).uids == []
    # the whole session: every other event, once; every deputy's every file is now a METHOD:CANCEL
    whole = cal_ops.cancel(db, session=notified, sitting_key=None, reason="推迟召开", actor="staff", settings=settings)
    assert len(whole.uids) == 5  # presidium meeting, check-in, three other sittings
    assert whole.cancellations == 60 * 4 + 9 and notified.state == "cancelled"
    for path in folder.glob("邀请/*.ics"):
        cal = read_ics(path)
        assert cal.method.value == "CANCEL" and cal.vevent.status.value == "CANCELLED", path
        assert alarms_of(cal.vevent) == [] and int(cal.vevent.sequence.value) == 1
    assert all(not alarms_of(ev) for ev in read_ics(folder / "会议日程.ics").vevent_list)
    kinds = [d.kind for d in db.scalars(select(Document).where(Document.session_id == notified.id,
                                                               Document.path.like("calendar/邀请/%")))]
    assert kinds == ["cancellation"] * (60 * 5 + 9)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.session_id == notified.id)).all()
    assert "sitting_cancelled" in actions and "session_cancelled" in actions


def test_reschedule_before_notices_is_refused(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    with pytest.raises(ValueError, match="congress load"):
        cal_ops.reschedule_sitting(db, session=session, sitting_key="plenary-2", day=date(2026, 12, 24),
                                   start="09:00", end="10:00", place=None, actor="s", settings=settings,
                                   today=date(2026, 12, 1))


def test_followup_deadlines_with_alarms_and_unknown_year(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.test_lifecycle import give_all_inputs

    session = load_sample()
    give_all_inputs(db, session)
    assert advance(db, settings) == [(s, "done") for s in STEPS]
    cal = read_ics(Path(session.output_dir) / "calendar" / "督办期限.ics")
    assert cal.method.value == "PUBLISH"
    by_summary = {ev.summary.value: ev for ev in cal.vevent_list}
    budget = by_summary["财政预算报告公开期限（批准后20日内）"]
    # approved 2026-12-23; 20 days later (第二百零一条: the start day not counted)
    assert budget.dtstart.value == date(2027, 1, 12)
    assert "第三十二条" in budget.description.value
    nxt = by_summary["筹备青山镇下次人民代表大会会议（提醒）"]
    assert nxt.dtstart.value == date(2027, 6, 23)
    # the 8 suggestions of the session file and the motion the presidium referred to the government (YA001)
    assert sum(1 for s in by_summary if s.startswith("代表建议")) == 9
    assert "代表建议YA001答复期限（青山镇人民政府）" in by_summary
    for ev in cal.vevent_list:
        # an all-day deadline's alarms ring at 09:00 local time, never at 22:00 the evening before
        assert sorted(a.trigger.value for a in ev.valarm_list) == sorted(ALL_DAY_ALARMS)
        midnight = datetime.combine(ev.dtstart.value, datetime.min.time())
        rings = sorted(midnight + a.trigger.value for a in ev.valarm_list)
        day = ev.dtstart.value
        assert rings == [datetime.combine(day - timedelta(days=n), datetime.min.time()) + timedelta(hours=9)
                         for n in (7, 1, 0)]
        assert not hasattr(ev, "attendee")
    details = {d.category: d for d in db.scalars(select(CalendarDetail).join(
        CalendarEntry, CalendarEntry.id == CalendarDetail.entry_id).where(CalendarEntry.session_id == session.id))}
    assert details["budget_publication"].audience == {"handler": "青山镇人民政府"}
    # 2027 is not in chinese-calendar 1.11: reported, not guessed
    run = db.scalar(select(ops.StepRun).where(ops.StepRun.session_id == session.id, ops.StepRun.step == "followup"))
    assert "财政预算报告公开期限" in run.message and "2027年的节假日安排尚未收录" in run.message


def test_national_profile_has_no_budget_deadline_rule() -> None:
    # the Budget Law is not among the statute texts: the national baseline states no budget deadline
    assert deadlines.profile_deadline(load_profile("national"), "budget_publication_days", date(2026, 3, 1),
                                      is_rest_day) is None
    due = deadlines.profile_deadline(load_profile("zhejiang"), "budget_publication_days", date(2026, 3, 1),
                                     is_rest_day)
    assert due is not None and due.due == date(2026, 3, 23)  # 21 March is a Saturday: moved to Monday
    assert due.extended and "顺延" in due.note


def test_periods_count_by_the_civil_code() -> None:
    # 第二百零一条: the start day is not counted; 第二百零三条: a last day on a holiday moves past it
    due = deadlines.days_after(date(2026, 9, 21), 10, is_rest_day)
    assert (due.last_day, due.due, due.extended) == (date(2026, 10, 1), date(2026, 10, 8), True)
    assert deadlines.days_after(date(2026, 3, 2), 2, is_rest_day).due == date(2026, 3, 4)
    # working days skip the National Day week (1–7 October 2026) and the Mid-autumn Festival (25 September)
    assert deadlines.working_days_after(date(2026, 9, 29), 3, is_rest_day).due == date(2026, 10, 9)
    assert deadlines.working_days_after(date(2026, 9, 23), 2, is_rest_day).due == date(2026, 9, 28)
    # an adjusted working Sunday counts (20 September 2026)
    assert is_workday(date(2026, 9, 20)) is True
    assert deadlines.working_days_after(date(2026, 9, 19), 1, is_rest_day).due == date(2026, 9, 20)
    # a count that runs into an unknown year is reported, not guessed
    unknown = deadlines.working_days_after(date(2026, 12, 28), 5, is_rest_day)
    assert unknown.due is None and unknown.unknown_year == 2027 and "2027" in unknown.note
    # 第二百零二条: no 31 February, so the month's last day; 28 February 2026 is an adjusted working Saturday
    month = deadlines.months_after(date(2026, 1, 31), 1, is_rest_day)
    assert month.last_day == month.due == date(2026, 2, 28) and not month.extended
    assert deadlines.months_after(date(2026, 3, 31), 2, is_rest_day).due == date(2026, 6, 1)  # 31 May: Sunday


def test_profile_rule_in_working_days() -> None:
    from dataclasses import replace

    from congress.profiles import Citation, RuleSpec

    base = load_profile("national")
    rule = RuleSpec(key="reply_working_days", title="答复期限", citation=Citation.parse("deputies-law-2025.md 第五十一条"),
                    params={"working_days": 5}, basis="practice", note="测试")
    profile = replace(base, rules={**base.rules, "reply_working_days": rule})
    due = deadlines.profile_deadline(profile, "reply_working_days", date(2026, 9, 30), is_rest_day)
    # 8, 9, 10 (an adjusted working Saturday), 12, 13 October
    assert due is not None and due.due == date(2026, 10, 13)


def test_holiday_lookup() -> None:
    assert holiday_name(date(2026, 10, 1)) == "国庆节"
    assert holiday_name(date(2026, 2, 17)) == "春节"
    assert holiday_name(date(2026, 3, 4)) is None
    assert is_rest_day(date(2027, 1, 4)) is None and is_workday(date(2027, 1, 4)) is None
    first, last = known_years()
    assert first <= 2020 and last == 2026


def test_inspection_entry_for_named_deputies(db: Session, notified, settings) -> None:  # type: ignore[no-untyped-def]
    team = [d for d in ops.active_deputies(db, notified)][:3]
    spec = inspection_spec(inspection_id=7, host=settings.calendar_host, township="青山镇", title="农村公路养护",
                           day=date(2026, 9, 26), start="09:00", end="11:00", place="上坪村",
                           description="视察农村公路养护情况", deputy_ids=[d.id for d in team])
    entry = upsert(db, notified, "inspection", spec, stamp=spec.start)  # type: ignore[arg-type]
    assert entry.uid == f"congress-inspection-7@{settings.calendar_host}" and entry.kind == "sitting"
    assert holiday_warnings([spec]) == ["青山镇人大代表视察：农村公路养护2026-09-26（中秋）为法定节假日或休息日，请确认"]


def test_invitations_serialised_once_are_byte_identical() -> None:
    start = datetime(2026, 12, 22, 9, 0, tzinfo=UTC)
    entry = Entry(uid="congress-sitting-1@congress.local", summary="青山镇人代会：第一次全体会议", start=start,
                  end=start + timedelta(hours=2), dtstamp=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
                  location="三楼大会议室", description="很长的说明" * 40)
    organizer = Person("青山镇人民代表大会主席团", "urn:congress:qingshan:presidium")
    people = [Person("王建华", "tel:+8613800000001"), Person("欧阳" + "长" * 30, "urn:congress:qingshan:deputy:QS002")]
    offsets = [timedelta(days=7), timedelta(hours=2)]
    for status in ("CONFIRMED", "CANCELLED"):
        e = replace(entry, status=status)
        assert invitations_bytes(e, organizer=organizer, attendees=people, alarms=offsets) == [
            invitation_bytes(e, organizer=organizer, attendee=p, alarms=offsets) for p in people]
    # iTIP: one UID per message; a PUBLISH calendar names no attendee
    with pytest.raises(ValueError):
        calendar_bytes([entry, replace(entry, uid="other")], method="REQUEST", organizer=organizer,
                       attendees=people[:1])
    with pytest.raises(ValueError):
        calendar_bytes([entry], method="PUBLISH", organizer=organizer, attendees=people[:1])
