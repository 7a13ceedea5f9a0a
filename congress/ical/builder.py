"""iCalendar files built from sittings and deadlines. UIDs come from row ids; DTSTAMP from stored data,
so the same inputs give the same bytes."""

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


def calendar_bytes(
    entries: Sequence[Entry], *, method: str | None, organizer: Person, attendees: Sequence[Person] = (),
    alarms: Sequence[timedelta] = (), name: str = "", refresh: str | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per entry, each with the alarms before its start.

    `refresh` (an ISO duration such as PT1H) tells subscribing clients how often to reload a feed.
    """
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
        att = vCalAddress(person.address)
        att.params["cn"] = vText(person.name)
        att.params["role"] = vText("REQ-PARTICIPANT")
        att.params["partstat"] = vText("NEEDS-ACTION")
        event.add("attendee", att, encode=0)
    for offset in alarms:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"提醒：{entry.summary}")
        alarm.add("trigger", -offset)
        event.add_component(alarm)
    return event


def local_today() -> date:
    """Today's date in Asia/Shanghai, whatever the machine's time zone."""
    return datetime.now(TZ).date()


def local(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
