"""The 发文字号 register and a township's document settings (organ prefixes, 签发人, contact, 版头)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk, utcnow


class DocNumber(Base):
    """One allocated 发文字号: serial `serial` of the township's `prefix` series in `year`, given once to
    the document `subject` names (a stable key, so a re-run finds the number it was given)."""

    __tablename__ = "doc_number"
    __table_args__ = (
        UniqueConstraint("township_id", "prefix", "year", "serial"),
        UniqueConstraint("township_id", "subject"),
    )

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    organ: Mapped[str] = mapped_column(String(16))  # congress | government | party
    prefix: Mapped[str] = mapped_column(String(24))  # 青人, or a series of it such as 青人交
    year: Mapped[int]
    serial: Mapped[int]
    subject: Mapped[str] = mapped_column(String(255))
    issued_on: Mapped[date | None] = mapped_column(default=None)  # the document's date, when known
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class DocumentSettings(Base):
    """What a township's session file says about its documents, beyond the names on the township row."""

    __tablename__ = "document_settings"

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), unique=True)
    # 发文字号 prefixes of the organs other than the congress (whose prefix is township.doc_prefix)
    government_prefix: Mapped[str] = mapped_column(String(16), default="")
    party_prefix: Mapped[str] = mapped_column(String(16), default="")
    issuer: Mapped[str] = mapped_column(String(64), default="")  # 签发人 of what the presidium sends up
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    # the document types (请示, 通知, 决定, 公告, 函, 决议, 纪要) printed with a 版头
    letterhead: Mapped[list[str]] = mapped_column(JSONType, default=list)
