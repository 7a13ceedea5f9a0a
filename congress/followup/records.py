"""The registers' own records: letters and visits (来信来访), study and training (学习培训), and deputies'
reports to voters (代表向选民述职). Entered one at a time or imported from a CSV (all or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.errors import display_path
from congress.followup.common import FollowupError, deputies_by_code
from congress.followup.inputs import (
    CHANNELS,
    PETITION_COLUMNS,
    TRAINING_COLUMNS,
    VOTER_REPORT_COLUMNS,
    fail_at,
    load_rows,
)
from congress.lifecycle.operations import audit
from congress.messages import msg
from congress.models import Petition, Township, Training, VoterReport

KINDS = {"petitions": (Petition, PETITION_COLUMNS), "trainings": (Training, TRAINING_COLUMNS),
         "voter-reports": (VoterReport, VOTER_REPORT_COLUMNS)}


def _exists(db: Session, model: Any, township: Township, code: str) -> bool:
    return db.scalar(select(model.id).where(model.township_id == township.id, model.code == code)) is not None


def add_petition(db: Session, *, township: Township, code: str, received_on: date, channel: str, person: str,
                 subject: str, actor: str, forwarded_to: str = "", result: str = "",
                 closed_on: date | None = None) -> Petition:
    """Register a letter or visit."""
    value = CHANNELS.get(channel)
    if value is None:
        raise FollowupError(msg("input.bad_value", value=channel, what="方式（来信、来访、电话、网络）"))
    if _exists(db, Petition, township, code):
        raise FollowupError(msg("followup.code_taken", code=code))
    petition = Petition(township_id=township.id, code=code, received_on=received_on, channel=value, person=person,
                        subject=subject, forwarded_to=forwarded_to, result=result, closed_on=closed_on,
                        recorded_by=actor)
    db.add(petition)
    db.flush()
    audit(db, actor=actor, action="petition_registered", township_id=township.id, code=code,
          received_on=received_on.isoformat())
    return petition


def add_training(db: Session, *, township: Township, code: str, held_on: date, title: str, attendees: Sequence[str],
                 actor: str, organizer: str = "", place: str = "", hours: str = "") -> Training:
    """Register a study or training event and who attended."""
    _check_codes(db, township, attendees)
    if _exists(db, Training, township, code):
        raise FollowupError(msg("followup.code_taken", code=code))
    training = Training(township_id=township.id, code=code, held_on=held_on, title=title, organizer=organizer,
                        place=place, hours=hours, attendees=list(attendees), recorded_by=actor)
    db.add(training)
    db.flush()
    audit(db, actor=actor, action="training_registered", township_id=township.id, code=code,
          held_on=held_on.isoformat(), attendees=len(attendees))
    return training


def add_voter_report(db: Session, *, township: Township, code: str, deputy_code: str, held_on: date, actor: str,
                     place: str = "", voters: int = 0, summary: str = "", evaluation: str = "") -> VoterReport:
    """Register a deputy's report of duty to the voters (代表法第五十八条)."""
    _check_codes(db, township, [deputy_code])
    if _exists(db, VoterReport, township, code):
        raise FollowupError(msg("followup.code_taken", code=code))
    report = VoterReport(township_id=township.id, code=code, deputy_code=deputy_code, held_on=held_on, place=place,
                         voters=voters, summary=summary, evaluation=evaluation, recorded_by=actor)
    db.add(report)
    db.flush()
    audit(db, actor=actor, action="voter_report_registered", township_id=township.id, code=code,
          deputy=deputy_code, held_on=held_on.isoformat())
    return report


def _check_codes(db: Session, township: Township, codes: Sequence[str]) -> None:
    roster = deputies_by_code(db, township)
    unknown = [c for c in codes if c not in roster]
    if unknown:
        raise FollowupError(msg("input.unknown_deputy", code="、".join(unknown)))


def import_records(db: Session, *, township: Township, kind: str, path: Path, actor: str) -> int:
    """Import petitions, trainings or voter reports from a CSV; one bad line rejects the whole file."""
    model, spec = KINDS[kind]
    rows = load_rows(path, spec, set(deputies_by_code(db, township)))
    problems = [(row.line, msg("followup.code_taken", code=row.values["code"])) for row in rows
                if _exists(db, model, township, row.values["code"])]
    if kind == "petitions":
        problems += [(row.line, msg("input.bad_value", value=row.values["channel"], what="方式（来信、来访、电话、网络）"))
                     for row in rows if row.values["channel"] not in CHANNELS]
    fail_at(path, sorted(problems, key=lambda p: p[0] or 0))
    for row in rows:
        v = row.values
        if kind == "petitions":
            add_petition(db, township=township, actor=actor, **v)
        elif kind == "trainings":
            add_training(db, township=township, actor=actor, **v)
        else:
            add_voter_report(db, township=township, actor=actor, **v)
    audit(db, actor=actor, action=f"{kind.replace('-', '_')}_imported", township_id=township.id,
          source=display_path(path), count=len(rows))
    return len(rows)
