"""Deputies' personal links: `congress deputies links KEY [--reissue CODE | --all]`.

KEY is a township code or one of its sessions' keys. Without an option the command lists every deputy of
the township's current term with the address of their own page (the link the QR code on their 会议通知
carries); --reissue issues a new link for one deputy and --all for every deputy (the old ones stop working).
Exit status as in cli.main: 0 done, 1 bad input, 2 usage.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console

from congress.db import engine_for, migrate, session_scope
from congress.deputies import links
from congress.followup.common import FollowupError, current_term, resolve_township
from congress.lifecycle.context import cn_number
from congress.messages import msg
from congress.settings import get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_INPUT, EXIT_USAGE = 1, 2

deputies_app = typer.Typer(help="Deputies' own page: their personal links (the QR code on each 会议通知).",
                           no_args_is_help=True)


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(msg("cli.error", message=message), style="red", highlight=False)
    raise typer.Exit(code)


@deputies_app.command("links")
def deputies_links(
    key: Annotated[str, typer.Argument(help="Township code, or the key of one of its sessions.")],
    reissue: Annotated[str | None, typer.Option("--reissue", help="A deputy's roster id: issue them a new link.")] = None,
    all_deputies: Annotated[bool, typer.Option("--all", help="Issue a new link for every deputy of the term.")] = False,
    actor: Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")] = "staff",
) -> None:
    """List the deputies' personal links, or re-issue one deputy's (--reissue CODE) or everyone's (--all)."""
    if reissue is not None and all_deputies:
        _fail(msg("deputies.cli.reissue_or_all"), EXIT_USAGE)
    settings = get_settings()
    engine = engine_for(settings.database_url)
    migrate(engine)
    with session_scope(engine) as db:
        try:
            township = resolve_township(db, key)
            term = current_term(db, township)
        except FollowupError as exc:
            _fail(str(exc))
        rows = links.township_links(db, township, settings)
        if reissue is not None or all_deputies:
            chosen = [r for r in rows if all_deputies or r.deputy.code == reissue]
            if not chosen:
                _fail(msg("deputies.cli.unknown_deputy", code=reissue))
            for row in chosen:
                links.issue(db, deputy=row.deputy, actor=actor, settings=settings)
            console.print(msg("deputies.cli.reissued", count=len(chosen)), highlight=False)
            rows = links.township_links(db, township, settings)
            rows = [r for r in rows if r.deputy.code in {c.deputy.code for c in chosen}]
        console.print(msg("deputies.cli.header", township=township.name, term=cn_number(term.ordinal), count=len(rows)),
                      highlight=False)
        for row in rows:
            url = links.page_url(settings, row.token) if row.token else msg(
                "deputies.cli.no_link", key=key, code=row.deputy.code)
            console.print(msg("deputies.cli.row", code=row.deputy.code, name=row.deputy.name, url=url),
                          highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(deputies_app, name="deputies")
