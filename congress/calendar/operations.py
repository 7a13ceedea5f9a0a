"""Calendar state changes after the notices went out: reschedule a sitting, cancel a sitting or the
whole session. Each keeps the entry's UID, raises its SEQUENCE, re-issues the deputies' files
(REQUEST, or CANCEL) and records the old values in the audit, so nothing is lost.

Like the lifecycle operations: keyword-only, actor passed in, flush but do not commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import rules
from congress.calendar import entries as cal
from congress.calendar.files import write_session_calendars
from congress.lifecycle import operations as ops
from congress.lifecycle.context import common_context
from congress.messages import msg
from congress.models import CalendarEntry, CongressSession, StepRun
from congress.settings import Settings

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class CalendarChange:
    """What a reschedule or cancellation changed: the entries, the files re-issued, the warnings."""

    uids: list[str] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)
    invitations: int = 0
    cancellations: int = 0
    warnings: list[str] = field(default_factory=list)


def _require_notified(db: Session, session: CongressSession) -> None:
    if session.state == "completed":
        raise ValueError(msg("calendar.reschedule.completed", key=session.key))
    notices = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.step == "notices"))
    if notices is None or notices.status != "done":
        raise ValueError(msg("calendar.reschedule.not_notified", key=session.key))


def _event_specs(db: Session, session: CongressSession, settings: Settings) -> list[cal.EntrySpec]:
    ctx = common_context(db, session, ops.profile_of(session))
    presidium = set(session.presidium_codes)
    return cal.session_event_specs(
        session, host=settings.calendar_host, title=ctx["session"]["title"],
        agenda=[a["title"] for a in ctx["agenda"]], materials=ctx["materials"],
        presidium_ids=[d.id for d in session.term.deputies if d.code in presidium])


def _reissue(db: Session, session: CongressSession, settings: Settings, change: CalendarChange) -> None:
    """Write the session calendar and every deputy's invitation / cancellation again."""
    from congress.lifecycle.steps import Outputs  # the lifecycle's file writer; imported late (it imports us)

    out = Outputs(db, session, "notices", settings)
    ctx_title = common_context(db, session, ops.profile_of(session))["session"]["title"]
    write_session_calendars(db, session, out, profile=ops.profile_of(session),
                            deputies=ops.active_deputies(db, session), title=ctx_title)
    change.invitations = sum(1 for w in out.written if w["kind"] == "invitation")
    change.cancellations = sum(1 for w in out.written if w["kind"] == "cancellation")


def reschedule_sitting(
    db: Session, *, session: CongressSession, sitting_key: str, day: date, start: str, end: str,
    place: str | None, actor: str, settings: Settings, today: date,
) -> CalendarChange:
    """Move one sitting: same UID, SEQUENCE + 1, DTSTAMP now; deputies' invitations re-issued.

    Advancing a sitting must still leave the profile's notice period from `today` (the day the new
    notice goes out); postponing never shortens it. A rest day is a warning, not a refusal.
    """
    _require_notified(db, session)
    sitting = next((s for s in session.sittings if s.key == sitting_key), None)
    if sitting is None:
        raise LookupError(msg("calendar.reschedule.unknown_sitting", key=session.key, sitting=sitting_key,
                              keys="、".join(s.key for s in session.sittings)))
    for value in (start, end):
        if not _HHMM.match(value):
            raise ValueError(msg("calendar.reschedule.bad_time", value=value))
    if end <= start:
        raise ValueError(msg("calendar.reschedule.bad_time", value=f"{start}—{end}"))
    profile = ops.profile_of(session)
    if day < sitting.day and not (session.kind == "extraordinary"
                                  and profile.rule("notice_exempt_extraordinary")["value"]):
        spec = profile.rule("notice_days")
        if (day - today).days < spec["value"]:
            raise rules.RuleViolation(rules.Check(
                ok=False, rule="notice_days", title=spec.title, citation=spec.citation,
                message=msg("calendar.reschedule.notice_too_late", what=sitting.title, day=day.isoformat(),
                            today=today.isoformat(), days=spec["value"]),
                detail={"day": day.isoformat(), "today": today.isoformat(), "days": spec["value"]}))

    old = {"day": sitting.day.isoformat(), "start": sitting.start, "end": sitting.end, "place": sitting.place,
           "opening_date": session.opening_date.isoformat(), "closing_date": session.closing_date.isoformat()}
    sitting.day, sitting.start, sitting.end = day, start, end
    if place:
        sitting.place = place
    days = [s.day for s in session.sittings]
    session.opening_date, session.closing_date = min(days), max(days)
    db.flush()

    change = CalendarChange()
    for spec in _event_specs(db, session, settings):
        is_target = spec.sitting_id == sitting.id
        entry = cal.upsert(db, session, "notices", spec, stamp=cal.notice_stamp(session),
                           status="CONFIRMED" if is_target else None)
        if is_target:
            change.uids.append(entry.uid)
            change.sequences[entry.uid] = entry.sequence
            change.warnings = cal.holiday_warnings([spec])
    _reissue(db, session, settings, change)
    new = {"day": day.isoformat(), "start": start, "end": end, "place": sitting.place,
           "opening_date": session.opening_date.isoformat(), "closing_date": session.closing_date.isoformat()}
    ops.audit(db, actor=actor, action="sitting_rescheduled", session=session, step="notices",
              sitting=sitting.key, old=old, new=new, uids=change.uids, sequences=change.sequences,
              invitations=change.invitations, warnings=change.warnings)
    return change


def cancel(
    db: Session, *, session: CongressSession, sitting_key: str | None, reason: str, actor: str, settings: Settings,
) -> CalendarChange:
    """Cancel one sitting, or (without a key) every event of the session: STATUS:CANCELLED with a higher
    SEQUENCE, and a METHOD:CANCEL file per deputy. The sittings themselves stay in the database."""
    _require_notified(db, session)
    query = select(CalendarEntry).where(CalendarEntry.session_id == session.id, CalendarEntry.kind == "sitting")
    targets = list(db.scalars(query.order_by(CalendarEntry.starts)))
    if sitting_key is not None:
        sitting = next((s for s in session.sittings if s.key == sitting_key), None)
        if sitting is None:
            raise LookupError(msg("calendar.reschedule.unknown_sitting", key=session.key, sitting=sitting_key,
                                  keys="、".join(s.key for s in session.sittings)))
        uid = f"congress-sitting-{sitting.id}@{settings.calendar_host}"
        targets = [e for e in targets if e.uid == uid]
    change = CalendarChange()
    for entry in targets:
        if cal.set_status(db, entry, "CANCELLED"):
            change.uids.append(entry.uid)
            change.sequences[entry.uid] = entry.sequence
    if change.uids:
        _reissue(db, session, settings, change)
        ops.audit(db, actor=actor, action="session_cancelled" if sitting_key is None else "sitting_cancelled",
                  session=session, step="notices", sitting=sitting_key, reason=reason, uids=change.uids,
                  sequences=change.sequences, cancellations=change.cancellations,
                  summaries=[e.summary for e in targets if e.uid in change.uids])
    return change
