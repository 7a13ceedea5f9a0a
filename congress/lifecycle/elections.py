"""Deciding an election from its recorded rounds: a pure function used by the votes step and by verify.

Rounds data in, per-round outcomes and the elected out; nothing here touches the database. A preliminary
vote (预选, LOL 第二十七条) first fills the formal list (ties there are re-voted); the formal vote then
elects with > 1/2 of all deputies, ties at the cut-off are re-voted and unfilled seats go to another
election (LOL 第二十九条). A round with more ballots returned than issued is invalid (EL 第四十四条).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import object_session

from congress import rules
from congress.messages import msg
from congress.models import CongressSession
from congress.profiles import Profile


@dataclass(frozen=True)
class ElectionSpec:
    """What is being elected, and who may be: the nominees in order, and whom a write-in may elect."""

    title: str
    office: str
    kind: str  # general | by_election
    seats: int
    extra_candidates: int
    candidates: int
    defer_unfilled: bool = False
    nominees: tuple[str, ...] = ()  # empty: the names are not checked (a spec built without them)
    eligible: frozenset[str] | None = None  # who a write-in may elect: the deputies for 主席/副主席; None: anyone


@dataclass(frozen=True)
class RoundData:
    """One recorded ballot: the counts as entered (write-ins included)."""

    number: int
    kind: str  # preliminary | formal | revote | additional
    ballots_issued: int
    ballots_returned: int
    ballots_void: int
    votes: Mapping[str, int]
    write_ins: Mapping[str, int] = field(default_factory=dict)
    # each candidate's 反对 and 弃权 marks when the tallies give them (the 计票报告 lists them); they elect no one
    against: Mapping[str, int] = field(default_factory=dict)
    abstain: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RoundDecision:
    number: int
    valid: bool
    seats: int
    elected: list[str]
    tied: list[str]
    reasons: dict[str, str]
    allowed: list[str] | None = None  # the names this round's ballot may list (None: not checked)
    problems: list[str] = field(default_factory=list)  # rules the recorded round breaks, as messages


@dataclass(frozen=True)
class Decision:
    rounds: list[RoundDecision]
    elected: list[str]
    status: str  # pending | decided | unfilled
    gate: tuple[str, str] | None  # (gate, message) still open, None when decided
    violation: rules.Check | None = None  # the first rule a recorded round breaks: the step is blocked by it
    listed: list[str] = field(default_factory=list)  # the formal candidates a preliminary vote fixed
    # the ballot the open gate needs next: {kind, candidates, seats} (None when decided or nothing is known)
    next_round: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"elected": self.elected, "status": self.status,
                "rounds": [{"number": r.number, "valid": r.valid, "seats": r.seats, "elected": r.elected,
                            "tied": r.tied} for r in self.rounds]}


def spec_of(election: Any) -> ElectionSpec:
    """The spec of an Election row; whom a write-in may elect comes from its session's roster."""
    eligible = None
    if election.office in ("chair", "vice_chair"):
        db = object_session(election)
        session = db.get(CongressSession, election.session_id) if db is not None else None
        if session is not None:
            eligible = frozenset(d.name for d in session.term.deputies if d.status == "active")
    return ElectionSpec(title=election.title, office=election.office, kind=election.kind, seats=election.seats,
                        extra_candidates=election.extra_candidates, candidates=len(election.candidates),
                        defer_unfilled=election.note == "defer_unfilled",
                        nominees=tuple(c.name for c in election.candidates), eligible=eligible)


def candidate_values(election: Any) -> list[dict[str, Any]]:
    """The candidates as the audit records them (and verify compares): who, a deputy or not, nominated how."""
    return [{"name": c.name, "code": c.code, "nominated_by": c.nominated_by, "nominators": list(c.nominators)}
            for c in election.candidates]


def rounds_of(election: Any) -> list[RoundData]:
    """The recorded rounds of an Election row, in order."""
    return [RoundData(number=r.number, kind=r.kind, ballots_issued=r.ballots_issued,
                      ballots_returned=r.ballots_returned, ballots_void=r.ballots_void,
                      votes={c.name: c.votes for c in r.counts if not c.write_in},
                      write_ins={c.name: c.votes for c in r.counts if c.write_in},
                      against={c.name: c.against for c in r.counts if not c.write_in and c.against is not None},
                      abstain={c.name: c.abstain for c in r.counts if not c.write_in and c.abstain is not None})
            for r in election.rounds]


def round_data(rnd: Any) -> RoundData:
    """A RoundData from anything with the same fields (an input file's round tally)."""
    return RoundData(number=rnd.number, kind=rnd.kind, ballots_issued=rnd.ballots_issued,
                     ballots_returned=rnd.ballots_returned, ballots_void=rnd.ballots_void, votes=dict(rnd.votes),
                     write_ins=dict(rnd.write_ins), against=dict(rnd.against),
                     abstain=dict(rnd.abstain))


def round_values(rnd: RoundData) -> dict[str, Any]:
    """A round as the audit records it (反对/弃权 per candidate only when given: earlier records stay equal)."""
    values = {"number": rnd.number, "kind": rnd.kind, "ballots_issued": rnd.ballots_issued,
              "ballots_returned": rnd.ballots_returned, "ballots_void": rnd.ballots_void,
              "votes": dict(rnd.votes), "write_ins": dict(rnd.write_ins)}
    if rnd.against:
        values["against"] = dict(rnd.against)
    if rnd.abstain:
        values["abstain"] = dict(rnd.abstain)
    return values


def needs_preliminary(profile: Profile, spec: ElectionSpec) -> bool:
    """More nominees than the formal list holds: a preliminary vote first (LOL 第二十七条)."""
    return bool(_count_check(profile, spec).detail.get("preliminary"))


def formal_places(profile: Profile, spec: ElectionSpec) -> int:
    """How many names the formal list holds: the seats plus the 差额 (a principal post: one more)."""
    check = _count_check(profile, spec)
    return int(check.detail.get("formal") or spec.seats + spec.extra_candidates)


def _count_check(profile: Profile, spec: ElectionSpec) -> rules.Check:
    return rules.candidate_count(profile, subject=spec.title, office=spec.office, kind=spec.kind, seats=spec.seats,
                                 candidates=spec.candidates, extra_candidates=spec.extra_candidates)


class _Walk:
    """The state of an election between its rounds: the phase, the formal list, the seats left."""

    def __init__(self, profile: Profile, spec: ElectionSpec):
        self.profile, self.spec = profile, spec
        self.phase = "preliminary" if needs_preliminary(profile, spec) else "formal"
        self.places = formal_places(profile, spec)
        self.listed: list[str] = []
        self.tied: list[str] = []
        self.seats_left = spec.seats
        self.elected: list[str] = []
        self.first_formal: list[str] | None = None  # names ranked in the first valid formal-phase round
        self.checked = bool(spec.nominees)
        self.next_round: dict[str, Any] | None = None

    def formal_list(self) -> list[str]:
        return self.listed if self.listed else list(self.spec.nominees)

    def allowed(self, kind: str) -> tuple[list[str] | None, str]:
        """The names this round's ballot may list, and the rule that says so."""
        if not self.checked:
            return None, "elected"
        if self.phase == "preliminary":
            if kind == "revote" and self.tied:
                return list(self.tied), "preliminary_list"
            return [n for n in self.spec.nominees if n not in self.listed], "preliminary_list"
        if kind == "revote" and self.tied:
            return list(self.tied), "elected"
        if kind == "additional":
            pool = list(dict.fromkeys([*(self.first_formal or []), *self.spec.nominees]))
            return [n for n in pool if n not in self.elected], "additional_candidates"
        rule = "preliminary_list" if self.listed else "elected"
        return [n for n in self.formal_list() if n not in self.elected], rule


def decide(profile: Profile, spec: ElectionSpec, rounds: Sequence[RoundData], *, total: int) -> Decision:
    """Apply the rules to the rounds in order: each round's outcome, who is elected, and the gate still open.

    Only names the round may list count as candidates: after a preliminary vote the formal list (LOL 第二十七条),
    in a re-vote the tied, in another election the first vote's ranking or the nominees, again 差额 for vice
    posts (第二十九条). A write-in (另选他人, 第二十八条) counts when the person may hold the office: for 主席 and
    副主席 only a deputy (第十八条). A round that breaks one of these is a violation: nothing is decided from it.
    """
    walk = _Walk(profile, spec)
    gate: tuple[str, str] | None = None
    violation: rules.Check | None = None
    if not rounds:
        gate = ("tallies", msg("gate.preliminary_first", subject=spec.title) if walk.phase == "preliminary" else
                msg("cli.run.waiting", gate=msg("gate.tallies")) + f"（{spec.title}）")
    decided: list[RoundDecision] = []
    for rnd in rounds:
        validity = rules.ballots_valid(profile, subject=spec.title, round_number=rnd.number,
                                       issued=rnd.ballots_issued, returned=rnd.ballots_returned)
        seats, reasons, tied, won = walk.seats_left, {}, [], []  # type: ignore[var-annotated]
        allowed, rule = walk.allowed(rnd.kind)
        problems: list[rules.Check] = []
        walk.next_round = None
        if violation is not None:
            pass  # nothing after a broken round is decided: it must be recorded again
        elif not validity.ok:
            gate = ("tallies", validity.blocked_message() + "。" + msg("gate.invalid_round", subject=spec.title))
            if allowed is not None:  # the same round again
                walk.next_round = {"kind": rnd.kind, "candidates": allowed,
                                   "seats": walk.places - len(walk.listed) if walk.phase == "preliminary"
                                   else walk.seats_left}
        elif walk.phase == "preliminary":
            if rnd.kind not in ("preliminary", "revote"):
                gate = ("tallies", msg("gate.preliminary_first", subject=spec.title))
            else:
                seats = walk.places - len(walk.listed)
                problems = _name_problems(profile, spec, rnd, allowed, rule, write_ins_allowed=False)
                if not problems:
                    votes = {n: v for n, v in rnd.votes.items() if allowed is None or n in allowed}
                    outcome = rules.count_round(profile, subject=spec.title, kind="preliminary", total=total,
                                                seats=seats, votes=votes)
                    reasons, tied = outcome.reasons, outcome.tied
                    walk.listed += outcome.listed
                    walk.tied = list(outcome.tied)
                    if outcome.tied:
                        gate = ("tallies", msg("gate.revote", subject=spec.title))
                        walk.next_round = {"kind": "revote", "candidates": list(outcome.tied),
                                           "seats": outcome.tied_seats}
                    else:
                        walk.phase = "formal"
                        gate = ("tallies", msg("gate.formal_after_preliminary", subject=spec.title))
                        walk.next_round = {"kind": "formal", "candidates": list(walk.listed), "seats": spec.seats}
        else:
            problems = _name_problems(profile, spec, rnd, allowed, rule, write_ins_allowed=True)
            if rnd.kind == "additional" and allowed is not None and not problems:
                count = rules.additional_count(profile, subject=spec.title, office=spec.office, kind=spec.kind,
                                               seats=walk.seats_left,
                                               candidates=len([n for n in rnd.votes if n in allowed]))
                if not count.ok:
                    problems.append(count)
            if not problems:
                counted, reasons = _counted(profile, spec, rnd, allowed)
                outcome = rules.count_round(profile, subject=spec.title, kind=rnd.kind, total=total,
                                            seats=walk.seats_left, votes=counted)
                reasons = {**outcome.reasons, **reasons}
                tied, won = outcome.tied, outcome.elected
                if walk.first_formal is None:
                    walk.first_formal = [n for n, _ in sorted(counted.items(), key=lambda kv: -kv[1])]
                walk.elected += outcome.elected
                walk.seats_left -= len(outcome.elected)
                walk.tied = list(outcome.tied)
                if outcome.tied:
                    gate = ("tallies", msg("gate.revote", subject=spec.title))
                    walk.next_round = {"kind": "revote", "candidates": list(outcome.tied),
                                       "seats": outcome.tied_seats}
                elif walk.seats_left and not spec.defer_unfilled:
                    gate = ("tallies", msg("gate.additional", subject=spec.title))
                    walk.next_round = _additional_ballot(profile, spec, walk)
                else:
                    gate = None
        if problems and violation is None:
            violation = problems[0]
            gate = ("tallies", violation.blocked_message())
        decided.append(RoundDecision(rnd.number, validity.ok, seats, list(won), list(tied), dict(reasons),
                                     allowed=allowed, problems=[p.blocked_message() for p in problems]))
    status = "pending" if gate else "unfilled" if walk.seats_left else "decided"
    upcoming = walk.next_round if gate and violation is None else None
    return Decision(decided, walk.elected, status, gate, violation, list(walk.listed), upcoming)


def _additional_ballot(profile: Profile, spec: ElectionSpec, walk: _Walk) -> dict[str, Any]:
    """The candidates of another election by the first vote's ranking (LOL 第二十九条 offers this or a new
    nomination): the seats left plus the 差额 — for a vice post again one to three more (第二十七条)."""
    if spec.kind == "by_election":
        extra = spec.extra_candidates
    elif spec.office in rules.PRINCIPAL_OFFICES:
        extra = profile.rule("principal_candidates")["extra"]
    else:
        vice = profile.rule("vice_candidates")
        extra = min(max(spec.extra_candidates, vice["min_extra"]), vice["max_extra"])
    pool = [n for n in dict.fromkeys([*(walk.first_formal or []), *spec.nominees]) if n not in walk.elected]
    return {"kind": "additional", "candidates": pool[: walk.seats_left + extra], "seats": walk.seats_left}


def _name_problems(profile: Profile, spec: ElectionSpec, rnd: RoundData, allowed: list[str] | None, rule: str, *,
                   write_ins_allowed: bool) -> list[rules.Check]:
    """The rules the names of a round break: a name the ballot may not list; a write-in in a preliminary vote."""
    problems = []
    if allowed is not None:
        # a name with no votes is harmless (a form lists every nominee, blank as 0): only votes for one count
        outside = [name for name, n in rnd.votes.items() if name not in allowed and n > 0]
        if outside:
            key = {"preliminary_list": "rules.round.not_formal", "additional_candidates": "rules.round.not_pool",
                   "elected": "rules.round.not_tied"}[rule]
            problems.append(rules.failed(profile, rule, msg(key, subject=spec.title, round=rnd.number,
                                                                   names="、".join(outside),
                                                                   allowed="、".join(allowed) or "—")))
    if not write_ins_allowed and rnd.write_ins:
        problems.append(rules.failed(profile, "preliminary_list", msg(
            "rules.round.preliminary_write_in", subject=spec.title, round=rnd.number,
            names="、".join(rnd.write_ins))))
    return problems


def _counted(profile: Profile, spec: ElectionSpec, rnd: RoundData,
             allowed: list[str] | None = None) -> tuple[dict[str, int], dict[str, str]]:
    """The votes that count toward election: the ballot's names, and write-ins who may hold the office."""
    counted = {name: n for name, n in rnd.votes.items() if allowed is None or name in allowed}
    reasons: dict[str, str] = {}
    for name, n in rnd.write_ins.items():
        if name in counted:
            counted[name] += n  # written in although on the ballot: still a vote for that person
        elif spec.eligible is not None and name not in spec.eligible:
            reasons[name] = msg("rules.round.write_in_ineligible", votes=n,
                                citation=profile.rule("chair_from_deputies").citation.label)
        else:
            counted[name] = n
    return counted, reasons


def election_problems(profile: Profile, spec: ElectionSpec, rounds: Sequence[RoundData], *, total: int,
                      present: int | None) -> list[tuple[int, str, str]]:
    """Every problem of an election's recorded rounds, as (round number, code, message): what makes a count
    impossible (`round_problems`, against the seats that round fills and the names it may list) and the rules
    a round breaks (`decide`)."""
    decision = decide(profile, spec, rounds, total=total)
    out: list[tuple[int, str, str]] = []
    for rnd, outcome in zip(rounds, decision.rounds, strict=True):
        names = list(dict.fromkeys([*spec.nominees, *(outcome.allowed or [])])) if spec.nominees else list(rnd.votes)
        out += [(rnd.number, code, message) for code, message in round_problems(
            subject=spec.title, seats=max(outcome.seats, 1), total=total, present=present, rnd=rnd, candidates=names)]
        out += [(rnd.number, "rule", message) for message in outcome.problems]
    return out


def _all_votes(rnd: RoundData) -> dict[str, int]:
    return {**rnd.votes, **rnd.write_ins}


def round_problems(
    *, subject: str, seats: int, total: int, present: int | None, rnd: RoundData, candidates: Sequence[str],
) -> list[tuple[str, str]]:
    """What makes a recorded round impossible: (code, message) for unknown names, more ballots than deputies,
    more void than returned, a name with more votes than valid ballots, or more marks than seats allow
    (a ballot marking more names than seats is void, so the marks can't exceed valid ballots × seats), a
    candidate's 赞成, 反对 and 弃权 together more than the valid ballots, or 反对/弃权 for a name not on the
    ballot."""
    problems: list[tuple[str, str]] = []
    problems += [("unknown_candidate", msg("input.unknown_candidate", name=name))
                 for name in rnd.votes if name not in candidates]
    for label, count in (("ballots_issued", rnd.ballots_issued), ("ballots_returned", rnd.ballots_returned)):
        if count > total:
            problems.append(("over_roster", msg("rule.tally.over_roster", subject=f"{subject}{label}", sum=count,
                                                total=total)))
        elif present is not None and count > present and label == "ballots_issued":
            problems.append(("over_present", msg("rule.tally.over_present", subject=subject, sum=count,
                                                 present=present)))
    if rnd.ballots_void > rnd.ballots_returned:
        problems.append(("void_over", msg("rule.ballots.void_over", subject=subject, round=rnd.number,
                                          void=rnd.ballots_void, returned=rnd.ballots_returned)))
    valid = max(rnd.ballots_returned - rnd.ballots_void, 0)
    marks = _all_votes(rnd)
    problems += [("candidate_over", msg("rule.tally.candidate_over", subject=subject, round=rnd.number, name=name,
                                        votes=n, valid=valid)) for name, n in marks.items() if n > valid]
    if sum(marks.values()) > valid * seats:
        problems.append(("votes_over", msg("rule.tally.votes_over", subject=subject, round=rnd.number,
                                           sum=sum(marks.values()), valid=valid, seats=seats)))
    problems += [("marks_unknown", msg("elections.marks.unknown", subject=subject, round=rnd.number, name=name))
                 for name in dict.fromkeys([*rnd.against, *rnd.abstain]) if name not in rnd.votes]
    # on a valid ballot a candidate is marked once at most: 赞成, 反对 or 弃权 (or left blank)
    problems += [("marks_over", msg("elections.marks.over", subject=subject, round=rnd.number, name=name,
                                    yes=n, against=rnd.against.get(name, 0), abstain=rnd.abstain.get(name, 0),
                                    sum=n + rnd.against.get(name, 0) + rnd.abstain.get(name, 0), valid=valid))
                 for name, n in rnd.votes.items()
                 if n + rnd.against.get(name, 0) + rnd.abstain.get(name, 0) > valid]
    return problems
