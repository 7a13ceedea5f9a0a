"""What the audit trail last recorded about a session: file hashes, state values, the written outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.models import AuditEvent, CongressSession

# Actions whose payload carries state values verify compares with the tables.
STATE_ACTIONS = ("party_decision_recorded", "attendance_recorded", "tallies_recorded", "step_done")
OUTCOME_FILE = "outcome.json"


@dataclass
class Audited:
    """A value and the event that recorded it."""

    value: Any
    event: AuditEvent


@dataclass
class Trail:
    """The last audited values of one session, folded from its events in chain order."""

    events: list[AuditEvent] = field(default_factory=list)
    files: dict[str, Audited] = field(default_factory=dict)  # path → sha256
    contents: dict[str, str] = field(default_factory=dict)  # written file → fingerprint of its content
    approvals: dict[tuple[str, int], Audited] = field(default_factory=dict)
    attendance: Audited | None = None
    votes: dict[str, Audited] = field(default_factory=dict)  # tally: yes, no, abstain, total, required, passed
    vote_outcomes: dict[str, Audited] = field(default_factory=dict)  # passed, as last recorded or decided
    elections: dict[str, Audited] = field(default_factory=dict)  # recorded rounds
    election_outcomes: dict[str, Audited] = field(default_factory=dict)  # elected and status, as decided
    quorum: Audited | None = None
    deputies: Audited | None = None  # the roster size as last loaded
    last_state_seq: int = 0


def session_events(db: Session, session: CongressSession) -> list[AuditEvent]:
    """The session's events in chain order."""
    return list(db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id)
                           .order_by(AuditEvent.chain, AuditEvent.seq)))


def fold(events: Iterable[AuditEvent]) -> Trail:
    """The last audited values, from events in chain order."""
    trail = Trail()
    for ev in events:
        trail.events.append(ev)
        d = ev.detail if isinstance(ev.detail, dict) else {}
        for doc in d.get("documents", []) or []:
            if isinstance(doc, dict) and doc.get("path") and doc.get("sha256"):
                trail.files[doc["path"]] = Audited(doc["sha256"], ev)
        for path, sha in (d.get("files") or {}).items():
            trail.files[path] = Audited(sha, ev)
        trail.contents.update(d.get("contents") or {})
        if ev.action in ("session_loaded", "session_reloaded") and "deputies" in d:
            trail.deputies = Audited(d["deputies"], ev)
        elif ev.action == "party_decision_recorded" and "decided_on" in d:
            trail.approvals[(d["subject"], d["attempt"])] = Audited(d, ev)
        elif ev.action == "attendance_recorded" and "attendance" in d:
            trail.attendance = Audited(d["attendance"], ev)
        elif ev.action == "tallies_recorded":
            for key, values in (d.get("votes") or {}).items() if isinstance(d.get("votes"), dict) else ():
                trail.votes[key] = Audited(values, ev)
                trail.vote_outcomes[key] = Audited(values.get("passed"), ev)
            for key, values in (d.get("elections") or {}).items() if isinstance(d.get("elections"), dict) else ():
                trail.elections[key] = Audited(values, ev)
                trail.election_outcomes.pop(key, None)  # new rounds: decided again by the step
        elif ev.action == "step_done":
            for key, values in (d.get("votes") or {}).items():
                trail.vote_outcomes[key] = Audited(values.get("passed"), ev)
            for key, values in (d.get("elections") or {}).items():
                trail.election_outcomes[key] = Audited(values, ev)
            if "quorum" in d:
                trail.quorum = Audited(d["quorum"], ev)
        if ev.action in STATE_ACTIONS:
            trail.last_state_seq = ev.seq
    return trail


def session_trail(db: Session, session: CongressSession) -> Trail:
    """The last audited values of the session."""
    return fold(session_events(db, session))
