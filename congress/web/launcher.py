"""Starting a session's flow from the dashboard: the launcher interface and one-run-per-session.

The web process never runs a step itself: it asks a `Launcher` (implemented in flows/deployments.py
on Prefect deployments, injected as `app.state.launcher`) to create a flow run, and records the
request as a `FlowLaunch`. The unique (session_id, active) constraint lets only one request per
session be active, so two clicks at once start one run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from congress.db import engine_for
from congress.lifecycle import operations as ops
from congress.lifecycle.claim import session_claimed
from congress.models import CongressSession, FlowLaunch, StepRun

# a request that never got a flow run id (the launcher died mid-call) stops blocking after this
STALE_REQUEST = timedelta(minutes=2)


@dataclass(frozen=True)
class RunInfo:
    """What the dashboard shows of a flow run."""

    id: str
    name: str
    state: str  # Prefect state type: SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CRASHED, CANCELLED, ...
    state_name: str
    terminal: bool
    url: str | None


class Launcher(Protocol):
    def launch(self, *, session_key: str, actor: str, idempotency_key: str) -> str:
        """Create a flow run of the session flow through its deployment; return the flow run id."""
        ...

    def run(self, flow_run_id: str) -> RunInfo | None:
        """The flow run's current state, or None when the server does not know it."""
        ...

    def run_url(self, flow_run_id: str) -> str | None:
        """A link to the flow run in the Prefect UI."""
        ...


class LaunchError(Exception):
    """The flow service could not be reached or refused the run."""


@dataclass(frozen=True)
class LaunchResult:
    launch: FlowLaunch
    started: bool  # False: another run of this session was already active


def active_launch(db: Session, session: CongressSession) -> FlowLaunch | None:
    return db.scalar(select(FlowLaunch).where(FlowLaunch.session_id == session.id, FlowLaunch.active == 1))


def launch_ended(launch: FlowLaunch, launcher: Launcher | None) -> tuple[RunInfo | None, str | None]:
    """The launch's flow run, and the state it ended in (None while it has not ended). Writes nothing."""
    if launch.active is None:
        return None, launch.state
    if launch.flow_run_id and launcher is not None:
        try:
            info = launcher.run(launch.flow_run_id)
        except Exception:  # the flow service is down: keep the launch as it is and say so on the page
            return None, None
        return info, (info.state if info is not None and info.terminal else None)
    if launch.flow_run_id is None and ops.now() - launch.requested_at > STALE_REQUEST:
        return None, "abandoned"
    return None, None


def refresh(db: Session, launch: FlowLaunch, launcher: Launcher | None) -> RunInfo | None:
    """Bring the launch up to date with its flow run, releasing the session when the run has ended.

    Writes, so only a request that writes anyway calls it (a launch request); pages use `launch_ended`.
    """
    info, ended = launch_ended(launch, launcher)
    if ended is not None and launch.active is not None:
        launch.active, launch.state, launch.finished_at = None, ended, ops.now()
        db.flush()
    return info


def base_engine(db: Session) -> Engine:
    """The (writing) engine behind a unit of work, a read-only one included: claims are taken through it."""
    bind = db.get_bind()
    engine = getattr(bind, "engine", bind)
    return engine_for(engine.url.render_as_string(hide_password=False))


def launch_purpose(db: Session, session: CongressSession) -> str | None:
    """start | continue | retry: what the button does now; None when there is nothing to launch (the
    session is complete, cancelled or postponed, or a run not started here holds it right now)."""
    if session.state == "completed" or session.state in ops.HALTED_STATES:
        return None
    statuses = set(db.scalars(select(StepRun.status).where(StepRun.session_id == session.id)))
    if not statuses:
        return "start"
    if "running" in statuses:
        # a step left running by a killed run is interrupted: run it again; a live run needs no button
        return None if session_claimed(base_engine(db), session.key) else "retry"
    if statuses & {"failed", "blocked"}:
        return "retry"
    return "continue"


def request_launch(db: Session, session: CongressSession, *, launcher: Launcher, actor: str,
                   purpose: str) -> LaunchResult:
    """Start the session's flow unless a run of it is already starting or running.

    Commits: the claim must be visible to a concurrent request before the flow service is called.
    """
    for _ in range(2):
        current = active_launch(db, session)
        if current is not None:
            refresh(db, current, launcher)
            db.commit()
            if current.active is not None:
                return LaunchResult(current, False)
        db.commit()  # a fresh transaction whose first statement is the claim
        launch = FlowLaunch(session_id=session.id, purpose=purpose, actor=actor, active=1, state="requested",
                            requested_at=ops.now())
        try:
            db.add(launch)
            db.commit()
        except (IntegrityError, OperationalError):
            # another request holds the session's launch (PostgreSQL: unique violation; SQLite: a
            # writer that committed first); read its claim and report that one
            db.rollback()
            continue
        break
    else:
        current = active_launch(db, session)
        if current is None:
            raise LaunchError("launch contention")
        return LaunchResult(current, False)
    try:
        # the key is unique per request: row ids restart with a new database, the Prefect server's runs do not
        launch.flow_run_id = launcher.launch(session_key=session.key, actor=actor,
                                             idempotency_key=f"congress-{session.key}-{launch.id}-{uuid.uuid4().hex}")
        launch.state = "SCHEDULED"
    except Exception as exc:
        launch.active, launch.state, launch.error, launch.finished_at = None, "failed", str(exc)[:2000], ops.now()
        ops.audit(db, actor=actor, action="flow_launch_failed", session=session, purpose=purpose, error=str(exc)[:500])
        db.commit()
        raise LaunchError(str(exc)) from exc
    ops.audit(db, actor=actor, action="flow_launched", session=session, purpose=purpose,
              flow_run_id=launch.flow_run_id, launch_id=launch.id)
    db.commit()
    return LaunchResult(launch, True)
