"""A realistic, synthetic document context: 青山镇 of 云溪县, 18th term, 3rd session.

``sample_context()`` returns the COMMON context every document template receives (see
docs/templates.md); ``extras_for(name, ctx)`` returns the step extras of one template, and
``context_for(name)`` merges the two. Names and phone numbers are invented.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

# (code, name, gender, group, constituency, occupation)
_ROSTER = [
    ("QS001", "王建华", "男", "第一代表小组", "第一选区", "青山镇人民代表大会主席"),
    ("QS002", "李秀英", "女", "第一代表小组", "第一选区", "青山村党支部书记、村民委员会主任"),
    ("QS003", "张卫东", "男", "第一代表小组", "第二选区", "云溪县青山茶叶专业合作社理事长"),
    ("QS004", "刘芳", "女", "第一代表小组", "第二选区", "青山镇中心小学教师"),
    ("QS005", "陈国强", "男", "第一代表小组", "第三选区", "青山镇卫生院院长"),
    ("QS006", "杨丽萍", "女", "第二代表小组", "第四选区", "溪口村村民委员会委员"),
    ("QS007", "赵德明", "男", "第二代表小组", "第四选区", "云溪县德明竹木制品有限公司总经理"),
    ("QS008", "黄敏", "女", "第二代表小组", "第五选区", "青山镇人民政府农业农村办公室主任"),
    ("QS009", "周建国", "男", "第二代表小组", "第五选区", "青山镇人民政府镇长"),
    ("QS010", "吴晓燕", "女", "第二代表小组", "第六选区", "石门村党支部书记"),
]


def _deputies() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name": name,
            "gender": gender,
            "group": group,
            "constituency": constituency,
            "phone": f"138000000{i:02d}",
            "occupation": occupation,
        }
        for i, (code, name, gender, group, constituency, occupation) in enumerate(_ROSTER, start=1)
    ]


def sample_context() -> dict[str, Any]:
    """The common context of 青山镇第十八届人民代表大会第三次会议 (10 deputies in 2 groups)."""
    deputies = _deputies()
    by_code = {d["code"]: d for d in deputies}
    group_names = list(dict.fromkeys(d["group"] for d in deputies))
    reports = [
        {
            "key": "government-work",
            "kind": "government_work",
            "title": "青山镇人民政府工作报告",
            "reporter": "周建国",
            "reporter_title": "镇长",
            "resolution": "关于青山镇人民政府工作报告的决议",
            "deliberation": [
                "建议加快农村生活污水治理进度，明确各村完成时限。",
                "建议加大对茶叶、竹木等特色产业的扶持力度，拓宽农产品销售渠道。",
                "建议进一步改善中心小学周边交通安全设施。",
            ],
        },
        {
            "key": "budget",
            "kind": "budget",
            "title": "青山镇2026年财政预算执行情况和2027年财政预算（草案）的报告",
            "reporter": "孙丽华",
            "reporter_title": "副镇长",
            "resolution": "关于青山镇2026年财政预算执行情况和2027年财政预算的决议",
            "deliberation": ["建议严格控制一般性支出，加大民生领域投入。"],
        },
        {
            "key": "presidium-work",
            "kind": "presidium",
            "title": "青山镇人民代表大会主席团工作报告",
            "reporter": "王建华",
            "reporter_title": "镇人大主席",
            "resolution": "关于青山镇人民代表大会主席团工作报告的决议",
            "deliberation": [],
        },
        {
            "key": "suggestions",
            "kind": "suggestions",
            "title": "关于青山镇第十八届人民代表大会第二次会议代表建议办理情况的报告",
            "reporter": "黄敏",
            "reporter_title": "镇人民政府农业农村办公室主任",
            "resolution": None,
            "deliberation": [],
        },
    ]
    elections = [
        {
            "key": "vice-chair",
            "office": "vice_chair",
            "title": "青山镇人民代表大会副主席",
            "kind": "by_election",
            "kind_cn": "补选",
            "seats": 1,
            "extra_candidates": 1,
            "nominated_by_cn": "大会主席团和代表联名",
            "incumbents": 0,
            "candidates": [  # 姓氏笔画: 刘 (6) before 陈 (7); both deputies, 陈国强 nominated by ten deputies
                {"name": "刘芳", "gender": "女", "ethnicity": "汉族", "born": "1985-03", "title": "青山镇中心小学教师", "code": "QS004",
                 "deputy": True, "nominated_by": "presidium", "nominated_by_cn": "大会主席团", "nominators": []},
                {"name": "陈国强", "gender": "男", "ethnicity": "汉族", "born": "1979-11", "title": "青山镇卫生院院长", "code": "QS005",
                 "deputy": True, "nominated_by": "deputies", "nominated_by_cn": "代表联名",
                 "nominators": ["王建华", "李秀英", "张卫东", "刘芳", "杨丽萍", "赵德明", "黄敏", "周建国", "吴晓燕",
                                "陈国强"]},
            ],
            "by_presidium": ["刘芳"],
            "joint_nominations": [{"number": 1, "candidates": ["陈国强"], "count": 10,
                                   "deputies": ["王建华", "李秀英", "张卫东", "刘芳", "杨丽萍", "赵德明", "黄敏", "周建国",
                                                "吴晓燕", "陈国强"]}],
            "preliminary": False,
            "formal_count": 2,
        },
        {
            "key": "deputy-head",
            "office": "deputy_head",
            "title": "青山镇人民政府副镇长",
            "kind": "by_election",
            "kind_cn": "补选",
            "seats": 1,
            "extra_candidates": 0,
            "nominated_by_cn": "大会主席团",
            "incumbents": 1,
            "candidates": [
                {
                    "name": "黄敏",
                    "gender": "女",
                    "ethnicity": "汉族",
                    "born": "1983-07",
                    "title": "青山镇人民政府农业农村办公室主任",
                    "code": "QS008",
                    "deputy": True,
                    "nominated_by": "presidium",
                    "nominated_by_cn": "大会主席团",
                    "nominators": [],
                },
            ],
            "by_presidium": ["黄敏"],
            "joint_nominations": [],
            "preliminary": False,
            "formal_count": 1,
        },
    ]
    return {
        "township": {
            "code": "qingshan",
            "name": "青山镇",
            "county": "云溪县",
            "party_committee": "中共青山镇委员会",
            "presidium_name": "青山镇人民代表大会主席团",
            "government_name": "青山镇人民政府",
            "doc_prefix": "青人",
        },
        "term": {"ordinal": 18, "start_year": 2021},
        "session": {
            "key": "qingshan-18-3",
            "title": "青山镇第十八届人民代表大会第三次会议",
            "kind": "regular",
            "kind_cn": "例会",
            "ordinal": 3,
            "venue": "青山镇人民政府三楼大会议室",
            "plan_date": date(2026, 12, 1),
            "notice_date": date(2026, 12, 8),
            "materials_date": date(2026, 12, 18),
            "opening_date": date(2026, 12, 22),
            "closing_date": date(2026, 12, 23),
            "year": 2026,
            "days": 2,
            "checkin": {"date": date(2026, 12, 21), "time": "14:00", "place": "青山镇人民政府一楼大厅"},
            "presidium_meeting": {"date": date(2026, 12, 4), "time": "09:00", "place": "镇人大主席团办公室"},
        },
        "profile": {
            "name": "zhejiang",
            "title": "浙江省乡镇人民代表大会工作条例",
            "notice_days": 7,
            "materials_days": 1,
        },
        "deputies": deputies,
        "deputy_count": len(deputies),
        "groups": [{"name": g, "deputies": [d for d in deputies if d["group"] == g],
                    "convenors": [by_code["QS003" if g == "第一代表小组" else "QS007"]]} for g in group_names],
        "presidium": [by_code[c] for c in ("QS001", "QS002", "QS005", "QS007", "QS009")],
        "officers": [
            {"name": "周建国", "title": "镇长"},
            {"name": "孙丽华", "title": "副镇长"},
            {"name": "王建华", "title": "镇人大主席"},
        ],
        "reports": reports,
        "elections": elections,
        "motions": [
            {
                "title": "关于加快青山老街老旧小区改造的议案",
                "sponsors": [by_code[c] for c in ("QS003", "QS004", "QS005", "QS006", "QS007")],
            }
        ],
        "schedule": [
            {
                "key": "preparatory",
                "kind": "preparatory",
                "date": date(2026, 12, 22),
                "start": "08:30",
                "end": "09:00",
                "title": "预备会议",
                "place": "三楼大会议室",
                "chair": by_code["QS001"],
            },
            {
                "key": "plenary-1",
                "kind": "plenary",
                "date": date(2026, 12, 22),
                "start": "09:00",
                "end": "11:30",
                "title": "第一次全体会议",
                "place": "三楼大会议室",
                "chair": by_code["QS001"],
            },
            {
                "key": "groups-1",
                "kind": "group",
                "date": date(2026, 12, 22),
                "start": "14:30",
                "end": "17:30",
                "title": "分组审议",
                "place": "各代表小组会议室",
                "chair": None,
            },
            {
                "key": "plenary-2",
                "kind": "plenary",
                "date": date(2026, 12, 23),
                "start": "09:00",
                "end": "11:30",
                "title": "第二次全体会议",
                "place": "三楼大会议室",
                "chair": by_code["QS002"],
            },
        ],
        "agenda": [
            {"number": 1, "title": "听取和审议青山镇人民政府工作报告"},
            {"number": 2, "title": "审查和批准青山镇2026年财政预算执行情况和2027年财政预算"},
            {"number": 3, "title": "听取和审议青山镇人民代表大会主席团工作报告"},
            {"number": 4, "title": "听取关于代表建议办理情况的报告"},
            {"number": 5, "title": "补选青山镇人民代表大会副主席"},
            {"number": 6, "title": "补选青山镇人民政府副镇长"},
        ],
        "materials": [
            "青山镇人民政府工作报告（征求意见稿）",
            "青山镇2026年财政预算执行情况和2027年财政预算（草案）的报告",
            "青山镇人民代表大会主席团工作报告（征求意见稿）",
            "会议议程（草案）和日程",
            "补选办法（草案）",
            "代表须知",
        ],
        "doc_number": "青人〔2026〕3号",
        "sign_date": date(2026, 12, 8),
        "signer": "青山镇人民代表大会主席团",
        "letterhead": True,
        "announcement_number": 1,
        "issuer": "王建华",
        "contact": {"name": "林晓红", "phone": "0570-8612345"},
        # the session presidium's arrangements (congress/lifecycle/presidium.py, W3-H2)
        "secretary_general": by_code["QS002"],
        "scrutineers": {"chief": by_code["QS003"], "members": [by_code["QS006"], by_code["QS010"]],
                        "tellers": ["林晓红", "张敏"]},
        "attendees": [{"name": "孙丽华", "title": "副镇长", "by_law": True},
                      {"name": "吴志远", "title": "云溪县人民代表大会代表", "by_law": False}],
        "presidium_meetings": {
            "first": {"date": date(2026, 12, 22), "time": "", "place": "三楼小会议室", "after": "预备会议"},
            "second": {"date": date(2026, 12, 22), "time": "17:40", "place": "三楼小会议室", "after": ""}},
    }


# --- Step extras ---------------------------------------------------------------------------


def vote(key: str, subject: str, yes: int, no: int = 0, abstain: int = 0, total: int = 10) -> dict[str, Any]:
    """A vote tally V; passes with more than half of ALL deputies."""
    required = total // 2 + 1
    return {
        "key": key,
        "subject": subject,
        "yes": yes,
        "no": no,
        "abstain": abstain,
        "total": total,
        "required": required,
        "passed": yes >= required,
    }


def election_round(ctx: dict[str, Any], election_key: str) -> dict[str, Any]:
    """The counted first round RD of an election in the sample (9 of 10 deputies present)."""
    election = next(e for e in ctx["elections"] if e["key"] == election_key)
    total = ctx["deputy_count"]
    required = total // 2 + 1
    votes_for = {"刘芳": 6, "陈国强": 2, "黄敏": 8}
    votes = []
    for c in election["candidates"]:
        n = votes_for[c["name"]]
        elected = n >= required
        reason = f"得票{n}，超过全体代表{total}名的半数" if elected else f"得票{n}，未超过全体代表的半数"
        votes.append({"name": c["name"], "votes": n, "elected": elected, "reason": reason})
    return {
        "number": 1,
        "kind": "formal",
        "kind_cn": "正式选举",
        "ballots_issued": 9,
        "ballots_returned": 9,
        "ballots_void": 0,
        "ballots_valid": 9,
        "valid": True,
        "votes": votes,
        "write_ins": [{"name": "张卫东", "votes": 1}] if election_key == "vice-chair" else [],
        "elected": [v["name"] for v in votes if v["elected"]],
        "required": required,
        "total": total,
    }


def _attendance(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    status = {"QS006": "leave"}
    cn = {"present": "出席", "leave": "请假", "absent": "缺席"}
    return [
        {
            "deputy": d,
            "status": status.get(d["code"], "present"),
            "status_cn": cn[status.get(d["code"], "present")],
            "leave_approved": d["code"] == "QS006",
        }
        for d in ctx["deputies"]
    ]


def attendance_summary() -> dict[str, int]:
    return {"total": 10, "present": 9, "leave": 1, "absent": 0}


def session_votes(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """All votes of the session: presidium list, agenda, election measures, one per resolution."""
    votes = [
        vote("presidium-list", "主席团成员名单", 9),
        vote("agenda", "会议议程", 9),
        vote("election-measures-vice-chair", "补选青山镇人民代表大会副主席的办法", 9),
    ]
    for r in ctx["reports"]:
        if r["resolution"]:
            votes.append(vote(f"resolution-{r['key']}", f"{r['resolution']}", 8, 0, 1))
    return votes


def extras_for(template_name: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """The step extras a template needs on top of the common context."""
    if template_name in EXTRA_TEMPLATES:
        return EXTRA_TEMPLATES[template_name](ctx)
    vice = ctx["elections"][0]
    vice_round = election_round(ctx, "vice-chair")
    votes = session_votes(ctx)
    by_key = {v["key"]: v for v in votes}
    total = ctx["deputy_count"]
    extras: dict[str, dict[str, Any]] = {
        "plan.md.j2": {},
        "party_request.md.j2": {},
        "party_reply.md.j2": {
            "approval": {
                "decision": "approved",
                "decision_cn": "同意",
                "approver": "中共青山镇委员会书记 郑立新",
                "comments": "请严格按照法定程序组织好补选工作。",
                "decided_on": date(2026, 12, 3),
            },
        },
        "presidium_decision.md.j2": {
            "decision": {
                "meeting_date": date(2026, 12, 4),
                "time": "09:00",
                "place": "镇人大主席团办公室",
                "members": ctx["presidium"],
            },
        },
        "presidium_minutes.md.j2": {
            "decision": {
                "meeting_date": date(2026, 12, 4),
                "time": "09:00",
                "place": "镇人大主席团办公室",
                "members": ctx["presidium"],
            },
        },
        "notice.md.j2": {"deputy": ctx["deputies"][3], "contact": {"name": "徐静", "phone": "0571-88000000"}},
        "attendance_register.md.j2": {
            "attendance": _attendance(ctx),
            "quorum": {
                "total": total,
                "present": 9,
                "leave": 1,
                "absent": 0,
                "required": 7,
                "met": True,
                "citation": "local-organic-law-2022.md 第十四条",
            },
        },
        "preparatory_agenda.md.j2": {},
        "preparatory_script.md.j2": {
            "votes": {"presidium-list": by_key["presidium-list"], "agenda": by_key["agenda"]},
            "attendance_summary": attendance_summary(),
        },
        "agenda.md.j2": {},
        "schedule.md.j2": {},
        "deliberation.md.j2": {"report": ctx["reports"][0]},
        "election_measures.md.j2": {"election": vice, "total": total, "required": total // 2 + 1},
        "ballot.md.j2": {
            "election": vice,
            "round": {
                "number": 1,
                "kind": "formal",
                "kind_cn": "正式选举",
                "candidates": [c["name"] for c in vice["candidates"]],
            },
        },
        "count_report.md.j2": {"election": vice, "round": vice_round},
        "election_announcement.md.j2": {
            "election": vice,
            "elected": [
                {"name": v["name"], "votes": v["votes"]} for v in vice_round["votes"] if v["elected"]
            ],
            "round": vice_round,
        },
        "vote_results.md.j2": {"votes": votes},
        "plenary_script.md.j2": {
            "votes": votes,
            "elections": [
                {
                    **e,
                    "rounds": [election_round(ctx, e["key"])],
                    "elected": election_round(ctx, e["key"])["elected"],
                }
                for e in ctx["elections"]
            ],
            "attendance_summary": attendance_summary(),
        },
        "resolution.md.j2": {
            "resolution": {
                "key": "resolution-government-work",
                "title": ctx["reports"][0]["resolution"],
                "report": ctx["reports"][0],
                "vote": by_key["resolution-government-work"],
                "adopted_on": date(2026, 12, 23),
            },
        },
        "announcement.md.j2": {
            "resolutions": [
                {"title": r["resolution"], "vote": by_key[f"resolution-{r['key']}"]}
                for r in ctx["reports"]
                if r["resolution"]
            ],
            "elected": [
                {"office_title": "青山镇人民代表大会副主席", "name": "刘芳"},
                {"office_title": "青山镇人民政府副镇长", "name": "黄敏"},
            ],
        },
        "communique.md.j2": {
            "attendance_summary": attendance_summary(),
            "resolutions": [
                {"title": r["resolution"], "vote": by_key[f"resolution-{r['key']}"]}
                for r in ctx["reports"]
                if r["resolution"]
            ],
            "rejected": [],
            "elected": [{"office_title": "青山镇人民代表大会副主席", "name": "刘芳"}],
            "suggestion_count": 12,
            "motion_report": {**by_key["agenda"], "key": "motion-handling",
                              "subject": "主席团关于代表议案处理意见的报告"},
            "motions_decided": [{"title": "关于加快集镇污水管网改造的议案", "vote": by_key["agenda"],
                                 "decision": "关于加快集镇污水管网改造的决定"}],
            "motions_referred": [{"title": "关于新建溪口村文化礼堂的议案", "office": "青山镇人民政府"}],
        },
        "handover_letter.md.j2": {
            "office": "青山镇村镇建设办公室",
            "handover_date": date(2027, 1, 5),
            "suggestions": [
                {
                    "code": "J001",
                    "title": "关于修缮溪口村至石门村村道的建议",
                    "category": "城乡建设",
                    "proposers": [ctx["deputies"][5], ctx["deputies"][9]],
                    "complex": False,
                    "due_date": date(2027, 4, 5),
                    "text": "溪口村至石门村村道建成已逾十年，路面破损严重，雨天积水，群众出行不便。建议将该路段纳入2027年农村公路提升改造计划，尽快修缮。",
                },
                {
                    "code": "J004",
                    "title": "关于推进青山老街雨污分流改造的建议",
                    "category": "城乡建设",
                    "proposers": [ctx["deputies"][2]],
                    "complex": True,
                    "due_date": date(2027, 7, 5),
                    "text": "青山老街雨污合流，汛期污水外溢。建议制定分期改造计划，争取上级专项资金支持。",
                },
            ],
            "reply_months": {"normal": 3, "complex": 6},
            "citation": "deputies-law-2025.md 第五十二条",
        },
        "audit_report.md.j2": {
            "steps": [
                {
                    "step": "plan",
                    "title": "会议方案",
                    "status_cn": "已完成",
                    "started": "2026-12-01T01:00:00+00:00",
                    "finished": "2026-12-01T01:00:02+00:00",
                    "actor": "人大办 徐静",
                    "documents": [{"path": "plan/plan.docx", "sha256": "9f2c" + "0" * 60}],
                    "message": "",
                },
                {
                    "step": "party-approval",
                    "title": "党委审批",
                    "status_cn": "已完成",
                    "started": "2026-12-01T01:00:03+00:00",
                    "finished": "2026-12-03T07:30:00+00:00",
                    "actor": "郑立新",
                    "documents": [
                        {"path": "plan/party_request.docx", "sha256": "a1b2" + "0" * 60},
                        {"path": "plan/party_reply.docx", "sha256": "c3d4" + "0" * 60},
                    ],
                    "message": "",
                },
                {
                    "step": "notices",
                    "title": "会议通知",
                    "status_cn": "等待",
                    "started": "2026-12-08T00:30:00+00:00",
                    "finished": "",
                    "actor": "人大办 徐静",
                    "documents": [],
                    "message": "等待送达回执",
                },
            ],
        },
    }
    return extras[template_name]


# Templates of other areas register the function giving their extras here (it receives the common
# context), so every test over all templates covers them too: EXTRA_TEMPLATES["x.md.j2"] = x_extras.
EXTRA_TEMPLATES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}

TEMPLATE_NAMES = [
    "plan.md.j2",
    "party_request.md.j2",
    "party_reply.md.j2",
    "presidium_decision.md.j2",
    "presidium_minutes.md.j2",
    "notice.md.j2",
    "attendance_register.md.j2",
    "preparatory_agenda.md.j2",
    "preparatory_script.md.j2",
    "agenda.md.j2",
    "schedule.md.j2",
    "deliberation.md.j2",
    "election_measures.md.j2",
    "ballot.md.j2",
    "count_report.md.j2",
    "election_announcement.md.j2",
    "vote_results.md.j2",
    "plenary_script.md.j2",
    "resolution.md.j2",
    "announcement.md.j2",
    "communique.md.j2",
    "handover_letter.md.j2",
    "audit_report.md.j2",
]


def all_template_names() -> list[str]:
    """Every template with a sample context: the ones above and those registered in EXTRA_TEMPLATES."""
    return TEMPLATE_NAMES + [n for n in EXTRA_TEMPLATES if n not in TEMPLATE_NAMES]


def context_for(template_name: str) -> dict[str, Any]:
    """Common context plus the extras of one template."""
    ctx = sample_context()
    return {**ctx, **extras_for(template_name, ctx)}


# --- Follow-up templates (congress/followup; see docs/followup.md) ---------------------------------


def _followup_item(ctx: dict[str, Any], code: str, title: str, office: str, due: date, *, days_left: int = 0,
                   overdue: int = 0, round_: int = 1, proposers: tuple[int, ...] = (5, 9)) -> dict[str, Any]:
    return {"kind": "suggestion", "code": code, "title": title, "text": "建议将该路段纳入农村公路提升改造计划。",
            "category": "城乡建设", "source": "session", "proposers": [ctx["deputies"][i] for i in proposers],
            "office": office, "round": round_, "handed_over_on": date(2027, 1, 5), "due_date": due,
            "days_left": days_left, "overdue_days": overdue}


def _followup_township(ctx: dict[str, Any], sign_date: date, doc_number: str = "") -> dict[str, Any]:
    return {"doc_number": doc_number, "sign_date": sign_date, "signer": ctx["township"]["presidium_name"]}


def _reminder_letter(ctx: dict[str, Any]) -> dict[str, Any]:
    return {**_followup_township(ctx, date(2027, 4, 6), "青人督〔2027〕15号"), "office": "青山镇村镇建设办公室",
            "mode": "remind", "citation": "deputies-law-2025.md 第五十二条",
            "items": [_followup_item(ctx, "J001", "关于修缮溪口村至石门村村道的建议", "青山镇村镇建设办公室",
                                     date(2027, 4, 5), days_left=-1, overdue=1),
                      _followup_item(ctx, "J004", "关于推进青山老街雨污分流改造的建议", "青山镇村镇建设办公室",
                                     date(2027, 5, 6), days_left=30)]}


def _overdue_list(ctx: dict[str, Any]) -> dict[str, Any]:
    late = _followup_item(ctx, "J001", "关于修缮溪口村至石门村村道的建议", "青山镇村镇建设办公室",
                          date(2027, 4, 5), overdue=15)
    other = _followup_item(ctx, "J006", "关于增加农村居家养老服务站点的建议", "青山镇社会事务办公室",
                           date(2027, 4, 12), overdue=8)
    return {**_followup_township(ctx, date(2027, 4, 20), "青人督〔2027〕18号"), "escalation_days": 15,
            "citation": "deputies-law-2025.md 第五十二条", "escalated": [late], "overdue": [late, other]}


def _reply(ctx: dict[str, Any]) -> dict[str, Any]:
    item = _followup_item(ctx, "J001", "关于修缮溪口村至石门村村道的建议", "青山镇村镇建设办公室", date(2027, 4, 5))
    return {**_followup_township(ctx, date(2027, 3, 20)), "item": item,
            "reply": {"text": "该路段已列入2027年农村公路提升改造计划。\n预计6月底前完工。", "date": date(2027, 3, 20),
                      "on_time": True}}


def _handling_report(ctx: dict[str, Any]) -> dict[str, Any]:
    totals = {"total": 12, "handed_over": 12, "replied": 10, "on_time": 9, "rated": 9, "satisfied": 6,
              "basically": 2, "unsatisfied": 1, "rehandled": 1, "closed": 8, "open": 4, "session": 8, "interim": 4,
              "on_time_rate": "90.0%", "satisfaction_rate": "88.9%"}
    row = {"code": "J001", "title": "关于修缮溪口村至石门村村道的建议", "category": "城乡建设",
           "office": "青山镇村镇建设办公室", "source_cn": "大会期间", "due_date": date(2027, 4, 5),
           "replied_on": date(2027, 4, 9), "on_time": False, "rounds": 2, "rating_cn": "基本满意",
           "state_cn": "已办结"}
    open_row = {**row, "code": "J004", "replied_on": None, "rounds": 1, "rating_cn": "", "state_cn": "办理中"}
    return {**_followup_township(ctx, date(2027, 6, 20)),
            "source_session": {"key": "qingshan-18-3", "title": ctx["session"]["title"], "ordinal": 3,
                               "opening_date": date(2026, 12, 22), "closing_date": date(2026, 12, 23)},
            "next_session": {"key": "qingshan-18-4", "title": "青山镇第十八届人民代表大会第四次会议", "ordinal": 4,
                             "opening_date": date(2027, 6, 28), "closing_date": date(2027, 6, 29)},
            "citation": "deputies-law-2025.md 第五十一条",
            "figures": {"as_of": date(2027, 6, 20), "totals": totals,
                        "offices": [{"office": "青山镇村镇建设办公室", **totals}],
                        "categories": [{"category": "城乡建设", "count": 7}, {"category": "社会事业", "count": 5}],
                        "suggestions": [row, open_row], "open": [open_row], "late": [row],
                        "resolution_items": [{"code": "R001", "title": "完成老街雨污分流一期工程",
                                              "office": "青山镇村镇建设办公室", "resolution": "关于青山镇人民政府工作报告的决议",
                                              "due_date": date(2027, 6, 1), "replied_on": date(2027, 5, 28),
                                              "on_time": True, "text": "一期工程已完工。"}]}}


def _register(ctx: dict[str, Any]) -> dict[str, Any]:
    return {**_followup_township(ctx, date(2027, 6, 30)),
            "register": {"key": "petitions", "title": "来信来访登记簿", "start": date(2027, 1, 1),
                         "end": date(2027, 6, 30),
                         "columns": [{"title": "编号", "align": ":--:"}, {"title": "日期", "align": ":----:"},
                                     {"title": "事由", "align": ":--------"}],
                         "rows": [["X001", "2027年3月4日", "反映溪口村道路积水 | 要求修缮"]]}}


def _duty_record(ctx: dict[str, Any]) -> dict[str, Any]:
    return {**_followup_township(ctx, date(2027, 6, 30)),
            "record": {"deputy": ctx["deputies"][2], "start": date(2026, 7, 1), "end": date(2027, 6, 30),
                       "attendance": [{"session": ctx["session"]["title"], "date": date(2026, 12, 22),
                                       "status_cn": "缺席"}],
                       "suggestions": [{"code": "J004", "title": "关于推进青山老街雨污分流改造的建议",
                                        "office": "青山镇村镇建设办公室", "date": date(2026, 12, 23), "lead": True,
                                        "rating_cn": "满意", "state_cn": "已办结"}],
                       "activities": [{"date": date(2027, 3, 18), "kind_cn": "视察", "title": "农村公路建设情况",
                                       "place": "溪口村", "people": ["张卫东"]}],
                       "absences": {"count": 2, "sessions": [ctx["session"]["title"], "青山镇第十八届人民代表大会第二次会议"],
                                    "flagged": True, "limit": 2, "citation": "deputies-law-2025.md 第六十二条"}}}


def _meeting(ctx: dict[str, Any], kind: str) -> dict[str, Any]:
    base = {"code": "ZX2027-1", "date": date(2027, 3, 18), "start": "09:00", "end": "11:30",
            "place": "镇人大主席团办公室", "notice_date": date(2027, 3, 11), "held": True,
            "people": ctx["presidium"] or ctx["deputies"][:5]}
    if kind == "presidium":
        return {**_followup_township(ctx, date(2027, 3, 11)), "citation": "zhejiang-township-congress-2016.md 第二十四条",
                "meeting": {**base, "kind": "presidium", "kind_cn": "主席团会议", "title": "主席团会议",
                            "topics": ["听取代表建议办理情况汇报", "研究第二季度代表活动安排"],
                            "decisions": ["对逾期未答复的建议开展重点督办"], "recorder": "徐静"}}
    return {**_followup_township(ctx, date(2027, 3, 11)), "citation": "zhejiang-township-congress-2016.md 第二十四条",
            "meeting": {**base, "kind": "inspection", "kind_cn": "视察", "title": "农村公路建设情况",
                        "subject_office": "青山镇村镇建设办公室", "topics": ["农村公路建设情况"],
                        "findings": ["全镇今年计划改造农村公路12公里，已完成5公里。"],
                        "opinions": ["加快溪口村至石门村路段施工进度。"]}}


def _interim_handover(ctx: dict[str, Any]) -> dict[str, Any]:
    extras = extras_for("handover_letter.md.j2", ctx)
    return {**extras, "doc_number": "青人交〔2027〕2号"}


EXTRA_TEMPLATES.update({
    "reminder_letter.md.j2": _reminder_letter,
    "overdue_list.md.j2": _overdue_list,
    "reply_letter.md.j2": _reply,
    "satisfaction_form.md.j2": _reply,
    "interim_handover_letter.md.j2": _interim_handover,
    "handling_report.md.j2": _handling_report,
    "register_table.md.j2": _register,
    "duty_record.md.j2": _duty_record,
    "presidium_meeting_notice.md.j2": lambda ctx: _meeting(ctx, "presidium"),
    "presidium_meeting_record.md.j2": lambda ctx: _meeting(ctx, "presidium"),
    "supervision_notice.md.j2": lambda ctx: _meeting(ctx, "supervision"),
    "supervision_record.md.j2": lambda ctx: _meeting(ctx, "supervision"),
})


# --- The first session of a term and the nominations (W2-A, docs/rules.md) -------------------------


def _first_term(ctx: dict[str, Any]) -> dict[str, Any]:
    by_code = {d["code"]: d for d in ctx["deputies"]}
    return {"election_date": date(2026, 11, 18), "election_committee": "青山镇选举委员会",
            "credentials_report": {"date": date(2026, 11, 25), "by": "青山镇第十八届人民代表大会代表资格审查委员会"},
            "confirmed_on": date(2026, 12, 2), "deputy_quota": 10, "population": 12000, "due": date(2027, 1, 18),
            "committee_citation": "local-organic-law-2022.md 第三十七条",
            "credentials_committee": {"chair": [by_code["QS001"]], "vice_chairs": [by_code["QS007"]],
                                      "members": [by_code["QS002"], by_code["QS004"], by_code["QS010"]]}}


EXTRA_TEMPLATES.update({
    "credentials_report.md.j2": lambda ctx: {"first_term": _first_term(ctx), "sign_date": date(2026, 11, 25)},
    "deputy_list.md.j2": lambda ctx: {"first_term": _first_term(ctx), "sign_date": date(2026, 12, 2)},
    "credentials_committee.md.j2": lambda ctx: {"first_term": _first_term(ctx), "sign_date": date(2026, 12, 22)},
    "candidate_list.md.j2": lambda ctx: {"election": ctx["elections"][0], "sign_date": date(2026, 12, 22)},
    "joint_nomination.md.j2": lambda ctx: {"election": ctx["elections"][0],
                                           "nomination": ctx["elections"][0]["joint_nominations"][0],
                                           "sign_date": date(2026, 12, 22)},
})


# --- The motions, the draft resolutions' 请示, ballots, the oath, the report up (W3-H3, papers.py) ---------


def _motions(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    d = ctx["deputies"]
    return [{"number": 1, "title": "关于加快集镇污水管网改造的议案", "lead": d[4], "sponsors": d[4:9], "count": 5,
             "handling": "refer", "office": "青山镇人民政府", "vote_key": None},
            {"number": 2, "title": "关于制定村级公益事业建设规划的议案", "lead": d[0], "sponsors": d[0:5], "count": 5,
             "handling": "agenda", "office": "", "vote_key": "motion-2"}]


def _sworn(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "陈晓梅", "office_title": "青山镇人民代表大会副主席", "kind_cn": "补选", "votes": 7, "gender": "女",
             "born": "1982-05", "title": "青山镇党政综合办公室主任", "elected_on": date(2026, 12, 23), "total": 10}]


EXTRA_TEMPLATES.update({
    "motion_register.md.j2": lambda ctx: {"motions": _motions(ctx), "sign_date": date(2026, 12, 22)},
    "motion_handling_report.md.j2": lambda ctx: {"motions": _motions(ctx), "sign_date": date(2026, 12, 22)},
    "resolutions_request.md.j2": lambda ctx: {
        "doc_number": "青人〔2026〕4号", "issuer": "王建华", "letterhead": True, "sign_date": date(2026, 12, 22),
        "contact": {"name": "林晓红", "phone": "0570-8612345"},
        "drafts": [f"{r['resolution']}（草案）" for r in ctx["reports"] if r["resolution"]]},
    "vote_ballot.md.j2": lambda ctx: {"sign_date": date(2026, 12, 23), "items": [
        {"key": f"resolution-{r['key']}", "subject": f"{r['resolution']}（草案）"} for r in ctx["reports"]
        if r["resolution"]]},
    "oath.md.j2": lambda ctx: {"sworn": _sworn(ctx), "sign_date": date(2026, 12, 23)},
    "suggestion_register.md.j2": lambda ctx: {"sign_date": date(2026, 12, 23), "suggestions": [
        {"code": "J001", "title": "关于修缮上坪村至桐坞村村道的建议", "category": "城乡建设", "office": "镇村建办",
         "complex": False, "proposers": ctx["deputies"][1:3]}]},
    "election_report.md.j2": lambda ctx: {
        "doc_number": "青人〔2026〕5号", "issuer": "王建华", "letterhead": False, "sign_date": date(2026, 12, 23),
        "contact": None, "results": [
            {"title": "青山镇人民代表大会副主席", "kind_cn": "补选", "seats": 1, "status": "decided",
             "elected_on": date(2026, 12, 23), "ballots_issued": 9, "ballots_returned": 9,
             "elected": [{"name": "陈晓梅", "votes": 7, "gender": "女", "born": "1982-05",
                          "title": "青山镇党政综合办公室主任"}]}]},
})


# --- The presidium's documents and the deputies' lists (W3-H2, congress/lifecycle/presidium_documents.py) ----


def _presidium_members(ctx: dict[str, Any]) -> dict[str, Any]:
    from congress.strokes import stroke_key

    return {"members": sorted(ctx["presidium"], key=lambda d: stroke_key(d["name"])), "presiding": ctx["presidium"][0],
            "sign_date": date(2026, 12, 22)}


EXTRA_TEMPLATES.update({
    "attendee_list.md.j2": lambda ctx: {"sign_date": date(2026, 12, 4)},
    "deputy_guide.md.j2": lambda ctx: {"sign_date": date(2026, 12, 18), "guide": {
        "quorum_citation": "local-organic-law-2022.md 第十四条", "majority_citation": "local-organic-law-2022.md 第二十五条",
        "motion_sponsors": 5, "motion_citation": "local-organic-law-2022.md 第二十二条", "inquiry_sponsors": 10,
        "inquiry_citation": "local-organic-law-2022.md 第二十四条",
        "absence_citation": "deputies-law-2025.md 第六十二条"}},
    "candidate_profile.md.j2": lambda ctx: {"election": ctx["elections"][0], "sign_date": date(2026, 12, 18)},
    "deputy_roster.md.j2": lambda ctx: {"sign_date": date(2026, 12, 21)},
    "sign_in_sheet.md.j2": lambda ctx: {"sitting": ctx["schedule"][1], "sign_date": date(2026, 12, 22)},
    "presidium_list.md.j2": _presidium_members,
    "secretary_general_list.md.j2": _presidium_members,
    "presidium_first_meeting.md.j2": _presidium_members,
    "presidium_second_meeting.md.j2": _presidium_members,
})
