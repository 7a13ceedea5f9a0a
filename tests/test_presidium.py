"""The session presidium's arrangements and the documents issue 12 found missing (part A): the 列席人员名单,
代表须知, 候选人基本情况, 代表名单, 签到表, the adopted 主席团名单 and 秘书长名单, the presidium's first and second
meetings, and the named 执行主席 and 列席人员 in the 主持词. Inputs are checked at load (file, line, field, the
article); the documents are read back from the .docx a run through the core wrote (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.errors import InputError
from congress.inputs import load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import STEPS
from congress.models import AuditEvent, Deputy, Document, Sitting
from congress.settings import REPO_ROOT, Settings
from congress.strokes import stroke_key
from tests import test_first_term as first_term
from tests.conftest import SAMPLE
from tests.rendered_session import docx_table_cells, docx_text
from tests.test_lifecycle import advance, give_all_inputs

FIRST = REPO_ROOT / "config" / "sample-first-term"


def copy_sample(tmp_path: Path, sample: Path = SAMPLE) -> Path:
    folder = tmp_path / sample.name
    shutil.copytree(sample, folder)
    return folder / "session.yaml"


def edit(path: Path, old: str, new: str) -> int:
    """Replace one occurrence of `old`; the 1-based line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def problems(path: Path) -> list:  # type: ignore[type-arg]
    with pytest.raises(InputError) as info:
        load_session_file(path)
    return info.value.problems


# --- the session file --------------------------------------------------------------------------


def test_sample_gives_the_arrangements():
    spec = load_session_file(SAMPLE / "session.yaml")
    s = spec.session
    assert s["secretary_general"] == "QS027"
    assert s["scrutineers"] == {"chief": "QS008", "members": ["QS024", "QS041", "QS054"], "tellers": ["林晓红", "张敏"]}
    assert {x.key: x.chair for x in spec.sittings} == {"preparatory": "QS001", "plenary-1": "QS001", "groups-1": None,
                                                       "plenary-2": "QS002"}
    assert s["group_convenors"]["第三代表小组"] == ["QS026", "QS032"]
    assert s["presidium_meetings"]["second"] == {"date": "2026-12-22", "time": "17:40", "place": "三楼小会议室"}
    assert s["presidium_meetings"]["first"]["time"] == ""  # "after the preparatory meeting"
    assert [c.ethnicity for c in spec.elections[0].candidates] == ["汉族", "汉族"]


def test_plenary_chair_outside_the_presidium_is_refused_lol_19(tmp_path):
    path = copy_sample(tmp_path)
    line = edit(path, "title: 第二次全体会议, place: 三楼大会议室, chair: QS002}",
                "title: 第二次全体会议, place: 三楼大会议室, chair: QS040}")
    [p] = problems(path)
    assert p.line == line and p.field == "session.schedule.3.chair"
    assert "QS040不是本次会议主席团成员" in p.problem and "第十九条" in p.problem


def test_group_sitting_has_no_chair(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, "title: 分组审议, place: 各代表小组会议室}", "title: 分组审议, place: 各代表小组会议室, chair: QS001}")
    [p] = problems(path)
    assert p.field == "session.schedule.2.chair" and "召集人" in p.problem


def test_candidate_as_scrutineer_is_refused_el_43(tmp_path):
    path = copy_sample(tmp_path)
    line = edit(path, "members: [QS024, QS041, QS054]", "members: [QS024, QS041, QS014]")
    [p] = problems(path)
    assert p.line == line and p.field == "session.scrutineers"
    assert "刘志强是本次会议的候选人" in p.problem and "第四十三条" in p.problem


def test_candidate_as_teller_is_refused_el_43(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, "tellers: [林晓红, 张敏]", "tellers: [林晓红, 陈晓梅]")
    [p] = problems(path)
    assert "陈晓梅是本次会议的候选人" in p.problem


def test_scrutineers_are_deputies(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, "scrutineers: {chief: QS008,", "scrutineers: {chief: QS999,")
    fields = {(p.field, p.problem) for p in problems(path)}
    assert any(f == "session.scrutineers" and "QS999" in m and "第四十三条" in m for f, m in fields), fields


def test_chief_scrutineer_listed_twice(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, "members: [QS024, QS041, QS054]", "members: [QS024, QS041, QS008]")
    [p] = problems(path)
    assert p.field == "session.scrutineers.members" and "总监票人QS008" in p.problem


def test_convenor_from_another_group_and_unknown_group(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, "{name: 第一代表小组, convenors: [QS005]}", "{name: 第一代表小组, convenors: [QS015]}")
    edit(path, "{name: 第四代表小组, convenors: [QS038]}", "{name: 第六代表小组, convenors: [QS038]}")
    found = {p.field: p.problem for p in problems(path)}
    assert "QS015不是第一代表小组的代表" in found["session.groups.0.convenors.0"]
    assert "第六代表小组" in found["session.groups.3.name"]


def test_presidium_meeting_outside_the_session_days(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, 'second: {date: 2026-12-22, time: "17:40"', 'second: {date: 2026-12-24, time: "17:40"')
    [p] = problems(path)
    assert p.field == "session.presidium_meetings.second.date" and "2026-12-22至2026-12-23" in p.problem


def test_unknown_key_in_the_arrangements_is_refused(tmp_path):
    path = copy_sample(tmp_path)
    edit(path, "secretary_general: QS027", "secretary_general: QS027\n  deputy_secretaries: [QS028]")
    assert any(p.field == "session.deputy_secretaries" for p in problems(path))


def test_the_arrangements_are_optional(tmp_path):
    path = copy_sample(tmp_path)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  secretary_general: QS027"), text.index("  schedule:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    spec = load_session_file(path)
    assert spec.session["secretary_general"] is None and spec.session["scrutineers"] == {}


# --- the documents -----------------------------------------------------------------------------


def texts(db: Session, session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every .docx of the session: file name (without folder) → its text."""
    root = Path(session.output_dir)
    docs = db.scalars(select(Document).where(Document.session_id == session.id)).all()
    return {Path(d.path).stem: docx_text(root / d.path) for d in docs if d.path.endswith(".docx")}


def test_documents_of_the_presidium_and_the_lists(db: Session, load_sample, settings: Settings) -> None:
    session = load_sample()
    assert session.secretary_general == "QS027" and session.scrutineers["chief"] == "QS008"
    chairs = {s.key: s.chair_code for s in db.scalars(select(Sitting).where(Sitting.session_id == session.id))}
    assert chairs["plenary-2"] == "QS002"
    loaded = db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id,
                                                 AuditEvent.action == "session_loaded")).one()
    assert loaded.detail["plan"]["sitting_chairs"] == {"preparatory": "QS001", "plenary-1": "QS001", "plenary-2": "QS002"}
    assert loaded.detail["plan"]["scrutineers"]["members"] == ["QS024", "QS041", "QS054"]
    give_all_inputs(db, session)
    assert advance(db, settings) == [(s, "done") for s in STEPS]
    t = texts(db, session)
    kinds = {d.kind: d for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    assert kinds["attendee_list"].step == "presidium_decision" and kinds["deputy_guide"].step == "notices"
    assert kinds["sign_in_sheet"].step == "checkin_quorum" and kinds["presidium_first_meeting"].step == "preparatory_meeting"
    assert kinds["presidium_second_meeting"].step == "votes_elections"

    # 列席: the 副镇长 who is not a deputy by law (LOL 第二十一条), the others by the presidium; the 镇长 is a deputy
    attendees = t["列席人员名单"]
    assert "何丽萍副镇长依法列席" in attendees.replace("|", "") or "何丽萍副镇长依法列席" in attendees
    assert "孙海燕镇财政所所长经主席团决定列席" in attendees and "周建国" not in attendees
    assert "第二十一条" in attendees and "2026年12月4日" in attendees

    # 代表须知: the profile's numbers and articles, the check-in, the groups' 召集人
    guide = t["代表须知"]
    assert "2026年12月21日（星期一）14时前到青山镇人民政府一楼大厅报到" in guide
    assert "代表5人以上联名" in guide and "代表10人以上联名" in guide
    assert "第三代表小组召集人黄卫国、冯巧玲" in guide and "2026年12月18日" in guide

    # 候选人基本情况: 性别、民族、出生年月、职务, 姓氏笔画 order (刘 before 陈)
    profile = t["候选人基本情况-补选副主席"]
    assert "陈晓梅，女，汉族，1982年5月出生，现任青山镇党政综合办公室主任。" in profile
    assert profile.index("刘志强，男，汉族，1979年11月出生") < profile.index("陈晓梅，女")
    assert "由大会主席团提名" in profile and "等10名代表联名提名" in profile

    # 代表名单 by group with the 召集人; every active deputy once
    roster = t["代表名单"]
    assert "第三代表小组（12名；召集人：黄卫国、冯巧玲）" in roster and "（共60名，按代表小组排列）" in roster
    root = Path(session.output_dir)
    cells = docx_table_cells(root / "05-checkin-quorum" / "代表名单.docx")
    names = [d.name for d in db.scalars(select(Deputy).where(Deputy.term_id == session.term_id))]
    assert all(cells.count(n) == 1 for n in names)

    # a 签到表 per preparatory and plenary sitting, dated by it, a line for each deputy
    sheets = {k: v for k, v in t.items() if k.startswith("签到表-")}
    assert set(sheets) == {"签到表-预备会议", "签到表-第一次全体会议", "签到表-第二次全体会议"}
    assert "（2026年12月23日9时　三楼大会议室）" in sheets["签到表-第二次全体会议"]
    sheet_cells = docx_table_cells(root / "05-checkin-quorum" / "签到表-预备会议.docx")
    assert [c for c in sheet_cells if c in names] == [d.name for g in ("第一", "第二", "第三", "第四", "第五")
                                                       for d in db.scalars(select(Deputy).where(
                                                           Deputy.term_id == session.term_id,
                                                           Deputy.group_name == f"{g}代表小组").order_by(Deputy.position))]
    assert sheet_cells[:5] == ["序号", "代表小组", "姓名", "签名", "备注"]

    # the adopted lists: 题注 with the preparatory meeting's date, names in 姓氏笔画 order
    plist = t["主席团成员名单"]
    assert "（2026年12月22日预备会议通过）" in plist and "（草案）" not in plist
    members = re.findall(r"[\u4e00-\u9fff]{2,3}", plist.split("为序）")[1])
    assert members == sorted(members, key=stroke_key) and len(members) == 9
    assert "秘书长：许丽华" in t["秘书长名单"] and "预备会议通过" in t["秘书长名单"]

    # the first meeting: after the preparatory meeting; 执行主席 per plenary; 监票人 not candidates
    first = t["主席团第一次会议纪要"]
    assert "2026年12月22日预备会议结束后" in first and "三楼小会议室" in first
    assert "镇人大主席王建华为第一次全体会议（2026年12月22日）执行主席，镇党委书记徐国平为第二次全体会议（2026年12月23日）执行主席" in first
    assert "总监票人方丽娟，监票人应雪芬、梁晓燕、廖志勇" in first and "计票人由大会工作人员林晓红、张敏担任" in first
    assert "会议依法提名陈晓梅为青山镇人民代表大会副主席候选人" in first
    assert "副镇长何丽萍" in first and "秘书长许丽华" in first

    # the second meeting: the formal candidates and the draft resolutions put to the vote
    second = t["主席团第二次会议纪要"]
    assert "2026年12月22日17时40分" in second
    assert "副主席正式候选人2名：刘志强、陈晓梅（按姓氏笔画为序），应选1名，实行差额选举" in second
    assert "《关于青山镇人民政府工作报告的决议（草案）》" in second and "由执行主席镇党委书记徐国平主持" in second

    # the 主持词: who presides, who attends, the 监票人 by name; the preparatory meeting elects the 秘书长 too
    script = t["大会主持词"]
    assert script.count("（执行主席：镇人大主席王建华）") == 1 and script.count("（执行主席：镇党委书记徐国平）") == 1
    assert script.index("（执行主席：镇人大主席王建华）") < script.index("第二次全体会议") < script.index("（执行主席：镇党委书记徐国平）")
    assert "列席本次会议的有：副镇长何丽萍、镇财政所所长孙海燕、云溪县人民代表大会代表吴志远。" in script
    assert "总监票人方丽娟，监票人应雪芬、梁晓燕、廖志勇" in script
    prep = t["预备会议主持词"]
    assert "（主持人：镇人大主席王建华）" in prep and "秘书长为许丽华" in prep and "主席团成员和秘书长名单通过" in prep
    assert "列席会议（列席人员名单另发）" in t["主席团会议决定"] and "秘书长人选（草案）为许丽华" in t["主席团会议决定"]


def test_no_presidium_list_when_the_preparatory_meeting_rejects_it(db: Session, load_sample, settings, tmp_path):
    session = load_sample()
    tallies = tmp_path / "tallies.yaml"
    text = (SAMPLE / "tallies.yaml").read_text(encoding="utf-8")
    assert text.count("presidium-list: {yes: 56, no: 0, abstain: 0}") == 1
    tallies.write_text(text.replace("presidium-list: {yes: 56, no: 0, abstain: 0}",
                                    "presidium-list: {yes: 30, no: 20, abstain: 6}"), encoding="utf-8")
    give_all_inputs(db, session, tallies=tallies)
    assert advance(db, settings)[-1] == ("preparatory_meeting", "blocked")
    kinds = {d.kind for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    assert "preparatory_script" in kinds and "sign_in_sheet" in kinds
    assert not kinds & {"presidium_list", "secretary_general_list", "presidium_first_meeting"}


def test_first_term_profiles_come_when_nominations_close(db: Session, settings: Settings) -> None:
    spec = load_session_file(FIRST / "session.yaml")
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    first_term.give_inputs(db, session)
    assert first_term.advance(db, settings) == [(s, "done") for s in STEPS]
    docs = {Path(d.path).stem: d for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    # nominations close on the opening day, after the materials: the profiles are made then (step 8)
    assert docs["候选人基本情况-选举副主席"].step == "votes_elections"
    t = texts(db, session)
    assert "2026年12月29日" in t["候选人基本情况-选举副主席"]
    assert "何丽萍，女，汉族，1980年8月出生，现任青山镇人民政府副镇长。由大会主席团提名。" in t["候选人基本情况-选举副镇长"]
    second = t["主席团第二次会议纪要"]
    assert "被提名人3名" in second and "会议决定进行预选" in second
    assert "会议依法确定青山镇人民政府镇长正式候选人1名：周建国，应选1名，实行等额选举" in second
    first = t["主席团第一次会议纪要"]
    assert "会议依法提名王建华为青山镇人民代表大会主席候选人" in first
    # the 副镇长 candidates who are not deputies attend by law
    assert "何丽萍副镇长依法列席" in t["列席人员名单"]
    assert load_tallies(FIRST / "tallies.yaml").votes["presidium-list"]
    assert date.fromisoformat(spec.session["presidium_meetings"]["second"]["date"]) == date(2026, 12, 29)
