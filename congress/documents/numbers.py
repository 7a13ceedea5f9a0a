"""发文字号 from a register: per township, per organ series, per year, each document numbered once.

A number is ``<prefix>〔<year>〕<serial>号`` (GB/T 9704 7.2.4: the full year in 六角括号, no leading
zeros, no 第). The prefix is the issuing organ's — 人大/主席团 (``township.doc_prefix``, 青人), 政府 (青政),
党委 (青党), from the township's session file — optionally followed by a series character (青人交 for
交办函, 青人督 for 督办). The year is the year of the document's own date, so a letter dated 2027 about
a 2026 session is numbered 〔2027〕.

A document asks for its number by a stable `subject` ("<session key>/notice", "qingshan/interim-
handover/2027-03-02/镇财政所"): the first request allocates the next serial and records it (an
``doc_number_allocated`` audit event carries the number); every later request gets the same number,
so re-running a step or a sweep reproduces its documents byte for byte. Two transactions allocating
at once cannot share a serial: (township, prefix, year, serial) is unique, and the loser of the race
takes the next one (SQLite serialises writers anyway; PostgreSQL raises the unique violation, caught
in a savepoint).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from congress.models import CongressSession, DocNumber, DocumentSettings, Township

ORGANS = ("congress", "government", "party")
AUDIT_ACTION = "doc_number_allocated"
ANNOUNCEMENT_SERIES = "公告#"  # + the session's id: a session's 公告 are numbered among themselves
ATTEMPTS = 20  # serials lost to concurrent allocations before giving up (each loss means another won)

# The document types a township may print with a 版头 (发文机关标志 and red line, GB/T 9704 7.2), as its
# session file names them, and the document kinds each covers.
LETTERHEAD_TYPES: dict[str, tuple[str, ...]] = {
    "请示": ("party_request", "resolutions_request"),
    "报告": ("election_report",),
    "通知": ("notice", "presidium_meeting_notice", "supervision_notice"),
    "决定": ("presidium_decision",),
    "公告": ("announcement", "election_announcement"),
    "函": ("handover_letter", "interim_handover_letter", "reminder_letter"),
    "决议": ("resolution",),
    "纪要": ("presidium_minutes", "presidium_first_meeting", "presidium_second_meeting"),
}
DEFAULT_LETTERHEAD = ("请示", "通知", "决定", "公告")


def format_number(prefix: str, year: int, serial: int) -> str:
    """青人〔2026〕3号."""
    return f"{prefix}〔{year}〕{serial}号"


# --- the township's document settings ---------------------------------------------------------


def township_settings(db: Session, township: Township) -> DocumentSettings:
    """The township's document settings (defaults when its session file gave none)."""
    found = db.scalar(select(DocumentSettings).where(DocumentSettings.township_id == township.id))
    if found is not None:
        return found
    return DocumentSettings(township_id=township.id, government_prefix="", party_prefix="", issuer="",
                            contact_name="", contact_phone="", letterhead=list(DEFAULT_LETTERHEAD))


def store_township_settings(db: Session, *, township: Township, values: Mapping[str, Any]) -> None:
    """Keep what the session file's township block says about documents (see docs/formats.md)."""
    row = db.scalar(select(DocumentSettings).where(DocumentSettings.township_id == township.id))
    if row is None:
        row = DocumentSettings(township_id=township.id)
        db.add(row)
    contact = values.get("contact") or {}
    row.government_prefix = values.get("government_doc_prefix") or ""
    row.party_prefix = values.get("party_doc_prefix") or ""
    row.issuer = values.get("issuer") or ""
    row.contact_name = contact.get("name") or ""
    row.contact_phone = contact.get("phone") or ""
    letterhead = values.get("letterhead")
    row.letterhead = list(DEFAULT_LETTERHEAD if letterhead is None else letterhead)
    db.flush()


def letterhead_kinds(settings: DocumentSettings) -> frozenset[str]:
    """The document kinds printed with a 版头."""
    return frozenset(kind for name in settings.letterhead for kind in LETTERHEAD_TYPES.get(name, ()))


def organ_prefix(db: Session, township: Township, organ: str) -> str:
    """The 发文字号 prefix of one of the township's organs; the congress's when the other is not set."""
    if organ not in ORGANS:
        raise ValueError(f"unknown organ {organ!r}; one of {ORGANS}")
    settings = township_settings(db, township)
    prefix = {"government": settings.government_prefix, "party": settings.party_prefix}.get(organ, "")
    return prefix or township.doc_prefix


# --- the register ----------------------------------------------------------------------------


def allocate(db: Session, *, township: Township, organ: str, subject: str | None, issued_on: date | None,
             actor: str, series: str = "", year: int | None = None, session: CongressSession | None = None) -> str:
    """The 发文字号 of the document `subject` names: the one it was given, or the next of its series in the
    year of its date (or `year`, when the date is not known).

    Without a subject every call allocates a new number (the number itself is then the subject).
    """
    if year is None:
        if issued_on is None:
            raise ValueError("a 发文字号 needs the document's date or year")
        year = issued_on.year
    row = _allocate(db, township=township, organ=organ, prefix=organ_prefix(db, township, organ) + series,
                    year=year, subject=subject, issued_on=issued_on, actor=actor, session=session)
    return format_number(row.prefix, row.year, row.serial)


def announcement_number(db: Session, *, session: CongressSession, subject: str, issued_on: date,
                        actor: str) -> int:
    """The number of one of a session's 公告: （第1号）, （第2号）… in the order they are issued."""
    row = _allocate(db, township=session.term.township, organ="congress",
                    prefix=f"{ANNOUNCEMENT_SERIES}{session.id}",
                    year=session.opening_date.year, subject=subject, issued_on=issued_on, actor=actor,
                    session=session)
    return row.serial


def _allocate(db: Session, *, township: Township, organ: str, prefix: str, year: int, subject: str | None,
              issued_on: date | None, actor: str, session: CongressSession | None) -> DocNumber:
    if subject is not None:
        existing = _by_subject(db, township, subject)
        if existing is not None:
            return existing
    for _ in range(ATTEMPTS):
        serial = (db.scalar(select(func.max(DocNumber.serial)).where(
            DocNumber.township_id == township.id, DocNumber.prefix == prefix, DocNumber.year == year)) or 0) + 1
        row = DocNumber(township_id=township.id, organ=organ, prefix=prefix, year=year, serial=serial,
                        subject=subject or format_number(prefix, year, serial), issued_on=issued_on)
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            # another transaction committed this serial (or this very subject) first: look again
            existing = _by_subject(db, township, subject) if subject is not None else None
            if existing is not None:
                return existing
            continue
        # imported here: congress.lifecycle.operations imports this module (load_session)
        from congress.lifecycle.operations import audit

        audit(db, actor=actor, action=AUDIT_ACTION, session=session, township_id=township.id,
              number=_shown(row), organ=organ, prefix=prefix, year=year, serial=serial,
              subject=row.subject, issued_on=issued_on.isoformat() if issued_on else None)
        return row
    raise RuntimeError(f"no number could be allocated in {prefix} {year} for {subject!r} after {ATTEMPTS} attempts")


def _shown(row: DocNumber) -> str:
    """The number as the document prints it."""
    if row.prefix.startswith(ANNOUNCEMENT_SERIES):
        return f"公告（第{row.serial}号）"
    return format_number(row.prefix, row.year, row.serial)


def _by_subject(db: Session, township: Township, subject: str) -> DocNumber | None:
    return db.scalar(select(DocNumber).where(DocNumber.township_id == township.id, DocNumber.subject == subject))


def numbers_of(db: Session, township: Township, *, year: int | None = None) -> list[DocNumber]:
    """The township's allocated numbers (of one year), in the order they were given."""
    query = select(DocNumber).where(DocNumber.township_id == township.id)
    if year is not None:
        query = query.where(DocNumber.year == year)
    return list(db.scalars(query.order_by(DocNumber.id)))


__all__ = [
    "AUDIT_ACTION",
    "DEFAULT_LETTERHEAD",
    "LETTERHEAD_TYPES",
    "ORGANS",
    "allocate",
    "announcement_number",
    "format_number",
    "letterhead_kinds",
    "numbers_of",
    "organ_prefix",
    "store_township_settings",
    "township_settings",
]
