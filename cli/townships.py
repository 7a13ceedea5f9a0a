"""`congress townships`: the townships loaded so far, and the template folder an administrator gives one.

Exit status as in cli.main: 0 done, 1 bad input (each problem printed with its file and line).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from congress.db import engine_for, migrate, read_scope, session_scope
from congress.documents.overrides import override_folders, overrides_root, set_township_templates
from congress.errors import InputError
from congress.messages import msg
from congress.models import Township
from congress.settings import get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_INPUT = 1

townships_app = typer.Typer(help="Townships and their document template folders (乡镇与模板文件夹).",
                            no_args_is_help=True)
ActorOpt = Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")]


def _engine():  # type: ignore[no-untyped-def]
    engine = engine_for(get_settings().database_url)
    migrate(engine)
    return engine


def _fail(messages: list[str]) -> None:
    for message in messages:
        err.print(msg("cli.error", message=message), style="red", highlight=False)
    raise typer.Exit(EXIT_INPUT)


@townships_app.command("list")
def list_cmd() -> None:
    """List the townships with their template folders, and the folders an administrator can choose from."""
    settings = get_settings()
    with read_scope(_engine()) as db:
        townships = db.scalars(select(Township).order_by(Township.code)).all()
        rows = [(t.code, t.name, t.county, t.templates_dir or msg("inputs.cli.default_templates"))
                for t in townships]
    if rows:
        table = Table()
        for key in ("code", "name", "county", "templates"):
            table.add_column(msg(f"inputs.cli.column.{key}"))
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:
        console.print(msg("inputs.cli.no_townships"), highlight=False)
    folders = override_folders(settings)
    root = overrides_root(settings)
    console.print(msg("inputs.cli.folders", root=root, names="、".join(folders)) if folders
                  else msg("inputs.cli.no_folders", root=root), highlight=False)


@townships_app.command("templates")
def templates_cmd(
    code: Annotated[str, typer.Argument(help="The township's code (township.code of its session file).")],
    folder: Annotated[str | None, typer.Argument(
        help="A folder NAME under CONGRESS_TEMPLATE_OVERRIDES_DIR holding the township's templates.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Go back to the default templates.")] = False,
    actor: ActorOpt = "admin",
) -> None:
    """Give a township a template folder (checked first: names, syntax, variables, sandbox) or clear it."""
    if (folder is None) != clear:  # exactly one of FOLDER and --clear
        _fail([msg("inputs.cli.folder_or_clear")])
    settings = get_settings()
    try:
        with session_scope(_engine()) as db:
            township = db.scalar(select(Township).where(Township.code == code))
            if township is None:
                _fail([msg("inputs.cli.unknown_township", code=code)])
                return
            if clear and township.templates_dir is None:
                console.print(msg("inputs.cli.templates_unchanged", name=township.name, code=code), highlight=False)
                return
            set_township_templates(db, township=township, folder=None if clear else folder, settings=settings,
                                   actor=actor)
            name = township.name
    except InputError as exc:
        _fail([str(problem) for problem in exc.problems])
        return
    if clear:
        console.print(msg("inputs.cli.templates_cleared", name=name, code=code), highlight=False)
    else:
        files = sorted(p.name for p in (overrides_root(settings) / str(folder)).glob("*.j2")
                       if not p.name.startswith("."))
        console.print(msg("inputs.cli.templates_set", name=name, code=code, folder=folder, count=len(files),
                          names="、".join(files) or "—"), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(townships_app, name="townships")
