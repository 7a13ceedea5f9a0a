"""Fast tier: reading what staff hand in (congress/inputs.py) — session file, roster, attendance, tallies.

Every rejection must name the file, the line and the problem (docs/formats.md); the bad cases and
their lines are listed in tests/data/bad/README.md.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

import congress
from congress.errors import InputError
from congress.inputs import load_attendance, load_roster, load_session_file, load_tallies, read_text

REPO = Path(congress.__file__).resolve().parents[1]
SAMPLE = REPO / "config" / "sample"
BAD = REPO / "tests" / "data" / "bad"
GBK_ROSTER = REPO / "tests" / "data" / "gbk" / "roster-gbk.csv"

ZJ_20 = "《浙江省乡镇人民代表大会工作条例》第二十条"
LOL_27 = "《地方组织法》第二十七条"


def same_file(reported: str, path: Path) -> bool:
    return Path(reported).resolve() == path.resolve()


def only_problem(exc: InputError, path: Path):
    """The single problem of an InputError, checked to name `path`."""
    assert len(exc.problems) == 1, str(exc)
    problem = exc.problems[0]
    assert same_file(problem.file, path), (problem.file, path)
    return problem


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder


def edit(path: Path, old: str, new: str) -> int:
    """Replace one occurrence of `old` in the file; the 1-based line it is on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines, start=1) if needle in line]
    assert len(hits) == 1, needle
    return hits[0]


# --- the sample ------------------------------------------------------------------------------


def test_sample_session_loads():
    spec = load_session_file(SAMPLE / "session.yaml")
    assert spec.key == "qingshan-18-3"
    assert spec.profile.name == "zhejiang"
    assert len(spec.roster.rows) == 60 and len(spec.roster.active) == 60
    assert spec.roster.encoding == "utf-8"
    assert len(spec.elections) == 1
    election = spec.elections[0]
    assert (election.key, election.office, election.kind, election.seats) == ("vice-chair", "vice_chair", "by_election", 1)
    assert [c.name for c in election.candidates] == ["陈晓梅", "刘志强"]
    assert election.preliminary is False
    assert spec.warnings == []
    assert spec.session["opening_date"] == date(2026, 12, 22)
    assert spec.session["notice_date"] == date(2026, 12, 8)
    assert spec.session["presidium_meeting_time"] == "09:00"
    assert spec.session["checkin_time"] == "14:00"
    assert spec.session["handover_date"] == date(2027, 1, 5)
    assert len(spec.session["presidium"]) == 9
    assert [(s.key, s.start, s.end) for s in spec.sittings][:2] == [
        ("preparatory", "08:30", "09:00"), ("plenary-1", "09:00", "11:30")]
    assert [r.key for r in spec.reports] == ["government-work", "budget", "presidium"]
    assert spec.reports[1].reporter_title == "副镇长"
    assert len(spec.motions) == 1 and len(spec.motions[0]["sponsors"]) == 5
    assert len(spec.suggestions) == 8
    assert [s.complex for s in spec.suggestions].count(True) == 2
    assert len(spec.sha256) == 64


def test_sample_attendance_loads():
    roster = load_roster(SAMPLE / "roster.csv")
    rows = load_attendance(SAMPLE / "attendance.csv", {r.code: r.name for r in roster.active})
    assert len(rows) == 60
    statuses = [r.status for r in rows]
    assert (statuses.count("present"), statuses.count("leave"), statuses.count("absent")) == (56, 3, 1)
    assert all(r.leave_approved for r in rows if r.status == "leave")
    assert rows[0].line == 2 and rows[0].code == "QS001"


def test_sample_tallies_load_with_yes_no_keys():
    """The sample writes `yes:`/`no:` unquoted; YAML 1.1 reads them as booleans, the loader maps them back."""
    raw = yaml.safe_load((SAMPLE / "tallies.yaml").read_text(encoding="utf-8"))
    assert True in raw["votes"]["agenda"]  # the trap is real
    tallies = load_tallies(SAMPLE / "tallies.yaml")
    budget = tallies.votes["resolution-budget"]
    assert (budget.yes, budget.no, budget.abstain) == (53, 1, 2)
    assert (tallies.votes["agenda"].yes, tallies.votes["agenda"].no) == (56, 0)
    rnd = tallies.elections["vice-chair"].rounds[0]
    assert (rnd.number, rnd.kind, rnd.ballots_issued, rnd.ballots_returned, rnd.ballots_void) == (1, "formal", 56, 56, 1)
    assert rnd.votes == {"陈晓梅": 41, "刘志强": 14}
    assert rnd.write_ins == {}
    assert tallies.elections["vice-chair"].defer_unfilled is False


# --- encodings -------------------------------------------------------------------------------


def test_gbk_roster_loads_identically_to_utf8():
    utf8 = load_roster(SAMPLE / "roster.csv")
    gbk = load_roster(GBK_ROSTER)
    assert GBK_ROSTER.read_bytes()[:3] != b"\xef\xbb\xbf" and b"\r\n" in GBK_ROSTER.read_bytes()
    assert gbk.encoding == "gbk"
    assert len(gbk.rows) == 60
    assert [dataclasses.asdict(r) for r in gbk.rows] == [dataclasses.asdict(r) for r in utf8.rows]
    assert gbk.rows[0].name == "王建华"


def test_gbk_roster_in_a_session_gives_a_warning(sample_dir):
    shutil.copyfile(GBK_ROSTER, sample_dir / "roster.csv")
    spec = load_session_file(sample_dir / "session.yaml")
    assert spec.roster.encoding == "gbk"
    assert len(spec.roster.rows) == 60
    assert any("GBK" in w and "roster.csv" in w for w in spec.warnings), spec.warnings


def test_utf8_bom_roster_loads(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (SAMPLE / "roster.csv").read_bytes())
    roster = load_roster(path)
    assert roster.encoding == "utf-8"
    assert roster.rows[0].code == "QS001"  # BOM not glued to the first header


@pytest.mark.parametrize(
    "payload",
    [
        "代表编号,姓名,代表小组\nQS001,王建华,第一代表小组\n".encode("utf-16"),  # UTF-16 with BOM
        b"\x80\xff\xfe random \x81\x30 bytes",
    ],
    ids=["utf-16-bom", "garbage"],
)
def test_undecodable_file_gives_encoding_error_naming_the_file(tmp_path, payload):
    path = tmp_path / "名册.csv"
    path.write_bytes(payload)
    with pytest.raises(InputError) as info:
        load_roster(path)
    problem = only_problem(info.value, path)
    assert "编码" in problem.problem and "UTF-8" in problem.problem and "GBK" in problem.problem
    assert "名册.csv" in str(info.value)
    with pytest.raises(InputError):
        read_text(path, kind="roster")


def test_undecodable_roster_named_by_session_load(sample_dir):
    roster = sample_dir / "roster.csv"
    roster.write_bytes(roster.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(InputError) as info:
        load_session_file(sample_dir / "session.yaml")
    assert any(same_file(p.file, roster) and "编码" in p.problem for p in info.value.problems), str(info.value)


def test_missing_file_named(tmp_path):
    with pytest.raises(InputError) as info:
        load_roster(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value) and "不存在" in str(info.value)


# --- the bad cases (tests/data/bad/README.md) -------------------------------------------------


def test_bad_duplicate_id_names_roster_line_6():
    roster = BAD / "duplicate-id" / "roster.csv"
    with pytest.raises(InputError) as info:
        load_session_file(BAD / "duplicate-id" / "session.yaml")
    problem = only_problem(info.value, roster)
    assert problem.line == 6
    assert "QS007" in problem.problem and "重复" in problem.problem and "第5行" in problem.problem
    assert "roster.csv第6行" in str(info.value)
    # the roster loader alone says the same
    with pytest.raises(InputError) as direct:
        load_roster(roster)
    assert [p.line for p in direct.value.problems] == [6]


def test_bad_missing_name_names_roster_line_12():
    roster = BAD / "missing-name" / "roster.csv"
    with pytest.raises(InputError) as info:
        load_session_file(BAD / "missing-name" / "session.yaml")
    problem = only_problem(info.value, roster)
    assert problem.line == 12
    assert "姓名" in problem.problem and "不能为空" in problem.problem
    assert "roster.csv第12行" in str(info.value)


def test_bad_notice_too_late_names_line_28_and_zhejiang_article_20():
    session = BAD / "notice-too-late" / "session.yaml"
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)  # line 29 (materials) is not a defect
    assert problem.line == 28
    assert problem.field == "session.notice_date"
    assert ZJ_20 in problem.problem and "会议通知期限" in problem.problem
    assert "2026-12-19" in problem.problem and "7日" in problem.problem
    assert "session.yaml第28行" in str(info.value)


def test_bad_vice_chair_too_few_names_candidates_and_article_27():
    session = BAD / "vice-chair-too-few" / "session.yaml"
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line in (70, 75, 76)
    assert problem.field.startswith("elections.0")
    assert LOL_27 in problem.problem and "副主席" in problem.problem
    assert f"第{problem.line}行" in str(info.value)


def test_bad_unknown_presidium_id_names_line_33():
    session = BAD / "unknown-presidium-id" / "session.yaml"
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == 33
    assert problem.field == "session.presidium.4"
    assert "QS099" in problem.problem and "代表名册" in problem.problem


@pytest.mark.parametrize("case", ["tally-too-large", "returned-over-issued"])
def test_bad_tally_cases_have_a_valid_session(case):
    spec = load_session_file(BAD / case / "session.yaml")
    assert len(spec.roster.rows) == 12


def test_tally_too_large_parses_with_line_of_the_vote():
    """The sum (13 > 12 deputies) is checked later against the database; the loader keeps the line (7)."""
    tallies = load_tallies(BAD / "tally-too-large" / "tallies.yaml")
    budget = tallies.votes["resolution-budget"]
    assert (budget.yes, budget.no, budget.abstain) == (10, 2, 1)
    assert budget.line == 7
    assert tallies.votes["presidium-list"].line == 4
    assert tallies.elections["vice-chair"].rounds[0].line == 12


def test_returned_over_issued_parses_with_line_of_the_round():
    """Returned (11) > issued (10) invalidates the election later (EL 第四十四条); the round keeps its line."""
    tallies = load_tallies(BAD / "returned-over-issued" / "tallies.yaml")
    election = tallies.elections["vice-chair"]
    assert election.line == 10
    rnd = election.rounds[0]
    assert (rnd.ballots_issued, rnd.ballots_returned) == (10, 11)
    assert rnd.line == 12  # the round item; ballots_issued/returned are on lines 13/14


# --- session file: rules and formats ------------------------------------------------------------


def test_unquoted_times_read_as_hh_mm(sample_dir):
    """YAML 1.1 reads unquoted 14:00 as the sexagesimal integer 840; the loader gives back "14:00"."""
    session = sample_dir / "session.yaml"
    assert yaml.safe_load("t: 14:00")["t"] == 840
    edit(session, 'time: "09:00"', "time: 09:00")
    edit(session, 'time: "14:00"', "time: 14:00")
    edit(session, 'start: "14:30", end: "17:30"', "start: 14:30, end: 17:30")
    edit(session, 'kind: plenary, date: 2026-12-23, start: "09:00"', "kind: plenary, date: 2026-12-23, start: 9:00")
    spec = load_session_file(session)
    assert spec.session["presidium_meeting_time"] == "09:00"
    assert spec.session["checkin_time"] == "14:00"
    assert [(s.start, s.end) for s in spec.sittings] == [
        ("08:30", "09:00"), ("09:00", "11:30"), ("14:30", "17:30"), ("09:00", "11:30")]


def test_bad_time_rejected_with_line(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, 'time: "14:00"', 'time: "25:00"')
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == line
    assert "25:00" in problem.problem


def test_bad_schedule_time_names_the_schedule_line(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, 'start: "14:30"', 'start: "25:30"')
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert "25:30" in problem.problem
    assert problem.line == line


def test_officer_without_title_names_the_officer_line(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, "{name: 何丽萍, title: 副镇长}", "{name: 何丽萍}")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == line
    assert problem.field == "officers.2.title"


def test_closing_before_opening_reported(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, "closing_date: 2026-12-23", "closing_date: 2026-12-21")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == line
    assert problem.field == "session.closing_date"
    assert "开会日期" in problem.problem and "闭会日期" in problem.problem and "2026-12-21" in problem.problem


def test_plan_after_presidium_meeting_reported(sample_dir):
    session = sample_dir / "session.yaml"
    edit(session, "plan_date: 2026-12-01", "plan_date: 2026-12-05")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == line_of(session, "presidium_meeting:")
    assert "会议方案日期" in problem.problem and "主席团会议日期" in problem.problem


def test_extraordinary_session_exempt_from_notice_period(sample_dir):
    """ZJ 第二十条: a 临时会议 may be noticed 3 days ahead; the same dates fail for a regular session."""
    session = sample_dir / "session.yaml"
    edit(session, "notice_date: 2026-12-08", "notice_date: 2026-12-19")
    edit(session, "materials_date: 2026-12-18", "materials_date: 2026-12-21")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    assert ZJ_20 in str(info.value)
    edit(session, "kind: regular", "kind: extraordinary")
    spec = load_session_file(session)
    assert spec.session["kind"] == "extraordinary"


def test_motion_with_four_sponsors_rejected_lol_22(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, "sponsors: [QS050, QS051, QS053, QS054, QS057]", "sponsors: [QS050, QS051, QS053, QS054]")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == line
    assert "《地方组织法》第二十二条" in problem.problem and "4" in problem.problem


def test_nomination_by_nine_deputies_rejected_lol_26(sample_dir):
    session = sample_dir / "session.yaml"
    nine = ", ".join(f"QS{n:03d}" for n in range(1, 10))
    edit(session, "nominated_by: presidium\n    nominators: []",
         f"nominated_by: deputies\n    nominators: [{nine}]")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.field == "elections.0.nominators"
    assert "《地方组织法》第二十六条" in problem.problem and "9" in problem.problem
    ten = nine + ", QS010"
    edit(session, f"nominators: [{nine}]", f"nominators: [{ten}]")
    assert load_session_file(session).elections[0].nominated_by == "deputies"


def test_too_many_vice_candidates_flags_preliminary(sample_dir):
    session = sample_dir / "session.yaml"
    edit(session, "kind: by_election", "kind: general")
    # a third nominee: a deputy (LOL 第十八条) jointly nominated by ten others (the presidium's one is taken)
    edit(session, "      - {name: 刘志强,",
         "      - {name: 丁燕, code: QS029, title: x, nominated_by: deputies,\n"
         "         nominators: [QS040, QS041, QS042, QS043, QS044, QS045, QS046, QS047, QS048, QS049]}\n"
         "      - {name: 刘志强,")
    spec = load_session_file(session)
    assert spec.elections[0].preliminary is True
    assert len(spec.elections[0].candidates) == 3


def test_unknown_profile_rejected_with_line(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, "profile: zhejiang", "profile: hubei")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line == line
    assert "hubei" in problem.problem and "zhejiang" in problem.problem


def test_invalid_yaml_reports_line(sample_dir):
    session = sample_dir / "session.yaml"
    line = edit(session, "  venue: 青山镇人民政府三楼大会议室", "  venue: [青山镇人民政府三楼大会议室")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert problem.line is not None and problem.line >= line
    assert "YAML" in problem.problem


def test_all_problems_of_a_file_reported_together(sample_dir):
    session = sample_dir / "session.yaml"
    edit(session, "profile: zhejiang", "profile: hubei")
    edit(session, "code: qingshan", "code: QingShan")
    edit(session, "QS056]", "QS098]")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    text = str(info.value)
    assert len(info.value.problems) == 3
    assert "hubei" in text and "QingShan" in text and "QS098" in text


# --- attendance --------------------------------------------------------------------------------

ROSTER3 = {"QS001": "王建华", "QS002": "徐国平", "QS003": "周建国"}


def write_csv(tmp_path: Path, text: str, name: str = "attendance.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_attendance_english_values_and_leave(tmp_path):
    path = write_csv(tmp_path, "id,status,leave_approved\nQS001,Present,\nQS002,LEAVE,yes\nQS003,absent,\n")
    rows = load_attendance(path, ROSTER3)
    assert [(r.line, r.code, r.status, r.leave_approved) for r in rows] == [
        (2, "QS001", "present", False), (3, "QS002", "leave", True), (4, "QS003", "absent", False)]


def test_attendance_missing_deputy_named(tmp_path):
    path = write_csv(tmp_path, "代表编号,出席情况,请假批准\nQS001,出席,\nQS002,请假,否\n")
    with pytest.raises(InputError) as info:
        load_attendance(path, ROSTER3)
    problem = only_problem(info.value, path)
    assert "QS003" in problem.problem and "周建国" in problem.problem


def test_attendance_duplicate_rejected_with_line(tmp_path):
    path = write_csv(tmp_path, "代表编号,出席情况\nQS001,出席\nQS002,出席\nQS003,出席\nQS001,缺席\n")
    with pytest.raises(InputError) as info:
        load_attendance(path, ROSTER3)
    problem = only_problem(info.value, path)
    assert problem.line == 5
    assert "QS001" in problem.problem and "第2行" in problem.problem
    assert "attendance.csv第5行" in str(info.value)


def test_attendance_bad_status_rejected_with_line(tmp_path):
    path = write_csv(tmp_path, "代表编号,出席情况\nQS001,出席\nQS002,迟到\nQS003,出席\n")
    with pytest.raises(InputError) as info:
        load_attendance(path, ROSTER3)
    problem = only_problem(info.value, path)
    assert problem.line == 3
    assert "迟到" in problem.problem


def test_attendance_unknown_deputy_rejected_with_line(tmp_path):
    path = write_csv(tmp_path, "代表编号,出席情况\nQS001,出席\nQS002,出席\nQS003,出席\nQS099,出席\n")
    with pytest.raises(InputError) as info:
        load_attendance(path, ROSTER3)
    problem = only_problem(info.value, path)
    assert problem.line == 5 and "QS099" in problem.problem


def test_attendance_missing_column_rejected_on_header_line(tmp_path):
    path = write_csv(tmp_path, "代表编号,备注\nQS001,x\n")
    with pytest.raises(InputError) as info:
        load_attendance(path, ROSTER3)
    problem = only_problem(info.value, path)
    assert problem.line == 1 and "出席情况" in problem.problem


# --- roster ------------------------------------------------------------------------------------


def test_roster_english_headers_and_status(tmp_path):
    path = write_csv(tmp_path, "id,name,group,status\nA1,甲,一组,\nA2,乙,二组,终止\n", "roster.csv")
    roster = load_roster(path)
    assert [(r.code, r.status) for r in roster.rows] == [("A1", "active"), ("A2", "ended")]
    assert [r.code for r in roster.active] == ["A1"]


def test_roster_empty_group_and_bad_status_with_lines(tmp_path):
    path = write_csv(tmp_path, "代表编号,姓名,代表小组,状态\nA1,甲,,在任\nA2,乙,二组,退休\n", "roster.csv")
    with pytest.raises(InputError) as info:
        load_roster(path)
    assert [p.line for p in info.value.problems] == [2, 3]
    assert "代表小组" in info.value.problems[0].problem
    assert "退休" in info.value.problems[1].problem


def test_roster_missing_required_column(tmp_path):
    path = write_csv(tmp_path, "代表编号,性别\nA1,男\n", "roster.csv")
    with pytest.raises(InputError) as info:
        load_roster(path)
    messages = [p.problem for p in info.value.problems]
    assert all(p.line == 1 for p in info.value.problems)
    assert any("姓名" in m for m in messages) and any("代表小组" in m for m in messages)


def test_roster_without_rows_rejected(tmp_path):
    path = write_csv(tmp_path, "代表编号,姓名,代表小组\n", "roster.csv")
    with pytest.raises(InputError) as info:
        load_roster(path)
    assert "没有代表" in str(info.value)


# --- tallies -----------------------------------------------------------------------------------


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tallies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_tallies_quoted_and_unquoted_keys_agree(tmp_path):
    unquoted = load_tallies(write_yaml(tmp_path, "votes:\n  agenda: {yes: 50, no: 3, abstain: 2}\n"))
    quoted = load_tallies(write_yaml(tmp_path, 'votes:\n  agenda: {"yes": 50, "no": 3, "abstain": 2}\n'))
    assert (unquoted.votes["agenda"].yes, unquoted.votes["agenda"].no, unquoted.votes["agenda"].abstain) == (50, 3, 2)
    assert dataclasses.astuple(unquoted.votes["agenda"]) == dataclasses.astuple(quoted.votes["agenda"])


def test_tallies_negative_vote_rejected_with_line(tmp_path):
    path = write_yaml(tmp_path, "votes:\n  agenda:\n    yes: 50\n    no: -3\n    abstain: 0\n")
    with pytest.raises(InputError) as info:
        load_tallies(path)
    problem = only_problem(info.value, path)
    assert problem.line == 4
    assert problem.field == "votes.agenda.no"
    assert "负数" in problem.problem


def test_tallies_negative_ballots_and_candidate_votes_rejected_with_lines(tmp_path):
    path = write_yaml(tmp_path, (
        "elections:\n"                     # 1
        "  vice-chair:\n"                  # 2
        "    rounds:\n"                    # 3
        "      - kind: formal\n"           # 4
        "        ballots_issued: -1\n"     # 5
        "        ballots_returned: 11\n"   # 6
        "        ballots_void: 0\n"        # 7
        "        votes:\n"                 # 8
        "          陈晓梅: -8\n"            # 9
        "          刘志强: 3\n"             # 10
    ))
    with pytest.raises(InputError) as info:
        load_tallies(path)
    assert sorted(p.line for p in info.value.problems) == [5, 9]
    assert any("负数" in p.problem for p in info.value.problems)
    assert any("-8" in p.problem for p in info.value.problems)


def test_tallies_write_ins_defer_and_round_kinds(tmp_path):
    path = write_yaml(tmp_path, (
        "elections:\n"
        "  deputy-head:\n"
        "    defer_unfilled: true\n"
        "    rounds:\n"
        "      - {kind: formal, ballots_issued: 11, ballots_returned: 11, ballots_void: 0,\n"
        "         votes: {甲: 5, 乙: 5}, write_ins: {丙: 1}}\n"
        "      - {kind: revote, ballots_issued: 11, ballots_returned: 11, ballots_void: 0, votes: {甲: 6, 乙: 5}}\n"
    ))
    election = load_tallies(path).elections["deputy-head"]
    assert election.defer_unfilled is True
    assert [(r.number, r.kind, r.line) for r in election.rounds] == [(1, "formal", 5), (2, "revote", 7)]
    assert election.rounds[0].write_ins == {"丙": 1}
    assert election.rounds[1].write_ins == {}


def test_tallies_bad_round_kind_and_text_count_rejected(tmp_path):
    path = write_yaml(tmp_path, (
        "votes:\n"
        "  agenda: {yes: many, no: 0, abstain: 0}\n"
        "elections:\n"
        "  vice-chair:\n"
        "    rounds:\n"
        "      - {kind: final, ballots_issued: 1, ballots_returned: 1, ballots_void: 0, votes: {甲: 1}}\n"
    ))
    with pytest.raises(InputError) as info:
        load_tallies(path)
    assert sorted(p.line for p in info.value.problems) == [2, 6]
    text = str(info.value)
    assert "many" in text and "final" in text


def test_inquiry_needs_ten_sponsors_lol_24(sample_dir):
    """LOL 第二十四条: an inquiry needs at least ten deputies jointly; nine are refused with the line."""
    session = sample_dir / "session.yaml"
    sponsors = ", ".join(f"QS{i:03d}" for i in range(1, 10))
    text = session.read_text(encoding="utf-8")
    session.write_text(text + f"inquiries:\n  - {{title: 关于污水处理的质询案, target: 青山镇人民政府, sponsors: [{sponsors}]}}\n",
                       encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    problem = only_problem(info.value, session)
    assert "第二十四条" in problem.problem and "9" in problem.problem
    assert problem.line == len(text.splitlines()) + 2
    session.write_text(text + "inquiries:\n  - {title: 关于污水处理的质询案, target: 青山镇人民政府, sponsors: ["
                       + sponsors + ", QS010]}\n", encoding="utf-8")
    spec = load_session_file(session)
    assert [m["kind"] for m in spec.motions] == ["motion", "inquiry"]
