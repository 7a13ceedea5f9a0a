"""A session's step-completion audit and the county overview (suggestions: congress/web/suggestions.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from congress.audit.verify import verify
from congress.web import evidence, render, views
from congress.web.deps import DB, CurrentViewer, settings_of, visible_session

router = APIRouter()


@router.get("/sessions/{key}/audit")
def audit(key: str, request: Request, who: CurrentViewer, db: DB) -> Response:
    session = visible_session(db, who, key)
    launcher = request.app.state.launcher
    # checked live, files included: ~60 ms for a 60-deputy session's 400 files; the chain from the session's
    # first event on, as a township's whole chain grows for years (docs/audit.md)
    verification = verify(db, session_key=session.key, from_session=True, settings=settings_of(request))
    names = evidence.titles(db, session)
    return render.page(request, "audit.html", who=who, session=session, steps=views.steps_of(db, session, launcher, settings_of(request)),
                       events=views.audit_events(db, session), progress=views.progress(db, session),
                       verification=verification, names=views.people(db),
                       evidence_lines=lambda recorded: evidence.lines(recorded, names))


@router.get("/county")
def county(request: Request, who: CurrentViewer, db: DB) -> Response:
    who.require("county")
    return render.page(request, "county.html", who=who, townships=views.county(db))
