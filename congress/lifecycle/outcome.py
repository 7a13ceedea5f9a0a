"""outcome.json (schema congress-outcome/1, docs/formats.md) and the step-completion audit report.

Both carry the head of the township's audit chain at the time they are written (seq and hash), and the
`outcome_written` event that follows that head records their sha256: a later deletion of events, or an
edit of either file, shows in `congress verify`. They are written again only when their content changed
(the head aside), so an identical re-run adds no event.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress import storage
from congress.audit import chain
from congress.audit.trail import OUTCOME_FILE, Trail, session_trail
from congress.documents.builder import markup_to_docx, render_text
from congress.documents.overrides import township_environment
from congress.ical.builder import TZ
from congress.lifecycle import operations as ops
from congress.lifecycle.claim import claim_session
from congress.lifecycle.context import common_context, session_title
from congress.lifecycle.steps import STEPS
from congress.messages import msg
from congress.models import Attendance, AuditEvent, CongressSession, Document, Election, StepRun, Vote
from congress.rules import quorum
from congress.settings import Settings

SCHEMA = "congress-outcome/1"
# one file per deputy: the audit report counts them instead of listing sixty rows each
PER_DEPUTY_KINDS = ("notice", "notice_pdf", "invitation", "cancellation")
REPORT = "audit/步骤完成情况审计报告.docx"
WRITTEN_ACTION = "outcome_written"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def build_outcome(db: Session, session: CongressSession) -> dict[str, Any]:
    profile = ops.profile_of(session)
    runs = {r.step: r for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
    steps = []
    for step in STEPS:
        run = runs.get(step)
        steps.append({
            "step": step, "title": msg(f"step.{step}"), "status": run.status if run else "pending",
            "started": _iso(run.started_at) if run else None, "finished": _iso(run.finished_at) if run else None,
            "actor": run.actor if run else None, "message": run.message if run else None,
            "attempts": run.attempts if run else 0,
        })
    total = len(ops.active_deputies(db, session))
    present = ops.present_count(db, session)
    quorum_view = None
    if present is not None:
        check = quorum(profile, total=total, present=present)
        summary = {s: 0 for s in ("present", "leave", "absent")}
        for a in session_attendance(db, session):
            summary[a] += 1
        quorum_view = {"total": total, **summary, "required": check.detail["required"], "met": check.ok,
                       "rule": check.rule, "citation": str(check.citation)}
    votes = [{
        "key": v.key, "subject": v.subject, "stage": v.stage, "yes": v.yes, "no": v.no, "abstain": v.abstain,
        "total": v.total, "required": v.required, "passed": v.passed, "method": v.method,
        "citation": str(profile.rule("majority").citation),
    } for v in db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position))]
    elections = []
    for e in db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)):
        elections.append({
            "key": e.key, "office": e.office, "title": e.title, "kind": e.kind, "seats": e.seats,
            "status": e.status, "valid": all(r.valid for r in e.rounds) if e.rounds else None,
            "candidates": [c.name for c in e.candidates],
            "rounds": [{
                "number": r.number, "kind": r.kind, "seats": r.seats, "ballots_issued": r.ballots_issued,
                "ballots_returned": r.ballots_returned, "ballots_void": r.ballots_void, "valid": r.valid,
                "votes": {c.name: c.votes for c in r.counts if not c.write_in},
                "write_ins": {c.name: c.votes for c in r.counts if c.write_in},
                "against": {c.name: c.against for c in r.counts if not c.write_in and c.against is not None},
                "abstain": {c.name: c.abstain for c in r.counts if not c.write_in and c.abstain is not None},
                "elected": list(r.elected), "tied": list(r.tied), "reasons": dict(r.reasons),
            } for r in e.rounds],
            "elected": list(e.elected), "unfilled": e.seats - len(e.elected),
            "citation": str(profile.rule("elected").citation),
        })
    docs = db.scalars(select(Document).where(Document.session_id == session.id).order_by(Document.path)).all()
    township = session.term.township
    return {
        "schema": SCHEMA,
        "session": {"key": session.key, "title": session_title(township.name, session.term.ordinal, session.ordinal),
                    "kind": session.kind, "opening_date": _iso(session.opening_date),
                    "state": session.state, "waiting_for": session.waiting_for, "message": session.state_message},
        "township": {"code": township.code, "name": township.name},
        "profile": profile.name,
        "output_dir": session.output_dir,
        "steps": steps,
        "quorum": quorum_view,
        "votes": votes,
        "elections": elections,
        "documents": [{"step": d.step, "kind": d.kind, "path": d.path, "sha256": d.sha256}
                      for d in docs if not d.path.endswith(".ics")],
        "calendars": [{"step": d.step, "kind": d.kind, "path": d.path, "sha256": d.sha256}
                      for d in docs if d.path.endswith(".ics")],
        # not counting the events that record outcome.json itself, so an unchanged outcome stays unchanged
        "audit_events": db.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.session_id == session.id, AuditEvent.action != WRITTEN_ACTION)),
    }


def session_attendance(db: Session, session: CongressSession) -> list[str]:
    """The attendance status of every deputy recorded for the session."""
    return list(db.scalars(select(Attendance.status).where(Attendance.session_id == session.id)))


def finalize(db: Session, session_key: str, *, actor: str, settings: Settings) -> dict[str, Any]:
    """Write the audit report (once every step is done) and outcome.json when their content changed, with
    the chain head; audit what was written; return the outcome.

    The session is claimed (one run at a time). The files are built from a read, written with no
    transaction open, and recorded in a short transaction that appends the `outcome_written` event right
    after the head they carry; if another event got in between (a follow-up action of the township), they
    are built again with the new head.
    """
    db.commit()  # never wait for the claim inside a transaction
    with claim_session(db, session_key, wait_seconds=settings.run_wait_seconds):
        for _ in range(FINALIZE_ATTEMPTS):
            done = _finalize_once(db, session_key, actor=actor, settings=settings)
            if done is not None:
                return done
    raise RuntimeError(msg("audit.outcome.contended", key=session_key))


FINALIZE_ATTEMPTS = 5


def _finalize_once(db: Session, session_key: str, *, actor: str, settings: Settings) -> dict[str, Any] | None:
    db.expire_all()
    session = ops.get_session(db, session_key)
    if session is None:
        raise LookupError(msg("cli.unknown_session", key=session_key))
    ops.output_folder(db, session, settings)
    root = storage.session_store(settings, session)
    township_id = session.term.township_id
    head = chain.head(db, chain.chain_key(township_id))
    trail = session_trail(db, session)
    pending: dict[str, bytes] = {}
    contents: dict[str, str] = {}
    if session.state == "completed":
        report = _audit_report(db, session, settings, root, head, trail)
        if report is not None:
            pending[REPORT], contents[REPORT] = report
    # outcome.json lists the report with the hash it is about to have: register it in a savepoint that is
    # rolled back (it is registered for real once the file is on disk)
    nested = db.begin_nested()
    if REPORT in pending:
        _register_report(db, session, hashlib.sha256(pending[REPORT]).hexdigest())
    outcome = build_outcome(db, session)
    nested.rollback()
    fingerprint = chain.content_hash(outcome)
    path = Path(session.output_dir) / OUTCOME_FILE  # as the audit event names it, whichever store keeps it
    if _unchanged(trail, OUTCOME_FILE, fingerprint, root):
        outcome = json.loads(root.get(OUTCOME_FILE).decode("utf-8"))
    else:
        outcome["audit_chain"] = head.as_dict()
        pending[OUTCOME_FILE] = json.dumps(outcome, ensure_ascii=False, indent=2).encode("utf-8")
        contents[OUTCOME_FILE] = fingerprint
    db.commit()  # what was read (and an adopted output folder); nothing is held while the files are written
    if not pending:
        return outcome
    files = root.put_many(pending)
    session = ops.get_session(db, session_key)
    assert session is not None
    if chain.locked_head(db, township_id) != head:
        db.rollback()  # another event came first: the files must carry the new head
        return None
    if REPORT in files:
        _register_report(db, session, files[REPORT])
    ops.audit(db, actor=actor, action=WRITTEN_ACTION, session=session, path=str(path), files=files,
              contents=contents, chain_head=head.as_dict())
    db.commit()
    return outcome


def _register_report(db: Session, session: CongressSession, sha: str) -> None:
    doc = db.scalar(select(Document).where(Document.session_id == session.id, Document.path == REPORT))
    if doc is None:
        db.add(Document(session_id=session.id, step="audit", kind="audit_report", path=REPORT, sha256=sha))
    else:
        doc.sha256 = sha
    db.flush()


def _unchanged(trail: Trail, rel: str, fingerprint: str, store: storage.Store) -> bool:
    """The file was written from this content, is audited, and is still the audited bytes."""
    audited = trail.files.get(rel)
    return (trail.contents.get(rel) == fingerprint and audited is not None
            and store.sha256(rel) == audited.value)


def _audit_report(db: Session, session: CongressSession, settings: Settings, root: storage.Store, head: chain.Head,
                  trail: Trail) -> tuple[bytes, str] | None:
    """The step-completion report's bytes and content fingerprint when its content changed, else None."""
    profile = ops.profile_of(session)
    docs = db.scalars(select(Document).where(Document.session_id == session.id).order_by(Document.path)).all()
    runs = {r.step: r for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
    steps = []
    for step in STEPS:
        run = runs[step]
        steps.append({
            "step": step, "title": msg(f"step.{step}"), "status_cn": msg(f"status.{run.status}"),
            "started": run.started_at.strftime("%Y-%m-%d %H:%M") if run.started_at else "",
            "finished": run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at else "",
            "actor": run.actor or "", "message": run.message or "",
            "documents": [{"path": d.path, "sha256": d.sha256} for d in docs if d.step == step
                          and d.kind not in PER_DEPUTY_KINDS],
            "counts": {k: sum(1 for d in docs if d.step == step and d.kind == k) for k in PER_DEPUTY_KINDS},
        })
    township = session.term.township
    ctx = common_context(db, session, profile)
    ctx.update(steps=steps, sign_date=session.closing_date)
    env = township_environment(township, settings)
    finished = max((r.finished_at for r in runs.values() if r.finished_at), default=None)
    created = (finished or datetime.combine(session.closing_date, time(18, 0), tzinfo=TZ).astimezone(UTC)
               ).replace(microsecond=0)
    title = f"{ctx['session']['title']}步骤完成情况审计报告"
    # what the report says apart from the chain head: unchanged, the report is not written again
    fingerprint = chain.content_hash({"title": title, "author": township.presidium_name,
                                      "created": created.isoformat(),
                                      "text": render_text(env, "audit_report.md.j2", {**ctx, "chain_head": None})})
    doc = db.scalar(select(Document).where(Document.session_id == session.id, Document.path == REPORT))
    if doc is not None and doc.sha256 == root.sha256(REPORT) and _unchanged(trail, REPORT, fingerprint, root):
        return None
    text = render_text(env, "audit_report.md.j2", {**ctx, "chain_head": head.as_dict()})
    return markup_to_docx(text, title=title, author=township.presidium_name, created=created), fingerprint
