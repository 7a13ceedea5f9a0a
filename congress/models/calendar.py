"""Calendar: what each entry is about and who sees it, and the per-person feed tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk, utcnow


class CalendarDetail(Base):
    """The part of a calendar entry the feeds need beyond its iCalendar identity (CalendarEntry).

    `audience` says who sees the entry: {"deputies": true} (all deputies of the term), "deputy_ids",
    "groups" (deputy groups), "handler" (a handling office). Staff see every entry of the township.
    `updated_at` is wall-clock time of the last change, for the feeds' Last-Modified.
    """

    __tablename__ = "calendar_detail"
    __table_args__ = (UniqueConstraint("entry_id"),)

    id: Mapped[intpk]
    entry_id: Mapped[int] = mapped_column(ForeignKey("calendar_entry.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    # presidium_meeting | checkin | preparatory | plenary | group | inspection
    # | suggestion_reply | budget_publication | next_session
    category: Mapped[str] = mapped_column(String(32))
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sitting.id", ondelete="SET NULL"), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedToken(Base):
    """An unguessable feed address for one deputy or one staff role. Only the SHA-256 of the token is
    stored, so a copy of the database does not reveal live feed addresses."""

    __tablename__ = "feed_token"
    __table_args__ = (UniqueConstraint("token_sha256"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    kind: Mapped[str] = mapped_column(String(16))  # deputy | office | handler
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id"), default=None)
    handler: Mapped[str | None] = mapped_column(String(128), default=None)
    label: Mapped[str] = mapped_column(String(128))
    token_sha256: Mapped[str] = mapped_column(String(64))
    token_hint: Mapped[str] = mapped_column(String(8))  # first characters, to tell tokens apart in lists
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)
