"""Deadlines the profile states in days, working days or months, counted by the civil code's rules
(civil-code-periods.md 第二百零一至二百零三条). Pure functions: the rest-day lookup is passed in.

A year the holiday package does not know is reported in the note, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from congress.messages import msg
from congress.profiles import Citation, Profile
from congress.rules import RestDayLookup, add_months, extend_past_rest


@dataclass(frozen=True)
class Due:
    """The last day of a period; `due` is None only when working days cross a year not yet known."""

    due: date | None
    last_day: date | None
    extended: bool
    unknown_year: int | None
    citation: Citation | None
    note: str


def _extend_past_rest(last: date, is_rest_day: RestDayLookup, citation: Citation | None) -> Due:
    """第二百零三条: a period whose last day is a statutory rest day ends on the next working day."""
    d = extend_past_rest(last, is_rest_day, citation)
    return Due(d.due, d.last_day, d.extended, d.due.year if d.year_unknown else None, citation, d.note)


def days_after(start: date, days: int, is_rest_day: RestDayLookup, citation: Citation | None = None) -> Due:
    """A period of `days` calendar days: the start day is not counted (第二百零一条)."""
    return _extend_past_rest(start + timedelta(days=days), is_rest_day, citation)


def months_after(start: date, months: int, is_rest_day: RestDayLookup, citation: Citation | None = None) -> Due:
    """A period in months ending on the same-numbered day, or the month's last day (第二百零二条)."""
    return _extend_past_rest(add_months(start, months), is_rest_day, citation)


def working_days_after(start: date, days: int, is_rest_day: RestDayLookup,
                       citation: Citation | None = None) -> Due:
    """The `days`-th working day after `start` (the start day is not counted, 第二百零一条).

    Counting working days needs every day's status, so a day in an unknown year stops the count.
    """
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        rest = is_rest_day(day)
        if rest is None:
            return Due(None, None, False, day.year, citation,
                       msg("calendar.deadline.workdays_unknown", year=day.year, start=start.isoformat(),
                           days=days))
        if not rest:
            counted += 1
    return Due(day, day, False, None, citation, "")


def profile_deadline(profile: Profile, rule: str, start: date, is_rest_day: RestDayLookup) -> Due | None:
    """The deadline a profile rule states as `days`, `working_days` or `months` after `start`; None when
    the profile has no such rule."""
    spec = profile.rules.get(rule)
    if spec is None:
        return None
    if "working_days" in spec.params:
        return working_days_after(start, int(spec["working_days"]), is_rest_day, spec.citation)
    if "months" in spec.params:
        return months_after(start, int(spec["months"]), is_rest_day, spec.citation)
    if "days" in spec.params:
        return days_after(start, int(spec["days"]), is_rest_day, spec.citation)
    raise ValueError(f"rule {rule}: states no days, working_days or months")
