"""Deadlines and reminders of follow-up items as pure functions over a province profile.

Nothing here touches the database or the clock: the sweeper passes `today` in, so a test can move a
clock through a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from congress import rules
from congress.ical.builder import parse_duration
from congress.profiles import Profile


@dataclass(frozen=True)
class Planned:
    """One reminder a handling round will get: kind, lead ('P7D', or '' for overdue/escalation), date."""

    kind: str  # before_due | overdue | escalation
    lead: str
    scheduled_on: date

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.lead)


def reminder_plan(profile: Profile, *, handed_over_on: date, due_on: date) -> list[Planned]:
    """Every reminder of a round, in date order: before the due date at the profile's leads (those that
    fall after the handover day), the overdue notice the day after the due date, and the escalation
    to the presidium N days after it."""
    plan = []
    for lead in profile.rule("suggestion_reminders")["value"]:
        day = due_on - parse_duration(lead)
        if day > handed_over_on:
            plan.append(Planned("before_due", lead, day))
    plan.append(Planned("overdue", "", due_on + timedelta(days=1)))
    plan.append(Planned("escalation", "", due_on + timedelta(days=profile.rule("suggestion_escalation")["days"])))
    return sorted(plan, key=lambda p: (p.scheduled_on, p.kind))


@dataclass(frozen=True)
class Decision:
    planned: Planned
    status: str  # sent | superseded


def due_today(plan: list[Planned], *, done: set[tuple[str, str]], today: date, due_on: date) -> list[Decision]:
    """What the sweep of `today` records for a round still waiting for its reply: every planned reminder
    whose date has come and that is not in the ledger yet. A before-due reminder caught up only after
    the due date has passed is recorded as superseded (the overdue notice goes out instead)."""
    out = []
    for p in plan:
        if p.scheduled_on > today or p.key in done:
            continue
        status = "superseded" if p.kind == "before_due" and today > due_on else "sent"
        out.append(Decision(p, status))
    return out


def rehandling_due(profile: Profile, *, rated_on: date, is_rest_day: rules.RestDayLookup) -> rules.Deadline:
    """The new reply deadline of a suggestion handled again after an unsatisfied rating."""
    spec = profile.rule("suggestion_rehandling")
    return rules.period_end(rated_on, spec["months"], is_rest_day, spec.citation)


def max_rounds(profile: Profile) -> int:
    return int(profile.rule("suggestion_rehandling")["max_rounds"])


def presidium_meeting_due(profile: Profile, *, last: date) -> date:
    """The latest day the next presidium meeting should be held, counted from the last one."""
    return rules.add_months(last, profile.rule("presidium_meeting_interval_months")["interval_months"])


def absences_flagged(profile: Profile, absences: int) -> bool:
    """Whether a deputy's absences without approved leave reach the count that ends the mandate."""
    return absences >= profile.rule("absence_termination")["count"]
