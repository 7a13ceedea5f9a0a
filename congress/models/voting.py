"""Votes (表决) and elections (选举) with their rounds and counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk


class Vote(Base):
    """A show-of-hands or electronic vote on one matter, with its tally once entered."""

    __tablename__ = "vote"
    __table_args__ = (UniqueConstraint("session_id", "key"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(96))
    subject: Mapped[str] = mapped_column(String(256))
    stage: Mapped[str] = mapped_column(String(16))  # preparatory | plenary
    yes: Mapped[int | None] = mapped_column(default=None)
    no: Mapped[int | None] = mapped_column(default=None)
    abstain: Mapped[int | None] = mapped_column(default=None)
    total: Mapped[int | None] = mapped_column(default=None)
    required: Mapped[int | None] = mapped_column(default=None)
    passed: Mapped[bool | None] = mapped_column(default=None)
    recorded_by: Mapped[str | None] = mapped_column(String(64), default=None)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Election(Base):
    __tablename__ = "election"
    __table_args__ = (UniqueConstraint("session_id", "key"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    office: Mapped[str] = mapped_column(String(16))  # chair | vice_chair | head | deputy_head
    title: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # general | by_election
    seats: Mapped[int]
    extra_candidates: Mapped[int] = mapped_column(default=1)
    nominated_by: Mapped[str] = mapped_column(String(16))  # presidium | deputies
    nominators: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | decided | invalid | unfilled
    elected: Mapped[list[str]] = mapped_column(JSONType, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    candidates: Mapped[list[Candidate]] = relationship(order_by="Candidate.position", cascade="all, delete-orphan")
    rounds: Mapped[list[ElectionRound]] = relationship(
        order_by="ElectionRound.number", cascade="all, delete-orphan"
    )


class Candidate(Base):
    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("election_id", "name"),)

    id: Mapped[intpk]
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(8), default="")
    born: Mapped[str] = mapped_column(String(16), default="")
    title: Mapped[str] = mapped_column(String(256), default="")


class ElectionRound(Base):
    """One ballot: preliminary (预选), formal, re-vote among the tied, or another election (另行选举)."""

    __tablename__ = "election_round"
    __table_args__ = (UniqueConstraint("election_id", "number"),)

    id: Mapped[intpk]
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    seats: Mapped[int]
    candidates: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ballots_issued: Mapped[int]
    ballots_returned: Mapped[int]
    ballots_void: Mapped[int]
    valid: Mapped[bool]
    elected: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tied: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reasons: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    counts: Mapped[list[RoundCount]] = relationship(order_by="RoundCount.position", cascade="all, delete-orphan")


class RoundCount(Base):
    __tablename__ = "round_count"

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    write_in: Mapped[bool] = mapped_column(default=False)
    votes: Mapped[int]
