"""Calendar tasks: publish a session's entries to the deputies' calendars (one call into the core)."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from congress.calendar.publish import publish_session, publisher_from_settings
from congress.db import engine_for, session_scope
from congress.lifecycle import operations as ops
from congress.messages import msg
from congress.settings import get_settings


def _retry_on_network(task, task_run, state) -> bool:  # type: ignore[no-untyped-def]
    """Retry when the calendar server could not be reached; never on a data error nor a refused log-in."""
    try:
        state.result()
    except OSError:
        return True
    except Exception as exc:
        from caldav.lib.error import AuthorizationError

        # a wrong password stays wrong: three retries would only lock the account on the server sooner
        if isinstance(exc, AuthorizationError):
            return False
        return type(exc).__module__.startswith(("caldav", "niquests", "urllib3"))
    return False


@task(name="publish-calendars", task_run_name="publish-calendars-{session_key}", retries=3,
      retry_delay_seconds=[2, 5, 15], retry_condition_fn=_retry_on_network)
def publish_calendars(session_key: str, actor: str = "system") -> dict[str, Any]:
    """Publish every deputy's entries of the session (CalDAV or files, by the settings)."""
    settings = get_settings()
    publisher = publisher_from_settings(settings)
    with session_scope(engine_for(settings.database_url)) as db:
        session = ops.get_session(db, session_key)
        if session is None:
            raise LookupError(msg("cli.unknown_session", key=session_key))
        result = publish_session(db, session, publisher, actor=actor)
    summary = msg("calendar.publish.done", target=publisher.target, created=result.created, updated=result.updated,
                  unchanged=result.unchanged, calendars=result.calendars)
    create_markdown_artifact(key=f"calendars-{session_key}", markdown=f"## {session_key}\n\n{summary}",
                             description=summary)
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "calendars": result.calendars}
