"""The documents of the session presidium's work and of the deputies' materials (issue 12, "missing kinds"):
the 列席人员名单 (step 3), the 代表须知 and 候选人基本情况 (step 4, with the materials), the 代表名单 and a 签到表
per sitting (step 5, before check-in), the adopted 主席团名单 and 秘书长名单 and the presidium's first
meeting (step 6), its second meeting (step 8). Each function takes the running step's context
(`congress.lifecycle.steps.StepContext`) and the step's common template context."""

from __future__ import annotations

from datetime import date
from typing import Any

from congress.lifecycle.context import election_dict, session_elections
from congress.strokes import stroke_key


def attendee_list(c: Any, ctx: dict[str, Any]) -> None:
    """列席人员名单, decided by the presidium meeting that prepares the session (step 3)."""
    on = c.session.presidium_meeting_date
    c.out.document("attendee_list", "attendee_list.md.j2", "列席人员名单", {**ctx, "sign_date": on},
                   title=f"{ctx['session']['title']}列席人员名单", on=on)


def guide_rules(profile: Any) -> dict[str, Any]:
    """The numbers and articles the 代表须知 quotes, from the province profile."""
    def cited(key: str) -> str:
        return str(profile.rule(key).citation)

    return {"quorum_citation": cited("quorum"), "majority_citation": cited("majority"),
            "motion_sponsors": profile.rule("motion_sponsors")["value"], "motion_citation": cited("motion_sponsors"),
            "inquiry_sponsors": profile.rule("inquiry_sponsors")["value"],
            "inquiry_citation": cited("inquiry_sponsors"), "absence_citation": cited("absence_termination")}


def nominations_close_after(session: Any, day: date) -> bool:
    """Whether nominations are still open after `day` (the candidates are known only at the session)."""
    return session.nomination_deadline is not None and session.nomination_deadline > day


def materials(c: Any, ctx: dict[str, Any]) -> None:
    """代表须知 and each election's 候选人基本情况, delivered with the materials (step 4); the 候选人基本情况 of
    an election whose nominations close during the session are made when they close (step 8)."""
    s = c.session
    on = s.materials_date
    c.out.document("deputy_guide", "deputy_guide.md.j2", "代表须知",
                   {**ctx, "sign_date": on, "guide": guide_rules(c.profile)},
                   title=f"{ctx['session']['title']}代表须知", on=on)
    if not nominations_close_after(s, on):
        candidate_profiles(c, ctx, on=on)


def candidate_profiles(c: Any, ctx: dict[str, Any], *, on: date) -> None:
    for election in session_elections(c.db, c.session):
        e = election_dict(election)
        c.out.document("candidate_profile", "candidate_profile.md.j2",
                       f"候选人基本情况-{c.out.election_name(election.key)}",
                       {**ctx, "election": e, "sign_date": on},
                       title=f"{e['kind_cn']}{e['title']}候选人基本情况", on=on)


def checkin_sheets(c: Any) -> None:
    """代表名单 by group with the 召集人, and the 签到表 of the preparatory meeting and of each plenary sitting,
    printed before check-in (step 5, before its attendance gate)."""
    s = c.session
    ctx = c.common(sign_date=s.checkin_date)
    c.out.document("deputy_roster", "deputy_roster.md.j2", "代表名单", ctx,
                   title=f"{ctx['session']['title']}代表名单", on=s.checkin_date)
    for sitting in ctx["schedule"]:
        if sitting["kind"] not in ("preparatory", "plenary"):
            continue
        c.out.document("sign_in_sheet", "sign_in_sheet.md.j2", f"签到表-{sitting['title']}",
                       {**ctx, "sitting": sitting, "sign_date": sitting["date"]},
                       title=f"{ctx['session']['title']}{sitting['title']}签到表", on=sitting["date"])


def _members(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(ctx["presidium"], key=lambda d: stroke_key(d["name"]))


def _presiding(ctx: dict[str, Any]) -> dict[str, Any]:
    """Who presides over the presidium's meetings: the first member the session file lists (its chair)."""
    return ctx["presidium"][0] if ctx["presidium"] else {"name": ctx["township"]["presidium_name"]}


def preparatory_lists(c: Any, ctx: dict[str, Any], votes: dict[str, Any]) -> None:
    """Once the preparatory meeting elected the presidium (the vote `presidium-list`): the adopted 主席团名单 and
    秘书长名单, and the minutes of the presidium's first meeting (step 6)."""
    vote = votes.get("presidium-list")
    if vote is None or not vote["passed"]:
        return
    prep = next((x for x in ctx["schedule"] if x["kind"] == "preparatory"), None)
    on = prep["date"] if prep else c.session.opening_date
    title = ctx["session"]["title"]
    lists = {**ctx, "members": _members(ctx), "sign_date": on}
    c.out.document("presidium_list", "presidium_list.md.j2", "主席团成员名单", lists,
                   title=f"{title}主席团成员名单", on=on)
    if ctx["secretary_general"]:
        c.out.document("secretary_general_list", "secretary_general_list.md.j2", "秘书长名单", lists,
                       title=f"{title}秘书长名单", on=on)
    first = ctx["presidium_meetings"]["first"]["date"]
    c.out.document("presidium_first_meeting", "presidium_first_meeting.md.j2", "主席团第一次会议纪要",
                   {**lists, "presiding": _presiding(ctx), "sign_date": first},
                   title=f"{title}主席团第一次会议纪要", on=first)


def second_meeting(c: Any, ctx: dict[str, Any]) -> None:
    """The presidium's second meeting (step 8, before the votes): the candidates, the draft resolutions; and
    the 候选人基本情况 of elections whose nominations closed during the session."""
    on = ctx["presidium_meetings"]["second"]["date"]
    title = ctx["session"]["title"]
    c.out.document("presidium_second_meeting", "presidium_second_meeting.md.j2", "主席团第二次会议纪要",
                   {**ctx, "members": _members(ctx), "presiding": _presiding(ctx), "sign_date": on},
                   title=f"{title}主席团第二次会议纪要", on=on)
    if nominations_close_after(c.session, c.session.materials_date):
        candidate_profiles(c, ctx, on=c.session.nomination_deadline)
