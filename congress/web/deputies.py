"""The deputies' own page (/d/<token>, no log-in: the token in the path is the credential) and the staff
pages that go with it: the deputies' links (show, re-issue, revoke), the materials released to deputies,
the motions deputies co-signed, and the office of a suggestion a deputy entered.

A wrong or revoked token answers a bare 404 with an empty body, whatever follows it in the path. The
page's forms carry a form token derived from the link (an HMAC under the server's secret key), so another
site cannot post to a deputy's page even when it knows the address. As thin as a flow: the work is in
congress/deputies/.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from congress.calendar import feeds
from congress.deputies import links
from congress.deputies import operations as dops
from congress.deputies import page as dpage
from congress.documents import pdf
from congress.followup import operations as fops
from congress.followup.common import STATE_CN, township_sessions
from congress.ical.builder import local_today
from congress.messages import msg
from congress.models import (
    CongressSession,
    Deputy,
    DeputyEntry,
    DeputyLink,
    DeputyMaterial,
    FeedToken,
    MotionDraft,
    Suggestion,
    Township,
)
from congress.settings import Settings
from congress.web import render
from congress.web.deps import (
    DB,
    CheckedViewer,
    CurrentViewer,
    Key,
    RowId,
    Viewer,
    settings_of,
    visible_session,
)
from congress.web.feeds import CACHE_CONTROL, CONTENT_TYPE
from congress.web.security import FormBounds

router = APIRouter()

RATINGS = ("满意", "基本满意", "不满意")
NOTICES = ("submitted", "started", "cosigned", "rated", "rehandled")
PDF = "application/pdf"


def today(request: Request) -> date:
    """The day a deputy's entry is dated: China's today (tests set `app.state.clock`); never the client's."""
    clock: Callable[[], date] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else local_today()


def form_token(settings: Settings, token: str) -> str:
    """The form token of a deputy's page: an HMAC of the link's token, so it needs no storage."""
    return hmac.new(settings.secret_key.encode(), f"deputy-form:{token}".encode(), hashlib.sha256).hexdigest()


def _nothing() -> Response:
    return Response(status_code=404)


def _link(db: Session, token: str) -> DeputyLink | None:
    return links.resolve(db, token)


def _qr_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(links.qr_png(text)).decode()


def _page(request: Request, db: Session, link: DeputyLink, token: str, *, status_code: int = 200,
          error: str | None = None, error_at: str = "", form: dict[str, Any] | None = None) -> Response:
    settings = settings_of(request)
    data = dpage.page_data(db, link, today(request))
    webcal = links.calendar_url(settings, token)
    notice = request.query_params.get("notice", "")
    return render.page(request, "deputy.html", status_code=status_code, who=None, data=data, token=token,
                       csrf=form_token(settings, token), webcal=webcal, webcal_qr=_qr_uri(webcal),
                       ratings=RATINGS, notice=notice if notice in NOTICES else "", error=error, error_at=error_at,
                       form=form or {}, today=today(request))


async def _checked_form(request: Request, token: str) -> Any:
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, form_token(settings_of(request), token)):
        raise HTTPException(403, detail="csrf")
    return form


# --- the deputy's page ------------------------------------------------------------------------------


@router.get("/d/{link}", include_in_schema=False)
def deputy_page(link: str, request: Request, db: DB) -> Response:
    found = _link(db, link)
    if found is None:
        return _nothing()
    return _page(request, db, found, link)


@router.api_route("/d/{link}/calendar.ics", methods=["GET", "HEAD"], include_in_schema=False)
def deputy_calendar(link: str, request: Request, db: DB) -> Response:
    """The deputy's own calendar feed through the link (what webcal:// subscribes to)."""
    found = _link(db, link)
    if found is None:
        return _nothing()
    # the deputy's feed as a feed token would build it; a negative id keeps its cache entries apart
    stand_in = FeedToken(id=-found.id, township_id=found.township_id, kind="deputy", deputy_id=found.deputy_id,
                         label="", token_sha256="", token_hint="", issued_at=found.issued_at, issued_by="")
    built = feeds.build_feed(db, stand_in)
    headers = {"ETag": built.etag, "Cache-Control": CACHE_CONTROL,
               "Content-Disposition": 'inline; filename="calendar.ics"'}
    if request.headers.get("if-none-match") == built.etag:
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(built.body))
        return Response(content=b"", media_type=CONTENT_TYPE, headers=headers)
    return Response(content=built.body, media_type=CONTENT_TYPE, headers=headers)


@router.get("/d/{link}/materials/{material_id}", include_in_schema=False)
def deputy_material(link: str, material_id: str, request: Request, db: DB) -> Response:
    """A released material of the deputy's own term, as its PDF."""
    found = _link(db, link)
    material = db.get(DeputyMaterial, int(material_id)) if found and material_id.isdigit() and len(material_id) < 10 \
        else None
    session = db.get(CongressSession, material.session_id) if material is not None else None
    deputy = db.get(Deputy, found.deputy_id) if found is not None else None
    if (material is None or session is None or deputy is None or material.released_at is None
            or session.term_id != deputy.term_id):
        return _nothing()
    path = dops.upload_path(settings_of(request), material.path)
    if path is None:
        return _nothing()
    return FileResponse(path, media_type=PDF, filename=f"{material.title}.pdf", content_disposition_type="inline")


def _own(db: Session, link: DeputyLink, sid: str) -> Suggestion | None:
    if not sid.isdigit() or len(sid) > 9:
        return None
    return next((s for s in dops.own_suggestions(db, link) if s.id == int(sid)), None)


@router.get("/d/{link}/suggestions/{sid}/reply.pdf", include_in_schema=False)
def deputy_reply_letter(link: str, sid: str, request: Request, db: DB) -> Response:
    """The reply letter (答复函) to the deputy's own suggestion as PDF: the one beside the .docx, or made now
    by LibreOffice (a read-only request: no transaction is held while it renders)."""
    found = _link(db, link)
    suggestion = _own(db, found, sid) if found is not None else None
    if found is None or suggestion is None:
        return _nothing()
    settings = settings_of(request)
    docx = dpage.reply_letter_file(db, found, suggestion.code, settings.output_dir)
    db.rollback()  # nothing below reads the database
    if docx is None:
        return _nothing()
    target = docx.with_suffix(".pdf")
    if not target.is_file() or target.stat().st_mtime < docx.stat().st_mtime:
        if pdf.soffice_binary() is None:
            return _nothing()
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / docx.name
            shutil.copyfile(docx, source)
            made, _ = pdf.convert_to_pdf([source])
            data = made.get(source)
        if not data:
            return _nothing()
        part = target.with_suffix(".pdf.part")
        part.write_bytes(data)
        part.replace(target)
    return FileResponse(target, media_type=PDF, filename=target.name, content_disposition_type="inline")


def _redirect(token: str, notice: str, anchor: str) -> Response:
    return RedirectResponse(f"/d/{token}?notice={notice}#{anchor}", status_code=303)


def _refused(request: Request, db: Session, link: DeputyLink, token: str, exc: dops.DeputyPageError, at: str,
             form: dict[str, Any]) -> Response:
    db.rollback()
    return _page(request, db, link, token, status_code=exc.status, error=str(exc), error_at=at, form=form)


@router.post("/d/{link}/suggestions", include_in_schema=False)
async def deputy_submit(link: str, request: Request, db: DB) -> Response:
    found = _link(db, link)
    if found is None:
        return _nothing()
    form = await _checked_form(request, link)
    bounds = FormBounds("suggestion")
    values = {"title": bounds.text(form, "title", max_chars=dops.TITLE_CHARS, label="标题"),
              "text": bounds.text(form, "text", label="内容"),
              "category": bounds.text(form, "category", max_chars=64, label="类别")}
    photo = form.get("photo")
    data = None
    if isinstance(photo, UploadFile) and photo.filename:
        data = await photo.read(dops.limits.MAX_FILE_BYTES["photo"] + 1)
    try:
        if bounds.first:
            raise dops.DeputyPageError(bounds.first)
        dops.submit_suggestion(db, link=found, data=dops.NewSuggestion(values["title"], values["text"],
                                                                       values["category"], data or None),
                               today=today(request), settings=settings_of(request))
    except dops.DeputyPageError as exc:
        return _refused(request, db, found, link, exc, "suggest", values)
    return _redirect(link, "submitted", "mine")


@router.post("/d/{link}/motions", include_in_schema=False)
async def deputy_motion(link: str, request: Request, db: DB) -> Response:
    found = _link(db, link)
    if found is None:
        return _nothing()
    form = await _checked_form(request, link)
    bounds = FormBounds("motion")
    values = {"motion_title": bounds.text(form, "title", max_chars=dops.TITLE_CHARS, label="案由"),
              "motion_text": bounds.text(form, "text", label="内容")}
    session = dpage.next_session(db, dops.deputy_of(db, found), today(request))
    try:
        if bounds.first:
            raise dops.DeputyPageError(bounds.first)
        if session is None:
            raise dops.DeputyPageError(msg("deputies.no_session"))
        dops.start_motion(db, link=found, session=session, title=values["motion_title"], text=values["motion_text"])
    except dops.DeputyPageError as exc:
        return _refused(request, db, found, link, exc, "motions", values)
    return _redirect(link, "started", "motions")


@router.post("/d/{link}/motions/{motion_id}/cosign", include_in_schema=False)
async def deputy_cosign(link: str, motion_id: str, request: Request, db: DB) -> Response:
    found = _link(db, link)
    if found is None or not motion_id.isdigit() or len(motion_id) > 9:
        return _nothing()
    await _checked_form(request, link)
    try:
        dops.cosign(db, link=found, motion_id=int(motion_id))
    except dops.DeputyPageError as exc:
        if exc.status == 404:
            db.rollback()
            return _nothing()
        return _refused(request, db, found, link, exc, "motions", {})
    return _redirect(link, "cosigned", "motions")


@router.post("/d/{link}/suggestions/{sid}/rating", include_in_schema=False)
async def deputy_rating(link: str, sid: str, request: Request, db: DB) -> Response:
    found = _link(db, link)
    suggestion = _own(db, found, sid) if found is not None else None
    if found is None or suggestion is None:
        return _nothing()
    form = await _checked_form(request, link)
    bounds = FormBounds("rating")
    values = {"rating": bounds.text(form, "rating", max_chars=8, label="测评结果"),
              "comment": bounds.text(form, "comment", label="意见"), "sid": suggestion.id}
    try:
        if bounds.first:
            raise dops.DeputyPageError(bounds.first)
        if values["rating"] not in RATINGS:
            raise dops.DeputyPageError(msg("deputies.choose_rating"))
        again = dops.rate(db, link=found, code=suggestion.code, rating=values["rating"], comment=values["comment"],
                          today=today(request), settings=settings_of(request))
    except dops.DeputyPageError as exc:
        return _refused(request, db, found, link, exc, f"s{suggestion.id}", values)
    return _redirect(link, "rehandled" if again else "rated", f"s{suggestion.id}")


# --- staff: the deputies' links, the motions, the offices of deputies' suggestions --------------------------


def _township(db: Session, who: Viewer, code: str) -> Township:
    township = db.scalar(select(Township).where(Township.code == code))
    if township is None or not who.sees(code):
        raise HTTPException(404)
    return township


def _staff_page(request: Request, db: Session, who: Viewer, township: Township, *, status_code: int = 200,
                error: str | None = None, shown: dict[str, str] | None = None) -> Response:
    settings = settings_of(request)
    rows = links.township_links(db, township, settings)
    motions = list(db.scalars(select(MotionDraft).where(MotionDraft.township_id == township.id)
                              .order_by(MotionDraft.id.desc())))
    names = {r.deputy.id: r.deputy.name for r in rows}
    entries = {e.suggestion_id: e for e in db.scalars(select(DeputyEntry).where(DeputyEntry.kind == "suggestion"))}
    entered = [(s, entries[s.id]) for s in reversed(fops.township_suggestions(db, township)) if s.id in entries]
    counts = {m.id: dops.sponsors_check(db, m, township) for m in motions}
    return render.page(request, "deputies_staff.html", status_code=status_code, who=who, township=township,
                       rows=rows, base=links.base_url(settings), motions=motions, counts=counts, names=names,
                       entered=entered, states=STATE_CN, sessions=township_sessions(db, township), error=error, shown=shown or {},
                       notice=request.query_params.get("notice", ""))


@router.get("/townships/{code}/deputies")
def staff_deputies(code: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    who.require("view")
    return _staff_page(request, db, who, _township(db, who, code))


@router.post("/townships/{code}/deputies/links")
async def staff_links(code: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Re-issue or revoke one deputy's link (`deputy` = roster code), or issue every missing link."""
    who.require("suggestions")
    township = _township(db, who, code)
    form = await request.form()
    bounds = FormBounds("links")
    action = bounds.text(form, "action", max_chars=16, label="操作")
    deputy_code = bounds.text(form, "deputy", max_chars=32, label="代表")
    settings = settings_of(request)
    rows = {r.deputy.code: r for r in links.township_links(db, township, settings)}
    if action == "missing":
        for row in rows.values():
            if row.token is None:
                links.issue(db, deputy=row.deputy, actor=who.name, settings=settings)
        return RedirectResponse(f"/townships/{code}/deputies?notice=issued", status_code=303)
    row = rows.get(deputy_code)
    if row is None or action not in ("reissue", "revoke"):
        return _staff_page(request, db, who, township, status_code=422, error=msg("deputies.staff.bad_request"))
    if action == "revoke":
        if row.link is not None:
            links.revoke(db, link=row.link, actor=who.name)
        return RedirectResponse(f"/townships/{code}/deputies?notice=revoked", status_code=303)
    links.issue(db, deputy=row.deputy, actor=who.name, settings=settings)
    return RedirectResponse(f"/townships/{code}/deputies?notice=issued", status_code=303)


@router.post("/townships/{code}/deputies/office")
async def staff_office(code: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Name the office of a suggestion a deputy entered (before its handover)."""
    who.require("suggestions")
    township = _township(db, who, code)
    form = await request.form()
    bounds = FormBounds("office")
    suggestion_code = bounds.text(form, "code", max_chars=32, label="编号")
    office = bounds.text(form, "office", max_chars=128, label="承办单位")
    try:
        if bounds.first:
            raise dops.DeputyPageError(bounds.first)
        dops.assign_office(db, township=township, code=suggestion_code, office=office, actor=who.name)
    except dops.DeputyPageError as exc:
        db.rollback()
        return _staff_page(request, db, who, township, status_code=422, error=str(exc))
    return RedirectResponse(f"/townships/{code}/deputies?notice=office", status_code=303)


@router.get("/townships/{code}/deputies/photos/{entry_id}")
def staff_photo(code: Key, entry_id: RowId, request: Request, who: CurrentViewer, db: DB) -> Response:
    """The photo of a paper draft a deputy attached to a suggestion of the viewer's township."""
    who.require("view")
    township = _township(db, who, code)
    entry = db.get(DeputyEntry, entry_id)
    link = db.get(DeputyLink, entry.link_id) if entry is not None else None
    path = dops.upload_path(settings_of(request), entry.photo_path) if entry is not None and entry.photo_path else None
    if entry is None or link is None or link.township_id != township.id or path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type="image/png" if path.suffix == ".png" else "image/jpeg")


# --- staff: the materials released to deputies --------------------------------------------------------------


def _materials_page(request: Request, db: Session, who: Viewer, session: CongressSession, *,
                    status_code: int = 200, error: str | None = None) -> Response:
    return render.page(request, "deputies_materials.html", status_code=status_code, who=who, session=session,
                       materials=dops.materials(db, session), error=error,
                       notice=request.query_params.get("notice", ""),
                       cap=dops.limits.MAX_FILE_BYTES["material"] // dops.limits.KIB // 1024)


@router.get("/sessions/{key}/materials")
def staff_materials(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    who.require("view")
    return _materials_page(request, db, who, visible_session(db, who, key))


@router.post("/sessions/{key}/materials")
async def staff_material_upload(key: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    who.require("suggestions")
    session = visible_session(db, who, key)
    form = await request.form()
    bounds = FormBounds("material")
    title = bounds.text(form, "title", max_chars=256, label="材料名称")
    upload = form.get("file")
    try:
        if bounds.first:
            raise dops.DeputyPageError(bounds.first)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise dops.DeputyPageError(msg("deputies.material_type"))
        data = await upload.read(dops.limits.MAX_FILE_BYTES["material"] + 1)
        dops.add_material(db, session=session, title=title, data=data, actor=who.name, settings=settings_of(request))
    except dops.DeputyPageError as exc:
        db.rollback()
        return _materials_page(request, db, who, session, status_code=exc.status, error=str(exc))
    return RedirectResponse(f"/sessions/{key}/materials?notice=added", status_code=303)


@router.post("/sessions/{key}/materials/release")
async def staff_material_release(key: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    who.require("suggestions")
    session = visible_session(db, who, key)
    try:
        dops.release_materials(db, session=session, actor=who.name)
    except dops.DeputyPageError as exc:
        db.rollback()
        return _materials_page(request, db, who, session, status_code=exc.status, error=str(exc))
    return RedirectResponse(f"/sessions/{key}/materials?notice=released", status_code=303)


@router.get("/sessions/{key}/materials/{material_id}")
def staff_material_file(key: Key, material_id: RowId, request: Request, who: CurrentViewer, db: DB) -> Response:
    who.require("view")
    session = visible_session(db, who, key)
    material = db.get(DeputyMaterial, material_id)
    path = dops.upload_path(settings_of(request), material.path) if material is not None else None
    if material is None or material.session_id != session.id or path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type=PDF, filename=f"{material.title}.pdf")

