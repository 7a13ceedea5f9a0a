"""One flow per lifecycle stage and a parent flow that advances a session to its next gate or its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow
from prefect.states import Completed, State

from congress.lifecycle.steps import STEPS
from tasks.render import render_pdf
from tasks.steps import finalize, next_step, run_step


def _stage_flow(step: str) -> Callable[..., dict[str, Any]]:
    slug = step.replace("_", "-")

    def stage(session_key: str, actor: str = "system") -> dict[str, Any]:
        return run_step(session_key, step, actor)

    stage.__name__ = stage.__qualname__ = f"{step}_flow"
    stage.__doc__ = f"Lifecycle stage '{step}' of one session."
    return flow(name=slug, flow_run_name=f"{slug}-{{session_key}}", log_prints=True)(stage)


STAGE_FLOWS: dict[str, Callable[..., dict[str, Any]]] = {step: _stage_flow(step) for step in STEPS}
plan_flow = STAGE_FLOWS["plan"]
party_approval_flow = STAGE_FLOWS["party_approval"]
presidium_decision_flow = STAGE_FLOWS["presidium_decision"]
notices_flow = STAGE_FLOWS["notices"]
checkin_quorum_flow = STAGE_FLOWS["checkin_quorum"]
preparatory_meeting_flow = STAGE_FLOWS["preparatory_meeting"]
reports_flow = STAGE_FLOWS["reports"]
votes_elections_flow = STAGE_FLOWS["votes_elections"]
resolutions_flow = STAGE_FLOWS["resolutions"]
followup_flow = STAGE_FLOWS["followup"]


@flow(name="session", flow_run_name="session-{session_key}")
def advance_session(session_key: str, actor: str = "system") -> dict[str, Any] | State:
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
    while (step := next_step(session_key)) is not None:
        result = STAGE_FLOWS[step](session_key=session_key, actor=actor)
        if result["status"] == "halted":
            # nothing runs, but outcome.json still tells the session's state
            return _stopped(result, finalize(session_key, actor))
        if result["status"] == "busy":  # the run holding the session writes the outcome
            return _stopped(result, {})
        if result["status"] not in ("done", "skipped"):
            break
    # One LibreOffice start for every document this run wrote; once the session is complete, once more
    # for the audit report finalize writes, and outcome.json again so it lists that PDF too.
    outcome = _render_and_finalize(session_key, actor)
    if "stopped" not in outcome and outcome["state"] == "completed":
        outcome = _render_and_finalize(session_key, actor)
    return outcome


def _render_and_finalize(session_key: str, actor: str) -> dict[str, Any]:
    rendered = render_pdf(session_key, actor)
    if rendered.get("status") == "busy":
        return _stopped(rendered, {})
    outcome = finalize(session_key, actor)
    return _stopped(outcome, {}) if outcome.get("status") == "busy" else outcome


def _stopped(result: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    return {"state": outcome.get("state"), "waiting_for": outcome.get("waiting_for"), "stopped": result["status"],
            "message": result["message"]}
