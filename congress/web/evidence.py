"""A step's evidence — what it recorded in the audit trail — as the audit page shows it: Chinese labels,
dates and outcomes, and the session's own keys (votes, reports, elections, rules) by their titles."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.lifecycle import operations as ops
from congress.messages import has, msg
from congress.models import CongressSession, Election, Report, Sitting, Vote
from congress.web.render import citation_label, plain

ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
HIDDEN = {"documents", "message", "key"}
VALUE_KEYS = {"kind", "status", "nominated_by"}  # their values are words of ours, not the session's keys


def titles(db: Session, session: CongressSession) -> dict[str, str]:
    """The session's keys (a vote, report, election, sitting, rule) → their titles."""
    out: dict[str, str] = {}
    try:
        out.update({key: rule.title for key, rule in ops.profile_of(session).rules.items()
                    if getattr(rule, "title", None)})
    except Exception:  # noqa: BLE001 - a profile that cannot be read: the keys stay unnamed, the page still shows
        pass
    for model, title in ((Report, "title"), (Election, "title"), (Sitting, "title"), (Vote, "subject")):
        out.update({row.key: getattr(row, title) for row in db.scalars(select(model).where(
            model.session_id == session.id))})  # type: ignore[attr-defined]
    return out


def label(key: str) -> str:
    return msg(f"dashboard.evidence.{key}") if has(f"dashboard.evidence.{key}") else msg("dashboard.evidence.other")


def lines(evidence: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """(label, text) for each thing the step recorded."""
    return [(label(key), text(key, value, names)) for key, value in evidence.items() if key not in HIDDEN]


def text(key: str, value: Any, names: dict[str, str]) -> str:
    """One recorded value as a sentence part."""
    if key == "quorum" and isinstance(value, dict):
        return msg("dashboard.evidence.quorum_text", **{k: value.get(k, "") for k in (
            "total", "present", "leave", "absent", "required")}) + ("" if value.get("met") else msg(
                "dashboard.evidence.quorum_not_met"))
    if key == "votes" and isinstance(value, dict):
        return "；".join(msg("dashboard.evidence.vote_text", subject=v.get("subject") or names.get(k, "—"),
                             yes=v.get("yes"), no=v.get("no"), abstain=v.get("abstain"), required=v.get("required"),
                             outcome=msg("dashboard.value.passed" if v.get("passed") else "dashboard.value.failed"))
                         for k, v in value.items() if isinstance(v, dict))
    if key == "elections" and isinstance(value, dict):
        return "；".join(f"{names.get(k, '—')}：" + _fields(v, names) for k, v in value.items() if isinstance(v, dict))
    if key == "citation" and isinstance(value, str):
        return citation_label(value)
    if isinstance(value, bool):
        return msg("dashboard.value.yes" if value else "dashboard.value.no")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        day = ISO_DAY.match(value)
        if day:
            return f"{day[1]}年{day[2]}月{day[3]}日"
        if key in VALUE_KEYS and has(f"dashboard.value.{value}"):
            return msg(f"dashboard.value.{value}")
        if value in names:
            return names[value]
        if has(f"dashboard.value.{value}"):
            return msg(f"dashboard.value.{value}")
        return plain(value) if not value.isascii() or value.isdigit() else "—"
    if isinstance(value, list | tuple):
        return "、".join(text(key, v, names) for v in value) or msg("dashboard.value.none")
    if isinstance(value, dict):
        return _fields(value, names) or msg("dashboard.value.none")
    return "—"


def _fields(value: dict[str, Any], names: dict[str, str]) -> str:
    return "，".join(f"{label(k)} {text(k, v, names)}" for k, v in value.items()
                    if k not in HIDDEN and has(f"dashboard.evidence.{k}"))
