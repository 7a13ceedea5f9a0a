"""A year of a township's life, with a clock moved day by day (core functions, SQLite and PostgreSQL).

Two sessions, forty suggestions (8 at the first session, 12 between sessions, 20 at the second),
two resolution items, replies on time and late, one re-handling after an unsatisfied rating, a week
when the sweeper did not run and a day it ran twice. Checked against expectations computed here,
independently of congress.followup: every deadline per profile, every reminder exactly once (or
recorded as superseded when the deadline passed during the downtime), and the report's figures.
"""

from __future__ import annotations

import calendar
import csv
import io
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from docx import Document
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from congress.followup import operations as fo
from congress.followup import reports, sweeper
from congress.inputs import load_attendance, load_session_file
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import next_step, run_step
from congress.models import HandlingRound, Reminder
from congress.settings import Settings
from tests.conftest import SAMPLE
from tests.test_lifecycle import KEY, give_all_inputs

START, END = date(2027, 1, 1), date(2027, 12, 31)
DOWNTIME = {date(2027, 3, 29) + timedelta(days=i) for i in range(7)}  # the sweeper did not run this week
TWICE = date(2027, 5, 10)
LEADS = (30, 7, 1)  # national profile: P30D, P7D, P1D
ESCALATION_DAYS = 15


def months_later(day: date, months: int) -> date:
    """民法典 第二百零二条, written out again here: same day number, or the month's last day."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Plan:
    code: str
    session: str  # "s1" | "interim" | "s2"
    complex_case: bool
    raised_on: date
    handover: date
    pattern: int  # 0 on time/满意, 1 just on time/基本满意, 2 late/满意, 3 very late (escalated), 4 no reply


def second_session_file(tmp: Path) -> Path:
    folder = tmp / "s2"
    shutil.copytree(SAMPLE, folder)
    data = yaml.safe_load((SAMPLE / "session.yaml").read_text(encoding="utf-8"))
    s = data["session"]
    s.update(ordinal=4, plan_date=date(2027, 6, 1), notice_date=date(2027, 6, 10), materials_date=date(2027, 6, 20),
             opening_date=date(2027, 6, 22), closing_date=date(2027, 6, 23))
    s["presidium_meeting"]["date"] = date(2027, 6, 4)
    s["checkin"]["date"] = date(2027, 6, 21)
    for meeting in (s.get("presidium_meetings") or {}).values():  # the presidium meets during the session
        meeting["date"] = date(2027, 6, 22)
    for sitting in s["schedule"]:
        sitting["date"] = date(2027, 6, 22) if sitting["date"] == date(2026, 12, 22) else date(2027, 6, 23)
    data["suggestions"], data["elections"], data["motions"] = [], [], []
    data["followup"] = {"handover_date": date(2027, 7, 1)}
    (folder / "session.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    return folder / "session.yaml"


def plans() -> list[Plan]:
    out = []
    for i in range(8):  # the sample's J001–J008, handed over by the session's follow-up step
        out.append(Plan(f"J{i + 1:03d}", "s1", i in (1, 3), date(2026, 12, 23), date(2027, 1, 5), i % 5))
    for i in range(12):  # between sessions
        raised, handover = ((date(2026, 12, 28), date(2027, 1, 1)) if i < 2 else
                            (date(2027, 2, 10), date(2027, 2, 20)) if i < 7 else (date(2027, 4, 20), date(2027, 5, 6)))
        out.append(Plan(f"B{i + 1:03d}", "interim", i == 5, raised, handover, (i + 2) % 5))
    for i in range(20):  # at the second session
        out.append(Plan(f"K{i + 1:03d}", "s2", i % 7 == 0, date(2027, 6, 22), date(2027, 7, 1), i % 5))
    return out


def expected_due(p: Plan) -> date:
    return months_later(p.handover, 6 if p.complex_case else 3)  # zhejiang inherits DL 第五十一条: 3 / 6 months


@pytest.fixture(scope="module")
def year(engine: Engine, sample_spec, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Run the year once per backend (rolled back at the end); return what happened for the checks."""
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    tmp_path = tmp_path_factory.mktemp("year")
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), output_dir=tmp_path / "out")
    try:
        yield _run_year(db, sample_spec, settings, tmp_path)
    finally:
        db.close()
        transaction.rollback()
        connection.close()


def _run_year(db: Session, sample_spec, settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    s1, _ = ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
    give_all_inputs(db, s1)
    while (step := next_step(db, KEY)) is not None:
        assert run_step(db, KEY, step, actor="test", settings=settings).status == "done"
    township = s1.term.township
    s2, _ = ops.load_session(db, spec=load_session_file(second_session_file(tmp_path)), actor="test",
                             output_root=settings.output_dir)
    roster = {d.code: d.name for d in ops.active_deputies(db, s2)}
    attendance = tmp_path / "attendance-s2.csv"
    attendance.write_text("代表编号,出席情况,请假批准\n" + "".join(
        f"{c},{'缺席' if c == 'QS042' else '出席'},\n" for c in roster), encoding="utf-8")
    ops.record_attendance(db, s2, load_attendance(attendance, roster), actor="staff", source=str(attendance))

    all_plans = plans()
    by_code = {p.code: p for p in all_plans}
    codes = list(roster)
    s2_csv = io.StringIO()
    writer = csv.writer(s2_csv)
    writer.writerow(["编号", "标题", "提出代表", "类别", "承办单位", "难度较大", "内容", "提出日期"])
    offices = ["镇村建办", "镇农业农村办", "镇社会事务办", "镇财政所"]
    categories = ["城乡建设", "农业农村", "社会事业", "财政经济"]
    for i, p in enumerate(x for x in all_plans if x.session == "s2"):
        writer.writerow([p.code, f"关于第{i + 1}项民生实事的建议", f"{codes[i]}、{codes[i + 20]}", categories[i % 4],
                         offices[i % 4], "是" if p.complex_case else "否", "建议内容。", p.raised_on.isoformat()])
    (tmp_path / "s2-suggestions.csv").write_text(s2_csv.getvalue(), encoding="gbk")

    events: dict[date, list[tuple[str, str, object]]] = {}

    def at(day: date, *event: object) -> None:
        if day <= END:
            events.setdefault(day, []).append(event)  # type: ignore[arg-type]

    for p in all_plans:
        if p.session == "interim":
            at(p.raised_on if p.raised_on >= START else START, "enter", p.code)
        if p.session != "s1":
            at(p.handover, "handover", p.code)
        due = expected_due(p)
        reply = {0: due - timedelta(days=10), 1: due - timedelta(days=2), 2: due + timedelta(days=3),
                 3: due + timedelta(days=20), 4: None}[p.pattern]
        if reply is not None:
            at(reply, "reply", p.code)
            rating = "不满意" if p.code == "J004" else {0: "满意", 1: "基本满意", 2: "满意", 3: "基本满意"}[p.pattern]
            at(reply + timedelta(days=5), "rate", p.code, rating)
    at(date(2027, 6, 22), "import", "s2")
    at(date(2027, 1, 10), "item", "R001", date(2027, 3, 31))
    at(date(2027, 1, 10), "item", "R002", date(2027, 6, 30))
    at(date(2027, 3, 20), "reply", "R001")

    swept: list[date] = []
    replied: dict[tuple[str, int], date] = {}
    day = START
    while day <= END:
        if day not in DOWNTIME:
            for _ in range(2 if day == TWICE else 1):
                sweeper.sweep_township(db, township=township, today=day, actor="sweeper", settings=settings)
            swept.append(day)
        for event in events.get(day, []):
            kind, code = event[0], str(event[1])
            if kind == "enter":
                p = by_code[code]
                fo.enter_suggestion(db, township=township, code=code, title=f"闭会期间建议{code}", text="内容。",
                                    proposers=["QS010"], category="社会事业", office="镇社会事务办",
                                    complex_case=p.complex_case, raised_on=p.raised_on, actor="staff")
            elif kind == "handover":
                fo.hand_over(db, township=township, on=day, actor="presidium", settings=settings, codes=[code])
            elif kind == "import":
                fo.import_suggestions(db, township=township, path=tmp_path / "s2-suggestions.csv", actor="staff")
            elif kind == "item":
                fo.add_resolution_item(db, session_key=KEY, resolution_key="government-work", code=code,
                                       title=f"决议落实事项{code}", text="", office="镇村建办", handed_over_on=day,
                                       due_on=event[2], actor="presidium", settings=settings)  # type: ignore[arg-type]
            elif kind == "reply":
                rnd = fo.record_reply(db, township=township, code=code, replied_on=day, text="已办理。", actor="office",
                                      settings=settings)
                replied[(code, rnd.number)] = day
            elif kind == "rate":
                rated = fo.record_rating(db, township=township, code=code, rating=str(event[2]), rated_on=day,
                                         actor="deputy", settings=settings)
                if event[2] == "不满意":  # handled again: reply 5 days before the new deadline, then 基本满意
                    new_due = months_later(day, 1)
                    assert fo.rounds_of(db, fo.find_item(db, township, code))[-1].due_on == new_due
                    at(new_due - timedelta(days=5), "reply", code)
                    at(new_due, "rate", code, "基本满意")
                    assert rated.number == 1
        day += timedelta(days=1)
    db.flush()
    return {"db": db, "township": township, "s1": s1, "s2": s2, "plans": all_plans, "swept": swept,
            "replied": replied, "settings": settings}


def _rounds(db: Session, township) -> list[tuple[str, HandlingRound]]:  # type: ignore[no-untyped-def]
    rounds = db.scalars(select(HandlingRound).where(HandlingRound.township_id == township.id)
                        .order_by(HandlingRound.id)).all()
    return [(fo.item_of(db, r).code, r) for r in rounds]


def test_forty_suggestions_two_sessions_and_every_deadline_per_profile(year) -> None:  # type: ignore[no-untyped-def]
    db, township = year["db"], year["township"]
    suggestions = fo.township_suggestions(db, township)
    # 40 planned, and the sample's motion the presidium referred to the government as a suggestion (YA001)
    assert len(suggestions) == 41
    assert Counter(s.source for s in suggestions) == {"session": 29, "interim": 12}
    assert {s.session_id for s in suggestions} == {year["s1"].id, year["s2"].id}
    by_code = {p.code: p for p in year["plans"]}
    firsts = {code: r for code, r in _rounds(db, township) if r.number == 1}
    for code, p in by_code.items():
        assert firsts[code].handed_over_on == p.handover, code
        assert firsts[code].due_on == expected_due(p), code
    items = {code: r for code, r in _rounds(db, township) if code.startswith("R")}
    assert items["R001"].due_on == date(2027, 3, 31) and items["R002"].due_on == date(2027, 6, 30)


def test_every_reminder_sent_exactly_once_with_catch_up_after_downtime(year) -> None:  # type: ignore[no-untyped-def]
    db, township, swept, replied = year["db"], year["township"], year["swept"], year["replied"]
    expected: dict[tuple[int, str, str], tuple[str, date | None]] = {}
    for code, rnd in _rounds(db, township):
        reply = replied.get((code, rnd.number))
        planned = [("before_due", f"P{n}D", rnd.due_on - timedelta(days=n)) for n in LEADS
                   if rnd.due_on - timedelta(days=n) > rnd.handed_over_on]
        planned += [("overdue", "", rnd.due_on + timedelta(days=1)),
                    ("escalation", "", rnd.due_on + timedelta(days=ESCALATION_DAYS))]
        for kind, lead, scheduled in planned:
            # sweeps run in the morning, replies are recorded during the day
            runs = [d for d in swept if d >= scheduled and (reply is None or d <= reply) and d >= rnd.handed_over_on]
            if not runs:
                continue
            first = runs[0]
            status = "superseded" if kind == "before_due" and first > rnd.due_on else "sent"
            expected[(rnd.id, kind, lead)] = (status, first if status == "sent" else None)
    ledger = db.scalars(select(Reminder)).all()
    actual = {(r.round_id, r.kind, r.lead): (r.status, r.sent_on) for r in ledger}
    assert len(ledger) == len(actual), "a reminder was recorded twice"
    assert actual == expected
    # the week of downtime: reminders due then went out on the first morning back, the missed
    # before-due reminders of deadlines that passed meanwhile are superseded by the overdue notice
    caught_up = [r for r in ledger if r.scheduled_on in DOWNTIME]
    assert caught_up and {r.sent_on for r in caught_up if r.status == "sent"} == {date(2027, 4, 5)}
    assert any(r.status == "superseded" for r in caught_up)
    assert all(r.document_path for r in ledger if r.status == "sent")
    assert sum(1 for r in ledger if r.sent_on == TWICE) == sum(1 for k, v in expected.items() if v[1] == TWICE)


def test_escalation_and_rehandling(year) -> None:  # type: ignore[no-untyped-def]
    db, township = year["db"], year["township"]
    rounds = _rounds(db, township)
    j004 = [r for code, r in rounds if code == "J004"]
    assert [r.number for r in j004] == [1, 2]
    assert j004[0].rating == "unsatisfied" and j004[1].rating == "basically"
    assert fo.find_item(db, township, "J004").state == "closed"
    escalated = [code for code, r in rounds if r.escalated_on]
    by_code = {p.code: p for p in year["plans"]}
    assert escalated and all(by_code[c].pattern in (3, 4) for c in escalated if c in by_code)
    overdue = sweeper.overdue_rounds(db, township, today=END)
    assert {r["code"] for r in overdue} == {code for code, r in rounds if r.state == "open" and r.due_on < END}


def test_handling_report_figures_match_the_data(year) -> None:  # type: ignore[no-untyped-def]
    db, settings = year["db"], year["settings"]
    as_of = date(2027, 6, 20)
    doc, figures = reports.handling_report(db, session_key=KEY, as_of=as_of, actor="test", settings=settings)
    # independently: the session's 8 and the 12 raised between sessions, from the plan
    mine = [p for p in year["plans"] if p.session in ("s1", "interim")]
    replies = {code: day for (code, n), day in year["replied"].items() if n == 1}
    replied = [p for p in mine if p.code in replies and replies[p.code] <= as_of]
    on_time = [p for p in replied if replies[p.code] <= expected_due(p)]
    rated = [p for p in replied if p.pattern != 4 and replies[p.code] + timedelta(days=5) <= as_of]
    ratings = Counter("unsatisfied" if p.code == "J004" else {0: "satisfied", 1: "basically", 2: "satisfied",
                                                              3: "basically"}[p.pattern] for p in rated)
    t = figures["totals"]
    assert (t["total"], t["session"], t["interim"]) == (21, 9, 12)  # with the referred motion YA001
    assert t["replied"] == len(replied) and t["on_time"] == len(on_time)
    assert (t["satisfied"], t["basically"], t["unsatisfied"]) == (ratings["satisfied"], ratings["basically"],
                                                                  ratings["unsatisfied"])
    assert t["on_time_rate"] == f"{len(on_time) * 100 / len(replied):.1f}%"
    assert t["satisfaction_rate"] == f"{(ratings['satisfied'] + ratings['basically']) * 100 / len(rated):.1f}%"
    assert t["open"] == 21 - (len(rated) - ratings["unsatisfied"])
    assert sum(o["total"] for o in figures["offices"]) == 21
    db.commit()  # the report's file is written once its registration commits
    text = "\n".join(p.text for p in Document(str(Path(settings.output_dir) / "qingshan" / doc.path)).paragraphs)
    assert f"按期答复{t['on_time']}件，按期答复率{t['on_time_rate']}" in text
    assert f"满意率（含基本满意）{t['satisfaction_rate']}" in text
    assert "第十八届人民代表大会第四次会议" in text  # reported to the next session


def test_two_absences_without_leave_are_flagged(year) -> None:  # type: ignore[no-untyped-def]
    db, township, settings = year["db"], year["township"], year["settings"]
    assert set(reports.flagged_absences(db, township)) == {"QS042"}
    record = reports.duty_record(db, township, "QS042", start=date(2026, 7, 1), end=END)
    assert record["absences"]["flagged"] and record["absences"]["citation"] == "deputies-law-2025.md 第六十二条"
    docs = reports.write_duty_records(db, township=township, start=date(2026, 7, 1), end=END, actor="test",
                                      settings=settings, codes=["QS042", "QS010"])
    db.commit()  # the files are written once their registration commits
    text = "\n".join(p.text for p in Document(str(Path(settings.output_dir) / "qingshan" / docs[0].path)).paragraphs)
    assert "未经批准2次不出席" in text and "代表资格终止" in text
    assert db.scalar(select(func.count()).select_from(Reminder)) > 0
