"""The administrator's page: each township's template-override folder (chosen from the folders under
the configured root, never typed), and the log-ins refused for too many failures, with an unlock.

Every change is audited: the folder by `set_township_templates`, the unlock by `accounts.unlock`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.errors import InputError
from congress.lifecycle.operations import now
from congress.messages import msg
from congress.models import Township
from congress.web import accounts, render
from congress.web.deps import DB, CheckedViewer, CurrentViewer, Key, Viewer, settings_of
from congress.web.sessions import problem_rows

router = APIRouter()
NOTICES = ("templates_set", "templates_cleared", "unlocked")


def _overrides() -> Any:
    # H2's module (issue 9, item 1); imported here so the dashboard starts even while it is absent
    from congress.documents import overrides

    return overrides


def _page(request: Request, db: Session, who: Viewer, *, errors: list[dict[str, Any]] | None = None,
          status_code: int = 200, township: str | None = None) -> Response:
    settings = settings_of(request)
    notice = request.query_params.get("notice")
    return render.page(
        request, "admin.html", status_code=status_code, who=who,
        townships=list(db.scalars(select(Township).order_by(Township.code))),
        folders=_overrides().override_folders(settings), locked=accounts.locked_accounts(db),
        addresses=accounts.locked_addresses(db), errors=errors or [], failed_township=township,
        notice=notice if notice in NOTICES else None, now=now(),
    )


@router.get("/admin")
def admin_page(request: Request, who: CurrentViewer, db: DB) -> Response:
    who.require("admin")
    return _page(request, db, who)


@router.post("/admin/townships/{code}/templates")
async def set_templates(code: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Set (a folder chosen from the list) or clear (empty choice) a township's template folder."""
    who.require("admin")
    township = db.scalar(select(Township).where(Township.code == code))
    if township is None:
        raise HTTPException(404)
    form = await request.form()
    folder = str(form.get("folder", "") or "").strip() or None
    overrides = _overrides()
    settings = settings_of(request)
    if folder is not None and folder not in overrides.override_folders(settings):
        # only the listed folders: a name typed into a forged form never reaches the file system
        return _page(request, db, who, status_code=422, township=code, errors=[
            {"file": "", "line": None, "field": "folder", "problem": msg("security.admin.unknown_folder", folder=folder[:80]),
             "text": ""}])
    try:
        overrides.set_township_templates(db, township=township, folder=folder, settings=settings, actor=who.name)
    except InputError as exc:
        db.rollback()
        return _page(request, db, who, status_code=422, township=code, errors=problem_rows(exc.problems))
    return RedirectResponse(f"/admin?notice={'templates_set' if folder else 'templates_cleared'}", status_code=303)


@router.post("/admin/unlock")
async def unlock(request: Request, who: CheckedViewer, db: DB) -> Response:
    """Forget the failed log-ins of one account (from every address) or of one client address."""
    who.require("admin")
    form = await request.form()
    username = str(form.get("username", "") or "").strip()[:64]
    address = str(form.get("address", "") or "").strip()[:64]
    if bool(username) == bool(address):
        raise HTTPException(422)
    accounts.unlock(db, actor=who.name, username=username or None, address=address or None)
    return RedirectResponse("/admin?notice=unlocked", status_code=303)
