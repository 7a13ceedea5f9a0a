"""The session's calendar files, written by the notices step and again by every reschedule, cancellation,
postponement and reinstatement:

- `calendar/会议日程.ics`: METHOD:PUBLISH, every event of the session, no attendees;
- `calendar/邀请/<deputy id>-<name>-<nn>-<event>.ics`: one iTIP message per deputy and event (one UID),
  METHOD:REQUEST while the event stands, rewritten in place as METHOD:CANCEL once it is cancelled.

An invitation keeps its file name through every change (CalendarInvitation remembers it), so a
cancellation replaces exactly the file the deputy got. Identical bytes are not rewritten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.calendar.entries import alarms, attendee, ical_entry, organizer, sees, session_pairs
from congress.ical.builder import calendar_bytes, invitations_bytes
from congress.messages import has, msg
from congress.models import CalendarEntry, CongressSession, Deputy, Document, NoticeDelivery
from congress.models.calendar import CalendarDetail, CalendarInvitation
from congress.profiles import Profile

SESSION_CALENDAR = "会议日程"
# files of the layout before one invitation per event: one REQUEST (and one CANCEL) holding every event
_LEGACY = re.compile(r"^calendar/(邀请|取消)-[^/]+\.ics$")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class CalendarWriter(Protocol):
    """What writes and registers one file (the lifecycle's Outputs)."""

    root: Path

    def calendar(self, kind: str, name: str, data: bytes) -> Document: ...


def _safe(text: str) -> str:
    """A file-name part: no path separators or characters Windows refuses."""
    return _UNSAFE.sub("_", text).strip() or "_"


def _label(entry: CalendarEntry, detail: CalendarDetail) -> str:
    # a sitting is named by its title (the summary after the township's prefix); other events by kind
    key = f"calendar.file.{detail.category}"
    return msg(key) if has(key) else entry.summary.split("：", 1)[-1]


def invitation_name(number: int, entry: CalendarEntry, detail: CalendarDetail, deputy: Deputy) -> str:
    """The file name (under calendar/, without .ics) of a deputy's invitation to one event."""
    folder = msg("calendar.file.folder")
    # the deputy in the file name itself: lists of files (the dashboard, a download) show only the name
    return f"{folder}/{_safe(deputy.code)}-{_safe(deputy.name)}-{number:02d}-{_safe(_label(entry, detail))}"


def calendar_hashes(db: Session, session: CongressSession) -> dict[str, str]:
    """The registered calendar files of the session: path → sha256."""
    return dict(db.execute(select(Document.path, Document.sha256).where(
        Document.session_id == session.id, Document.path.like("calendar/%"))).tuples().all())


def _unchanged(registered: Document | None, root: Path, data: bytes) -> bool:
    """The file is registered with these bytes' hash and holds them on disk."""
    if registered is None or registered.sha256 != hashlib.sha256(data).hexdigest():
        return False
    path = root / registered.path
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_session_calendars(db: Session, session: CongressSession, out: CalendarWriter, *, profile: Profile,
                            deputies: Sequence[Deputy], title: str,
                            skip_unchanged: bool = False) -> dict[int, Document]:
    """Write the session calendar and every deputy's invitation files; the first file per deputy id.

    Every deputy in `deputies` gets a file per event they attend; a deputy invited before (say, since
    ended) keeps getting theirs rewritten, so a cancellation reaches everyone who was invited. Each notice
    delivery is pointed at the deputy's first file (the others are in CalendarInvitation).
    `skip_unchanged` (a reschedule or cancellation) leaves alone every file already registered, and on
    disk, with the same bytes: only the files that change are written and registered again.
    """
    pairs = sorted(((e, d) for e, d in session_pairs(db, session) if e.kind == "sitting"), key=lambda p: p[0].id)
    org, offsets, code = organizer(session), alarms(profile), session.term.township.code
    registered = {d.path: d for d in db.scalars(select(Document).where(
        Document.session_id == session.id, Document.path.like("calendar/%")))}

    def write(kind: str, name: str, data: bytes) -> Document:
        doc = registered.get(f"calendar/{name}.ics")
        if skip_unchanged and doc is not None and doc.kind == kind and _unchanged(doc, out.root, data):
            return doc
        return out.calendar(kind, name, data)

    write("session_calendar", SESSION_CALENDAR, calendar_bytes(
        [ical_entry(e, d) for e, d in sorted(pairs, key=lambda p: (p[0].starts, p[0].id))], method="PUBLISH",
        organizer=org, alarms=offsets, name=title))
    issued = {(i.entry_id, i.deputy_id): i for i in db.scalars(
        select(CalendarInvitation).where(CalendarInvitation.session_id == session.id))}
    paths = {d.id: d.path for d in registered.values()}
    people = {d.id: d for d in deputies}
    missing = {deputy_id for _, deputy_id in issued} - set(people)
    if missing:
        people.update({d.id: d for d in db.scalars(select(Deputy).where(Deputy.id.in_(missing)))})
    ordered = sorted(people.values(), key=lambda d: (d.term_id, d.position, d.id))
    first: dict[int, Document] = {}
    for number, (entry, detail) in enumerate(pairs, start=1):  # entries in the order they were made
        kind = "cancellation" if entry.status == "CANCELLED" else "invitation"
        invited = [d for d in ordered if (entry.id, d.id) in issued or sees(detail.audience, d)]
        messages = invitations_bytes(ical_entry(entry, detail), organizer=org, alarms=offsets,
                                     attendees=[attendee(d, code) for d in invited])
        for deputy, data in zip(invited, messages, strict=True):
            invitation = issued.get((entry.id, deputy.id))
            known = paths.get(invitation.document_id) if invitation is not None else None
            # a file keeps the name it was first given, so the rewrite replaces what the deputy got
            name = (known.removeprefix("calendar/").removesuffix(".ics") if known
                    else invitation_name(number, entry, detail, deputy))
            doc = write(kind, name, data)
            if invitation is None:
                db.add(CalendarInvitation(session_id=session.id, entry_id=entry.id, deputy_id=deputy.id,
                                          document_id=doc.id))
            else:
                invitation.document_id = doc.id
            first.setdefault(deputy.id, doc)
    for delivery in db.scalars(select(NoticeDelivery).where(NoticeDelivery.session_id == session.id)):
        if delivery.deputy_id in first:
            delivery.calendar_document_id = first[delivery.deputy_id].id
    db.flush()
    return first


def retire_legacy_files(db: Session, session: CongressSession, root: Path) -> list[dict[str, str]]:
    """Remove the per-deputy files of the earlier layout (one REQUEST with every event, one CANCEL) once
    the per-event files replace them; returns what was removed (path and hash) for the audit."""
    removed = []
    for doc in db.scalars(select(Document).where(Document.session_id == session.id,
                                                 Document.kind.in_(("invitation", "cancellation")))):
        if not _LEGACY.match(doc.path):
            continue
        for delivery in db.scalars(select(NoticeDelivery).where(NoticeDelivery.calendar_document_id == doc.id)):
            delivery.calendar_document_id = None
        db.flush()
        (root / doc.path).unlink(missing_ok=True)
        removed.append({"path": doc.path, "sha256": doc.sha256})
        db.delete(doc)
    db.flush()
    return removed
