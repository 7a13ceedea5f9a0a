"""The plain-data context every document template receives (documented in docs/templates.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.models import CongressSession, Deputy, Election, Officer, Vote
from congress.profiles import Profile
from congress.strokes import stroke_key

KIND_CN = {"regular": "例会", "extraordinary": "临时会议", "first_of_term": "第一次会议"}
ELECTION_KIND_CN = {"general": "选举", "by_election": "补选"}
ROUND_KIND_CN = {"preliminary": "预选", "formal": "正式选举", "revote": "再次投票", "additional": "另行选举"}
NOMINATED_CN = {"presidium": "大会主席团", "deputies": "代表联名"}
STATUS_CN = {"present": "出席", "leave": "请假", "absent": "缺席"}
DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Chinese numerals for ordinals: 3 → 三, 18 → 十八, 21 → 二十一, 105 → 一百零五."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + DIGITS[rest] if rest < 10 else
                                 ("一" + cn_number(rest) if rest < 20 else cn_number(rest)))
    return DIGITS[n // 100] + "百" + tail


def session_title(township_name: str, term: int, ordinal: int) -> str:
    return f"{township_name}第{cn_number(term)}届人民代表大会第{cn_number(ordinal)}次会议"


def deputy_dict(d: Deputy) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "gender": d.gender, "group": d.group_name,
            "constituency": d.constituency, "phone": d.contact, "occupation": d.occupation}


def vote_dict(v: Vote) -> dict[str, Any]:
    return {"key": v.key, "subject": v.subject, "yes": v.yes, "no": v.no, "abstain": v.abstain,
            "total": v.total, "required": v.required, "passed": bool(v.passed)}


def election_dict(e: Election) -> dict[str, Any]:
    return {
        "key": e.key, "office": e.office, "title": e.title, "kind": e.kind,
        "kind_cn": ELECTION_KIND_CN[e.kind], "seats": e.seats, "extra_candidates": e.extra_candidates,
        "nominated_by_cn": NOMINATED_CN[e.nominated_by],
        # ballots list candidates in 姓氏笔画 order
        "candidates": [{"name": c.name, "gender": c.gender, "born": c.born, "title": c.title}
                       for c in sorted(e.candidates, key=lambda c: stroke_key(c.name))],
    }


def common_context(db: Session, session: CongressSession, profile: Profile) -> dict[str, Any]:
    """Everything every template may use, as plain data."""
    term = session.term
    township = term.township
    deputies = [d for d in term.deputies if d.status == "active"]
    by_code = {d.code: d for d in deputies}
    groups: dict[str, list[dict[str, Any]]] = {}
    for d in deputies:
        groups.setdefault(d.group_name, []).append(deputy_dict(d))
    officers = db.scalars(select(Officer).where(Officer.township_id == township.id).order_by(Officer.position))
    elections = db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position))
    title = session_title(township.name, term.ordinal, session.ordinal)
    materials = [r.title for r in session.reports]
    materials += [f"{e.title}{ELECTION_KIND_CN[e.kind]}候选人基本情况" for e in session_elections(db, session)]
    materials += ["会议议程（草案）", "会议日程", "代表须知"]
    return {
        "township": {"code": township.code, "name": township.name, "county": township.county,
                     "party_committee": township.party_committee, "presidium_name": township.presidium_name,
                     "government_name": township.government_name, "doc_prefix": township.doc_prefix},
        "term": {"ordinal": term.ordinal, "start_year": term.start_year},
        "session": {
            "key": session.key, "title": title, "kind": session.kind, "kind_cn": KIND_CN[session.kind],
            "ordinal": session.ordinal, "venue": session.venue, "plan_date": session.plan_date,
            "notice_date": session.notice_date, "materials_date": session.materials_date,
            "opening_date": session.opening_date, "closing_date": session.closing_date,
            "year": session.opening_date.year,
            "days": (session.closing_date - session.opening_date).days + 1,
            "checkin": {"date": session.checkin_date, "time": session.checkin_time, "place": session.checkin_place},
            "presidium_meeting": {"date": session.presidium_meeting_date, "time": session.presidium_meeting_time,
                                  "place": session.presidium_meeting_place},
        },
        "profile": {"name": profile.name, "title": profile.title,
                    "notice_days": profile.rule("notice_days")["value"],
                    "materials_days": profile.rule("materials_days")["value"]},
        "deputies": [deputy_dict(d) for d in deputies],
        "deputy_count": len(deputies),
        "groups": [{"name": name, "deputies": members} for name, members in groups.items()],
        "presidium": [deputy_dict(by_code[c]) for c in session.presidium_codes if c in by_code],
        "officers": [{"name": o.name, "title": o.title} for o in officers],
        "reports": [report_dict(r) for r in session.reports],
        "elections": [election_dict(e) for e in elections],
        "motions": [{"title": m.title, "sponsors": [deputy_dict(by_code[c]) for c in m.sponsors if c in by_code]}
                    for m in session.motions if m.kind == "motion"],
        "inquiries": [{"title": m.title, "target": m.extra.get("target", ""),
                       "sponsors": [deputy_dict(by_code[c]) for c in m.sponsors if c in by_code]}
                      for m in session.motions if m.kind == "inquiry"],
        "schedule": [{"key": s.key, "kind": s.kind, "date": s.day, "start": s.start, "end": s.end,
                      "title": s.title, "place": s.place} for s in session.sittings],
        "agenda": [{"number": i + 1, "title": a.title} for i, a in enumerate(session.agenda_items)],
        "materials": materials,
        "doc_number": "",
        "sign_date": session.plan_date,
        "signer": township.presidium_name,
    }


def session_elections(db: Session, session: CongressSession) -> list[Election]:
    return list(db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)))


def report_dict(r: Any) -> dict[str, Any]:
    return {"key": r.key, "kind": r.kind, "title": r.title, "reporter": r.reporter,
            "reporter_title": r.reporter_title, "resolution": r.resolution_title,
            "deliberation": list(r.deliberation)}


def doc_number(prefix: str, year: int, serial: int) -> str:
    """发文字号 with 六角括号: 青人〔2026〕3号."""
    return f"{prefix}〔{year}〕{serial}号"
