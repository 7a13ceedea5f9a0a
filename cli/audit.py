"""Audit commands: `congress verify`, `congress backup`, `congress restore` (docs/audit.md).

Exit status as in cli.main: 0 everything holds / done, 1 bad input (unknown session, a backup that is
not one, a target that is not empty), 2 usage, 9 verify found a broken or altered record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from congress.audit.backup import BackupError, backup, restore
from congress.audit.verify import Verification, verify
from congress.db import engine_for, migrate, read_scope
from congress.messages import msg
from congress.settings import get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_INPUT, EXIT_VERIFY = 1, 9


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(msg("cli.error", message=message), style="red", highlight=False)
    raise typer.Exit(code)


def _report(result: Verification) -> None:
    for report in result.chains:
        console.print(report.summary(), style=None if report.ok else "red", highlight=False)
    if result.ok:
        console.print(result.summary(), style="green", highlight=False)
        return
    err.print(result.summary(), style="red", highlight=False)
    for finding in result.findings:
        err.print(str(finding), highlight=False)


def _run_verify(show_progress: bool, **scope: object) -> Verification:
    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    with read_scope(engine) as db:
        if not show_progress:
            return verify(db, output_root=settings.output_dir, settings=settings, **scope)  # type: ignore[arg-type]
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[item]}"), console=err, transient=True) as bar:
            task = bar.add_task(msg("audit.verify.progress"), total=None, item="")

            def advance(done: int, total: int, item: str) -> None:
                bar.update(task, completed=done, total=total, item=item)

            return verify(db, output_root=settings.output_dir, settings=settings, progress=advance,
                          **scope)  # type: ignore[arg-type]


def verify_cmd(
    session_key: Annotated[str | None, typer.Argument(help="The session to verify (its township's chain too).")] = None,
    township: Annotated[str | None, typer.Option("--township", help="Verify every session and follow-up file of "
                                                                    "this township, and its chain.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Verify every chain, session and file.")] = False,
) -> None:
    """Re-walk the audit chains, re-hash the files, recompute the outcomes; exit 9 when anything is off."""
    if sum((session_key is not None, township is not None, everything)) != 1:
        raise typer.BadParameter(msg("audit.verify.scope"))
    try:
        result = _run_verify(everything, session_key=session_key, township_code=township, everything=everything)
    except LookupError as exc:
        _fail(str(exc))
    _report(result)
    if not result.ok:
        raise typer.Exit(EXIT_VERIFY)


def backup_cmd(
    path: Annotated[Path, typer.Argument(help="An empty or new folder for the backup.")],
) -> None:
    """Back up the database (SQLite online backup / pg_dump), every output folder and a manifest."""
    try:
        manifest = backup(get_settings(), path)
    except BackupError as exc:
        _fail(str(exc))
    console.print(msg("audit.backup.written", path=path, database=manifest["database"]["file"],
                      files=len(manifest["files"]), chains=len(manifest["chains"])), highlight=False)


def restore_cmd(
    path: Annotated[Path, typer.Argument(help="A folder written by `congress backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Restore over a database or output folder that is not "
                                                         "empty.")] = False,
    actor: Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")] = "staff",
) -> None:
    """Restore a backup into the configured (empty) database and output folder, then verify everything."""
    try:
        restored = restore(get_settings(), path, force=force, actor=actor)
    except BackupError as exc:
        _fail(str(exc))
    console.print(msg("audit.restore.done", files=restored.files, output=restored.output), highlight=False)
    result = _run_verify(False, everything=True)
    _report(result)
    if not result.ok:
        raise typer.Exit(EXIT_VERIFY)


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_cmd)
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
