"""Follow-up commands: `congress suggestions …`, `congress resolution-items …`, `congress registers`,
`congress duty-records`, `congress records …` (letters and visits, training, reports to voters),
`congress presidium-meetings`, `congress supervision`, `congress sweep`.

Every command is one transaction: bad input prints file, line and problem in Chinese, exits 1, and
writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from cli.prefect_server import prefect_api
from congress.db import engine_for, migrate, session_scope
from congress.errors import InputError
from congress.followup import meetings, operations, records, registers, reports, sweeper
from congress.followup.common import RATING_CN, FollowupError, profile_of, resolve_township
from congress.ical.builder import local_today
from congress.messages import msg
from congress.settings import Settings, get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_INPUT = 1

Day = Annotated[date, typer.Option(formats=["%Y-%m-%d"], help="Date (YYYY-MM-DD).")]
OptDay = Annotated[date | None, typer.Option(formats=["%Y-%m-%d"], help="Date (YYYY-MM-DD).")]
ActorOpt = Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")]
Key = Annotated[str, typer.Argument(help="A township code or the key of one of its sessions.")]


@contextmanager
def _unit() -> Iterator[tuple[Session, Settings]]:
    """One transaction; staff-facing errors exit 1 with nothing written."""
    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    try:
        with session_scope(engine) as db:
            yield db, settings
    except InputError as exc:
        for problem in exc.problems:
            err.print(msg("cli.error", message=str(problem)), style="red", highlight=False)
        raise typer.Exit(EXIT_INPUT) from exc
    except (FollowupError, LookupError) as exc:
        err.print(msg("cli.error", message=str(exc)), style="red", highlight=False)
        raise typer.Exit(EXIT_INPUT) from exc


def _say(key: str, **values: Any) -> None:
    console.print(msg(key, **values), highlight=False)


def _folder(settings: Settings, code: str) -> Path:
    return Path(settings.output_dir).resolve() / code


suggestions = typer.Typer(help="Deputies' suggestions (代表建议): enter, import, hand over, reply, rate, report.",
                          no_args_is_help=True)


@suggestions.command("import")
def import_cmd(key: Key, file: Path, actor: ActorOpt = "staff") -> None:
    """Import suggestions from a CSV (UTF-8 or GBK) or an .xlsx; one bad line rejects the whole file."""
    with _unit() as (db, _):
        count = len(operations.import_suggestions(db, township=resolve_township(db, key), path=file, actor=actor))
    _say("followup.cli.imported", count=count)


@suggestions.command("add")
def add_cmd(
    key: Key, code: Annotated[str, typer.Option(help="Suggestion code, unique in the township.")],
    title: Annotated[str, typer.Option(help="Title.")],
    proposers: Annotated[str, typer.Option(help="Roster codes of the proposers, separated by commas.")],
    office: Annotated[str, typer.Option(help="Handling office.")], raised_on: Day,
    text: Annotated[str, typer.Option(help="Full text.")] = "",
    category: Annotated[str, typer.Option(help="Category.")] = "",
    complex_case: Annotated[bool, typer.Option("--complex", help="Broad or hard (longer deadline).")] = False,
    actor: ActorOpt = "staff",
) -> None:
    """Register one suggestion, raised at the session or between sessions."""
    with _unit() as (db, _):
        sg = operations.enter_suggestion(
            db, township=resolve_township(db, key), code=code, title=title, text=text,
            proposers=[p for p in proposers.replace("，", ",").split(",") if p.strip()], category=category,
            office=office, complex_case=complex_case, raised_on=raised_on, actor=actor)
        source = "大会期间" if sg.source == "session" else "闭会期间"
    _say("followup.cli.entered", code=code, source=source)


@suggestions.command("handover")
def handover_cmd(key: Key, on: Day, codes: Annotated[str | None, typer.Option(
        help="Only these codes, separated by commas (default: every suggestion not yet handed over).")] = None,
        actor: ActorOpt = "staff") -> None:
    """Hand registered suggestions over (交办) with their deadlines and a 交办函 per office."""
    with _unit() as (db, settings):
        township = resolve_township(db, key)
        rounds = operations.hand_over(db, township=township, on=on, actor=actor, settings=settings,
                                      codes=codes.split(",") if codes else None)
        folder = _folder(settings, township.code) / "交办" / on.isoformat()
    _say("followup.cli.handed_over", count=len(rounds), folder=folder)


@suggestions.command("reply")
def reply_cmd(key: Key, code: str, on: Day,
              text: Annotated[str | None, typer.Option(help="The reply's content.")] = None,
              text_file: Annotated[Path | None, typer.Option(help="A UTF-8 text file with the reply.")] = None,
              actor: ActorOpt = "staff") -> None:
    """Record the office's reply (content and date) to a suggestion or a resolution item."""
    body = text if text is not None else (text_file.read_text(encoding="utf-8") if text_file else "")
    with _unit() as (db, settings):
        rnd = operations.record_reply(db, township=resolve_township(db, key), code=code, replied_on=on, text=body,
                                      actor=actor, settings=settings)
        timing = "按期" if on <= rnd.due_on else f"逾期{(on - rnd.due_on).days}天"
    _say("followup.cli.replied", code=code, round=rnd.number, timing=timing)


@suggestions.command("rate")
def rate_cmd(key: Key, code: str, rating: Annotated[str, typer.Argument(help="满意 | 基本满意 | 不满意")], on: Day,
             comment: str = "", actor: ActorOpt = "staff") -> None:
    """Record the deputy's rating; not satisfied → handled again with a new deadline."""
    with _unit() as (db, settings):
        township = resolve_township(db, key)
        rnd = operations.record_rating(db, township=township, code=code, rating=rating, rated_on=on, actor=actor,
                                       settings=settings, comment=comment)
        item = operations.find_item(db, township, code)
        current = operations.rounds_of(db, item)[-1]
    _say("followup.cli.rated", code=code, rating=RATING_CN[rnd.rating or ""])
    if current.number > rnd.number:
        _say("followup.cli.rehandled", office=current.office, due=current.due_on.isoformat())


@suggestions.command("overdue")
def overdue_cmd(key: Key, today: OptDay = None) -> None:
    """The overdue list: items past their deadline without a reply."""

    with _unit() as (db, _):
        rows = sweeper.overdue_rounds(db, resolve_township(db, key), today=today or local_today())
    if not rows:
        _say("followup.cli.overdue_none")
    for r in rows:
        _say("followup.cli.overdue_row", code=r["code"], title=r["title"], office=r["office"],
             due=r["due_date"].isoformat(), days=r["overdue_days"],
             escalated=msg("followup.cli.escalated") if r["escalated_on"] else "")


@suggestions.command("report")
def report_cmd(session_key: Annotated[str, typer.Argument(help="The session whose suggestions are reported.")],
               as_of: Day, actor: ActorOpt = "staff") -> None:
    """Write the 代表建议办理情况报告 (for the next session) as of a date."""
    with _unit() as (db, settings):
        doc, _ = reports.handling_report(db, session_key=session_key, as_of=as_of, actor=actor, settings=settings)
        folder = _folder(settings, resolve_township(db, session_key).code) / doc.path
    _say("followup.cli.written", count=1, folder=folder)


items = typer.Typer(help="Follow-up items of adopted resolutions (决议落实事项).", no_args_is_help=True)


@items.command("add")
def item_add_cmd(session_key: str, resolution: Annotated[str, typer.Argument(help="Resolution key (report key).")],
                 code: str, title: Annotated[str, typer.Option(help="What must be done.")],
                 office: Annotated[str, typer.Option(help="Responsible office.")], on: Day, due: Day,
                 text: str = "", actor: ActorOpt = "staff") -> None:
    """Hand a resolution's follow-up item to its office with a due date; tracked like a suggestion."""
    with _unit() as (db, settings):
        operations.add_resolution_item(db, session_key=session_key, resolution_key=resolution, code=code,
                                       title=title, text=text, office=office, handed_over_on=on, due_on=due,
                                       actor=actor, settings=settings)
    _say("followup.cli.item_added", code=code, office=office, due=due.isoformat())


@items.command("import")
def item_import_cmd(session_key: str, file: Path, actor: ActorOpt = "staff") -> None:
    """Import follow-up items from a CSV or .xlsx (columns: docs/formats.md); one bad line rejects the file."""
    with _unit() as (db, settings):
        count = len(operations.import_resolution_items(db, session_key=session_key, path=file, actor=actor,
                                                       settings=settings))
    _say("followup.cli.imported", count=count)


records_app = typer.Typer(help="Register records: petitions (来信来访), trainings (学习培训), voter-reports (述职).",
                          no_args_is_help=True)


@records_app.command("import")
def records_import_cmd(kind: Annotated[str, typer.Argument(help="petitions | trainings | voter-reports")],
                       key: Key, file: Path, actor: ActorOpt = "staff") -> None:
    """Import letters and visits, trainings or reports to voters from a CSV or an .xlsx; all or nothing."""
    if kind not in records.KINDS:
        err.print(msg("cli.error", message=msg("input.bad_value", value=kind, what="记录类别（petitions、trainings、voter-reports）")),
                  style="red", highlight=False)
        raise typer.Exit(EXIT_INPUT)
    with _unit() as (db, _):
        count = records.import_records(db, township=resolve_township(db, key), kind=kind, path=file, actor=actor)
    _say("followup.cli.imported", count=count)


def _meeting_command(kind: str, flow_name: str) -> Callable[..., None]:
    def command(key: Key, file: Annotated[Path, typer.Argument(help="The meeting or activity file (YAML).")],
                actor: ActorOpt = "staff") -> None:
        with _unit() as (db, _):
            township = resolve_township(db, key)
            meeting = meetings.import_meeting(db, township=township, kind=kind, path=file, actor=actor)
            code, township_code = meeting.code, township.code
        _quiet_prefect()
        with prefect_api(get_settings()):  # a local server that stops with this command, however it ends
            from flows import followup as flows  # Prefect reads PREFECT_API_URL when it is first imported

            written = getattr(flows, flow_name)(township=township_code, code=code, actor=actor)
        _say("followup.cli.written", count=len(written), folder=_folder(get_settings(), township_code))

    command.__doc__ = ("Plan a presidium meeting (or record it held) from a YAML file, and write its notice, "
                       "calendar and record." if kind == "presidium" else
                       "Plan a supervision activity (or record it held) from a YAML file, and write its notice, "
                       "calendar and record.")
    return command


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def _registers_callback(
    key: Key, start: Annotated[date, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")],
    end: Annotated[date, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")],
    only: Annotated[str | None, typer.Option(help="Only these register keys, separated by commas.")] = None,
    actor: ActorOpt = "staff",
) -> None:
    """Write the township registers (七簿一册, config/registers.yaml) for a date range."""
    with _unit() as (db, settings):
        township = resolve_township(db, key)
        docs = registers.write_registers(db, township=township, start=start, end=end, actor=actor,
                                         settings=settings, only=only.split(",") if only else None)
        folder = _folder(settings, township.code) / "台账" / f"{start}至{end}"
    _say("followup.cli.written", count=len(docs), folder=folder)


def _duty_callback(
    key: Key, start: Annotated[date, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")],
    end: Annotated[date, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")],
    deputy: Annotated[str | None, typer.Option(help="Only these roster codes, separated by commas.")] = None,
    actor: ActorOpt = "staff",
) -> None:
    """Write each deputy's duty record (代表履职档案) for the report to voters; flag absences."""
    with _unit() as (db, settings):
        township = resolve_township(db, key)
        docs = reports.write_duty_records(db, township=township, start=start, end=end, actor=actor,
                                          settings=settings, codes=deputy.split(",") if deputy else None)
        flagged = reports.flagged_absences(db, township)
        names = {d.code: d.name for d in township.terms[-1].deputies}
        citation = profile_of(township).rule("absence_termination").citation.label
        folder = _folder(settings, township.code) / "履职档案" / f"{start}至{end}"
    _say("followup.cli.written", count=len(docs), folder=folder)
    for code, missed in flagged.items():
        err.print(msg("followup.cli.absences", name=names.get(code, code), code=code, count=len(missed),
                      citation=citation), style="yellow", highlight=False)


def _sweep_callback(today: OptDay = None, actor: ActorOpt = "sweeper") -> None:
    """Run the daily sweep flow now (what the scheduled deployment runs each morning)."""
    _quiet_prefect()
    settings = get_settings()
    migrate(engine_for(settings.database_url))
    with prefect_api(settings):  # a local server that stops with this command, however it ends
        from flows.followup import sweep  # Prefect reads PREFECT_API_URL when it is first imported

        results = sweep(today=today, actor=actor)
    for result in results:
        _say("followup.cli.swept", township=result["township"], sent=result["sent"], overdue=result["overdue"],
             escalated=result["escalated"], superseded=result["superseded"])
        if result["presidium_meeting_overdue"]:
            _say("followup.cli.meeting_due", township=result["township"], due=result["presidium_meeting_due"])


def _single(callback: Callable[..., None], help_text: str) -> typer.Typer:
    """A command group that is itself the command (`congress registers KEY --from … --to …`)."""
    # a group parses options only before its arguments unless told otherwise
    group = typer.Typer(help=help_text, invoke_without_command=True,
                        context_settings={"allow_interspersed_args": True})
    group.callback(invoke_without_command=True)(callback)
    return group


def register(app: typer.Typer) -> None:
    app.add_typer(suggestions, name="suggestions")
    app.add_typer(items, name="resolution-items")
    app.add_typer(records_app, name="records")
    app.add_typer(_single(_registers_callback, "Township registers (七簿一册) for a date range."), name="registers")
    app.add_typer(_single(_duty_callback, "Deputies' duty records (代表履职档案)."), name="duty-records")
    app.add_typer(_single(_sweep_callback, "The daily follow-up sweep, run now."), name="sweep")
    app.add_typer(_single(_meeting_command("presidium", "presidium_meeting"),
                          "Presidium meetings between sessions (主席团会议)."), name="presidium-meetings")
    app.add_typer(_single(_meeting_command("supervision", "supervision_activity"),
                          "Supervision activities (视察、执法检查、专项工作报告、调研)."), name="supervision")
