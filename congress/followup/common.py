"""What every follow-up module shares: finding a township and its term, the follow-up error, the
township's output folder (documents registered with their hash), and the documents' common context."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import storage
from congress.documents import numbers
from congress.documents.builder import markup_to_docx, render_text
from congress.documents.overrides import township_environment
from congress.ical.builder import TZ
from congress.lifecycle.context import deputy_dict, session_title
from congress.messages import msg
from congress.models import CongressSession, Deputy, FollowupDocument, Term, Township
from congress.profiles import Profile, load_profile
from congress.settings import Settings

RATING_CN = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
RATING_VALUES = {"满意": "satisfied", "基本满意": "basically", "不满意": "unsatisfied",
                 "satisfied": "satisfied", "basically": "basically", "basically_satisfied": "basically",
                 "unsatisfied": "unsatisfied"}
STATE_CN = {"registered": "待交办", "handed_over": "办理中", "replied": "已答复待测评", "closed": "已办结"}
# 发文字号 series of follow-up documents: 青人督〔2027〕3号
SERIES = {"handover_letter": "交", "reminder_letter": "督", "overdue_list": "督", "presidium_meeting_notice": "",
          "supervision_notice": "", "handling_report": ""}


class FollowupError(Exception):
    """A follow-up request that cannot be done as asked; the message is for staff, in Chinese."""


def township_by_code(db: Session, code: str) -> Township:
    township = db.scalar(select(Township).where(Township.code == code))
    if township is None:
        raise FollowupError(msg("followup.unknown_township", code=code))
    return township


def resolve_township(db: Session, key: str) -> Township:
    """A township from its code or from the key of one of its sessions."""
    township = db.scalar(select(Township).where(Township.code == key))
    if township is not None:
        return township
    session = db.scalar(select(CongressSession).where(CongressSession.key == key))
    if session is not None:
        return session.term.township
    raise FollowupError(msg("followup.unknown_township", code=key))


def current_term(db: Session, township: Township) -> Term:
    term = db.scalar(select(Term).where(Term.township_id == township.id).order_by(Term.ordinal.desc()).limit(1))
    if term is None:
        raise FollowupError(msg("followup.no_session", township=township.name))
    return term


def township_sessions(db: Session, township: Township) -> list[CongressSession]:
    return list(db.scalars(select(CongressSession).join(Term).where(Term.township_id == township.id)
                           .order_by(CongressSession.opening_date)))


def deputies_by_code(db: Session, township: Township) -> dict[str, Deputy]:
    term = current_term(db, township)
    return {d.code: d for d in db.scalars(select(Deputy).where(Deputy.term_id == term.id).order_by(Deputy.position))}


def profile_of(township: Township) -> Profile:
    return load_profile(township.profile)


def session_dict(session: CongressSession) -> dict[str, Any]:
    term = session.term
    return {"key": session.key, "title": session_title(term.township.name, term.ordinal, session.ordinal),
            "ordinal": session.ordinal, "opening_date": session.opening_date, "closing_date": session.closing_date}


def township_context(db: Session, township: Township, *, sign_date: date, doc_number_text: str = "") -> dict[str, Any]:
    """The plain data every follow-up template receives."""
    term = current_term(db, township)
    deputies = [d for d in term.deputies if d.status == "active"]
    return {
        "township": {"code": township.code, "name": township.name, "county": township.county,
                     "party_committee": township.party_committee, "presidium_name": township.presidium_name,
                     "government_name": township.government_name, "doc_prefix": township.doc_prefix},
        "term": {"ordinal": term.ordinal, "start_year": term.start_year},
        "deputies": [deputy_dict(d) for d in deputies],
        "deputy_count": len(deputies),
        "doc_number": doc_number_text,
        "sign_date": sign_date,
        "signer": township.presidium_name,
    }


class TownshipOutputs:
    """Builds follow-up files in memory and registers them with their hash; they are kept in the township's
    store (congress/storage.py: <output>/<township code>/, or the database).

    The files are written once the transaction that registered them has committed (an ``after_commit``
    hook on the database session; a rollback drops them), so no transaction is open while files go to
    disk, and a file is never on disk for a registration that was rolled back. A write that fails after
    the commit raises OutputWriteError (one line for staff); running the same command again writes the
    same bytes.
    """

    def __init__(self, db: Session, township: Township, settings: Settings):
        self.db, self.township = db, township
        self.root = Path(settings.output_dir).resolve() / township.code
        self.store = storage.township_store(settings, township.code)  # that folder, or the shared database
        self.env = township_environment(township, settings)
        self.written: list[dict[str, str]] = []

    @property
    def pending(self) -> dict[str, bytes]:
        """This township's files waiting for the commit: path → bytes."""
        return {rel: data for (store, rel), data in storage.outbox(self.db).items() if store == self.store}

    def number(self, kind: str, year: int, *, subject: str | None = None, on: date | None = None,
               actor: str = "system") -> str:
        """The 发文字号 of a follow-up document from the township's register (congress/documents/numbers.py):
        the next of its series (青人交, 青人督, …) in the year, unique even when two sweeps run at once. With a
        `subject` naming the document, asking again gives the number it was given."""
        return numbers.allocate(self.db, township=self.township, organ="congress", series=SERIES.get(kind, ""),
                                subject=subject, year=year, issued_on=on, actor=actor)

    def document(self, kind: str, template: str, rel: str, context: dict[str, Any], *, title: str,
                 on: date) -> FollowupDocument:
        created = datetime.combine(on, time(9, 0), tzinfo=TZ).astimezone(UTC)
        data = markup_to_docx(render_text(self.env, template, context), title=title,
                              author=self.township.presidium_name, created=created)
        return self._register(kind, f"{rel}.docx", data, on)

    def calendar(self, kind: str, rel: str, data: bytes, *, on: date) -> FollowupDocument:
        return self._register(kind, f"{rel}.ics", data, on)

    def workbook(self, kind: str, rel: str, data: bytes, *, on: date) -> FollowupDocument:
        """An .xlsx beside a document (congress/workbooks.py), registered like it."""
        return self._register(kind, f"{rel}.xlsx", data, on)

    def _register(self, kind: str, path: str, data: bytes, on: date) -> FollowupDocument:
        sha = hashlib.sha256(data).hexdigest()
        storage.after_commit(self.db, self.store, path, data)
        doc = self.db.scalar(select(FollowupDocument).where(FollowupDocument.township_id == self.township.id,
                                                            FollowupDocument.path == path))
        if doc is None:
            doc = FollowupDocument(township_id=self.township.id, kind=kind, path=path, sha256=sha, made_on=on)
            self.db.add(doc)
        else:
            doc.sha256, doc.kind = sha, kind
        self.db.flush()
        self.written.append({"kind": kind, "path": path, "sha256": sha})
        return doc


def safe_name(text: str) -> str:
    """A file-name-safe form of an office or title."""
    return "".join("-" if ch in '/\\:*?"<>| ' else ch for ch in text)[:60]
