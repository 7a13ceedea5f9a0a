"""Follow-up flows: the daily sweeper over every township, and the small flows of presidium meetings
and supervision activities. They only put tasks in order; the decisions are in congress.followup."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from prefect import flow

from congress.ical.builder import local_today
from tasks.followup import list_townships, meeting_documents, sweep_township

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

SWEEPER_DEPLOYMENT_NAME = "daily"


@flow(name="sweep", flow_run_name="sweep-{today}", log_prints=True)
def sweep(today: date | None = None, actor: str = "sweeper") -> list[dict[str, Any]]:
    """Send what is due, mark what is overdue, escalate and audit, in every township, for day `today`."""
    day = today or local_today()
    return [sweep_township(code, day, actor) for code in list_townships()]


@flow(name="presidium-meeting", flow_run_name="presidium-meeting-{township}-{code}", log_prints=True)
def presidium_meeting(township: str, code: str, actor: str = "system") -> list[dict[str, str]]:
    """Notice, calendar and (once held) record of one presidium meeting between sessions."""
    return meeting_documents(township, "presidium", code, actor)


@flow(name="supervision-activity", flow_run_name="supervision-{township}-{code}", log_prints=True)
def supervision_activity(township: str, code: str, actor: str = "system") -> list[dict[str, str]]:
    """Notice, calendar and (once held) record of one inspection, enforcement check or work report."""
    return meeting_documents(township, "supervision", code, actor)


def sweeper_deployment() -> RunnerDeployment:
    """The daily sweep at 08:00 China time, served by `congress serve`."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    return sweep.to_deployment(
        name=SWEEPER_DEPLOYMENT_NAME, schedule=Cron("0 8 * * *", timezone="Asia/Shanghai"),
        description="Daily follow-up sweep: reminders, overdue marks, escalations, audit (every township).",
        tags=["congress", "followup"], entrypoint_type=EntrypointType.MODULE_PATH,
    )
