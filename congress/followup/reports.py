"""The 代表建议办理情况报告 for the next session, and each deputy's duty record (代表履职档案).

The figures are computed here from the database as of a date, and the documents print exactly these
figures, so a test can compare the report with the data. Beside the report a workbook lists every
suggestion and item (代表建议办理情况一览表); beside the duty records one summarises every deputy; the
overdue list is a workbook too (written by the sweep, and on demand).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
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
from congress.ical.builder import TZ
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
from congress.profiles import Citation
from congress.settings import Settings
from congress.workbooks import Column, Sheet, build_workbook


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
    title = f"{ctx['source_session']['title']}代表建议办理情况一览表"
    out.workbook("handling_list_workbook", f"报告/代表建议办理情况一览表-{session.key}-{as_of}",
                 build_workbook(handling_sheets(figures, title=title), title=title, author=township.presidium_name,
                                created=_created(as_of)), on=as_of)
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
    title = f"{township.name}人民代表大会代表履职情况汇总"
    out.workbook("duty_records_workbook", f"履职档案/{start}至{end}/代表履职情况汇总", build_workbook(
        duty_sheets([duty_record(db, township, code, start=start, end=end) for code in wanted], title=title),
        title=title, author=township.presidium_name, created=_created(end)), on=end)
    audit(db, actor=actor, action="duty_records_written", township_id=township.id, start=start.isoformat(),
          end=end.isoformat(), deputies=len(docs), flagged=sorted(flagged_absences(db, township)))
    return docs


# --- the same figures as workbooks ---------------------------------------------------------------------


def _created(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=TZ).astimezone(UTC)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def handling_sheets(figures: dict[str, Any], *, title: str) -> list[Sheet]:
    """代表建议办理情况一览表: every suggestion, the figures per office, the resolution items — as of a date."""
    as_of = msg("data.export.as_of", day=f"{figures['as_of'].year}年{figures['as_of'].month}月{figures['as_of'].day}日")
    suggestions = Sheet("建议办理情况", [
        Column("编号"), Column("建议标题"), Column("类别"), Column("承办单位"), Column("来源"), Column("答复期限"),
        Column("答复日期"), Column("按期答复"), Column("办理次数", "number"), Column("测评"), Column("状态")],
        [[r["code"], r["title"], r["category"] or None, r["office"], r["source_cn"], r["due_date"], r["replied_on"],
          _yes(r["on_time"]) if r["replied_on"] else None, r["rounds"], r["rating_cn"] or None, r["state_cn"]]
         for r in figures["suggestions"]], title=title, notes=[as_of])
    offices = Sheet("承办单位", [
        Column("承办单位"), Column("件数", "number"), Column("已交办", "number"), Column("已答复", "number"),
        Column("按期答复", "number"), Column("按期答复率"), Column("已测评", "number"), Column("满意", "number"),
        Column("基本满意", "number"), Column("不满意", "number"), Column("满意率"), Column("已办结", "number")],
        [[o["office"], o["total"], o["handed_over"], o["replied"], o["on_time"], o["on_time_rate"], o["rated"],
          o["satisfied"], o["basically"], o["unsatisfied"], o["satisfaction_rate"], o["closed"]]
         for o in [*figures["offices"], {"office": "合计", **figures["totals"]}]], title=title, notes=[as_of])
    items = Sheet("决议落实事项", [
        Column("编号"), Column("事项"), Column("决议"), Column("承办单位"), Column("办理期限"), Column("答复日期"),
        Column("按期答复")],
        [[i["code"], i["title"], i["resolution"], i["office"], i["due_date"], i["replied_on"],
          _yes(i["on_time"]) if i["replied_on"] else None] for i in figures["resolution_items"]],
        title=title, notes=[as_of])
    return [suggestions, offices, items]


def duty_sheets(records: list[dict[str, Any]], *, title: str) -> list[Sheet]:
    """代表履职情况汇总: a row per deputy, then attendance, suggestions and activities a row each."""
    summary: list[list[Any]] = []
    attendance: list[list[Any]] = []
    suggestions: list[list[Any]] = []
    activities: list[list[Any]] = []
    for record in records:
        d = record["deputy"]
        who = [d["code"], d["name"]]
        statuses = [a["status_cn"] for a in record["attendance"]]
        absences = record["absences"]
        summary.append([*who, d.get("group", ""), sum(s.startswith("出席") for s in statuses),
                        sum(s.startswith("请假") for s in statuses), sum(s.startswith("缺席") for s in statuses),
                        len(record["suggestions"]), sum(1 for s in record["suggestions"] if s["lead"]),
                        len(record["activities"]), absences["count"],
                        msg("data.export.absence_flag", count=absences["count"], limit=absences["limit"],
                            citation=Citation.parse(absences["citation"]).label) if absences["flagged"] else None])
        attendance += [[*who, a["session"], a["date"], a["status_cn"]] for a in record["attendance"]]
        suggestions += [[*who, s["code"], s["title"], s["office"], s["date"], _yes(s["lead"]), s["rating_cn"] or None,
                         s["state_cn"]] for s in record["suggestions"]]
        activities += [[*who, a["date"], a["kind_cn"], a["title"], a["place"] or None] for a in record["activities"]]
    notes = [msg("data.export.period_only", start=records[0]["start"].isoformat(),
                 end=records[0]["end"].isoformat())] if records else []
    n = "number"
    return [
        Sheet("汇总", [Column("代表编号"), Column("姓名"), Column("代表小组"), Column("出席会议", n), Column("请假", n),
                       Column("缺席", n), Column("提出建议", n), Column("领衔", n), Column("参加活动", n),
                       Column("未经批准缺席次数", n), Column("提示")], summary, title=title, notes=notes),
        Sheet("出席会议", [Column("代表编号"), Column("姓名"), Column("会议"), Column("开会日期"), Column("出席情况")],
              attendance, title=title, notes=notes),
        Sheet("提出建议", [Column("代表编号"), Column("姓名"), Column("建议编号"), Column("建议标题"), Column("承办单位"),
                           Column("提出日期"), Column("领衔"), Column("测评"), Column("状态")], suggestions, title=title,
              notes=notes),
        Sheet("参加活动", [Column("代表编号"), Column("姓名"), Column("日期"), Column("活动"), Column("内容"),
                           Column("地点")], activities, title=title, notes=notes),
    ]


def overdue_title(township: Township) -> str:
    return f"{township.name}代表建议和决议落实事项逾期清单"


def overdue_sheets(rows: list[dict[str, Any]], *, township: Township, today: date) -> list[Sheet]:
    """逾期督办清单: items still unanswered after their due date (`sweeper.overdue_rounds`), most overdue first."""
    title = overdue_title(township)
    return [Sheet("逾期清单", [
        Column("编号"), Column("类别"), Column("标题"), Column("承办单位"), Column("第几次办理", "number"),
        Column("交办日期"), Column("答复期限"), Column("逾期天数", "number"), Column("已督办（升级）日期")],
        [[r["code"], "代表建议" if r["kind"] == "suggestion" else "决议落实事项", r["title"], r["office"], r["round"],
          r["handed_over_on"], r["due_date"], r["overdue_days"], r.get("escalated_on")] for r in rows],
        title=title, notes=[msg("data.export.as_of", day=f"{today.year}年{today.month}月{today.day}日")])]


def overdue_workbook(rows: list[dict[str, Any]], *, township: Township, today: date) -> bytes:
    """The overdue list as an .xlsx (the sweep writes it beside its 逾期督办清单; the dashboard on demand)."""
    return build_workbook(overdue_sheets(rows, township=township, today=today), title=overdue_title(township),
                          author=township.presidium_name, created=_created(today))
