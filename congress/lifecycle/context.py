"""The plain-data context every document template receives (documented in docs/templates.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from congress.documents.numbers import format_number, township_settings
from congress.lifecycle import elections as election_rules
from congress.lifecycle import presidium
from congress.models import CongressSession, Deputy, Election, Officer, Vote
from congress.profiles import Profile, load_profile
from congress.strokes import stroke_key

KIND_CN = {"regular": "例会", "extraordinary": "临时会议", "first_of_term": "第一次会议"}
ELECTION_KIND_CN = {"general": "选举", "by_election": "补选"}
ROUND_KIND_CN = {"preliminary": "预选", "formal": "正式选举", "revote": "再次投票", "additional": "另行选举"}
NOMINATED_CN = {"presidium": "大会主席团", "deputies": "代表联名", "mixed": "大会主席团和代表联名"}
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
    """An election as the templates read it: its candidates (姓氏笔画 order) with who nominated them."""
    db = object_session(e)
    session = db.get(CongressSession, e.session_id) if db is not None else None
    names = {d.code: d.name for d in session.term.deputies} if session is not None else {}

    def candidate(c: Any) -> dict[str, Any]:
        return {"name": c.name, "gender": c.gender, "ethnicity": c.ethnicity, "born": c.born, "title": c.title,
                "code": c.code,
                "deputy": c.code is not None, "nominated_by": c.nominated_by,
                "nominated_by_cn": NOMINATED_CN[c.nominated_by],
                "nominators": [names.get(code, code) for code in c.nominators]}

    ordered = sorted(e.candidates, key=lambda c: stroke_key(c.name))  # ballots list them in 姓氏笔画 order
    joint: dict[tuple[str, ...], list[str]] = {}
    for c in e.candidates:
        if c.nominated_by == "deputies":
            joint.setdefault(tuple(c.nominators), []).append(c.name)
    preliminary, formal = False, len(e.candidates)
    if session is not None:
        profile = load_profile(session.term.township.profile)
        spec = election_rules.spec_of(e)
        preliminary = election_rules.needs_preliminary(profile, spec)
        formal = election_rules.formal_places(profile, spec) if preliminary else formal
    return {
        "key": e.key, "office": e.office, "title": e.title, "kind": e.kind, "sitting": e.sitting_key,
        "kind_cn": ELECTION_KIND_CN[e.kind], "seats": e.seats, "extra_candidates": e.extra_candidates,
        "nominated_by_cn": NOMINATED_CN[e.nominated_by], "incumbents": e.incumbents,
        "candidates": [candidate(c) for c in ordered],
        "by_presidium": [c.name for c in ordered if c.nominated_by == "presidium"],
        "joint_nominations": [{"number": i + 1, "candidates": cands,
                               "deputies": [names.get(code, code) for code in codes], "count": len(codes)}
                              for i, (codes, cands) in enumerate(joint.items())],
        "preliminary": preliminary,  # more nominees than the formal list: a 预选 first (LOL 第二十七条)
        "formal_count": formal,
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
    documents = township_settings(db, township)
    materials = [r.title for r in session.reports]
    materials += [f"{e.title}{ELECTION_KIND_CN[e.kind]}候选人基本情况" for e in session_elections(db, session)]
    materials += ["会议议程（草案）", "会议日程", "代表须知"]
    offices = person_offices(db, session)
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
        "groups": [{"name": name, "deputies": members, "convenors": presidium.group_convenors(session, name)}
                   for name, members in groups.items()],
        # a member presiding over a meeting is named by their office (`named`: 镇人大主席王建华)
        "presidium": [{**deputy_dict(by_code[c]), "named": named(by_code[c].name, offices)}
                      for c in session.presidium_codes if c in by_code],
        "officers": [{"name": o.name, "title": o.title} for o in officers],
        "reports": [report_dict(r) for r in session.reports],
        "elections": [election_dict(e) for e in elections],
        "motions": [{"title": m.title, "sponsors": [deputy_dict(by_code[c]) for c in m.sponsors if c in by_code]}
                    for m in session.motions if m.kind == "motion"],
        "inquiries": [{"title": m.title, "target": m.extra.get("target", ""),
                       "sponsors": [deputy_dict(by_code[c]) for c in m.sponsors if c in by_code]}
                      for m in session.motions if m.kind == "inquiry"],
        "schedule": [{"key": s.key, "kind": s.kind, "date": s.day, "start": s.start, "end": s.end,
                      "title": s.title, "place": s.place, "chair": _named_chair(presidium.sitting_chair(session, s), offices)}
                     for s in session.sittings],
        # the session presidium's arrangements: 秘书长, 监票人, 列席人员, its meetings (lifecycle/presidium.py)
        **presidium.presidium_context(session, [{"name": o.name, "title": o.title} for o in township.officers]),
        "agenda": [{"number": i + 1, "title": a.title} for i, a in enumerate(session.agenda_items)],
        "materials": materials,
        "doc_number": "",
        "sign_date": session.plan_date,
        "signer": township.presidium_name,
        # the 公文 form (the document's own values are set by Outputs.document: see docs/templates.md)
        "letterhead": False,
        "announcement_number": None,
        "issuer": documents.issuer,
        "contact": ({"name": documents.contact_name, "phone": documents.contact_phone}
                    if documents.contact_name or documents.contact_phone else None),
    }


def _named_chair(chair: dict[str, Any] | None, offices: dict[str, str]) -> dict[str, Any] | None:
    """A sitting's chair with `named`, the name after the office they preside in (镇人大主席王建华)."""
    return {**chair, "named": named(chair["name"], offices)} if chair else None


def sitting_day(session: CongressSession, key: str | None = None) -> date:
    """The day of the sitting that holds a vote or an election: the named sitting; without one the last
    plenary sitting (where the plenary votes and the elections are held); the closing day when there is none."""
    days = {st.key: st.day for st in session.sittings}
    if key and key in days:
        return days[key]
    plenaries = [st.day for st in session.sittings if st.kind == "plenary"]
    return plenaries[-1] if plenaries else session.closing_date


def session_elections(db: Session, session: CongressSession) -> list[Election]:
    return list(db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)))


def report_dict(r: Any) -> dict[str, Any]:
    """A report as the templates read it; its reporter named by the office they report in (`office_of`)."""
    db = object_session(r)
    session = db.get(CongressSession, r.session_id) if db is not None else None
    title = r.reporter_title
    if session is not None and (not title or title == "代表"):
        title = person_offices(db, session).get(r.reporter, title or "代表")
    return {"key": r.key, "kind": r.kind, "title": r.title, "reporter": r.reporter,
            "reporter_title": title, "reporter_named": f"{title}{r.reporter}", "resolution": r.resolution_title,
            "deliberation": list(r.deliberation)}


def office_of(name: str, *, township_name: str, officers: dict[str, str], occupations: dict[str, str]) -> str:
    """The office in which a person acts or reports, as documents name it before the name: an officer's
    title as the session file gives it (镇长, 副镇长); else the roster's 职务 when it is a post of the township's
    congress, government or party committee, shortened (青山镇人民代表大会主席 → 镇人大主席, 青山镇人民政府镇长
    → 镇长); else 代表 (a deputy acting as such)."""
    if officers.get(name):
        return officers[name]
    occupation = occupations.get(name, "")
    level = township_name[-1] if township_name[-1:] in ("镇", "乡") else "镇"
    for organ, short in ((f"{township_name}人民代表大会", f"{level}人大"), (f"{township_name}人民政府", f"{level}政府"),
                         (f"中共{township_name}委员会", f"{level}党委")):
        post = occupation.removeprefix(organ)
        if post != occupation and post:
            return post if post in (f"{level}长", f"副{level}长") else f"{short}{post}"
    return "代表"


def person_offices(db: Session, session: CongressSession) -> dict[str, str]:
    """Name → the office they act in (`office_of`), for the officers and the deputies of the session."""
    township = session.term.township
    officers = {o.name: o.title for o in db.scalars(select(Officer).where(Officer.township_id == township.id))}
    occupations = {d.name: d.occupation for d in session.term.deputies if d.status == "active"}
    return {name: office_of(name, township_name=township.name, officers=officers, occupations=occupations)
            for name in {*officers, *occupations}}


def named(name: str, offices: dict[str, str]) -> str:
    """A person named by their office: 镇人大主席王建华, 镇长周建国, 代表张三."""
    return f"{offices.get(name, '代表')}{name}"


def doc_number(prefix: str, year: int, serial: int) -> str:
    """发文字号 with 六角括号: 青人〔2026〕3号."""
    return format_number(prefix, year, serial)


# Short Chinese names of reports and elections in file names (审议意见-预算.docx, 选票-副主席-第1轮.docx).
REPORT_FILE_CN = {"government_work": "政府工作报告", "budget": "预算", "presidium": "主席团工作报告",
                  "suggestions": "建议办理情况报告", "special": "专项工作报告", "other": "报告"}


def report_file_names(reports: list[Any]) -> dict[str, str]:
    """Report key → its short Chinese name; a name two reports would share gets a number."""
    return _numbered({r.key: REPORT_FILE_CN.get(r.kind, "报告") for r in reports})


def election_file_names(elections: list[Any], township_name: str) -> dict[str, str]:
    """Election key → the office's short name (副主席, 镇长) from its title; numbered when shared."""
    names = {}
    for e in elections:
        short = e.title.removeprefix(township_name)
        for organ in ("人民代表大会", "人民政府"):
            short = short.removeprefix(organ)
        names[e.key] = f"{ELECTION_KIND_CN.get(e.kind, '')}{short or e.key}"
    return _numbered(names)


def _numbered(names: dict[str, str]) -> dict[str, str]:
    counts = {n: list(names.values()).count(n) for n in names.values()}
    seen: dict[str, int] = {}
    out = {}
    for key, name in names.items():
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name}{seen[name]}"
        out[key] = name
    return out
