"""The law's thresholds as pure functions over a province profile.

Each function returns a `Check` naming the rule and its article; callers block a step on a failed
check. Nothing here touches the database, the clock or Prefect.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from congress.messages import msg
from congress.profiles import Citation, Profile

PRINCIPAL_OFFICES = {"chair", "head"}
VICE_OFFICES = {"vice_chair", "deputy_head"}


@dataclass(frozen=True)
class Check:
    ok: bool
    rule: str
    title: str
    citation: Citation
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def blocked_message(self) -> str:
        return msg("rule.blocked", title=self.title, citation=self.citation.label, detail=self.message)


class RuleViolation(Exception):
    """A failed check that blocks a step; carries the check for the message and the audit."""

    def __init__(self, check: Check):
        super().__init__(check.blocked_message())
        self.check = check


def _check(profile: Profile, rule: str, ok: bool, message: str, **detail: Any) -> Check:
    spec = profile.rule(rule)
    return Check(ok=ok, rule=rule, title=spec.title, citation=spec.citation, message=message, detail=detail)


def require(check: Check) -> Check:
    """Raise RuleViolation when the check failed."""
    if not check.ok:
        raise RuleViolation(check)
    return check


# --- quorum and majorities -----------------------------------------------------------------


def quorum_required(profile: Profile, total: int) -> int:
    """The fewest deputies present for the session to open (≥ 2/3 of all)."""
    spec = profile.rule("quorum")
    return -(-total * spec["numerator"] // spec["denominator"])


def quorum(profile: Profile, *, total: int, present: int) -> Check:
    required = quorum_required(profile, total)
    ok = present >= required
    key = "rule.quorum.ok" if ok else "rule.quorum.fail"
    return _check(
        profile, "quorum", ok, msg(key, total=total, present=present, required=required),
        total=total, present=present, required=required,
    )


def majority_required(profile: Profile, total: int) -> int:
    """The fewest votes that are more than half of ALL deputies (not of those present)."""
    spec = profile.rule("majority")
    return total * spec["numerator"] // spec["denominator"] + 1


def vote_passes(profile: Profile, *, subject: str, total: int, yes: int) -> Check:
    required = majority_required(profile, total)
    ok = yes >= required
    key = "rule.majority.ok" if ok else "rule.majority.fail"
    return _check(
        profile, "majority", ok, msg(key, subject=subject, yes=yes, total=total, required=required),
        total=total, yes=yes, required=required,
    )


def tally_fits(
    profile: Profile, *, subject: str, total: int, present: int | None, yes: int, no: int, abstain: int
) -> Check:
    """yes + no + abstain may not exceed the roster, nor the deputies present."""
    counted = yes + no + abstain
    if counted > total:
        return _check(profile, "majority", False, msg("rule.tally.over_roster", subject=subject, sum=counted, total=total))
    if present is not None and counted > present:
        return _check(
            profile, "majority", False, msg("rule.tally.over_present", subject=subject, sum=counted, present=present)
        )
    return _check(profile, "majority", True, "")


# --- notice period -----------------------------------------------------------------------


def notice_timing(
    profile: Profile, *, kind: str, notice_date: date, materials_date: date, opening_date: date
) -> list[Check]:
    """Notice N days and materials M days before opening; extraordinary sessions are exempt."""
    if kind == "extraordinary" and profile.rule("notice_exempt_extraordinary")["value"]:
        return [_check(profile, "notice_exempt_extraordinary", True, msg("rule.notice.exempt"))]
    checks = []
    for rule, day, key, name in (
        ("notice_days", notice_date, "rule.notice.fail", "notice_date"),
        ("materials_days", materials_date, "rule.materials.fail", "materials_date"),
    ):
        days = profile.rule(rule)["value"]
        latest = opening_date - timedelta(days=days)
        ok = day <= latest
        message = "" if ok else msg(
            key, **{name: day.isoformat()}, opening_date=opening_date.isoformat(), days=days, latest=latest.isoformat()
        )
        checks.append(_check(profile, rule, ok, message, days=days, latest=latest.isoformat(), field=name))
    return checks


# --- motions, inquiries, nominations -----------------------------------------------------


def sponsors_enough(profile: Profile, rule: str, *, subject: str, count: int) -> Check:
    """Motions (≥ 5), inquiries (≥ 10), nominations by deputies (≥ 10)."""
    required = profile.rule(rule)["value"]
    ok = count >= required
    key = "rule.nomination.fail" if rule == "nomination_deputies" else "rule.sponsors.fail"
    message = "" if ok else msg(key, subject=subject, count=count, required=required)
    return _check(profile, rule, ok, message, count=count, required=required)


# --- candidates (差额) -------------------------------------------------------------------


def candidate_count(
    profile: Profile, *, subject: str, office: str, kind: str, seats: int, candidates: int, extra_candidates: int
) -> Check:
    """Whether the number of candidates fits the office; detail['preliminary'] when a 预选 is needed."""
    if kind == "by_election":
        ok = candidates >= seats
        message = "" if ok else msg("rule.candidates.by_election_few", subject=subject, seats=seats, count=candidates)
        return _check(profile, "by_election_candidates", ok, message, preliminary=False, formal=candidates)
    if office in PRINCIPAL_OFFICES:
        extra = profile.rule("principal_candidates")["extra"]
        ok = candidates == seats + extra or candidates == 1 == seats
        message = "" if ok else msg("rule.candidates.principal", subject=subject, seats=seats, count=candidates)
        return _check(profile, "principal_candidates", ok, message, preliminary=False, formal=candidates)
    spec = profile.rule("vice_candidates")
    if not spec["min_extra"] <= extra_candidates <= spec["max_extra"]:
        return _check(
            profile, "vice_candidates", False,
            msg("rule.candidates.extra_range", subject=subject, extra=extra_candidates), preliminary=False,
        )
    formal = seats + extra_candidates
    if candidates < formal:
        return _check(
            profile, "vice_candidates", False,
            msg("rule.candidates.vice_few", subject=subject, seats=seats, count=candidates, extra=extra_candidates),
            preliminary=False, formal=formal,
        )
    preliminary = candidates > formal
    message = msg("rule.candidates.preliminary", subject=subject, count=candidates, formal=formal) if preliminary else ""
    return _check(profile, "vice_candidates", True, message, preliminary=preliminary, formal=formal)


# --- ballots and counting ----------------------------------------------------------------


def ballots_valid(profile: Profile, *, subject: str, round_number: int, issued: int, returned: int) -> Check:
    """Returned > issued makes the whole round invalid."""
    ok = returned <= issued
    message = "" if ok else msg(
        "rule.ballots.invalid", subject=subject, round=round_number, returned=returned, issued=issued
    )
    return _check(profile, "ballots_returned", ok, message, issued=issued, returned=returned)


def ballot_is_void(*, marked: int, seats: int) -> bool:
    """A ballot marking more names than seats is void (so is the whole of it, not just the extras)."""
    return marked > seats


@dataclass(frozen=True)
class RoundOutcome:
    elected: list[str]
    tied: list[str]
    tied_seats: int
    unfilled: int
    reasons: dict[str, str]
    required: int
    check: Check
    listed: list[str] = field(default_factory=list)  # preliminary: names placed on the formal list


def count_round(
    profile: Profile,
    *,
    subject: str,
    kind: str,
    total: int,
    seats: int,
    votes: Mapping[str, int],
) -> RoundOutcome:
    """Who a round elects (LOL 第二十九条): > 1/2 of ALL deputies, highest first, ties re-voted.

    kind 'revote' ranks the tied by votes alone (they already passed the majority);
    kind 'preliminary' only ranks, and elects nobody.
    """
    required = majority_required(profile, total)
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], list(votes).index(kv[0])))
    reasons: dict[str, str] = {}
    if kind == "preliminary":
        # seats here are the places on the formal list; nobody is elected by a preliminary vote
        listed, tied = _split_at_cut(ranked, seats)
        for name, n in ranked:
            state = "列为正式候选人" if name in listed else ("票数相等，须再次投票" if name in tied else "未列为正式候选人")
            reasons[name] = msg("rule.elected.reason_preliminary", votes=n, listed=state)
        return RoundOutcome([], tied, seats - len(listed) if tied else 0, 0, reasons, required,
                            _check(profile, "elected", not tied, ""), listed=listed)
    passing = ranked if kind == "revote" else [(n, v) for n, v in ranked if v >= required]
    for name, n in ranked:
        if (name, n) not in passing:
            reasons[name] = msg("rule.elected.reason_short", votes=n, total=total, required=required)
    elected, tied = _split_at_cut(passing, seats)
    reason_key = "rule.elected.reason_revote" if kind == "revote" else "rule.elected.reason_won"
    for name, n in passing:
        if name in elected:
            reasons[name] = msg(reason_key, votes=n, total=total)
        elif name in tied:
            reasons[name] = msg("rule.elected.reason_tied", votes=n)
        else:
            reasons[name] = msg("rule.elected.reason_outranked", votes=n)
    tied_seats = seats - len(elected) if tied else 0
    unfilled = 0 if tied else seats - len(elected)
    if tied:
        message = msg("rule.elected.tied", subject=subject, names="、".join(tied))
    elif unfilled:
        message = msg("rule.elected.unfilled", subject=subject, seats=seats, elected=len(elected))
    else:
        message = ""
    check = _check(profile, "elected", not tied and not unfilled, message, required=required)
    return RoundOutcome(elected, tied, tied_seats, unfilled, reasons, required, check)


def _split_at_cut(ranked: Sequence[tuple[str, int]], seats: int) -> tuple[list[str], list[str]]:
    """The names that take the seats, and those tied at the cut-off (who must vote again)."""
    if len(ranked) <= seats:
        return [name for name, _ in ranked], []
    cutoff = ranked[seats - 1][1]
    above = [name for name, v in ranked if v > cutoff]
    at = [name for name, v in ranked if v == cutoff]
    if len(above) + len(at) <= seats:
        return above + at, []
    return above, at


# --- periods (民法典 第二百零一至二百零三条) -------------------------------------------------


RestDayLookup = Callable[[date], "bool | None"]


@dataclass(frozen=True)
class Deadline:
    due: date
    last_day: date
    extended: bool
    year_unknown: bool
    citation: Citation | None
    note: str


def add_months(start: date, months: int) -> date:
    """The same-numbered day `months` later, or that month's last day (民法典 第二百零二条)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def extend_past_rest(last: date, is_rest_day: RestDayLookup, citation: Citation | None) -> Deadline:
    """A period ending on `last` moves past a statutory rest day (第二百零三条); unknown years reported."""
    due = last
    for _ in range(60):
        rest = is_rest_day(due)
        if rest is None:
            note = msg("rule.deadline.unknown_year", year=due.year, due=due.isoformat())
            return Deadline(due, last, due != last, True, citation, note)
        if not rest:
            break
        due += timedelta(days=1)
    note = msg("rule.deadline.extended", last=last.isoformat(), due=due.isoformat()) if due != last else ""
    return Deadline(due, last, due != last, False, citation, note)


def period_end(start: date, months: int, is_rest_day: RestDayLookup, citation: Citation) -> Deadline:
    """Last day of a period in months (第二百零二条), moved past a holiday (第二百零三条)."""
    return extend_past_rest(add_months(start, months), is_rest_day, citation)


def suggestion_reply_due(
    profile: Profile, *, handover: date, closing: date, complex_case: bool, is_rest_day: RestDayLookup
) -> Deadline:
    """Reply deadline of a suggestion: 3 (6) months after handover nationally; 2 (4) in some provinces."""
    spec = profile.rule("suggestion_reply")
    months = spec["complex_months"] if complex_case else spec["months"]
    start = closing if spec["counted_from"] == "closing" else handover
    return period_end(start, months, is_rest_day, spec.citation)


def rest_day_warnings(days: Mapping[str, date], is_rest_day: RestDayLookup) -> list[str]:
    """Warnings for planned dates that fall on a statutory rest day, or in a year not yet known."""
    warnings = []
    for what, day in days.items():
        rest = is_rest_day(day)
        if rest is None:
            warnings.append(msg("rule.holiday.unknown", what=what, day=day.isoformat()))
        elif rest:
            warnings.append(msg("rule.holiday.warning", what=what, day=day.isoformat()))
    return warnings
