"""Party-committee approvals (请示/批复) and presidium decisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk


class PartyApproval(Base):
    """One request to the party committee and, once given, its decision."""

    __tablename__ = "party_approval"
    __table_args__ = (UniqueConstraint("session_id", "subject", "attempt"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    subject: Mapped[str] = mapped_column(String(32))  # plan | resolutions
    attempt: Mapped[int] = mapped_column(default=1)
    requested_on: Mapped[date]
    decision: Mapped[str | None] = mapped_column(String(16), default=None)  # approved | returned
    approver: Mapped[str | None] = mapped_column(String(64), default=None)
    comments: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_on: Mapped[date | None] = mapped_column(default=None)


class PresidiumDecision(Base):
    __tablename__ = "presidium_decision"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"), unique=True)
    meeting_date: Mapped[date]
    opening_date: Mapped[date]
    agenda: Mapped[list[str]] = mapped_column(JSONType, default=list)
    presidium_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    decided_by: Mapped[str] = mapped_column(String(64))
