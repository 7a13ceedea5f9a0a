"""Read models for the pages: what a session's timeline, audit and the county overview show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from congress import storage
from congress.lifecycle import operations as ops
from congress.lifecycle.claim import session_claimed
from congress.lifecycle.steps import STEPS
from congress.lifecycle.waiting import Waiting, waiting
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
    User,
)
from congress.settings import Settings
from congress.web import stored
from congress.web.launcher import (
    Launcher,
    RunInfo,
    active_launch,
    base_engine,
    launch_ended,
    launch_purpose,
    queued_launch,
    service_up,
)
from congress.web.service import ServiceStatus

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
    name: str  # as the page shows it: the file's name without its extension
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


def _kept(store: storage.Store) -> Callable[[str], bool]:
    """Whether a file is kept: a look at the disk per file, or one query for the scope's whole index."""
    if isinstance(store, storage.FileStore):
        return lambda rel: (store.root / rel).exists()
    return set(store.paths()).__contains__


def _store(session: CongressSession, settings: Settings | None) -> storage.Store:
    if settings is None:  # today's folder
        return storage.FileStore(f"session/{session.key}", Path(session.output_dir))
    return storage.session_store(settings, session)


def _doc_views(kept: Callable[[str], bool], docs: list[Document]) -> list[DocView]:
    paths = {d.path for d in docs}
    views = []
    for d in docs:
        if d.path.endswith(".pdf") and d.path[:-4] + ".docx" in paths:
            continue  # shown as the PDF of its .docx
        pdf = d.path.endswith(".docx") and kept(d.path[:-5] + ".pdf")
        views.append(DocView(d.id, d.kind, Path(d.path).stem, d.path, d.sha256, pdf, d.path.endswith(".ics")))
    return views


# actors that are not accounts, as the pages name them
SYSTEM_ACTORS = {"system": "系统", "sweeper": "系统（每日巡查）", "demo": "系统（演示）", "admin-cli": "管理员（命令行）",
                 "check": "系统", "staff": "乡镇工作人员（命令行）"}


def people(db: Session) -> dict[str, str]:
    """Who an actor is, as the pages name them: an account's name, or what a system actor is."""
    names = dict(SYSTEM_ACTORS)
    names.update({u.username: u.display_name for u in db.scalars(select(User))})
    return names


# what the party committee reads before deciding on each subject: (steps, kinds of document)
APPROVAL_DOCUMENTS = {"plan": (("plan", "party_approval"), ("plan", "party_request")),
                      "resolutions": (("reports",), ("resolutions_request", "resolution_draft", "deliberation",
                                                      "agenda", "schedule"))}


@dataclass
class ApprovalDocument:
    doc: DocView
    pages: int  # pages of its PDF shown as images; 0 while the PDF is being made
    text: list[str]  # the .docx's paragraphs, read while there is no PDF yet


def approval_documents(db: Session, session: CongressSession, subject: str,
                       settings: Settings | None = None) -> list[ApprovalDocument]:
    """The documents the approver reads on the approval page, in the order they were made."""
    steps, kinds = APPROVAL_DOCUMENTS[subject]
    docs = list(db.scalars(select(Document).where(Document.session_id == session.id, Document.step.in_(steps))
                           .order_by(Document.id)))
    store = _store(session, settings)
    out = []
    for view in _doc_views(_kept(store), docs):
        if view.kind not in kinds or view.calendar:
            continue
        pages = stored.page_count(store, view.path[:-5] + ".pdf") if view.pdf else 0
        out.append(ApprovalDocument(view, pages, [] if pages else stored.docx_text(store, view.path)))
    return out


def pdf_enabled(settings: Settings) -> bool:
    """PDFs are made beside the documents (so a missing one is on its way, not missing for good)."""
    from congress.documents.pdf import render_enabled

    try:
        return render_enabled(settings)[0]
    except Exception:  # noqa: BLE001 - "on" without LibreOffice: the run fails and says so, the page need not
        return False


def answerers(db: Session, session: CongressSession, role: str) -> list[str]:
    """The names of the township's active accounts with this role (who a gate waits for)."""
    return list(db.scalars(select(User.display_name).where(
        User.role == role, User.township_code == session.term.township.code, User.active.is_(True))
        .order_by(User.display_name)))


def shown_statuses(engine: Engine, key: str, runs: Mapping[str, StepRun]) -> dict[str, str]:
    """Each step's status as shown: a step "running" while no live run holds the session was interrupted
    (its process was killed or crashed) and is shown so, to be run again."""
    statuses = {step: run.status for step, run in runs.items()}
    if "running" in statuses.values() and not session_claimed(engine, key):
        statuses = {step: "interrupted" if status == "running" else status for step, status in statuses.items()}
    return statuses


def steps_of(db: Session, session: CongressSession, launcher: Launcher | None,
             settings: Settings | None = None) -> list[StepView]:
    runs = {r.step: r for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
    shown = shown_statuses(base_engine(db), session.key, runs)
    docs: dict[str, list[Document]] = defaultdict(list)
    for d in db.scalars(select(Document).where(Document.session_id == session.id).order_by(Document.id)):
        docs[d.step].append(d)
    kept = _kept(_store(session, settings))
    views = []
    for i, step in enumerate([*STEPS, "audit"]):
        run = runs.get(step)
        if step == "audit" and not docs.get("audit"):
            continue
        by_kind: dict[str, list[DocView]] = defaultdict(list)
        for view in _doc_views(kept, docs.get(step, [])):
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
    queued: FlowLaunch | None = None  # a continuation kept until the active run ends
    service: str = "none"  # the flow service: up | starting | down | none (no launcher)
    waiting: Waiting | None = None  # the gate the session waits at, whose input, since when


def service_state(launcher: Launcher | None, status: ServiceStatus | None) -> str:
    """up | starting | down | none: what the page says of the flow service."""
    if launcher is None:
        return "none"
    if status is not None:
        return status.state
    return "up" if service_up(launcher) else "down"


def launch_view(db: Session, session: CongressSession, launcher: Launcher | None,
                status: ServiceStatus | None = None) -> LaunchView:
    """What the run section of the timeline shows. Reads only: a GET request writes nothing (a finished
    launch is released by the keeper, or the next launch request, see congress/web/launcher.py)."""
    current = active_launch(db, session)
    info = None
    if current is not None:
        info, ended = launch_ended(current, launcher)
        if ended is not None:
            current = None
    recent = list(db.scalars(select(FlowLaunch).where(FlowLaunch.session_id == session.id)
                             .order_by(FlowLaunch.id.desc()).limit(5)))
    return LaunchView(current, info, launch_purpose(db, session), recent, situation(db, session),
                      queued=queued_launch(db, session), service=service_state(launcher, status),
                      waiting=waiting(db, session))


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
