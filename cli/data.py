"""Data the way township offices keep it: `congress templates workbook …` (blank .xlsx to fill in),
`congress export …` (lists as .xlsx), `congress holidays add/show` (the State Council's arrangement by
notice), `congress law show` (the statute texts in law/).

Exit status as in cli.main: 0 done, 1 bad input (each problem printed with its file, sheet and line).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from congress import holidays, law, workbooks
from congress.db import engine_for, migrate, read_scope
from congress.documents.builder import write_bytes_atomic
from congress.messages import msg
from congress.settings import get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_INPUT = 1

Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")]
Format = Annotated[str, typer.Option("--format", help="xlsx, or json (schema docs/schema/export-1.schema.json).")]


def _fail(message: str) -> None:
    err.print(msg("cli.error", message=message), style="red", highlight=False, markup=False)
    raise typer.Exit(EXIT_INPUT)


def _emit(data: bytes, output: Path | None, *, kind: str, name: str) -> None:
    """An .xlsx to the file named, else to standard output (refused on a terminal: it is binary)."""
    if output is not None:
        write_bytes_atomic(output, data)
        err.print(msg("data.template.written", path=output), highlight=False, markup=False)
        return
    if sys.stdout.isatty():
        _fail(msg("data.template.tty", kind=kind, name=name))
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _read_db():  # type: ignore[no-untyped-def]
    engine = engine_for(get_settings().database_url)
    migrate(engine)
    return read_scope(engine)


# --- templates -----------------------------------------------------------------------------------------

templates_app = typer.Typer(help="Blank templates to fill in (空白模板).", no_args_is_help=True)


@templates_app.command("workbook")
def template_cmd(
    kind: Annotated[str, typer.Argument(help="roster | attendance | tallies | suggestions | items | petitions | "
                                             "trainings | voter-reports")],
    session: Annotated[str | None, typer.Option(
        help="A loaded session: the attendance template lists its deputies, the tallies template its votes "
             "and candidates.")] = None,
    output: Output = None,
) -> None:
    """Write a blank .xlsx for KIND that `congress` reads back (e.g. `… roster > 代表名册.xlsx`)."""
    if kind not in workbooks.TEMPLATE_KINDS:
        _fail(msg("data.template.unknown", kind=kind, kinds="、".join(workbooks.TEMPLATE_KINDS)))
    data = None
    if session is not None:
        with _read_db() as db:
            data = workbooks.session_data(db, session)
    _emit(workbooks.template(kind, session=data), output, kind=kind, name=workbooks.TEMPLATE_TITLES[kind])


# --- exports -------------------------------------------------------------------------------------------

export_app = typer.Typer(help="Lists as .xlsx workbooks (导出工作簿).", no_args_is_help=True)


@export_app.command("overdue")
def export_overdue_cmd(
    key: Annotated[str, typer.Argument(help="A township code or the key of one of its sessions.")],
    today: Annotated[date | None, typer.Option(formats=["%Y-%m-%d"], help="As of this day (default: today).")] = None,
    output: Output = None, fmt: Format = "xlsx",
) -> None:
    """The overdue list (items past their deadline without a reply) as an .xlsx (or JSON)."""
    from congress.followup.common import resolve_township
    from congress.followup.reports import overdue_sheets, overdue_title
    from congress.followup.sweeper import overdue_rounds
    from congress.ical.builder import local_today

    _check_format(fmt)
    day = today or local_today()
    with _read_db() as db:
        township = resolve_township(db, key)
        sheets = overdue_sheets(overdue_rounds(db, township, today=day), township=township, today=day)
        title, author = overdue_title(township), township.presidium_name
    _export(sheets, output, fmt, kind="overdue", title=title, author=author, day=day)


@export_app.command("county")
def export_county_cmd(output: Output = None, fmt: Format = "xlsx") -> None:
    """Every township's sessions and how far each got (the county view) as an .xlsx (or JSON)."""
    from congress.ical.builder import local_today

    _check_format(fmt)
    with _read_db() as db:
        sheets = workbooks.county_sheets(db)
    _export(sheets, output, fmt, kind="county", title=workbooks.COUNTY_TITLE, author="congress", day=local_today())


def _check_format(fmt: str) -> None:
    if fmt not in ("xlsx", "json"):
        _fail(msg("input.bad_value", value=fmt, what="格式（xlsx / json）"))


def _export(sheets: list[workbooks.Sheet], output: Path | None, fmt: str, *, kind: str, title: str, author: str,
            day: date) -> None:
    created = datetime.combine(day, time(9, 0))
    if fmt == "json":
        text = json.dumps(workbooks.export_json(sheets, kind=kind, title=title, created=created), ensure_ascii=False,
                          indent=2) + "\n"
        if output is not None:
            write_bytes_atomic(output, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        return
    _emit(workbooks.build_workbook(sheets, title=title, author=author, created=created), output, kind=kind,
          name=title)


# --- holidays ------------------------------------------------------------------------------------------

holidays_app = typer.Typer(help="Statutory holidays by the State Council's notice (节假日安排).",
                           no_args_is_help=True)
Year = Annotated[int, typer.Argument(min=2000, max=2099, help="The year (e.g. 2027).")]


@holidays_app.command("add")
def holidays_add_cmd(
    year: Year,
    file: Annotated[Path, typer.Argument(help="The year's arrangement (YAML, config/holidays/README.md).")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace a different file for the year.")] = False,
) -> None:
    """Check a year's arrangement and add it to config/holidays/ (it wins over chinese-calendar)."""
    try:
        added = holidays.add_year(year, file, replace=replace)
    except FileExistsError as exc:
        _fail(str(exc))
        return
    console.print(msg("data.holidays.added", year=year, citation=added.citation, holidays=len(added.holidays),
                      workdays=len(added.workdays), path=added.path), highlight=False, markup=False)


@holidays_app.command("show")
def holidays_show_cmd(year: Year) -> None:
    """Where a year's arrangement comes from, its holidays and its adjusted working days."""
    source = holidays.source_of(year)
    if source["kind"] == "none":  # not an error: the answer, with how to add the year
        console.print(msg("data.holidays.source.none", year=year), highlight=False, markup=False)
        return
    if source["kind"] == "notice":
        line = msg("data.holidays.source.notice", year=year, citation=source["citation"], path=source["path"])
    else:
        line = msg("data.holidays.source.package", year=year, version=source["version"])
    console.print(line, highlight=False, markup=False)
    runs, workdays = holidays.year_days(year)
    for name, first, last in runs:
        console.print(msg("data.holidays.run_line", name=name, start=first.isoformat(), end=last.isoformat(),
                          days=(last - first).days + 1), highlight=False, markup=False)
    weekdays = "一二三四五六日"
    for day in workdays:
        console.print(msg("data.holidays.workday_line", day=day.isoformat(), weekday=f"周{weekdays[day.weekday()]}"),
                      highlight=False, markup=False)
    if not runs and not workdays:
        console.print(msg("data.holidays.none_listed"), highlight=False, markup=False)


# --- statutes ------------------------------------------------------------------------------------------

law_app = typer.Typer(help="The statute texts the rules cite (law/).", no_args_is_help=True)


@law_app.command("show")
def law_show_cmd(
    name: Annotated[str, typer.Argument(help="地方组织法, 代表法, 选举法 … (a short name, the file or the title).")],
    article: Annotated[str | None, typer.Argument(help="第二十五条, or 25.")] = None,
) -> None:
    """Print an article of a statute (or, without ARTICLE, its title, version and articles)."""
    statute = law.find_statute(name)
    if statute is None:
        _fail(msg("data.law.unknown_statute", name=name,
                  names="、".join(law.short_name(f) for f in law.statute_files())))
        return
    console.print(msg("data.law.header", title=statute.title, version=statute.version or statute.file),
                  highlight=False, markup=False)
    if article is None:
        heads = list(statute.articles)
        console.print(msg("data.law.articles", count=len(heads), first=heads[0] if heads else "—",
                          last=heads[-1] if heads else "—", short=statute.short), highlight=False, markup=False)
        return
    label = law.article_label(article)
    if label is None:
        _fail(msg("data.law.bad_article", value=article))
        return
    text = statute.articles.get(label)
    if text is None:
        _fail(msg("data.law.unknown_article", statute=statute.short, article=label, count=len(statute.articles)))
        return
    console.print(text, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")
    app.add_typer(export_app, name="export")
    app.add_typer(holidays_app, name="holidays")
    app.add_typer(law_app, name="law")
