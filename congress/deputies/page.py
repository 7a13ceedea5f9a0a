"""What a deputy's page shows: the next session's sittings, the released materials, the motions open for
co-signing, and the deputy's own suggestions with their handling. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import rules
from congress.deputies import operations as dops
from congress.followup import operations as fops
from congress.followup.common import RATING_CN, STATE_CN, profile_of
from congress.lifecycle.context import session_title
from congress.models import (
    CongressSession,
    Deputy,
    DeputyLink,
    DeputyMaterial,
    FollowupDocument,
    MotionDraft,
    Sitting,
    Suggestion,
    Term,
    Township,
)


@dataclass
class SuggestionRow:
    suggestion: Suggestion
    state: str  # as the deputy reads it
    office: str
    due_on: date | None
    replied_on: date | None
    reply_text: str
    reply_letter: FollowupDocument | None
    rating: str  # 满意 / 基本满意 / 不满意, or ""
    rating_open: bool
    rating_ends: date | None
    rounds: int


@dataclass
class MotionRow:
    motion: MotionDraft
    starter: str
    signed: bool
    count: int
    required: int


@dataclass
class PageData:
    township: Township
    deputy: Deputy
    session: CongressSession | None
    title: str
    sittings: list[Sitting] = field(default_factory=list)
    materials: list[DeputyMaterial] = field(default_factory=list)
    suggestions: list[SuggestionRow] = field(default_factory=list)
    motions: list[MotionRow] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    motion_required: int = 0
    motion_citation: str = ""


def next_session(db: Session, deputy: Deputy, today: date) -> CongressSession | None:
    """The deputy's term's next session (the first not yet closed), else the last one held."""
    sessions = list(db.scalars(select(CongressSession).where(CongressSession.term_id == deputy.term_id)
                               .order_by(CongressSession.opening_date)))
    coming = [s for s in sessions if s.closing_date >= today and s.state not in ("cancelled",)]
    return coming[0] if coming else (sessions[-1] if sessions else None)


def reply_letter(db: Session, township: Township, code: str, number: int) -> FollowupDocument | None:
    return db.scalar(select(FollowupDocument).where(FollowupDocument.township_id == township.id,
                                                    FollowupDocument.path == f"答复/{code}-第{number}次答复函.docx"))


def suggestion_row(db: Session, township: Township, sg: Suggestion, today: date) -> SuggestionRow:
    rounds = fops.rounds_of(db, sg)
    current = rounds[-1] if rounds else None
    answered = next((r for r in reversed(rounds) if r.replied_on is not None), None)
    ends = (rules.rating_window_ends(profile_of(township), replied_on=current.replied_on)
            if current is not None and current.state == "replied" and current.replied_on else None)
    rated = next((r for r in reversed(rounds) if r.rating), None)
    return SuggestionRow(
        suggestion=sg, state=STATE_CN.get(sg.state, sg.state), office=current.office if current else sg.office,
        due_on=current.due_on if current else sg.due_on, replied_on=answered.replied_on if answered else None,
        reply_text=answered.reply_text if answered else "",
        reply_letter=reply_letter(db, township, sg.code, answered.number) if answered else None,
        rating=RATING_CN.get(rated.rating or "", "") if rated else "", rating_open=ends is not None and today <= ends,
        rating_ends=ends, rounds=len(rounds))


def page_data(db: Session, link: DeputyLink, today: date) -> PageData:
    township, deputy = dops.township_of(db, link), dops.deputy_of(db, link)
    term = db.get(Term, deputy.term_id)
    assert term is not None
    session = next_session(db, deputy, today)
    profile = profile_of(township)
    spec = profile.rule("motion_sponsors")
    data = PageData(township=township, deputy=deputy, session=session,
                    title=session_title(township.name, term.ordinal, session.ordinal) if session else township.name,
                    categories=rules.suggestion_categories(profile), motion_required=int(spec["value"]),
                    motion_citation=spec.citation.label)
    if session is not None:
        data.sittings = list(session.sittings)
        data.materials = dops.materials(db, session, released_only=True)
        names = {d.id: d.name for d in term.deputies}
        for motion in dops.open_motions(db, session):
            check = dops.sponsors_check(db, motion, township)
            data.motions.append(MotionRow(motion, names.get(motion.starter_id, ""), deputy.code in motion.sponsors,
                                          int(check.detail["count"]), int(check.detail["required"])))
    data.suggestions = [suggestion_row(db, township, s, today) for s in reversed(dops.own_suggestions(db, link))]
    return data


def reply_letter_file(db: Session, link: DeputyLink, code: str, output_dir: Path) -> Path | None:
    """The .docx of the latest reply letter to the link's deputy's own suggestion, or None."""
    sg = dops.own_suggestion(db, link, code)
    township = dops.township_of(db, link)
    rounds = [r for r in fops.rounds_of(db, sg) if r.replied_on is not None]
    doc = reply_letter(db, township, code, rounds[-1].number) if rounds else None
    if doc is None:
        return None
    root = (Path(output_dir).resolve() / township.code).resolve()
    path = (root / doc.path).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
