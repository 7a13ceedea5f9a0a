"""Coarse follow-up tasks: one call into congress.followup each, one per township. Only I/O is retried."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from congress.db import engine_for, session_scope
from congress.followup import meetings, sweeper
from congress.followup.common import township_by_code
from congress.settings import get_settings
from tasks.steps import _retry_on_io


@task(name="townships", task_run_name="townships")
def list_townships() -> list[str]:
    """Every township in the database, by code."""
    with session_scope(engine_for(get_settings().database_url)) as db:
        return sweeper.all_townships(db)


@task(name="sweep-township", task_run_name="sweep-{township}-{today}", retries=2, retry_delay_seconds=[2, 5],
      retry_condition_fn=_retry_on_io)
def sweep_township(township: str, today: date, actor: str) -> dict[str, Any]:
    """One township's daily sweep, in one transaction, published as an artifact."""
    settings = get_settings()
    with session_scope(engine_for(settings.database_url)) as db:
        result = sweeper.sweep_township(db, township=township_by_code(db, township), today=today, actor=actor,
                                        settings=settings).as_dict()
    lines = [f"## 督办巡查 · {township} · {today.isoformat()}", "",
             f"发出催办 {result['sent']} 件，逾期 {result['overdue']} 件，提请督办 {result['escalated']} 件，"
             f"补记已过期提醒 {result['superseded']} 件，在办 {result['open_rounds']} 件。"]
    if result["presidium_meeting_overdue"]:
        lines += ["", f"**主席团会议已超过规定间隔**，应于 {result['presidium_meeting_due']} 前召开。"]
    if result["documents"]:
        lines += ["", "| 文件 | sha256 |", "| --- | --- |"]
        lines += [f"| {d['path']} | `{d['sha256'][:16]}…` |" for d in result["documents"][:40]]
    create_markdown_artifact(key=f"sweep-{township}", markdown="\n".join(lines),
                             description=f"{township} {today.isoformat()} 督办巡查")
    return result


@task(name="meeting-documents", task_run_name="{kind}-{code}-{township}", retries=2, retry_delay_seconds=[2, 5],
      retry_condition_fn=_retry_on_io)
def meeting_documents(township: str, kind: str, code: str, actor: str) -> list[dict[str, str]]:
    """The notice, calendar and (once held) record of a presidium meeting or supervision activity."""
    settings = get_settings()
    with session_scope(engine_for(settings.database_url)) as db:
        written = meetings.meeting_documents(db, township=township_by_code(db, township), kind=kind, code=code,
                                             actor=actor, settings=settings)
    create_markdown_artifact(key=f"{kind}-{township}-{code.lower()}",
                             markdown="\n".join(["| 文件 | sha256 |", "| --- | --- |",
                                                 *[f"| {d['path']} | `{d['sha256'][:16]}…` |" for d in written]]),
                             description=f"{township} {code}")
    return written
