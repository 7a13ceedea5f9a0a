"""PDF rendering: one task per session and run, converting every document whose PDF is missing or stale."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import MissingContextError
from prefect.logging import get_logger

from congress.db import engine_for, session_scope
from congress.documents import pdf
from congress.errors import SessionBusy
from congress.lifecycle import operations as ops
from congress.messages import msg
from congress.settings import get_settings
from tasks.steps import _retry_on_io, stopped


@task(name="render-pdf", task_run_name="render-pdf-{session_key}", retries=1, retry_delay_seconds=[5],
      retry_condition_fn=_retry_on_io)
def render_pdf(session_key: str, actor: str) -> dict[str, Any]:
    """Render the session's new and changed .docx files to PDF with LibreOffice, in batches."""
    settings = get_settings()
    try:
        with session_scope(engine_for(settings.database_url)) as db:
            session = ops.get_session(db, session_key)
            if session is None:
                raise LookupError(msg("cli.unknown_session", key=session_key))
            report = pdf.render_missing(db, session, settings, actor=actor)
    except SessionBusy as exc:  # another run took the session meanwhile: it renders what it writes
        return stopped(exc, rendered=0, up_to_date=0, starts=0, skipped=None)
    try:
        logger = get_run_logger()
    except MissingContextError:  # called as render_pdf.fn() outside a run
        logger = get_logger("congress.render")
    if report.skipped:
        # A warning shows on the console even when Prefect's log is quiet: staff should know PDFs are
        # missing unless they turned them off.
        (logger.info if settings.render_pdf == "off" else logger.warning)(report.skipped)
        notice = report.skipped
    elif report.rendered:
        notice = msg("pdf.rendered", count=len(report.rendered), starts=report.starts,
                     seconds=f"{report.seconds:.1f}", up_to_date=report.up_to_date)
        logger.info(notice)
    else:
        notice = msg("pdf.up_to_date", up_to_date=report.up_to_date)
    if report.rendered or report.skipped:
        lines = [f"## PDF · {session_key}", "", notice]
        if report.rendered:
            lines += ["", "| PDF |", "| --- |", *(f"| {p} |" for p in report.rendered[:40])]
            if len(report.rendered) > 40:
                lines.append(f"| …… 共{len(report.rendered)}个文件 |")
        create_markdown_artifact(key=f"render-pdf-{session_key}", markdown="\n".join(lines), description=notice)
    return {"rendered": len(report.rendered), "up_to_date": report.up_to_date, "starts": report.starts,
            "skipped": report.skipped}
