"""iCalendar files built from sittings and deadlines. UIDs come from row ids; DTSTAMP from stored data,
so the same inputs give the same bytes.

Two kinds of file: a PUBLISH calendar (the session bundle, the feeds) lists events without attendees;
an iTIP message (REQUEST or CANCEL) carries ONE event, its ORGANIZER and the one ATTENDEE it is sent to,
as iTIP (RFC 5546) and CalDAV expect one UID per message. A cancelled event never carries alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

TZ_NAME = "Asia/Shanghai"
TZ = ZoneInfo(TZ_NAME)
PRODID = "-//congress-orchestrator//township congress//ZH"
# An all-day entry (a deadline) starts at local midnight, so "2 hours before" would ring at 22:00 the
# evening before. Its alarms ring at this hour instead (practice: office hours begin), see all_day_triggers.
ALL_DAY_ALARM_HOUR = 9
ITIP_METHODS = ("REQUEST", "CANCEL")


@dataclass(frozen=True)
class Person:
    name: str
    address: str  # a URI: mailto:, tel: or urn:


@dataclass(frozen=True)
class Entry:
    """One VEVENT: a timed sitting (start/end datetimes) or an all-day deadline (start date only)."""

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date
    dtstamp: datetime
    sequence: int = 0
    location: str = ""
    description: str = ""
    status: str = "CONFIRMED"
    extra: tuple[tuple[str, str], ...] = ()  # further properties, e.g. X-CONGRESS-SHA for publishing


@lru_cache(maxsize=1)
def _vtimezone() -> Timezone:
    # building the VTIMEZONE costs ~18 ms; build it once per process
    return Timezone.from_tzid(TZ_NAME, first_date=date(2020, 1, 1), last_date=date(2040, 1, 1))


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations of the profile: P7D, P1D, PT2H, PT30M."""
    days = hours = minutes = 0
    body = text.upper().removeprefix("P")
    date_part, _, time_part = body.partition("T")
    if date_part:
        days = int(date_part.removesuffix("D"))
    if time_part:
        if "H" in time_part:
            h, time_part = time_part.split("H", 1)
            hours = int(h)
        if time_part.endswith("M"):
            minutes = int(time_part[:-1])
    return timedelta(days=days, hours=hours, minutes=minutes)


def all_day_triggers(offsets: Sequence[timedelta]) -> list[timedelta]:
    """Alarm triggers of an all-day entry, relative to its start (local midnight of the day).

    An offset of N whole days rings at 09:00 N days before; an offset shorter than a day at 09:00 on the
    day itself. The profile's 7 days, 1 day and 2 hours become 09:00 a week before, 09:00 the day before
    and 09:00 on the day (TRIGGER -P6DT15H, -PT15H, PT9H); offsets that land on the same time ring once.
    """
    triggers: list[timedelta] = []
    for offset in offsets:
        trigger = timedelta(days=-offset.days, hours=ALL_DAY_ALARM_HOUR)
        if trigger not in triggers:
            triggers.append(trigger)
    return triggers


def alarm_triggers(entry: Entry, offsets: Sequence[timedelta]) -> list[timedelta]:
    """The TRIGGER durations of an entry's alarms: none when it is cancelled."""
    if entry.status == "CANCELLED":
        return []
    if isinstance(entry.start, datetime):
        return [-offset for offset in offsets]
    return all_day_triggers(offsets)


def calendar_bytes(
    entries: Sequence[Entry], *, method: str | None, organizer: Person, attendees: Sequence[Person] = (),
    alarms: Sequence[timedelta] = (), name: str = "", refresh: str | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per entry, each with its alarms (see alarm_triggers).

    `refresh` (an ISO duration such as PT1H) tells subscribing clients how often to reload a feed.
    A PUBLISH calendar names no attendees; a REQUEST or CANCEL holds one event (one UID).
    """
    if method == "PUBLISH" and attendees:
        raise ValueError("a PUBLISH calendar names no attendees")
    if method in ITIP_METHODS and len({e.uid for e in entries}) != 1:
        raise ValueError(f"METHOD:{method} carries exactly one event (one UID)")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", TZ_NAME)
    if refresh:
        cal.add("refresh-interval", parse_duration(refresh), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", refresh)
    cal.add_component(_vtimezone())
    for entry in entries:
        cal.add_component(_event(entry, organizer, attendees, alarms))
    return cal.to_ical()


def _event(entry: Entry, organizer: Person, attendees: Sequence[Person], alarms: Sequence[timedelta]) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", entry.dtstamp)
    event.add("sequence", entry.sequence)
    event.add("summary", entry.summary)
    if isinstance(entry.start, datetime):
        event.add("dtstart", entry.start.astimezone(TZ))
        event.add("dtend", entry.end.astimezone(TZ) if isinstance(entry.end, datetime) else entry.end)
    else:
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("transp", "TRANSPARENT")
    if entry.location:
        event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    event.add("status", entry.status)
    for key, value in entry.extra:
        event.add(key, value)
    org = vCalAddress(organizer.address)
    org.params["cn"] = vText(organizer.name)
    event["organizer"] = org
    for person in attendees:
        _add_attendee(event, person)
    for trigger in alarm_triggers(entry, alarms):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"提醒：{entry.summary}")
        alarm.add("trigger", trigger)
        event.add_component(alarm)
    return event


def _add_attendee(event: Event, person: Person) -> None:
    att = vCalAddress(person.address)
    att.params["cn"] = vText(person.name)
    att.params["role"] = vText("REQ-PARTICIPANT")
    att.params["partstat"] = vText("NEEDS-ACTION")
    event.add("attendee", att, encode=0)


def _attendee_line(person: Person) -> bytes:
    """The ATTENDEE content line (folded, with its CRLF) exactly as it appears in a serialised event."""
    event = Event()
    _add_attendee(event, person)
    return event.to_ical().removeprefix(b"BEGIN:VEVENT\r\n").removesuffix(b"END:VEVENT\r\n")


def invitation_bytes(entry: Entry, *, organizer: Person, attendee: Person, alarms: Sequence[timedelta]) -> bytes:
    """The iTIP message to one attendee about one event: METHOD:REQUEST while it stands, METHOD:CANCEL
    (STATUS:CANCELLED, no alarms) once it is cancelled; SEQUENCE and DTSTAMP come from the entry."""
    method = "CANCEL" if entry.status == "CANCELLED" else "REQUEST"
    return calendar_bytes([entry], method=method, organizer=organizer, attendees=[attendee], alarms=alarms)


_PLACEHOLDER = Person("x", "urn:x-congress:attendee")


def invitations_bytes(entry: Entry, *, organizer: Person, attendees: Sequence[Person],
                      alarms: Sequence[timedelta]) -> list[bytes]:
    """invitation_bytes for each attendee, byte for byte, serialising the event once (serialisation is
    most of the cost): only the ATTENDEE line differs between the messages."""
    template = invitation_bytes(entry, organizer=organizer, attendee=_PLACEHOLDER, alarms=alarms)
    marker = _attendee_line(_PLACEHOLDER)
    head, found, tail = template.partition(marker)
    if not found:  # pragma: no cover - the library changed how it writes the line
        return [invitation_bytes(entry, organizer=organizer, attendee=a, alarms=alarms) for a in attendees]
    return [head + _attendee_line(a) + tail for a in attendees]


def local_today() -> date:
    """Today's date in Asia/Shanghai, whatever the machine's time zone."""
    return datetime.now(TZ).date()


def local(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
