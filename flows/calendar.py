"""Publishing a session's calendar entries to the deputies' calendars; decides nothing."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.calendar import publish_calendars


@flow(name="publish-calendars", flow_run_name="publish-calendars-{session_key}")
def publish_session_calendars(session_key: str, actor: str = "system") -> dict[str, Any]:
    """Publish every deputy's entries of one session; safe to re-run at any time."""
    return publish_calendars(session_key, actor)
