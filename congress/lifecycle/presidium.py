"""The session presidium's arrangements as the templates read them: who presides over each sitting (执行主席,
LOL 第十九条), the 秘书长 adopted with the presidium list, the 总监票人/监票人/计票人 (EL 第四十三条), who attends
without a vote (列席, LOL 第二十一条), each group's 召集人, and when the presidium's first and second meetings
are held. Plain data from the stored session (congress/models/session.py); documented in docs/templates.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from congress.models import CongressSession, Deputy

# Government leaders who are not deputies attend the session by law (LOL 第二十一条: 乡级的人民政府领导人员).
GOVERNMENT_LEADERS = ("镇长", "副镇长", "乡长", "副乡长")


def person(d: Deputy) -> dict[str, Any]:
    """A deputy as every template reads one (the fields of `congress.lifecycle.context.deputy_dict`)."""
    return {"code": d.code, "name": d.name, "gender": d.gender, "group": d.group_name,
            "constituency": d.constituency, "phone": d.contact, "occupation": d.occupation}


def sitting_chair(session: CongressSession, sitting: Any) -> dict[str, Any] | None:
    """The deputy who presides over a sitting (its `chair` in the session file), or None."""
    by_code = {d.code: d for d in session.term.deputies}
    code = getattr(sitting, "chair_code", None)
    return person(by_code[code]) if code in by_code else None


def group_convenors(session: CongressSession, group: str) -> list[dict[str, Any]]:
    by_code = {d.code: d for d in session.term.deputies}
    return [person(by_code[c]) for c in (session.group_convenors or {}).get(group, []) if c in by_code]


def attendees(session: CongressSession, officers: list[dict[str, str]]) -> list[dict[str, str]]:
    """列席人员: the government leaders who are not deputies (LOL 第二十一条), then whom the presidium invited."""
    deputies = {d.name for d in session.term.deputies if d.status == "active"}
    out = [{"name": o["name"], "title": o["title"], "by_law": True} for o in officers
           if o["title"] in GOVERNMENT_LEADERS and o["name"] not in deputies]
    named = {p["name"] for p in out}
    out += [{"name": p["name"], "title": p["title"], "by_law": False} for p in session.attendees or []
            if p["name"] not in named]
    return out


def meetings(session: CongressSession) -> dict[str, dict[str, Any]]:
    """The presidium's first meeting (after the preparatory meeting: it presides, LOL 第十九条) and second
    meeting (after the groups' deliberation: the candidates and the draft resolutions), each `{date, time,
    place, after}`: `time` "" when not given, `after` the sitting it follows when no time is given."""
    sittings = list(session.sittings)
    prep = next((s for s in sittings if s.kind == "preparatory"), None)
    groups = [s for s in sittings if s.kind == "group"]
    plenaries = [s for s in sittings if s.kind == "plenary"]
    given = session.presidium_meetings or {}
    place = (prep.place if prep else session.venue)
    first_default = {"date": prep.day if prep else session.opening_date, "time": "",
                     "place": place, "after": prep.title if prep else ""}
    anchor = groups[-1] if groups else (plenaries[-1] if plenaries else None)
    second_default = {"date": anchor.day if anchor else session.closing_date, "time": "",
                      "place": place, "after": anchor.title if anchor and groups else ""}
    out = {}
    for which, default in (("first", first_default), ("second", second_default)):
        g = given.get(which) or {}
        out[which] = {"date": date.fromisoformat(g["date"]) if g.get("date") else default["date"],
                      "time": g.get("time") or "", "place": g.get("place") or default["place"],
                      "after": default["after"] if not g.get("time") else ""}
    return out


def presidium_context(session: CongressSession, officers: list[dict[str, str]]) -> dict[str, Any]:
    """What every template receives about the session presidium's arrangements (docs/templates.md)."""
    by_code = {d.code: d for d in session.term.deputies}
    sc = session.scrutineers or {}
    scrutineers = None
    if sc:
        scrutineers = {"chief": person(by_code[sc["chief"]]) if sc.get("chief") in by_code else None,
                       "members": [person(by_code[c]) for c in sc.get("members", []) if c in by_code],
                       "tellers": list(sc.get("tellers", []))}
    secretary = by_code.get(session.secretary_general or "")
    return {"secretary_general": person(secretary) if secretary else None, "scrutineers": scrutineers,
            "attendees": attendees(session, officers), "presidium_meetings": meetings(session)}
