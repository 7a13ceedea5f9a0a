"""Dashboard accounts: password hashing (scrypt), the password policy, users, log-in sessions and
log-in throttling. Every change and every log-in attempt is audited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from congress.lifecycle.operations import audit, now
from congress.messages import msg
from congress.models import User, WebSession
from congress.models.auth import ROLES, TOWNSHIP_ROLES, LoginFailure

# scrypt at n=2**14, r=8: ~16 MiB and ~50 ms per check on this machine, the OWASP interactive setting
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10
# Refused as new passwords whatever else they satisfy: the top of the leaked-password lists (Chinese
# sites' included), at 10+ characters. Compared case-insensitively.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "12345678910", "123456789a", "a123456789", "1234567890a", "qwertyuiop",
    "1q2w3e4r5t", "1qaz2wsx3edc", "qwerty1234", "qwerty12345", "qwerty123456", "password12", "password123",
    "password1234", "passw0rd123", "iloveyou12", "iloveyou123", "woaini1314", "woaini520", "5201314520",
    "aa123456789", "abc1234567", "abcd123456", "abcdefghij", "admin12345", "admin123456", "administrator",
    "1234qwer!@#$", "zxcvbnm123", "asdfghjkl1", "asdfghjkl;", "1111111111a", "147258369a", "1472583690",
    "9876543210", "0987654321", "welcome123", "changeme123", "letmein123", "p@ssw0rd123", "p@ssword123",
})


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


def password_problems(username: str, password: str) -> list[str]:
    """Why a new password is refused (Chinese reasons; empty when it is acceptable)."""
    problems = []
    lowered = password.lower()
    if len(password) < MIN_PASSWORD:
        problems.append(msg("security.password.too_short", n=MIN_PASSWORD))
    if username and username.lower() in lowered:
        problems.append(msg("security.password.contains_name"))
    if password and len(set(password)) == 1:
        problems.append(msg("security.password.one_character"))
    elif lowered in COMMON_PASSWORDS or _sequence(lowered):
        problems.append(msg("security.password.common"))
    return problems


def _sequence(text: str) -> bool:
    """A run of consecutive keys or digits (0123456789, abcdefghij, 9876…), however long."""
    if len(text) < 2:
        return False
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def _check(role: str, township_code: str | None, password: str | None, username: str) -> None:
    if role not in ROLES:
        raise AccountError(msg("web.account.bad_role", role=role, roles=" / ".join(ROLES)))
    if role in TOWNSHIP_ROLES and not township_code:
        raise AccountError(msg("web.account.needs_township", role=msg(f"web.role.{role}")))
    if password is not None:
        problems = password_problems(username, password)
        if problems:
            raise AccountError("；".join(problems))


def get_user(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")  # typed at every log-in: plain letters and digits


def create_user(db: Session, *, username: str, display_name: str, role: str, township_code: str | None,
                password: str, actor: str, must_change_password: bool = False) -> User:
    """A new account; township staff and approvers belong to one township. Created by an administrator in
    the browser, its first log-in chooses its own password (`must_change_password`)."""
    if not USERNAME.match(username):
        raise AccountError(msg("dashboard.account.bad_username"))
    _check(role, township_code, password, username)
    if get_user(db, username) is not None:
        raise AccountError(msg("web.account.exists", username=username))
    user = User(username=username, display_name=display_name or username, role=role,
                township_code=township_code if role in TOWNSHIP_ROLES else None,
                password_hash=hash_password(password), active=True, created_at=now(), password_changed_at=now(),
                must_change_password=must_change_password)
    db.add(user)
    db.flush()
    audit(db, actor=actor, action="user_created", username=username, role=role, township=user.township_code)
    return user


def set_password(db: Session, *, user: User, password: str, actor: str) -> None:
    """Change a password and end the user's open log-ins."""
    _check(user.role, user.township_code, password, user.username)
    user.password_hash, user.password_changed_at = hash_password(password), now()
    for web in db.scalars(select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))):
        web.ended_at = now()
    db.flush()
    audit(db, actor=actor, action="password_changed", username=user.username)


def end_log_ins(db: Session, user: User) -> None:
    for web in db.scalars(select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))):
        web.ended_at = now()


def change_own_password(db: Session, *, user: User, current: str, new: str) -> None:
    """The user's own change (forced after a reset): the current password first, a different new one."""
    if not verify_password(current, user.password_hash):
        raise AccountError(msg("dashboard.account.wrong_current"))
    if new == current:
        raise AccountError(msg("dashboard.account.same_password"))
    _check(user.role, user.township_code, new, user.username)
    user.password_hash, user.password_changed_at, user.must_change_password = hash_password(new), now(), False
    db.flush()
    audit(db, actor=user.username, action="password_changed", username=user.username)


def reset_password(db: Session, *, user: User, actor: str) -> str:
    """An administrator's reset: a temporary password (returned, shown once), to be changed at the next
    log-in; the user's open log-ins end."""
    temporary = "-".join(secrets.token_urlsafe(9)[:4] for _ in range(3))  # e.g. "k3Fq-9xTz-Lm2P": 14 characters
    while password_problems(user.username, temporary):
        temporary = "-".join(secrets.token_urlsafe(9)[:4] for _ in range(3))
    user.password_hash, user.password_changed_at, user.must_change_password = hash_password(temporary), now(), True
    end_log_ins(db, user)
    db.flush()
    audit(db, actor=actor, action="password_reset", username=user.username)
    return temporary


def admins_left(db: Session, *, without: User) -> int:
    return db.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True),
                                                       User.id != without.id)) or 0


def update_user(db: Session, *, user: User, display_name: str, role: str, township_code: str | None,
                actor: str) -> bool:
    """Change an account's name, role and township; audited with the values. False: nothing changed."""
    _check(role, township_code, None, user.username)
    township_code = township_code if role in TOWNSHIP_ROLES else None
    if user.role == "admin" and role != "admin" and admins_left(db, without=user) == 0:
        raise AccountError(msg("dashboard.account.last_admin"))
    wanted = (display_name or user.username, role, township_code)
    if wanted == (user.display_name, user.role, user.township_code):
        return False
    user.display_name, user.role, user.township_code = wanted
    end_log_ins(db, user)  # the next log-in gets the new role and scope
    db.flush()
    audit(db, actor=actor, action="user_updated", username=user.username, display_name=user.display_name, role=role,
          township=township_code)
    return True


def set_active(db: Session, *, user: User, active: bool, actor: str) -> bool:
    """Disable (its log-ins end) or enable an account; audited. False: it already was."""
    if user.active == active:
        return False
    if not active and user.role == "admin" and admins_left(db, without=user) == 0:
        raise AccountError(msg("dashboard.account.last_admin"))
    user.active = active
    if not active:
        end_log_ins(db, user)
    db.flush()
    audit(db, actor=actor, action="user_enabled" if active else "user_disabled", username=user.username)
    return True


def authenticate(db: Session, *, username: str, password: str) -> User | None:
    """The user when the password is theirs; a miss costs one scrypt check either way."""
    user = get_user(db, username)
    if user is None or not user.active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def _token_sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(db: Session, *, user: User, hours: float, address: str = "") -> str:
    """Open a log-in for the user; returns the cookie token (only its hash is stored).

    A successful log-in clears the account's failed attempts (not the address's: one address guessing
    at many accounts stays slowed down).
    """
    token = secrets.token_urlsafe(32)
    db.add(WebSession(token_sha256=_token_sha(token), user_id=user.id, created_at=now(),
                      expires_at=now() + timedelta(hours=hours)))
    _clear(db, LoginFailure.username == user.username)
    db.flush()
    audit(db, actor=user.username, action="logged_in", township_id=None, address=address)
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


# --- log-in throttling ----------------------------------------------------------------------------

# Failures counted over the last FAILURE_WINDOW, per account name and per client address alike. From
# DELAY_AFTER failures on, the next attempt waits a delay that doubles with each failure; from LOCK_AFTER
# on, nothing is tried for LOCK_FOR. A refused attempt checks no password and counts nothing.
FAILURE_WINDOW = timedelta(minutes=15)
DELAY_AFTER, LOCK_AFTER = 5, 10
FIRST_DELAY = timedelta(seconds=15)
LOCK_FOR = timedelta(minutes=15)
# one request's password, bounded before hashing (scrypt reads all of it)
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True)
class Throttle:
    """Why log-ins of an account name or from an address are refused until `until`."""

    until: datetime
    locked: bool  # the 15-minute lock (else the growing delay)
    by: str  # "account" | "address"
    failures: int

    def seconds_left(self, at: datetime | None = None) -> int:
        return max(1, int((self.until - (at or now())).total_seconds() + 0.999))


def _clear(db: Session, where: object) -> int:
    result = db.execute(update(LoginFailure).where(where, LoginFailure.cleared_at.is_(None))  # type: ignore[arg-type]
                        .values(cleared_at=now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _throttle(db: Session, column: object, value: str, by: str, at: datetime) -> Throttle | None:
    count, latest = db.execute(select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(
        column == value, LoginFailure.cleared_at.is_(None), LoginFailure.at > at - FAILURE_WINDOW)).one()  # type: ignore[operator]
    if count < DELAY_AFTER or latest is None:
        return None
    if latest.tzinfo is None:  # SQLite drops the zone of an aggregate
        latest = latest.replace(tzinfo=at.tzinfo)
    locked = count >= LOCK_AFTER
    until = latest + (LOCK_FOR if locked else FIRST_DELAY * 2 ** (count - DELAY_AFTER))
    return Throttle(until, locked, by, count) if until > at else None


def login_throttle(db: Session, *, username: str, address: str, at: datetime | None = None) -> Throttle | None:
    """The refusal in force for this account name or client address (the later one), or None."""
    at = at or now()
    found = [t for t in (_throttle(db, LoginFailure.username, username[:64], "account", at),
                         _throttle(db, LoginFailure.address, address[:64], "address", at)) if t is not None]
    return max(found, key=lambda t: t.until) if found else None


def record_login_failure(db: Session, *, username: str, address: str) -> None:
    """Count a wrong name or password against the account name and the address, and audit it."""
    at = now()
    db.execute(delete(LoginFailure).where(LoginFailure.at < at - timedelta(days=1)))
    db.add(LoginFailure(username=username[:64], address=address[:64], at=at))
    db.flush()
    audit(db, actor=username[:64], action="login_failed", township_id=None, address=address)


def record_login_refused(db: Session, *, username: str, address: str, throttle: Throttle) -> None:
    """Audit an attempt refused by throttling (no password was checked)."""
    audit(db, actor=username[:64], action="login_refused", township_id=None, address=address,
          reason="locked" if throttle.locked else "delayed", by=throttle.by,
          until=throttle.until.isoformat(timespec="seconds"))


def locked_accounts(db: Session, at: datetime | None = None) -> list[tuple[User, Throttle]]:
    """Accounts whose log-ins are refused now (delayed or locked), with the refusal."""
    at = at or now()
    names = db.scalars(select(LoginFailure.username).where(LoginFailure.cleared_at.is_(None),
                                                           LoginFailure.at > at - FAILURE_WINDOW).distinct())
    out = []
    for user in db.scalars(select(User).where(User.username.in_(list(names))).order_by(User.username)):
        throttle = _throttle(db, LoginFailure.username, user.username, "account", at)
        if throttle is not None:
            out.append((user, throttle))
    return out


def locked_addresses(db: Session, at: datetime | None = None) -> list[tuple[str, Throttle]]:
    """Client addresses whose log-ins are refused now."""
    at = at or now()
    addresses = db.scalars(select(LoginFailure.address).where(LoginFailure.cleared_at.is_(None),
                                                              LoginFailure.at > at - FAILURE_WINDOW).distinct())
    out = []
    for address in sorted(addresses):
        throttle = _throttle(db, LoginFailure.address, address, "address", at)
        if throttle is not None:
            out.append((address, throttle))
    return out


def unlock(db: Session, *, actor: str, username: str | None = None, address: str | None = None) -> int:
    """Forget the failed log-ins of an account (from every address) or of an address; audited."""
    if (username is None) == (address is None):
        raise ValueError("unlock one account or one address")
    if username is not None:
        cleared = _clear(db, LoginFailure.username == username)
        audit(db, actor=actor, action="login_unlocked", township_id=None, username=username, cleared=cleared)
    else:
        cleared = _clear(db, LoginFailure.address == address)
        audit(db, actor=actor, action="login_unlocked", township_id=None, address=address, cleared=cleared)
    db.flush()
    return cleared
