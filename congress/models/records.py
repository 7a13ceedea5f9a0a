"""Evidence: documents, calendar entries, step runs and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk, utcnow


class Document(Base):
    """A produced file (document or calendar), registered with its hash."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("session_id", "path"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    step: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(512))  # relative to the session's output folder
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarEntry(Base):
    """One calendar component with a stable UID; SEQUENCE rises when it changes."""

    __tablename__ = "calendar_entry"
    __table_args__ = (UniqueConstraint("uid"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    step: Mapped[str] = mapped_column(String(32))
    uid: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))  # sitting | deadline
    summary: Mapped[str] = mapped_column(String(256))
    starts: Mapped[str] = mapped_column(String(32))  # ISO local date or datetime (Asia/Shanghai)
    ends: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(String(256), default="")
    sequence: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="CONFIRMED")
    dtstamp: Mapped[datetime] = mapped_column(UTCDateTime)
    fingerprint: Mapped[str] = mapped_column(String(64))


class StepRun(Base):
    """The durable record of one lifecycle step of one session."""

    __tablename__ = "step_run"
    __table_args__ = (UniqueConstraint("session_id", "step"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    step: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|waiting|blocked|failed
    actor: Mapped[str | None] = mapped_column(String(64), default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), default=None)
    attempts: Mapped[int] = mapped_column(default=0)


class AuditEvent(Base):
    """One event of a township's hash chain (congress/audit/chain.py); append-only."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[intpk]
    chain: Mapped[int]  # the township's id; 0 is the global chain
    seq: Mapped[int]  # 1, 2, 3… within the chain
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), default=None)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("congress_session.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    step: Mapped[str | None] = mapped_column(String(32), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
