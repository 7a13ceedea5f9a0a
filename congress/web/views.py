"""Read models for the pages: what a session's timeline, audit and the county overview show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from congress.lifecycle import operations as ops
from congress.lifecycle.claim import session_claimed
from congress.lifecycle.steps import STEPS
from congress.models import (
    AuditEvent,
    CongressSession,
    Document,
    FlowLaunch,
    PartyApproval,
    Resolution,
    StepRun,
    Term,
    Township,
)
from congress.web.launcher import Launcher, RunInfo, active_launch, base_engine, launch_ended, launch_purpose

# the gates a session can wait at, and the form that answers each
GATE_FORMS = {
    "party_approval_plan": "approval/plan",
    "plan_returned": None,
    "attendance": "attendance",
    "tallies": "tallies",
    "party_approval_resolutions": "approval/resolutions",
}
# a kind with this many files or more is folded (60 notices, 60 invitations)
FOLD_AT = 4


@dataclass
class DocView:
    id: int
    kind: str
    name: str
    path: str
    sha256: str
    pdf: bool
    calendar: bool


@dataclass
class StepView:
    step: str
    number: int
    status: str
    actor: str | None
    started: Any
    finished: Any
    message: str | None
    attempts: int
    flow_run_id: str | None
    flow_run_url: str | None
    evidence: dict[str, Any]
    groups: list[tuple[str, list[DocView]]] = field(default_factory=list)


def _doc_views(root: Path, docs: list[Document]) -> list[DocView]:
    paths = {d.path for d in docs}
    views = []
    for d in docs:
        if d.path.endswith(".pdf") and d.path[:-4] + ".docx" in paths:
            continue  # shown as the PDF of its .docx
        pdf = d.path.endswith(".docx") and (root / (d.path[:-5] + ".pdf")).exists()
        views.append(DocView(d.id, d.kind, Path(d.path).name, d.path, d.sha256, pdf, d.path.endswith(".ics")))
    return views


def shown_statuses(engine: Engine, key: str, runs: Mapping[str, StepRun]) -> dict[str, str]:
    """Each step's status as shown: a step "running" while no live run holds the session was interrupted
    (its process was killed or crashed) and is shown so, to be run again."""
    statuses = {step: run.status for step, run in runs.items()}
    if "running" in statuses.values() and not session_claimed(engine, key):
        statuses = {step: "interrupted" if status == "running" else status for step, status in statuses.items()}
    return statuses


def steps_of(db: Session, session: CongressSession, launcher: Launcher | None) -> list[StepView]:
    runs = {r.step: r for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
    shown = shown_statuses(base_engine(db), session.key, runs)
    docs: dict[str, list[Document]] = defaultdict(list)
    for d in db.scalars(select(Document).where(Document.session_id == session.id).order_by(Document.id)):
        docs[d.step].append(d)
    root = Path(session.output_dir)
    views = []
    for i, step in enumerate([*STEPS, "audit"]):
        run = runs.get(step)
        if step == "audit" and not docs.get("audit"):
            continue
        by_kind: dict[str, list[DocView]] = defaultdict(list)
        for view in _doc_views(root, docs.get(step, [])):
            by_kind[view.kind].append(view)
        url = launcher.run_url(run.flow_run_id) if launcher and run and run.flow_run_id else None
        views.append(StepView(
            step=step, number=i + 1, status=shown[step] if run else ("done" if step == "audit" else "pending"),
            actor=run.actor if run else None, started=run.started_at if run else None,
            finished=run.finished_at if run else None, message=run.message if run else None,
            attempts=run.attempts if run else 0, flow_run_id=run.flow_run_id if run else None,
            flow_run_url=url, evidence=run.evidence if run else {}, groups=list(by_kind.items()),
        ))
    return views


@dataclass
class LaunchView:
    launch: FlowLaunch | None
    run: RunInfo | None
    purpose: str | None
    recent: list[FlowLaunch]
    # shown instead of a button: "halted" (cancelled, postponed), "interrupted" (a killed run left a step
    # running: the button runs it again), "elsewhere" (a run not started here, e.g. `congress run`, holds it)
    situation: str | None = None


def launch_view(db: Session, session: CongressSession, launcher: Launcher | None) -> LaunchView:
    """What the run section of the timeline shows. Reads only: a GET request writes nothing (a finished
    launch is released by the next launch request, see launcher.request_launch)."""
    current = active_launch(db, session)
    info = None
    if current is not None:
        info, ended = launch_ended(current, launcher)
        if ended is not None:
            current = None
    recent = list(db.scalars(select(FlowLaunch).where(FlowLaunch.session_id == session.id)
                             .order_by(FlowLaunch.id.desc()).limit(5)))
    return LaunchView(current, info, launch_purpose(db, session), recent, situation(db, session))


def situation(db: Session, session: CongressSession) -> str | None:
    """halted | interrupted | elsewhere | None: why the session cannot simply be continued now."""
    if session.state in ops.HALTED_STATES:
        return "halted"
    statuses = set(db.scalars(select(StepRun.status).where(StepRun.session_id == session.id)))
    if "running" not in statuses:
        return None
    return "elsewhere" if session_claimed(base_engine(db), session.key) else "interrupted"


def approvals(db: Session, session: CongressSession) -> dict[str, list[PartyApproval]]:
    found: dict[str, list[PartyApproval]] = {"plan": [], "resolutions": []}
    for a in db.scalars(select(PartyApproval).where(PartyApproval.session_id == session.id)
                        .order_by(PartyApproval.subject, PartyApproval.attempt)):
        found.setdefault(a.subject, []).append(a)
    return found


def resolutions(db: Session, session: CongressSession) -> list[tuple[Resolution, Document | None]]:
    out = []
    docs = {d.kind + ":" + Path(d.path).stem: d for d in db.scalars(
        select(Document).where(Document.session_id == session.id, Document.kind == "resolution"))}
    for r in db.scalars(select(Resolution).where(Resolution.session_id == session.id).order_by(Resolution.position)):
        out.append((r, docs.get("resolution:" + r.title)))
    return out


def open_gates(db: Session, session: CongressSession) -> list[str]:
    """The gate forms that make sense now (the one the session waits at first)."""
    gates = []
    if session.waiting_for in GATE_FORMS and GATE_FORMS[session.waiting_for]:
        gates.append(session.waiting_for)
    done = set(db.scalars(select(StepRun.step).where(StepRun.session_id == session.id, StepRun.status == "done")))
    if "notices" in done and "checkin_quorum" not in done and "attendance" not in gates:
        gates.append("attendance")
    if "checkin_quorum" in done and "votes_elections" not in done and "tallies" not in gates:
        gates.append("tallies")
    return gates


def progress(db: Session, session: CongressSession) -> tuple[int, int]:
    done = db.scalar(select(func.count()).select_from(StepRun).where(
        StepRun.session_id == session.id, StepRun.status == "done")) or 0
    return done, len(STEPS)


def sessions_for(db: Session, township_code: str | None) -> list[CongressSession]:
    query = select(CongressSession).join(Term).join(Township).order_by(Township.code, CongressSession.opening_date.desc())
    if township_code is not None:
        query = query.where(Township.code == township_code)
    return list(db.scalars(query))


def county(db: Session) -> list[dict[str, Any]]:
    """Every township with its sessions and how far each got."""
    rows: dict[str, dict[str, Any]] = {}
    for s in sessions_for(db, None):
        t = s.term.township
        entry = rows.setdefault(t.code, {"township": t, "sessions": []})
        done, total = progress(db, s)
        entry["sessions"].append({"session": s, "done": done, "total": total})
    return list(rows.values())


def audit_events(db: Session, session: CongressSession, limit: int = 500) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id)
                           .order_by(AuditEvent.id.desc()).limit(limit)))


def deputies(db: Session, session: CongressSession) -> list[Any]:
    return ops.active_deputies(db, session)
