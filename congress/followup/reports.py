"""The 代表建议办理情况报告 for the next session, and each deputy's duty record (代表履职档案).

The figures are computed here from the database as of a date, and the documents print exactly these
figures, so a test can compare the report with the data.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.followup import schedule
from congress.followup.common import (
    RATING_CN,
    STATE_CN,
    FollowupDocument,
    FollowupError,
    TownshipOutputs,
    current_term,
    profile_of,
    session_dict,
    township_context,
    township_sessions,
)
from congress.followup.operations import rounds_of, township_items, township_suggestions
from congress.lifecycle.context import STATUS_CN, deputy_dict
from congress.lifecycle.operations import audit
from congress.messages import msg
from congress.models import (
    Attendance,
    CongressSession,
    PresidiumMeeting,
    Resolution,
    SupervisionActivity,
    Township,
    Training,
    VoterReport,
)
from congress.settings import Settings


def _rate(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def handling_figures(db: Session, session: CongressSession, *, as_of: date) -> dict[str, Any]:
    """Figures of the suggestions raised at `session` and between it and the next one, as of `as_of`."""
    township = session.term.township
    suggestions = [s for s in township_suggestions(db, township) if s.session_id == session.id
                   and (s.raised_on or session.closing_date) <= as_of]
    rows, by_office, by_category = [], {}, Counter()
    totals = Counter()
    for sg in suggestions:
        rounds = [r for r in rounds_of(db, sg) if r.handed_over_on <= as_of]
        first = rounds[0] if rounds else None
        replied = first is not None and first.replied_on is not None and first.replied_on <= as_of
        on_time = replied and first is not None and first.replied_on is not None and first.replied_on <= first.due_on
        rated = [r for r in rounds if r.rating and r.rated_on and r.rated_on <= as_of]
        final = rated[-1].rating if rated else None
        closed = sg.closed_on is not None and sg.closed_on <= as_of
        rehandled = len(rounds) > 1
        office = by_office.setdefault(sg.office, Counter())
        for counter in (office, totals):
            counter["total"] += 1
            counter["handed_over"] += first is not None
            counter["replied"] += replied
            counter["on_time"] += on_time
            counter["rated"] += final is not None
            counter["satisfied"] += final == "satisfied"
            counter["basically"] += final == "basically"
            counter["unsatisfied"] += final == "unsatisfied"
            counter["rehandled"] += rehandled
            counter["closed"] += closed
            counter["open"] += not closed
            counter["session"] += sg.source == "session"
            counter["interim"] += sg.source == "interim"
        by_category[sg.category or "其他"] += 1
        state = "closed" if closed else ("replied" if rounds and rounds[-1].replied_on and rounds[-1].replied_on
                                          <= as_of else ("handed_over" if rounds else "registered"))
        rows.append({"code": sg.code, "title": sg.title, "category": sg.category, "office": sg.office,
                     "source_cn": "大会期间" if sg.source == "session" else "闭会期间",
                     "due_date": first.due_on if first else None, "replied_on": first.replied_on if replied and first
                     else None, "on_time": on_time, "rounds": len(rounds),
                     "rating_cn": RATING_CN.get(final or "", ""), "state_cn": STATE_CN[state]})

    def pack(c: Counter) -> dict[str, Any]:
        satisfied = c["satisfied"] + c["basically"]
        return {**{k: c[k] for k in ("total", "handed_over", "replied", "on_time", "rated", "satisfied", "basically",
                                     "unsatisfied", "rehandled", "closed", "open", "session", "interim")},
                "on_time_rate": _rate(c["on_time"], c["replied"]),
                "satisfaction_rate": _rate(satisfied, c["rated"])}

    items = []
    for item in township_items(db, township):
        resolution = db.get(Resolution, item.resolution_id)
        if resolution is None or resolution.session_id != session.id:
            continue
        rounds = rounds_of(db, item)
        rnd = rounds[-1] if rounds else None
        replied = rnd is not None and rnd.replied_on is not None and rnd.replied_on <= as_of
        items.append({"code": item.code, "title": item.title, "office": item.office, "resolution": resolution.title,
                      "due_date": rnd.due_on if rnd else None, "replied_on": rnd.replied_on if replied and rnd else None,
                      "on_time": replied and rnd is not None and rnd.replied_on is not None
                      and rnd.replied_on <= rnd.due_on,
                      "text": rnd.reply_text if replied and rnd else ""})
    return {"as_of": as_of, "totals": pack(totals),
            "offices": [{"office": name, **pack(c)} for name, c in by_office.items()],
            "categories": [{"category": k, "count": v} for k, v in by_category.most_common()],
            "suggestions": rows, "open": [r for r in rows if r["state_cn"] != STATE_CN["closed"]],
            "late": [r for r in rows if r["replied_on"] and not r["on_time"]],
            "resolution_items": items}


def next_session_after(db: Session, session: CongressSession) -> CongressSession | None:
    later = [s for s in township_sessions(db, session.term.township) if s.opening_date > session.closing_date]
    return later[0] if later else None


def handling_report(db: Session, *, session_key: str, as_of: date, actor: str, settings: Settings,
                    ) -> tuple[FollowupDocument, dict[str, Any]]:
    """Write the 代表建议办理情况报告 on the suggestions of `session_key`, for the next session."""
    session = db.scalar(select(CongressSession).where(CongressSession.key == session_key))
    if session is None:
        raise FollowupError(msg("cli.unknown_session", key=session_key))
    township = session.term.township
    figures = handling_figures(db, session, as_of=as_of)
    following = next_session_after(db, session)
    out = TownshipOutputs(db, township, settings)
    ctx = township_context(db, township, sign_date=as_of)
    ctx.update(source_session=session_dict(session), next_session=session_dict(following) if following else None,
               figures=figures, citation=str(profile_of(township).rule("suggestion_reply").citation))
    doc = out.document("handling_report", "handling_report.md.j2", f"报告/代表建议办理情况报告-{session.key}-{as_of}",
                       ctx, title=f"关于{ctx['source_session']['title']}代表建议办理情况的报告", on=as_of)
    audit(db, actor=actor, action="handling_report_written", session=session,
          as_of=as_of.isoformat(), path=doc.path, total=figures["totals"]["total"],
          on_time_rate=figures["totals"]["on_time_rate"], satisfaction_rate=figures["totals"]["satisfaction_rate"])
    return doc, figures


# --- duty records (代表法第五十八条) and absences (代表法第六十二条) -----------------------------------


def absences(db: Session, township: Township) -> dict[str, list[str]]:
    """Per deputy of the current term: the sessions missed without approved leave."""
    term = current_term(db, township)
    out: dict[str, list[str]] = {}
    for session in township_sessions(db, township):
        if session.term_id != term.id:
            continue
        for a in db.scalars(select(Attendance).where(Attendance.session_id == session.id)):
            if a.status == "absent" or (a.status == "leave" and not a.leave_approved):
                out.setdefault(a.deputy.code, []).append(session_dict(session)["title"])
    return out


def flagged_absences(db: Session, township: Township) -> dict[str, list[str]]:
    profile = profile_of(township)
    return {code: missed for code, missed in absences(db, township).items()
            if schedule.absences_flagged(profile, len(missed))}


def duty_record(db: Session, township: Township, deputy_code: str, *, start: date, end: date) -> dict[str, Any]:
    """What a deputy did between `start` and `end`: attendance, suggestions with ratings, activities."""
    term = current_term(db, township)
    deputy = next((d for d in term.deputies if d.code == deputy_code), None)
    if deputy is None:
        raise FollowupError(msg("input.unknown_deputy", code=deputy_code))
    attendance = []
    for session in township_sessions(db, township):
        if not (start <= session.opening_date <= end):
            continue
        a = db.scalar(select(Attendance).where(Attendance.session_id == session.id,
                                               Attendance.deputy_id == deputy.id))
        if a is not None:
            status = STATUS_CN[a.status] + ("（已批准）" if a.status == "leave" and a.leave_approved else
                                            "（未经批准）" if a.status == "leave" else "")
            attendance.append({"session": session_dict(session)["title"], "date": session.opening_date,
                               "status_cn": status})
    suggestions = []
    for sg in township_suggestions(db, township):
        day = sg.raised_on or db.get(CongressSession, sg.session_id).closing_date  # type: ignore[union-attr]
        if deputy_code in sg.proposers and start <= day <= end:
            rounds = rounds_of(db, sg)
            rated = [r for r in rounds if r.rating]
            suggestions.append({"code": sg.code, "title": sg.title, "office": sg.office, "date": day,
                                "lead": sg.proposers[0] == deputy_code,
                                "rating_cn": RATING_CN.get(rated[-1].rating or "", "") if rated else "",
                                "state_cn": STATE_CN[sg.state]})
    activities = activities_of(db, township, start=start, end=end, deputy_code=deputy_code)
    missed = absences(db, township).get(deputy_code, [])
    spec = profile_of(township).rule("absence_termination")
    return {"deputy": deputy_dict(deputy), "start": start, "end": end, "attendance": attendance,
            "suggestions": suggestions, "activities": activities,
            "absences": {"count": len(missed), "sessions": missed, "flagged": len(missed) >= spec["count"],
                         "limit": spec["count"], "citation": str(spec.citation)}}


KIND_CN = {"inspection": "视察", "enforcement_check": "执法检查", "work_report": "听取专项工作报告",
           "research": "专题调研"}


def activities_of(db: Session, township: Township, *, start: date, end: date,
                  deputy_code: str | None = None) -> list[dict[str, Any]]:
    """Deputies' activities between sessions: presidium meetings, supervision, training, reports to voters."""
    def takes_part(codes: list[str]) -> bool:
        return deputy_code is None or deputy_code in codes

    out: list[dict[str, Any]] = []
    roster = {d.code: d.name for d in current_term(db, township).deputies}
    for m in db.scalars(select(PresidiumMeeting).where(PresidiumMeeting.township_id == township.id,
                                                       PresidiumMeeting.state == "held")):
        if start <= m.held_on <= end and takes_part(m.attendees):
            out.append({"date": m.held_on, "kind_cn": "主席团会议", "title": "、".join(m.topics),
                        "place": m.place, "people": [roster.get(c, c) for c in m.attendees]})
    for a in db.scalars(select(SupervisionActivity).where(SupervisionActivity.township_id == township.id,
                                                          SupervisionActivity.state == "held")):
        if start <= a.held_on <= end and takes_part(a.participants):
            out.append({"date": a.held_on, "kind_cn": KIND_CN[a.kind], "title": a.title, "place": a.place,
                        "people": [roster.get(c, c) for c in a.participants]})
    for t in db.scalars(select(Training).where(Training.township_id == township.id)):
        if start <= t.held_on <= end and takes_part(t.attendees):
            out.append({"date": t.held_on, "kind_cn": "学习培训", "title": t.title, "place": t.place,
                        "people": [roster.get(c, c) for c in t.attendees]})
    for r in db.scalars(select(VoterReport).where(VoterReport.township_id == township.id)):
        if start <= r.held_on <= end and takes_part([r.deputy_code]):
            out.append({"date": r.held_on, "kind_cn": "向选民述职", "title": r.summary[:40] or "向原选区选民报告履职情况",
                        "place": r.place, "people": [roster.get(r.deputy_code, r.deputy_code)]})
    return sorted(out, key=lambda a: (a["date"], a["kind_cn"]))


def write_duty_records(db: Session, *, township: Township, start: date, end: date, actor: str, settings: Settings,
                       codes: list[str] | None = None) -> list[FollowupDocument]:
    """One 代表履职档案 per deputy (or per deputy named), for their report to voters."""
    term = current_term(db, township)
    wanted = codes or [d.code for d in term.deputies if d.status == "active"]
    out = TownshipOutputs(db, township, settings)
    docs = []
    for code in wanted:
        record = duty_record(db, township, code, start=start, end=end)
        ctx = township_context(db, township, sign_date=end)
        ctx.update(record=record)
        docs.append(out.document("duty_record", "duty_record.md.j2",
                                 f"履职档案/{start}至{end}/{code}-{record['deputy']['name']}", ctx,
                                 title=f"{record['deputy']['name']}代表履职档案", on=end))
    audit(db, actor=actor, action="duty_records_written", township_id=township.id, start=start.isoformat(),
          end=end.isoformat(), deputies=len(docs), flagged=sorted(flagged_absences(db, township)))
    return docs
