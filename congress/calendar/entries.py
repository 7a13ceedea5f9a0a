"""Calendar entries of a session: what they say, who sees them, and their stored identity.

Every entry has a UID from a row id, so a re-run finds the same entry; SEQUENCE and DTSTAMP change
only when what a reader sees changes. Audiences decide who gets an entry in invitations and feeds:
all deputies of the term, named deputies (the presidium, an inspection team), deputy groups, a
handling office; office staff see every entry of their township.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.calendar import deadlines
from congress.holidays import holiday_name, is_rest_day
from congress.ical.builder import TZ, Entry, Person, local, parse_duration
from congress.messages import msg
from congress.models import (
    CalendarDetail,
    CalendarEntry,
    CongressSession,
    Deputy,
    Report,
    Resolution,
    Suggestion,
)
from congress.profiles import Profile

# The session file gives only the start of the presidium meeting and of check-in; the calendar shows
# them as one-hour blocks (practice, not a rule: nothing depends on the length).
PRESIDIUM_MEETING_LENGTH = timedelta(hours=1)
CHECKIN_LENGTH = timedelta(hours=1)


@dataclass(frozen=True)
class EntrySpec:
    """What an entry should look like now; `upsert` reconciles the stored entry with it."""

    uid: str
    kind: str  # sitting | deadline
    category: str
    summary: str
    start: datetime | date
    end: datetime | date
    location: str = ""
    description: str = ""
    audience: dict[str, Any] = field(default_factory=dict)
    sitting_id: int | None = None

    @property
    def starts(self) -> str:
        return self.start.isoformat()

    @property
    def ends(self) -> str:
        return self.end.isoformat()


def fingerprint(spec: EntrySpec) -> str:
    """Hash of what a reader sees; a change raises SEQUENCE."""
    return hashlib.sha256(json.dumps(
        [spec.summary, spec.starts, spec.ends, spec.location, spec.description], ensure_ascii=False,
    ).encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _later(previous: datetime, current: datetime) -> datetime:
    """A DTSTAMP that never goes back: iTIP orders two messages of one SEQUENCE by it."""
    return max(current, previous + timedelta(seconds=1))


def upsert(db: Session, session: CongressSession, step: str, spec: EntrySpec, *, stamp: datetime | None = None,
           status: str | None = None) -> CalendarEntry:
    """Create the entry, or update it in place: same UID, SEQUENCE + 1 and DTSTAMP now when changed.

    DTSTAMP is when the iCalendar object was created or last changed, stored on the entry so that an
    identical re-run writes the same bytes. `stamp`, when given, is when the entry's information was
    issued (a notice's date): a new entry takes the earlier of it and now, never a time in the future.
    `status` (CONFIRMED / CANCELLED) is only changed when given.
    """
    fp = fingerprint(spec)
    entry = db.scalar(select(CalendarEntry).where(CalendarEntry.uid == spec.uid))
    changed_at = now()
    changed = entry is None
    if entry is None:
        created = min(stamp, changed_at) if stamp is not None else changed_at
        entry = CalendarEntry(session_id=session.id, step=step, uid=spec.uid, kind=spec.kind, summary=spec.summary,
                              starts=spec.starts, ends=spec.ends, location=spec.location, sequence=0,
                              status=status or "CONFIRMED", dtstamp=created.replace(microsecond=0), fingerprint=fp)
        db.add(entry)
        db.flush()
    elif entry.fingerprint != fp or (status is not None and status != entry.status):
        entry.summary, entry.starts, entry.ends, entry.location = spec.summary, spec.starts, spec.ends, spec.location
        entry.status = status or entry.status
        entry.sequence += 1
        entry.dtstamp, entry.fingerprint = _later(entry.dtstamp, changed_at), fp
        changed = True
    detail = db.scalar(select(CalendarDetail).where(CalendarDetail.entry_id == entry.id))
    if detail is None:
        detail = CalendarDetail(entry_id=entry.id, township_id=session.term.township_id, term_id=session.term_id,
                                category=spec.category, updated_at=datetime.now(UTC))
        db.add(detail)
    values = {"category": spec.category, "description": spec.description, "audience": spec.audience,
              "sitting_id": spec.sitting_id}
    if changed or any(getattr(detail, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(detail, k, v)
        # full precision: the feeds' cache key must change with every change
        detail.updated_at = datetime.now(UTC)
    db.flush()
    return entry


def set_status(db: Session, entry: CalendarEntry, status: str) -> bool:
    """Mark an entry CONFIRMED or CANCELLED in place (SEQUENCE + 1); False when it already was."""
    if entry.status == status:
        return False
    changed_at = now()
    entry.status, entry.sequence, entry.dtstamp = status, entry.sequence + 1, _later(entry.dtstamp, changed_at)
    detail = db.scalar(select(CalendarDetail).where(CalendarDetail.entry_id == entry.id))
    if detail is not None:
        detail.updated_at = datetime.now(UTC)
    db.flush()
    return True


# --- who sees an entry ---------------------------------------------------------------------


def sees(audience: dict[str, Any], deputy: Deputy) -> bool:
    """Whether the deputy is in the entry's audience (within the entry's own term)."""
    return bool(audience.get("deputies")) or deputy.id in audience.get("deputy_ids", ()) \
        or deputy.group_name in audience.get("groups", ())


def for_deputy(pairs: Iterable[tuple[CalendarEntry, CalendarDetail]], deputy: Deputy) -> list[CalendarEntry]:
    return [e for e, d in pairs if d.term_id == deputy.term_id and sees(d.audience, deputy)]


# --- turning stored entries into iCalendar entries ------------------------------------------


def _moment(text: str) -> datetime | date:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def ical_entry(entry: CalendarEntry, detail: CalendarDetail | None) -> Entry:
    return Entry(uid=entry.uid, summary=entry.summary, start=_moment(entry.starts), end=_moment(entry.ends),
                 dtstamp=entry.dtstamp, sequence=entry.sequence, location=entry.location,
                 description=detail.description if detail else "", status=entry.status)


def spec_entry(spec: EntrySpec, entry: CalendarEntry) -> Entry:
    """The iCalendar entry of a spec just stored (its SEQUENCE, DTSTAMP and status from the row)."""
    return Entry(uid=spec.uid, summary=spec.summary, start=spec.start, end=spec.end, dtstamp=entry.dtstamp,
                 sequence=entry.sequence, location=spec.location, description=spec.description, status=entry.status)


def organizer(session: CongressSession) -> Person:
    township = session.term.township
    return Person(township.presidium_name, f"urn:congress:{township.code}:presidium")


def attendee(deputy: Deputy, township_code: str) -> Person:
    return Person(deputy.name, f"tel:+86{deputy.contact}" if deputy.contact
                  else f"urn:congress:{township_code}:deputy:{deputy.code}")


def alarms(profile: Profile) -> list[timedelta]:
    """The reminder offsets of the profile (default 7 days, 1 day, 2 hours before)."""
    return [parse_duration(x) for x in profile.rule("calendar_alarms")["value"]]


def session_pairs(db: Session, session: CongressSession) -> list[tuple[CalendarEntry, CalendarDetail]]:
    rows = db.execute(select(CalendarEntry, CalendarDetail).join(
        CalendarDetail, CalendarDetail.entry_id == CalendarEntry.id,
    ).where(CalendarEntry.session_id == session.id).order_by(CalendarEntry.starts, CalendarEntry.id))
    return [(e, d) for e, d in rows.tuples()]


# --- the session's events --------------------------------------------------------------------


def _lines(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {x}" for i, x in enumerate(items, start=1))


def session_description(title: str, agenda: Sequence[str], materials: Sequence[str]) -> str:
    return msg("calendar.description.session", title=title, agenda=_lines(agenda), materials=_lines(materials))


def session_event_specs(session: CongressSession, *, host: str, title: str, agenda: Sequence[str],
                        materials: Sequence[str], presidium_ids: Sequence[int]) -> list[EntrySpec]:
    """The presidium meeting (presidium members only), check-in and every sitting (all deputies)."""
    township = session.term.township.name
    description = session_description(title, agenda, materials)
    pm_start = local(session.presidium_meeting_date, session.presidium_meeting_time)
    specs = [EntrySpec(
        uid=f"congress-presidium-meeting-{session.id}@{host}", kind="sitting", category="presidium_meeting",
        summary=msg("calendar.summary.presidium_meeting", township=township), start=pm_start,
        end=pm_start + PRESIDIUM_MEETING_LENGTH, location=session.presidium_meeting_place,
        description=msg("calendar.description.presidium_meeting", title=title, agenda=_lines(agenda)),
        audience={"deputy_ids": sorted(presidium_ids)},
    )]
    ci_start = local(session.checkin_date, session.checkin_time)
    specs.append(EntrySpec(
        uid=f"congress-checkin-{session.id}@{host}", kind="sitting", category="checkin",
        summary=msg("calendar.summary.checkin", township=township), start=ci_start, end=ci_start + CHECKIN_LENGTH,
        location=session.checkin_place, description=description, audience={"deputies": True},
    ))
    for sitting in session.sittings:
        specs.append(EntrySpec(
            uid=f"congress-sitting-{sitting.id}@{host}", kind="sitting", category=sitting.kind,
            summary=msg("calendar.summary.sitting", township=township, title=sitting.title),
            start=local(sitting.day, sitting.start), end=local(sitting.day, sitting.end), location=sitting.place,
            description=description, audience={"deputies": True}, sitting_id=sitting.id,
        ))
    return specs


def inspection_spec(*, inspection_id: int, host: str, township: str, title: str, day: date, start: str, end: str,
                    place: str, description: str, deputy_ids: Sequence[int] = (),
                    groups: Sequence[str] = ()) -> EntrySpec:
    """A deputies' inspection (视察) for the named deputies or groups; the scheduling issue stores it
    with `upsert` under the session it belongs to."""
    return EntrySpec(
        uid=f"congress-inspection-{inspection_id}@{host}", kind="sitting", category="inspection",
        summary=msg("calendar.summary.inspection", township=township, title=title),
        start=local(day, start), end=local(day, end), location=place, description=description,
        audience={"deputy_ids": sorted(deputy_ids), "groups": sorted(groups)},
    )


def notice_stamp(session: CongressSession) -> datetime:
    return datetime.combine(session.notice_date, time(9, 0), tzinfo=TZ).astimezone(UTC)


# --- deadlines ---------------------------------------------------------------------------------


@dataclass
class DeadlinePlan:
    specs: list[EntrySpec]
    notes: list[str]


def _all_day(uid: str, category: str, summary: str, due: date, description: str,
             audience: dict[str, Any]) -> EntrySpec:
    return EntrySpec(uid=uid, kind="deadline", category=category, summary=summary, start=due,
                     end=due + timedelta(days=1), description=description, audience=audience)


def suggestion_spec(sg: Suggestion, *, host: str, due: date, citation_label: str,
                    proposer_ids: Sequence[int]) -> EntrySpec:
    """The reply deadline of one suggestion: for its handling office, the proposers and staff."""
    return _all_day(
        f"congress-suggestion-{sg.id}-due@{host}", "suggestion_reply",
        msg("calendar.summary.suggestion_reply", code=sg.code, office=sg.office), due,
        msg("calendar.description.suggestion_reply", title=sg.title, office=sg.office, citation=citation_label),
        {"handler": sg.office, "deputy_ids": sorted(proposer_ids)},
    )


def session_deadline_specs(db: Session, session: CongressSession, profile: Profile, *, host: str,
                           title: str) -> DeadlinePlan:
    """Deadlines after the session besides suggestion replies: the budget's publication (where the
    profile has the rule) and a reminder to plan the next session."""
    specs: list[EntrySpec] = []
    notes: list[str] = []
    township = session.term.township
    budget = db.execute(select(Resolution, Report).join(Report, Report.id == Resolution.report_id).where(
        Resolution.session_id == session.id, Report.kind == "budget", Resolution.status == "adopted",
    )).first()
    if budget is not None:
        resolution, report = budget.tuple()
        approved = resolution.adopted_on or session.closing_date
        due = deadlines.profile_deadline(profile, "budget_publication_days", approved, is_rest_day)
        if due is not None:
            spec = profile.rule("budget_publication_days")
            if due.note:
                notes.append(msg("calendar.deadline.note", what=msg("calendar.what.budget_publication"),
                                 note=due.note))
            if due.due is not None:
                specs.append(_all_day(
                    f"congress-budget-publication-{resolution.id}@{host}", "budget_publication",
                    msg("calendar.summary.budget_publication", days=spec["days"]), due.due,
                    msg("calendar.description.budget_publication", report=report.title, approved=approved.isoformat(),
                        days=spec["days"], government=township.government_name, citation=spec.citation.label),
                    {"handler": township.government_name},
                ))
    nxt = deadlines.profile_deadline(profile, "next_session_reminder", session.closing_date, is_rest_day)
    if nxt is not None and nxt.due is not None:
        spec = profile.rule("next_session_reminder")
        specs.append(_all_day(
            f"congress-next-session-{session.id}@{host}", "next_session",
            msg("calendar.summary.next_session", township=township.name), nxt.due,
            msg("calendar.description.next_session", title=title, months=spec["months"], note=spec.note,
                citation=spec.citation.label),
            {},
        ))
    return DeadlinePlan(specs, notes)


def holiday_warnings(specs: Iterable[EntrySpec]) -> list[str]:
    """A warning per event or deadline that falls on a statutory rest day, or in a year not yet known."""
    warnings = []
    for spec in specs:
        day = spec.start.date() if isinstance(spec.start, datetime) else spec.start
        rest = is_rest_day(day)
        if rest is None:
            warnings.append(msg("rule.holiday.unknown", what=spec.summary, day=day.isoformat()))
        elif rest:
            name = holiday_name(day)
            warnings.append(msg("rule.holiday.warning", what=spec.summary,
                                day=day.isoformat() + (f"（{name}）" if name else "")))
    return warnings
