"""`congress verify`: does the record still prove what happened?

For each chain in scope: re-walk it (seq gaps, links to the previous event, recomputed hashes) and name
its first broken link. For each session: re-hash every registered file against its Document row and the
last sha256 the audit recorded; compare the state tables (party approvals, attendance, tallies, vote and
election outcomes) with the values the audit last recorded; recompute every vote and election outcome
and rule check (majority, quorum, ballots returned ≤ issued, over-marking) from the stored tallies with
the pure functions of congress/rules.py and congress/lifecycle/elections.py, and compare them with the
tables and outcome.json; and check the chain head outcome.json recorded still stands (a deleted last
event shows there). Read-only: it never writes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress import rules, storage
from congress.audit import chain
from congress.audit.trail import OUTCOME_FILE, Audited, Trail, fold
from congress.ical.builder import TZ
from congress.lifecycle import elections as election_rules
from congress.lifecycle import operations as ops
from congress.lifecycle.context import STATUS_CN
from congress.messages import has, msg
from congress.models import (
    AuditEvent,
    CongressSession,
    Document,
    Election,
    FollowupDocument,
    PartyApproval,
    StepRun,
    Term,
    Township,
    Vote,
)
from congress.settings import Settings

Progress = Callable[[int, int, str], None]


@dataclass
class Finding:
    """One thing that does not hold: where (a chain, a session, a township's files) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return msg("audit.verify.finding", where=self.where, message=self.message)


@dataclass
class ChainReport:
    key: int
    label: str
    events: int
    head: chain.Head
    first_break: str | None = None
    more: int = 0
    first_seq: int = 1  # > 1 when only the part from this event on was walked

    @property
    def ok(self) -> bool:
        return self.first_break is None

    def summary(self) -> str:
        if self.first_break:
            return msg("audit.chain.broken", label=self.label, problem=self.first_break)
        if not self.events:
            return msg("audit.chain.empty", label=self.label)
        if self.first_seq > 1:
            return msg("audit.chain.intact_from", label=self.label, first=self.first_seq, seq=self.head.seq,
                       hash=self.head.hash)
        return msg("audit.chain.intact", label=self.label, events=self.events, seq=self.head.seq,
                   hash=self.head.hash)


@dataclass
class Verification:
    chains: list[ChainReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    files: int = 0
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if self.ok:
            return msg("audit.verify.ok", chains=len(self.chains), sessions=len(self.sessions), files=self.files)
        return msg("audit.verify.failed", count=len(self.findings))


def verify(
    db: Session, *, session_key: str | None = None, township_code: str | None = None, everything: bool = False,
    output_root: Path | None = None, check_files: bool = True, progress: Progress | None = None,
    from_session: bool = False, settings: Settings | None = None,
) -> Verification:
    """Verify one session, one township (its sessions, chain and follow-up files), or everything.

    With `from_session` (the dashboard), a session's chain is walked from the event before the session's
    first one: a township's chain grows for years, the page needs only the part this session is in.
    `settings` choose the document store whose bytes are re-hashed (unset: the files on this machine).
    """
    started = time.perf_counter()
    result = Verification()
    townships = {t.id: t for t in db.scalars(select(Township))}
    if session_key is not None:
        session = ops.get_session(db, session_key)
        if session is None:
            raise LookupError(msg("cli.unknown_session", key=session_key))
        sessions = [session]
        keys = [chain.chain_key(session.term.township_id)]
        followup: list[Township] = []
    elif township_code is not None:
        township = next((t for t in townships.values() if t.code == township_code), None)
        if township is None:
            raise LookupError(msg("audit.verify.unknown_township", code=township_code))
        sessions = _sessions(db, township.id)
        keys, followup = [township.id], [township]
    elif everything:
        sessions = _sessions(db, None)
        keys = sorted(set(db.scalars(select(AuditEvent.chain).distinct())) | set(townships))
        followup = list(townships.values())
    else:
        raise ValueError(msg("audit.verify.scope"))

    session_keys = dict(db.execute(select(CongressSession.id, CongressSession.key)).tuples().all())
    events: dict[int, list[AuditEvent]] = {}
    for key in keys:
        query = select(AuditEvent).where(AuditEvent.chain == key).order_by(AuditEvent.seq)
        start = None
        if from_session and session_key is not None:
            start = db.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.chain == key,
                                                                      AuditEvent.session_id == sessions[0].id))
            query = query.where(AuditEvent.seq >= max((start or 1) - 1, 1))
        evs = list(db.scalars(query))
        report = walk(evs, key=key, label=chain_label(townships.get(key)), session_keys=session_keys,
                      partial=bool(start and start > 1))
        result.chains.append(report)
        if report.first_break:
            result.findings.append(Finding(report.label, report.first_break))
            if report.more:
                result.findings.append(Finding(report.label, msg("audit.chain.more", count=report.more)))
        events[key] = evs
    steps = len(sessions) + len(followup)
    for i, session in enumerate(sessions):
        if progress:
            progress(i, steps, session.key)
        evs = events.get(chain.chain_key(session.term.township_id), [])
        store = storage.session_store(settings, session) if settings else None
        found, files = check_session(db, session, [e for e in evs if e.session_id == session.id],
                                     chain_events=evs, check_files=check_files, store=store)
        result.findings += [Finding(msg("audit.where.session", key=session.key), m) for m in found]
        result.sessions.append(session.key)
        result.files += files
    for j, township in enumerate(followup):
        if progress:
            progress(len(sessions) + j, steps, township.code)
        if check_files and output_root is not None:
            found, files = check_followup_files(
                db, township, events.get(township.id, []), output_root,
                store=storage.township_store(settings, township.code) if settings else None)
            result.findings += [Finding(chain_label(township), m) for m in found]
            result.files += files
    if progress:
        progress(steps, steps, "")
    result.seconds = time.perf_counter() - started
    return result


def _sessions(db: Session, township_id: int | None) -> list[CongressSession]:
    query = select(CongressSession).join(Term, Term.id == CongressSession.term_id).order_by(CongressSession.key)
    if township_id is not None:
        query = query.where(Term.township_id == township_id)
    return list(db.scalars(query))


def chain_label(township: Township | None) -> str:
    if township is None:
        return msg("audit.chain.global")
    return msg("audit.chain.township", name=township.name, code=township.code)


# --- the chain -----------------------------------------------------------------------------


def _when(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def _action(action: str) -> str:
    return msg(f"web.action.{action}") if has(f"web.action.{action}") else action


def walk(events: Iterable[AuditEvent], *, key: int, label: str, session_keys: dict[int, str],
         partial: bool = False) -> ChainReport:
    """Re-walk one chain in seq order: gaps, links and recomputed hashes; the first break and the count after.

    `partial`: the events start inside the chain; the first one's link to its predecessor is not checked.
    """
    breaks: list[str] = []
    evs = list(events)
    expected, prev = (evs[0].seq, evs[0].prev_hash) if partial and evs else (1, chain.GENESIS)
    count = 0
    last = chain.Head(key, 0, chain.GENESIS)
    for ev in evs:
        count += 1
        where = {"seq": ev.seq, "at": _when(ev.at), "action": _action(ev.action)}
        if ev.seq != expected:
            missing = f"{expected}" if ev.seq == expected + 1 else f"{expected}—{ev.seq - 1}"
            breaks.append(msg("audit.chain.gap", missing=missing, **where))
        elif ev.prev_hash != prev:
            breaks.append(msg("audit.chain.relinked", recorded=ev.prev_hash, prev_seq=ev.seq - 1, actual=prev,
                              **where))
        computed = chain.event_hash(ev, session_keys.get(ev.session_id) if ev.session_id else None)
        if computed != ev.hash:
            breaks.append(msg("audit.chain.edited", computed=computed, stored=ev.hash, **where))
        expected, prev = ev.seq + 1, ev.hash
        last = chain.Head(key, ev.seq, ev.hash)
    return ChainReport(key, label, count, last, breaks[0] if breaks else None, max(len(breaks) - 1, 0),
                       first_seq=evs[0].seq if evs else 0)


# --- one session ---------------------------------------------------------------------------


def _stored_sha(store: storage.Store, rel: str) -> str | None:
    try:
        return store.sha256(rel)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _at(audited: Audited) -> dict[str, Any]:
    return {"seq": audited.event.seq, "at": _when(audited.event.at)}


def check_session(db: Session, session: CongressSession, events: list[AuditEvent], *,
                  chain_events: list[AuditEvent], check_files: bool = True,
                  store: storage.Store | None = None) -> tuple[list[str], int]:
    """Everything that does not hold for one session; and the number of files re-hashed (from `store`;
    unset: the session's output folder)."""
    store = store or storage.FileStore(f"session/{session.key}", Path(session.output_dir))
    trail = fold(events)
    found: list[str] = []
    files = 0
    if check_files:
        found_files, files = _files(db, session, trail, store)
        found += found_files
    found += _approvals(db, session, trail)
    found += _attendance(db, session, trail)
    expected = _outcomes(db, session, trail, found)
    found += _outcome_file(session, trail, chain_events, expected, store)
    return found, files


def _files(db: Session, session: CongressSession, trail: Trail, store: storage.Store) -> tuple[list[str], int]:
    found: list[str] = []
    docs = list(db.scalars(select(Document).where(Document.session_id == session.id).order_by(Document.path)))
    for doc in docs:
        actual = _stored_sha(store, doc.path)
        if actual is None:
            found.append(msg("audit.file.missing", path=doc.path, sha=doc.sha256))
        elif actual != doc.sha256:
            found.append(msg("audit.file.changed", path=doc.path, actual=actual, registered=doc.sha256))
        audited = trail.files.get(doc.path)
        if audited is None:
            found.append(msg("audit.file.not_audited", path=doc.path))
        elif audited.value != doc.sha256:
            found.append(msg("audit.file.row_changed", path=doc.path, registered=doc.sha256, audited=audited.value,
                             action=_action(audited.event.action), **_at(audited)))
    registered = {d.path for d in docs}
    for path, audited in trail.files.items():
        if path not in registered and path != OUTCOME_FILE:
            found.append(msg("audit.file.row_missing", path=path, seq=audited.event.seq))
    return found, len(docs)


def check_followup_files(db: Session, township: Township, events: list[AuditEvent],
                         output_root: Path, store: storage.Store | None = None) -> tuple[list[str], int]:
    """The follow-up files of a township (under <output>/<code>/) against their rows and the audit."""
    audited: dict[str, Audited] = {}
    for ev in events:
        for path, sha in ((ev.detail or {}).get("township_files") or {}).items():
            audited[path] = Audited(sha, ev)
    store = store or storage.FileStore(f"township/{township.code}", Path(output_root).resolve() / township.code)
    found: list[str] = []
    docs = list(db.scalars(select(FollowupDocument).where(FollowupDocument.township_id == township.id)
                           .order_by(FollowupDocument.path)))
    for doc in docs:
        actual = _stored_sha(store, doc.path)
        if actual is None:
            found.append(msg("audit.file.missing", path=f"{township.code}/{doc.path}", sha=doc.sha256))
        elif actual != doc.sha256:
            found.append(msg("audit.file.changed", path=f"{township.code}/{doc.path}", actual=actual,
                             registered=doc.sha256))
        record = audited.get(doc.path)
        if record is None:
            found.append(msg("audit.file.not_audited", path=f"{township.code}/{doc.path}"))
        elif record.value != doc.sha256:
            found.append(msg("audit.file.row_changed", path=f"{township.code}/{doc.path}", registered=doc.sha256,
                             audited=record.value, action=_action(record.event.action), **_at(record)))
    return found, len(docs)


def _subject(subject: str) -> str:
    return msg(f"audit.subject.{subject}") if has(f"audit.subject.{subject}") else subject


def _approvals(db: Session, session: CongressSession, trail: Trail) -> list[str]:
    found: list[str] = []
    rows = {(a.subject, a.attempt): a for a in db.scalars(select(PartyApproval)
                                                          .where(PartyApproval.session_id == session.id))}
    for (subject, attempt), row in sorted(rows.items()):
        if row.decision is None:
            continue
        audited = trail.approvals.get((subject, attempt))
        subject_cn = _subject(subject)
        if audited is None:
            found.append(msg("audit.state.approval_unaudited", subject=subject_cn, attempt=attempt))
            continue
        stored = ops.approval_values(row)
        for name in ("decision", "approver", "comments", "decided_on"):
            if stored[name] != audited.value.get(name):
                found.append(msg("audit.state.approval", subject=subject_cn, attempt=attempt,
                                 field=msg(f"audit.field.{name}"), stored=stored[name], audited=audited.value.get(name),
                                 **_at(audited)))
    for (subject, attempt), audited in trail.approvals.items():
        if (subject, attempt) not in rows or rows[(subject, attempt)].decision is None:
            found.append(msg("audit.state.approval_deleted", attempt=attempt,
                             subject=_subject(subject),
                             seq=audited.event.seq))
    return found


def _attendance(db: Session, session: CongressSession, trail: Trail) -> list[str]:
    stored = ops.attendance_values(db, session)
    audited = trail.attendance
    if audited is None:
        return [msg("audit.state.attendance_unaudited")] if stored else []
    if not stored:
        return [msg("audit.state.attendance_deleted", seq=audited.event.seq)]
    changes = []
    for code in sorted(set(stored) | set(audited.value)):
        now, then = stored.get(code), audited.value.get(code)
        if now != then:
            changes.append(msg("audit.attendance.change", code=code, stored=_attendance_text(now),
                               audited=_attendance_text(then)))
    if not changes:
        return []
    shown = "；".join(changes[:5]) + (f"……（共{len(changes)}处）" if len(changes) > 5 else "")
    return [msg("audit.state.attendance", changes=shown, **_at(audited))]


def _attendance_text(value: dict[str, Any] | None) -> str:
    if value is None:
        return msg("audit.attendance.absent_row")
    text = STATUS_CN.get(value.get("status", ""), str(value.get("status")))
    return text + ("（已准假）" if value.get("status") == "leave" and value.get("leave_approved") else "")


def _passed(value: bool | None) -> str:
    return msg("audit.word.none") if value is None else msg("audit.word.passed" if value else "audit.word.failed")


def _names(names: Iterable[str]) -> str:
    return "、".join(names) or msg("audit.word.none")


def _election_status(status: str | None) -> str:
    return msg(f"audit.election.{status}") if status and has(f"audit.election.{status}") else str(status)


@dataclass
class Expected:
    """Outcomes recomputed from the stored tallies, for the comparison with outcome.json."""

    votes: dict[str, bool] = field(default_factory=dict)
    elected: dict[str, list[str]] = field(default_factory=dict)
    quorum_met: bool | None = None


def _outcomes(db: Session, session: CongressSession, trail: Trail, found: list[str]) -> Expected:
    """Compare tallies and outcomes with the audit and recompute them from the stored tallies."""
    profile = ops.profile_of(session)
    expected = Expected()
    total = len(ops.active_deputies(db, session))
    present = ops.present_count(db, session)
    runs = {r.step: r.status for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}

    if present is not None:
        check = rules.quorum(profile, total=total, present=present)
        expected.quorum_met = check.ok
        if runs.get("checkin_quorum") == "done" and not check.ok:
            found.append(msg("audit.rule.quorum_failed", present=present, required=check.detail["required"]))
        if trail.quorum is not None:
            audited = trail.quorum.value
            now = {"present": present, "total": total, "required": check.detail["required"], "met": check.ok}
            if any(audited.get(k) != v for k, v in now.items()):
                found.append(msg("audit.state.quorum", seq=trail.quorum.event.seq,
                                 audited=_quorum_text(audited), expected=_quorum_text(now)))

    for vote in db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position)):
        if vote.yes is None:
            continue
        stored = ops.vote_values(vote)
        audited = trail.votes.get(vote.key)
        if audited is None:
            found.append(msg("audit.state.vote_unaudited", subject=vote.subject))
        else:
            for name in ("yes", "no", "abstain", "total", "required", "passed"):
                if name in audited.value and audited.value[name] != stored[name]:
                    shown = (_passed(stored[name]), _passed(audited.value[name])) if name == "passed" else (
                        stored[name], audited.value[name])
                    found.append(msg("audit.state.vote", subject=vote.subject, field=msg(f"audit.field.{name}"),
                                     stored=shown[0], audited=shown[1], **_at(audited)))
        decided = trail.vote_outcomes.get(vote.key)
        if decided is not None and decided.event is not (audited.event if audited else None) \
                and decided.value != vote.passed:
            found.append(msg("audit.state.vote", subject=vote.subject, field=msg("audit.field.passed"),
                             stored=_passed(vote.passed), audited=_passed(decided.value), **_at(decided)))
        vote_total = vote.total if vote.total is not None else total
        fits = rules.tally_fits(profile, subject=vote.subject, total=vote_total, present=present,
                                yes=vote.yes, no=vote.no or 0, abstain=vote.abstain or 0)
        if not fits.ok:
            found.append(msg("audit.rule.tally", subject=vote.subject, problem=fits.message))
        check = rules.vote_passes(profile, subject=vote.subject, total=vote_total, yes=vote.yes)
        expected.votes[vote.key] = check.ok
        if check.ok != vote.passed or check.detail["required"] != vote.required:
            found.append(msg("audit.rule.vote", subject=vote.subject, yes=vote.yes, total=vote_total,
                             required=check.detail["required"], expected=_passed(check.ok), stored=_passed(vote.passed),
                             stored_required=vote.required))

    decided_step = runs.get("votes_elections") == "done"
    votes = {v.key: v for v in db.scalars(select(Vote).where(Vote.session_id == session.id))}
    for election in db.scalars(select(Election).where(Election.session_id == session.id)
                               .order_by(Election.position)):
        _election(profile, election, trail, total=total, present=present, decided_step=decided_step,
                  expected=expected, found=found)
        # no one is elected under measures the congress did not adopt (LOL 第三十条)
        measures = votes.get(ops.measures_key(election.key))
        if election.elected and (measures is None or not measures.passed):
            found.append(msg("audit.rule.measures", title=election.title,
                             subject=measures.subject if measures else ops.measures_subject(election.kind,
                                                                                           election.title),
                             state=msg("audit.word.measures_missing" if measures is None or measures.yes is None
                                       else "audit.word.measures_rejected")))
    return expected


def _quorum_text(q: dict[str, Any]) -> str:
    met = msg("audit.word.met" if q.get("met") else "audit.word.not_met")
    return f"出席{q.get('present')}名／全体{q.get('total')}名，须{q.get('required')}名，{met}"


def _election(profile: Any, election: Election, trail: Trail, *, total: int, present: int | None,
              decided_step: bool, expected: Expected, found: list[str]) -> None:
    if not election.rounds and election.key not in trail.elections:
        return
    stored = ops.election_values(election)
    audited = trail.elections.get(election.key)
    if audited is None:
        found.append(msg("audit.state.rounds_unaudited", title=election.title))
    elif audited.value != stored:
        then = {r["number"]: r for r in audited.value.get("rounds", [])}
        now = {r["number"]: r for r in stored["rounds"]}
        changed = [msg("audit.round.change", number=n) for n in sorted(set(then) | set(now)) if then.get(n) != now.get(n)]
        if audited.value.get("defer_unfilled") != stored["defer_unfilled"]:
            changed.append("defer_unfilled")
        found.append(msg("audit.state.rounds", title=election.title, changes="、".join(changed), **_at(audited)))
    rounds = election_rules.rounds_of(election)
    spec = election_rules.spec_of(election)
    for number, _, problem in election_rules.election_problems(profile, spec, rounds, total=total, present=present):
        found.append(msg("audit.rule.round", title=election.title, number=number, problem=problem))
    decision = election_rules.decide(profile, spec, rounds, total=total)
    expected.elected[election.key] = decision.elected
    if decided_step:
        for row, outcome in zip(election.rounds, decision.rounds, strict=True):
            now = {"valid": row.valid, "elected": list(row.elected), "tied": list(row.tied)}
            then = {"valid": outcome.valid, "elected": outcome.elected, "tied": outcome.tied}
            if now != then:
                found.append(msg("audit.rule.round_outcome", title=election.title, number=row.number,
                                 expected=_round_text(then), stored=_round_text(now)))
        if decision.elected != list(election.elected) or decision.status != election.status:
            found.append(msg("audit.rule.election", title=election.title, expected=_names(decision.elected),
                             expected_status=_election_status(decision.status), stored=_names(election.elected),
                             status=_election_status(election.status)))
    outcome = trail.election_outcomes.get(election.key)
    # the candidates and their nominations decided who could be elected: as the step recorded them
    if outcome is not None and "candidates" in outcome.value \
            and outcome.value["candidates"] != election_rules.candidate_values(election):
        found.append(msg("rules.audit.candidates", title=election.title, **_at(outcome)))
    if outcome is not None and (outcome.value.get("elected") != list(election.elected)
                                or outcome.value.get("status") != election.status):
        found.append(msg("audit.state.election", title=election.title, stored=_names(election.elected),
                         status=_election_status(election.status), audited=_names(outcome.value.get("elected", [])),
                         audited_status=_election_status(outcome.value.get("status")), **_at(outcome)))


def _round_text(r: dict[str, Any]) -> str:
    valid = msg("audit.word.valid" if r["valid"] else "audit.word.invalid")
    tied = f"，票数相等：{_names(r['tied'])}" if r["tied"] else ""
    return f"{valid}，当选：{_names(r['elected'])}{tied}"


def _outcome_file(session: CongressSession, trail: Trail, chain_events: list[AuditEvent],
                  expected: Expected, store: storage.Store) -> list[str]:
    """outcome.json: its bytes as audited, the chain head it recorded still in the chain, its outcomes."""
    audited = trail.files.get(OUTCOME_FILE)
    if not store.exists(OUTCOME_FILE):
        return [msg("audit.file.missing", path=OUTCOME_FILE, sha=audited.value)] if audited else []
    try:
        data = store.get(OUTCOME_FILE)
        outcome = json.loads(data)
    except (OSError, ValueError) as exc:
        return [msg("audit.outcome.unreadable", error=exc)]
    found: list[str] = []
    head = outcome.get("audit_chain") if isinstance(outcome, dict) else None
    by_seq = {e.seq: e for e in chain_events}
    last_seq = max(by_seq, default=0)
    if isinstance(head, dict) and isinstance(head.get("seq"), int):
        recorded = by_seq.get(head["seq"])
        if head["seq"] >= last_seq:
            found.append(msg("audit.outcome.tail_deleted", seq=head["seq"], events=last_seq))
        elif head["seq"] and (recorded is None or recorded.hash != head.get("hash")):
            found.append(msg("audit.outcome.head_forged", seq=head["seq"], hash=head.get("hash"),
                             actual=recorded.hash if recorded else msg("audit.word.none")))
    actual = hashlib.sha256(data).hexdigest()
    if found:
        pass  # the event recording the file is gone: saying its hash is unaudited too adds nothing
    elif audited is None:
        found.append(msg("audit.outcome.not_audited"))
    elif audited.value != actual:
        found.append(msg("audit.outcome.changed", actual=actual, audited=audited.value, **_at(audited)))
    # what it says, when it was written after the last recorded state change
    if not isinstance(head, dict) or not isinstance(head.get("seq"), int) or head["seq"] < trail.last_state_seq:
        return found
    for vote in outcome.get("votes", []):
        key = vote.get("key")
        if key in expected.votes and vote.get("passed") != expected.votes[key]:
            found.append(msg("audit.outcome.vote", subject=vote.get("subject"), written=_passed(vote.get("passed")),
                             expected=_passed(expected.votes[key])))
    for election in outcome.get("elections", []):
        key = election.get("key")
        if key in expected.elected and election.get("status") != "pending" \
                and election.get("elected") != expected.elected[key]:
            found.append(msg("audit.outcome.election", title=election.get("title"),
                             written=_names(election.get("elected", [])), expected=_names(expected.elected[key])))
    quorum = outcome.get("quorum")
    if isinstance(quorum, dict) and expected.quorum_met is not None and quorum.get("met") != expected.quorum_met:
        found.append(msg("audit.outcome.quorum", written=msg("audit.word.met" if quorum.get("met") else
                                                             "audit.word.not_met"),
                         expected=msg("audit.word.met" if expected.quorum_met else "audit.word.not_met")))
    return found
