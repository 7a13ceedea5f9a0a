"""Starting a session's flow from the dashboard: the launcher interface, one run per session, and the
continuation a gate's input starts by itself.

The web process never runs a step itself: it asks a `Launcher` (implemented in flows/deployments.py
on Prefect deployments, injected as `app.state.launcher`) to create a flow run, and records the
request as a `FlowLaunch`. The unique (session_id, active) constraint lets one request per session run
(active=1) and one wait behind it (active=2), so two clicks start one run.

Recording a gate's input (an approval, attendance, tallies, the agreement to the draft resolutions, a
revised session file) asks for the continuation at once (`continue_after_input`): a run starts now, or
— while the previous run still renders PDFs, or while the flow service is down — the request is kept
and `reconcile` (a thread of `congress serve`, every second) starts it as soon as it can. Nobody has to
press 继续办理; the button stays for a run that failed or was interrupted.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from congress.db import engine_for, read_scope, session_scope
from congress.lifecycle import operations as ops
from congress.lifecycle.claim import session_claimed
from congress.lifecycle.waiting import has_work
from congress.models import CongressSession, FlowLaunch, StepRun

# a request that never got a flow run id (the launcher died mid-call) stops blocking after this
STALE_REQUEST = timedelta(minutes=2)
RUNNING, QUEUED = 1, 2  # FlowLaunch.active
# the gate inputs that continue a session by themselves, as the flow run's name ends (flows/session.py)
TRIGGERS = ("start", "continue", "retry", "approval-plan", "attendance", "tallies", "approval-resolutions",
            "resubmit")
log = logging.getLogger("congress.web.launcher")


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
    def launch(self, *, session_key: str, actor: str, idempotency_key: str, trigger: str) -> str:
        """Create a flow run of the session flow through its deployment; return the flow run id."""
        ...

    def run(self, flow_run_id: str) -> RunInfo | None:
        """The flow run's current state, or None when the server does not know it."""
        ...

    def run_url(self, flow_run_id: str) -> str | None:
        """A link to the flow run in the Prefect UI."""
        ...

    def available(self) -> bool:
        """Whether the flow service (the Prefect API and the runner serving the deployment) is up."""
        ...


def service_up(launcher: Launcher | None) -> bool:
    """A launcher is configured and its flow service is up now."""
    if launcher is None:
        return False
    try:
        return bool(launcher.available())
    except Exception:  # noqa: BLE001 - a status that cannot be read is a service that is not up
        return False


class LaunchError(Exception):
    """The flow service could not be reached or refused the run."""


@dataclass(frozen=True)
class LaunchResult:
    launch: FlowLaunch | None
    started: bool  # a flow run was created by this request
    kept: bool = False  # queued behind the active run, or waiting for the flow service: it starts later


def active_launch(db: Session, session: CongressSession) -> FlowLaunch | None:
    return db.scalar(select(FlowLaunch).where(FlowLaunch.session_id == session.id, FlowLaunch.active == RUNNING))


def queued_launch(db: Session, session: CongressSession) -> FlowLaunch | None:
    return db.scalar(select(FlowLaunch).where(FlowLaunch.session_id == session.id, FlowLaunch.active == QUEUED))


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
    if launch.state == "waiting_service":
        return None, None  # started by reconcile once the flow service is back
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
    session is complete, cancelled or postponed, waits for a gate's input that has not come in, or a run
    not started here holds it right now)."""
    if session.state == "completed" or session.state in ops.HALTED_STATES:
        return None
    statuses = set(db.scalars(select(StepRun.status).where(StepRun.session_id == session.id)))
    if not statuses or statuses == {"pending"}:
        return "start"
    if "running" in statuses:
        # a step left running by a killed run is interrupted: run it again; a live run needs no button
        return None if session_claimed(base_engine(db), session.key) else "retry"
    if statuses & {"failed", "blocked"}:
        return "retry"
    if not has_work(db, session):
        return None  # waiting for someone's input: continuing would only stop at the same gate
    return "continue"


def _claim(db: Session, session: CongressSession, *, actor: str, purpose: str, trigger: str,
           active: int, state: str) -> FlowLaunch | None:
    """A new launch row holding the session's `active` slot, committed; None when another holds it."""
    db.commit()  # a fresh transaction whose first statement is the claim
    launch = FlowLaunch(session_id=session.id, purpose=purpose, trigger=trigger, actor=actor, active=active,
                        state=state, requested_at=ops.now())
    try:
        db.add(launch)
        db.commit()
    except (IntegrityError, OperationalError):
        # another request holds the slot (PostgreSQL: unique violation; SQLite: a writer that committed
        # first); the caller reads its claim and reports that one
        db.rollback()
        return None
    return launch


def _start(db: Session, session: CongressSession, launch: FlowLaunch, *, launcher: Launcher) -> None:
    """Create the flow run of a launch holding the running slot; audited. Commits."""
    try:
        # the key is unique per request: row ids restart with a new database, the Prefect server's runs do not
        launch.flow_run_id = launcher.launch(session_key=session.key, actor=launch.actor, trigger=launch.trigger,
                                             idempotency_key=f"congress-{session.key}-{launch.id}-{uuid.uuid4().hex}")
        launch.state = "SCHEDULED"
    except Exception as exc:
        launch.active, launch.state, launch.error, launch.finished_at = None, "failed", str(exc)[:2000], ops.now()
        ops.audit(db, actor=launch.actor, action="flow_launch_failed", session=session, purpose=launch.purpose,
                  trigger=launch.trigger, error=str(exc)[:500])
        db.commit()
        raise LaunchError(str(exc)) from exc
    ops.audit(db, actor=launch.actor, action="flow_launched", session=session, purpose=launch.purpose,
              trigger=launch.trigger, flow_run_id=launch.flow_run_id, launch_id=launch.id)
    db.commit()


def request_launch(db: Session, session: CongressSession, *, launcher: Launcher, actor: str, purpose: str,
                   trigger: str = "button") -> LaunchResult:
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
        launch = _claim(db, session, actor=actor, purpose=purpose, trigger=trigger, active=RUNNING,
                        state="requested")
        if launch is not None:
            break
    else:
        current = active_launch(db, session)
        if current is None:
            raise LaunchError("launch contention")
        return LaunchResult(current, False)
    _start(db, session, launch, launcher=launcher)
    return LaunchResult(launch, True)


def continue_after_input(db: Session, session: CongressSession, *, launcher: Launcher | None, actor: str,
                         trigger: str) -> LaunchResult | None:
    """After a gate's input was recorded (in this unit of work): continue the session by itself.

    Commits what was recorded first. None when there is nothing to run now (the session waits for
    another input, or no flow service is configured); else a run started now, or a request kept until
    the running one ends or the flow service is back (`reconcile` starts it).
    """
    db.commit()
    if launcher is None:
        return None
    db.expire_all()
    if not has_work(db, session):
        return None
    current = active_launch(db, session)
    if current is not None:
        refresh(db, current, launcher)
        db.commit()
    if current is not None and current.active is not None:
        # a run is still at work (rendering PDFs, say): it goes on by itself when it sees the input; if it
        # ended first, this request starts the continuation
        kept = queued_launch(db, session) or _claim(db, session, actor=actor, purpose="continue", trigger=trigger,
                                                   active=QUEUED, state="queued")
        return LaunchResult(kept or queued_launch(db, session), False, kept=True)
    if not service_up(launcher):
        kept = _claim(db, session, actor=actor, purpose="continue", trigger=trigger, active=RUNNING,
                      state="waiting_service")
        return LaunchResult(kept or active_launch(db, session), False, kept=True)
    try:
        return request_launch(db, session, launcher=launcher, actor=actor, purpose="continue", trigger=trigger)
    except LaunchError:
        # recorded all the same; the page offers 继续办理 and says the flow service did not answer
        return LaunchResult(None, False)


# --- the continuation keeper, a thread of `congress serve` ------------------------------------


# a run the flow service still calls running while no process works on the session this long is dead: its
# process died with a Prefect server that went down under it, and nobody can tell the server it ended
STALL_SECONDS = 60.0


def reconcile(engine: Engine, launcher: Launcher, unclaimed: dict[int, float] | None = None,
              stall_seconds: float = STALL_SECONDS) -> int:
    """One pass: release launches whose run ended (or stalled), start the kept ones that can start now.
    Returns how many flow runs it started. Short transactions; nothing is held while the flow service is
    asked. `unclaimed` (kept by the caller between passes) remembers since when a running launch's
    session has not been claimed by any process."""
    unclaimed = {} if unclaimed is None else unclaimed
    started = 0
    with read_scope(engine) as db:
        pending = [(x.id, x.session_id) for x in db.scalars(
            select(FlowLaunch).where(FlowLaunch.active.is_not(None)).order_by(FlowLaunch.active, FlowLaunch.id))]
    up = service_up(launcher)
    for launch_id, session_id in pending:
        with session_scope(engine) as db:
            launch = db.get(FlowLaunch, launch_id)
            session = db.get(CongressSession, session_id)
            if launch is None or launch.active is None or session is None:
                continue
            if launch.active == RUNNING:
                if launch.state == "waiting_service" and launch.flow_run_id is None:
                    if up:
                        started += _start_kept(db, session, launch, launcher)
                    continue
                if up:
                    info = refresh(db, launch, launcher)
                    _stalled(db, session, launch, info, unclaimed, stall_seconds)
                continue
            # queued behind a run: once that one has ended, start it if the session still has work
            if active_launch(db, session) is not None:
                continue
            if not has_work(db, session):
                launch.active, launch.state, launch.finished_at = None, "not_needed", ops.now()
                continue
            if not up:
                launch.active, launch.state = RUNNING, "waiting_service"
                continue
            launch.active = RUNNING
            try:
                db.flush()
            except (IntegrityError, OperationalError):
                continue  # a click took the slot meanwhile: that run continues the session
            started += _start_kept(db, session, launch, launcher)
    return started


def _stalled(db: Session, session: CongressSession, launch: FlowLaunch, info: RunInfo | None,
             unclaimed: dict[int, float], stall_seconds: float) -> None:
    """Release a launch whose run is called running but whose session no process has claimed for
    `stall_seconds` (a live run holds the claim all but milliseconds between its tasks)."""
    if launch.active is None or info is None or info.state not in ("RUNNING", "PENDING"):
        unclaimed.pop(launch.id, None)
        return
    if session_claimed(base_engine(db), session.key):
        unclaimed.pop(launch.id, None)
        return
    since = unclaimed.setdefault(launch.id, time.monotonic())
    if time.monotonic() - since >= stall_seconds:
        launch.active, launch.state, launch.finished_at = None, "CRASHED", ops.now()
        unclaimed.pop(launch.id, None)
        ops.audit(db, actor="system", action="flow_run_stalled", session=session, flow_run_id=launch.flow_run_id,
                  launch_id=launch.id)


def _start_kept(db: Session, session: CongressSession, launch: FlowLaunch, launcher: Launcher) -> int:
    if launch.state in ("waiting_service", "queued") and not has_work(db, session):
        launch.active, launch.state, launch.finished_at = None, "not_needed", ops.now()
        return 0
    try:
        _start(db, session, launch, launcher=launcher)
    except LaunchError:
        return 0
    return 1


class Keeper:
    """Runs `reconcile` every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, engine: Engine, launcher: Launcher, interval: float = 1.0):
        self.engine, self.launcher, self.interval = engine, launcher, interval
        self.unclaimed: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="congress-launch-keeper", daemon=True)

    def start(self) -> Keeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                reconcile(self.engine, self.launcher, self.unclaimed)
            except Exception:  # noqa: BLE001 - a pass that failed (database busy, say) is simply tried again
                log.warning("reconcile failed", exc_info=True)
