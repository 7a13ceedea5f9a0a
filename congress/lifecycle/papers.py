"""The session's papers beyond the reports and the ballots: the deputies' motions and the presidium's
report on them, the draft resolutions and the 请示 that asks the party committee to agree to them, the
constitutional oath of those elected, the vote ballots, the suggestions' register and the report of the
election results to the county.

Each `*_documents` function is called by the step that produces the papers (congress/lifecycle/steps.py)
with its StepContext; the `planned_*` functions decide, at load, which votes and agenda items the motions
bring (congress/lifecycle/operations.py).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from congress.lifecycle.context import deputy_dict, report_dict, session_elections, sitting_day, vote_dict
from congress.messages import msg
from congress.models import Suggestion, Vote

if TYPE_CHECKING:
    from congress.lifecycle.steps import StepContext

# The presidium's report on the deputies' motions is put to the congress's vote (LOL 第二十二条: the
# presidium decides whether each motion goes on the agenda; the congress adopts the report).
MOTION_HANDLING_KEY = "motion-handling"
MOTION_HANDLING_SUBJECT = "主席团关于代表议案处理意见的报告"
DRAFT = "（草案）"


def planned_votes(motions: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The votes the session's motions bring: the presidium's report, then each motion put on the agenda."""
    raised = [m for m in motions if m["kind"] == "motion"]
    if not raised:
        return []
    votes = [(MOTION_HANDLING_KEY, MOTION_HANDLING_SUBJECT, "plenary")]
    votes += [(motion_vote_key(i), m["title"], "plenary") for i, m in enumerate(raised) if m.get("handling") == "agenda"]
    return votes


def planned_agenda(motions: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """The agenda items the motions bring: each motion put on the agenda, then the presidium's report."""
    raised = [m for m in motions if m["kind"] == "motion"]
    items: list[tuple[str, str, str | None]] = [(f"审议{m['title']}", "vote", motion_vote_key(i))
                                                for i, m in enumerate(raised) if m.get("handling") == "agenda"]
    if raised:
        items.append((f"表决{MOTION_HANDLING_SUBJECT}", "vote", MOTION_HANDLING_KEY))
    return items


def motion_vote_key(index: int) -> str:
    """The vote on the motion numbered index + 1 among the session's motions."""
    return f"motion-{index + 1}"


def stored_extra(motion: dict[str, Any]) -> dict[str, Any]:
    """What a Motion row keeps beside its title and sponsors: an inquiry's target, a motion's handling."""
    extra: dict[str, Any] = {"target": motion["target"]} if motion.get("target") else {}
    if motion["kind"] == "motion":
        extra.update({"handling": motion.get("handling", "refer"), "office": motion.get("office", "")})
    return extra


def motion_views(c: StepContext) -> list[dict[str, Any]]:
    """The deputies' motions as the templates read them (docs/templates.md, M)."""
    s = c.session
    by_code = {d.code: d for d in s.term.deputies}
    government = s.term.township.government_name
    raised = [m for m in s.motions if m.kind == "motion"]
    views = []
    for i, m in enumerate(raised):
        sponsors = [deputy_dict(by_code[x]) for x in m.sponsors if x in by_code]
        handling = m.extra.get("handling", "refer")
        views.append({"number": i + 1, "title": m.title, "lead": sponsors[0] if sponsors else None,
                      "sponsors": sponsors, "count": len(sponsors), "handling": handling,
                      "office": (m.extra.get("office") or government) if handling == "refer" else "",
                      "vote_key": motion_vote_key(i) if handling == "agenda" else None})
    return views


def refer_motions(c: StepContext) -> list[Suggestion]:
    """Step 10: each motion the presidium referred to the government becomes a suggestion handed over and
    tracked like the others (LOL 第二十二条: the presidium decides whether it goes on the agenda; one that
    does not is turned into a suggestion, chongqing-township-congress-2016.md 第十四条); idempotent, so a
    re-run step adds none twice."""
    s = c.session
    existing = list(c.db.scalars(select(Suggestion).where(Suggestion.session_id == s.id)))
    have, position = {sg.code for sg in existing}, max((sg.position for sg in existing), default=-1)
    made = []
    for m in motion_views(c):
        code = referred_code(m["number"])
        if m["handling"] != "refer" or code in have:
            continue
        position += 1
        lead = m["lead"]["name"] if m["lead"] else ""
        sg = Suggestion(session_id=s.id, position=position, code=code, title=m["title"],
                        text=msg("clerk.referred_text", lead=lead, count=m["count"],
                                 presidium=s.term.township.presidium_name, office=m["office"]),
                        proposers=[x["code"] for x in m["sponsors"]],
                        category=msg("clerk.referred_category"), office=m["office"], complex=False)
        c.db.add(sg)
        made.append(sg)
    c.db.flush()
    return made


def referred_code(number: int) -> str:
    """The suggestion code of the motion numbered `number`, referred to the government (议案转建议)."""
    return f"YA{number:03d}"


def decision_title(motion_title: str) -> str:
    """The title of the congress's decision on a motion it adopted: 关于…的议案 → 关于…的决定."""
    stem = motion_title.removesuffix("的议案") if motion_title.endswith("的议案") else None
    return f"{stem}的决定" if stem and stem.startswith("关于") else f"关于《{motion_title}》的决定"


def motion_decisions(c: StepContext, ctx: dict[str, Any], votes: dict[str, Vote]) -> dict[str, Any]:
    """Step 9: the congress's decisions on the motions: the vote on the presidium's report and on each motion
    put on the agenda (the 会议公报 states them), and a 决定 on each motion adopted (LOL 第二十二条)."""
    report = votes.get(MOTION_HANDLING_KEY)
    on = sitting_day(c.session)  # the plenary sitting that voted on it
    decided = []
    for m in motion_views(c):
        vote = votes.get(m["vote_key"] or "")
        if vote is None:
            continue
        view = {"title": m["title"], "vote": vote_dict(vote), "decision": None}
        if vote.passed:
            view["decision"] = decision_title(m["title"])
            c.out.document("resolution", "resolution.md.j2", view["decision"],
                           {**ctx, "resolution": {"key": m["vote_key"], "title": view["decision"], "report": None,
                                                  "motion": m, "vote": vote_dict(vote),
                                                  "adopted_on": on}},
                           title=view["decision"], on=on)
        decided.append(view)
    referred = [{"title": m["title"], "office": m["office"]} for m in motion_views(c) if m["handling"] == "refer"]
    return {"motion_report": vote_dict(report) if report else None, "motions_decided": decided,
            "motions_referred": referred}


def draft_title(title: str) -> str:
    """A resolution's title as put to the vote: 关于…的决议（草案）."""
    return title + DRAFT


def reports_documents(c: StepContext, ctx: dict[str, Any]) -> dict[str, Any]:
    """Step 7: the motions' register and the presidium's report on them; the draft resolutions the deputies
    vote on, and the 请示 asking the party committee to agree to them (the gate of step 8)."""
    s, on = c.session, c.session.opening_date
    evidence: dict[str, Any] = {}
    motions = motion_views(c)
    if motions:
        mctx = {**ctx, "motions": motions}
        c.out.document("motion_register", "motion_register.md.j2", "代表议案登记表", mctx,
                       title=f"{ctx['session']['title']}代表议案登记表", on=on)
        c.out.document("motion_handling_report", "motion_handling_report.md.j2", "主席团关于代表议案处理意见的报告",
                       mctx, title=f"{ctx['township']['presidium_name']}关于代表议案处理意见的报告", on=on)
        evidence["motions"] = [{"title": m["title"], "handling": m["handling"], "office": m["office"]}
                               for m in motions]
    drafts = []
    for report in s.reports:
        if not report.resolution_title:
            continue
        resolution = {"key": f"resolution-{report.key}", "title": report.resolution_title,
                      "report": report_dict(report), "vote": None, "adopted_on": None}
        name = draft_title(report.resolution_title)
        c.out.document("resolution_draft", "resolution.md.j2", name, {**ctx, "resolution": resolution},
                       title=name, on=on)
        drafts.append(name)
    if drafts:
        c.out.document("resolutions_request", "resolutions_request.md.j2", "关于决议草案的请示",
                       {**ctx, "doc_number": c.out.number("resolutions_request", on=on), "drafts": drafts},
                       title=f"关于{ctx['session']['title']}决议草案的请示", on=on)
    return evidence


def ballot_documents(c: StepContext, ctx: dict[str, Any], votes: list[Vote], on: date) -> None:
    """Step 8, before the tallies: the 表决票 of the votes taken by secret ballot, one sheet for them all."""
    ballot = [v for v in votes if v.method == "ballot"]
    if not ballot:
        return
    items = [{"key": v.key, "subject": draft_title(v.subject) if v.key.startswith("resolution-") else v.subject}
             for v in ballot]
    c.out.document("vote_ballot", "vote_ballot.md.j2", "表决票", {**ctx, "items": items, "sign_date": on},
                   title=f"{ctx['session']['title']}表决票", on=on)


def elected_views(c: StepContext, election_views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who was elected to what, with their votes in the round that elected them and its date."""
    sittings = {st.key: st.day for st in c.session.sittings}
    by_key = {e.key: e for e in session_elections(c.db, c.session)}
    people = []
    for e in election_views:
        election = by_key[e["key"]]
        on = sittings.get(election.sitting_key or "", c.session.closing_date)
        candidates = {x["name"]: x for x in e["candidates"]}
        for name in e["elected"]:
            votes = next((x["votes"] for rd in reversed(e["rounds"]) for x in rd["votes"] + rd["write_ins"]
                          if x["name"] == name), 0)
            person = candidates.get(name, {})
            people.append({"name": name, "office_title": e["title"], "kind_cn": e["kind_cn"], "votes": votes,
                           "gender": person.get("gender", ""), "born": person.get("born", ""),
                           "title": person.get("title", ""), "elected_on": on,
                           "total": e["rounds"][-1]["total"] if e["rounds"] else 0})
    return people


def oath_documents(c: StepContext, ctx: dict[str, Any], election_views: list[dict[str, Any]]) -> None:
    """Step 8, once the elections are decided: the order of the constitutional oath of those elected."""
    people = elected_views(c, election_views)
    if not people:
        return
    on = max(p["elected_on"] for p in people)
    c.out.document("oath", "oath.md.j2", "宪法宣誓仪式程序", {**ctx, "sworn": people, "sign_date": on},
                   title=f"{ctx['session']['title']}宪法宣誓仪式程序", on=on)


def resolutions_documents(c: StepContext, ctx: dict[str, Any]) -> None:
    """Step 9: the register of the suggestions raised at the session, and the report of the election
    results to the county's standing committee."""
    s = c.session
    suggestions = list(c.db.scalars(select(Suggestion).where(Suggestion.session_id == s.id)
                                    .order_by(Suggestion.position)))
    if suggestions:
        by_code = {d.code: deputy_dict(d) for d in s.term.deputies}
        rows = [{"code": sg.code, "title": sg.title, "category": sg.category, "office": sg.office,
                 "complex": sg.complex, "proposers": [by_code[p] for p in sg.proposers if p in by_code]}
                for sg in suggestions]
        c.out.document("suggestion_register", "suggestion_register.md.j2", "代表建议汇总登记表",
                       {**ctx, "suggestions": rows}, title=f"{ctx['session']['title']}代表建议、批评和意见汇总登记表",
                       on=s.closing_date)
    elections = session_elections(c.db, s)
    if not elections:
        return
    sittings = {st.key: st.day for st in s.sittings}
    views = []
    for election in elections:
        last = election.rounds[-1] if election.rounds else None
        counts = {x.name: x.votes for r in election.rounds for x in r.counts}
        views.append({"title": election.title, "kind_cn": "补选" if election.kind == "by_election" else "选举",
                      "seats": election.seats, "status": election.status,
                      "elected_on": sittings.get(election.sitting_key or "", s.closing_date),
                      "ballots_issued": last.ballots_issued if last else 0,
                      "ballots_returned": last.ballots_returned if last else 0,
                      "elected": [_elected_person(election, name, counts.get(name, 0)) for name in election.elected]})
    c.out.document("election_report", "election_report.md.j2", "选举结果报告",
                   {**ctx, "doc_number": c.out.number("election_report", on=s.closing_date), "results": views},
                   title=f"关于{ctx['session']['title']}选举结果的报告", on=s.closing_date)


def _elected_person(election: Any, name: str, votes: int) -> dict[str, Any]:
    candidate = next((x for x in election.candidates if x.name == name), None)
    return {"name": name, "votes": votes, "gender": candidate.gender if candidate else "",
            "born": candidate.born if candidate else "", "title": candidate.title if candidate else ""}


def vote_view(v: Vote) -> dict[str, Any]:
    """A vote as the templates read it, with whether it was by ballot."""
    return {**vote_dict(v), "method": v.method}
