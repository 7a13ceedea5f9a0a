"""Personal links: one per deputy and term (/d/<token>), revocable and re-issued per term.

The token is an HMAC-SHA256 of a random 128-bit nonce under CONGRESS_SECRET_KEY (43 URL-safe
characters); only the token's SHA-256 and the nonce are stored. So a copy of the database alone gives
no live address (as for feed tokens), while the notice step can print the same QR code on every
re-run and `congress deputies links` can show a link again. If the secret key changes, the stored
links can no longer be shown (their hash no longer matches): `congress deputies links --all --reissue`
issues new ones, and the old ones keep working until revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from congress.calendar.feeds import token_hash
from congress.lifecycle.operations import audit
from congress.models import Deputy, DeputyLink, Term, Township
from congress.settings import Settings

# a QR code on A4 at this module size (pixels) and quiet zone prints about 25 mm wide at 150 dpi
QR_SCALE = 4
QR_BORDER = 2


def derive_token(settings: Settings, nonce: str) -> str:
    """The link's token from its nonce and the server's secret key."""
    digest = hmac.new(settings.secret_key.encode(), f"deputy-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def base_url(settings: Settings) -> str:
    return (settings.deputy_base_url or settings.feed_base_url).rstrip("/")


def page_url(settings: Settings, token: str) -> str:
    return f"{base_url(settings)}/d/{token}"


def calendar_url(settings: Settings, token: str) -> str:
    """The deputy's calendar through the link, as a webcal:// address (one tap subscribes on a phone)."""
    url = f"{base_url(settings)}/d/{token}/calendar.ics"
    return "webcal://" + url.split("://", 1)[1]


def qr_png(data: str) -> bytes:
    """A QR code as PNG bytes (the same text gives the same bytes)."""
    buf = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buf, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buf.getvalue()


def qr_svg(data: str) -> str:
    """A QR code as an inline-safe SVG document (for the pages: no script, no external reference)."""
    buf = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buf, kind="svg", scale=4, border=2, xmldecl=False,
                                                   svgns=True, title="", desc="")
    return buf.getvalue().decode()


def current_link(db: Session, deputy: Deputy) -> DeputyLink | None:
    return db.scalar(select(DeputyLink).where(DeputyLink.deputy_id == deputy.id, DeputyLink.revoked_at.is_(None))
                     .order_by(DeputyLink.id.desc()).limit(1))


def issue(db: Session, *, deputy: Deputy, actor: str, settings: Settings) -> tuple[DeputyLink, str]:
    """A new link for the deputy; their earlier live links are revoked. Returns the row and the token."""
    now = datetime.now(UTC)
    term = db.get(Term, deputy.term_id)
    assert term is not None
    replaced = []
    # the deputy's earlier links, and the same person's links of earlier terms (name and phone): one live
    # link per person, re-issued with each term
    same = DeputyLink.deputy_id == deputy.id
    if deputy.contact:
        earlier = select(Deputy.id).join(Term, Term.id == Deputy.term_id).where(
            Term.township_id == term.township_id, Deputy.name == deputy.name, Deputy.contact == deputy.contact)
        same = or_(same, DeputyLink.deputy_id.in_(earlier))
    for old in db.scalars(select(DeputyLink).where(same, DeputyLink.revoked_at.is_(None))):
        old.revoked_at, old.revoked_by = now, actor
        replaced.append(old.id)
    nonce = secrets.token_hex(16)
    token = derive_token(settings, nonce)
    link = DeputyLink(township_id=term.township_id, term_id=term.id, deputy_id=deputy.id, nonce=nonce,
                      token_sha256=token_hash(token), token_hint=token[:4], issued_at=now, issued_by=actor)
    db.add(link)
    db.flush()
    # the audit names the link by id and hint, never by its token
    audit(db, actor=actor, action="deputy_link_issued", township_id=term.township_id, link_id=link.id,
          deputy=deputy.code, name=deputy.name, hint=link.token_hint, revoked=replaced)
    return link, token


def token_of(link: DeputyLink, settings: Settings) -> str | None:
    """The link's token again, or None when the secret key changed since it was issued."""
    token = derive_token(settings, link.nonce)
    return token if hmac.compare_digest(token_hash(token), link.token_sha256) else None


def ensure(db: Session, *, deputy: Deputy, actor: str, settings: Settings) -> tuple[DeputyLink, str]:
    """The deputy's live link and its token, issued when there is none (or it can no longer be shown)."""
    link = current_link(db, deputy)
    if link is not None and (token := token_of(link, settings)) is not None:
        return link, token
    return issue(db, deputy=deputy, actor=actor, settings=settings)


def revoke(db: Session, *, link: DeputyLink, actor: str) -> bool:
    """Revoke a link: its pages answer 404 from now on. False when it already was revoked."""
    if link.revoked_at is not None:
        return False
    link.revoked_at, link.revoked_by = datetime.now(UTC), actor
    db.flush()
    deputy = db.get(Deputy, link.deputy_id)
    audit(db, actor=actor, action="deputy_link_revoked", township_id=link.township_id, link_id=link.id,
          deputy=deputy.code if deputy else "", hint=link.token_hint)
    return True


def resolve(db: Session, token: str) -> DeputyLink | None:
    """The live link for a token from a URL, or None (unknown, revoked, or not a token at all)."""
    if not token or len(token) > 64:
        return None
    return db.scalar(select(DeputyLink).where(DeputyLink.token_sha256 == token_hash(token),
                                              DeputyLink.revoked_at.is_(None)))


@dataclass
class LinkRow:
    deputy: Deputy
    link: DeputyLink | None
    token: str | None


def township_links(db: Session, township: Township, settings: Settings) -> list[LinkRow]:
    """Every deputy of the township's current term with their live link (or None)."""
    term = db.scalar(select(Term).where(Term.township_id == township.id).order_by(Term.ordinal.desc()).limit(1))
    if term is None:
        return []
    out = []
    for deputy in db.scalars(select(Deputy).where(Deputy.term_id == term.id).order_by(Deputy.position)):
        link = current_link(db, deputy)
        out.append(LinkRow(deputy, link, token_of(link, settings) if link else None))
    return out
