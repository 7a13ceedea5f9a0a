"""The administrator's page: townships (code, name, county, province profile, template folder chosen
from the folders under the configured root, never typed), accounts (create, disable, reset a password to
be changed at the next log-in, role and township), the calendar feed addresses of each township, and the
log-ins refused for too many failures, with an unlock.

Every change is audited with the administrator as the actor: townships by `save_township` and
`set_township_templates`, accounts by congress/web/accounts.py, feed addresses by
congress/calendar/feeds.py, the unlock by `accounts.unlock`.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.calendar import feeds
from congress.errors import InputError
from congress.lifecycle.operations import audit, now
from congress.messages import msg
from congress.models import Deputy, FeedToken, Term, Township, User
from congress.models.auth import ROLES, TOWNSHIP_ROLES
from congress.profiles import available_profiles
from congress.web import accounts, render
from congress.web.deps import DB, CheckedViewer, CurrentViewer, Key, RowId, Viewer, settings_of
from congress.web.sessions import problem_rows

router = APIRouter()
NOTICES = ("templates_set", "templates_cleared", "unlocked")
# notices of this module's own messages (dashboard.admin.notice.*)
OWN_NOTICES = ("township_saved", "user_created", "user_updated", "user_enabled", "user_disabled", "password_reset",
               "feed_issued", "feed_revoked", "unchanged")
TOWNSHIP_CODE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


def _overrides() -> Any:
    # H2's module (issue 9, item 1); imported here so the dashboard starts even while it is absent
    from congress.documents import overrides

    return overrides


def _page(request: Request, db: Session, who: Viewer, *, errors: list[dict[str, Any]] | None = None,
          status_code: int = 200, township: str | None = None, problem: tuple[str, str] | None = None,
          shown: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Response:
    """The page; `problem` is (section, text) shown in that section, `shown` a secret shown once."""
    settings = settings_of(request)
    notice = request.query_params.get("notice")
    townships = list(db.scalars(select(Township).order_by(Township.code)))
    tokens = {t.code: feeds.tokens(db, t) for t in townships}
    return render.page(
        request, "admin.html", status_code=status_code, who=who, townships=townships,
        folders=_overrides().override_folders(settings), locked=accounts.locked_accounts(db),
        addresses=accounts.locked_addresses(db), errors=errors or [], failed_township=township,
        notice=notice if notice in NOTICES else None, own_notice=notice if notice in OWN_NOTICES else None,
        now=now(), users=list(db.scalars(select(User).order_by(User.role, User.username))), roles=ROLES,
        township_roles=TOWNSHIP_ROLES, profiles=available_profiles(), tokens=tokens, problem=problem,
        shown=shown or {}, form=form or {}, feed_kinds=feeds.KINDS,
    )


def _refused(request: Request, db: Session, who: Viewer, section: str, text: str,
             form: dict[str, str] | None = None) -> Response:
    db.rollback()
    return _page(request, db, who, status_code=422, problem=(section, text), form=form)


def _done(notice: str, anchor: str) -> Response:
    return RedirectResponse(f"/admin?notice={notice}#{anchor}", status_code=303)


async def _form(request: Request, *names: str, max_chars: int = 128) -> dict[str, str]:
    form = await request.form()
    return {n: str(form.get(n, "") or "").strip()[:max_chars] for n in names}


# --- townships -------------------------------------------------------------------------------------


def save_township(db: Session, *, code: str, name: str, county: str, profile: str, actor: str) -> tuple[Township, bool]:
    """Create a township (before its first session, so accounts can belong to it) or change its name,
    county or province profile; audited with the values. A session file loaded later sets them again from
    the file. Returns the township and whether anything changed."""
    township = db.scalar(select(Township).where(Township.code == code))
    values = {"name": name, "county": county, "profile": profile}
    if township is None:
        # the other names follow the township's until its first session file gives the real ones
        township = Township(code=code, party_committee=f"中共{name}委员会", presidium_name=f"{name}人民代表大会主席团",
                            government_name=f"{name}人民政府", doc_prefix=name[:2], **values)
        db.add(township)
    elif {k: getattr(township, k) for k in values} == values:
        return township, False
    else:
        for key, value in values.items():
            setattr(township, key, value)
    db.flush()
    audit(db, actor=actor, action="township_saved", township_id=township.id, code=code, **values)
    return township, True


@router.post("/admin/townships")
async def create_township(request: Request, who: CheckedViewer, db: DB) -> Response:
    """A new township: code, name, county, province profile."""
    who.require("admin")
    values = await _form(request, "code", "name", "county", "profile")
    return _save(request, db, who, values, new=True)


@router.post("/admin/townships/{code}")
async def update_township(code: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    who.require("admin")
    if db.scalar(select(Township).where(Township.code == code)) is None:
        raise HTTPException(404)
    values = {**(await _form(request, "name", "county", "profile")), "code": code}
    return _save(request, db, who, values, new=False)


def _save(request: Request, db: Session, who: Viewer, values: dict[str, str], *, new: bool) -> Response:
    section = "townships"
    if not TOWNSHIP_CODE.match(values["code"]):
        return _refused(request, db, who, section, msg("dashboard.admin.bad_code"), values)
    if new and db.scalar(select(Township).where(Township.code == values["code"])) is not None:
        return _refused(request, db, who, section, msg("dashboard.admin.code_taken", code=values["code"]), values)
    if not values["name"] or len(values["name"]) > 64 or len(values["county"]) > 64:
        return _refused(request, db, who, section, msg("dashboard.admin.bad_name"), values)
    if values["profile"] not in available_profiles():
        return _refused(request, db, who, section, msg("dashboard.admin.bad_profile"), values)
    _, changed = save_township(db, code=values["code"], name=values["name"], county=values["county"],
                               profile=values["profile"], actor=who.name)
    return _done("township_saved" if changed else "unchanged", "townships")


# --- accounts --------------------------------------------------------------------------------------


def _user(db: Session, username: str) -> User:
    user = accounts.get_user(db, username)
    if user is None:
        raise HTTPException(404)
    return user


def _township_code(db: Session, code: str) -> str | None:
    return code if code and db.scalar(select(Township.id).where(Township.code == code)) is not None else None


@router.post("/admin/users")
async def create_account(request: Request, who: CheckedViewer, db: DB) -> Response:
    """A new account with a temporary password, shown once, to be changed at its first log-in."""
    who.require("admin")
    values = await _form(request, "username", "display_name", "role", "township", max_chars=64)
    if not values["username"] or values["role"] not in ROLES:
        return _refused(request, db, who, "users", msg("dashboard.admin.user_fields"), values)
    township = _township_code(db, values["township"])
    try:
        user = accounts.create_user(db, username=values["username"], display_name=values["display_name"],
                                    role=values["role"], township_code=township, password=secrets.token_urlsafe(24),
                                    actor=who.name, must_change_password=True)
        temporary = accounts.reset_password(db, user=user, actor=who.name)
    except accounts.AccountError as exc:
        return _refused(request, db, who, "users", str(exc), values)
    return _page(request, db, who, shown={"username": user.username, "password": temporary, "kind": "created"})


@router.post("/admin/users/{username}")
async def update_account(username: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Name, role and township of an account (its open log-ins end: the next one has the new scope)."""
    who.require("admin")
    user = _user(db, username)
    values = await _form(request, "display_name", "role", "township", max_chars=64)
    if values["role"] not in ROLES:
        return _refused(request, db, who, "users", msg("dashboard.admin.user_fields"), values)
    try:
        changed = accounts.update_user(db, user=user, display_name=values["display_name"], role=values["role"],
                                       township_code=_township_code(db, values["township"]), actor=who.name)
    except accounts.AccountError as exc:
        return _refused(request, db, who, "users", str(exc), values)
    return _done("user_updated" if changed else "unchanged", "users")


@router.post("/admin/users/{username}/active")
async def account_active(username: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Disable (its log-ins end at once) or enable an account."""
    who.require("admin")
    user = _user(db, username)
    values = await _form(request, "active")
    if values["active"] not in ("0", "1"):
        return _refused(request, db, who, "users", msg("dashboard.admin.user_fields"))
    if user.id == who.user.id and values["active"] == "0":
        return _refused(request, db, who, "users", msg("dashboard.admin.not_yourself"))
    try:
        accounts.set_active(db, user=user, active=values["active"] == "1", actor=who.name)
    except accounts.AccountError as exc:
        return _refused(request, db, who, "users", str(exc))
    return _done("user_enabled" if values["active"] == "1" else "user_disabled", "users")


@router.post("/admin/users/{username}/password")
async def account_password(username: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Reset a password: a temporary one, shown once; the user chooses their own at the next log-in."""
    who.require("admin")
    user = _user(db, username)
    if (await _form(request, "confirm"))["confirm"] != "1":
        return _refused(request, db, who, "users", msg("dashboard.admin.confirm_reset"))
    temporary = accounts.reset_password(db, user=user, actor=who.name)
    return _page(request, db, who, shown={"username": user.username, "password": temporary, "kind": "reset"})


# --- calendar feed addresses -------------------------------------------------------------------------


@router.post("/admin/feeds")
async def issue_feed(request: Request, who: CheckedViewer, db: DB) -> Response:
    """A feed address for a township's office, a handling office or a deputy; shown once (only its hash
    is kept). The person's earlier address stops working."""
    who.require("admin")
    values = await _form(request, "township", "kind", "deputy", "handler")
    township = db.scalar(select(Township).where(Township.code == values["township"]))
    if township is None or values["kind"] not in feeds.KINDS:
        return _refused(request, db, who, "feeds", msg("dashboard.admin.feed_fields"), values)
    deputy = None
    if values["kind"] == "deputy":
        deputy = db.scalar(select(Deputy).join(Term).where(Term.township_id == township.id,
                                                           Deputy.code == values["deputy"]).order_by(Term.ordinal.desc()))
        if deputy is None:
            return _refused(request, db, who, "feeds", msg("dashboard.admin.feed_deputy", code=values["deputy"]), values)
    if values["kind"] == "handler" and not values["handler"]:
        return _refused(request, db, who, "feeds", msg("dashboard.admin.feed_handler"), values)
    token, secret = feeds.issue_token(db, township=township, kind=values["kind"], deputy=deputy,
                                      handler=values["handler"] or None, actor=who.name)
    return _page(request, db, who, shown={"feed": token.label,
                                          "url": feeds.feed_url(settings_of(request).feed_base_url, secret)})


@router.post("/admin/feeds/{token_id}/revoke")
async def revoke_feed(token_id: RowId, request: Request, who: CheckedViewer, db: DB) -> Response:
    who.require("admin")
    token = db.get(FeedToken, token_id)
    if token is None:
        raise HTTPException(404)
    if (await _form(request, "confirm"))["confirm"] != "1":
        return _refused(request, db, who, "feeds", msg("dashboard.admin.confirm_revoke"))
    feeds.revoke_token(db, token=token, actor=who.name)
    return _done("feed_revoked", "feeds")


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
