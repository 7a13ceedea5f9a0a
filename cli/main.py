"""`congress`: load a session, give the human-gate inputs, run the flows, watch the steps.

Exit status: 0 completed (or recorded), 1 bad input, 3 waiting for a human input, 4 blocked by a rule.
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from sqlalchemy import select

from congress.db import engine_for, migrate, session_scope
from congress.errors import InputError
from congress.inputs import load_attendance, load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.context import session_title
from congress.lifecycle.outcome import session_attendance
from congress.lifecycle.steps import STEPS
from congress.messages import msg
from congress.models import Document, StepRun
from congress.settings import REPO_ROOT, Settings, get_settings

app = typer.Typer(help="Township congress session orchestrator (乡镇人民代表大会会议流程).", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_INPUT, EXIT_WAITING, EXIT_BLOCKED = 1, 3, 4
STATUS_STYLE = {"done": "green", "waiting": "yellow", "blocked": "red", "failed": "red", "running": "cyan",
                "pending": "dim"}


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    migrate(engine)
    return engine


def _fail(exc: Exception) -> None:
    if isinstance(exc, InputError):
        for problem in exc.problems:
            err.print(msg("cli.error", message=str(problem)), style="red", highlight=False)
    else:
        err.print(msg("cli.error", message=str(exc)), style="red", highlight=False)
    raise typer.Exit(EXIT_INPUT)


def _record_inputs(
    settings: Settings, source: Path | None, key: str | None, *, actor: str, approve_plan: str | None,
    attendance: Path | None, tallies: Path | None, agree_resolutions: str | None, decided_on: date | None,
) -> str:
    """Load the session file and record every gate input given, in ONE transaction: all or nothing."""
    engine = _engine(settings)
    try:
        spec = load_session_file(source) if source else None
        with session_scope(engine) as db:
            if spec is not None:
                session, changed = ops.load_session(db, spec=spec, actor=actor, output_root=settings.output_dir)
                for warning in spec.warnings:
                    err.print(msg("cli.warning", message=warning), style="yellow", highlight=False)
                console.print(msg("cli.loaded", title=_title(session), key=session.key,
                                  deputies=len(ops.active_deputies(db, session)), output=session.output_dir)
                              if changed else msg("cli.unchanged", key=session.key), highlight=False)
            else:
                session = ops.get_session(db, key or "")
                if session is None:
                    raise LookupError(msg("cli.unknown_session", key=key))
            if approve_plan:
                ops.record_party_decision(db, session, subject="plan", decision="approved", approver=approve_plan,
                                          comments="", decided_on=decided_on or session.plan_date, actor=actor)
            if attendance:
                rows = load_attendance(attendance, {d.code: d.name for d in ops.active_deputies(db, session)})
                ops.record_attendance(db, session, rows, actor=actor, source=str(attendance))
            if agree_resolutions:
                ops.record_party_decision(db, session, subject="resolutions", decision="approved",
                                          approver=agree_resolutions, comments="",
                                          decided_on=decided_on or session.opening_date, actor=actor)
            if tallies:
                recorded = ops.record_tallies(db, session, load_tallies(tallies), actor=actor)
                for warning in recorded["warnings"]:
                    err.print(msg("cli.warning", message=warning), style="yellow", highlight=False)
            return session.key
    except (InputError, LookupError) as exc:
        _fail(exc)
        raise  # unreachable


def _title(session: Any) -> str:
    return session_title(session.term.township.name, session.term.ordinal, session.ordinal)


def _step_table(settings: Settings, key: str) -> Table:
    with session_scope(engine_for(settings.database_url)) as db:
        session = ops.get_session(db, key)
        assert session is not None
        runs = {r.step: r for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
        counts: dict[str, int] = {}
        for doc in db.scalars(select(Document).where(Document.session_id == session.id)):
            counts[doc.step] = counts.get(doc.step, 0) + 1
        table = Table(title=msg("cli.table.title", title=_title(session)), expand=False)
        for column in ("#", msg("cli.table.step"), msg("cli.table.status"), msg("cli.table.finished"),
                       msg("cli.table.outputs"), msg("cli.table.message")):
            table.add_column(column, overflow="fold")
        for i, step in enumerate(STEPS, start=1):
            run = runs.get(step)
            status = run.status if run else "pending"
            finished = run.finished_at.astimezone().strftime("%H:%M:%S") if run and run.finished_at else ""
            table.add_row(str(i), msg(f"step.{step}"), f"[{STATUS_STYLE[status]}]{msg(f'status.{status}')}[/]",
                          finished, str(counts.get(step, "")), (run.message or "") if run else "")
        return table


def _run_flow(settings: Settings, key: str, actor: str, verbose: bool) -> dict[str, Any]:
    """Run the parent flow in this process while a thread redraws the step table from the database."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # the ephemeral server's telemetry heartbeat races its own SQLite file at start-up and logs a trace
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ["CONGRESS_DATABASE_URL"] = settings.database_url
    os.environ["CONGRESS_OUTPUT_DIR"] = str(settings.output_dir)
    get_settings.cache_clear()
    console.print(msg("cli.run.start", title=key), highlight=False)
    stop = threading.Event()
    with Live(_step_table(settings, key), console=console, refresh_per_second=4, transient=True) as live:
        def poll() -> None:
            while not stop.wait(0.5):
                try:
                    live.update(_step_table(settings, key))
                except Exception:  # a read racing a write; the next poll catches up
                    continue

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        try:
            from flows.session import advance_session

            result = advance_session(session_key=key, actor=actor)
        finally:
            stop.set()
            watcher.join()
    console.print(_step_table(settings, key))
    return result


def _report(settings: Settings, key: str) -> None:
    with session_scope(engine_for(settings.database_url)) as db:
        session = ops.get_session(db, key)
        assert session is not None
        state, message, gate = session.state, session.state_message, session.waiting_for
        outcome = Path(session.output_dir) / "outcome.json"
    console.print(msg("cli.run.outcome", path=outcome), highlight=False)
    if state == "completed":
        console.print(msg("cli.run.completed"), style="green")
        return
    if state == "waiting":
        console.print(message or msg("cli.run.waiting", gate=gate), style="yellow", highlight=False)
        raise typer.Exit(EXIT_WAITING)
    console.print(msg("cli.run.blocked", message=message), style="red", highlight=False)
    raise typer.Exit(EXIT_BLOCKED)


ActorOpt = Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")]
DecidedOn = Annotated[date | None, typer.Option("--decided-on", formats=["%Y-%m-%d"],
                                                help="Date of a party decision given here.")]


@app.command()
def load(session_file: Path, actor: ActorOpt = "staff") -> None:
    """Validate a session file and its roster and store them (nothing is stored if anything is wrong)."""
    _record_inputs(get_settings(), session_file, None, actor=actor, approve_plan=None, attendance=None,
                   tallies=None, agree_resolutions=None, decided_on=None)


@app.command()
def run(
    session: Annotated[str, typer.Argument(help="A session file (YAML) or the key of a loaded session.")],
    approve_plan: Annotated[str | None, typer.Option(help="Record the party committee's approval of the plan by this approver.")] = None,
    attendance: Annotated[Path | None, typer.Option(help="Attendance CSV to record.")] = None,
    tallies: Annotated[Path | None, typer.Option(help="Tallies YAML to record.")] = None,
    agree_resolutions: Annotated[str | None, typer.Option(help="Record the party committee's agreement to the draft resolutions by this approver.")] = None,
    decided_on: DecidedOn = None,
    actor: ActorOpt = "staff",
    verbose: Annotated[bool, typer.Option(help="Show Prefect's log.")] = False,
) -> None:
    """Load (if a file), record the gate inputs given, and advance the session as far as it can go."""
    settings = get_settings()
    source = Path(session) if session.endswith((".yaml", ".yml")) else None
    key = _record_inputs(settings, source, None if source else session, actor=actor, approve_plan=approve_plan,
                         attendance=attendance, tallies=tallies, agree_resolutions=agree_resolutions,
                         decided_on=decided_on)
    _run_flow(settings, key, actor, verbose)
    _report(settings, key)


@app.command()
def approve(
    session_key: str,
    approver: Annotated[str, typer.Option(help="The party committee member who decided.")],
    subject: Annotated[str, typer.Option(help="plan | resolutions")] = "plan",
    send_back: Annotated[bool, typer.Option("--send-back", help="Return it with comments instead of approving.")] = False,
    comments: Annotated[str, typer.Option(help="Comments of the decision.")] = "",
    decided_on: DecidedOn = None,
    actor: ActorOpt = "staff",
) -> None:
    """Record the party committee's decision on the plan or on the draft resolutions."""
    if subject not in ("plan", "resolutions"):
        _fail(ValueError(msg("input.bad_value", value=subject, what="审批事项（plan / resolutions）")))
    engine = _engine(get_settings())
    with session_scope(engine) as db:
        session = ops.get_session(db, session_key)
        if session is None:
            _fail(LookupError(msg("cli.unknown_session", key=session_key)))
            return
        decision = "returned" if send_back else "approved"
        day = decided_on or (session.plan_date if subject == "plan" else session.opening_date)
        ops.record_party_decision(db, session, subject=subject, decision=decision, approver=approver,
                                  comments=comments, decided_on=day, actor=actor)
    console.print(msg("cli.recorded.approval", subject="会议方案" if subject == "plan" else "决议草案",
                      decision=msg(f"decision.{decision}"), approver=approver), highlight=False)


@app.command("attendance")
def attendance_cmd(session_key: str, file: Path, actor: ActorOpt = "staff") -> None:
    """Record the deputies' attendance from a CSV."""
    _record_inputs(get_settings(), None, session_key, actor=actor, approve_plan=None, attendance=file,
                   tallies=None, agree_resolutions=None, decided_on=None)
    console.print(msg("cli.recorded.attendance", **_attendance_counts(session_key)), highlight=False)


def _attendance_counts(key: str) -> dict[str, int]:
    with session_scope(engine_for(get_settings().database_url)) as db:
        session = ops.get_session(db, key)
        statuses = session_attendance(db, session) if session else []
    return {s: statuses.count(s) for s in ("present", "leave", "absent")}


@app.command("tallies")
def tallies_cmd(session_key: str, file: Path, actor: ActorOpt = "staff") -> None:
    """Record vote tallies and election counts from a YAML file."""
    _record_inputs(get_settings(), None, session_key, actor=actor, approve_plan=None, attendance=None,
                   tallies=file, agree_resolutions=None, decided_on=None)
    parsed = load_tallies(file)
    console.print(msg("cli.recorded.tallies", votes=len(parsed.votes),
                      rounds=sum(len(e.rounds) for e in parsed.elections.values())), highlight=False)


@app.command()
def status(session_key: str) -> None:
    """Show the session's steps with their status."""
    settings = get_settings()
    _engine(settings)
    with session_scope(engine_for(settings.database_url)) as db:
        if ops.get_session(db, session_key) is None:
            _fail(LookupError(msg("cli.unknown_session", key=session_key)))
    console.print(_step_table(settings, session_key))


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its database and outputs (reset each time).")] = Path("congress-demo"),
    verbose: Annotated[bool, typer.Option(help="Show Prefect's log.")] = False,
) -> None:
    """Run the sample township session (config/sample) through every step, with all gate inputs given."""
    if folder.exists():
        shutil.rmtree(folder)
    sample = folder / "input"
    shutil.copytree(REPO_ROOT / "config" / "sample", sample)
    console.print(msg("cli.demo.copying", path=sample), highlight=False)
    settings = Settings(database_url=f"sqlite:///{(folder / 'congress.db').resolve()}",
                        output_dir=(folder / "output").resolve())
    key = _record_inputs(settings, sample / "session.yaml", None, actor="demo", approve_plan="镇党委书记（示例）",
                         attendance=sample / "attendance.csv", tallies=sample / "tallies.yaml",
                         agree_resolutions="镇党委书记（示例）", decided_on=None)
    _run_flow(settings, key, "demo", verbose)
    _report(settings, key)


sessions_app = typer.Typer(help="Loaded sessions: where their files are.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")


@sessions_app.command("move-output")
def move_output(session_key: str, actor: ActorOpt = "staff") -> None:
    """Move a session's files to the folder CONGRESS_OUTPUT_DIR names now."""
    settings = get_settings()
    with session_scope(_engine(settings)) as db:
        session = ops.get_session(db, session_key)
        if session is None:
            _fail(LookupError(msg("cli.unknown_session", key=session_key)))
            return
        try:
            old, new = ops.move_output(db, session, settings, actor=actor)
        except ops.OutputMoved as exc:
            _fail(exc)
            return
    console.print(msg("output.moved_done", key=session_key, old=old, new=new), highlight=False)


# Areas add their commands with `register(app)`, one line each.
for _module in ("cli.web", "cli.calendar", "cli.followup", "cli.audit", "cli.townships"):
    import_module(_module).register(app)


if __name__ == "__main__":
    app()
