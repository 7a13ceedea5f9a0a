"""Dashboard accounts: password hashing (scrypt), users, log-in sessions. Every change is audited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.lifecycle.operations import audit, now
from congress.messages import msg
from congress.models import User, WebSession
from congress.models.auth import ROLES, TOWNSHIP_ROLES

# scrypt at n=2**14, r=8: ~16 MiB and ~50 ms per check on this machine, the OWASP interactive setting
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                              dklen=32)
    return hmac.compare_digest(computed, base64.b64decode(digest))


# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


class AccountError(ValueError):
    """A user-facing (Chinese) reason an account change was refused."""


def _check(role: str, township_code: str | None, password: str | None) -> None:
    if role not in ROLES:
        raise AccountError(msg("web.account.bad_role", role=role, roles=" / ".join(ROLES)))
    if role in TOWNSHIP_ROLES and not township_code:
        raise AccountError(msg("web.account.needs_township", role=msg(f"web.role.{role}")))
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(msg("web.account.short_password", n=MIN_PASSWORD))


def get_user(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def create_user(db: Session, *, username: str, display_name: str, role: str, township_code: str | None,
                password: str, actor: str) -> User:
    """A new account; township staff and approvers belong to one township."""
    _check(role, township_code, password)
    if get_user(db, username) is not None:
        raise AccountError(msg("web.account.exists", username=username))
    user = User(username=username, display_name=display_name or username, role=role,
                township_code=township_code if role in TOWNSHIP_ROLES else None,
                password_hash=hash_password(password), active=True, created_at=now(), password_changed_at=now())
    db.add(user)
    db.flush()
    audit(db, actor=actor, action="user_created", username=username, role=role, township=user.township_code)
    return user


def set_password(db: Session, *, user: User, password: str, actor: str) -> None:
    """Change a password and end the user's open log-ins."""
    _check(user.role, user.township_code, password)
    user.password_hash, user.password_changed_at = hash_password(password), now()
    for web in db.scalars(select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))):
        web.ended_at = now()
    db.flush()
    audit(db, actor=actor, action="password_changed", username=user.username)


def authenticate(db: Session, *, username: str, password: str) -> User | None:
    user = get_user(db, username)
    if user is None or not user.active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def _token_sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(db: Session, *, user: User, hours: float) -> str:
    """Open a log-in for the user; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.add(WebSession(token_sha256=_token_sha(token), user_id=user.id, created_at=now(),
                      expires_at=now() + timedelta(hours=hours)))
    db.flush()
    audit(db, actor=user.username, action="logged_in", township_id=None)
    return token


def session_user(db: Session, token: str | None) -> tuple[User, WebSession] | None:
    """The user of an unexpired, not logged-out session token."""
    if not token:
        return None
    web = db.scalar(select(WebSession).where(WebSession.token_sha256 == _token_sha(token)))
    if web is None or web.ended_at is not None or web.expires_at <= now() or not web.user.active:
        return None
    return web.user, web


def log_out(db: Session, *, web: WebSession) -> None:
    web.ended_at = now()
    db.flush()
    audit(db, actor=web.user.username, action="logged_out")


def csrf_token(secret: str, session_token: str) -> str:
    """The form token of a log-in: an HMAC of its cookie token, so it needs no storage."""
    return hmac.new(secret.encode(), f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()
