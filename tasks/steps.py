"""Coarse tasks: one per lifecycle step per township. Only I/O failures that may pass are retried.

A session that is cancelled or postponed (SessionHalted) or held by another run (SessionBusy) is not a
failure of the task: it returns {"status": "halted" | "busy", "message": ...} and the flow ends cleanly.
"""

from __future__ import annotations

import errno
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run, task_run

from congress.db import engine_for, read_scope, session_scope
from congress.errors import SessionBusy, SessionHalted
from congress.lifecycle import operations as ops
from congress.lifecycle import outcome as outcome_mod
from congress.lifecycle import steps
from congress.lifecycle.waiting import waiting
from congress.messages import msg
from congress.settings import get_settings


def _step_run_name() -> str:
    params = task_run.parameters
    return f"{params['step'].replace('_', '-')}-{params['session_key']}"


# a full, read-only or forbidden disk stays so for the seconds a retry waits: say so at once instead
PERMANENT_IO = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR,
                errno.EISDIR}


def _retry_on_io(task, task_run, state) -> bool:  # type: ignore[no-untyped-def]
    """Retry a failed write that may pass (a network share, a busy disk); never a rule or a data error."""
    try:
        state.result()
    except OSError as exc:  # errno None: not the system's (e.g. Jinja's TemplateNotFound is an OSError too)
        return exc.errno is not None and exc.errno not in PERMANENT_IO
    except Exception:
        return False
    return False


def stopped(exc: SessionHalted | SessionBusy, **extra: Any) -> dict[str, Any]:
    """The result of a task that found the session halted or busy: nothing was done, nothing failed."""
    return {**extra, "status": "halted" if isinstance(exc, SessionHalted) else "busy", "message": str(exc)}


@task(name="lifecycle-step", task_run_name=_step_run_name, retries=2, retry_delay_seconds=[2, 5],
      retry_condition_fn=_retry_on_io)
def run_step(session_key: str, step: str, actor: str) -> dict[str, Any]:
    """Run one lifecycle step of one session and publish what it produced as an artifact."""
    settings = get_settings()
    try:
        with session_scope(engine_for(settings.database_url)) as db:
            result = steps.run_step(db, session_key, step, actor=actor, settings=settings,
                                    flow_run_id=str(flow_run.id) if flow_run.id else None)
    except (SessionHalted, SessionBusy) as exc:
        return stopped(exc, step=step, gate=None, documents=0)
    if result.status != "skipped":
        create_markdown_artifact(
            key=f"{step.replace('_', '-')}-{session_key}",
            markdown=_summary(session_key, result),
            description=f"{msg(f'step.{step}')}：{msg(f'status.{result.status}')}",
        )
    return {"step": result.step, "status": result.status, "message": result.message, "gate": result.gate,
            "documents": len(result.documents)}


def _summary(session_key: str, result: steps.StepResult) -> str:
    lines = [f"## {msg(f'step.{result.step}')} · {session_key}", "",
             f"**状态**：{msg(f'status.{result.status}')}"]
    if result.message:
        lines += ["", f"**说明**：{result.message}"]
    if result.documents:
        lines += ["", "| 文件 | sha256 |", "| --- | --- |"]
        shown = result.documents[:40]
        lines += [f"| {d['path']} | `{d['sha256'][:16]}…` |" for d in shown]
        if len(result.documents) > len(shown):
            lines.append(f"| …… 共{len(result.documents)}个文件 | |")
    return "\n".join(lines)


@task(name="next-step", task_run_name="next-step-{session_key}")
def next_step(session_key: str) -> str | None:
    """The first unfinished step of the session, read from the database; None when every step is done,
    and when the session waits at a gate whose input has not come in (running it would stop there again)."""
    settings = get_settings()
    with read_scope(engine_for(settings.database_url)) as db:
        step = steps.next_step(db, session_key)
        session = ops.get_session(db, session_key)
        gate = waiting(db, session) if session is not None else None
        if gate is not None and gate.step == step and not gate.answered:
            return None
        return step


@task(name="finalize", task_run_name="outcome-{session_key}", retries=2, retry_delay_seconds=[2, 5],
      retry_condition_fn=_retry_on_io)
def finalize(session_key: str, actor: str) -> dict[str, Any]:
    """Write outcome.json (and the audit report once complete) and publish the step table."""
    settings = get_settings()
    try:
        with session_scope(engine_for(settings.database_url)) as db:
            outcome = outcome_mod.finalize(db, session_key, actor=actor, settings=settings)
    except SessionBusy as exc:
        return stopped(exc, state=None, waiting_for=None)
    rows = [f"| {s['title']} | {msg('status.' + s['status'])} | {s['finished'] or ''} | {s['message'] or ''} |"
            for s in outcome["steps"]]
    create_markdown_artifact(
        key=f"outcome-{session_key}",
        markdown="\n".join([f"## {outcome['session']['title']}", "", "| 步骤 | 状态 | 完成时间 | 说明 |",
                            "| --- | --- | --- | --- |", *rows, "",
                            f"文件 {len(outcome['documents'])} 个，日历 {len(outcome['calendars'])} 个。"]),
        description=f"{outcome['session']['title']}：{outcome['session']['state']}",
    )
    return {"state": outcome["session"]["state"], "waiting_for": outcome["session"]["waiting_for"]}
