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

from congress import rules
from congress.messages import msg
from congress.profiles import Profile


@dataclass(frozen=True)
class ElectionSpec:
    """What is being elected."""

    title: str
    office: str
    kind: str  # general | by_election
    seats: int
    extra_candidates: int
    candidates: int
    defer_unfilled: bool = False


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


@dataclass(frozen=True)
class RoundDecision:
    number: int
    valid: bool
    seats: int
    elected: list[str]
    tied: list[str]
    reasons: dict[str, str]


@dataclass(frozen=True)
class Decision:
    rounds: list[RoundDecision]
    elected: list[str]
    status: str  # pending | decided | unfilled
    gate: tuple[str, str] | None  # (gate, message) still open, None when decided

    def as_dict(self) -> dict[str, Any]:
        return {"elected": self.elected, "status": self.status,
                "rounds": [{"number": r.number, "valid": r.valid, "seats": r.seats, "elected": r.elected,
                            "tied": r.tied} for r in self.rounds]}


def spec_of(election: Any) -> ElectionSpec:
    """The spec of an Election row."""
    return ElectionSpec(title=election.title, office=election.office, kind=election.kind, seats=election.seats,
                        extra_candidates=election.extra_candidates, candidates=len(election.candidates),
                        defer_unfilled=election.note == "defer_unfilled")


def rounds_of(election: Any) -> list[RoundData]:
    """The recorded rounds of an Election row, in order."""
    return [RoundData(number=r.number, kind=r.kind, ballots_issued=r.ballots_issued,
                      ballots_returned=r.ballots_returned, ballots_void=r.ballots_void,
                      votes={c.name: c.votes for c in r.counts if not c.write_in},
                      write_ins={c.name: c.votes for c in r.counts if c.write_in}) for r in election.rounds]


def round_data(rnd: Any) -> RoundData:
    """A RoundData from anything with the same fields (an input file's round tally)."""
    return RoundData(number=rnd.number, kind=rnd.kind, ballots_issued=rnd.ballots_issued,
                     ballots_returned=rnd.ballots_returned, ballots_void=rnd.ballots_void, votes=dict(rnd.votes),
                     write_ins=dict(rnd.write_ins))


def round_values(rnd: RoundData) -> dict[str, Any]:
    """A round as the audit records it."""
    return {"number": rnd.number, "kind": rnd.kind, "ballots_issued": rnd.ballots_issued,
            "ballots_returned": rnd.ballots_returned, "ballots_void": rnd.ballots_void,
            "votes": dict(rnd.votes), "write_ins": dict(rnd.write_ins)}


def needs_preliminary(profile: Profile, spec: ElectionSpec) -> bool:
    """More nominees than the formal list holds: a preliminary vote first (LOL 第二十七条)."""
    check = rules.candidate_count(profile, subject=spec.title, office=spec.office, kind=spec.kind, seats=spec.seats,
                                  candidates=spec.candidates, extra_candidates=spec.extra_candidates)
    return bool(check.detail.get("preliminary"))


def decide(profile: Profile, spec: ElectionSpec, rounds: Sequence[RoundData], *, total: int) -> Decision:
    """Apply the rules to the rounds in order: each round's outcome, who is elected, and the gate still open."""
    seats_left = spec.seats
    elected: list[str] = []
    places = spec.seats + spec.extra_candidates
    listed: list[str] = []
    phase = "preliminary" if needs_preliminary(profile, spec) else "formal"
    gate: tuple[str, str] | None = None
    if not rounds:
        gate = ("tallies", msg("gate.preliminary_first", subject=spec.title) if phase == "preliminary" else
                msg("cli.run.waiting", gate=msg("gate.tallies")) + f"（{spec.title}）")
    decided: list[RoundDecision] = []
    for rnd in rounds:
        validity = rules.ballots_valid(profile, subject=spec.title, round_number=rnd.number,
                                       issued=rnd.ballots_issued, returned=rnd.ballots_returned)
        seats, reasons, tied, won = seats_left, {}, [], []  # type: ignore[var-annotated]
        if not validity.ok:
            gate = ("tallies", validity.blocked_message() + "。" + msg("gate.invalid_round", subject=spec.title))
        elif phase == "preliminary":
            if rnd.kind not in ("preliminary", "revote"):
                gate = ("tallies", msg("gate.preliminary_first", subject=spec.title))
            else:
                seats = places - len(listed)
                outcome = rules.count_round(profile, subject=spec.title, kind="preliminary", total=total,
                                            seats=seats, votes=_all_votes(rnd))
                reasons, tied = outcome.reasons, outcome.tied
                listed += outcome.listed
                if outcome.tied:
                    gate = ("tallies", msg("gate.revote", subject=spec.title))
                else:
                    phase = "formal"
                    gate = ("tallies", msg("gate.formal_after_preliminary", subject=spec.title))
        else:
            outcome = rules.count_round(profile, subject=spec.title, kind=rnd.kind, total=total, seats=seats_left,
                                        votes=_all_votes(rnd))
            reasons, tied, won = outcome.reasons, outcome.tied, outcome.elected
            elected += outcome.elected
            seats_left -= len(outcome.elected)
            if outcome.tied:
                gate = ("tallies", msg("gate.revote", subject=spec.title))
            elif seats_left and not spec.defer_unfilled:
                gate = ("tallies", msg("gate.additional", subject=spec.title))
            else:
                gate = None
        decided.append(RoundDecision(rnd.number, validity.ok, seats, list(won), list(tied), dict(reasons)))
    status = "pending" if gate else "unfilled" if seats_left else "decided"
    return Decision(decided, elected, status, gate)


def _all_votes(rnd: RoundData) -> dict[str, int]:
    return {**rnd.votes, **rnd.write_ins}


def round_problems(
    *, subject: str, seats: int, total: int, present: int | None, rnd: RoundData, candidates: Sequence[str],
) -> list[tuple[str, str]]:
    """What makes a recorded round impossible: (code, message) for unknown names, more ballots than deputies,
    more void than returned, a name with more votes than valid ballots, or more marks than seats allow
    (a ballot marking more names than seats is void, so the marks can't exceed valid ballots × seats)."""
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
    return problems
