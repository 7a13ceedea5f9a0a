"""Calendar: what each entry is about and who sees it, the per-person feed tokens, each deputy's invitation
files, and the cancellations and postponements of whole sessions."""

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


class CalendarInvitation(Base):
    """One deputy's iTIP file for one event of a session (one UID per file).

    The file says METHOD:REQUEST while the event stands and is rewritten in place as METHOD:CANCEL when
    it is cancelled; this row keeps which file went to whom, so a cancellation reaches every deputy who
    was ever invited, and the file keeps its name through every change.
    """

    __tablename__ = "calendar_invitation"
    __table_args__ = (UniqueConstraint("entry_id", "deputy_id"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("calendar_entry.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))


class SessionHalt(Base):
    """A whole session cancelled or postponed, and what lifting it restores.

    `previous_*` are the session's state before the halt (restored when it is lifted, so the next run
    continues from the first unfinished step); `uids` are the calendar entries the halt cancelled
    (confirmed again when it is lifted); `dates` the opening and check-in dates when it was postponed.
    An open halt has no `lifted_at`; `lifted_how` is reinstated, rescheduled or cancelled (a postponed
    session cancelled outright: the new halt carries the old one's previous state and entries).
    """

    __tablename__ = "session_halt"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # cancelled | postponed
    reason: Mapped[str] = mapped_column(Text, default="")
    previous_state: Mapped[str] = mapped_column(String(16))
    previous_waiting_for: Mapped[str | None] = mapped_column(String(32), default=None)
    previous_message: Mapped[str | None] = mapped_column(Text, default=None)
    uids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    dates: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    halted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    halted_by: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(64), default=None)
    lifted_how: Mapped[str | None] = mapped_column(String(16), default=None)
