"""Dashboard accounts: users with a role and a township scope, and their log-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from congress.db import Base
from congress.models._types import UTCDateTime, intpk, utcnow

# staff and approver act for one township; auditor reads every township; admin does everything
ROLES = ("staff", "approver", "auditor", "admin")
TOWNSHIP_ROLES = ("staff", "approver")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    # a township code rather than a foreign key: accounts exist before the township's first session is loaded
    township_code: Mapped[str | None] = mapped_column(String(64), default=None)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # set when an administrator resets the password: the next log-in must choose a new one first
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """One log-in: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "web_session"

    id: Mapped[intpk]
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """One failed log-in: counted per account name and per client address to slow password guessing.

    `cleared_at` is set when the account logs in successfully or an administrator unlocks it; the rows
    stay until they are a day old (the audit trail keeps every attempt for good).
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64))  # as typed: unknown names are throttled alike
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
