"""A congress session (会议) and its plan: sittings, agenda, reports, motions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from congress.db import Base
from congress.models._types import JSONType, intpk

if TYPE_CHECKING:
    from congress.models.township import Term


class CongressSession(Base):
    __tablename__ = "congress_session"
    __table_args__ = (UniqueConstraint("term_id", "ordinal"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(96), unique=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    kind: Mapped[str] = mapped_column(String(24))  # regular | extraordinary | first_of_term
    ordinal: Mapped[int]
    venue: Mapped[str] = mapped_column(String(256))
    plan_date: Mapped[date]
    presidium_meeting_date: Mapped[date]
    presidium_meeting_time: Mapped[str] = mapped_column(String(8))
    presidium_meeting_place: Mapped[str] = mapped_column(String(256))
    notice_date: Mapped[date]
    materials_date: Mapped[date]
    checkin_date: Mapped[date]
    checkin_time: Mapped[str] = mapped_column(String(8))
    checkin_place: Mapped[str] = mapped_column(String(256))
    opening_date: Mapped[date]
    closing_date: Mapped[date]
    presidium_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Nominations close at this day and time (LOL 第二十六、二十七条: nomination and 酝酿 before the vote).
    nomination_deadline: Mapped[date | None] = mapped_column(default=None)
    nomination_deadline_time: Mapped[str | None] = mapped_column(String(8), default=None)
    # The first session of a term: the election committee, the credentials report and its confirmation
    # (EL 第四十七条), the credentials committee proposed (LOL 第三十七条); ISO dates and roster codes.
    first_term: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    proposers: Mapped[list[str]] = mapped_column(JSONType, default=list)  # an extraordinary session's proposers
    executive_chairs: Mapped[list[str]] = mapped_column(JSONType, default=list)  # SD 第九条
    # The session presidium's own arrangements (congress/lifecycle/presidium.py): the 秘书长 adopted with
    # the presidium list, the 总监票人/监票人 (roster codes) and 计票人 (names), the people who attend
    # without a vote (列席), each group's 召集人 and the dates of the presidium's first and second meetings.
    secretary_general: Mapped[str | None] = mapped_column(String(32), default=None)
    scrutineers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attendees: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    group_convenors: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    presidium_meetings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    handover_date: Mapped[date | None] = mapped_column(default=None)
    # planned → running → waiting (for a human gate) / blocked (a rule failed) → completed
    state: Mapped[str] = mapped_column(String(16), default="planned")
    waiting_for: Mapped[str | None] = mapped_column(String(32), default=None)
    state_message: Mapped[str | None] = mapped_column(Text, default=None)
    output_dir: Mapped[str] = mapped_column(String(512))
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(512))

    term: Mapped[Term] = relationship(back_populates="sessions")
    sittings: Mapped[list[Sitting]] = relationship(order_by="Sitting.position", cascade="all, delete-orphan")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    reports: Mapped[list[Report]] = relationship(order_by="Report.position", cascade="all, delete-orphan")
    motions: Mapped[list[Motion]] = relationship(order_by="Motion.position", cascade="all, delete-orphan")


class Sitting(Base):
    """One sitting of the session (preparatory meeting, plenary, group deliberation)."""

    __tablename__ = "sitting"
    __table_args__ = (UniqueConstraint("session_id", "key"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # preparatory | plenary | group
    day: Mapped[date]
    start: Mapped[str] = mapped_column(String(8))
    end: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(128))
    place: Mapped[str] = mapped_column(String(256))
    chair_code: Mapped[str | None] = mapped_column(String(32), default=None)  # who presides (执行主席)


class AgendaItem(Base):
    __tablename__ = "agenda_item"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))  # report | election | vote | other
    ref_key: Mapped[str | None] = mapped_column(String(64), default=None)


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("session_id", "key"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(256))
    reporter: Mapped[str] = mapped_column(String(64))
    reporter_title: Mapped[str] = mapped_column(String(64), default="")
    resolution_title: Mapped[str | None] = mapped_column(String(256), default=None)
    deliberation: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Motion(Base):
    """A motion (议案) or an inquiry (质询案) raised jointly by deputies."""

    __tablename__ = "motion"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default="motion")  # motion | inquiry
    title: Mapped[str] = mapped_column(String(256))
    sponsors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
