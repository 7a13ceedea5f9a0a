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
    # show_of_hands (or an electronic system) | ballot: a secret ballot on a 表决票 (the session file's
    # ballot_votes; ZJ 第二十二条 leaves the way of voting to the congress's rules of procedure)
    method: Mapped[str] = mapped_column(String(16), default="show_of_hands", server_default="show_of_hands")
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
    # how the candidates were nominated, summed up: presidium | deputies | mixed (each candidate says)
    nominated_by: Mapped[str] = mapped_column(String(16))
    nominators: Mapped[list[str]] = mapped_column(JSONType, default=list)
    incumbents: Mapped[int] = mapped_column(default=0)  # holders of the office who stay (a by-election)
    sitting_key: Mapped[str | None] = mapped_column(String(64), default=None)  # the sitting that votes
    # pending | decided | invalid | unfilled | not_held (its 选举办法 was not adopted, LOL 第三十条)
    status: Mapped[str] = mapped_column(String(16), default="pending")
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
    ethnicity: Mapped[str] = mapped_column(String(16), default="")  # 民族 (from the roster when a deputy)
    title: Mapped[str] = mapped_column(String(256), default="")
    code: Mapped[str | None] = mapped_column(String(32), default=None)  # roster code when a deputy
    nominated_by: Mapped[str] = mapped_column(String(16), default="presidium")  # presidium | deputies
    nominators: Mapped[list[str]] = mapped_column(JSONType, default=list)  # roster codes of a joint nomination


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
    # a candidate's 反对 and 弃权 marks, when the tallies give them (None: not counted); not for write-ins
    against: Mapped[int | None] = mapped_column(default=None)
    abstain: Mapped[int | None] = mapped_column(default=None)
