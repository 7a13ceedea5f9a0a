"""`congress`: load a session, give the human-gate inputs, run the flows, watch the steps.

Exit status (EXIT_HELP below; README "Exit status"): 0 completed or recorded, 1 bad input, 2 usage,
3 waiting for a human input, 4 blocked by a rule, 5 session cancelled or postponed, 6 another run holds
the session, 7 the Prefect server did not start in time, 8 internal error (traceback in the log), 9 verify
found a broken record. No command prints a traceback: `CongressApp` has the last word on every error.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import sys
import tempfile
import threading
import traceback
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from sqlalchemy import select

from cli.prefect_server import PrefectStartError, prefect_api
from congress.db import engine_for, migrate, read_scope, session_scope
from congress.documents.preflight import require_session_templates
from congress.errors import InputError, OutputWriteError, SessionBusy, SessionHalted
from congress.inputs import load_attendance, load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.context import session_title
from congress.lifecycle.outcome import session_attendance
from congress.lifecycle.steps import STEPS
from congress.messages import msg
from congress.models import Document, StepRun
from congress.settings import REPO_ROOT, Settings, get_settings

(EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_WAITING, EXIT_BLOCKED, EXIT_HALTED, EXIT_BUSY, EXIT_PREFECT,
 EXIT_INTERNAL, EXIT_VERIFY) = range(10)
EXIT_HELP = """Exit status:
  0  completed, or the input recorded
  1  bad input (file, line, field, problem), a wrong setting (e.g. the CalDAV password), or a file or folder that cannot be written
  2  usage error (an unknown option, a missing argument)
  3  waiting for a human input
  4  blocked by a rule
  5  the session is cancelled or postponed
  6  another run of this session holds it
  7  the Prefect server did not start in time (CONGRESS_PREFECT_START_TIMEOUT)
  8  internal error: one line here, the traceback in CONGRESS_LOG_DIR
  9  congress verify found a broken or altered record"""


class CongressApp(typer.Typer):
    """The Typer app with the last word on errors: one Chinese line and an exit status, never a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _prefect_start_timeout()
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:  # SystemExit (typer.Exit, usage errors) and Ctrl-C (130) pass through
            try:
                code = report_error(exc)
            except Exception:  # the message catalogue itself is broken: still no traceback on the terminal
                sys.stderr.write(f"congress: 内部错误 internal error, log: {write_traceback(exc)}\n")
                code = EXIT_INTERNAL
            sys.exit(code)


app = CongressApp(help="Township congress session orchestrator (乡镇人民代表大会会议流程).", epilog=EXIT_HELP,
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

STATUS_STYLE = {"done": "green", "waiting": "yellow", "blocked": "red", "failed": "red", "running": "cyan",
                "interrupted": "red", "pending": "dim"}


# --- errors: what the user reads, and the log ------------------------------------------------------

# errno -> what a township user can do about it
DISK_CAUSES = {errno.ENOSPC: "no_space", errno.EDQUOT: "no_space", errno.EROFS: "read_only",
               errno.EACCES: "forbidden", errno.EPERM: "forbidden", errno.ENOENT: "missing",
               errno.ENOTDIR: "not_dir", errno.EISDIR: "is_dir", errno.EIO: "io"}


def report_error(exc: BaseException) -> int:
    """Print what went wrong in Chinese (a few lines at most) and return the exit status."""
    exc = _unwrap(exc)
    known = _known_error(exc)
    if known is None:
        log = write_traceback(exc)
        lines, code = [msg("cli.fault.internal", log=log or msg("cli.fault.no_log"))], EXIT_INTERNAL
    else:
        lines, code = known
    for line in lines:
        err.print(line, style="red", highlight=False, markup=False)
    return code


def _unwrap(exc: BaseException) -> BaseException:
    """The exception a Prefect wrapper (a failed or crashed run) carries, when it carries one."""
    seen = set()
    while type(exc).__module__.startswith("prefect") and exc.__cause__ is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__
    return exc


def _known_error(exc: BaseException) -> tuple[list[str], int] | None:
    """The lines and exit status of an error the user can act on; None for an internal error."""
    from congress import rules

    line = msg("cli.error", message=str(exc))
    if isinstance(exc, InputError):
        return [msg("cli.error", message=str(problem)) for problem in exc.problems], EXIT_INPUT
    if isinstance(exc, SessionHalted):
        return [line], EXIT_HALTED
    if isinstance(exc, SessionBusy):
        return [line], EXIT_BUSY
    if isinstance(exc, PrefectStartError):
        return [line], EXIT_PREFECT
    if isinstance(exc, RuntimeError) and "ephemeral Prefect API server" in str(exc):
        # a command that runs its flows in Prefect's own ephemeral mode (the follow-up commands)
        return [msg("cli.prefect.ephemeral_failed", log=write_traceback(exc) or msg("cli.fault.no_log"))], EXIT_PREFECT
    if isinstance(exc, rules.RuleViolation):
        return [line], EXIT_BLOCKED
    if isinstance(exc, ops.OutputMoved) or _is_user_error(exc):
        return [line], EXIT_INPUT
    if type(exc).__module__.startswith("jinja2") and type(exc).__name__ == "TemplateNotFound":
        return [msg("cli.error", message=msg("cli.fault.template_missing", name=exc,
                                            folder=get_settings().templates_dir))], EXIT_INPUT
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError | IndexError):
        return [line], EXIT_INPUT
    if isinstance(exc, OutputWriteError):  # its text is already the line for staff
        return [line], EXIT_INPUT
    if isinstance(exc, OSError) and exc.errno in DISK_CAUSES:
        path = exc.filename if exc.filename is not None else "?"
        cause = msg(f"cli.fault.disk.{DISK_CAUSES[exc.errno]}", detail=exc.strerror or str(exc))
        return [msg("cli.error", message=msg("cli.fault.disk", path=path, cause=cause))], EXIT_INPUT
    if type(exc).__module__.startswith("caldav") and type(exc).__name__ == "AuthorizationError":
        settings = get_settings()
        return [msg("cli.error", message=msg("cli.fault.caldav_auth", url=settings.caldav_url,
                                            user=settings.caldav_user))], EXIT_INPUT
    if type(exc).__name__ == "ValidationError" and type(exc).__module__.startswith("pydantic"):
        return _settings_problems(exc), EXIT_INPUT
    if type(exc).__module__.startswith("sqlalchemy") and (cause := _sqlite_cause(exc)) is not None:
        return [msg("cli.error", message=msg("cli.fault.database", url=_database(), cause=cause))], EXIT_INPUT
    return None


def _is_user_error(exc: BaseException) -> bool:
    """An error raised with a message for staff by an area of the core (follow-up, accounts)."""
    from congress.followup.common import FollowupError

    return isinstance(exc, FollowupError)


def _settings_problems(exc: Any) -> list[str]:
    lines = []
    for problem in exc.errors()[:5]:
        where = "_".join(str(p) for p in problem.get("loc", ())).upper()
        lines.append(msg("cli.error", message=msg("cli.fault.settings", name=f"CONGRESS_{where or '…'}",
                                                 problem=problem.get("msg", ""))))
    return lines or [msg("cli.error", message=str(exc))]


def _sqlite_cause(exc: BaseException) -> str | None:
    """SQLite's own words for a database file the user can fix (read-only, full, missing folder)."""
    text = str(getattr(exc, "orig", exc)).lower()
    for words, cause in (("readonly database", "read_only"), ("database or disk is full", "no_space"),
                         ("unable to open database file", "cannot_open")):
        if words in text:
            return msg(f"cli.fault.disk.{cause}", detail=text)
    return None


def _database() -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(get_settings().database_url).render_as_string(hide_password=True)
    except Exception:
        return "CONGRESS_DATABASE_URL"


def log_file() -> Path | None:
    """Today's log file under CONGRESS_LOG_DIR (or the system's temporary folder when that can't be written)."""
    try:
        folder = get_settings().log_dir
    except Exception:  # the settings themselves are wrong: still log somewhere
        folder = Path(".congress/logs")
    for candidate in (folder, Path(tempfile.gettempdir()) / "congress-logs"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            path = (candidate / f"congress-{date.today().isoformat()}.log").resolve()
            with path.open("a", encoding="utf-8"):
                return path
        except OSError:
            continue
    return None


def write_traceback(exc: BaseException) -> Path | None:
    """Append the traceback with the time and the command line to today's log; its path, or None."""
    path = log_file()
    if path is None:
        return None
    header = f"=== {datetime.now().astimezone().isoformat(timespec='seconds')} pid {os.getpid()}: congress " \
             f"{' '.join(sys.argv[1:])}\n"
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(header + "".join(traceback.format_exception(exc)) + "\n")
    except OSError:
        return None
    return path


def _prefect_start_timeout() -> None:
    """Give Prefect's own ephemeral server (the follow-up commands use it) the configured start time too."""
    if "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in os.environ:
        return
    try:
        timeout = get_settings().prefect_start_timeout
    except Exception:  # wrong settings: the command that reads them says so (and --help still works)
        return
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = str(max(1, math.ceil(timeout)))


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    migrate(engine)
    return engine


def _record_inputs(
    settings: Settings, source: Path | None, key: str | None, *, actor: str, approve_plan: str | None,
    attendance: Path | None, tallies: Path | None, agree_resolutions: str | None, decided_on: date | None,
    run: bool = False,
) -> str:
    """Load the session file and record every gate input given, in ONE transaction: all or nothing.

    With `run`, the session must be able to advance: a cancelled or postponed one is refused (exit 5) and
    its output folder must be writable (exit 1 naming it), before anything is recorded or Prefect starts.
    """
    engine = _engine(settings)
    spec = load_session_file(source) if source else None
    if run and _claimed(settings, spec.key if spec else key or ""):  # before anything is recorded
        raise SessionBusy(msg("runs.busy", key=spec.key if spec else key))
    loaded = None  # said once the transaction has committed: a refused run keeps nothing
    with session_scope(engine) as db:
        if spec is not None:
            session, changed = ops.load_session(db, spec=spec, actor=actor, output_root=settings.output_dir)
            require_session_templates(session.term.township, settings)  # before any step: file and line
            for warning in spec.warnings:
                err.print(msg("cli.warning", message=warning), style="yellow", highlight=False)
            loaded = (msg("cli.loaded", title=_title(session), key=session.key,
                          deputies=len(ops.active_deputies(db, session)), output=session.output_dir)
                      if changed else msg("cli.unchanged", key=session.key))
        else:
            session = ops.get_session(db, key or "")
            if session is None:
                raise LookupError(msg("cli.unknown_session", key=key))
        if run:
            if session.state in ops.HALTED_STATES:  # raised inside the transaction: nothing is kept
                raise SessionHalted(msg(f"runs.halted.{session.state}", key=session.key))
            _check_writable(ops.output_folder(db, session, settings))
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
        stored = session.key
    if loaded:
        console.print(loaded, highlight=False)
    return stored


def _check_writable(folder: Path) -> None:
    """Create the folder and a file in it, so a read-only or full disk is named before any step runs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".congress-write-check-"):
            pass
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from exc


def _claimed(settings: Settings, key: str) -> bool:
    from congress.lifecycle.claim import session_claimed

    return session_claimed(engine_for(settings.database_url), key)


def _title(session: Any) -> str:
    return session_title(session.term.township.name, session.term.ordinal, session.ordinal)


def _step_table(settings: Settings, key: str) -> Table:
    """The step table as the database has it now (a read-only unit of work: it never waits on the run)."""
    from congress.web.views import shown_statuses

    engine = engine_for(settings.database_url)
    with read_scope(engine) as db:
        session = ops.get_session(db, key)
        if session is None:
            raise LookupError(msg("cli.unknown_session", key=key))
        runs = {r.step: r for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
        shown = shown_statuses(engine, session.key, runs)
        counts: dict[str, int] = {}
        for doc in db.scalars(select(Document).where(Document.session_id == session.id)):
            counts[doc.step] = counts.get(doc.step, 0) + 1
        table = Table(title=msg("cli.table.title", title=_title(session)), expand=False)
        for column in ("#", msg("cli.table.step"), msg("cli.table.status"), msg("cli.table.finished"),
                       msg("cli.table.outputs"), msg("cli.table.message")):
            table.add_column(column, overflow="fold")
        for i, step in enumerate(STEPS, start=1):
            run = runs.get(step)
            status = shown.get(step, "pending")
            finished = run.finished_at.astimezone().strftime("%H:%M:%S") if run and run.finished_at else ""
            table.add_row(str(i), msg(f"step.{step}"), f"[{STATUS_STYLE[status]}]{msg(f'status.{status}')}[/]",
                          finished, str(counts.get(step, "")), (run.message or "") if run else "")
        if "interrupted" in shown.values():
            table.caption = msg("cli.status.interrupted_hint", key=session.key)
        return table


def _quiet_prefect(verbose: bool) -> None:
    """Prefect's console shows warnings only (a PDF that could not be made); its errors and their
    tracebacks go to the log file, and the command prints one line of its own."""
    import logging

    from prefect.logging.configuration import ensure_logging_setup

    ensure_logging_setup()  # Prefect's own handlers first: a root handler added before would replace them
    log = log_file()
    if log is not None:
        to_file = logging.FileHandler(log, encoding="utf-8")
        to_file.setLevel(logging.WARNING)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(to_file)  # the flow and task run loggers propagate to the root
        logging.getLogger("prefect._internal").addHandler(to_file)
    if verbose:
        return
    loggers = [logging.getLogger(), *(x for x in logging.root.manager.loggerDict.values() if isinstance(x, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.addFilter(_warnings_only)


def _warnings_only(record: Any) -> bool:
    import logging

    return record.levelno < logging.ERROR and not record.exc_info


def _run_flow(settings: Settings, key: str, actor: str, verbose: bool) -> dict[str, Any]:
    """Run the parent flow in this process while a thread redraws the step table from the database.

    Prefect runs against PREFECT_API_URL, or a local server started here and stopped with this command.
    """
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ["CONGRESS_DATABASE_URL"] = settings.database_url
    os.environ["CONGRESS_OUTPUT_DIR"] = str(settings.output_dir)
    get_settings.cache_clear()
    console.print(msg("cli.run.start", title=key), highlight=False)
    with prefect_api(settings):
        _quiet_prefect(verbose)
        from flows.session import advance_session

        stop = threading.Event()
        try:
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
                    state = advance_session(session_key=key, actor=actor, return_state=True)
                finally:
                    stop.set()
                    watcher.join()
            # the run's own exception (an unreadable file, a full disk), not Prefect's wrapper of it
            result: dict[str, Any] = state.result()
        finally:
            try:
                console.print(_step_table(settings, key))
            except Exception:  # the table is a courtesy: the error that matters is the run's
                pass
    if result.get("stopped") == "halted":
        raise SessionHalted(result["message"])
    if result.get("stopped") == "busy":
        raise SessionBusy(result["message"])
    return result


def _report(settings: Settings, key: str) -> None:
    with read_scope(engine_for(settings.database_url)) as db:
        session = ops.get_session(db, key)
        assert session is not None
        state, message, gate = session.state, session.state_message, session.waiting_for
        outcome = Path(session.output_dir) / "outcome.json"
    console.print(msg("cli.run.outcome", path=outcome), highlight=False)
    if state == "completed":
        console.print(msg("cli.run.completed"), style="green")
        return
    if state in ops.HALTED_STATES:
        raise SessionHalted(msg(f"runs.halted.{state}", key=key))
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
                         decided_on=decided_on, run=True)
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
        err.print(msg("cli.error", message=msg("input.bad_value", value=subject, what="审批事项（plan / resolutions）")),
                  style="red", highlight=False)
        raise typer.Exit(EXIT_INPUT)
    engine = _engine(get_settings())
    with session_scope(engine) as db:
        session = ops.get_session(db, session_key)
        if session is None:
            raise LookupError(msg("cli.unknown_session", key=session_key))
        decision = "returned" if send_back else "approved"
        day = decided_on or (session.plan_date if subject == "plan" else session.opening_date)
        ops.record_party_decision(db, session, subject=subject, decision=decision, approver=approver,
                                  comments=comments, decided_on=day, actor=actor)
    console.print(msg("cli.recorded.approval", subject="会议方案" if subject == "plan" else "决议草案",
                      decision=msg(f"decision.{decision}"), approver=approver), highlight=False)


@app.command("attendance")
def attendance_cmd(session_key: str, file: Path, actor: ActorOpt = "staff") -> None:
    """Record the deputies' attendance from a CSV or an .xlsx."""
    _record_inputs(get_settings(), None, session_key, actor=actor, approve_plan=None, attendance=file,
                   tallies=None, agree_resolutions=None, decided_on=None)
    console.print(msg("cli.recorded.attendance", **_attendance_counts(session_key)), highlight=False)


def _attendance_counts(key: str) -> dict[str, int]:
    with read_scope(engine_for(get_settings().database_url)) as db:
        session = ops.get_session(db, key)
        statuses = session_attendance(db, session) if session else []
    return {s: statuses.count(s) for s in ("present", "leave", "absent")}


@app.command("tallies")
def tallies_cmd(session_key: str, file: Path, actor: ActorOpt = "staff") -> None:
    """Record vote tallies and election counts from a YAML file or an .xlsx."""
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
    console.print(_step_table(settings, session_key))


DEMO_SAMPLES = {"default": "sample", "first-term": "sample-first-term"}  # --sample → folder under config/
DemoSample = Literal["default", "first-term"]


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its database and outputs (reset each time).")] = Path("congress-demo"),
    verbose: Annotated[bool, typer.Option(help="Show Prefect's log.")] = False,
    sample_name: Annotated[DemoSample, typer.Option("--sample", help=(
        "default: a regular session with a by-election (config/sample); first-term: the first session of a "
        "term after the 2026 general election, the whole slate elected (config/sample-first-term)."))] = "default",
) -> None:
    """Run a sample township session through every step, with all gate inputs given."""
    if folder.exists():
        shutil.rmtree(folder)
    sample = folder / "input"
    shutil.copytree(REPO_ROOT / "config" / DEMO_SAMPLES[sample_name], sample)
    console.print(msg("cli.demo.copying", path=sample), highlight=False)
    settings = Settings(database_url=f"sqlite:///{(folder / 'congress.db').resolve()}",
                        output_dir=(folder / "output").resolve())
    early = None if os.environ.get("PREFECT_API_URL") else _EarlyPrefect(settings)
    try:
        key = _record_inputs(settings, sample / "session.yaml", None, actor="demo", approve_plan="李国栋（镇党委书记）",
                             attendance=sample / "attendance.csv", tallies=sample / "tallies.yaml",
                             agree_resolutions="李国栋（镇党委书记）", decided_on=None, run=True)
        if early is not None:
            if not verbose:  # as _run_flow sets them: Prefect reads its settings when first imported
                os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
            os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
            import_module("flows.session")  # importing Prefect (seconds) overlaps the server's start too
            early.wait()  # _run_flow then talks to it as to any server PREFECT_API_URL names
        _run_flow(settings, key, "demo", verbose)
    finally:
        if early is not None:
            early.stop()
    _report(settings, key)


class _EarlyPrefect:
    """The demo's local Prefect server, started in a thread as the demo begins, so that its first start (a
    fresh PREFECT_HOME builds its database: most of a cold demo) overlaps loading the sample and importing
    the flows instead of following them. Its address is known (and set) at once, before Prefect is imported.

    The thread lives until `stop`: Linux sends the server its parent-death signal when the *thread* that
    started it ends, not only the process."""

    def __init__(self, settings: Settings):
        from cli.prefect_server import free_port

        self.port = free_port()
        self.proc: Any = None
        self.error: BaseException | None = None
        self.ready, self.done = threading.Event(), threading.Event()
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{self.port}/api"
        self.thread = threading.Thread(target=self._start, args=(settings,), daemon=True)
        self.thread.start()

    def _start(self, settings: Settings) -> None:
        from cli.prefect_server import start_prefect_server

        try:
            self.proc, _ = start_prefect_server(settings.log_dir, port=self.port, timeout=settings.prefect_start_timeout,
                                                services=False, announce="cli.prefect.starting",
                                                failed="cli.prefect.failed")
        except BaseException as exc:  # raised in the main thread by wait()
            self.error = exc
        finally:
            self.ready.set()
        self.done.wait()

    def wait(self) -> None:
        self.ready.wait()
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        from cli.prefect_server import _drain_prefect, stop_prefect_server

        self.ready.wait()
        try:
            if self.proc is not None:
                _drain_prefect()  # the flow's last logs and events reach the server before it stops
                stop_prefect_server(self.proc)
        finally:
            self.done.set()
            self.thread.join()
            os.environ.pop("PREFECT_API_URL", None)


sessions_app = typer.Typer(help="Loaded sessions: where their files are.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")


@sessions_app.command("move-output")
def move_output(session_key: str, actor: ActorOpt = "staff") -> None:
    """Move a session's files to the folder CONGRESS_OUTPUT_DIR names now."""
    settings = get_settings()
    with session_scope(_engine(settings)) as db:
        session = ops.get_session(db, session_key)
        if session is None:
            raise LookupError(msg("cli.unknown_session", key=session_key))
        old, new = ops.move_output(db, session, settings, actor=actor)
    console.print(msg("output.moved_done", key=session_key, old=old, new=new), highlight=False)


# Areas add their commands with `register(app)`, one line each.
for _module in ("cli.web", "cli.calendar", "cli.followup", "cli.audit", "cli.townships", "cli.data",
                "cli.deputies", "cli.worker"):
    import_module(_module).register(app)


if __name__ == "__main__":
    app()
