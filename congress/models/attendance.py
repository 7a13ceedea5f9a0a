"""Notice deliveries and attendance (报到/出席)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from congress.db import Base
from congress.models._types import UTCDateTime, intpk
from congress.models.township import Deputy


class NoticeDelivery(Base):
    __tablename__ = "notice_delivery"
    __table_args__ = (UniqueConstraint("session_id", "deputy_id"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    channel: Mapped[str] = mapped_column(String(16), default="file")
    notice_on: Mapped[date]
    materials_on: Mapped[date]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), default=None)
    calendar_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), default=None)


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "deputy_id"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    status: Mapped[str] = mapped_column(String(8))  # present | leave | absent
    leave_approved: Mapped[bool] = mapped_column(default=False)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    deputy: Mapped[Deputy] = relationship()
