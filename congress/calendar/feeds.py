"""Subscribable calendar feeds, one per deputy and per staff role, behind unguessable tokens.

A token is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 is stored, so a copy of the
database does not give anyone a live feed address. Re-issuing revokes the person's earlier tokens.
A feed is built from the database on request: a deputy's feed holds every event and deadline of
theirs across sessions and terms (the same person in a later term is matched by name and phone),
the office staff's feed every entry of the township, a handling office's feed its deadlines.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from congress.calendar import entries as cal
from congress.ical.builder import Person, calendar_bytes
from congress.lifecycle import operations as ops
from congress.messages import msg
from congress.models import CalendarDetail, CalendarEntry, Deputy, FeedToken, Term, Township
from congress.profiles import load_profile

KINDS = ("deputy", "office", "handler")
# how often a subscribed phone calendar should reload (REFRESH-INTERVAL / X-PUBLISHED-TTL)
REFRESH = "PT1H"


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def feed_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{secret}.ics"


def _label(kind: str, deputy: Deputy | None, handler: str | None) -> str:
    if kind == "deputy":
        assert deputy is not None
        return msg("calendar.feeds.label_deputy", name=deputy.name, code=deputy.code)
    if kind == "handler":
        return msg("calendar.feeds.label_handler", handler=handler)
    return msg("calendar.feeds.label_office")


def _same_subject(township: Township, kind: str, deputy: Deputy | None, handler: str | None):  # type: ignore[no-untyped-def]
    query = select(FeedToken).where(FeedToken.township_id == township.id, FeedToken.kind == kind,
                                    FeedToken.revoked_at.is_(None))
    if kind == "deputy":
        query = query.where(FeedToken.deputy_id == (deputy.id if deputy else None))
    elif kind == "handler":
        query = query.where(FeedToken.handler == handler)
    return query


def issue_token(db: Session, *, township: Township, kind: str, actor: str, deputy: Deputy | None = None,
                handler: str | None = None) -> tuple[FeedToken, str]:
    """A new feed token for a deputy, the office staff or a handling office; the person's earlier
    tokens are revoked. Returns the row and the secret, which is shown once and never stored."""
    if kind not in KINDS or (kind == "deputy") != (deputy is not None) or (kind == "handler") != bool(handler):
        raise ValueError(msg("calendar.feeds.need_subject"))
    now = datetime.now(UTC)
    replaced = []
    for old in db.scalars(_same_subject(township, kind, deputy, handler)):
        old.revoked_at, old.revoked_by = now, actor
        replaced.append(old.id)
    secret = secrets.token_urlsafe(32)
    token = FeedToken(township_id=township.id, kind=kind, deputy_id=deputy.id if deputy else None,
                      handler=handler if kind == "handler" else None, label=_label(kind, deputy, handler),
                      token_sha256=token_hash(secret), token_hint=secret[:4], issued_at=now, issued_by=actor)
    db.add(token)
    db.flush()
    # the audit names the token by id and hint, never by its secret
    ops.audit(db, actor=actor, action="feed_token_issued", township_id=township.id, token_id=token.id,
              kind=kind, label=token.label, hint=token.token_hint, revoked=replaced)
    return token, secret


def revoke_token(db: Session, *, token: FeedToken, actor: str) -> bool:
    """Revoke a token; its address answers 404 from now on. False when it already was revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at, token.revoked_by = datetime.now(UTC), actor
    db.flush()
    ops.audit(db, actor=actor, action="feed_token_revoked", township_id=token.township_id, token_id=token.id,
              kind=token.kind, label=token.label, hint=token.token_hint)
    return True


def active_token(db: Session, secret: str) -> FeedToken | None:
    """The live token for a secret from a URL, or None (unknown, revoked, or not a token at all)."""
    if not secret or len(secret) > 128:
        return None
    return db.scalar(select(FeedToken).where(FeedToken.token_sha256 == token_hash(secret),
                                             FeedToken.revoked_at.is_(None)))


def tokens(db: Session, township: Township) -> list[FeedToken]:
    return list(db.scalars(select(FeedToken).where(FeedToken.township_id == township.id)
                           .order_by(FeedToken.id)))


# --- building a feed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # quoted strong validator: a hash of the body
    last_modified: datetime  # latest change of any entry in the feed (whole seconds, UTC)


def _person(db: Session, token: FeedToken) -> list[Deputy]:
    """The token's deputy and the same person's rows in the township's other terms (name and phone)."""
    deputy = db.get(Deputy, token.deputy_id)
    if deputy is None:
        return []
    same = Deputy.id == deputy.id
    if deputy.contact:
        same = or_(same, (Deputy.name == deputy.name) & (Deputy.contact == deputy.contact))
    return list(db.scalars(select(Deputy).join(Term, Term.id == Deputy.term_id)
                           .where(Term.township_id == token.township_id, same).order_by(Deputy.term_id)))


def _version(db: Session, token: FeedToken, township: Township, person: list[Deputy]) -> tuple:  # type: ignore[type-arg]
    """A cheap key that changes whenever the feed's content may change: one aggregate query."""
    count, latest, sequences = db.execute(
        select(func.count(CalendarDetail.id), func.max(CalendarDetail.updated_at), func.sum(CalendarEntry.sequence))
        .join(CalendarEntry, CalendarEntry.id == CalendarDetail.entry_id)
        .where(CalendarDetail.township_id == token.township_id)).one()
    people = tuple((d.id, d.name, d.contact, d.group_name) for d in person)
    return (token.id, count, latest, sequences, people, township.name, township.presidium_name, township.profile)


class _Cache:
    """A small in-process cache of built feeds keyed by their version; a hit skips building."""

    def __init__(self, size: int = 512):
        self.size, self.items, self.lock = size, OrderedDict[tuple, Feed](), Lock()  # type: ignore[type-arg]

    def get(self, key: tuple) -> Feed | None:  # type: ignore[type-arg]
        with self.lock:
            feed = self.items.get(key)
            if feed is not None:
                self.items.move_to_end(key)
            return feed

    def put(self, key: tuple, feed: Feed) -> None:  # type: ignore[type-arg]
        with self.lock:
            self.items[key] = feed
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


CACHE = _Cache()


def build_feed(db: Session, token: FeedToken, *, use_cache: bool = True) -> Feed:
    """The token's feed from the database (or from the cache when nothing changed since)."""
    township = db.get(Township, token.township_id)
    assert township is not None
    person = _person(db, token) if token.kind == "deputy" else []
    key = _version(db, token, township, person)
    if use_cache and (hit := CACHE.get(key)) is not None:
        return hit
    rows = db.execute(select(CalendarEntry, CalendarDetail)
                      .join(CalendarDetail, CalendarDetail.entry_id == CalendarEntry.id)
                      .where(CalendarDetail.township_id == token.township_id)
                      .order_by(CalendarEntry.starts, CalendarEntry.id)).tuples().all()
    if token.kind == "deputy":
        by_term = {d.term_id: d for d in person}
        rows = [(e, d) for e, d in rows if d.term_id in by_term and cal.sees(d.audience, by_term[d.term_id])]
        name = msg("calendar.name.feed_deputy", township=township.name, name=person[0].name if person else "")
    elif token.kind == "handler":
        rows = [(e, d) for e, d in rows if d.audience.get("handler") == token.handler]
        name = msg("calendar.name.feed_handler", township=township.name, handler=token.handler)
    else:
        name = msg("calendar.name.feed_office", township=township.name)
    organizer = Person(township.presidium_name, f"urn:congress:{township.code}:presidium")
    # a PUBLISH feed names no attendees (an ATTENDEE would make clients treat it as an invitation)
    body = calendar_bytes([cal.ical_entry(e, d) for e, d in rows], method="PUBLISH", organizer=organizer,
                          alarms=cal.alarms(load_profile(township.profile)), name=name, refresh=REFRESH)
    changed = max((d.updated_at for _, d in rows), default=token.issued_at)
    feed = Feed(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:40]}"',
                last_modified=min(changed.astimezone(UTC), datetime.now(UTC)).replace(microsecond=0))
    if use_cache:
        CACHE.put(key, feed)
    return feed
