"""One flow per lifecycle stage and a parent flow that advances a session to its next gate or its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow

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
def advance_session(session_key: str, actor: str = "system") -> dict[str, Any]:
    """Advance one session from its recorded state until a human gate, a blocking rule, or the end."""
    while (step := next_step(session_key)) is not None:
        result = STAGE_FLOWS[step](session_key=session_key, actor=actor)
        if result["status"] not in ("done", "skipped"):
            break
    # One LibreOffice start for every document this run wrote; once the session is complete, once more
    # for the audit report finalize writes, and outcome.json again so it lists that PDF too.
    render_pdf(session_key, actor)
    outcome = finalize(session_key, actor)
    if outcome["state"] == "completed":
        render_pdf(session_key, actor)
        outcome = finalize(session_key, actor)
    return outcome
