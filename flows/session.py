"""The session flow: advances a session to its next human gate or its end; decides nothing.

The ten lifecycle steps are tasks of this one flow run (a sub-flow per step cost ~1.2 s each in the
engine; a task ~10 ms), each task run named `<step>-<session key>` with its artifact. After the steps
come the PDFs, in parts: a gate's input recorded meanwhile (the dashboard records it at once) ends the
rendering and the steps go on in this same run, so PDF rendering never sits between a gate and the
next one; what is left is rendered at the end of the run. Then outcome.json.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import Completed, State

from tasks.render import render_pdf
from tasks.steps import finalize, next_step, run_step

# what started a run: "run" (the CLI), "start" / "continue" / "retry" (a dashboard button), or the gate
# input whose recording continues the session by itself (congress/web/launcher.py TRIGGERS)
DEFAULT_TRIGGER = "run"


def run_name_for(session_key: str, trigger: str = DEFAULT_TRIGGER) -> str:
    """The flow run's name: the session, and what continued it (shown in the Prefect UI)."""
    return f"session-{session_key}" if trigger == DEFAULT_TRIGGER else f"session-{session_key}-{trigger}"


def _run_name() -> str:
    params = flow_run.parameters
    return run_name_for(params["session_key"], params.get("trigger", DEFAULT_TRIGGER))


@flow(name="session", flow_run_name=_run_name, log_prints=True)
def advance_session(session_key: str, actor: str = "system", trigger: str = DEFAULT_TRIGGER) -> dict[str, Any] | State:
    """Advance one session from its recorded state until a human gate, a blocking rule, or the end."""
    outcome = _advance(session_key, actor)
    if "stopped" in outcome:
        # The session is halted (cancelled, postponed) or another run holds it: this run did nothing, and
        # nothing went wrong. COMPLETED, not FAILED nor CANCELLED (a runner's engine treats a returned
        # CANCELLED as an error): the state's name says which, its message why, its result both.
        return Completed(name="Halted" if outcome["stopped"] == "halted" else "Busy", message=outcome["message"],
                         data=outcome)
    return outcome


def _advance(session_key: str, actor: str) -> dict[str, Any]:
    while True:
        # next_step is None at the end, and at a gate whose input has not come in (nothing to redo there)
        while (step := next_step(session_key)) is not None:
            result = run_step(session_key, step, actor)
            if result["status"] == "halted":
                # nothing runs, but outcome.json still tells the session's state
                return _stopped(result, finalize(session_key, actor))
            if result["status"] == "busy":  # the run holding the session writes the outcome
                return _stopped(result, {})
            if result["status"] not in ("done", "skipped"):
                break
        # One LibreOffice start per part of the documents this run wrote, yielding to a gate's input
        rendered = render_pdf(session_key, actor)
        if rendered.get("status") == "busy":
            return _stopped(rendered, {})
        if rendered.get("status") != "answered":
            break
    outcome = _finalize(session_key, actor)
    if "stopped" not in outcome and outcome["state"] == "completed":
        # once complete, the audit report finalize wrote gets its PDF, and outcome.json lists it
        rendered = render_pdf(session_key, actor)
        if rendered.get("status") == "busy":
            return _stopped(rendered, {})
        if rendered.get("rendered"):
            outcome = _finalize(session_key, actor)
    return outcome


def _finalize(session_key: str, actor: str) -> dict[str, Any]:
    outcome = finalize(session_key, actor)
    return _stopped(outcome, {}) if outcome.get("status") == "busy" else outcome


def _stopped(result: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    return {"state": outcome.get("state"), "waiting_for": outcome.get("waiting_for"), "stopped": result["status"],
            "message": result["message"]}
