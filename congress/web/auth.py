"""Log-in and log-out. A login form has its own double-submit CSRF cookie (there is no session yet).

Password guessing is slowed per account name and per client address (congress/web/accounts.py): a
throttled attempt is refused at once, saying how long to wait, without checking the password. Every
attempt, failed, refused or successful, is audited with the client's address.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from congress.messages import msg
from congress.web import accounts, render
from congress.web.deps import (
    COOKIE,
    DB,
    LOGIN_COOKIE,
    CheckedViewer,
    CurrentViewer,
    LoginRequired,
    settings_of,
    viewer,
)
from congress.web.security import client_address, safe_path

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # only paths on this site: never an absolute URL a crafted link could send the user to
    return safe_path(target, "/")


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render.page(request, "login.html", login_csrf=token, next=_safe_next(next), error=None, who=None)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings_of(request).environment == "production")
    return response


@router.post("/login")
def login(request: Request, db: DB, username: Annotated[str, Form()], password: Annotated[str, Form()],
          login_csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, login_csrf):
        return render.page(request, "login.html", status_code=403, login_csrf=cookie, next=_safe_next(next),
                           error=msg("web.login.expired_form"), who=None)
    settings = settings_of(request)
    name, address = username.strip()[:64], client_address(request, settings)
    throttle = accounts.login_throttle(db, username=name, address=address)
    if throttle is not None:
        accounts.record_login_refused(db, username=name, address=address, throttle=throttle)
        seconds = throttle.seconds_left()
        wait = (msg("security.wait.minutes", n=(seconds + 59) // 60) if seconds >= 120
                else msg("security.wait.seconds", n=seconds))
        response = render.page(request, "login.html", status_code=429, login_csrf=cookie, next=_safe_next(next),
                               error=msg("security.login.locked" if throttle.locked else "security.login.delayed",
                                         wait=wait), who=None)
        response.headers["Retry-After"] = str(seconds)
        return response
    user = None
    if len(password) <= accounts.MAX_PASSWORD_CHARS:
        user = accounts.authenticate(db, username=name, password=password)
    if user is None:
        accounts.record_login_failure(db, username=name, address=address)
        return render.page(request, "login.html", status_code=401, login_csrf=cookie, next=_safe_next(next),
                           error=msg("web.login.failed"), who=None)
    token = accounts.log_in(db, user=user, hours=settings.session_hours, address=address)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=settings.environment == "production",
                        max_age=int(settings.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(who: CheckedViewer, db: DB) -> Response:
    accounts.log_out(db, web=who.web)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def home(request: Request, db: DB) -> Response:
    try:
        who = viewer(request, db)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/county" if who.can("county") else "/sessions", status_code=303)


# --- one's own password (and the change an administrator's reset requires) -------------------------------


@router.get("/account/password")
def password_form(request: Request, who: CurrentViewer) -> Response:
    return render.page(request, "password.html", who=who, error=None, notice=request.query_params.get("notice"))


@router.post("/account/password")
async def password_change(request: Request, who: CheckedViewer, db: DB) -> Response:
    """The user's own new password: the current one first; the policy of `congress users` applies."""
    form = await request.form()
    current, new, again = (str(form.get(k, "") or "")[:accounts.MAX_PASSWORD_CHARS]
                           for k in ("current", "new", "again"))
    error = None
    if new != again:
        error = msg("dashboard.account.mismatch")
    else:
        try:
            accounts.change_own_password(db, user=who.user, current=current, new=new)
        except accounts.AccountError as exc:
            error = str(exc)
    if error:
        db.rollback()
        return render.page(request, "password.html", status_code=422, who=who, error=error, notice=None)
    return RedirectResponse("/account/password?notice=changed", status_code=303)
