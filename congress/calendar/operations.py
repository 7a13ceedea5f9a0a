"""Calendar and session-state changes after the plan: reschedule a sitting, cancel a sitting or the whole
session, postpone the session, reinstate it. Each keeps the entries' UIDs, raises their SEQUENCE, rewrites
the deputies' files (REQUEST, or CANCEL in place) and records the old and new values in the audit.

A cancelled or postponed session does not run (ops.HALTED_STATES) until it is lifted: `reinstate` lifts
either; a postponement is also lifted by rescheduling every sitting it put off. Lifting restores the
state the session had (so the next run continues from its first unfinished step) and confirms again
the events the halt cancelled.

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
from congress.calendar.files import calendar_hashes, retire_legacy_files, write_session_calendars
from congress.lifecycle import operations as ops
from congress.lifecycle.context import common_context
from congress.messages import msg
from congress.models import CalendarDetail, CalendarEntry, CongressSession, StepRun
from congress.models.calendar import SessionHalt
from congress.settings import Settings

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class CalendarChange:
    """What an operation changed: entries, files rewritten, the session's state, warnings."""

    uids: list[str] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)
    invitations: int = 0  # REQUEST files whose bytes changed
    cancellations: int = 0  # CANCEL files whose bytes changed
    files: list[str] = field(default_factory=list)  # every calendar file whose bytes changed
    warnings: list[str] = field(default_factory=list)
    state: tuple[str, str] | None = None  # (old, new) when the session's state changed
    pending: list[str] = field(default_factory=list)  # sittings a postponement still waits to see moved
    recorded: bool = False  # something changed and was audited (an identical repeat changes nothing)


def _refuse_completed(session: CongressSession) -> None:
    if session.state == "completed":
        raise ValueError(msg("calendar.reschedule.completed", key=session.key))


def _notified(db: Session, session: CongressSession) -> bool:
    notices = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.step == "notices"))
    return notices is not None and notices.status == "done"


def _require_notified(db: Session, session: CongressSession) -> None:
    _refuse_completed(session)
    if not _notified(db, session):
        raise ValueError(msg("calendar.reschedule.not_notified", key=session.key))


def _lock(db: Session, session: CongressSession) -> None:
    """Hold the session's row until the unit of work ends, so that a state change and a run's own
    update of the state cannot interleave (PostgreSQL; SQLite's write transaction already does)."""
    db.refresh(session, with_for_update=True)


def _entries(db: Session, session: CongressSession) -> list[CalendarEntry]:
    return list(db.scalars(select(CalendarEntry).where(CalendarEntry.session_id == session.id,
                                                       CalendarEntry.kind == "sitting")
                           .order_by(CalendarEntry.starts, CalendarEntry.id)))


def open_halt(db: Session, session: CongressSession) -> SessionHalt | None:
    """The cancellation or postponement in force, if any."""
    return db.scalar(select(SessionHalt).where(SessionHalt.session_id == session.id, SessionHalt.lifted_at.is_(None))
                     .order_by(SessionHalt.id.desc()).limit(1))


def _event_specs(db: Session, session: CongressSession, settings: Settings) -> list[cal.EntrySpec]:
    ctx = common_context(db, session, ops.profile_of(session))
    presidium = set(session.presidium_codes)
    return cal.session_event_specs(
        session, host=settings.calendar_host, title=ctx["session"]["title"],
        agenda=[a["title"] for a in ctx["agenda"]], materials=ctx["materials"],
        presidium_ids=[d.id for d in session.term.deputies if d.code in presidium])


def _reissue(db: Session, session: CongressSession, settings: Settings, change: CalendarChange,
             *, actor: str) -> None:
    """Write the session calendar and every deputy's files again; count the files whose bytes changed."""
    from congress.lifecycle.steps import Outputs  # the lifecycle's file writer; imported late (it imports us)

    if not db.scalar(select(CalendarEntry.id).where(CalendarEntry.session_id == session.id).limit(1)):
        return  # before the notices step: no calendar yet
    before = calendar_hashes(db, session)
    out = Outputs(db, session, "notices", settings)
    profile = ops.profile_of(session)
    title = common_context(db, session, profile)["session"]["title"]
    write_session_calendars(db, session, out, profile=profile, deputies=ops.active_deputies(db, session),
                            title=title, skip_unchanged=True)
    for written in out.written:
        if before.get(written["path"]) != written["sha256"]:
            change.files.append(written["path"])
            change.invitations += written["kind"] == "invitation"
            change.cancellations += written["kind"] == "cancellation"
    retired = retire_legacy_files(db, session, out.root)
    if retired:
        ops.audit(db, actor=actor, action="calendar_files_retired", session=session, step="notices",
                  retired=retired)


def _set(db: Session, entries: list[CalendarEntry], status: str, change: CalendarChange) -> None:
    for entry in entries:
        if cal.set_status(db, entry, status):
            change.uids.append(entry.uid)
            change.sequences[entry.uid] = entry.sequence


def _state(session: CongressSession) -> dict[str, str | None]:
    return {"state": session.state, "waiting_for": session.waiting_for, "message": session.state_message}


def _lift(db: Session, session: CongressSession, halt: SessionHalt | None, *, how: str, actor: str,
          change: CalendarChange) -> None:
    """Restore the state the session had before the halt; close the halt."""
    old = session.state
    if halt is None:  # a state set without this module: continue from the first unfinished step
        session.state, session.waiting_for, session.state_message = "planned", None, None
    else:
        session.state, session.waiting_for = halt.previous_state, halt.previous_waiting_for
        session.state_message = halt.previous_message
        halt.lifted_at, halt.lifted_by, halt.lifted_how = ops.now(), actor, how
    change.state = (old, session.state)
    db.flush()


# --- reschedule ------------------------------------------------------------------------------------


def reschedule_sitting(
    db: Session, *, session: CongressSession, sitting_key: str, day: date, start: str, end: str,
    place: str | None, actor: str, settings: Settings, today: date,
) -> CalendarChange:
    """Move one sitting: same UID, SEQUENCE + 1, DTSTAMP now; the deputies' files for it rewritten.

    Advancing a sitting must still leave the profile's notice period from `today` (the day the new
    notice goes out); postponing never shortens it. A rest day is a warning, not a refusal. In a
    postponed session the moved sitting is confirmed again, and once every sitting the postponement put
    off has its new date, the postponement is lifted (check-in moves with the opening date).
    """
    _require_notified(db, session)
    if session.state == "cancelled":
        raise ValueError(msg("calendar.reschedule.cancelled", key=session.key))
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
    _lock(db, session)

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
        entry = cal.upsert(db, session, "notices", spec, status="CONFIRMED" if is_target else None)
        if is_target:
            change.uids.append(entry.uid)
            change.sequences[entry.uid] = entry.sequence
            change.warnings = cal.holiday_warnings([spec])
    moved = change.uids[0]
    lifted = None
    if session.state == "postponed":
        lifted = _after_postponed_move(db, session, open_halt(db, session), settings, change, actor=actor)
    _reissue(db, session, settings, change, actor=actor)
    new = {"day": day.isoformat(), "start": start, "end": end, "place": sitting.place,
           "opening_date": session.opening_date.isoformat(), "closing_date": session.closing_date.isoformat()}
    if new == old and not change.files and lifted is None:
        return change  # the same reschedule again
    change.recorded = True
    ops.audit(db, actor=actor, action="sitting_rescheduled", session=session, step="notices",
              sitting=sitting.key, old=old, new=new, uids=[moved], sequences={moved: change.sequences[moved]},
              invitations=change.invitations, warnings=change.warnings, pending=change.pending)
    if lifted is not None:
        confirmed = [u for u in change.uids if u != moved]
        ops.audit(db, actor=actor, action="session_postponement_lifted", session=session, how="rescheduled",
                  old=lifted, new=_state(session), uids=confirmed,
                  sequences={u: change.sequences[u] for u in confirmed},
                  checkin_date=session.checkin_date.isoformat())
    return change


def _after_postponed_move(db: Session, session: CongressSession, halt: SessionHalt | None, settings: Settings,
                          change: CalendarChange, *, actor: str) -> dict[str, str | None] | None:
    """In a postponed session: list the sittings still put off, or lift the postponement (returns the
    state it had before lifting)."""
    put_off = set(halt.uids) if halt is not None else set()
    rows = db.execute(select(CalendarEntry, CalendarDetail).join(
        CalendarDetail, CalendarDetail.entry_id == CalendarEntry.id,
    ).where(CalendarEntry.session_id == session.id, CalendarEntry.uid.in_(put_off))).tuples().all()
    pending = sorted(((e, d) for e, d in rows if d.sitting_id is not None and e.status == "CANCELLED"),
                     key=lambda p: (p[0].starts, p[0].id))
    if pending:
        titles = {s.id: s.title for s in session.sittings}
        change.pending = [titles.get(d.sitting_id or 0, e.summary) for e, d in pending]
        return None
    sequences = {e.uid: e.sequence for e, _ in rows}
    before = _state(session)
    if halt is not None and halt.dates.get("opening_date") and \
            f"congress-checkin-{session.id}@{settings.calendar_host}" in put_off:
        # check-in (put off with the sittings) keeps its distance from the opening day
        shift = session.opening_date - date.fromisoformat(halt.dates["opening_date"])
        session.checkin_date = date.fromisoformat(halt.dates["checkin_date"]) + shift
        db.flush()
    for spec in _event_specs(db, session, settings):
        if spec.uid in put_off:
            entry = cal.upsert(db, session, "notices", spec, status="CONFIRMED")
            if entry.sequence != sequences.get(entry.uid) and entry.uid not in change.uids:
                change.uids.append(entry.uid)
                change.sequences[entry.uid] = entry.sequence
    _lift(db, session, halt, how="rescheduled", actor=actor, change=change)
    return before


# --- cancel, postpone, reinstate -------------------------------------------------------------------


def cancel(
    db: Session, *, session: CongressSession, sitting_key: str | None, reason: str, actor: str, settings: Settings,
) -> CalendarChange:
    """Cancel one sitting (after the notices), or the whole session (at any time before it is completed).

    Every affected event becomes STATUS:CANCELLED with a higher SEQUENCE and each deputy's file for it
    is rewritten in place as METHOD:CANCEL, without alarms. Cancelling the whole session also sets its
    state to "cancelled": no step runs until `reinstate`. The sittings themselves stay in the database.
    """
    if sitting_key is not None:
        return _cancel_sitting(db, session=session, sitting_key=sitting_key, reason=reason, actor=actor,
                               settings=settings)
    _refuse_completed(session)
    _lock(db, session)
    change = CalendarChange()
    if session.state == "cancelled":
        return change
    previous = open_halt(db, session) if session.state == "postponed" else None  # cancelled outright
    before = _state(session)
    _set(db, [e for e in _entries(db, session) if e.status != "CANCELLED"], "CANCELLED", change)
    halt = SessionHalt(session_id=session.id, state="cancelled", reason=reason, halted_by=actor, halted_at=ops.now(),
                       previous_state=previous.previous_state if previous else session.state,
                       previous_waiting_for=previous.previous_waiting_for if previous else session.waiting_for,
                       previous_message=previous.previous_message if previous else session.state_message,
                       uids=list(dict.fromkeys([*(previous.uids if previous else []), *change.uids])),
                       dates=dict(previous.dates) if previous else {})
    if previous is not None:
        previous.lifted_at, previous.lifted_by, previous.lifted_how = ops.now(), actor, "cancelled"
    db.add(halt)
    session.state, session.waiting_for = "cancelled", None
    session.state_message = msg("calendar.state.cancelled", reason=reason or msg("calendar.state.no_reason"))
    change.state = (str(before["state"]), "cancelled")
    db.flush()
    _reissue(db, session, settings, change, actor=actor)
    change.recorded = True
    ops.audit(db, actor=actor, action="session_cancelled", session=session, reason=reason, old=before,
              new=_state(session), uids=change.uids, sequences=change.sequences, cancellations=change.cancellations,
              summaries=[e.summary for e in _entries(db, session) if e.uid in change.uids])
    return change


def _cancel_sitting(db: Session, *, session: CongressSession, sitting_key: str, reason: str, actor: str,
                    settings: Settings) -> CalendarChange:
    _require_notified(db, session)
    sitting = next((s for s in session.sittings if s.key == sitting_key), None)
    if sitting is None:
        raise LookupError(msg("calendar.reschedule.unknown_sitting", key=session.key, sitting=sitting_key,
                              keys="、".join(s.key for s in session.sittings)))
    _lock(db, session)
    uid = f"congress-sitting-{sitting.id}@{settings.calendar_host}"
    targets = [e for e in _entries(db, session) if e.uid == uid]
    change = CalendarChange()
    _set(db, targets, "CANCELLED", change)
    halt = open_halt(db, session) if session.state == "postponed" else None
    dropped = halt is not None and uid in halt.uids and not change.uids
    if dropped and halt is not None:
        # put off by the postponement and now called off for good: the postponement no longer waits for it
        halt.uids = [u for u in halt.uids if u != uid]
        change.uids.append(uid)
        change.sequences[uid] = targets[0].sequence
        db.flush()
    if not change.uids:
        return change
    _reissue(db, session, settings, change, actor=actor)
    change.recorded = True
    ops.audit(db, actor=actor, action="sitting_cancelled", session=session, step="notices", sitting=sitting_key,
              reason=reason, uids=change.uids, sequences=change.sequences, cancellations=change.cancellations,
              summaries=[e.summary for e in targets])
    return change


def postpone(
    db: Session, *, session: CongressSession, reason: str, actor: str, settings: Settings, today: date,
) -> CalendarChange:
    """Postpone the session, its dates to be fixed later: state "postponed" (no step runs), and every
    event from `today` on cancelled in the deputies' calendars (METHOD:CANCEL, no alarms) until it is
    given a new date with `reschedule_sitting` or the postponement is called off with `reinstate`."""
    _refuse_completed(session)
    _lock(db, session)
    change = CalendarChange()
    if session.state == "postponed":
        return change
    if session.state == "cancelled":
        raise ValueError(msg("calendar.postpone.cancelled", key=session.key))
    before = _state(session)
    upcoming = [e for e in _entries(db, session)
                if e.status != "CANCELLED" and date.fromisoformat(e.starts[:10]) >= today]
    _set(db, upcoming, "CANCELLED", change)
    db.add(SessionHalt(session_id=session.id, state="postponed", reason=reason, halted_by=actor, halted_at=ops.now(),
                       previous_state=session.state, previous_waiting_for=session.waiting_for,
                       previous_message=session.state_message, uids=list(change.uids),
                       dates={"opening_date": session.opening_date.isoformat(),
                              "checkin_date": session.checkin_date.isoformat()}))
    session.state, session.waiting_for = "postponed", None
    session.state_message = msg("calendar.state.postponed", reason=reason or msg("calendar.state.no_reason"))
    change.state = (str(before["state"]), "postponed")
    db.flush()
    _reissue(db, session, settings, change, actor=actor)
    change.recorded = True
    ops.audit(db, actor=actor, action="session_postponed", session=session, reason=reason, old=before,
              new=_state(session), uids=change.uids, sequences=change.sequences, cancellations=change.cancellations,
              today=today.isoformat())
    return change


def reinstate(db: Session, *, session: CongressSession, reason: str, actor: str, settings: Settings) -> CalendarChange:
    """Lift a cancellation or postponement: the session's earlier state comes back (the next run continues
    from its first unfinished step) and the events the halt cancelled are confirmed again at their
    current dates (METHOD:REQUEST with a higher SEQUENCE). Nothing happens when the session is not halted."""
    _lock(db, session)
    change = CalendarChange()
    if session.state not in ops.HALTED_STATES:
        return change
    halt = open_halt(db, session)
    before = _state(session)
    called_off = set(halt.uids) if halt is not None else set()
    _set(db, [e for e in _entries(db, session) if e.uid in called_off], "CONFIRMED", change)
    _lift(db, session, halt, how="reinstated", actor=actor, change=change)
    _reissue(db, session, settings, change, actor=actor)
    change.recorded = True
    ops.audit(db, actor=actor, action="session_reinstated", session=session, reason=reason, old=before,
              new=_state(session), uids=change.uids, sequences=change.sequences, invitations=change.invitations)
    return change

