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
from congress.errors import InputError, Problem, display_path
from congress.inputs import AttendanceRow, SessionSpec, Tallies
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
    """Append one audit event."""
    if session is not None and township_id is None:
        township_id = session.term.township_id
    event = AuditEvent(
        township_id=township_id, session_id=session.id if session else None, at=now(), actor=actor,
        action=action, step=step, detail=detail, note=note,
    )
    db.add(event)
    db.flush()
    return event


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
    existing = get_session(db, spec.key)
    if existing is not None and existing.source_sha256 == spec.sha256:
        return existing, False
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
                 "doc_prefix", "templates_dir"):
        setattr(township, name, spec.township[name])
    db.flush()
    db.execute(delete(Officer).where(Officer.township_id == township.id))
    for i, officer in enumerate(spec.officers):
        db.add(Officer(township_id=township.id, position=i, name=officer["name"], title=officer["title"]))

    term = db.scalar(select(Term).where(Term.township_id == township.id, Term.ordinal == spec.term["ordinal"]))
    if term is None:
        term = Term(township_id=township.id, ordinal=spec.term["ordinal"], start_year=spec.term["start_year"])
        db.add(term)
        db.flush()
    term.start_year = spec.term["start_year"]
    deputies = {d.code: d for d in db.scalars(select(Deputy).where(Deputy.term_id == term.id))}
    for i, row in enumerate(spec.roster.rows):
        deputy = deputies.get(row.code) or Deputy(term_id=term.id, code=row.code)
        deputy.position, deputy.name, deputy.gender = i, row.name, row.gender
        deputy.group_name, deputy.constituency, deputy.contact = row.group, row.constituency, row.phone
        deputy.occupation, deputy.status = row.occupation, row.status
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
    session.output_dir = str((output_root / spec.key).resolve())
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
    audit(db, actor=actor, action="session_loaded" if existing is None else "session_reloaded", session=session,
          source=display_path(spec.path), sha256=spec.sha256, deputies=len(spec.roster.active),
          profile=spec.profile.name, profile_overrides=overrides, warnings=spec.warnings)
    return session, True


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
                       end=st.end, title=st.title, place=st.place))
    agenda: list[tuple[str, str, str | None]] = []
    for i, report in enumerate(spec.reports):
        db.add(Report(session_id=session.id, position=i, key=report.key, kind=report.kind, title=report.title,
                      reporter=report.reporter, reporter_title=report.reporter_title,
                      resolution_title=report.resolution, deliberation=report.deliberation))
        verb = "审查和批准" if report.kind == "budget" else "听取和审议"
        agenda.append((f"{verb}{report.title}", "report", report.key))
    votes = [("presidium-list", "主席团成员名单", "preparatory"), ("agenda", "会议议程", "preparatory")]
    votes += [(f"resolution-{r.key}", r.resolution, "plenary") for r in spec.reports if r.resolution]
    for i, (key, subject, stage) in enumerate(votes):
        db.add(Vote(session_id=session.id, position=i, key=key, subject=subject, stage=stage))
    for i, e in enumerate(spec.elections):
        election = Election(session_id=session.id, position=i, key=e.key, office=e.office, title=e.title,
                            kind=e.kind, seats=e.seats, extra_candidates=e.extra_candidates,
                            nominated_by=e.nominated_by, nominators=e.nominators)
        election.candidates = [Candidate(position=j, name=c.name, gender=c.gender, born=c.born, title=c.title)
                               for j, c in enumerate(e.candidates)]
        db.add(election)
        agenda.append((f"{'补选' if e.kind == 'by_election' else '选举'}{e.title}", "election", e.key))
    if any(r.resolution for r in spec.reports):
        agenda.append(("表决通过有关决议", "vote", None))
    for i, (title, kind, ref) in enumerate(agenda):
        db.add(AgendaItem(session_id=session.id, position=i, title=title, kind=kind, ref_key=ref))
    for i, m in enumerate(spec.motions):
        db.add(Motion(session_id=session.id, position=i, kind=m["kind"], title=m["title"], sponsors=m["sponsors"],
                      extra={"target": m["target"]} if m["target"] else {}))
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
    """The party committee's decision (approved / returned) on the plan or on the draft resolutions."""
    if decision not in ("approved", "returned"):
        raise ValueError(decision)
    approval = latest_party_approval(db, session, subject)
    if approval is None:
        requested_on = session.plan_date if subject == "plan" else session.opening_date
        approval = request_party_approval(db, session, subject=subject, requested_on=requested_on, actor=actor)
    if approval.decision is not None:
        if approval.decision == decision and approval.approver == approver:
            return approval
        approval = PartyApproval(session_id=session.id, subject=subject, attempt=approval.attempt + 1,
                                 requested_on=approval.requested_on)
        db.add(approval)
    approval.decision, approval.approver, approval.comments = decision, approver, comments
    approval.decided_at, approval.decided_on = now(), decided_on
    db.flush()
    audit(db, actor=actor, action="party_decision_recorded", session=session, subject=subject,
          decision=decision, approver=approver, comments=comments, attempt=approval.attempt)
    return approval


def record_attendance(db: Session, session: CongressSession, rows: list[AttendanceRow], *, actor: str,
                      source: str) -> dict[str, int]:
    """Attendance of every deputy; replaces an earlier record (the audit keeps both)."""
    deputies = {d.code: d for d in active_deputies(db, session)}
    db.execute(delete(Attendance).where(Attendance.session_id == session.id))
    at = now()
    for row in rows:
        db.add(Attendance(session_id=session.id, deputy_id=deputies[row.code].id, status=row.status,
                          leave_approved=row.leave_approved, recorded_by=actor, recorded_at=at))
    db.flush()
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("present", "leave", "absent")}
    audit(db, actor=actor, action="attendance_recorded", session=session, source=source, **counts)
    return counts


def present_count(db: Session, session: CongressSession) -> int | None:
    rows = db.scalars(select(Attendance.status).where(Attendance.session_id == session.id)).all()
    return sum(1 for s in rows if s == "present") if rows else None


def record_tallies(db: Session, session: CongressSession, tallies: Tallies, *, actor: str) -> dict[str, Any]:
    """Vote tallies and election rounds, checked against the roster, attendance and candidates first.

    A round with more ballots returned than issued is recorded (the law makes that election invalid,
    it does not make the count a typing error) and reported back as a warning with its line.
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
        names = {c.name for c in election.candidates}
        for rnd in etally.rounds:
            where = f"elections.{key}.rounds.{rnd.number - 1}"
            for name in rnd.votes:
                if name not in names:
                    problems.append(Problem(file, msg("input.unknown_candidate", name=name), rnd.line, where))
            for label, count in (("ballots_issued", rnd.ballots_issued), ("ballots_returned", rnd.ballots_returned)):
                if count > total:
                    problems.append(Problem(file, msg("rule.tally.over_roster", subject=f"{election.title}{label}",
                                                      sum=count, total=total), rnd.line, where))
                elif present is not None and count > present and label == "ballots_issued":
                    problems.append(Problem(file, msg("rule.tally.over_present", subject=election.title,
                                                      sum=count, present=present), rnd.line, where))
            if rnd.ballots_void > rnd.ballots_returned:
                problems.append(Problem(file, msg("rule.ballots.void_over", subject=election.title,
                                                  round=rnd.number, void=rnd.ballots_void,
                                                  returned=rnd.ballots_returned), rnd.line, where))
            valid = max(rnd.ballots_returned - rnd.ballots_void, 0)
            all_votes = {**rnd.votes, **rnd.write_ins}
            for name, n in all_votes.items():
                if n > valid:
                    problems.append(Problem(file, msg("rule.tally.candidate_over", subject=election.title,
                                                      round=rnd.number, name=name, votes=n, valid=valid),
                                            rnd.line, where))
            if sum(all_votes.values()) > valid * election.seats:
                problems.append(Problem(file, msg("rule.tally.votes_over", subject=election.title,
                                                  round=rnd.number, sum=sum(all_votes.values()), valid=valid,
                                                  seats=election.seats), rnd.line, where))
    if problems:
        raise InputError(problems)
    warnings = [
        str(Problem(file, rules.ballots_valid(profile, subject=elections[key].title, round_number=rnd.number,
                                              issued=rnd.ballots_issued, returned=rnd.ballots_returned).message,
                    rnd.line, f"elections.{key}.rounds.{rnd.number - 1}"))
        for key, etally in tallies.elections.items() for rnd in etally.rounds
        if rnd.ballots_returned > rnd.ballots_issued
    ]

    at = now()
    for key, tally in tallies.votes.items():
        vote = votes[key]
        vote.yes, vote.no, vote.abstain = tally.yes, tally.no, tally.abstain
        vote.total, vote.required = total, rules.majority_required(profile, total)
        vote.passed = rules.vote_passes(profile, subject=vote.subject, total=total, yes=tally.yes).ok
        vote.recorded_by, vote.recorded_at = actor, at
    rounds_recorded = 0
    for key, etally in tallies.elections.items():
        election = elections[key]
        for r in list(election.rounds):
            db.delete(r)
        db.flush()
        election.rounds = []
        for rnd in etally.rounds:
            er = ElectionRound(number=rnd.number, kind=rnd.kind, seats=election.seats, candidates=list(rnd.votes),
                               ballots_issued=rnd.ballots_issued, ballots_returned=rnd.ballots_returned,
                               ballots_void=rnd.ballots_void, valid=True, recorded_by=actor, recorded_at=at)
            er.counts = [RoundCount(position=i, name=n, votes=v, write_in=False)
                         for i, (n, v) in enumerate(rnd.votes.items())]
            er.counts += [RoundCount(position=len(rnd.votes) + i, name=n, votes=v, write_in=True)
                          for i, (n, v) in enumerate(rnd.write_ins.items())]
            election.rounds.append(er)
            rounds_recorded += 1
        election.note = "defer_unfilled" if etally.defer_unfilled else ""
        election.status, election.elected = "pending", []
    db.flush()
    audit(db, actor=actor, action="tallies_recorded", session=session, source=file,
          votes=sorted(tallies.votes), elections=sorted(tallies.elections), rounds=rounds_recorded)
    return {"votes": len(tallies.votes), "rounds": rounds_recorded, "warnings": warnings}


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
    if status == "waiting":
        session.state, session.waiting_for = "waiting", gate
    elif status in ("blocked", "failed"):
        session.state, session.waiting_for = status, gate
    session.state_message = message
    db.flush()
    audit(db, actor=actor, action=f"step_{status}", session=session, step=run.step, note=message or "",
          **evidence)


def complete_session(db: Session, session: CongressSession, *, actor: str) -> None:
    if session.state != "completed":
        session.state, session.waiting_for, session.state_message = "completed", None, None
        db.flush()
        audit(db, actor=actor, action="session_completed", session=session)
