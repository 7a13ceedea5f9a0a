"""Follow-up core (fast tier, SQLite and PostgreSQL): deadlines per profile, entry and import with
file/line errors and no partial write, replies and ratings, registers, meetings, the presidium
meeting interval, and the reminder plan."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import icalendar
import pytest
import vobject
import yaml
from docx import Document
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress.errors import InputError
from congress.followup import meetings, records, registers, reports, schedule, sweeper
from congress.followup import operations as fo
from congress.followup.common import FollowupError, TownshipOutputs
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.models import FollowupDocument, HandlingRound, Suggestion
from congress.profiles import load_profile
from congress.settings import Settings
from tests.conftest import SAMPLE
from tests.test_followup_year import months_later

REPO = Path(__file__).resolve().parents[1]


def load_with_profile(db: Session, settings: Settings, tmp: Path, profile: str):  # type: ignore[no-untyped-def]
    folder = tmp / profile
    shutil.copytree(SAMPLE, folder)
    text = (SAMPLE / "session.yaml").read_text(encoding="utf-8").replace("profile: zhejiang", f"profile: {profile}")
    (folder / "session.yaml").write_text(text, encoding="utf-8")
    session, _ = ops.load_session(db, spec=load_session_file(folder / "session.yaml"), actor="test",
                                  output_root=settings.output_dir)
    return session


@pytest.mark.parametrize(("profile", "normal", "complex_", "counted_from"), [
    ("national", 3, 6, "handover"), ("zhejiang", 3, 6, "handover"), ("chongqing", 2, 4, "handover"),
    ("shandong", 2, 4, "closing"),
])
def test_handover_deadlines_per_profile(db, settings, tmp_path, profile, normal, complex_, counted_from) -> None:  # type: ignore[no-untyped-def]
    session = load_with_profile(db, settings, tmp_path, profile)
    township = session.term.township
    on = date(2027, 1, 5)
    rounds = fo.hand_over(db, township=township, on=on, actor="presidium", settings=settings)
    assert len(rounds) == 8
    start = on if counted_from == "handover" else session.closing_date
    for rnd in rounds:
        sg = db.get(Suggestion, rnd.suggestion_id)
        assert rnd.due_on == months_later(start, complex_ if sg.complex else normal), sg.code
        assert sg.state == "handed_over" and sg.due_on == rnd.due_on
        assert "2027年的节假日安排尚未收录" in rnd.due_note  # 2027 holidays unknown: reported, not guessed
    letters = db.scalars(select(FollowupDocument).where(FollowupDocument.kind == "handover_letter")).all()
    assert len(letters) == 4  # one per office
    with pytest.raises(FollowupError, match="没有待交办"):
        fo.hand_over(db, township=township, on=on, actor="presidium", settings=settings)


def test_deadline_moves_past_a_holiday(db, settings, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    township = session.term.township
    fo.enter_suggestion(db, township=township, code="B001", title="关于增设路灯的建议", text="……", proposers=["QS010"],
                        category="城乡建设", office="镇村建办", complex_case=False, raised_on=date(2026, 12, 24),
                        actor="staff")
    # a known year: 1 July 2026 + 3 months = 1 October, 国庆节 → the first working day after it
    from congress import rules
    from congress.holidays import is_rest_day

    due = rules.suggestion_reply_due(load_profile("zhejiang"), handover=date(2026, 7, 1), closing=date(2026, 6, 30),
                                     complex_case=False, is_rest_day=is_rest_day)
    import chinese_calendar

    first_workday = date(2026, 10, 1)
    while not chinese_calendar.is_workday(first_workday):
        first_workday = date.fromordinal(first_workday.toordinal() + 1)
    assert due.last_day == date(2026, 10, 1) and due.due == first_workday > date(2026, 10, 1) and due.extended
    rnd = fo.hand_over(db, township=township, on=date(2026, 12, 25), actor="p", settings=settings, codes=["B001"])[0]
    assert rnd.due_on == date(2027, 3, 25)


def test_interim_suggestion_goes_to_the_last_session_and_needs_one(db, settings, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    township = session.term.township
    sg = fo.enter_suggestion(db, township=township, code="B001", title="t", text="x", proposers=["QS010", "QS011"],
                             category="", office="镇村建办", complex_case=False, raised_on=date(2027, 2, 1),
                             actor="staff")
    assert (sg.session_id, sg.source) == (session.id, "interim")
    with pytest.raises(FollowupError, match="之前没有举行过"):
        fo.enter_suggestion(db, township=township, code="B002", title="t", text="x", proposers=["QS010"],
                            category="", office="o", complex_case=False, raised_on=date(2026, 1, 1), actor="staff")
    with pytest.raises(FollowupError, match="已被使用"):
        fo.enter_suggestion(db, township=township, code="J001", title="t", text="x", proposers=["QS010"],
                            category="", office="o", complex_case=False, raised_on=date(2027, 2, 1), actor="staff")
    with pytest.raises(FollowupError, match="QS999"):
        fo.enter_suggestion(db, township=township, code="B003", title="t", text="x", proposers=["QS999"],
                            category="", office="o", complex_case=False, raised_on=date(2027, 2, 1), actor="staff")


def test_import_rejects_the_whole_gbk_file_with_lines(db, load_sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    path = tmp_path / "建议.csv"
    path.write_text("编号,标题,提出代表,类别,承办单位,内容,提出日期\n"
                    "B001,关于修路的建议,QS010、QS011,城乡建设,镇村建办,内容,2027-02-01\n"
                    "B002,关于路灯的建议,QS999,城乡建设,镇村建办,内容,2027-02-01\n"
                    "B001,重复,QS010,城乡建设,镇村建办,内容,2027-02-30\n"
                    "J001,已有编号,QS010,城乡建设,镇村建办,内容,2027-02-01\n", encoding="gbk")
    before = db.scalar(select(func.count()).select_from(Suggestion))
    with pytest.raises(InputError) as info:
        fo.import_suggestions(db, township=township, path=path, actor="staff")
    text = str(info.value)
    assert "建议.csv第3行：代表编号“QS999”不在代表名册中" in text
    assert "第4行" in text and "2027-02-30" in text and "“B001”重复" in text
    assert db.scalar(select(func.count()).select_from(Suggestion)) == before
    path.write_text("编号,标题,提出代表,类别,承办单位,内容,提出日期\n"
                    "J001,已有编号,QS010,城乡建设,镇村建办,内容,2027-02-01\n", encoding="utf-8")
    with pytest.raises(InputError, match="第2行：编号“J001”已被使用"):
        fo.import_suggestions(db, township=township, path=path, actor="staff")


def test_reply_rating_and_their_checks(db, settings, load_sample) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    with pytest.raises(FollowupError, match="尚未交办"):
        fo.record_reply(db, township=township, code="J001", replied_on=date(2027, 2, 1), text="x", actor="o",
                        settings=settings)
    fo.hand_over(db, township=township, on=date(2027, 1, 5), actor="p", settings=settings)
    with pytest.raises(FollowupError, match="尚未答复"):
        fo.record_rating(db, township=township, code="J001", rating="满意", rated_on=date(2027, 2, 1), actor="d",
                         settings=settings)
    rnd = fo.record_reply(db, township=township, code="J001", replied_on=date(2027, 2, 1), text="已列入计划。",
                          actor="office", settings=settings)
    assert rnd.state == "replied"
    with pytest.raises(FollowupError, match="应为 满意、基本满意 或 不满意"):
        fo.record_rating(db, township=township, code="J001", rating="还行", rated_on=date(2027, 2, 3), actor="d",
                         settings=settings)
    with pytest.raises(FollowupError, match="早于答复日期"):
        fo.record_rating(db, township=township, code="J001", rating="满意", rated_on=date(2027, 1, 31), actor="d",
                         settings=settings)
    fo.record_rating(db, township=township, code="J001", rating="不满意", rated_on=date(2027, 2, 3), actor="d",
                     settings=settings)
    rounds = fo.rounds_of(db, fo.find_item(db, township, "J001"))
    assert [r.number for r in rounds] == [1, 2] and rounds[1].due_on == date(2027, 3, 3)
    fo.record_reply(db, township=township, code="J001", replied_on=date(2027, 2, 20), text="重新办理。", actor="o",
                    settings=settings)
    fo.record_rating(db, township=township, code="J001", rating="不满意", rated_on=date(2027, 2, 21), actor="d",
                     settings=settings)
    # the profile allows one re-handling; the second 不满意 closes it
    assert len(fo.rounds_of(db, fo.find_item(db, township, "J001"))) == 2
    assert fo.find_item(db, township, "J001").state == "closed"
    paths = set(db.scalars(select(FollowupDocument.path)))
    assert {"答复/J001-第1次答复函.docx", "答复/J001-第1次满意度测评表.docx", "答复/J001-第2次答复函.docx"} <= paths
    assert any(p.startswith("催办/2027-02-03/重新办理通知-J001") for p in paths)


def test_reminder_plan_skips_leads_before_the_handover() -> None:
    profile = load_profile("national")
    plan = schedule.reminder_plan(profile, handed_over_on=date(2027, 3, 1), due_on=date(2027, 4, 1))
    assert [(p.kind, p.lead, p.scheduled_on) for p in plan] == [
        ("before_due", "P30D", date(2027, 3, 2)), ("before_due", "P7D", date(2027, 3, 25)),
        ("before_due", "P1D", date(2027, 3, 31)), ("overdue", "", date(2027, 4, 2)),
        ("escalation", "", date(2027, 4, 16))]
    short = schedule.reminder_plan(profile, handed_over_on=date(2027, 3, 20), due_on=date(2027, 4, 1))
    assert [p.lead for p in short if p.kind == "before_due"] == ["P7D", "P1D"]


def test_sweep_twice_in_a_day_and_presidium_interval(db, settings, load_sample) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    fo.hand_over(db, township=township, on=date(2027, 1, 5), actor="p", settings=settings)
    first = sweeper.sweep_township(db, township=township, today=date(2027, 3, 29), actor="s", settings=settings)
    again = sweeper.sweep_township(db, township=township, today=date(2027, 3, 29), actor="s", settings=settings)
    # first sweep after the handover: P30D (3-6) and P7D (3-29) of the six 3-month suggestions, caught up
    assert first.sent == 12 and again.sent == 0
    assert first.presidium_meeting_due == date(2027, 3, 23) and first.presidium_meeting_overdue
    meeting = meetings.save_meeting(db, township=township, kind="presidium", values={
        "code": "ZX1", "held_on": date(2027, 3, 30), "start": "09:00", "end": "11:00", "place": "主席团办公室",
        "notice_on": date(2027, 3, 25), "topics": ["听取代表建议办理情况汇报"], "people": ["QS001", "QS002"],
        "held": {"attendees": ["QS001", "QS002"], "items": ["对逾期建议重点督办"], "opinions": [], "recorder": "徐静"}},
        actor="staff")
    assert meeting.state == "held"
    later = sweeper.sweep_township(db, township=township, today=date(2027, 3, 31), actor="s", settings=settings)
    assert later.presidium_meeting_due == date(2027, 6, 30) and not later.presidium_meeting_overdue


def test_meeting_file_notice_calendar_record_and_errors(db, settings, load_sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    path = tmp_path / "视察.yaml"
    data = {"code": "SC1", "kind": "inspection", "title": "农村公路建设情况", "subject_office": "镇村建办",
            "date": "2027-03-18", "start": "09:00", "end": "11:30", "place": "溪口村", "notice_date": "2027-03-11",
            "participants": ["QS001", "QS010", "QS999"]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match=r"视察.yaml第\d+行（participants.2）：代表编号“QS999”不在代表名册中"):
        meetings.import_meeting(db, township=township, kind="supervision", path=path, actor="staff")
    data["participants"] = ["QS001", "QS010"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    meetings.import_meeting(db, township=township, kind="supervision", path=path, actor="staff")
    written = meetings.meeting_documents(db, township=township, kind="supervision", code="SC1", actor="staff",
                                         settings=settings)
    assert [w["kind"] for w in written] == ["supervision_notice", "supervision_calendar"]
    db.commit()  # files are written once their registration commits
    ics = (Path(settings.output_dir) / "qingshan" / written[1]["path"]).read_bytes()
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["summary"]) == "农村公路建设情况" and str(event["dtstart"].dt) == "2027-03-18 09:00:00+08:00"
    second = vobject.readOne(ics.decode())  # a second, independent reader
    assert len(second.vevent.attendee_list) == 2
    data["held"] = {"findings": ["已完成5公里。"], "opinions": ["加快施工进度。"]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    meetings.import_meeting(db, township=township, kind="supervision", path=path, actor="staff")
    written = meetings.meeting_documents(db, township=township, kind="supervision", code="SC1", actor="staff",
                                         settings=settings)
    db.commit()
    record = Path(settings.output_dir) / "qingshan" / written[-1]["path"]
    text = "\n".join(p.text for p in Document(str(record)).paragraphs)
    assert "加快施工进度" in text and "代表提出的意见和建议" in text


def test_registers_from_the_database(db, settings, load_sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    fo.hand_over(db, township=township, on=date(2027, 1, 5), actor="p", settings=settings)
    records.add_petition(db, township=township, code="X1", received_on=date(2027, 3, 4), channel="来访",
                         person="张某", subject="反映溪口村道路积水", actor="staff")
    csv_path = tmp_path / "培训.csv"
    csv_path.write_text("编号,日期,名称,主办单位,地点,学时,参加代表\nT1,2027-03-03,代表履职培训,镇人大,镇政府,4,QS001、QS010\n",
                        encoding="gbk")
    assert records.import_records(db, township=township, kind="trainings", path=csv_path, actor="staff") == 1
    with pytest.raises(InputError, match="第2行：编号“T1”已被使用"):
        records.import_records(db, township=township, kind="trainings", path=csv_path, actor="staff")
    records.add_voter_report(db, township=township, code="V1", deputy_code="QS010", held_on=date(2027, 4, 4),
                             voters=40, summary="报告一年来履职情况", evaluation="满意", actor="staff")
    docs = registers.write_registers(db, township=township, start=date(2026, 12, 1), end=date(2027, 6, 30),
                                     actor="staff", settings=settings)
    assert [d.kind for d in docs] == [f"register-{s.key}" for s in registers.load_registers()]
    assert len(docs) == 8
    db.commit()  # files are written once their registration commits

    def text_of(key: str) -> str:
        doc = next(d for d in docs if d.kind == f"register-{key}")
        document = Document(str(Path(settings.output_dir) / "qingshan" / doc.path))
        return "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)

    assert "反映溪口村道路积水" in text_of("petitions")
    assert "代表履职培训" in text_of("training") and "代表履职培训" in text_of("activities")
    assert "J008" in text_of("suggestions") and "第十八届人民代表大会第三次会议" in text_of("meetings")
    assert len(Document(str(Path(settings.output_dir) / "qingshan" / docs[-1].path)).tables[0].rows) == 61
    with pytest.raises(FollowupError, match="没有名为“nope”的台账"):
        registers.write_registers(db, township=township, start=date(2027, 1, 1), end=date(2027, 2, 1),
                                  actor="s", settings=settings, only=["nope"])
    bad = tmp_path / "registers.yaml"
    bad.write_text("registers:\n  - {key: x, title: 某簿, source: nowhere}\n", encoding="utf-8")
    with pytest.raises(FollowupError, match="第1项：台账来源“nowhere”不存在"):
        registers.load_registers(bad)


def test_resolution_item_tracked_like_a_suggestion(db, settings, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    with pytest.raises(FollowupError, match="没有已通过的决议"):
        fo.add_resolution_item(db, session_key=session.key, resolution_key="government-work", code="R1", title="t",
                               text="", office="o", handed_over_on=date(2027, 1, 10), due_on=date(2027, 3, 31),
                               actor="p", settings=settings)
    from tests.test_lifecycle import advance, give_all_inputs

    give_all_inputs(db, session)
    advance(db, settings)
    fo.add_resolution_item(db, session_key=session.key, resolution_key="government-work", code="R1",
                           title="完成老街雨污分流一期", text="", office="镇村建办", handed_over_on=date(2027, 1, 10),
                           due_on=date(2027, 3, 31), actor="p", settings=settings)
    township = session.term.township
    sweeper.sweep_township(db, township=township, today=date(2027, 4, 1), actor="s", settings=settings)
    rnd = db.scalar(select(HandlingRound).where(HandlingRound.resolution_item_id.is_not(None)))
    assert rnd.overdue_on == date(2027, 4, 1)
    fo.record_reply(db, township=township, code="R1", replied_on=date(2027, 4, 3), text="一期已完工。", actor="o",
                    settings=settings)
    figures = reports.handling_figures(db, session, as_of=date(2027, 6, 1))
    assert figures["resolution_items"][0]["code"] == "R1" and not figures["resolution_items"][0]["on_time"]


def test_cli_import_bad_file_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    env = {"CONGRESS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "CONGRESS_OUTPUT_DIR": str(tmp_path / "out"),
           "PATH": "/usr/bin:/bin"}
    exe = [sys.executable, "-m", "cli.main"]
    load = subprocess.run([*exe, "load", str(SAMPLE / "session.yaml")], cwd=REPO, env=env, capture_output=True,
                          text=True)
    assert load.returncode == 0, load.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,标题,提出代表,承办单位,内容,提出日期\nB1,修路,QS999,镇村建办,内容,2027-02-01\n", encoding="gbk")
    run = subprocess.run([*exe, "suggestions", "import", "qingshan", str(bad)], cwd=REPO, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "bad.csv第2行：代表编号“QS999”不在代表名册中" in run.stderr
    good = tmp_path / "good.csv"
    good.write_text("编号,标题,提出代表,承办单位,内容,提出日期\nB1,修路,QS010,镇村建办,内容,2027-02-01\n",
                    encoding="utf-8")
    ok = subprocess.run([*exe, "suggestions", "import", "qingshan-18-3", str(good)], cwd=REPO, env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "已导入1条记录" in ok.stdout, ok.stderr
    regs = subprocess.run([*exe, "registers", "qingshan", "--from", "2026-12-01", "--to", "2027-06-30",
                           "--only", "suggestions,roster"], cwd=REPO, env=env, capture_output=True, text=True)
    assert regs.returncode == 0 and "已生成2个文件" in regs.stdout, regs.stderr


def test_follow_up_files_are_written_only_once_their_registration_commits(db, settings, load_sample) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    db.commit()
    data = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    out = TownshipOutputs(db, township, settings)
    out.calendar("test_calendar", "测试/日历", data, on=date(2027, 1, 4))
    path = out.root / "测试" / "日历.ics"
    assert not path.exists()  # registered, not yet committed: nothing on disk while the transaction is open
    db.rollback()
    assert not path.exists() and not out.pending  # rolled back: the file is dropped, never written
    assert db.scalar(select(func.count()).select_from(FollowupDocument)) == 0
    out = TownshipOutputs(db, township, settings)
    out.calendar("test_calendar", "测试/日历", data, on=date(2027, 1, 4))
    db.commit()
    assert path.read_bytes() == data and not out.pending
