"""What a deputy does through their link, and the staff actions of the deputies' page: one function per
state change, keyword-only, actor passed in, audited. Functions flush but do not commit.

A deputy's writes are audited with the actor "代表：<姓名>（链接）" and the link's id, so the trail tells
them from staff entry; suggestions and ratings go through the follow-up area's own operations
(congress/followup/operations.py), so a rating of 不满意 re-opens handling exactly as staff entry does.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress import limits, rules
from congress.followup import operations as fops
from congress.followup.common import FollowupError, deputies_by_code, profile_of
from congress.lifecycle.operations import audit
from congress.messages import msg
from congress.models import (
    CongressSession,
    Deputy,
    DeputyEntry,
    DeputyLink,
    DeputyMaterial,
    MotionDraft,
    Suggestion,
    Township,
)
from congress.settings import Settings

# Writes one link may make (suggestions, motions, co-signatures, ratings): per hour and per day. Counted in
# the database (deputy_entry), so every web process and a restart see the same count.
WRITES_PER_HOUR = 10
WRITES_PER_DAY = 30
TITLE_CHARS = 100
PHOTO_KINDS = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
PDF_MAGIC = b"%PDF-"
MATERIALS_FOLDER = "deputy-materials"
PHOTOS_FOLDER = "deputy-photos"


class DeputyPageError(Exception):
    """A deputy's or staff request on the deputies' page that cannot be done; the message is Chinese."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def actor_of(deputy: Deputy) -> str:
    """The audit actor of a deputy's own entry: 代表：王建华（链接）."""
    return msg("deputies.actor", name=deputy.name)[:64]


def township_of(db: Session, link: DeputyLink) -> Township:
    township = db.get(Township, link.township_id)
    assert township is not None
    return township


def deputy_of(db: Session, link: DeputyLink) -> Deputy:
    deputy = db.get(Deputy, link.deputy_id)
    assert deputy is not None
    return deputy


# --- rate limit -------------------------------------------------------------------------------------


def check_rate(db: Session, link: DeputyLink, *, now: datetime | None = None) -> None:
    """Refuse (429) a write past the link's hourly or daily allowance."""
    now = now or datetime.now(UTC)
    for window, most in ((timedelta(hours=1), WRITES_PER_HOUR), (timedelta(days=1), WRITES_PER_DAY)):
        count = db.scalar(select(func.count(DeputyEntry.id)).where(DeputyEntry.link_id == link.id,
                                                                    DeputyEntry.created_at > now - window))
        if (count or 0) >= most:
            raise DeputyPageError(msg("deputies.rate_limited", most=most,
                                      window=msg("deputies.window_hour" if window.days == 0 else "deputies.window_day")),
                                  status=429)


def _entry(db: Session, link: DeputyLink, kind: str, **values: object) -> DeputyEntry:
    entry = DeputyEntry(link_id=link.id, deputy_id=link.deputy_id, kind=kind, **values)
    db.add(entry)
    db.flush()
    return entry


# --- uploads ----------------------------------------------------------------------------------------


def photo_suffix(data: bytes) -> str:
    """.jpg or .png from the file's first bytes; anything else (whatever its name says) is refused."""
    if len(data) > limits.MAX_FILE_BYTES["photo"]:
        raise DeputyPageError(msg("deputies.photo_too_large", size=limits.MAX_FILE_BYTES["photo"] // limits.KIB),
                              status=413)
    for magic, suffix in PHOTO_KINDS.items():
        if data.startswith(magic):
            return suffix
    raise DeputyPageError(msg("deputies.photo_type"))


def _store(settings: Settings, folder: str, data: bytes, suffix: str) -> tuple[str, str]:
    """Keep an upload under CONGRESS_UPLOAD_DIR by its hash (the same file twice is one file)."""
    sha = hashlib.sha256(data).hexdigest()
    rel = f"{folder}/{sha[:2]}/{sha}{suffix}"
    path = Path(settings.upload_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return rel, sha


def upload_path(settings: Settings, rel: str) -> Path | None:
    """An upload's file, if it is under CONGRESS_UPLOAD_DIR and exists."""
    root = Path(settings.upload_dir).resolve()
    path = (root / rel).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


# --- suggestions --------------------------------------------------------------------------------------


def _next_code(db: Session, township: Township, day: date) -> str:
    """D<year><nnn>: the next number of the deputies' own series in the township (never reused)."""
    prefix = f"D{day.year}"
    taken = [s.code for s in fops.township_suggestions(db, township) if s.code.startswith(prefix)]
    numbers = [int(c[len(prefix):]) for c in taken if re.fullmatch(r"\d{3,}", c[len(prefix):])]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _office_for(db: Session, township: Township, category: str) -> str:
    """The office the township last handed a suggestion of this category to; else the presidium's own
    office, to be changed by staff before handover (a suggestion needs an office to be handed over)."""
    for sg in reversed(fops.township_suggestions(db, township)):
        if sg.category == category and sg.office:
            return sg.office
    return msg("deputies.office_pending", township=township.name)


@dataclass
class NewSuggestion:
    title: str
    text: str
    category: str
    photo: bytes | None = None


def submit_suggestion(db: Session, *, link: DeputyLink, data: NewSuggestion, today: date,
                      settings: Settings) -> Suggestion:
    """A deputy's own suggestion, registered as staff would register it, with the deputy as proposer."""
    township, deputy = township_of(db, link), deputy_of(db, link)
    check_rate(db, link)
    title, text = data.title.strip(), data.text.strip()
    if not title or not text:
        raise DeputyPageError(msg("deputies.suggestion_missing"))
    if len(title) > TITLE_CHARS:
        raise DeputyPageError(msg("deputies.title_too_long", n=TITLE_CHARS))
    categories = rules.suggestion_categories(profile_of(township))
    if data.category not in categories:
        raise DeputyPageError(msg("deputies.bad_category", categories="、".join(categories)))
    photo_rel = photo_sha = ""
    if data.photo:
        photo_rel, photo_sha = _store(settings, PHOTOS_FOLDER, data.photo, photo_suffix(data.photo))
    try:
        suggestion = fops.enter_suggestion(
            db, township=township, code=_next_code(db, township, today), title=title, text=text,
            proposers=[deputy.code], category=data.category, office=_office_for(db, township, data.category),
            complex_case=False, raised_on=today, actor=actor_of(deputy))
    except FollowupError as exc:
        raise DeputyPageError(str(exc)) from exc
    _entry(db, link, "suggestion", suggestion_id=suggestion.id, photo_path=photo_rel, photo_sha256=photo_sha)
    audit(db, actor=actor_of(deputy), action="deputy_suggestion_submitted", township_id=township.id,
          link_id=link.id, deputy=deputy.code, code=suggestion.code, photo_sha256=photo_sha or None)
    return suggestion


def own_suggestions(db: Session, link: DeputyLink) -> list[Suggestion]:
    """The suggestions the link's deputy proposed or co-proposed (by roster code, in their term)."""
    deputy = deputy_of(db, link)
    township = township_of(db, link)
    sessions = set(db.scalars(select(CongressSession.id).where(CongressSession.term_id == deputy.term_id)))
    return [s for s in fops.township_suggestions(db, township) if deputy.code in s.proposers and s.session_id in sessions]


def own_suggestion(db: Session, link: DeputyLink, code: str) -> Suggestion:
    for sg in own_suggestions(db, link):
        if sg.code == code:
            return sg
    raise DeputyPageError(msg("deputies.not_found"), status=404)


def rate(db: Session, *, link: DeputyLink, code: str, rating: str, comment: str, today: date,
         settings: Settings) -> bool:
    """The deputy rates the reply to their own suggestion, within the profile's window; True when the
    rating opened another round of handling (不满意), as the follow-up operation decides."""
    township, deputy = township_of(db, link), deputy_of(db, link)
    suggestion = own_suggestion(db, link, code)
    check_rate(db, link)
    rounds = fops.rounds_of(db, suggestion)
    current = rounds[-1] if rounds else None
    if current is None or current.state != "replied" or current.replied_on is None:
        raise DeputyPageError(msg("deputies.rating_not_open"))
    ends = rules.rating_window_ends(profile_of(township), replied_on=current.replied_on)
    if today > ends:
        raise DeputyPageError(msg("deputies.rating_window_passed", ends=f"{ends.year}年{ends.month}月{ends.day}日"))
    try:
        fops.record_rating(db, township=township, code=code, rating=rating, rated_on=today, comment=comment.strip(),
                           actor=actor_of(deputy), settings=settings)
    except FollowupError as exc:
        raise DeputyPageError(str(exc)) from exc
    _entry(db, link, "rating", suggestion_id=suggestion.id)
    audit(db, actor=actor_of(deputy), action="deputy_rating_entered", township_id=township.id, link_id=link.id,
          deputy=deputy.code, code=code, round=current.number)
    return len(fops.rounds_of(db, suggestion)) > len(rounds)


# --- motions (议案) co-signed from the phone ----------------------------------------------------------------


def sponsors_check(db: Session, motion: MotionDraft, township: Township) -> rules.Check:
    """The live count of the motion's sponsors against `motion_sponsors` (LOL 第二十二条); a deputy whose
    mandate has ended does not count."""
    roster = deputies_by_code(db, township)
    live = [c for c in motion.sponsors if c in roster and roster[c].status == "active"]
    ended = [c for c in motion.sponsors if c not in live]
    return rules.sponsors_enough(profile_of(township), "motion_sponsors", subject=motion.title, count=len(live),
                                 ended=ended)


def start_motion(db: Session, *, link: DeputyLink, session: CongressSession, title: str, text: str) -> MotionDraft:
    """A motion a deputy starts; it waits for co-sponsors and reaches staff at the threshold."""
    township, deputy = township_of(db, link), deputy_of(db, link)
    check_rate(db, link)
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise DeputyPageError(msg("deputies.motion_missing"))
    if len(title) > TITLE_CHARS:
        raise DeputyPageError(msg("deputies.title_too_long", n=TITLE_CHARS))
    motion = MotionDraft(township_id=township.id, session_id=session.id, title=title, text=text,
                         starter_id=deputy.id, sponsors=[deputy.code], state="collecting")
    db.add(motion)
    db.flush()
    _entry(db, link, "motion", motion_id=motion.id)
    audit(db, actor=actor_of(deputy), session=session, action="deputy_motion_started", link_id=link.id,
          deputy=deputy.code, motion_id=motion.id, title=title)
    _maybe_submit(db, motion, township, session, deputy)
    return motion


def cosign(db: Session, *, link: DeputyLink, motion_id: int) -> MotionDraft:
    """Add the link's deputy to a motion of their township and term; at the threshold it goes to staff."""
    township, deputy = township_of(db, link), deputy_of(db, link)
    # locked (PostgreSQL: SELECT … FOR UPDATE) so two deputies signing at once both count
    motion = db.get(MotionDraft, motion_id, with_for_update=True)
    session = db.get(CongressSession, motion.session_id) if motion is not None else None
    if motion is None or session is None or motion.township_id != township.id or session.term_id != deputy.term_id:
        raise DeputyPageError(msg("deputies.not_found"), status=404)
    if deputy.code in motion.sponsors:
        raise DeputyPageError(msg("deputies.already_signed"))
    check_rate(db, link)
    motion.sponsors = [*motion.sponsors, deputy.code]
    db.flush()
    _entry(db, link, "cosign", motion_id=motion.id)
    audit(db, actor=actor_of(deputy), session=session, action="deputy_motion_cosigned", link_id=link.id,
          deputy=deputy.code, motion_id=motion.id, sponsors=len(motion.sponsors))
    _maybe_submit(db, motion, township, session, deputy)
    return motion


def _maybe_submit(db: Session, motion: MotionDraft, township: Township, session: CongressSession,
                  deputy: Deputy) -> None:
    check = sponsors_check(db, motion, township)
    if motion.state == "collecting" and check.ok:
        motion.state, motion.submitted_at = "submitted", datetime.now(UTC)
        db.flush()
        audit(db, actor=actor_of(deputy), session=session, action="deputy_motion_submitted", motion_id=motion.id,
              title=motion.title, sponsors=list(motion.sponsors), required=check.detail["required"],
              citation=check.citation.label)


def open_motions(db: Session, session: CongressSession) -> list[MotionDraft]:
    return list(db.scalars(select(MotionDraft).where(MotionDraft.session_id == session.id)
                           .order_by(MotionDraft.id)))


# --- materials (staff) ------------------------------------------------------------------------------------


def add_material(db: Session, *, session: CongressSession, title: str, data: bytes, actor: str,
                 settings: Settings) -> DeputyMaterial:
    """A session material as a PDF (checked by its first bytes, capped like every upload), not yet released."""
    title = title.strip()
    if not title or len(title) > 256:
        raise DeputyPageError(msg("deputies.material_title"))
    if len(data) > limits.MAX_FILE_BYTES["material"]:
        raise DeputyPageError(msg("deputies.material_too_large",
                                  size=limits.MAX_FILE_BYTES["material"] // limits.KIB), status=413)
    if not data.startswith(PDF_MAGIC):
        raise DeputyPageError(msg("deputies.material_type"))
    rel, sha = _store(settings, f"{MATERIALS_FOLDER}/{session.key}", data, ".pdf")
    position = len(materials(db, session))
    material = DeputyMaterial(session_id=session.id, position=position, title=title, path=rel, sha256=sha,
                              size=len(data), uploaded_by=actor)
    db.add(material)
    db.flush()
    audit(db, actor=actor, session=session, action="deputy_material_added", material_id=material.id, title=title,
          sha256=sha, size=len(data))
    return material


def release_materials(db: Session, *, session: CongressSession, actor: str) -> list[DeputyMaterial]:
    """The presidium releases the session's materials to deputies (recorded by staff): every material not
    yet released becomes visible on the deputies' pages."""
    pending = [m for m in materials(db, session) if m.released_at is None]
    if not pending:
        raise DeputyPageError(msg("deputies.nothing_to_release"))
    now = datetime.now(UTC)
    for m in pending:
        m.released_at, m.released_by = now, actor
    db.flush()
    audit(db, actor=actor, session=session, action="deputy_materials_released",
          materials=[{"title": m.title, "sha256": m.sha256} for m in pending])
    return pending


def materials(db: Session, session: CongressSession, *, released_only: bool = False) -> list[DeputyMaterial]:
    query = select(DeputyMaterial).where(DeputyMaterial.session_id == session.id)
    if released_only:
        query = query.where(DeputyMaterial.released_at.is_not(None))
    return list(db.scalars(query.order_by(DeputyMaterial.position)))


def assign_office(db: Session, *, township: Township, code: str, office: str, actor: str) -> Suggestion:
    """Staff name the office of a suggestion a deputy entered, before it is handed over."""
    office = office.strip()
    try:
        item = fops.find_item(db, township, code)
    except FollowupError as exc:
        raise DeputyPageError(str(exc)) from exc
    if not isinstance(item, Suggestion) or item.state != "registered":
        raise DeputyPageError(msg("deputies.office_fixed", code=code))
    if not office or len(office) > 128:
        raise DeputyPageError(msg("deputies.office_missing"))
    before, item.office = item.office, office
    db.flush()
    audit(db, actor=actor, township_id=township.id, action="suggestion_office_assigned", code=code, before=before,
          office=office)
    return item
