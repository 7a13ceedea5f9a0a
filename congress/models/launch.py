"""Flow runs started from the dashboard, one active at a time per session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import UTCDateTime, intpk, utcnow


class FlowLaunch(Base):
    """A request to run a session's flow through its deployment.

    `active` is 1 while the run is starting or running, 2 while it is queued behind that one (a gate's
    input recorded while a run still renders PDFs, say), and NULL after; the unique constraint on
    (session_id, active) lets one request per session run and one wait, so two clicks start one run.
    """

    __tablename__ = "flow_launch"
    __table_args__ = (UniqueConstraint("session_id", "active"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # start | continue | retry
    # what asked for it: "button", or the gate input whose recording continues the session by itself
    trigger: Mapped[str] = mapped_column(String(32), default="button")
    actor: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[int | None] = mapped_column(default=None)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # requested | queued | waiting_service (the flow service was down) | a Prefect state type | released
    state: Mapped[str] = mapped_column(String(24), default="requested")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
