"""Commands for a city on several machines (docs/deploy.md): `congress worker`, `congress deployments register`
and `congress export-files`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from congress.messages import msg
from congress.settings import get_settings

console = Console()
err = Console(stderr=True)

DEFAULT_POOL = "congress"
PoolOpt = Annotated[str, typer.Option("--pool", help="The Prefect work pool (type process) the workers poll.")]

deployments_app = typer.Typer(help="The project's Prefect deployments (flows/deployments.py).", no_args_is_help=True)


def _api() -> str:
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        err.print(msg("worker.no_api"), style="red", highlight=False)
        raise typer.Exit(2)
    return api


@deployments_app.command("register")
def register_deployments(pool: PoolOpt = DEFAULT_POOL) -> None:
    """Create the work pool if needed and register every deployment of flows/deployments.py to it."""
    _api()
    from flows.deployments import register

    names = register(pool)
    console.print(msg("worker.registered", count=len(names), pool=pool, names="、".join(names)), highlight=False)


def worker(
    pool: PoolOpt = DEFAULT_POOL,
    name: Annotated[str | None, typer.Option(help="The worker's name (default: this machine's name and pid).")] = None,
    limit: Annotated[int | None, typer.Option(help="Flow runs this worker runs at once (default: no limit).")] = None,
    poll_seconds: Annotated[float, typer.Option(help="How often the worker asks for scheduled runs.")] = 2.0,
) -> None:
    """Run a Prefect worker on this machine: it takes the project's flow runs from the work pool and runs each
    in a process of its own, against PREFECT_API_URL and this machine's CONGRESS_* settings."""
    api = _api()
    settings = get_settings()
    console.print(msg("worker.starting", pool=pool, api=api), highlight=False)
    cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
    if name:
        cmd += ["--name", name]
    if limit:
        cmd += ["--limit", str(limit)]
    env = {**os.environ, "PREFECT_WORKER_QUERY_SECONDS": str(poll_seconds),
           "PREFECT_WORKER_PREFETCH_SECONDS": "5", "CONGRESS_DOCUMENT_STORE": settings.document_store}
    # the worker's own process replaces this one: signals (systemd's stop, a kill) reach it directly
    os.execvpe(cmd[0], cmd, env)


def export_files(
    session_key: str,
    folder: Annotated[Path, typer.Argument(help="Where to write the session's files (made if missing).")],
) -> None:
    """Write a session's stored documents to a folder (for staff, or to hand them on), as they are kept."""
    from congress import storage
    from congress.db import engine_for, migrate, read_scope
    from congress.lifecycle import operations as ops

    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    with read_scope(engine) as db:
        session = ops.get_session(db, session_key)
        if session is None:
            err.print(msg("storage.unknown_session", key=session_key), style="red", highlight=False)
            raise typer.Exit(1)
        store = storage.session_store(settings, session)
    written = storage.export(store, folder)
    if not written:
        console.print(msg("storage.nothing", key=session_key), highlight=False)
        return
    console.print(msg("storage.exported", count=len(written), folder=folder), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(deployments_app, name="deployments")
    app.command("worker")(worker)
    app.command("export-files")(export_files)

