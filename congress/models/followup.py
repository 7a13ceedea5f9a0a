"""Follow-up supervision between sessions: handling rounds of suggestions and resolution items, the
reminder ledger, presidium meetings, supervision activities, and the small registers' own records
(letters and visits, study and training, deputies' reports to voters)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk, utcnow


class ResolutionItem(Base):
    """One follow-up item of an adopted resolution: what must be done, by which office, by when."""

    __tablename__ = "resolution_item"
    __table_args__ = (UniqueConstraint("resolution_id", "code"),)

    id: Mapped[intpk]
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text, default="")
    office: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="registered")  # registered | handed_over | replied | closed
    handed_over_on: Mapped[date | None] = mapped_column(default=None)
    due_on: Mapped[date | None] = mapped_column(default=None)
    closed_on: Mapped[date | None] = mapped_column(default=None)


class HandlingRound(Base):
    """One round of handling (交办 → 答复 → 测评) of a suggestion or of a resolution item."""

    __tablename__ = "handling_round"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "number"),
        UniqueConstraint("resolution_item_id", "number"),
    )

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id"), default=None)
    resolution_item_id: Mapped[int | None] = mapped_column(ForeignKey("resolution_item.id"), default=None)
    number: Mapped[int] = mapped_column(default=1)
    office: Mapped[str] = mapped_column(String(128))
    # open (handed over, no reply yet) → replied → closed; an unsatisfied rating closes it and opens the next
    state: Mapped[str] = mapped_column(String(16), default="open")
    handed_over_on: Mapped[date]
    handed_over_by: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date]
    due_note: Mapped[str] = mapped_column(Text, default="")
    citation: Mapped[str] = mapped_column(String(64), default="")
    replied_on: Mapped[date | None] = mapped_column(default=None)
    reply_text: Mapped[str] = mapped_column(Text, default="")
    replied_by: Mapped[str | None] = mapped_column(String(64), default=None)
    rating: Mapped[str | None] = mapped_column(String(24), default=None)  # satisfied | basically | unsatisfied
    rated_on: Mapped[date | None] = mapped_column(default=None)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    overdue_on: Mapped[date | None] = mapped_column(default=None)  # the sweep day that first saw it overdue
    escalated_on: Mapped[date | None] = mapped_column(default=None)


class Reminder(Base):
    """The reminder ledger: one row per reminder of a handling round, ever. The unique key is what
    makes a sweep that runs twice, or after a week of downtime, send each reminder exactly once."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("round_id", "kind", "lead"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("handling_round.id"))
    kind: Mapped[str] = mapped_column(String(16))  # before_due | overdue | escalation
    lead: Mapped[str] = mapped_column(String(16), default="")  # P30D … before the due date, for before_due
    scheduled_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))  # sent | superseded (the deadline passed before it went out)
    sent_on: Mapped[date | None] = mapped_column(default=None)
    document_path: Mapped[str] = mapped_column(String(512), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowupDocument(Base):
    """A document or calendar file the follow-up produced for a township, with its hash."""

    __tablename__ = "followup_document"
    __table_args__ = (UniqueConstraint("township_id", "path"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(512))  # relative to <output>/<township code>/
    sha256: Mapped[str] = mapped_column(String(64))
    made_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PresidiumMeeting(Base):
    """A presidium meeting between sessions (主席团会议)."""

    __tablename__ = "presidium_meeting"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    code: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date]
    start: Mapped[str] = mapped_column(String(8))
    end: Mapped[str] = mapped_column(String(8))
    place: Mapped[str] = mapped_column(String(256))
    notice_on: Mapped[date]
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(16), default="planned")  # planned | held
    attendees: Mapped[list[str]] = mapped_column(JSONType, default=list)  # roster codes
    decisions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    recorder: Mapped[str] = mapped_column(String(64), default="")


class SupervisionActivity(Base):
    """Inspection (视察), law-enforcement check (执法检查), special work report (专项工作报告) or research (调研)."""

    __tablename__ = "supervision_activity"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))  # inspection | enforcement_check | work_report | research
    title: Mapped[str] = mapped_column(String(256))
    subject_office: Mapped[str] = mapped_column(String(128), default="")
    held_on: Mapped[date]
    start: Mapped[str] = mapped_column(String(8))
    end: Mapped[str] = mapped_column(String(8))
    place: Mapped[str] = mapped_column(String(256))
    notice_on: Mapped[date]
    participants: Mapped[list[str]] = mapped_column(JSONType, default=list)  # roster codes
    state: Mapped[str] = mapped_column(String(16), default="planned")  # planned | held
    findings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    opinions: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Petition(Base):
    """A letter or visit from the public (来信来访) received by the presidium."""

    __tablename__ = "petition"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    code: Mapped[str] = mapped_column(String(32))
    received_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(16))  # letter | visit | phone | online
    person: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    forwarded_to: Mapped[str] = mapped_column(String(128), default="")
    result: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(default=None)
    recorded_by: Mapped[str] = mapped_column(String(64))


class Training(Base):
    """A study or training event for deputies (学习培训)."""

    __tablename__ = "training"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    code: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(256))
    organizer: Mapped[str] = mapped_column(String(128), default="")
    place: Mapped[str] = mapped_column(String(256), default="")
    hours: Mapped[str] = mapped_column(String(16), default="")
    attendees: Mapped[list[str]] = mapped_column(JSONType, default=list)  # roster codes
    recorded_by: Mapped[str] = mapped_column(String(64))


class VoterReport(Base):
    """A deputy's report of duty to the voters of the constituency (代表向选民述职, 代表法第五十八条)."""

    __tablename__ = "voter_report"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    code: Mapped[str] = mapped_column(String(32))
    deputy_code: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(256), default="")
    voters: Mapped[int] = mapped_column(default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    evaluation: Mapped[str] = mapped_column(String(64), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
