"""What a waiting session waits for: the gate, whose input answers it, since when, and whether that
input has come in since the step stopped.

The session flow reads it before running a step that stopped at a gate (running it again before its
input is in would only stop at the same gate), and while it renders PDFs (an input recorded meanwhile
continues the session at once); the dashboard reads it to say who the session waits for and to start
the continuation when a gate's input is recorded. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress.lifecycle.operations import HALTED_STATES
from congress.models import AuditEvent, CongressSession, StepRun

# gate → the audit action that records its input, and what its detail must say
GATE_INPUTS: dict[str, tuple[str, dict[str, Any]]] = {
    "party_approval_plan": ("party_decision_recorded", {"subject": "plan"}),
    "plan_returned": ("session_reloaded", {}),
    "attendance": ("attendance_recorded", {}),
    "tallies": ("tallies_recorded", {}),
    "party_approval_resolutions": ("party_decision_recorded", {"subject": "resolutions"}),
}
# gate → the role whose input answers it (congress.models.auth.ROLES)
GATE_ROLES: dict[str, str] = {
    "party_approval_plan": "approver",
    "plan_returned": "staff",
    "attendance": "staff",
    "tallies": "staff",
    "party_approval_resolutions": "approver",
}


@dataclass(frozen=True)
class Waiting:
    """The gate a session stopped at."""

    gate: str
    step: str
    role: str
    since: datetime | None
    answered: bool  # its input was recorded after the step stopped: running on continues


def waiting(db: Session, session: CongressSession) -> Waiting | None:
    """The gate the session waits at, or None when it does not wait for a person's input."""
    if session.state != "waiting" or not session.waiting_for:
        return None
    run = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.status == "waiting")
                    .order_by(StepRun.position).limit(1))
    if run is None:
        return None
    gate = session.waiting_for
    stopped = db.scalar(select(func.max(AuditEvent.id)).where(
        AuditEvent.session_id == session.id, AuditEvent.action == "step_waiting", AuditEvent.step == run.step))
    return Waiting(gate=gate, step=run.step, role=GATE_ROLES.get(gate, "staff"), since=run.finished_at,
                   answered=_answered(db, session, gate, stopped or 0))


def _answered(db: Session, session: CongressSession, gate: str, after_event: int) -> bool:
    if gate not in GATE_INPUTS:
        return False
    action, wanted = GATE_INPUTS[gate]
    events = db.scalars(select(AuditEvent.detail).where(
        AuditEvent.session_id == session.id, AuditEvent.action == action, AuditEvent.id > after_event))
    return any(all((detail or {}).get(k) == v for k, v in wanted.items()) for detail in events)


def has_work(db: Session, session: CongressSession) -> bool:
    """Whether running the session's flow now would run a step: it is not complete nor halted, and it
    does not wait at a gate whose input has not come in."""
    if session.state == "completed" or session.state in HALTED_STATES:
        return False
    gate = waiting(db, session)
    return gate is None or gate.answered
