"""The session's calendar files: the session calendar (PUBLISH), a per-deputy invitation (REQUEST) and,
after a cancellation, a per-deputy cancellation (CANCEL). Written by the notices step and again by
every reschedule or cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from congress.calendar.entries import alarms, attendee, ical_entry, organizer, sees, session_pairs
from congress.ical.builder import calendar_bytes
from congress.models import CongressSession, Deputy, Document
from congress.profiles import Profile


class CalendarWriter(Protocol):
    """What writes and registers one file (the lifecycle's Outputs)."""

    def calendar(self, kind: str, name: str, data: bytes) -> Document: ...


def write_session_calendars(db: Session, session: CongressSession, out: CalendarWriter, *, profile: Profile,
                            deputies: Sequence[Deputy], title: str) -> dict[int, Document]:
    """Write the session calendar and each deputy's files; the invitation document per deputy id."""
    pairs = [(e, d) for e, d in session_pairs(db, session) if e.kind == "sitting"]
    org, offsets, code = organizer(session), alarms(profile), session.term.township.code
    out.calendar("session_calendar", "会议日程", calendar_bytes(
        [ical_entry(e, d) for e, d in pairs], method="PUBLISH", organizer=org, alarms=offsets, name=title))
    invitations: dict[int, Document] = {}
    for deputy in deputies:
        mine = [(e, d) for e, d in pairs if sees(d.audience, deputy)]
        live = [ical_entry(e, d) for e, d in mine if e.status != "CANCELLED"]
        cancelled = [ical_entry(e, d) for e, d in mine if e.status == "CANCELLED"]
        person = [attendee(deputy, code)]
        if live:
            invitations[deputy.id] = out.calendar("invitation", f"邀请-{deputy.code}", calendar_bytes(
                live, method="REQUEST", organizer=org, attendees=person, alarms=offsets))
        if cancelled:
            out.calendar("cancellation", f"取消-{deputy.code}", calendar_bytes(
                cancelled, method="CANCEL", organizer=org, attendees=person))
    return invitations
