"""outcome.json (schema congress-outcome/1, docs/formats.md) and the step-completion audit report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress.documents.builder import build_document, template_environment, write_bytes_atomic
from congress.ical.builder import TZ
from congress.lifecycle import operations as ops
from congress.lifecycle.context import common_context, session_title
from congress.lifecycle.steps import STEPS
from congress.messages import msg
from congress.models import Attendance, AuditEvent, CongressSession, Document, Election, StepRun, Vote
from congress.rules import quorum
from congress.settings import Settings

SCHEMA = "congress-outcome/1"
# one file per deputy: the audit report counts them instead of listing sixty rows each
PER_DEPUTY_KINDS = ("notice", "notice_pdf", "invitation")


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
        "total": v.total, "required": v.required, "passed": v.passed,
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
        "audit_events": db.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.session_id == session.id)),
    }


def session_attendance(db: Session, session: CongressSession) -> list[str]:
    """The attendance status of every deputy recorded for the session."""
    return list(db.scalars(select(Attendance.status).where(Attendance.session_id == session.id)))


def finalize(db: Session, session_key: str, *, actor: str, settings: Settings) -> dict[str, Any]:
    """Write the audit report (once every step is done) and outcome.json; return the outcome."""
    session = ops.get_session(db, session_key)
    if session is None:
        raise LookupError(msg("cli.unknown_session", key=session_key))
    root = ops.output_folder(db, session, settings)
    if session.state == "completed":
        _audit_report(db, session, settings)
    outcome = build_outcome(db, session)
    path = root / "outcome.json"
    write_bytes_atomic(path, json.dumps(outcome, ensure_ascii=False, indent=2).encode("utf-8"))
    ops.audit(db, actor=actor, action="outcome_written", session=session, path=str(path))
    db.commit()
    return outcome


def _audit_report(db: Session, session: CongressSession, settings: Settings) -> None:
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
    env = template_environment(override_dir=Path(township.templates_dir) if township.templates_dir else None,
                               templates_root=settings.templates_dir)
    rel = "audit/步骤完成情况审计报告.docx"
    finished = max((r.finished_at for r in runs.values() if r.finished_at), default=None)
    created = finished or datetime.combine(session.closing_date, time(18, 0), tzinfo=TZ).astimezone(UTC)
    sha = build_document(env, "audit_report.md.j2", ctx, Path(session.output_dir) / rel,
                         title=f"{ctx['session']['title']}步骤完成情况审计报告", author=township.presidium_name,
                         created=created.replace(microsecond=0))
    doc = db.scalar(select(Document).where(Document.session_id == session.id, Document.path == rel))
    if doc is None:
        db.add(Document(session_id=session.id, step="audit", kind="audit_report", path=rel, sha256=sha))
    else:
        doc.sha256 = sha
    db.flush()
