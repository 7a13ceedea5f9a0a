"""Resolutions (决议) adopted by the session."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import intpk


class Resolution(Base):
    __tablename__ = "resolution"
    __table_args__ = (UniqueConstraint("session_id", "key"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(96))
    title: Mapped[str] = mapped_column(String(256))
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"))
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"))
    party_approval_id: Mapped[int | None] = mapped_column(ForeignKey("party_approval.id"), default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | adopted | rejected
    adopted_on: Mapped[date | None] = mapped_column(default=None)
