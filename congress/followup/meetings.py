"""Between sessions: presidium meetings and supervision activities (inspection, law-enforcement check,
special work report, research). Each is planned (notice and calendar entries), then recorded once
held (record document); both feed the registers and the deputies' duty records."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.errors import display_path
from congress.followup.common import (
    FollowupError,
    TownshipOutputs,
    deputies_by_code,
    profile_of,
    township_context,
)
from congress.followup.reports import KIND_CN
from congress.ical.builder import TZ, Entry, Person, calendar_bytes, local
from congress.inputs import TIME_RE, _Collector, load_yaml
from congress.lifecycle.context import deputy_dict
from congress.lifecycle.operations import audit
from congress.messages import msg
from congress.models import FollowupDocument, PresidiumMeeting, SupervisionActivity, Township
from congress.settings import Settings

Meeting = PresidiumMeeting | SupervisionActivity


def load_meeting_file(path: Path, *, kind: str, roster: set[str]) -> dict[str, Any]:
    """A presidium meeting or supervision activity file (YAML), checked with file and line."""
    data, lines = load_yaml(path)
    out = _Collector(path, lines)
    if not isinstance(data, dict):
        out.add(msg("input.bad_value", value=type(data).__name__, what="字段组"))
        out.fail()
    v: dict[str, Any] = {"code": out.get(data, "code"), "held_on": out.get(data, "date", kind=date),
                         "start": out.get(data, "start"), "end": out.get(data, "end"),
                         "place": out.get(data, "place"), "notice_on": out.get(data, "notice_date", kind=date)}
    for name in ("start", "end"):
        if v[name] and not TIME_RE.match(str(v[name])):
            out.add(msg("input.bad_value", value=v[name], what="时间（HH:MM）"), name)
    people_key = "members" if kind == "presidium" else "participants"
    people = out.get(data, people_key, kind=list, required=False, default=[]) or []
    for i, code in enumerate(people):
        if str(code) not in roster:
            out.add(msg("input.unknown_deputy", code=code), people_key, i)
    v["people"] = [str(c) for c in people]
    if kind == "presidium":
        v["topics"] = [str(t) for t in out.get(data, "topics", kind=list) or []]
    else:
        v["kind"] = out.get(data, "kind")
        if v["kind"] and v["kind"] not in KIND_CN:
            out.add(msg("input.bad_value", value=v["kind"], what="活动形式（" + "、".join(KIND_CN) + "）"), "kind")
        v["title"] = out.get(data, "title")
        v["subject_office"] = out.get(data, "subject_office", required=False, default="")
    held = out.get(data, "held", kind=dict, required=False, default=None)
    v["held"] = None
    if held is not None:
        attended = out.get(held, "attendees", kind=list, required=False, default=None)
        for i, code in enumerate(attended or []):
            if str(code) not in roster:
                out.add(msg("input.unknown_deputy", code=code), "held", "attendees", i)
        v["held"] = {"attendees": [str(c) for c in attended] if attended is not None else list(v["people"]),
                     "items": [str(x) for x in (out.get(held, "decisions" if kind == "presidium" else "findings",
                                                        kind=list, required=False, default=[]) or [])],
                     "opinions": [str(x) for x in (out.get(held, "opinions", kind=list, required=False,
                                                           default=[]) or [])],
                     "recorder": str(out.get(held, "recorder", required=False, default="") or "")}
    if v["notice_on"] and v["held_on"] and v["notice_on"] > v["held_on"]:
        out.add(msg("input.date_order", first="通知日期", a=v["notice_on"], second="会议日期", b=v["held_on"]),
                "notice_date")
    out.fail()
    return v


def save_meeting(db: Session, *, township: Township, kind: str, values: dict[str, Any], actor: str,
                 source: str = "") -> Meeting:
    """Plan (or re-plan) a meeting or activity from checked values, and record it as held if it says so."""
    model = PresidiumMeeting if kind == "presidium" else SupervisionActivity
    meeting = db.scalar(select(model).where(model.township_id == township.id, model.code == values["code"]))
    if meeting is not None and meeting.state == "held" and values["held"] is None:
        raise FollowupError(msg("followup.meeting_already_held", code=values["code"]))
    new = meeting is None
    if meeting is None:
        meeting = model(township_id=township.id, code=values["code"])
        db.add(meeting)
    meeting.held_on, meeting.start, meeting.end = values["held_on"], values["start"], values["end"]
    meeting.place, meeting.notice_on = values["place"], values["notice_on"]
    if isinstance(meeting, PresidiumMeeting):
        meeting.topics = values["topics"]
        meeting.attendees = values["people"]
    else:
        meeting.kind, meeting.title, meeting.subject_office = values["kind"], values["title"], values["subject_office"]
        meeting.participants = values["people"]
    db.flush()
    audit(db, actor=actor, action=f"{kind}_{'planned' if new else 'replanned'}", township_id=township.id,
          code=meeting.code, held_on=meeting.held_on.isoformat(), source=source)
    if values["held"] is not None:
        record_held(db, meeting=meeting, actor=actor, **values["held"])
    return meeting


def record_held(db: Session, *, meeting: Meeting, attendees: list[str], items: list[str], opinions: list[str],
                recorder: str, actor: str) -> Meeting:
    """The meeting or activity took place: who came and what was decided, found or proposed."""
    meeting.state = "held"
    if isinstance(meeting, PresidiumMeeting):
        meeting.attendees, meeting.decisions, meeting.recorder = attendees, items, recorder
        kind = "presidium"
    else:
        meeting.participants, meeting.findings, meeting.opinions = attendees, items, opinions
        kind = "supervision"
    db.flush()
    audit(db, actor=actor, action=f"{kind}_held", township_id=meeting.township_id, code=meeting.code,
          held_on=meeting.held_on.isoformat(), attendees=len(attendees))
    return meeting


def import_meeting(db: Session, *, township: Township, kind: str, path: Path, actor: str) -> Meeting:
    values = load_meeting_file(path, kind=kind, roster=set(deputies_by_code(db, township)))
    return save_meeting(db, township=township, kind=kind, values=values, actor=actor, source=display_path(path))


def find_meeting(db: Session, township: Township, kind: str, code: str) -> Meeting:
    model = PresidiumMeeting if kind == "presidium" else SupervisionActivity
    meeting = db.scalar(select(model).where(model.township_id == township.id, model.code == code))
    if meeting is None:
        raise FollowupError(msg("followup.unknown_meeting", code=code))
    return meeting


def meeting_documents(db: Session, *, township: Township, kind: str, code: str, actor: str,
                      settings: Settings) -> list[dict[str, str]]:
    """The notice and calendar of a planned meeting or activity, and its record once held."""
    meeting = find_meeting(db, township, kind, code)
    roster = deputies_by_code(db, township)
    out = TownshipOutputs(db, township, settings)
    view = meeting_view(meeting, roster)
    folder = f"{'主席团会议' if kind == 'presidium' else '监督活动'}/{meeting.held_on}-{meeting.code}"
    spec = profile_of(township).rule("presidium_meeting_interval_months")
    ctx = township_context(db, township, sign_date=meeting.notice_on)
    ctx.update(meeting=view, citation=str(spec.citation))
    prefix = "presidium_meeting" if kind == "presidium" else "supervision"
    out.document(f"{prefix}_notice", f"{prefix}_notice.md.j2", f"{folder}/通知", ctx,
                 title=f"{view['title']}通知", on=meeting.notice_on)
    host = settings.calendar_host
    stamp = datetime.combine(meeting.notice_on, time(9, 0), tzinfo=TZ).astimezone(UTC)
    entry = Entry(uid=f"congress-{prefix.replace('_', '-')}-{meeting.id}@{host}", summary=view["title"],
                  start=local(meeting.held_on, meeting.start), end=local(meeting.held_on, meeting.end), dtstamp=stamp,
                  location=meeting.place, description="\n".join(view["topics"]))
    organizer = Person(township.presidium_name, f"urn:congress:{township.code}:presidium")
    attendees = [Person(p["name"], f"tel:+86{p['phone']}" if p["phone"]
                        else f"urn:congress:{township.code}:deputy:{p['code']}") for p in view["people"]]
    out.calendar(f"{prefix}_calendar", f"{folder}/日历", calendar_bytes(
        [entry], method="REQUEST", organizer=organizer, attendees=attendees,
        alarms=[]), on=meeting.notice_on)
    if meeting.state == "held":
        ctx = township_context(db, township, sign_date=meeting.held_on)
        ctx.update(meeting=view)
        out.document(f"{prefix}_record", f"{prefix}_record.md.j2", f"{folder}/记录", ctx,
                     title=f"{view['title']}记录", on=meeting.held_on)
    audit(db, actor=actor, action=f"{kind}_documents_written", township_id=township.id, code=code,
          documents=[d["path"] for d in out.written])
    return out.written


def meeting_view(meeting: Meeting, roster: dict[str, Any]) -> dict[str, Any]:
    if isinstance(meeting, PresidiumMeeting):
        people, title, topics = meeting.attendees, "主席团会议", list(meeting.topics)
        extra: dict[str, Any] = {"kind": "presidium", "kind_cn": "主席团会议", "decisions": list(meeting.decisions),
                                 "recorder": meeting.recorder}
    else:
        people, title, topics = meeting.participants, meeting.title, [meeting.title]
        extra = {"kind": meeting.kind, "kind_cn": KIND_CN[meeting.kind], "subject_office": meeting.subject_office,
                 "findings": list(meeting.findings), "opinions": list(meeting.opinions)}
    return {"code": meeting.code, "title": title, "date": meeting.held_on, "start": meeting.start,
            "end": meeting.end, "place": meeting.place, "notice_date": meeting.notice_on, "topics": topics,
            "held": meeting.state == "held",
            "people": [deputy_dict(roster[c]) for c in people if c in roster], **extra}


def documents_of(db: Session, township: Township) -> list[FollowupDocument]:
    return list(db.scalars(select(FollowupDocument).where(FollowupDocument.township_id == township.id)
                           .order_by(FollowupDocument.id)))
