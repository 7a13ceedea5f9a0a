"""PDF rendering: one task per session and run, converting every document whose PDF is missing or stale,
in parts, and stopping early when the gate the session waits at gets its input."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import MissingContextError
from prefect.logging import get_logger

from congress.db import engine_for, read_scope, session_scope
from congress.documents import pdf
from congress.errors import SessionBusy
from congress.lifecycle import operations as ops
from congress.lifecycle.waiting import waiting
from congress.messages import msg
from congress.settings import get_settings
from tasks.steps import _retry_on_io, stopped

# Documents per LibreOffice start: small first, so a gate's input recorded right after the gate showed
# waits for one short part (a start ~1.5 s + ~0.15 s a document here), larger later for throughput.
FIRST_PART, LARGEST_PART = 6, 48


def _gate(session_key: str) -> tuple[bool, bool]:
    """Whether the session waits at a gate, and whether that gate's input has come in since (then the
    steps go on first)."""
    with read_scope(engine_for(get_settings().database_url)) as db:
        session = ops.get_session(db, session_key)
        gate = waiting(db, session) if session is not None else None
        return gate is not None, gate is not None and gate.answered


def _gate_answered(session_key: str) -> bool:
    return _gate(session_key)[1]


@task(name="render-pdf", task_run_name="render-pdf-{session_key}", retries=1, retry_delay_seconds=[5],
      retry_condition_fn=_retry_on_io)
def render_pdf(session_key: str, actor: str) -> dict[str, Any]:
    """Render the session's new and changed .docx files to PDF with LibreOffice, part by part; each part's
    PDFs are registered (and shown) as soon as it is done. Ends early with status "answered" when the
    gate the session waits at got its input meanwhile: what is left is rendered after the next steps."""
    settings = get_settings()
    total = pdf.RenderReport()
    part, status = FIRST_PART, "done"
    try:
        while True:
            at_gate, answered = _gate(session_key)
            if answered:
                status = "answered"
                break
            # parts only while someone's input may come: otherwise one LibreOffice start for all
            limit = part if at_gate else None
            with session_scope(engine_for(settings.database_url)) as db:
                session = ops.get_session(db, session_key)
                if session is None:
                    raise LookupError(msg("cli.unknown_session", key=session_key))
                report = pdf.render_missing(db, session, settings, actor=actor, limit=limit)
            total.up_to_date = max(total.up_to_date, report.up_to_date)
            total.skipped = report.skipped
            total.rendered += report.rendered
            total.starts += report.starts
            total.seconds += report.seconds
            if report.skipped or limit is None or len(report.rendered) < limit:
                break  # nothing (more) to render
            part = min(part * 2, LARGEST_PART)
        if status == "done" and _gate_answered(session_key):
            status = "answered"  # came in during the last part: go on now rather than in a new run
    except SessionBusy as exc:  # another run took the session meanwhile: it renders what it writes
        return stopped(exc, rendered=len(total.rendered), up_to_date=total.up_to_date, starts=total.starts,
                       skipped=None)
    _publish(session_key, settings.render_pdf, total)
    done = {"rendered": len(total.rendered), "up_to_date": total.up_to_date, "starts": total.starts,
            "skipped": total.skipped}
    return {"status": status, **done} if status == "answered" else done


def _publish(session_key: str, mode: str, report: pdf.RenderReport) -> None:
    try:
        logger = get_run_logger()
    except MissingContextError:  # called as render_pdf.fn() outside a run
        logger = get_logger("congress.render")
    if report.skipped:
        # A warning shows on the console even when Prefect's log is quiet: staff should know PDFs are
        # missing unless they turned them off.
        (logger.info if mode == "off" else logger.warning)(report.skipped)
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
