"""What every dashboard route needs: a unit of work, the logged-in user, CSRF, roles and township scope."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.db import engine_for, read_scope, session_scope
from congress.lifecycle import operations as ops
from congress.limits import MAX_ROW_ID
from congress.models import CongressSession, Township, User, WebSession
from congress.settings import Settings
from congress.web import accounts

COOKIE = "congress_session"
LOGIN_COOKIE = "congress_login_csrf"

# Who may do what; township roles act only within their own township (see Viewer.sees).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({"staff", "approver", "auditor", "admin"}),
    "create_session": frozenset({"staff", "admin"}),
    "launch": frozenset({"staff", "admin"}),
    "approve": frozenset({"approver", "admin"}),
    "attendance": frozenset({"staff", "admin"}),
    "tallies": frozenset({"staff", "admin"}),
    "county": frozenset({"auditor", "admin"}),
    "suggestions": frozenset({"staff", "admin"}),  # enter, hand over, reply, rate
    "admin": frozenset({"admin"}),  # township template folders, unlocking log-ins
}


class LoginRequired(Exception):
    """No valid log-in: the app's handler redirects to the log-in page."""


class PasswordChangeRequired(Exception):
    """An administrator reset the password: the user chooses a new one before anything else."""


# what a user whose password was reset may still reach
PASSWORD_CHANGE_PATHS = frozenset({"/account/password", "/logout"})


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


# Requests that only read: a page or a poll while a flow writes must neither wait for nor block it.
READ_METHODS = frozenset({"GET", "HEAD"})


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: read-only for GET and HEAD, else committed when the route returns
    and rolled back when it raises.

    GET and HEAD read in a read-only unit of work (SQLite: a deferred transaction reading a WAL snapshot,
    never the write lock; PostgreSQL: a READ ONLY transaction, so a write by mistake fails loudly). A GET
    route that must record something does it in a `session_scope` of its own. Routes take it with
    scope="function" so the commit happens before the response leaves: a browser following a redirect
    must find what the POST stored.
    """
    engine = engine_for(settings_of(request).database_url)
    scope = read_scope if request.method in READ_METHODS else session_scope
    with scope(engine) as db:
        yield db


DB = Annotated[Session, Depends(get_db, scope="function")]


@dataclass
class Viewer:
    user: User
    web: WebSession
    csrf: str
    township_name: str | None = None  # of the user's township, for the header

    @property
    def name(self) -> str:
        """The actor recorded in the audit."""
        return self.user.username

    def can(self, permission: str) -> bool:
        return self.user.role in PERMISSIONS[permission]

    def sees(self, township_code: str) -> bool:
        return self.user.township_code is None or self.user.township_code == township_code

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise HTTPException(403)


def viewer(request: Request, db: DB) -> Viewer:
    token = request.cookies.get(COOKIE)
    found = accounts.session_user(db, token)
    if found is None or token is None:
        raise LoginRequired()
    user, web = found
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    township = (db.scalar(select(Township.name).where(Township.code == user.township_code))
                if user.township_code else None)
    return Viewer(user=user, web=web, csrf=accounts.csrf_token(settings_of(request).secret_key, token),
                  township_name=township)


CurrentViewer = Annotated[Viewer, Depends(viewer)]


async def csrf_checked(request: Request, who: CurrentViewer) -> Viewer:
    """Every state-changing request carries the log-in's CSRF token (form field or X-CSRF-Token)."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, who.csrf):
        raise HTTPException(403, detail="csrf")
    return who


CheckedViewer = Annotated[Viewer, Depends(csrf_checked)]

# Path parameters within what the database can hold: anything else is the 404 of a missing object
# (the app turns a path parameter's validation error into the ordinary 404 page), never an overflow.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Key = Annotated[str, Path(min_length=1, max_length=64)]


def visible_session(db: Session, who: Viewer, key: str) -> CongressSession:
    """The session if it exists and the viewer's township may see it; otherwise 404 (not 403: no hint)."""
    session = ops.get_session(db, key)
    if session is None or not who.sees(session.term.township.code):
        raise HTTPException(404)
    return session
