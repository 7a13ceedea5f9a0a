"""Follow-up operations: one function per state change, keyword-only, actor passed in, audited.

Suggestions are entered or imported (at the session or between sessions), handed over (交办) with a
deadline from the province profile, replied to, rated by the deputy, handed over again when the
deputy is not satisfied, and closed. Resolution items are handed over with the due date the
presidium sets and tracked the same way. Functions flush but do not commit: the caller owns the unit
of work, so an import with one bad line writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import rules
from congress.errors import display_path
from congress.followup import schedule
from congress.followup.common import (
    RATING_VALUES,
    FollowupError,
    TownshipOutputs,
    deputies_by_code,
    profile_of,
    safe_name,
    session_dict,
    township_context,
    township_sessions,
)
from congress.followup.inputs import ITEM_COLUMNS, SUGGESTION_COLUMNS, fail_at, item_problems, load_rows
from congress.holidays import is_rest_day
from congress.ical.builder import TZ, Entry, Person, calendar_bytes
from congress.lifecycle.context import deputy_dict
from congress.lifecycle.operations import audit
from congress.messages import msg
from congress.models import (
    CongressSession,
    HandlingRound,
    Resolution,
    ResolutionItem,
    Suggestion,
    Term,
    Township,
)
from congress.settings import Settings

Item = Suggestion | ResolutionItem


# --- lookups -----------------------------------------------------------------------------


def township_suggestions(db: Session, township: Township) -> list[Suggestion]:
    return list(db.scalars(select(Suggestion).join(CongressSession).join(Term)
                           .where(Term.township_id == township.id)
                           .order_by(CongressSession.opening_date, Suggestion.position, Suggestion.id)))


def township_items(db: Session, township: Township) -> list[ResolutionItem]:
    return list(db.scalars(select(ResolutionItem).join(Resolution).join(CongressSession).join(Term)
                           .where(Term.township_id == township.id)
                           .order_by(CongressSession.opening_date, ResolutionItem.resolution_id,
                                     ResolutionItem.position)))


def find_item(db: Session, township: Township, code: str) -> Item:
    """The suggestion or resolution item with this code in the township."""
    for item in (*township_suggestions(db, township), *township_items(db, township)):
        if item.code == code:
            return item
    raise FollowupError(msg("followup.unknown_item", code=code, township=township.name))


def rounds_of(db: Session, item: Item) -> list[HandlingRound]:
    column = HandlingRound.suggestion_id if isinstance(item, Suggestion) else HandlingRound.resolution_item_id
    return list(db.scalars(select(HandlingRound).where(column == item.id).order_by(HandlingRound.number)))


def session_for(db: Session, township: Township, day: date) -> tuple[CongressSession, str]:
    """The session a suggestion raised on `day` belongs to: the one sitting that day (source 'session'),
    else the last one before it (source 'interim': raised between sessions, reported to the next)."""
    sessions = [s for s in township_sessions(db, township) if s.opening_date <= day]
    if not sessions:
        raise FollowupError(msg("followup.no_session_before", township=township.name, day=day.isoformat()))
    latest = sessions[-1]
    return latest, "session" if day <= latest.closing_date else "interim"


# --- entering suggestions ------------------------------------------------------------------


def enter_suggestion(
    db: Session, *, township: Township, code: str, title: str, text: str, proposers: Sequence[str],
    category: str, office: str, complex_case: bool, raised_on: date, actor: str,
) -> Suggestion:
    """Register one suggestion, at the session or between sessions."""
    roster = deputies_by_code(db, township)
    unknown = [p for p in proposers if p not in roster]
    if unknown or not proposers:
        raise FollowupError(msg("followup.bad_proposers", codes="、".join(unknown) or "（无）"))
    if not code or not title or not office:
        raise FollowupError(msg("followup.missing_fields"))
    if _code_taken(db, township, code):
        raise FollowupError(msg("followup.code_taken", code=code))
    session, source = session_for(db, township, raised_on)
    position = len([s for s in township_suggestions(db, township) if s.session_id == session.id])
    suggestion = Suggestion(session_id=session.id, position=position, code=code, title=title, text=text,
                            proposers=list(proposers), category=category, office=office, complex=complex_case,
                            state="registered", source=source, raised_on=raised_on)
    db.add(suggestion)
    db.flush()
    audit(db, actor=actor, action="suggestion_registered", session=session, code=code, source=source,
          raised_on=raised_on.isoformat(), office=office)
    return suggestion


def _code_taken(db: Session, township: Township, code: str) -> bool:
    return any(i.code == code for i in (*township_suggestions(db, township), *township_items(db, township)))


def import_suggestions(db: Session, *, township: Township, path: Path, actor: str) -> list[Suggestion]:
    """Suggestions from a CSV (UTF-8 or GBK); any bad line rejects the whole file with its line number."""
    roster = set(deputies_by_code(db, township))
    rows = load_rows(path, SUGGESTION_COLUMNS, roster)
    problems = []
    for row in rows:
        if _code_taken(db, township, row.values["code"]):
            problems.append((row.line, msg("followup.code_taken", code=row.values["code"])))
        elif not [s for s in township_sessions(db, township) if s.opening_date <= row.values["raised_on"]]:
            problems.append((row.line, msg("followup.no_session_before", township=township.name,
                                           day=row.values["raised_on"].isoformat())))
    fail_at(path, problems)
    out = []
    for row in rows:
        v = row.values
        out.append(enter_suggestion(db, township=township, code=v["code"], title=v["title"], text=v["text"],
                                    proposers=v["proposers"], category=v["category"], office=v["office"],
                                    complex_case=v["complex"], raised_on=v["raised_on"], actor=actor))
    audit(db, actor=actor, action="suggestions_imported", township_id=township.id, source=display_path(path),
          count=len(out))
    return out


# --- handover (交办) -------------------------------------------------------------------------


def _open_round(db: Session, township: Township, item: Item, *, number: int, on: date, due: rules.Deadline | date,
                office: str, actor: str) -> HandlingRound:
    deadline = due if isinstance(due, rules.Deadline) else None
    rnd = HandlingRound(township_id=township.id, number=number, office=office, state="open", handed_over_on=on,
                        handed_over_by=actor, due_on=deadline.due if deadline else due,
                        due_note=deadline.note if deadline else "",
                        citation=str(deadline.citation) if deadline else "")
    if isinstance(item, Suggestion):
        rnd.suggestion_id = item.id
    else:
        rnd.resolution_item_id = item.id
    db.add(rnd)
    item.state, item.handed_over_on, item.due_on = "handed_over", on, rnd.due_on
    db.flush()
    return rnd


def suggestion_deadline(township: Township, suggestion: Suggestion, session: CongressSession,
                        on: date) -> rules.Deadline:
    """The profile's reply deadline; Shandong counts session suggestions from the closing day, and a
    suggestion raised between sessions from its handover."""
    closing = session.closing_date if suggestion.source == "session" else on
    return rules.suggestion_reply_due(profile_of(township), handover=on, closing=closing,
                                      complex_case=suggestion.complex, is_rest_day=is_rest_day)


def hand_over(db: Session, *, township: Township, on: date, actor: str, settings: Settings,
              codes: Iterable[str] | None = None) -> list[HandlingRound]:
    """The presidium hands registered suggestions to their offices (交办): deadline, round 1, 交办函."""
    wanted = set(codes) if codes is not None else None
    pending = [s for s in township_suggestions(db, township) if s.state == "registered"
               and (wanted is None or s.code in wanted)]
    if wanted is not None:
        missing = wanted - {s.code for s in pending}
        if missing:
            raise FollowupError(msg("followup.not_registered", codes="、".join(sorted(missing))))
    if not pending:
        raise FollowupError(msg("followup.nothing_to_hand_over", township=township.name))
    sessions = {s.id: s for s in township_sessions(db, township)}
    rounds = []
    for sg in pending:
        if (sg.raised_on or sessions[sg.session_id].closing_date) > on:
            raise FollowupError(msg("followup.handover_before_raised", code=sg.code, on=on.isoformat()))
        deadline = suggestion_deadline(township, sg, sessions[sg.session_id], on)
        rounds.append(_open_round(db, township, sg, number=1, on=on, due=deadline, office=sg.office, actor=actor))
    out = TownshipOutputs(db, township, settings)
    write_handover_letters(db, township, out, [(sg, sessions[sg.session_id]) for sg in pending], on=on)
    write_calendar(db, township, out, settings)
    audit(db, actor=actor, action="suggestions_handed_over", township_id=township.id, on=on.isoformat(),
          codes=[s.code for s in pending], documents=[d["path"] for d in out.written])
    return rounds


def write_handover_letters(db: Session, township: Township, out: TownshipOutputs,
                           batch: list[tuple[Suggestion, CongressSession]], *, on: date) -> None:
    """One 交办函 per office (and per session / between sessions), with the list and the full texts."""
    spec = profile_of(township).rule("suggestion_reply")
    roster = deputies_by_code(db, township)
    groups: dict[tuple[str, int, str], list[Suggestion]] = {}
    for sg, session in batch:
        groups.setdefault((sg.office, session.id, sg.source), []).append(sg)
    sessions = {s.id: s for _, s in batch}
    for (office, session_id, source), items in groups.items():
        session = sessions[session_id]
        ctx = township_context(db, township, sign_date=on, doc_number_text=out.number("handover_letter", on.year))
        ctx.update(session=session_dict(session), office=office, handover_date=on, citation=str(spec.citation),
                   reply_months={"normal": spec["months"], "complex": spec["complex_months"]},
                   suggestions=[{"code": s.code, "title": s.title, "category": s.category, "complex": s.complex,
                                 "proposers": [deputy_dict(roster[p]) for p in s.proposers if p in roster],
                                 "due_date": s.due_on, "text": s.text} for s in items])
        template = "handover_letter.md.j2" if source == "session" else "interim_handover_letter.md.j2"
        out.document("handover_letter", template, f"交办/{on.isoformat()}/交办函-{safe_name(office)}-{session.key}"
                     + ("" if source == "session" else "-闭会期间"), ctx,
                     title=f"代表建议交办函（{office}）", on=on)


def adopt_session_handovers(db: Session, *, township: Township, actor: str) -> list[HandlingRound]:
    """Open round 1 for suggestions the session's follow-up step handed over (it set state and due date)."""
    adopted = []
    for sg in township_suggestions(db, township):
        if sg.state == "handed_over" and sg.handed_over_on and sg.due_on and not rounds_of(db, sg):
            session = db.get(CongressSession, sg.session_id)
            assert session is not None
            deadline = suggestion_deadline(township, sg, session, sg.handed_over_on)
            rnd = _open_round(db, township, sg, number=1, on=sg.handed_over_on, due=deadline, office=sg.office,
                              actor=actor)
            rnd.due_on = sg.due_on  # the step's date is what the 交办函 printed
            adopted.append(rnd)
    if adopted:
        db.flush()
        audit(db, actor=actor, action="session_handovers_adopted", township_id=township.id,
              codes=[find_code(db, r) for r in adopted])
    return adopted


def find_code(db: Session, rnd: HandlingRound) -> str:
    item = item_of(db, rnd)
    return item.code


def item_of(db: Session, rnd: HandlingRound) -> Item:
    item: Item | None = (db.get(Suggestion, rnd.suggestion_id) if rnd.suggestion_id
                         else db.get(ResolutionItem, rnd.resolution_item_id))
    assert item is not None
    return item


# --- replies and ratings -----------------------------------------------------------------------


def _current_round(db: Session, item: Item) -> HandlingRound:
    rounds = rounds_of(db, item)
    if not rounds:
        raise FollowupError(msg("followup.not_handed_over", code=item.code))
    return rounds[-1]


def record_reply(db: Session, *, township: Township, code: str, replied_on: date, text: str, actor: str,
                 settings: Settings) -> HandlingRound:
    """The office's reply (答复): content and date; writes the 答复函 and, for a suggestion, the 测评表."""
    item = find_item(db, township, code)
    rnd = _current_round(db, item)
    if rnd.state != "open":
        raise FollowupError(msg("followup.already_replied", code=code, round=rnd.number))
    if replied_on < rnd.handed_over_on:
        raise FollowupError(msg("followup.reply_before_handover", code=code, on=rnd.handed_over_on.isoformat()))
    if not text.strip():
        raise FollowupError(msg("followup.empty_reply"))
    rnd.state, rnd.replied_on, rnd.reply_text, rnd.replied_by = "replied", replied_on, text.strip(), actor
    if isinstance(item, Suggestion):
        item.state = "replied"
    else:
        item.state, item.closed_on = "closed", replied_on
        rnd.state = "closed"
    db.flush()
    out = TownshipOutputs(db, township, settings)
    ctx = township_context(db, township, sign_date=replied_on)
    ctx.update(item=item_view(db, township, item, rnd), reply={"text": rnd.reply_text, "date": replied_on,
                                                             "on_time": replied_on <= rnd.due_on})
    out.document("reply_letter", "reply_letter.md.j2", f"答复/{code}-第{rnd.number}次答复函", ctx,
                 title=f"关于{item.title}的答复", on=replied_on)
    if isinstance(item, Suggestion):
        out.document("satisfaction_form", "satisfaction_form.md.j2", f"答复/{code}-第{rnd.number}次满意度测评表",
                     ctx, title=f"代表建议办理情况满意度测评表（{code}）", on=replied_on)
    write_calendar(db, township, out, settings)
    audit(db, actor=actor, action="reply_recorded", township_id=township.id, code=code, round=rnd.number,
          replied_on=replied_on.isoformat(), due_on=rnd.due_on.isoformat(), on_time=replied_on <= rnd.due_on)
    return rnd


def record_rating(db: Session, *, township: Township, code: str, rating: str, rated_on: date, actor: str,
                  settings: Settings, comment: str = "") -> HandlingRound:
    """The deputy's rating of the reply. Satisfied → closed; not satisfied → handled again with a new
    deadline (once, per the profile), then closed. Returns the rated round."""
    value = RATING_VALUES.get(rating.strip())
    if value is None:
        raise FollowupError(msg("followup.bad_rating", value=rating))
    item = find_item(db, township, code)
    if not isinstance(item, Suggestion):
        raise FollowupError(msg("followup.rating_suggestions_only", code=code))
    rnd = _current_round(db, item)
    if rnd.state != "replied":
        raise FollowupError(msg("followup.rating_needs_reply", code=code))
    if rated_on < (rnd.replied_on or rated_on):
        raise FollowupError(msg("followup.rating_before_reply", code=code))
    profile = profile_of(township)
    rnd.rating, rnd.rated_on, rnd.rating_comment, rnd.state = value, rated_on, comment, "closed"
    again = value == "unsatisfied" and rnd.number < schedule.max_rounds(profile)
    if again:
        deadline = schedule.rehandling_due(profile, rated_on=rated_on, is_rest_day=is_rest_day)
        new = _open_round(db, township, item, number=rnd.number + 1, on=rated_on, due=deadline, office=rnd.office,
                          actor=actor)
        out = TownshipOutputs(db, township, settings)
        ctx = township_context(db, township, sign_date=rated_on,
                               doc_number_text=out.number("reminder_letter", rated_on.year))
        ctx.update(office=rnd.office, mode="rehandling", citation=str(deadline.citation),
                   items=[reminder_view(db, township, new, today=rated_on)])
        out.document("reminder_letter", "reminder_letter.md.j2",
                     f"催办/{rated_on.isoformat()}/重新办理通知-{code}", ctx, title=f"代表建议重新办理通知（{code}）",
                     on=rated_on)
        write_calendar(db, township, out, settings)
    else:
        item.state, item.closed_on = "closed", rated_on
    db.flush()
    audit(db, actor=actor, action="rating_recorded", township_id=township.id, code=code, round=rnd.number,
          rating=value, rated_on=rated_on.isoformat(), rehandled=again, comment=comment)
    return rnd


# --- resolution follow-up items ------------------------------------------------------------------


def add_resolution_item(
    db: Session, *, session_key: str, resolution_key: str, code: str, title: str, text: str, office: str,
    handed_over_on: date, due_on: date, actor: str, settings: Settings,
) -> ResolutionItem:
    """A follow-up item of an adopted resolution, handed to its office with the due date the presidium set."""
    session = db.scalar(select(CongressSession).where(CongressSession.key == session_key))
    if session is None:
        raise FollowupError(msg("cli.unknown_session", key=session_key))
    township = session.term.township
    resolution = db.scalar(select(Resolution).where(Resolution.session_id == session.id,
                                                    Resolution.key.in_((resolution_key,
                                                                        f"resolution-{resolution_key}"))))
    if resolution is None or resolution.status != "adopted":
        raise FollowupError(msg("followup.unknown_resolution", key=resolution_key, session=session_key))
    problems = item_problems(code=code, title=title, office=office, text=text, dates=(handed_over_on, due_on))
    if problems:
        raise FollowupError("；".join(problems))
    if _code_taken(db, township, code):
        raise FollowupError(msg("followup.code_taken", code=code))
    if due_on <= handed_over_on:
        raise FollowupError(msg("followup.due_before_handover", due=due_on.isoformat(),
                                on=handed_over_on.isoformat()))
    position = len(db.scalars(select(ResolutionItem).where(ResolutionItem.resolution_id == resolution.id)).all())
    item = ResolutionItem(resolution_id=resolution.id, position=position, code=code, title=title, text=text,
                          office=office, state="registered")
    db.add(item)
    db.flush()
    _open_round(db, township, item, number=1, on=handed_over_on, due=due_on, office=office, actor=actor)
    write_calendar(db, township, TownshipOutputs(db, township, settings), settings)
    audit(db, actor=actor, action="resolution_item_handed_over", township_id=township.id, code=code,
          resolution=resolution.key, office=office, due_on=due_on.isoformat())
    return item


def import_resolution_items(db: Session, *, session_key: str, path: Path, actor: str,
                            settings: Settings) -> list[ResolutionItem]:
    """Resolution follow-up items from a CSV or .xlsx (决议落实事项); any bad line rejects the whole file."""
    session = db.scalar(select(CongressSession).where(CongressSession.key == session_key))
    if session is None:
        raise FollowupError(msg("cli.unknown_session", key=session_key))
    township = session.term.township
    rows = load_rows(path, ITEM_COLUMNS, set())
    adopted = set(db.scalars(select(Resolution.key).where(Resolution.session_id == session.id,
                                                          Resolution.status == "adopted")))
    problems: list[tuple[int | None, str]] = []
    for row in rows:
        v = row.values
        if v["resolution"] not in adopted and f"resolution-{v['resolution']}" not in adopted:
            problems.append((row.line, msg("followup.unknown_resolution", key=v["resolution"], session=session_key)))
        if _code_taken(db, township, v["code"]):
            problems.append((row.line, msg("followup.code_taken", code=v["code"])))
        if v["due_on"] and v["handed_over_on"] and v["due_on"] <= v["handed_over_on"]:
            problems.append((row.line, msg("followup.due_before_handover", due=v["due_on"].isoformat(),
                                           on=v["handed_over_on"].isoformat())))
    fail_at(path, problems)
    items = [add_resolution_item(db, session_key=session_key, resolution_key=row.values["resolution"],
                                 code=row.values["code"], title=row.values["title"], text=row.values["text"],
                                 office=row.values["office"], handed_over_on=row.values["handed_over_on"],
                                 due_on=row.values["due_on"], actor=actor, settings=settings) for row in rows]
    audit(db, actor=actor, action="resolution_items_imported", session=session, source=display_path(path),
          count=len(items))
    return items


# --- views for documents ---------------------------------------------------------------------------


def item_view(db: Session, township: Township, item: Item, rnd: HandlingRound | None = None) -> dict[str, Any]:
    roster = deputies_by_code(db, township)
    rnd = rnd or (rounds_of(db, item) or [None])[-1]
    if isinstance(item, Suggestion):
        kind, proposers = "suggestion", [deputy_dict(roster[p]) for p in item.proposers if p in roster]
        category, source = item.category, item.source
    else:
        kind, proposers, category, source = "resolution_item", [], "", "resolution"
    return {"kind": kind, "code": item.code, "title": item.title, "text": item.text, "category": category,
            "source": source, "proposers": proposers, "office": rnd.office if rnd else getattr(item, "office", ""),
            "round": rnd.number if rnd else 0, "handed_over_on": rnd.handed_over_on if rnd else None,
            "due_date": rnd.due_on if rnd else None}


def reminder_view(db: Session, township: Township, rnd: HandlingRound, *, today: date) -> dict[str, Any]:
    view = item_view(db, township, item_of(db, rnd), rnd)
    view.update(days_left=(rnd.due_on - today).days, overdue_days=max((today - rnd.due_on).days, 0))
    return view


# --- the township's follow-up calendar --------------------------------------------------------------


def write_calendar(db: Session, township: Township, out: TownshipOutputs, settings: Settings) -> None:
    """督办日历: each round's due date and its reminder days, for staff; answered rounds are cancelled.
    UIDs come from row ids and DTSTAMPs from stored dates, so the same data gives the same bytes."""
    profile = profile_of(township)
    host = settings.calendar_host
    entries = []
    rounds = db.scalars(select(HandlingRound).where(HandlingRound.township_id == township.id)
                        .order_by(HandlingRound.id)).all()
    for rnd in rounds:
        item = item_of(db, rnd)
        done = rnd.state != "open"
        stamp_day = (rnd.replied_on or rnd.rated_on or rnd.handed_over_on) if done else rnd.handed_over_on
        stamp = datetime.combine(stamp_day, time(9, 0), tzinfo=TZ).astimezone(UTC)
        status, sequence = ("CANCELLED", 1) if done else ("CONFIRMED", 0)
        label = "代表建议" if isinstance(item, Suggestion) else "决议落实事项"
        entries.append(Entry(uid=f"congress-round-{rnd.id}-due@{host}",
                             summary=f"{label}{item.code}答复期限（{rnd.office}）", start=rnd.due_on,
                             end=rnd.due_on + timedelta(days=1), dtstamp=stamp, sequence=sequence,
                             description=f"{item.title}\n承办单位：{rnd.office}\n第{rnd.number}次办理", status=status))
        for p in schedule.reminder_plan(profile, handed_over_on=rnd.handed_over_on, due_on=rnd.due_on):
            if p.kind != "before_due":
                continue
            entries.append(Entry(uid=f"congress-round-{rnd.id}-remind-{p.lead.lower()}@{host}",
                                 summary=f"催办：{label}{item.code}（{rnd.office}），距答复期限{(rnd.due_on - p.scheduled_on).days}天",
                                 start=p.scheduled_on, end=p.scheduled_on + timedelta(days=1), dtstamp=stamp,
                                 sequence=sequence, description=item.title, status=status))
    organizer = Person(township.presidium_name, f"urn:congress:{township.code}:presidium")
    data = calendar_bytes(entries, method="PUBLISH", organizer=organizer, name=f"{township.name}人大督办日历")
    last = max((r.handed_over_on for r in rounds), default=date(2000, 1, 1))
    out.calendar("followup_calendar", "calendar/督办日历", data, on=last)
