"""The township registers (“七簿一册”), a configurable set in config/registers.yaml, each produced
from the database for any date range as a document and, beside it, a workbook (.xlsx: frozen header,
dates as date cells) that offices keep adding to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.followup.common import (
    RATING_CN,
    STATE_CN,
    FollowupError,
    TownshipOutputs,
    current_term,
    session_dict,
    township_context,
    township_sessions,
)
from congress.followup.inputs import CHANNEL_CN
from congress.followup.operations import rounds_of, township_suggestions
from congress.followup.reports import KIND_CN, activities_of
from congress.ical.builder import TZ
from congress.lifecycle.operations import audit
from congress.messages import msg
from congress.models import (
    Attendance,
    CongressSession,
    FollowupDocument,
    Petition,
    PresidiumMeeting,
    SupervisionActivity,
    Township,
    Training,
    VoterReport,
)
from congress.settings import REPO_ROOT, Settings
from congress.workbooks import Column, Sheet, build_workbook

REGISTERS_FILE = REPO_ROOT / "config" / "registers.yaml"


@dataclass(frozen=True)
class RegisterSpec:
    key: str
    title: str
    source: str


def load_registers(path: Path = REGISTERS_FILE) -> list[RegisterSpec]:
    """The configured register set; an unknown source is an error naming the file and the entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    specs = []
    for i, raw in enumerate(data.get("registers") or [], start=1):
        if raw.get("source") not in SOURCES:
            raise FollowupError(msg("followup.bad_register", file=str(path), index=i, source=raw.get("source"),
                                    sources="、".join(SOURCES)))
        specs.append(RegisterSpec(str(raw["key"]), str(raw["title"]), str(raw["source"])))
    return specs


Columns = list[tuple[str, str]]  # (title, alignment/width row cell)
# a cell is text, a whole number, a date, or None (nothing recorded): the document prints a date as
# 2026年1月1日 and None as “—”, the workbook keeps dates as date cells and numbers as numbers
Rows = list[list[str | int | date | None]]


def _d(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _text(cell: str | int | date | None) -> str:
    """A register cell as the document prints it."""
    if cell is None:
        return "—"
    return _d(cell) if isinstance(cell, date) else str(cell)


def _names(db: Session, township: Township, codes: list[str]) -> str:
    roster = {d.code: d.name for d in current_term(db, township).deputies}
    return "、".join(roster.get(c, c) for c in codes)


def _meetings(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: list[tuple[date, list[str]]] = []
    for s in township_sessions(db, township):
        if start <= s.opening_date <= end:
            statuses = db.scalars(select(Attendance.status).where(Attendance.session_id == s.id)).all()
            present = sum(1 for x in statuses if x == "present")
            rows.append((s.opening_date, [s.opening_date, "代表大会会议", session_dict(s)["title"], s.venue,
                                          f"出席{present}名" if statuses else "—"]))
    for m in db.scalars(select(PresidiumMeeting).where(PresidiumMeeting.township_id == township.id)):
        if start <= m.held_on <= end:
            rows.append((m.held_on, [m.held_on, "主席团会议", "；".join(m.topics), m.place,
                                     f"出席{len(m.attendees)}名" if m.state == "held" else "（计划）"]))
    columns = [("日期", ":----:"), ("会议类别", ":----:"), ("议题", ":-----------"), ("地点", ":-----:"),
               ("出席", ":---:")]
    return columns, [r for _, r in sorted(rows, key=lambda x: x[0])]


def _activities(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: Rows = [[a["date"], a["kind_cn"], a["title"], a["place"] or "—", "、".join(a["people"])]
            for a in activities_of(db, township, start=start, end=end)]
    return [("日期", ":----:"), ("活动", ":----:"), ("内容", ":---------"), ("地点", ":----:"),
            ("参加代表", ":--------")], rows


def _suggestions(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows = []
    for sg in township_suggestions(db, township):
        session = db.get(CongressSession, sg.session_id)
        day = sg.raised_on or (session.closing_date if session else start)
        if not (start <= day <= end):
            continue
        rounds = rounds_of(db, sg)
        rated = [r for r in rounds if r.rating]
        replied = [r for r in rounds if r.replied_on]
        rows.append([sg.code, sg.title, _names(db, township, sg.proposers), sg.office,
                     rounds[0].handed_over_on if rounds else None, rounds[-1].due_on if rounds else None,
                     replied[-1].replied_on if replied else None,
                     RATING_CN.get(rated[-1].rating or "", "—") if rated else "—", STATE_CN[sg.state]])
    return [("编号", ":--:"), ("建议标题", ":----------"), ("提出代表", ":----:"), ("承办单位", ":----:"),
            ("交办日期", ":----:"), ("答复期限", ":----:"), ("答复日期", ":----:"), ("测评", ":--:"),
            ("状态", ":--:")], rows


def _petitions(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: Rows = [[p.code, p.received_on, CHANNEL_CN[p.channel], p.person, p.subject, p.forwarded_to or "—",
                   p.result or "办理中", p.closed_on]
            for p in db.scalars(select(Petition).where(Petition.township_id == township.id)
                                .order_by(Petition.received_on, Petition.code))
            if start <= p.received_on <= end]
    return [("编号", ":--:"), ("日期", ":----:"), ("方式", ":--:"), ("来信来访人", ":---:"), ("事由", ":--------"),
            ("转办单位", ":----:"), ("办理结果", ":------"), ("办结日期", ":----:")], rows


def _supervision(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: Rows = [[a.held_on, KIND_CN[a.kind], a.title, a.subject_office or "—", _names(db, township, a.participants),
             "；".join(a.opinions) or ("（计划）" if a.state == "planned" else "—")]
            for a in db.scalars(select(SupervisionActivity).where(SupervisionActivity.township_id == township.id)
                                .order_by(SupervisionActivity.held_on))
            if start <= a.held_on <= end]
    return [("日期", ":----:"), ("形式", ":----:"), ("主题", ":--------"), ("对象", ":----:"),
            ("参加代表", ":-------"), ("意见建议", ":--------")], rows


def _training(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: Rows = [[t.held_on, t.title, t.organizer or "—", t.place or "—", t.hours or "—", len(t.attendees),
             _names(db, township, t.attendees)]
            for t in db.scalars(select(Training).where(Training.township_id == township.id)
                                .order_by(Training.held_on)) if start <= t.held_on <= end]
    return [("日期", ":----:"), ("内容", ":--------"), ("主办单位", ":----:"), ("地点", ":----:"), ("学时", ":-:"),
            ("人数", ":-:"), ("参加代表", ":--------")], rows


def _voter_reports(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: Rows = [[r.held_on, _names(db, township, [r.deputy_code]), r.place or "—", r.voters or None,
             r.summary or "—", r.evaluation or "—"]
            for r in db.scalars(select(VoterReport).where(VoterReport.township_id == township.id)
                                .order_by(VoterReport.held_on)) if start <= r.held_on <= end]
    return [("日期", ":----:"), ("代表", ":---:"), ("地点", ":----:"), ("参加选民", ":--:"), ("述职内容", ":--------"),
            ("测评结果", ":---:")], rows


def _roster(db: Session, township: Township, start: date, end: date) -> tuple[Columns, Rows]:
    rows: Rows = [[d.code, d.name, d.gender or "—", d.group_name, d.constituency or "—", d.occupation or "—",
             "在任" if d.status == "active" else "终止"] for d in current_term(db, township).deputies]
    return [("编号", ":--:"), ("姓名", ":--:"), ("性别", ":-:"), ("代表小组", ":----:"), ("选区", ":---:"),
            ("工作单位及职务", ":----------"), ("状态", ":-:")], rows


SOURCES: dict[str, Callable[[Session, Township, date, date], tuple[Columns, Rows]]] = {
    "meetings": _meetings, "activities": _activities, "suggestions": _suggestions, "petitions": _petitions,
    "supervision": _supervision, "training": _training, "voter_reports": _voter_reports, "roster": _roster,
}


def register_data(db: Session, township: Township, spec: RegisterSpec, *, start: date, end: date,
                  typed: bool = False) -> dict[str, Any]:
    """A register's columns and rows for the period: as the document prints them, or `typed` (dates as
    dates, counts as numbers, None where nothing is recorded) for the workbook."""
    columns, rows = SOURCES[spec.source](db, township, start, end)
    return {"key": spec.key, "title": spec.title, "start": start, "end": end,
            "columns": [{"title": t, "align": a} for t, a in columns],
            "rows": rows if typed else [[_text(cell) for cell in row] for row in rows]}


def register_sheet(township: Township, data: dict[str, Any]) -> Sheet:
    """A register as a workbook sheet: the title row, then the table with dates as date cells."""
    return Sheet(name=data["title"], columns=[Column(c["title"]) for c in data["columns"]], rows=data["rows"],
                 title=f"{township.name}人民代表大会{data['title']}",
                 notes=[msg("data.export.period", start=_d(data["start"]), end=_d(data["end"]),
                            count=len(data["rows"]))])


def write_registers(db: Session, *, township: Township, start: date, end: date, actor: str, settings: Settings,
                    only: list[str] | None = None, path: Path = REGISTERS_FILE) -> list[FollowupDocument]:
    """Write each configured register (or those named in `only`) for the period."""
    if end < start:
        raise FollowupError(msg("followup.bad_period", start=start.isoformat(), end=end.isoformat()))
    specs = load_registers(path)
    if only:
        unknown = set(only) - {s.key for s in specs}
        if unknown:
            raise FollowupError(msg("followup.unknown_register", keys="、".join(sorted(unknown)),
                                    known="、".join(s.key for s in specs)))
        specs = [s for s in specs if s.key in only]
    out = TownshipOutputs(db, township, settings)
    docs = []
    sheets = []
    created = datetime.combine(end, time(9, 0), tzinfo=TZ).astimezone(UTC)
    for spec in specs:
        ctx = township_context(db, township, sign_date=end)
        typed = register_data(db, township, spec, start=start, end=end, typed=True)
        sheets.append(register_sheet(township, typed))
        ctx["register"] = {**typed, "rows": [[_text(cell) for cell in row] for row in typed["rows"]]}
        rel = f"台账/{start}至{end}/{spec.title}"
        docs.append(out.document(f"register-{spec.key}", "register_table.md.j2", rel, ctx, title=spec.title, on=end))
        out.workbook("register_workbook", rel, build_workbook(
            [sheets[-1]], title=spec.title, author=township.presidium_name, created=created), on=end)
    if len(sheets) > 1:  # and all of them in one workbook, a sheet each, as offices keep them
        out.workbook("register_workbook", f"台账/{start}至{end}/台账汇总", build_workbook(
            sheets, title=f"{township.name}人民代表大会台账", author=township.presidium_name, created=created), on=end)
    audit(db, actor=actor, action="registers_written", township_id=township.id, start=start.isoformat(),
          end=end.isoformat(), registers=[s.key for s in specs])
    return docs



