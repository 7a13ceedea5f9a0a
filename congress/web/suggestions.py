"""Deputies' suggestions in the dashboard: the list by deadline (overdue in red), entering a new one,
handover (交办), the office's reply and the deputy's rating.

Every change goes through the follow-up operations (congress/followup/operations.py) with the
logged-in user as the actor, so the deadlines, the documents and the audit are those of the CLI and
the daily sweep. An operation's refusal (FollowupError) is shown beside the form and nothing is
written: the request's unit of work is rolled back before the page is drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import limits, storage
from congress.followup import operations as fops
from congress.followup.common import RATING_CN, STATE_CN, FollowupError, deputies_by_code, safe_name
from congress.ical.builder import local_today
from congress.messages import msg
from congress.models import (
    AuditEvent,
    CongressSession,
    Deputy,
    Document,
    FollowupDocument,
    HandlingRound,
    Suggestion,
    Township,
)
from congress.profiles import Citation
from congress.web import render, stored, views
from congress.web.deps import (
    DB,
    PERMISSIONS,
    CheckedViewer,
    CurrentViewer,
    Key,
    RowId,
    Viewer,
    settings_of,
    visible_session,
)
from congress.web.security import FormBounds, safe_path

router = APIRouter()

# who may enter, hand over, reply and rate (township roles act only within their own township)
EDITORS = PERMISSIONS["suggestions"]
RATINGS = ("满意", "基本满意", "不满意")
NOTICES = ("entered", "handed_over", "replied", "rated", "rehandled")




def _as_of(request: Request) -> date:
    """The day the list is drawn for (`?today=YYYY-MM-DD`, like `congress suggestions overdue --today`)."""
    try:
        return date.fromisoformat(request.query_params.get("today", ""))
    except ValueError:
        return local_today()


def _require_editor(who: Viewer) -> None:
    if who.user.role not in EDITORS:
        raise HTTPException(403)


def _township(db: Session, who: Viewer, code: str) -> Township:
    township = db.scalar(select(Township).where(Township.code == code))
    if township is None or not who.sees(code):
        raise HTTPException(404)
    return township


def _visible_suggestion(db: Session, who: Viewer, sid: int) -> tuple[Suggestion, CongressSession, Township]:
    suggestion = db.get(Suggestion, sid)
    if suggestion is None:
        raise HTTPException(404)
    session = db.get(CongressSession, suggestion.session_id)
    assert session is not None
    township = session.term.township
    if not who.sees(township.code):
        raise HTTPException(404)
    return suggestion, session, township


def citation_label(text: str) -> str:
    """A round's stored citation (`file.md 第N条`) as staff read it: 《代表法》第五十一条."""
    try:
        return Citation.parse(text).label
    except ValueError:
        return text


def _back(target: Any, default: str) -> str:
    return safe_path(target, default)


def _notice(request: Request) -> str | None:
    notice = request.query_params.get("notice")
    return notice if notice in NOTICES else None


# --- read models ------------------------------------------------------------------------------


@dataclass
class Row:
    suggestion: Suggestion
    session: CongressSession
    township: Township
    rounds: list[HandlingRound]
    proposers: list[str]  # 姓名（编号）
    overdue: bool
    overdue_days: int

    @property
    def current(self) -> HandlingRound | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def rating(self) -> str | None:
        """The latest rating given (in Chinese)."""
        rated = [r for r in self.rounds if r.rating]
        return RATING_CN.get(rated[-1].rating or "", rated[-1].rating) if rated else None

    @property
    def office(self) -> str:
        return self.current.office if self.current else self.suggestion.office

    @property
    def state(self) -> str:
        return STATE_CN.get(self.suggestion.state, self.suggestion.state)


def _names(roster: dict[str, Deputy], codes: list[str]) -> list[str]:
    return [f"{roster[c].name}（{c}）" if c in roster else c for c in codes]


def rows_for(db: Session, sessions: list[CongressSession], as_of: date) -> list[Row]:
    """The suggestions of these sessions by reply deadline (not yet handed over last), each with its
    handling rounds. Overdue: the current deadline passed and the office has not replied."""
    by_id = {s.id: s for s in sessions}
    if not by_id:
        return []
    suggestions = list(db.scalars(select(Suggestion).where(Suggestion.session_id.in_(by_id))))
    rounds: dict[int, list[HandlingRound]] = {}
    if suggestions:
        for r in db.scalars(select(HandlingRound).where(HandlingRound.suggestion_id.in_([s.id for s in suggestions]))
                            .order_by(HandlingRound.number)):
            rounds.setdefault(r.suggestion_id or 0, []).append(r)
    rosters: dict[int, dict[str, Deputy]] = {}
    rows = []
    for sg in suggestions:
        session = by_id[sg.session_id]
        township = session.term.township
        if township.id not in rosters:
            rosters[township.id] = deputies_by_code(db, township)
        overdue = sg.due_on is not None and sg.due_on < as_of and sg.state == "handed_over"
        rows.append(Row(sg, session, township, rounds.get(sg.id, []), _names(rosters[township.id], sg.proposers),
                        overdue, (as_of - sg.due_on).days if overdue and sg.due_on else 0))
    rows.sort(key=lambda r: (r.suggestion.due_on or date.max, r.township.code, r.suggestion.code))
    return rows


@dataclass
class Handover:
    """One 交办 batch: its day, the user, the codes and the letters written."""

    on: str
    actor: str
    codes: list[str]
    letters: list[FollowupDocument] = field(default_factory=list)


def handovers(db: Session, township: Township, limit: int = 5) -> list[Handover]:
    """The township's latest handover batches (from the audit the operation wrote), with their letters."""
    events = db.scalars(select(AuditEvent).where(AuditEvent.township_id == township.id,
                                                 AuditEvent.action == "suggestions_handed_over")
                        .order_by(AuditEvent.id.desc()).limit(limit))
    docs = _followup_docs(db, township)
    out = []
    for e in events:
        letters = [docs[p] for p in e.detail.get("documents", []) if p in docs and p.endswith(".docx")]
        out.append(Handover(e.detail.get("on", ""), e.actor, list(e.detail.get("codes", [])), letters))
    return out


def _followup_docs(db: Session, township: Township) -> dict[str, FollowupDocument]:
    return {d.path: d for d in db.scalars(select(FollowupDocument).where(FollowupDocument.township_id == township.id)
                                          .order_by(FollowupDocument.id))}


def documents_of(db: Session, township: Township, session: CongressSession,
                 sg: Suggestion) -> tuple[list[FollowupDocument], list[Document]]:
    """The follow-up documents about one suggestion — its 交办函 (the letter to its office in each
    batch it was handed over in), 答复函, 满意度测评表 and 重新办理通知 — and, when the session's own
    step handed it over, that step's 交办函 for its office."""
    docs = _followup_docs(db, township)
    paths: list[str] = []
    for batch in handovers(db, township, limit=1000):
        if sg.code in batch.codes:
            letters = [d.path for d in batch.letters]
            mine = [p for p in letters if f"交办函-{safe_name(sg.office)}-" in p]
            paths += mine or letters
    for path in docs:
        name = Path(path).name
        if path.startswith(f"答复/{sg.code}-第") or name == f"重新办理通知-{sg.code}.docx":
            paths.append(path)
    found = [docs[p] for p in dict.fromkeys(paths) if p in docs]
    step_letters = list(db.scalars(select(Document).where(Document.session_id == session.id,
                                                          Document.kind == "handover_letter")))
    step_letters = [d for d in step_letters if Path(d.path).stem == f"交办函-{sg.office}"]
    return found, step_letters


# --- the lists ------------------------------------------------------------------------------------


def _list_page(request: Request, db: Session, who: Viewer, *, township: Township | None,
               session: CongressSession | None, status_code: int = 200, error: str | None = None,
               form: dict[str, Any] | None = None) -> Response:
    as_of = _as_of(request)
    if session is not None:
        sessions = [session]
    else:
        sessions = views.sessions_for(db, township.code if township else None)
    townships = [] if township is not None else list(db.scalars(select(Township).order_by(Township.code)))
    return render.page(
        request, "suggestions.html", status_code=status_code, who=who, session=session, township=township,
        townships=townships, rows=rows_for(db, sessions, as_of), today=as_of,
        can_edit=who.user.role in EDITORS and township is not None, batches=handovers(db, township) if township else [],
        error=error, form=form or {}, notice=_notice(request), handover_day=(form or {}).get("on") or local_today(),
        back=request.url.path,
    )


@router.get("/suggestions")
def suggestions_all(request: Request, who: CurrentViewer, db: DB) -> Response:
    """A township's suggestions (the viewer's own; `?township=` for county roles), or every township's."""
    code = request.query_params.get("township") or who.user.township_code
    township = _township(db, who, code) if code else None
    return _list_page(request, db, who, township=township, session=None)


@router.get("/sessions/{key}/suggestions")
def suggestions(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    session = visible_session(db, who, key)
    return _list_page(request, db, who, township=session.term.township, session=session)


# --- handover ---------------------------------------------------------------------------------------


@router.post("/suggestions/handover")
async def hand_over(request: Request, who: CheckedViewer, db: DB) -> Response:
    """交办 the chosen registered suggestions: deadlines from the profile, round 1, the 交办函."""
    _require_editor(who)
    form = await request.form()
    township = _township(db, who, str(form.get("township", ""))[:64])
    bounds = FormBounds("handover")
    codes = bounds.items((str(c).strip() for c in form.getlist("codes") if str(c).strip()), "codes",
                         most=limits.MAX_LIST_ITEMS, max_chars=32, label="建议编号")
    back = _back(bounds.text(form, "back", max_chars=512, label="返回地址"), "/suggestions")
    on = bounds.day(form.get("on"), "on", label="交办日期")
    error = bounds.first
    if error is not None:
        pass  # a value out of bounds
    elif not codes:
        error = msg("web.suggestions.choose")
    else:
        try:
            fops.hand_over(db, township=township, on=on, codes=codes, actor=who.name, settings=settings_of(request))
        except FollowupError as exc:
            error = str(exc)
    if error is not None:
        db.rollback()
        values = {"on": str(form.get("on", ""))[:10], "codes": codes}
        last = back.rsplit("/", 1)[-1]
        if back.startswith("/suggestions/") and last.isascii() and last.isdigit() and 0 < int(last) <= limits.MAX_ROW_ID:
            suggestion, session, township = _visible_suggestion(db, who, int(last))
            return _detail_page(request, db, who, suggestion, session, township, status_code=422,
                                errors={"handover": error}, form=values)
        session = None
        if back.startswith("/sessions/") and back.split("/")[2]:
            session = visible_session(db, who, back.split("/")[2][:64])
        return _list_page(request, db, who, township=township, session=session, status_code=422, error=error,
                          form=values)
    return RedirectResponse(f"{back}?notice=handed_over", status_code=303)


# --- entering a new suggestion ----------------------------------------------------------------------


def _new_page(request: Request, db: Session, who: Viewer, township: Township, *, form: dict[str, Any],
              error: str | None = None, status_code: int = 200) -> Response:
    roster = list(deputies_by_code(db, township).values())
    known = fops.township_suggestions(db, township)
    return render.page(request, "suggestions_new.html", status_code=status_code, who=who, township=township,
                       roster=[d for d in roster if d.status == "active"], form=form, error=error,
                       categories=sorted({s.category for s in known if s.category}),
                       offices=sorted({s.office for s in known if s.office}))


@router.get("/suggestions/new")
def new_form(request: Request, who: CurrentViewer, db: DB) -> Response:
    _require_editor(who)
    code = request.query_params.get("township") or who.user.township_code
    if not code:
        raise HTTPException(404)
    township = _township(db, who, code)
    return _new_page(request, db, who, township, form={"raised_on": local_today().isoformat(), "proposers": []})


@router.post("/suggestions/new")
async def new_submit(request: Request, who: CheckedViewer, db: DB) -> Response:
    _require_editor(who)
    form = await request.form()
    township = _township(db, who, str(form.get("township", ""))[:64])
    bounds = FormBounds("suggestion")
    # each within its column (congress/models/suggestion.py), the text within MAX_TEXT_CHARS
    values: dict[str, Any] = {k: bounds.text(form, k, max_chars=n, label=label) for k, n, label in (
        ("code", 32, "编号"), ("title", 256, "标题"), ("category", 64, "类别"), ("office", 128, "承办单位"),
        ("text", limits.MAX_TEXT_CHARS, "建议内容"), ("raised_on", 10, "提出日期"))}
    # codes typed in order (the first is the lead proposer), then the ticked ones, each once
    more = bounds.text(form, "more_proposers", max_chars=limits.MAX_TEXT_CHARS, label="领衔和附议代表")
    typed = more.replace("，", ",").replace("、", ",").split(",")
    ticked = [str(p) for p in form.getlist("proposers")]
    values["proposers"] = bounds.items(dict.fromkeys(p.strip() for p in [*typed, *ticked] if p.strip()), "proposers",
                                       most=limits.MAX_DEPUTIES, max_chars=32, label="代表编号")
    values["complex"] = bool(form.get("complex"))
    values["more_proposers"] = more
    raised_on = bounds.day(values["raised_on"], "raised_on", label="提出日期") if not bounds.problems else None
    error = bounds.first
    if error is not None:
        pass  # a value out of bounds
    elif not values["text"]:
        error = msg("web.suggestions.empty_text")
    else:
        try:
            suggestion = fops.enter_suggestion(
                db, township=township, code=values["code"], title=values["title"], text=values["text"],
                proposers=values["proposers"], category=values["category"], office=values["office"],
                complex_case=values["complex"], raised_on=raised_on, actor=who.name)
        except FollowupError as exc:
            error = str(exc)
    if error is not None:
        db.rollback()
        return _new_page(request, db, who, township, form=values, error=error, status_code=422)
    return RedirectResponse(f"/suggestions/{suggestion.id}?notice=entered", status_code=303)


# --- one suggestion: its rounds, documents, reply and rating -----------------------------------------


def _detail_page(request: Request, db: Session, who: Viewer, suggestion: Suggestion, session: CongressSession,
                 township: Township, *, status_code: int = 200, errors: dict[str, str] | None = None,
                 form: dict[str, Any] | None = None) -> Response:
    row = rows_for(db, [session], _as_of(request))
    this = next(r for r in row if r.suggestion.id == suggestion.id)
    docs, step_letters = documents_of(db, township, session, suggestion)
    current = this.current
    # handed over by the session's own step, not yet adopted by the sweep: the reply adopts it first
    can_reply = (current is not None and current.state == "open") or (current is None and suggestion.state ==
                                                                       "handed_over")
    return render.page(request, "suggestions_detail.html", status_code=status_code, who=who, row=this,
                       session=session, township=township, documents=docs, step_letters=step_letters,
                       can_edit=who.user.role in EDITORS, can_reply=can_reply,
                       can_rate=current is not None and current.state == "replied", ratings=RATINGS,
                       rating_cn=RATING_CN, errors=errors or {}, form=form or {}, notice=_notice(request),
                       default_day=local_today(), citation_label=citation_label)


@router.get("/suggestions/{sid:int}")
def detail(sid: RowId, request: Request, who: CurrentViewer, db: DB) -> Response:
    suggestion, session, township = _visible_suggestion(db, who, sid)
    return _detail_page(request, db, who, suggestion, session, township)


@router.post("/suggestions/{sid:int}/reply")
async def reply(sid: RowId, request: Request, who: CheckedViewer, db: DB) -> Response:
    """The office's reply: content and date → 答复函 and 满意度测评表."""
    _require_editor(who)
    suggestion, session, township = _visible_suggestion(db, who, sid)
    form = await request.form()
    bounds = FormBounds("reply")
    values = {"replied_on": bounds.text(form, "replied_on", max_chars=10, label="答复日期"),
              "text": bounds.text(form, "text", label="答复内容")}
    replied_on = bounds.day(values["replied_on"], "replied_on", label="答复日期") if not bounds.problems else None
    error = bounds.first
    if error is None:
        try:
            if suggestion.state == "handed_over" and not fops.rounds_of(db, suggestion):
                fops.adopt_session_handovers(db, township=township, actor=who.name)
            fops.record_reply(db, township=township, code=suggestion.code, replied_on=replied_on, text=values["text"],
                              actor=who.name, settings=settings_of(request))
        except FollowupError as exc:
            error = str(exc)
    if error is not None:
        db.rollback()
        return _detail_page(request, db, who, suggestion, session, township, status_code=422,
                            errors={"reply": error}, form=values)
    return RedirectResponse(f"/suggestions/{sid}?notice=replied", status_code=303)


@router.post("/suggestions/{sid:int}/rating")
async def rating(sid: RowId, request: Request, who: CheckedViewer, db: DB) -> Response:
    """The deputy's rating; 不满意 opens another round with a new deadline (as the operation decides)."""
    _require_editor(who)
    suggestion, session, township = _visible_suggestion(db, who, sid)
    form = await request.form()
    bounds = FormBounds("rating")
    values = {"rating": bounds.text(form, "rating", max_chars=16, label="测评结果"),
              "rated_on": bounds.text(form, "rated_on", max_chars=10, label="测评日期"),
              "comment": bounds.text(form, "comment", label="意见")}
    rated_on = bounds.day(values["rated_on"], "rated_on", label="测评日期") if not bounds.problems else None
    error = bounds.first
    rounds_before = len(fops.rounds_of(db, suggestion))
    if error is not None:
        pass  # a value out of bounds
    elif not values["rating"]:
        error = msg("web.suggestions.choose_rating")
    else:
        try:
            fops.record_rating(db, township=township, code=suggestion.code, rating=values["rating"],
                               rated_on=rated_on, comment=values["comment"], actor=who.name,
                               settings=settings_of(request))
        except FollowupError as exc:
            error = str(exc)
    if error is not None:
        db.rollback()
        return _detail_page(request, db, who, suggestion, session, township, status_code=422,
                            errors={"rating": error}, form=values)
    notice = "rehandled" if len(fops.rounds_of(db, suggestion)) > rounds_before else "rated"
    return RedirectResponse(f"/suggestions/{sid}?notice={notice}", status_code=303)


# --- follow-up files ------------------------------------------------------------------------------------


@router.get("/suggestions/files/{doc_id:int}")
def download(doc_id: RowId, request: Request, who: CurrentViewer, db: DB, format: str = "") -> Response:
    """A follow-up document of the viewer's township (under <output>/<township code>/)."""
    doc = db.get(FollowupDocument, doc_id)
    township = db.get(Township, doc.township_id) if doc is not None else None
    if doc is None or township is None or not who.sees(township.code):
        raise HTTPException(404)
    rel = doc.path[:-5] + ".pdf" if format == "pdf" and doc.path.endswith(".docx") else doc.path
    return stored.download(storage.township_store(settings_of(request), township.code), rel)
