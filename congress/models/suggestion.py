"""Deputies' suggestions, criticisms and opinions (建议、批评和意见)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, intpk


class Suggestion(Base):
    __tablename__ = "suggestion"
    __table_args__ = (UniqueConstraint("session_id", "code"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text, default="")
    proposers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    category: Mapped[str] = mapped_column(String(64), default="")
    office: Mapped[str] = mapped_column(String(128))
    complex: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="registered")  # registered | handed_over | replied | closed
    handed_over_on: Mapped[date | None] = mapped_column(default=None)
    due_on: Mapped[date | None] = mapped_column(default=None)
    # follow-up (congress/followup): raised at the session or between sessions; each handling round,
    # reply and rating is a HandlingRound (congress/models/followup.py)
    source: Mapped[str] = mapped_column(String(16), default="session")  # session | interim
    raised_on: Mapped[date | None] = mapped_column(default=None)
    closed_on: Mapped[date | None] = mapped_column(default=None)
