"""One function per state change. The actor is always passed in; every change leaves an audit event.

Used by Prefect tasks, by the CLI and (later) by the dashboard. Functions flush but do not commit:
the caller owns the unit of work.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from congress import rules
from congress.audit import chain
from congress.documents.numbers import store_township_settings
from congress.errors import InputError, Problem, display_path
from congress.inputs import AttendanceRow, SessionSpec, Tallies
from congress.lifecycle import elections as election_rules
from congress.lifecycle import papers as motion_rules
from congress.lifecycle.claim import lock_for_load
from congress.messages import msg
from congress.models import (
    AgendaItem,
    Attendance,
    AuditEvent,
    Candidate,
    CongressSession,
    Deputy,
    Election,
    ElectionRound,
    Motion,
    Officer,
    PartyApproval,
    Report,
    RoundCount,
    Sitting,
    StepRun,
    Suggestion,
    Term,
    Township,
    Vote,
)
from congress.profiles import load_profile
from congress.settings import Settings

# A session in one of these states does not run (congress.errors.SessionHalted) until it is reinstated
# or rescheduled (congress/calendar/operations.py).
HALTED_STATES = ("cancelled", "postponed")


def now() -> datetime:
    return datetime.now(UTC)


def audit(
    db: Session, *, actor: str, action: str, session: CongressSession | None = None,
    township_id: int | None = None, step: str | None = None, note: str = "", **detail: Any,
) -> AuditEvent:
    """Append one event to the township's hash chain (the global chain without a township)."""
    if session is not None and township_id is None:
        township_id = session.term.township_id
    return chain.append(db, actor=actor, action=action, session=session, township_id=township_id, step=step,
                        note=note, detail=detail, at=now())


def get_session(db: Session, key: str) -> CongressSession | None:
    return db.scalar(select(CongressSession).where(CongressSession.key == key))


def active_deputies(db: Session, session: CongressSession) -> list[Deputy]:
    return [d for d in session.term.deputies if d.status == "active"]


def profile_of(session: CongressSession):  # type: ignore[no-untyped-def]
    return load_profile(session.term.township.profile)


class OutputMoved(Exception):
    """The session's files are in another folder than the current setting names; nothing was written."""


def output_folder(db: Session, session: CongressSession, settings: Settings) -> Path:
    """The folder a writer writes the session's files into: <CONGRESS_OUTPUT_DIR>/<session key>.

    The session row remembers where its files are. When the setting changed since, the new folder is
    adopted if the old one holds nothing (a first run that could not write there, say); otherwise the
    files would end up split across two folders, so the writer is refused and told how to move them.
    """
    wanted = (Path(settings.output_dir) / session.key).resolve()
    recorded = Path(session.output_dir) if session.output_dir else None
    if recorded is not None and recorded != wanted:
        if recorded.is_dir() and any(recorded.iterdir()):
            raise OutputMoved(msg("output.moved", key=session.key, old=recorded, new=wanted))
        session.output_dir = str(wanted)
        db.flush()
    return wanted


def move_output(db: Session, session: CongressSession, settings: Settings, *, actor: str) -> tuple[Path, Path]:
    """Move the session's files to the folder the current setting names, and record it."""
    import shutil

    old = Path(session.output_dir)
    new = (Path(settings.output_dir) / session.key).resolve()
    if old == new:
        return old, new
    if new.exists() and any(new.iterdir()):
        raise OutputMoved(msg("output.target_not_empty", new=new))
    new.parent.mkdir(parents=True, exist_ok=True)
    if old.is_dir():
        if new.exists():
            new.rmdir()
        shutil.move(str(old), str(new))
    session.output_dir = str(new)
    db.flush()
    audit(db, actor=actor, action="output_moved", session=session, old=str(old), new=str(new))
    return old, new


# --- loading a session file --------------------------------------------------------------


def load_session(db: Session, *, spec: SessionSpec, actor: str, output_root: Path) -> tuple[CongressSession, bool]:
    """Create (or, before approval, update) the township, term, roster and session from a session file.

    Returns the session and whether anything changed. Refuses to overwrite a session whose plan
    was already approved: nothing a user entered is lost.
    """
    # Two loads of the same township at once: the second waits here, then finds the first's rows.
    lock_for_load(db, township_code=spec.township["code"], session_key=spec.key)
    existing = get_session(db, spec.key)
    if existing is not None and existing.source_sha256 == spec.sha256:
        return existing, False
    if existing is not None and existing.state in HALTED_STATES:
        # a reload would reset the state and quietly lift the cancellation or postponement
        raise InputError([Problem(display_path(spec.path), msg(f"runs.reload_halted.{existing.state}",
                                                               key=spec.key))])
    if existing is not None:
        frozen = db.scalars(
            select(StepRun.step).where(StepRun.session_id == existing.id, StepRun.status == "done",
                                       StepRun.step.not_in(("plan",)))
        ).all()
        if frozen:
            raise InputError([Problem(display_path(spec.path), msg("input.session_exists", key=spec.key))])

    township = db.scalar(select(Township).where(Township.code == spec.township["code"]))
    if township is None:
        township = Township(code=spec.township["code"])
        db.add(township)
    for name in ("name", "county", "profile", "party_committee", "presidium_name", "government_name",
                 "doc_prefix"):
        setattr(township, name, spec.township[name])
    db.flush()
    store_township_settings(db, township=township, values=spec.township)
    db.execute(delete(Officer).where(Officer.township_id == township.id))
    for i, officer in enumerate(spec.officers):
        db.add(Officer(township_id=township.id, position=i, name=officer["name"], title=officer["title"]))

    term = db.scalar(select(Term).where(Term.township_id == township.id, Term.ordinal == spec.term["ordinal"]))
    if term is None:
        term = Term(township_id=township.id, ordinal=spec.term["ordinal"], start_year=spec.term["start_year"])
        db.add(term)
        db.flush()
    term.start_year = spec.term["start_year"]
    for name in ("election_date", "population", "deputy_quota", "quota_extra"):
        setattr(term, name, spec.term[name])
    deputies = {d.code: d for d in db.scalars(select(Deputy).where(Deputy.term_id == term.id))}
    for i, row in enumerate(spec.roster.rows):
        deputy = deputies.get(row.code) or Deputy(term_id=term.id, code=row.code)
        deputy.position, deputy.name, deputy.gender = i, row.name, row.gender
        deputy.group_name, deputy.constituency, deputy.contact = row.group, row.constituency, row.phone
        deputy.occupation, deputy.status = row.occupation, row.status
        deputy.ethnicity, deputy.born = row.ethnicity, row.born
        db.add(deputy)
    for code, deputy in deputies.items():
        if code not in spec.roster.codes:
            deputy.status = "ended"

    s = spec.session
    values = {k: s[k] for k in (
        "kind", "ordinal", "venue", "plan_date", "presidium_meeting_date", "presidium_meeting_time",
        "presidium_meeting_place", "notice_date", "materials_date", "checkin_date", "checkin_time",
        "checkin_place", "opening_date", "closing_date", "handover_date",
    )}
    session = existing or CongressSession(key=spec.key, term_id=term.id)
    for name, value in values.items():
        setattr(session, name, value)
    session.presidium_codes = s["presidium"]
    session.nomination_deadline, session.nomination_deadline_time = s["nomination_deadline"], s[
        "nomination_deadline_time"]
    session.proposers, session.executive_chairs = s["proposers"], s["executive_chairs"]
    session.first_term = spec.first_term
    for name in ("secretary_general", "scrutineers", "attendees", "group_convenors", "presidium_meetings"):
        setattr(session, name, s[name])
    if existing is None:
        session.output_dir = str((output_root / spec.key).resolve())
    # a reloaded session keeps the folder its files are in: the writers follow a changed setting through
    # output_folder (or are refused there until `congress sessions move-output`)
    session.source_sha256 = spec.sha256
    session.source_path = str(spec.path.resolve())
    session.state, session.waiting_for, session.state_message = "planned", None, None
    db.add(session)
    db.flush()
    if existing is not None:
        _clear_plan(db, session)
    _add_plan(db, session, spec)
    db.flush()
    db.refresh(session)
    # which rules come from the province profile rather than the national baseline
    overrides = {key: f"{rule.source_profile}: {rule.citation}" for key, rule in spec.profile.rules.items()
                 if rule.source_profile != "national"}
    # what decides who may be elected and whether the plan is lawful (docs/rules.md), as loaded
    plan = {"kind": s["kind"], "presidium": s["presidium"], "proposers": s["proposers"],
            "executive_chairs": s["executive_chairs"], "first_term": spec.first_term,
            "nomination_deadline": (f"{s['nomination_deadline'].isoformat()} {s['nomination_deadline_time']}"
                                    if s["nomination_deadline"] else None),
            "term": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in spec.term.items()},
            "candidates": {e.key: election_rules.candidate_values(e) for e in session_elections_of(db, session)},
            # who presides over each sitting and who watches the count (LOL 第十九条, EL 第四十三条)
            "sitting_chairs": {st.key: st.chair for st in spec.sittings if st.chair},
            "secretary_general": s["secretary_general"], "scrutineers": s["scrutineers"]}
    audit(db, actor=actor, action="session_loaded" if existing is None else "session_reloaded", session=session,
          source=display_path(spec.path), sha256=spec.sha256, deputies=len(spec.roster.active),
          profile=spec.profile.name, profile_overrides=overrides, warnings=spec.warnings, plan=plan)
    return session, True


def measures_key(election_key: str) -> str:
    """The key of the vote adopting an election's 选举办法."""
    return f"election-measures-{election_key}"


def measures_subject(kind: str, title: str) -> str:
    """What the 选举办法 vote adopts: 补选青山镇人民代表大会副主席的办法."""
    return f"{'补选' if kind == 'by_election' else '选举'}{title}的办法"


def session_elections_of(db: Session, session: CongressSession) -> list[Election]:
    """The session's elections in order."""
    return list(db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)))


def _clear_plan(db: Session, session: CongressSession) -> None:
    for model in (Sitting, AgendaItem, Report, Motion, Vote, Suggestion):
        db.execute(delete(model).where(model.session_id == session.id))
    for election in db.scalars(select(Election).where(Election.session_id == session.id)):
        db.delete(election)
    # the plan changed: it is drafted and sent for approval again
    for run in db.scalars(select(StepRun).where(StepRun.session_id == session.id)):
        run.status, run.message, run.finished_at = "pending", None, None
    db.flush()


def _add_plan(db: Session, session: CongressSession, spec: SessionSpec) -> None:
    for i, st in enumerate(spec.sittings):
        db.add(Sitting(session_id=session.id, position=i, key=st.key, kind=st.kind, day=st.day, start=st.start,
                       end=st.end, title=st.title, place=st.place, chair_code=st.chair))
    agenda: list[tuple[str, str, str | None]] = []
    for i, report in enumerate(spec.reports):
        db.add(Report(session_id=session.id, position=i, key=report.key, kind=report.kind, title=report.title,
                      reporter=report.reporter, reporter_title=report.reporter_title,
                      resolution_title=report.resolution, deliberation=report.deliberation))
        verb = "审查和批准" if report.kind == "budget" else "听取和审议"
        agenda.append((f"{verb}{report.title}", "report", report.key))
    # the 秘书长 is adopted with the presidium list, in the same vote (congress/lifecycle/presidium.py)
    slate = "主席团成员和秘书长名单" if spec.session.get("secretary_general") else "主席团成员名单"
    votes = [("presidium-list", slate, "preparatory"), ("agenda", "会议议程", "preparatory")]
    if spec.first_term.get("credentials_committee"):  # adopted by the first session (LOL 第三十七条)
        votes.append(("credentials-committee", "代表资格审查委员会组成人员名单", "plenary"))
    # each election's 选举办法 is decided by the congress before its ballot (LOL 第三十条; docs/rules.md)
    votes += [(measures_key(e.key), measures_subject(e.kind, e.title), "plenary") for e in spec.elections]
    votes += [(f"resolution-{r.key}", r.resolution, "plenary") for r in spec.reports if r.resolution]
    votes += motion_rules.planned_votes(spec.motions)  # the presidium's report on the motions, and those listed
    for i, (key, subject, stage) in enumerate(votes):
        db.add(Vote(session_id=session.id, position=i, key=key, subject=subject, stage=stage,
                    method="ballot" if key in spec.session.get("ballot_votes", ()) else "show_of_hands"))
    for i, e in enumerate(spec.elections):
        election = Election(session_id=session.id, position=i, key=e.key, office=e.office, title=e.title,
                            kind=e.kind, seats=e.seats, extra_candidates=e.extra_candidates,
                            nominated_by=e.nominated_by, nominators=e.nominators, incumbents=e.incumbents,
                            sitting_key=e.sitting)
        roster = spec.roster.codes  # a deputy candidate's 民族 and 出生年月 default to the roster's
        election.candidates = [Candidate(position=j, name=c.name, gender=c.gender,
                                         born=c.born or (roster[c.code].born if c.code in roster else ""),
                                         ethnicity=c.ethnicity or (roster[c.code].ethnicity if c.code in roster else ""),
                                         title=c.title, code=c.code, nominated_by=c.nominated_by,
                                         nominators=list(c.nominators))
                               for j, c in enumerate(e.candidates)]
        db.add(election)
        agenda.append((f"表决通过{measures_subject(e.kind, e.title)}", "vote", measures_key(e.key)))
        agenda.append((f"{'补选' if e.kind == 'by_election' else '选举'}{e.title}", "election", e.key))
    if any(r.resolution for r in spec.reports):
        agenda.append(("表决通过有关决议", "vote", None))
    agenda += motion_rules.planned_agenda(spec.motions)
    for i, (title, kind, ref) in enumerate(agenda):
        db.add(AgendaItem(session_id=session.id, position=i, title=title, kind=kind, ref_key=ref))
    for i, m in enumerate(spec.motions):
        db.add(Motion(session_id=session.id, position=i, kind=m["kind"], title=m["title"], sponsors=m["sponsors"],
                      extra=motion_rules.stored_extra(m)))
    for i, sg in enumerate(spec.suggestions):
        db.add(Suggestion(session_id=session.id, position=i, code=sg.code, title=sg.title, text=sg.text,
                          proposers=sg.proposers, category=sg.category, office=sg.office, complex=sg.complex))


# --- human gates -------------------------------------------------------------------------


def request_party_approval(db: Session, session: CongressSession, *, subject: str, requested_on: date,
                           actor: str) -> PartyApproval:
    """The open request on `subject`, creating a new attempt after a returned one."""
    latest = latest_party_approval(db, session, subject)
    if latest is not None and latest.decision != "returned":
        return latest
    if latest is not None and latest.decision == "returned" and latest.decided_at is not None:
        # a returned plan is only re-requested after the session file was reloaded
        reloaded = db.scalar(select(AuditEvent).where(
            AuditEvent.session_id == session.id, AuditEvent.action == "session_reloaded",
            AuditEvent.at > latest.decided_at))
        if reloaded is None:
            return latest
    approval = PartyApproval(session_id=session.id, subject=subject,
                             attempt=(latest.attempt + 1) if latest else 1, requested_on=requested_on)
    db.add(approval)
    db.flush()
    audit(db, actor=actor, action="party_approval_requested", session=session, subject=subject,
          attempt=approval.attempt)
    return approval


def latest_party_approval(db: Session, session: CongressSession, subject: str) -> PartyApproval | None:
    return db.scalar(select(PartyApproval).where(
        PartyApproval.session_id == session.id, PartyApproval.subject == subject,
    ).order_by(PartyApproval.attempt.desc()).limit(1))


def record_party_decision(
    db: Session, session: CongressSession, *, subject: str, decision: str, approver: str, comments: str,
    decided_on: date, actor: str,
) -> PartyApproval:
    """The party committee's decision (approved / returned) on the plan or on the draft resolutions.

    The same decision given again (same approver, comments and date) changes nothing and is not audited
    again; a different one is a new attempt. The audit event carries every value, so verify can compare.
    """
    if decision not in ("approved", "returned"):
        raise ValueError(decision)
    approval = latest_party_approval(db, session, subject)
    if approval is None:
        requested_on = session.plan_date if subject == "plan" else session.opening_date
        approval = request_party_approval(db, session, subject=subject, requested_on=requested_on, actor=actor)
    if approval.decision is not None:
        if (approval.decision, approval.approver, approval.comments, approval.decided_on) == (
                decision, approver, comments, decided_on):
            return approval
        approval = PartyApproval(session_id=session.id, subject=subject, attempt=approval.attempt + 1,
                                 requested_on=approval.requested_on)
        db.add(approval)
    approval.decision, approval.approver, approval.comments = decision, approver, comments
    approval.decided_at, approval.decided_on = now(), decided_on
    db.flush()
    audit(db, actor=actor, action="party_decision_recorded", session=session, **approval_values(approval))
    return approval


def approval_values(approval: PartyApproval) -> dict[str, Any]:
    """What the audit records of a party decision (and what verify compares the row with)."""
    return {"subject": approval.subject, "attempt": approval.attempt, "decision": approval.decision,
            "approver": approval.approver, "comments": approval.comments,
            "decided_on": approval.decided_on.isoformat() if approval.decided_on else None}


def record_attendance(db: Session, session: CongressSession, rows: list[AttendanceRow], *, actor: str,
                      source: str) -> dict[str, int]:
    """Attendance of every deputy; replaces an earlier record (the audit keeps both).

    The audit event carries every deputy's status and leave approval; the same attendance recorded again
    changes nothing and adds no event.
    """
    deputies = {d.code: d for d in active_deputies(db, session)}
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("present", "leave", "absent")}
    wanted = {row.code: {"status": row.status, "leave_approved": row.leave_approved} for row in rows}
    if wanted and wanted == attendance_values(db, session):
        return counts
    db.execute(delete(Attendance).where(Attendance.session_id == session.id))
    at = now()
    for row in rows:
        db.add(Attendance(session_id=session.id, deputy_id=deputies[row.code].id, status=row.status,
                          leave_approved=row.leave_approved, recorded_by=actor, recorded_at=at))
    db.flush()
    audit(db, actor=actor, action="attendance_recorded", session=session, source=source, attendance=wanted,
          **counts)
    return counts


def attendance_values(db: Session, session: CongressSession) -> dict[str, dict[str, Any]]:
    """Deputy code → status and leave approval, as stored."""
    rows = db.execute(select(Deputy.code, Attendance.status, Attendance.leave_approved)
                      .join(Deputy, Deputy.id == Attendance.deputy_id)
                      .where(Attendance.session_id == session.id)).all()
    return {code: {"status": status, "leave_approved": bool(leave)} for code, status, leave in rows}


def present_count(db: Session, session: CongressSession) -> int | None:
    rows = db.scalars(select(Attendance.status).where(Attendance.session_id == session.id)).all()
    return sum(1 for s in rows if s == "present") if rows else None


def record_tallies(db: Session, session: CongressSession, tallies: Tallies, *, actor: str) -> dict[str, Any]:
    """Vote tallies and election rounds, checked against the roster, attendance and candidates first.

    A round with more ballots returned than issued is recorded (the law makes that election invalid,
    it does not make the count a typing error) and reported back as a warning with its line. The audit
    event carries every count; the same tallies recorded again change nothing and add no event.
    """
    profile = profile_of(session)
    total = len(active_deputies(db, session))
    present = present_count(db, session)
    file = display_path(tallies.path)
    problems: list[Problem] = []
    votes = {v.key: v for v in db.scalars(select(Vote).where(Vote.session_id == session.id))}
    elections = {e.key: e for e in db.scalars(select(Election).where(Election.session_id == session.id))}
    for key, tally in tallies.votes.items():
        vote = votes.get(key)
        if vote is None:
            problems.append(Problem(file, msg("input.unknown_vote", key=key, keys="、".join(votes)), tally.line))
            continue
        check = rules.tally_fits(profile, subject=vote.subject, total=total, present=present,
                                 yes=tally.yes, no=tally.no, abstain=tally.abstain)
        if not check.ok:
            problems.append(Problem(file, check.message, tally.line, f"votes.{key}"))
    for key, etally in tallies.elections.items():
        election = elections.get(key)
        if election is None:
            problems.append(Problem(file, msg("input.unknown_election", key=key, keys="、".join(elections)),
                                    etally.line))
            continue
        lines = {rnd.number: rnd.line for rnd in etally.rounds}
        problems += [Problem(file, message, lines.get(number), f"elections.{key}.rounds.{number - 1}")
                     for number, _, message in election_rules.election_problems(
                         profile, election_rules.spec_of(election),
                         [election_rules.round_data(r) for r in etally.rounds], total=total, present=present)]
    if problems:
        raise InputError(problems)
    warnings = [
        str(Problem(file, rules.ballots_valid(profile, subject=elections[key].title, round_number=rnd.number,
                                              issued=rnd.ballots_issued, returned=rnd.ballots_returned).message,
                    rnd.line, f"elections.{key}.rounds.{rnd.number - 1}"))
        for key, etally in tallies.elections.items() for rnd in etally.rounds
        if rnd.ballots_returned > rnd.ballots_issued
    ]
    rounds_recorded = sum(len(e.rounds) for e in tallies.elections.values())
    summary = {"votes": len(tallies.votes), "rounds": rounds_recorded, "warnings": warnings}
    # only what differs from the stored tallies is recorded (and audited) again
    changed_votes = [key for key, t in tallies.votes.items()
                     if (t.yes, t.no, t.abstain, total) != (votes[key].yes, votes[key].no, votes[key].abstain,
                                                             votes[key].total)]
    changed_elections = [
        key for key, e in tallies.elections.items()
        if {"defer_unfilled": e.defer_unfilled,
            "rounds": [election_rules.round_values(election_rules.round_data(r)) for r in e.rounds]}
        != election_values(elections[key])]
    if not changed_votes and not changed_elections:
        return summary

    at = now()
    for key in changed_votes:
        vote, tally = votes[key], tallies.votes[key]
        vote.yes, vote.no, vote.abstain = tally.yes, tally.no, tally.abstain
        vote.total, vote.required = total, rules.majority_required(profile, total)
        vote.passed = rules.vote_passes(profile, subject=vote.subject, total=total, yes=tally.yes).ok
        vote.recorded_by, vote.recorded_at = actor, at
    for key in changed_elections:
        election, etally = elections[key], tallies.elections[key]
        for r in list(election.rounds):
            db.delete(r)
        db.flush()
        election.rounds = []
        for rnd in etally.rounds:
            er = ElectionRound(number=rnd.number, kind=rnd.kind, seats=election.seats, candidates=list(rnd.votes),
                               ballots_issued=rnd.ballots_issued, ballots_returned=rnd.ballots_returned,
                               ballots_void=rnd.ballots_void, valid=True, recorded_by=actor, recorded_at=at)
            er.counts = [RoundCount(position=i, name=n, votes=v, write_in=False, against=rnd.against.get(n),
                                    abstain=rnd.abstain.get(n))
                         for i, (n, v) in enumerate(rnd.votes.items())]
            er.counts += [RoundCount(position=len(rnd.votes) + i, name=n, votes=v, write_in=True)
                          for i, (n, v) in enumerate(rnd.write_ins.items())]
            election.rounds.append(er)
        election.note = "defer_unfilled" if etally.defer_unfilled else ""
        election.status, election.elected = "pending", []
    db.flush()
    audit(db, actor=actor, action="tallies_recorded", session=session, source=file, rounds=rounds_recorded,
          votes={key: vote_values(votes[key]) for key in sorted(changed_votes)},
          elections={key: election_values(elections[key]) for key in sorted(changed_elections)})
    return summary


def _vote_counts(vote: Vote) -> dict[str, int | None]:
    return {"yes": vote.yes, "no": vote.no, "abstain": vote.abstain}


def vote_values(vote: Vote) -> dict[str, Any]:
    """A vote's tally and outcome as the audit records them (and verify compares)."""
    return {**_vote_counts(vote), "total": vote.total, "required": vote.required, "passed": vote.passed}


def election_values(election: Election) -> dict[str, Any]:
    """An election's recorded rounds as the audit records them (and verify compares)."""
    return {"defer_unfilled": election.note == "defer_unfilled",
            "rounds": [election_rules.round_values(r) for r in election_rules.rounds_of(election)]}


# --- steps -------------------------------------------------------------------------------


def step_run(db: Session, session: CongressSession, step: str, position: int) -> StepRun:
    run = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.step == step))
    if run is None:
        run = StepRun(session_id=session.id, step=step, position=position, status="pending", evidence={})
        db.add(run)
        db.flush()
    return run


def start_step(db: Session, session: CongressSession, run: StepRun, *, actor: str, flow_run_id: str | None) -> None:
    run.status, run.actor, run.attempts = "running", actor, run.attempts + 1
    run.started_at, run.finished_at, run.message = now(), None, None
    run.flow_run_id = flow_run_id
    session.state, session.waiting_for, session.state_message = "running", None, None
    db.flush()
    audit(db, actor=actor, action="step_started", session=session, step=run.step, attempt=run.attempts)


def finish_step(db: Session, session: CongressSession, run: StepRun, *, status: str, actor: str,
                message: str | None, evidence: dict[str, Any], gate: str | None = None) -> None:
    """Close a step as done / waiting (a human gate) / blocked (a rule) / failed, and audit it."""
    run.status, run.message, run.evidence = status, message, evidence
    run.finished_at = now()
    # a session cancelled or postponed while the step ran keeps that state (and its message)
    if session.state not in HALTED_STATES:
        if status == "waiting":
            session.state, session.waiting_for = "waiting", gate
        elif status in ("blocked", "failed"):
            session.state, session.waiting_for = status, gate
        session.state_message = message
    db.flush()
    audit(db, actor=actor, action=f"step_{status}", session=session, step=run.step, note=message or "",
          **evidence)


def complete_session(db: Session, session: CongressSession, *, actor: str) -> None:
    """Mark the session completed once its last step is done (not when it was halted meanwhile)."""
    if session.state not in ("completed", *HALTED_STATES):
        session.state, session.waiting_for, session.state_message = "completed", None, None
        db.flush()
        audit(db, actor=actor, action="session_completed", session=session)
