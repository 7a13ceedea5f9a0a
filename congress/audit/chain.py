"""The audit trail as hash chains: one per township, one global chain (key 0) for events without one.

Each event stores its place in its chain (`seq` 1, 2, 3…), the hash of the event before it (`prev_hash`;
the first event links to GENESIS) and `hash`, the sha256 of its canonical content: the chain key, seq,
prev_hash, actor, time (UTC ISO with microseconds), action, township id, session key, step, payload and
note, as JSON with sorted keys, no whitespace and the characters as they are (ensure_ascii=False). Editing
any of those, deleting or inserting an event breaks the chain at that point (congress/audit/verify.py).

Appending is serialised per chain: on PostgreSQL by a transaction-scoped advisory lock taken before the
chain's head is read (held until commit); on SQLite the write lock every writing unit of work takes at
BEGIN IMMEDIATE already lets one writer at a time in. A unique (chain, seq) constraint backs both.

Events that register files carry their sha256: every Document / FollowupDocument row flushed with a new
hash is noted on the database session and attached to the next audit event of the same session or
township (payload keys `files` and `township_files`, path → sha256), unless the payload already lists
that path with that hash under `documents`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from congress.models import AuditEvent, CongressSession, Document, FollowupDocument

GENESIS = "0" * 64
GLOBAL_CHAIN = 0
# pg_advisory_xact_lock(class, key): the two-int form, with a class of our own ("audi" in ASCII) so it never
# collides with the session claims (congress/lifecycle/claim.py) or single-bigint advisory locks.
LOCK_CLASS = 0x61756469
_PENDING = "congress.audit.pending_files"


@dataclass(frozen=True)
class Head:
    """The last event of a chain (seq 0 and GENESIS for an empty chain)."""

    chain: int
    seq: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "hash": self.hash}


def chain_key(township_id: int | None) -> int:
    """The chain an event of this township belongs to."""
    return township_id or GLOBAL_CHAIN


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, characters as they are: the one serialisation that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def normalise(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it reads back from the JSON column (tuples as lists, keys as strings, dates as ISO)."""
    return json.loads(json.dumps(payload, ensure_ascii=False, default=_iso))  # type: ignore[no-any-return]


def _iso(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def time_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def content(
    *, chain: int, seq: int, prev_hash: str, actor: str, at: datetime, action: str, township_id: int | None,
    session_key: str | None, step: str | None, detail: dict[str, Any], note: str,
) -> dict[str, Any]:
    """What an event's hash covers."""
    return {
        "chain": chain, "seq": seq, "prev_hash": prev_hash, "actor": actor, "at": time_text(at), "action": action,
        "township": township_id, "session": session_key, "step": step, "detail": detail, "note": note,
    }


def content_hash(fields: dict[str, Any]) -> str:
    """The sha256 of canonical content."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def event_hash(ev: AuditEvent, session_key: str | None) -> str:
    """The sha256 of the event's canonical content."""
    return content_hash(content(
        chain=ev.chain, seq=ev.seq, prev_hash=ev.prev_hash, actor=ev.actor, at=ev.at, action=ev.action,
        township_id=ev.township_id, session_key=session_key, step=ev.step, detail=ev.detail, note=ev.note))


def lock(db: Session, key: int) -> None:
    """Serialise appends to one chain until the transaction ends (PostgreSQL; SQLite's write lock does it)."""
    if db.get_bind().dialect.name == "postgresql":
        # advisory locks are per database, not per schema: name the schema so two schemas' chains don't share
        db.execute(text("SELECT pg_advisory_xact_lock(:cls, hashtext(current_database() || '/' || "
                        "current_schema() || '/audit/' || :key))"), {"cls": LOCK_CLASS, "key": str(key)})


def head(db: Session, key: int) -> Head:
    """The chain's last event as stored now."""
    row = db.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == key)
                     .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return Head(key, row[0], row[1]) if row else Head(key, 0, GENESIS)


def locked_head(db: Session, township_id: int | None) -> Head:
    """Take the chain's lock, then read its head: no event can be appended before this transaction ends."""
    key = chain_key(township_id)
    db.flush()
    lock(db, key)
    return head(db, key)


def append(
    db: Session, *, actor: str, action: str, session: CongressSession | None, township_id: int | None,
    step: str | None, note: str, detail: dict[str, Any], at: datetime,
) -> AuditEvent:
    """Append one event to its township's chain (or the global one)."""
    db.flush()  # rows registering files are noted by the flush; attach them to this event
    payload = normalise({**detail, **_take_pending(db, detail, session, township_id)})
    key = chain_key(township_id)
    lock(db, key)
    last = head(db, key)
    ev = AuditEvent(chain=key, seq=last.seq + 1, prev_hash=last.hash, township_id=township_id,
                    session_id=session.id if session is not None else None, at=at, actor=actor, action=action,
                    step=step, detail=payload, note=note)
    ev.hash = event_hash(ev, session.key if session is not None else None)
    db.add(ev)
    db.flush()
    return ev


# --- files registered since the last event -------------------------------------------------


def _note_registered_files(db: Session, _context: Any) -> None:
    pending: dict[tuple[str, int], dict[str, str]] = db.info.setdefault(_PENDING, {})
    for obj in list(db.new) + list(db.dirty):
        if not isinstance(obj, (Document, FollowupDocument)):
            continue
        history = inspect(obj).attrs.sha256.history
        if obj not in db.new and list(history.deleted) == list(history.added):
            continue  # registered again with the same bytes
        owner = ("session", obj.session_id) if isinstance(obj, Document) else ("township", obj.township_id)
        pending.setdefault(owner, {})[obj.path] = obj.sha256


def _forget_pending(db: Session, *_args: Any) -> None:
    db.info.pop(_PENDING, None)


def _take_pending(db: Session, detail: dict[str, Any], session: CongressSession | None,
                  township_id: int | None) -> dict[str, Any]:
    pending: dict[tuple[str, int], dict[str, str]] = db.info.get(_PENDING, {})
    extra: dict[str, Any] = {}
    listed = {d.get("path"): d.get("sha256") for d in detail.get("documents", []) if isinstance(d, dict)}
    if session is not None:
        files = {p: s for p, s in pending.pop(("session", session.id), {}).items() if listed.get(p) != s}
        files = {**files, **detail.get("files", {})}
        if files:
            extra["files"] = files
    if township_id is not None and ("township", township_id) in pending:
        extra["township_files"] = {**pending.pop(("township", township_id)), **detail.get("township_files", {})}
    return extra


event.listen(Session, "after_flush", _note_registered_files)
event.listen(Session, "after_rollback", _forget_pending)
