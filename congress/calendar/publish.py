"""Publishing each deputy's entries to one calendar per deputy: on the township's CalDAV server, or
(without one) into a folder of .ics files. Both sit behind the same small interface.

Publishing is idempotent. Every object carries X-CONGRESS-SHA, the hash of its content without that
line; an object whose hash on the server matches is left alone, so a re-run sends nothing. A
reschedule keeps the UID (so the same object is replaced in place, with its higher SEQUENCE) and a
cancellation is published as STATUS:CANCELLED, without alarms. Nothing is ever deleted from the server.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from congress.calendar import entries as cal
from congress.documents.builder import write_bytes_atomic
from congress.ical.builder import Entry, Person, calendar_bytes
from congress.lifecycle import operations as ops
from congress.messages import msg
from congress.models import CongressSession
from congress.settings import Settings

MARKER = "X-CONGRESS-SHA"
_MARKER_LINE = re.compile(rf"^{MARKER}:([0-9a-f]{{64}})\s*$", re.MULTILINE | re.IGNORECASE)
_UID_LINE = re.compile(r"^UID:(.+?)\s*$", re.MULTILINE)


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    calendars: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.calendars += other.calendars
        return self

    @property
    def changed(self) -> int:
        return self.created + self.updated


class Publisher(Protocol):
    """Puts a set of calendar objects (UID → iCalendar bytes) into one named calendar."""

    target: str

    def sync(self, calendar_id: str, name: str, objects: Mapping[str, bytes]) -> SyncResult: ...


def object_bytes(entry: Entry, *, organizer: Person, attendees: Sequence[Person],
                 alarms: Sequence[timedelta]) -> bytes:
    """One calendar object (a VCALENDAR with one VEVENT, no METHOD) carrying its content hash."""
    plain = calendar_bytes([entry], method=None, organizer=organizer, attendees=attendees, alarms=alarms)
    sha = hashlib.sha256(plain).hexdigest()
    return calendar_bytes([replace(entry, extra=(*entry.extra, (MARKER, sha)))], method=None, organizer=organizer,
                          attendees=attendees, alarms=alarms)


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", text)


def marker_of(data: str | bytes) -> str | None:
    text = _unfold(data.decode("utf-8") if isinstance(data, bytes) else data)
    found = _MARKER_LINE.search(text)
    return found.group(1).lower() if found else None


def uid_of(data: str | bytes) -> str | None:
    text = _unfold(data.decode("utf-8") if isinstance(data, bytes) else data)
    found = _UID_LINE.search(text)
    return found.group(1) if found else None


class FilePublisher:
    """Writes <root>/<calendar id>/<uid>.ics: for a township without a CalDAV server, and for tests."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.target = str(self.root)

    def sync(self, calendar_id: str, name: str, objects: Mapping[str, bytes]) -> SyncResult:
        result = SyncResult(calendars=1)
        folder = self.root / calendar_id
        for uid, data in objects.items():
            path = folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', uid)}.ics"
            if path.exists():
                if marker_of(path.read_bytes()) == marker_of(data):
                    result.unchanged += 1
                    continue
                result.updated += 1
            else:
                result.created += 1
            write_bytes_atomic(path, data)
        return result


class CalDAVPublisher:
    """One calendar per deputy under the publishing account on a CalDAV server (the `caldav` library)."""

    def __init__(self, url: str, username: str, password: str, timeout: int = 30):
        import caldav

        self.target = url
        self.client = caldav.DAVClient(url=url, username=username, password=password, timeout=timeout)
        self._principal = None

    def _calendar(self, calendar_id: str, name: str):  # type: ignore[no-untyped-def]
        from caldav.lib.error import NotFoundError

        if self._principal is None:
            self._principal = self.client.principal()
        principal = self._principal
        calendar = principal.calendar(cal_id=calendar_id)
        try:
            calendar.get_display_name()
        except NotFoundError:
            calendar = principal.make_calendar(name=name, cal_id=calendar_id)
        return calendar

    def sync(self, calendar_id: str, name: str, objects: Mapping[str, bytes]) -> SyncResult:
        result = SyncResult(calendars=1)
        calendar = self._calendar(calendar_id, name)
        on_server = {}
        for obj in calendar.get_events():  # one calendar-query REPORT
            uid = uid_of(obj.data)
            if uid:
                on_server[uid] = marker_of(obj.data)
        for uid, data in objects.items():
            if uid in on_server and on_server[uid] == marker_of(data):
                result.unchanged += 1
                continue
            # the object's URL derives from its UID, so an update replaces the same object in place;
            # increase_seqno=False: our SEQUENCE is the truth, the library must not bump it
            calendar.add_event(data.decode("utf-8"), increase_seqno=False)
            if uid in on_server:
                result.updated += 1
            else:
                result.created += 1
        return result


def publisher_from_settings(settings: Settings) -> Publisher:
    """CalDAV when CONGRESS_CALDAV_URL is set, otherwise the file publisher."""
    if settings.caldav_url:
        return CalDAVPublisher(settings.caldav_url, settings.caldav_user, settings.caldav_password.get_secret_value())
    return FilePublisher(settings.publish_dir)


def deputy_calendar_id(township_code: str, deputy_code: str) -> str:
    return f"{township_code}-{deputy_code}".lower()


def publish_session(db: Session, session: CongressSession, publisher: Publisher, *, actor: str) -> SyncResult:
    """Publish every active deputy's entries of the session to the deputy's own calendar."""
    township = session.term.township
    offsets = cal.alarms(ops.profile_of(session))
    org = cal.organizer(session)
    pairs = cal.session_pairs(db, session)
    total = SyncResult()
    calendars = []
    for deputy in ops.active_deputies(db, session):
        person = [cal.attendee(deputy, township.code)]
        objects = {e.uid: object_bytes(cal.ical_entry(e, d), organizer=org, attendees=person, alarms=offsets)
                   for e, d in pairs if cal.sees(d.audience, deputy)}
        calendars.append((deputy_calendar_id(township.code, deputy.code),
                          msg("calendar.name.feed_deputy", township=township.name, name=deputy.name), objects))
    db.commit()  # no transaction open while the calendar server (or the disk) is slow; the audit is a new one
    for calendar_id, name, objects in calendars:
        total += publisher.sync(calendar_id, name, objects)
    if total.changed:
        ops.audit(db, actor=actor, action="calendars_published", session=session, target=publisher.target,
                  created=total.created, updated=total.updated, unchanged=total.unchanged,
                  calendars=total.calendars)
    return total
