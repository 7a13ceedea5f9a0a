"""The law's thresholds as pure functions over a province profile.

Each function returns a `Check` naming the rule and its article; callers block a step on a failed
check. Nothing here touches the database, the clock or Prefect.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


def failed(profile: Profile, rule: str, message: str, **detail: Any) -> Check:
    """A failed check of `rule`, for callers that found the breach themselves."""
    return _check(profile, rule, False, message, **detail)


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


def sponsors_enough(profile: Profile, rule: str, *, subject: str, count: int, ended: Sequence[str] = ()) -> Check:
    """Motions (≥ 5), inquiries (≥ 10), nominations by deputies (≥ 10); `count` only deputies whose mandate
    stands, `ended` names those whose mandate has ended (DL 第六十二条: no longer deputies, not counted)."""
    required = profile.rule(rule)["value"]
    ok = count >= required
    key = "rule.nomination.fail" if rule == "nomination_deputies" else "rule.sponsors.fail"
    message = "" if ok else msg(key, subject=subject, count=count, required=required)
    if not ok and ended:
        message += msg("rules.sponsors.ended", codes="、".join(ended), citation=profile.rule("mandate_ended")
                       .citation.label)
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
        if candidates > seats + extra:
            # more nominees than the 差额 (presidium and joint nominations together): a 预选 fixes the list
            formal = seats + extra
            message = msg("rule.candidates.preliminary", subject=subject, count=candidates, formal=formal)
            return _check(profile, "principal_candidates", True, message, preliminary=True, formal=formal)
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


def additional_count(profile: Profile, *, subject: str, office: str, kind: str, seats: int, candidates: int) -> Check:
    """Candidates of another election (另行选举) for the seats left (LOL 第二十九条): vice posts again 差额 by
    第二十七条 (one to three more than the seats left), principal posts as 第二十七条, by-elections as 第三十条."""
    if kind == "by_election":
        return candidate_count(profile, subject=subject, office=office, kind=kind, seats=seats, candidates=candidates,
                               extra_candidates=0)
    if office in PRINCIPAL_OFFICES:
        extra = profile.rule("principal_candidates")["extra"]
        ok = candidates == seats + extra or candidates == 1 == seats
        message = "" if ok else msg("rules.additional.principal", subject=subject, seats=seats, count=candidates)
        return _check(profile, "additional_candidates", ok, message, seats=seats, count=candidates)
    spec = profile.rule("vice_candidates")
    low, high = seats + spec["min_extra"], seats + spec["max_extra"]
    ok = low <= candidates <= high
    message = "" if ok else msg("rules.additional.vice", subject=subject, seats=seats, count=candidates, low=low,
                                high=high)
    return _check(profile, "additional_candidates", ok, message, seats=seats, count=candidates)


# --- offices, the presidium, the roster ----------------------------------------------------


def office_seats(profile: Profile, *, subject: str, office: str, seats: int, incumbents: int = 0) -> Check | None:
    """Seats of an office within its statutory number: 主席 one, 副主席 at most two (LOL 第十八条), 乡镇长 one
    (LOL 第七十条); None for 副乡镇长, whose number no statute we ship fixes."""
    if office in ("chair", "vice_chair"):
        spec = profile.rule("chair_seats")
        most = spec["chair"] if office == "chair" else spec["vice_chair_max"]
        rule = "chair_seats"
    elif office == "head":
        most, rule = profile.rule("government_seats")["head"], "government_seats"
    else:
        return None
    ok = seats + incumbents <= most
    message = "" if ok else msg("rules.office.seats", subject=subject, seats=seats, incumbents=incumbents, most=most)
    return _check(profile, rule, ok, message, seats=seats, incumbents=incumbents, most=most)


def presidium_size(profile: Profile, *, members: int, population: int | None, deputies: int,
                   large: bool = False) -> Check | None:
    """The presidium's size where the province sets one (CQ 第三十条, SD 第八条, ZJ 第八条, HN 第二条); the
    larger cap applies by population, by the number of deputies, or by the township's declaration."""
    spec = profile.rules.get("presidium_size")
    if spec is None:
        return None
    params = spec.params
    if "large_population" in params:
        larger = population is not None and population >= params["large_population"]
        condition = msg("rules.presidium.large_population", population=params["large_population"])
    elif "large_deputies" in params:
        larger = deputies >= params["large_deputies"]
        condition = msg("rules.presidium.large_deputies", deputies=params["large_deputies"])
    else:
        larger = bool(large and params.get("large_declared"))
        condition = msg("rules.presidium.large_declared")
    most = params["large_max"] if larger else params["max"]
    ok = params["min"] <= members <= most
    message = "" if ok else msg("rules.presidium.size", members=members, low=params["min"], high=params["max"],
                                large=params["large_max"], condition=condition)
    if not ok and members > params["max"] and "large_population" in params and population is None:
        message += msg("rules.presidium.population_missing")
    return _check(profile, "presidium_size", ok, message, members=members, low=params["min"], high=most)


def not_in_government(profile: Profile, rule: str, *, holders: Mapping[str, str], subject: str = "") -> Check | None:
    """Nobody in `holders` (name → the government post they hold) may be: presidium members where the province
    says so (presidium_incompatible), 主席/副主席 candidates everywhere (chair_incompatible, LOL 第十八条)."""
    spec = profile.rules.get(rule)
    if spec is None:
        return None
    ok = not holders
    people = "、".join(f"{name}（{post}）" for name, post in holders.items())
    key = "rules.presidium.government" if rule == "presidium_incompatible" else "rules.chair.government"
    message = "" if ok else msg(key, people=people, subject=subject)
    return _check(profile, rule, ok, message, holders=dict(holders))


def chairs_in_presidium(profile: Profile, *, missing: Sequence[str]) -> Check:
    """The sitting 主席 and 副主席 are members of the presidium (LOL 第十九条)."""
    ok = not missing
    message = "" if ok else msg("rules.presidium.chairs_missing", names="、".join(missing))
    return _check(profile, "presidium_includes_chairs", ok, message, missing=list(missing))


def from_deputies(profile: Profile, *, subject: str, people: Sequence[str]) -> Check:
    """主席 and 副主席 are elected from among the deputies (LOL 第十八条): `people` are those who are not."""
    ok = not people
    message = "" if ok else msg("rules.chair.not_deputy", subject=subject, names="、".join(people))
    return _check(profile, "chair_from_deputies", ok, message, people=list(people))


def mandate_stands(profile: Profile, *, role: str, codes: Sequence[str]) -> Check:
    """Deputies whose mandate ended (DL 第六十二条) are no longer deputies: they sit on nothing, sponsor nothing."""
    ok = not codes
    message = "" if ok else msg("rules.mandate.ended", role=role, codes="、".join(codes))
    return _check(profile, "mandate_ended", ok, message, codes=list(codes))


def deputy_quota(profile: Profile, *, deputies: int, population: int | None, quota: int | None,
                 extra: bool = False) -> Check:
    """The township's number of deputies within the Election Law's (EL 第十二条): 45 plus one per 1,500 people,
    160 at most, 5 % more where the province decided it; the roster no larger than the number fixed."""
    spec = profile.rule("deputy_quota")
    cap = spec["max"]
    if population is not None:
        cap = min(cap, spec["base"] + population // spec["per_population"])
    if extra:
        cap += cap * spec["extra_percent"] // 100
    if quota is not None and quota > cap:
        return _check(profile, "deputy_quota", False, msg("rules.quota.over_law", quota=quota, cap=cap,
                                                           population=population if population is not None else "—"),
                      cap=cap, quota=quota)
    limit = quota if quota is not None else cap
    ok = deputies <= limit
    message = "" if ok else msg("rules.quota.roster", deputies=deputies, limit=limit)
    return _check(profile, "deputy_quota", ok, message, cap=cap, quota=quota, deputies=deputies)


def extraordinary_proposal(profile: Profile, *, proposers: int, total: int) -> Check:
    """An extraordinary session the deputies propose needs one fifth of them (LOL 第十四条)."""
    spec = profile.rule("extraordinary_proposal")
    required = -(-total * spec["numerator"] // spec["denominator"])
    ok = proposers >= required
    message = "" if ok else msg("rules.extraordinary.few", count=proposers, total=total, required=required)
    return _check(profile, "extraordinary_proposal", ok, message, count=proposers, required=required)


def executive_chairs(profile: Profile, *, chairs: Sequence[str], presidium: Sequence[str]) -> Check | None:
    """The presidium chooses the plenary's executive chairs among its members (SD 第九条)."""
    if "executive_chairs" not in profile.rules:
        return None
    outside = [c for c in chairs if c not in presidium]
    ok = bool(chairs) and not outside
    message = "" if ok else (msg("rules.executive.outside", codes="、".join(outside)) if outside
                             else msg("rules.executive.missing"))
    return _check(profile, "executive_chairs", ok, message, outside=outside)


def sitting_chair(profile: Profile, *, sitting: str, chair: str, presidium: Sequence[str]) -> Check:
    """A plenary sitting is presided over by a member of the presidium (LOL 第十九条: 由主席团主持会议)."""
    ok = chair in presidium
    message = "" if ok else msg("presidium.rule.chair_outside", sitting=sitting, code=chair)
    return _check(profile, "sitting_chair", ok, message, sitting=sitting, chair=chair)


def scrutineers(profile: Profile, *, deputies: Sequence[str], tellers: Sequence[str],
                candidates: Sequence[str], not_deputies: Sequence[str]) -> Check:
    """The 监票人 are deputies the congress chooses, and no candidate counts or watches the count of a vote
    on themselves (EL 第四十三条 bars even a candidate's near relatives). `deputies` and `tellers` are
    names; `not_deputies` the 监票人 who are not deputies of the term."""
    clash = [n for n in dict.fromkeys([*deputies, *tellers]) if n in candidates]
    ok = not clash and not not_deputies
    message = ("" if ok else msg("presidium.rule.scrutineer_candidate", names="、".join(clash)) if clash
               else msg("presidium.rule.scrutineer_not_deputy", names="、".join(not_deputies)))
    return _check(profile, "scrutineers", ok, message, candidates=clash, not_deputies=list(not_deputies))


# --- the first session of a term ---------------------------------------------------------


def first_session_due(profile: Profile, election_date: date, is_rest_day: RestDayLookup) -> Deadline:
    """The last day for the first session of a term: two months after the election (LOL 第二十条)."""
    spec = profile.rule("first_session_within")
    return period_end(election_date, spec["months"], is_rest_day, spec.citation)


def first_session_timing(profile: Profile, *, election_date: date, opening_date: date,
                         is_rest_day: RestDayLookup) -> Check:
    """The first session opens after the deputies' election and within two months of it (LOL 第二十条)."""
    due = first_session_due(profile, election_date, is_rest_day)
    ok = election_date < opening_date <= due.due
    message = "" if ok else msg("rules.first.late", election=election_date.isoformat(),
                                opening=opening_date.isoformat(), due=due.due.isoformat(),
                                months=profile.rule("first_session_within")["months"])
    return _check(profile, "first_session_within", ok, message, due=due.due.isoformat(), note=due.note)


def credentials_timing(profile: Profile, *, election_date: date, report_date: date, confirmed_on: date,
                       opening_date: date) -> Check:
    """The credentials report follows the election; the presidium confirms it and publishes the deputies'
    list before the first session opens (EL 第四十七条)."""
    ok = election_date <= report_date <= confirmed_on < opening_date
    message = "" if ok else msg("rules.credentials.order", election=election_date.isoformat(),
                                report=report_date.isoformat(), confirmed=confirmed_on.isoformat(),
                                opening=opening_date.isoformat())
    return _check(profile, "credentials_confirmed", ok, message)


def credentials_committee(profile: Profile, *, chair: str | None, vice_chairs: Sequence[str],
                          members: Sequence[str], presidium: Sequence[str]) -> Check:
    """The credentials committee the first session adopts (LOL 第三十七条): a chair and members; in Chongqing
    one chair and one vice-chair from the presidium and three to five members (CQ 第二十条)."""
    spec = profile.rule("credentials_committee")
    problems = []
    if not chair:
        problems.append(msg("rules.credentials.no_chair"))
    if spec.params.get("officers_from_presidium"):
        if len(vice_chairs) != 1:
            problems.append(msg("rules.credentials.vice", count=len(vice_chairs)))
        outside = [c for c in [chair, *vice_chairs] if c and c not in presidium]
        if outside:
            problems.append(msg("rules.credentials.outside", codes="、".join(outside)))
    low, high = spec.params.get("members_min", 1), spec.params.get("members_max")
    if len(members) < low or (high is not None and len(members) > high):
        problems.append(msg("rules.credentials.members", count=len(members), low=low,
                            high=high if high is not None else "—"))
    return _check(profile, "credentials_committee", not problems, "；".join(problems))


def nomination_period(profile: Profile, *, subject: str, deadline: datetime, vote: datetime) -> Check:
    """Nominations close long enough before the vote for the deputies to deliberate (酝酿; the profile's hours)."""
    hours = profile.rule("nomination_period")["hours"]
    ok = vote - deadline >= timedelta(hours=hours)
    message = "" if ok else msg("rules.nomination.period", subject=subject, deadline=deadline.strftime("%Y-%m-%d %H:%M"),
                                vote=vote.strftime("%Y-%m-%d %H:%M"), hours=hours)
    return _check(profile, "nomination_period", ok, message, hours=hours)


# --- nominations (LOL 第二十六条) ----------------------------------------------------------


@dataclass(frozen=True)
class Nomination:
    """One candidate's nomination: by the presidium, or jointly by deputies (their roster codes)."""

    name: str
    by: str  # presidium | deputies
    nominators: tuple[str, ...] = ()


def nominations(profile: Profile, *, subject: str, seats: int, nominees: Sequence[Nomination],
                active: Collection[str]) -> list[tuple[int | None, Check]]:
    """The failed checks of an election's nominations, each with the candidate's index (None: the election):
    the presidium nominates no more than the seats; a joint nomination needs ten deputies whose mandate
    stands; no deputy joins the nominations of more candidates than the seats (LOL 第二十六条)."""
    failed: list[tuple[int | None, Check]] = []
    by_presidium = [n.name for n in nominees if n.by == "presidium"]
    if len(by_presidium) > seats:
        failed.append((None, _check(profile, "nomination_limit", False, msg(
            "rules.nomination.presidium_over", subject=subject, count=len(by_presidium), seats=seats,
            names="、".join(by_presidium)))))
    joined: dict[str, list[str]] = {}
    for i, n in enumerate(nominees):
        if n.by != "deputies":
            continue
        codes = list(dict.fromkeys(n.nominators))
        ended = [c for c in codes if c not in active]
        check = sponsors_enough(profile, "nomination_deputies", subject=f"{subject}候选人{n.name}",
                                count=len(codes) - len(ended), ended=ended)
        if not check.ok:
            failed.append((i, check))
        for code in codes:
            joined.setdefault(code, []).append(n.name)
    over = {code: names for code, names in joined.items() if len(names) > seats}
    if over:
        failed.append((None, _check(profile, "nomination_limit", False, msg(
            "rules.nomination.deputy_over", subject=subject, seats=seats,
            deputies="；".join(f"{code}联名提名{'、'.join(names)}" for code, names in over.items())))))
    return failed


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
            note = msg("rule.deadline.unknown_year", year=due.year, due=f"{due.year}年{due.month}月{due.day}日",
                       hint=msg("rule.deadline.add_year_hint", year=due.year))
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


# --- the deputies' own page ---------------------------------------------------------------------


def rating_window_ends(profile: Profile, *, replied_on: date) -> date:
    """The last day a deputy may rate a reply on their page (`suggestion_rating_window`, DL 第五十一条:
    the office hears the deputy; the window itself is practice)."""
    return replied_on + timedelta(days=int(profile.rule("suggestion_rating_window")["days"]))


def suggestion_categories(profile: Profile) -> list[str]:
    """The categories a deputy picks from for a suggestion (`suggestion_categories`)."""
    return [str(c) for c in profile.rule("suggestion_categories")["categories"]]
