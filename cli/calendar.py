"""Calendar commands: reschedule, cancel, postpone and reinstate a session, feed addresses, publishing.

Exit status as in cli.main: 0 done, 1 bad input, 4 refused by a rule. Every change of a session
rewrites its outcome.json once the change is committed.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from congress import rules
from congress.calendar import feeds
from congress.calendar import operations as cal_ops
from congress.calendar.publish import publish_session, publisher_from_settings
from congress.db import engine_for, migrate, session_scope
from congress.ical.builder import TZ, local_today
from congress.lifecycle import operations as ops
from congress.lifecycle.outcome import finalize
from congress.messages import has, msg
from congress.models import Deputy, FeedToken, Term, Township
from congress.settings import Settings, get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_INPUT, EXIT_BLOCKED = 1, 4

ActorOpt = Annotated[str, typer.Option("--actor", help="Who is acting (recorded in the audit).")]


def _engine():  # type: ignore[no-untyped-def]
    engine = engine_for(get_settings().database_url)
    migrate(engine)
    return engine


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(msg("cli.error", message=message), style="red", highlight=False)
    raise typer.Exit(code)


def _session(db, key: str):  # type: ignore[no-untyped-def]
    session = ops.get_session(db, key)
    if session is None:
        _fail(msg("cli.unknown_session", key=key))
    return session


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(msg("cli.warning", message=warning), style="yellow", highlight=False)


def _outcome(settings: Settings, key: str, actor: str) -> None:
    """Rewrite outcome.json after a change, in a unit of work of its own (the change is committed)."""
    with session_scope(_engine()) as db:
        outcome = finalize(db, key, actor=actor, settings=settings)
    console.print(msg("calendar.outcome.written", path=Path(outcome["output_dir"]) / "outcome.json"), highlight=False)


def _state_name(state: str) -> str:
    return msg(f"web.state.{state}") if has(f"web.state.{state}") else state


def reschedule(
    session_key: str,
    sitting: Annotated[str, typer.Argument(help="Key of the sitting in the session file's schedule (e.g. plenary-2).")],
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="New date (YYYY-MM-DD).")],
    start: Annotated[str, typer.Option(help="New start time, HH:MM.")],
    end: Annotated[str, typer.Option(help="New end time, HH:MM.")],
    place: Annotated[str | None, typer.Option(help="New place (unchanged if omitted).")] = None,
    on: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day the change is notified (default today).")] = None,
    actor: ActorOpt = "staff",
) -> None:
    """Move a sitting after the notices went out: same UID, higher SEQUENCE, its files rewritten.

    In a postponed session, the postponement is lifted once every sitting it put off has a new date.
    """
    settings = get_settings()
    try:
        with session_scope(_engine()) as db:
            session = _session(db, session_key)
            change = cal_ops.reschedule_sitting(
                db, session=session, sitting_key=sitting, day=day.date(), start=start, end=end, place=place,
                actor=actor, settings=settings, today=on.date() if on else local_today())
            moved = next(s for s in session.sittings if s.key == sitting)
            _warn(change.warnings)
            console.print(msg("calendar.reschedule.done", title=moved.title, day=moved.day.isoformat(),
                              start=moved.start, end=moved.end, place=moved.place,
                              sequence=change.sequences.get(change.uids[0], 0), files=change.invitations),
                          highlight=False)
            if change.pending:
                console.print(msg("calendar.reschedule.still_postponed", titles="、".join(change.pending)),
                              highlight=False)
            elif change.state is not None:
                console.print(msg("calendar.reschedule.lifted", checkin=session.checkin_date.isoformat()),
                              highlight=False)
    except rules.RuleViolation as violation:
        _fail(str(violation), EXIT_BLOCKED)
    except (LookupError, ValueError, ops.OutputMoved) as exc:
        _fail(str(exc))
    if change.recorded:
        _outcome(settings, session_key, actor)


def cancel(
    session_key: str,
    sitting: Annotated[str | None, typer.Argument(help="Key of one sitting; omit to cancel the whole session.")] = None,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit).")] = "",
    actor: ActorOpt = "staff",
) -> None:
    """Cancel a sitting or the whole session: STATUS:CANCELLED, each deputy's file rewritten as METHOD:CANCEL.

    A cancelled session does not run until `congress reinstate`.
    """
    settings = get_settings()
    try:
        with session_scope(_engine()) as db:
            session = _session(db, session_key)
            change = cal_ops.cancel(db, session=session, sitting_key=sitting, reason=reason, actor=actor,
                                    settings=settings)
            if sitting is None:
                console.print(msg("calendar.cancel.session_done", key=session_key, files=change.cancellations)
                              if change.state else msg("calendar.cancel.session_already", key=session_key),
                              highlight=False)
            elif change.uids:
                titles = "、".join(dict.fromkeys(e["summary"] for e in _summaries(db, change.uids)))
                console.print(msg("calendar.cancel.done", titles=titles, files=change.cancellations), highlight=False)
            else:
                console.print(msg("calendar.cancel.already", titles=sitting), highlight=False)
    except (LookupError, ValueError, ops.OutputMoved) as exc:
        _fail(str(exc))
    if change.recorded:
        _outcome(settings, session_key, actor)


def postpone(
    session_key: str,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit and shown as the session's state).")],
    on: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day of the postponement (default today); events from this day on are put off.")] = None,
    actor: ActorOpt = "staff",
) -> None:
    """Postpone the whole session, its dates to be fixed later: it does not run, and its coming events are
    cancelled in the deputies' calendars until each sitting is rescheduled (or `congress reinstate`)."""
    settings = get_settings()
    try:
        with session_scope(_engine()) as db:
            session = _session(db, session_key)
            change = cal_ops.postpone(db, session=session, reason=reason, actor=actor, settings=settings,
                                      today=on.date() if on else local_today())
            console.print(msg("calendar.postpone.done", key=session_key, files=change.cancellations)
                          if change.state else msg("calendar.postpone.already", key=session_key), highlight=False)
    except (LookupError, ValueError, ops.OutputMoved) as exc:
        _fail(str(exc))
    if change.recorded:
        _outcome(settings, session_key, actor)


def reinstate(
    session_key: str,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit).")] = "",
    actor: ActorOpt = "staff",
) -> None:
    """Lift a cancellation or postponement: the session's earlier state comes back and its events are
    confirmed again (METHOD:REQUEST); the next `congress run` continues from the first unfinished step."""
    settings = get_settings()
    try:
        with session_scope(_engine()) as db:
            session = _session(db, session_key)
            change = cal_ops.reinstate(db, session=session, reason=reason, actor=actor, settings=settings)
            console.print(msg("calendar.reinstate.done", key=session_key, state=_state_name(change.state[1]),
                              files=change.invitations)
                          if change.state else msg("calendar.reinstate.not_halted", key=session_key), highlight=False)
    except (LookupError, ValueError, ops.OutputMoved) as exc:
        _fail(str(exc))
    if change.recorded:
        _outcome(settings, session_key, actor)


def _summaries(db, uids: list[str]) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    from congress.models import CalendarEntry

    return [{"summary": e.summary} for e in db.scalars(select(CalendarEntry).where(CalendarEntry.uid.in_(uids)))]


# --- feeds ---------------------------------------------------------------------------------------

feeds_app = typer.Typer(help="Calendar feed addresses for deputies and staff (issue, revoke, list).",
                        no_args_is_help=True)


def _township(db, code: str) -> Township:  # type: ignore[no-untyped-def]
    township = db.scalar(select(Township).where(Township.code == code))
    if township is None:
        _fail(msg("calendar.feeds.unknown_township", code=code))
    return township


def _term(db, township: Township, ordinal: int | None) -> Term:  # type: ignore[no-untyped-def]
    query = select(Term).where(Term.township_id == township.id)
    query = query.where(Term.ordinal == ordinal) if ordinal else query.order_by(Term.ordinal.desc()).limit(1)
    term = db.scalar(query)
    if term is None:
        _fail(msg("calendar.feeds.unknown_township", code=township.code))
    return term


@feeds_app.command("issue")
def feeds_issue(
    township_code: Annotated[str, typer.Argument(help="Township code (as in the session file).")],
    deputy: Annotated[str | None, typer.Option(help="A deputy's roster id.")] = None,
    office: Annotated[bool, typer.Option("--office", help="The congress office staff (every entry).")] = False,
    handler: Annotated[str | None, typer.Option(help="A handling office (its deadlines).")] = None,
    all_deputies: Annotated[Path | None, typer.Option(help="Issue for every active deputy of the term; write id, name and address to this CSV.")] = None,
    term: Annotated[int | None, typer.Option(help="Term ordinal (default: the latest).")] = None,
    actor: ActorOpt = "staff",
) -> None:
    """Issue (or re-issue, revoking the old one) a feed address; it is printed once and never stored."""
    base = get_settings().feed_base_url
    with session_scope(_engine()) as db:
        township = _township(db, township_code)
        if all_deputies is not None:
            the_term = _term(db, township, term)
            rows = []
            for d in db.scalars(select(Deputy).where(Deputy.term_id == the_term.id, Deputy.status == "active")
                                .order_by(Deputy.position)):
                _, secret = feeds.issue_token(db, township=township, kind="deputy", deputy=d, actor=actor)
                rows.append((d.code, d.name, feeds.feed_url(base, secret)))
            all_deputies.parent.mkdir(parents=True, exist_ok=True)
            with all_deputies.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["代表编号", "姓名", "日历订阅地址"])
                writer.writerows(rows)
            console.print(msg("calendar.feeds.written", count=len(rows), path=all_deputies), highlight=False)
            return
        if sum((deputy is not None, office, handler is not None)) != 1:
            _fail(msg("calendar.feeds.need_subject"))
        person = None
        if deputy is not None:
            the_term = _term(db, township, term)
            person = db.scalar(select(Deputy).where(Deputy.term_id == the_term.id, Deputy.code == deputy))
            if person is None:
                _fail(msg("calendar.feeds.unknown_deputy", term=the_term.ordinal, code=deputy))
        kind = "deputy" if person else "handler" if handler else "office"
        token, secret = feeds.issue_token(db, township=township, kind=kind, deputy=person, handler=handler,
                                          actor=actor)
        console.print(msg("calendar.feeds.issued", label=token.label, url=feeds.feed_url(base, secret)),
                      highlight=False)


@feeds_app.command("revoke")
def feeds_revoke(
    token_id: Annotated[int, typer.Argument(help="The address's number, as `congress feeds list` shows it.")],
    actor: ActorOpt = "staff",
) -> None:
    """Revoke a feed address: from now on it answers 404."""
    with session_scope(_engine()) as db:
        token = db.get(FeedToken, token_id)
        if token is None or not feeds.revoke_token(db, token=token, actor=actor):
            _fail(msg("calendar.feeds.none"))
            return
        console.print(msg("calendar.feeds.revoked", label=token.label, id=token.id), highlight=False)


@feeds_app.command("list")
def feeds_list(township_code: str) -> None:
    """List the township's feed addresses (their numbers and first characters, never the whole token)."""
    with session_scope(_engine()) as db:
        township = _township(db, township_code)
        table = Table(title=msg("calendar.feeds.table.title", township=township.name))
        for column in ("编号", "对象", "地址开头", "签发", "状态"):
            table.add_column(column)
        for t in feeds.tokens(db, township):
            state = "有效" if t.revoked_at is None else f"已停用 {t.revoked_at.astimezone(TZ):%Y-%m-%d %H:%M}"
            table.add_row(str(t.id), t.label, f"{t.token_hint}…", f"{t.issued_at.astimezone(TZ):%Y-%m-%d %H:%M}",
                          state)
        console.print(table)


# --- publishing ----------------------------------------------------------------------------------

calendar_app = typer.Typer(help="Publish calendar entries to the deputies' calendars.", no_args_is_help=True)


@calendar_app.command("publish")
def calendar_publish(session_key: str, actor: ActorOpt = "staff") -> None:
    """Publish each deputy's entries of the session: CalDAV if CONGRESS_CALDAV_URL is set, else files."""
    cal_settings = get_settings()
    publisher = publisher_from_settings(cal_settings)
    if not cal_settings.caldav_url:
        _warn([msg("calendar.publish.not_configured", path=cal_settings.publish_dir)])
    with session_scope(_engine()) as db:
        session = _session(db, session_key)
        try:
            result = publish_session(db, session, publisher, actor=actor)
        except OSError as exc:
            _fail(f"{publisher.target}: {exc}")
            return
    console.print(msg("calendar.publish.done", target=publisher.target, created=result.created,
                      updated=result.updated, unchanged=result.unchanged, calendars=result.calendars),
                  highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(reschedule)
    app.command()(cancel)
    app.command()(postpone)
    app.command()(reinstate)
    app.add_typer(feeds_app, name="feeds")
    app.add_typer(calendar_app, name="calendar")
