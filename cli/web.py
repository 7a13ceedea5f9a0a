"""`congress serve` (the dashboard and what runs its flows) and `congress users` (dashboard accounts)."""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from cli.prefect_server import (  # noqa: F401  (tests import them here)
    die_with_parent,
    free_port,
    start_prefect_server,
    wait_for_http,
)
from congress.db import engine_for, migrate, session_scope
from congress.messages import msg
from congress.models import User
from congress.models.auth import ROLES
from congress.settings import get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
users_app = typer.Typer(help="Dashboard accounts: add, change a password, unlock, list.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8000,
        prefect_port: Annotated[int, typer.Option(help="Port of the Prefect server started when PREFECT_API_URL is unset (0: any free port).")] = 0,
        poll_seconds: Annotated[float, typer.Option(help="How often the flow runner asks for new runs.")] = 1.0,
        no_runner: Annotated[bool, typer.Option("--no-runner", help="Dashboard only: the city's workers run the flows (`congress worker`); needs PREFECT_API_URL.")] = False,
    ) -> None:
        """Start the web dashboard and the runner that executes its flows (and a Prefect server if none is named).

        The dashboard answers at once; the Prefect server and the runner start beside it and are restarted
        when they die (the pages say 流程服务暂停 meanwhile).
        """
        import uvicorn

        from cli.supervise import RUNNER_LOG, flow_service
        from congress.web.security import serve_refusal
        from congress.web.service import ServiceStatus

        settings = get_settings()
        # before anything starts: production serves a non-loopback address over HTTPS only
        refusal = serve_refusal(settings, host)
        if refusal is not None:
            err.print(msg("cli.error", message=refusal), style="red", highlight=False)
            raise typer.Exit(1)
        tls = ({"ssl_certfile": str(settings.tls_certfile), "ssl_keyfile": str(settings.tls_keyfile)}
               if settings.tls_certfile and settings.tls_keyfile else {})
        engine = engine_for(settings.database_url)
        migrate(engine)
        with session_scope(engine) as db:
            if db.scalar(select(User.id).limit(1)) is None:
                err.print(msg("web.serve.no_users"), style="yellow", highlight=False)
        api = os.environ.get("PREFECT_API_URL")
        server_port = None
        if no_runner and not api:
            err.print(msg("cli.error", message=msg("worker.no_api")), style="red", highlight=False)
            raise typer.Exit(2)
        if not api:
            # the port is fixed now, so a restarted server answers where the runner and the launcher look
            server_port = prefect_port or free_port()
            api = f"http://127.0.0.1:{server_port}/api"
            console.print(msg("web.serve.prefect_starting", url=api, log=settings.log_dir / "prefect-server.log"),
                          highlight=False)
        # set before Prefect is imported: the launcher in this process talks to that server
        os.environ["PREFECT_API_URL"] = api
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        status = ServiceStatus()
        service = flow_service(log_dir=settings.log_dir, status=status, api=api, server_port=server_port,
                               poll_seconds=poll_seconds, runner=not no_runner).start()
        keeper = None
        try:
            from congress.web.app import create_app
            from congress.web.launcher import Keeper
            from flows.deployments import PrefectLauncher

            web = create_app(settings)
            launcher = PrefectLauncher(status=status)
            web.state.launcher, web.state.service = launcher, status
            # starts the continuations kept while a run was still at work or the service was down
            keeper = Keeper(engine, launcher).start()
            scheme = "https" if tls else "http"
            console.print(msg("dashboard.serve.ready", url=f"{scheme}://{host}:{port}/", api=api,
                              log=settings.log_dir / RUNNER_LOG), highlight=False)
            # uvicorn re-raises a captured SIGTERM once it has shut down; exit through `finally` then,
            # so the runner and the Prefect server are stopped too instead of being orphaned
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            uvicorn.run(web, host=host, port=port, log_level="warning", **tls)  # type: ignore[arg-type]
        finally:
            if keeper is not None:
                keeper.stop()
            service.stop()


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("密码", hide_input=True)
    if typer.prompt("再次输入密码", hide_input=True) != first:
        err.print(msg("cli.error", message=msg("web.account.password_mismatch")), style="red")
        raise typer.Exit(1)
    return str(first)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]
ActorOpt = Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")]


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))],
    township: Annotated[str | None, typer.Option(help="Township code (required for staff and approver).")] = None,
    name: Annotated[str, typer.Option(help="Name shown in the dashboard.")] = "",
    password_stdin: PasswordStdin = False,
    actor: ActorOpt = "admin-cli",
) -> None:
    """Create a dashboard account."""
    from congress.web.accounts import AccountError, create_user

    password = _password(password_stdin)
    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    try:
        with session_scope(engine) as db:
            create_user(db, username=username, display_name=name or username, role=role, township_code=township,
                        password=password, actor=actor)
    except AccountError as exc:
        err.print(msg("cli.error", message=str(exc)), style="red", highlight=False)
        raise typer.Exit(1) from exc
    console.print(msg("web.account.added", username=username, role=msg(f"web.role.{role}"),
                      township=f"，{township}" if township else ""), highlight=False)


@users_app.command("passwd")
def users_passwd(username: str, password_stdin: PasswordStdin = False, actor: ActorOpt = "admin-cli") -> None:
    """Set a new password (ends the user's open log-ins)."""
    from congress.web.accounts import AccountError, get_user, set_password

    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    with session_scope(engine) as db:
        user = get_user(db, username)
        if user is None:
            err.print(msg("cli.error", message=msg("web.account.unknown", username=username)), style="red")
            raise typer.Exit(1)
        try:
            set_password(db, user=user, password=_password(password_stdin), actor=actor)
        except AccountError as exc:
            err.print(msg("cli.error", message=str(exc)), style="red", highlight=False)
            raise typer.Exit(1) from exc
    console.print(msg("web.account.password_set", username=username), highlight=False)


@users_app.command("unlock")
def users_unlock(username: str, actor: ActorOpt = "admin-cli") -> None:
    """Let an account log in again after too many failed attempts (clears its failures from every address)."""
    from congress.web.accounts import get_user, unlock

    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    with session_scope(engine) as db:
        if get_user(db, username) is None:
            err.print(msg("cli.error", message=msg("web.account.unknown", username=username)), style="red")
            raise typer.Exit(1)
        cleared = unlock(db, actor=actor, username=username)
    console.print(msg("security.users.unlocked", username=username, n=cleared), highlight=False)


@users_app.command("list")
def users_list() -> None:
    """List the dashboard accounts."""
    from rich.table import Table

    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    table = Table("用户名", "姓名", "角色", "乡镇", "状态")
    with session_scope(engine) as db:
        for u in db.scalars(select(User).order_by(User.username)):
            table.add_row(u.username, u.display_name, msg(f"web.role.{u.role}"), u.township_code or "全部",
                          "启用" if u.active else "停用")
    console.print(table)
