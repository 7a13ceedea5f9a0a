"""The deputies' own page: each deputy's personal link, the materials staff release to deputies, the
motions (议案) deputies start and co-sign from their phones, and what each deputy entered there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import JSONType, UTCDateTime, intpk, utcnow


class DeputyLink(Base):
    """A deputy's personal link (/d/<token>), one live link per deputy and term.

    Only the SHA-256 of the token is stored, as for feed tokens. The token itself is an HMAC of the
    random `nonce` under the server's secret key, so the notice step can print the same QR code again
    (same bytes on a re-run) and `congress deputies links` can show it, while a copy of the database
    alone gives no live address.
    """

    __tablename__ = "deputy_link"
    __table_args__ = (UniqueConstraint("token_sha256"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64))
    token_hint: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)


class DeputyMaterial(Base):
    """A session material (a report, a draft resolution) as a PDF staff uploaded; deputies see it from
    `released_at` on (the presidium's release, recorded by staff and audited)."""

    __tablename__ = "deputy_material"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(256))
    path: Mapped[str] = mapped_column(String(512))  # relative to CONGRESS_UPLOAD_DIR
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    released_by: Mapped[str | None] = mapped_column(String(64), default=None)


class MotionDraft(Base):
    """A motion (议案) a deputy started on their page, collecting co-sponsors. It reaches staff (state
    `submitted`) only once the sponsors reach the profile's `motion_sponsors` (LOL 第二十二条)."""

    __tablename__ = "motion_draft"

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"))
    title: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text, default="")
    starter_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    sponsors: Mapped[list[str]] = mapped_column(JSONType, default=list)  # roster codes, the starter first
    state: Mapped[str] = mapped_column(String(16), default="collecting")  # collecting | submitted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DeputyEntry(Base):
    """One write a deputy made through their link (a suggestion, a motion, a co-signature, a rating):
    the per-link rate limit counts these, and a suggestion's photo is kept here."""

    __tablename__ = "deputy_entry"

    id: Mapped[intpk]
    link_id: Mapped[int] = mapped_column(ForeignKey("deputy_link.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    kind: Mapped[str] = mapped_column(String(16))  # suggestion | motion | cosign | rating
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id"), default=None)
    motion_id: Mapped[int | None] = mapped_column(ForeignKey("motion_draft.id"), default=None)
    photo_path: Mapped[str] = mapped_column(String(512), default="")  # relative to CONGRESS_UPLOAD_DIR
    photo_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
