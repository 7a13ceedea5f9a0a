"""What a file holds is bounded before it is used: unknown keys are errors, YAML anchors and aliases are
refused, every number and text is within its bounds, a file of the wrong shape is a Chinese problem (never
an AttributeError), and a roster mixing GBK and UTF-8 is refused naming the line (issues 9 and 10)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from congress import limits
from congress.errors import InputError
from congress.followup.inputs import PETITION_COLUMNS, SUGGESTION_COLUMNS, VOTER_REPORT_COLUMNS, load_rows
from congress.inputs import (
    ROSTER_CHARS,
    TOWNSHIP_CHARS,
    load_attendance,
    load_roster,
    load_session_file,
    load_tallies,
)
from congress.models import Deputy, Township
from tests.conftest import SAMPLE

GBK_ROSTER = Path(__file__).resolve().parents[1] / "data" / "gbk" / "roster-gbk.csv"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target)
    return target


def edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of old; the 1-based line it starts on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def problems_of(call) -> list:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        call()
    for problem in info.value.problems:
        assert problem.file and any("\u4e00" <= ch <= "\u9fff" for ch in problem.problem), problem
    return info.value.problems


def session_problems(folder: Path) -> list:  # type: ignore[no-untyped-def]
    return problems_of(lambda: load_session_file(folder / "session.yaml"))


# --- unknown keys --------------------------------------------------------------------------------


def test_templates_dir_in_a_session_file_is_refused_saying_an_administrator_sets_it(folder):
    line = edit(folder / "session.yaml", "  doc_prefix: 青人\n", "  doc_prefix: 青人\n  templates_dir: .\n") + 1
    [problem] = session_problems(folder)
    assert (problem.line, problem.field) == (line, "township.templates_dir")
    assert "管理员" in problem.problem and "congress townships templates" in problem.problem


@pytest.mark.parametrize("old, new, field", [
    ("closing_date: 2026-12-23", "closing_dat: 2026-12-23", "session.closing_dat"),
    ("ordinal: 18", "ordinal: 18\n  chairman: 王建华", "term.chairman"),
    ('title: 预备会议, place: 三楼大会议室', 'title: 预备会议, plcae: 三楼大会议室', "session.schedule.0.plcae"),
    ("    seats: 1\n", "    seats: 1\n    seat: 2\n", "elections.0.seat"),
])
def test_unknown_keys_anywhere_in_a_session_file_are_errors_with_their_line(folder, old, new, field):
    key = field.rsplit(".", 1)[1]
    line = edit(folder / "session.yaml", old, new) + new[: re.search(rf"\b{key}:", new).start()].count("\n")
    problems = session_problems(folder)
    unknown = [p for p in problems if p.field == field]
    assert len(unknown) == 1 and unknown[0].line == line, problems
    assert "未知字段" in unknown[0].problem


def test_unknown_top_level_key_lists_the_known_ones(folder):
    text = (folder / "session.yaml").read_text(encoding="utf-8")
    (folder / "session.yaml").write_text(text + "extra_notes: 备注\n", encoding="utf-8")
    [problem] = session_problems(folder)
    assert problem.line == len(text.splitlines()) + 1 and "township" in problem.problem


@pytest.mark.parametrize("text, line, field", [
    ("votes:\n  agenda: {yes: 50, no: 3, abstain: 2, absent: 1}\n", 2, "votes.agenda.absent"),
    ("votes: {}\nelection:\n  x: {}\n", 2, "election"),
    ("elections:\n  vice-chair:\n    rounds:\n      - {kind: formal, ballots_issued: 1, ballots_returned: 1,"
     " ballots_void: 0, votes: {甲: 1}, blank: 0}\n", 4, "elections.vice-chair.rounds.0.blank"),
    ("elections:\n  vice-chair:\n    defer: true\n    rounds: []\n", 3, "elections.vice-chair.defer"),
])
def test_unknown_keys_in_a_tallies_file_are_errors(tmp_path, text, line, field):
    path = tmp_path / "tallies.yaml"
    path.write_text(text, encoding="utf-8")
    problems = problems_of(lambda: load_tallies(path))
    assert any(p.field == field and p.line == line and "未知字段" in p.problem for p in problems), problems


def test_a_key_given_twice_is_an_error_not_the_last_one_silently(folder, tmp_path):
    line = edit(folder / "session.yaml", "  closing_date: 2026-12-23\n",
                "  closing_date: 2026-12-23\n  closing_date: 2026-12-24\n") + 1
    [problem] = session_problems(folder)
    assert problem.line == line and "两次" in problem.problem
    path = tmp_path / "tallies.yaml"
    path.write_text("votes:\n  agenda: {yes: 50, no: 0, abstain: 0}\nvotes: {}\n", encoding="utf-8")
    [problem] = problems_of(lambda: load_tallies(path))
    assert problem.line == 3


# --- YAML anchors, aliases, depth ---------------------------------------------------------------


def test_yaml_aliases_and_anchors_are_refused_with_their_line(folder):
    edit(folder / "session.yaml", "  presidium: [", "  presidium: &p [")
    [problem] = session_problems(folder)
    assert "锚点" in problem.problem and problem.line is not None


def test_billion_laughs_refused_in_milliseconds(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "tallies.yaml"
    path.write_text("\n".join(lines) + "\nvotes: *a9\n", encoding="utf-8")
    start = time.perf_counter()
    [problem] = problems_of(lambda: load_tallies(path))
    assert time.perf_counter() - start < 0.5
    assert problem.line == 1 and "别名" in problem.problem


def test_deep_nesting_refused(tmp_path):
    path = tmp_path / "tallies.yaml"
    path.write_text("votes: " + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    [problem] = problems_of(lambda: load_tallies(path))
    assert "嵌套" in problem.problem


# --- shapes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "- votes: {}\n",  # a list at the top
    "just text\n",
    "votes: agenda\n",  # votes a string
    "votes: [1, 2]\n",
    "votes:\n  agenda: [50, 3, 2]\n",
    "votes:\n  agenda: 50\n",
    "elections: 3\n",
    "elections:\n  x: [1]\n",
    "elections:\n  x:\n    rounds: {kind: formal}\n",
    "elections:\n  x:\n    rounds: [1, two]\n",
    "elections:\n  x:\n    rounds:\n      - {kind: formal, ballots_issued: 1, ballots_returned: 1, ballots_void: 0, votes: [甲]}\n",
    "elections:\n  x:\n    rounds:\n      - {kind: [a], ballots_issued: x, ballots_returned: {}, ballots_void: 0, votes: {[1]: 1}}\n",
    "votes:\n  ? [a, b]\n  : {yes: 1}\n",  # an unhashable key
    "votes:\n  agenda: {yes: 2026-13-45, no: 0, abstain: 0}\n",  # a date YAML accepts, Python refuses
    "votes:\n  agenda: {yes: " + "9" * 5000 + ", no: 0, abstain: 0}\n",  # beyond Python's int digits
    "votes:\n  agenda: {yes: .inf, no: 0, abstain: 0}\n",
    "\x00\x01binary",
    "%YAML 1.1\n---\nvotes: {}\n---\nvotes: {}\n",  # two documents
])
def test_a_tallies_file_of_any_wrong_shape_is_a_chinese_problem(tmp_path, text):
    path = tmp_path / "tallies.yaml"
    path.write_text(text, encoding="utf-8")
    problems_of(lambda: load_tallies(path))


def test_a_session_file_that_is_a_list_or_has_wrong_shapes_is_a_chinese_problem(folder):
    session = folder / "session.yaml"
    session.write_text("- 1\n- 2\n", encoding="utf-8")
    session_problems(folder)
    shutil.copy(SAMPLE / "session.yaml", session)
    edit(session, "township:\n  code: qingshan", "township: [1]\nold:\n  code: qingshan")
    session_problems(folder)
    shutil.copy(SAMPLE / "session.yaml", session)
    edit(session, "officers:                        # 周建国 and 李文斌 are also deputies (QS003, QS037)\n",
         "officers: [1, [2], {name: [3]}]\nx_officers:\n")
    session_problems(folder)
    shutil.copy(SAMPLE / "session.yaml", session)
    edit(session, "  presidium: [QS001,", "  presidium: [{a: 1}, [QS001], true, 3.5, QS001,")
    session_problems(folder)


# --- bounds --------------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new, field", [
    ("  ordinal: 18\n", "  ordinal: 100000000000000000000\n", "term.ordinal"),
    ("  ordinal: 3\n", "  ordinal: -3\n", "session.ordinal"),
    ("  start_year: 2021\n", "  start_year: 99999\n", "term.start_year"),
    ("    seats: 1\n", "    seats: 1000000\n", "elections.0.seats"),
    ("    extra_candidates: 1\n", "    extra_candidates: -5\n", "elections.0.extra_candidates"),
    ("  closing_date: 2026-12-23\n", "  closing_date: 9999-12-31\n", "session.closing_date"),
    ("  name: 青山镇\n", "  name: " + "青" * 65 + "\n", "township.name"),
    ("  venue: 青山镇人民政府三楼大会议室\n", '  venue: "三楼\\n大会议室"\n', "session.venue"),
])
def test_numbers_dates_and_texts_of_a_session_file_are_bounded(folder, old, new, field):
    line = edit(folder / "session.yaml", old, new)
    problems = session_problems(folder)
    assert any(p.field == field and p.line == line for p in problems), problems


def test_texts_that_become_file_names_may_not_hold_path_separators(folder):
    edit(folder / "session.yaml", "resolution: 关于青山镇人民政府工作报告的决议",
         "resolution: ../../关于青山镇人民政府工作报告的决议")
    # (a vote by ballot naming that resolution is reported too: it no longer names a resolution)
    [problem] = [p for p in session_problems(folder) if p.field == "reports.0.resolution"]
    assert problem.field == "reports.0.resolution" and "文件名" in problem.problem
    roster = folder / "roster.csv"
    roster.write_text(roster.read_text(encoding="utf-8").replace("QS001,王建华", "QS001,../../王建华"),
                      encoding="utf-8")
    problems = problems_of(lambda: load_roster(roster))
    assert [p.line for p in problems] == [2]


def test_lists_are_bounded(folder, tmp_path):
    codes = ", ".join(["QS001"] * (limits.MAX_DEPUTIES + 1))
    edit(folder / "session.yaml", "  presidium: [QS001,", f"  presidium: [{codes}, QS001,")
    problems = session_problems(folder)
    assert any(p.field == "session.presidium" and "项目过多" in p.problem for p in problems)
    rounds = "".join("      - {kind: formal, ballots_issued: 1, ballots_returned: 1, ballots_void: 0, votes: {甲: 1}}\n"
                     for _ in range(limits.MAX_ELECTION_ROUNDS + 1))
    path = tmp_path / "tallies.yaml"
    path.write_text("elections:\n  x:\n    rounds:\n" + rounds, encoding="utf-8")
    [problem] = problems_of(lambda: load_tallies(path))
    assert "项目过多" in problem.problem and problem.line == 3
    names = ", ".join(f"候选人{i}: 1" for i in range(limits.MAX_CANDIDATES + 1))
    path.write_text("elections:\n  x:\n    rounds:\n      - {kind: formal, ballots_issued: 1, ballots_returned: 1, "
                    f"ballots_void: 0, votes: {{{names}}}}}\n", encoding="utf-8")
    [problem] = problems_of(lambda: load_tallies(path))
    assert "项目过多" in problem.problem


@pytest.mark.parametrize("text", [
    "votes:\n  agenda: {yes: 1001, no: 0, abstain: 0}\n",
    "votes:\n  agenda: {yes: 1, no: 0, abstain: -1}\n",
    "elections:\n  x:\n    rounds:\n      - {kind: formal, ballots_issued: 99999999999, ballots_returned: 1, "
    "ballots_void: 0, votes: {甲: 1}}\n",
    "elections:\n  x:\n    rounds:\n      - {kind: formal, ballots_issued: 1, ballots_returned: 1, ballots_void: 0, "
    "votes: {甲: 100000000}}\n",
    "elections:\n  x:\n    rounds:\n      - {kind: formal, ballots_issued: 1, ballots_returned: 1, ballots_void: 0, "
    "votes: {" + "甲" * 65 + ": 1}}\n",
])
def test_counts_and_names_of_a_tallies_file_are_bounded(tmp_path, text):
    path = tmp_path / "tallies.yaml"
    path.write_text(text, encoding="utf-8")
    problems_of(lambda: load_tallies(path))


def test_text_caps_fit_the_columns_they_are_stored_in():
    """A longer text would pass the loader and fail on PostgreSQL (varchar) with a traceback."""
    for key, cap in ROSTER_CHARS.items():
        column = {"phone": "contact", "group": "group_name"}.get(key, key)
        assert cap <= Deputy.__table__.c[column].type.length, key
    for key, cap in TOWNSHIP_CHARS.items():
        assert cap <= Township.__table__.c[key].type.length, key


def test_followup_csv_cells_and_numbers_are_bounded(tmp_path):
    path = tmp_path / "suggestions.csv"
    path.write_text("编号,标题,提出代表,承办单位,内容,提出日期\n"
                    f"B1,{'题' * 300},QS001,镇村建办,内容,2027-03-01\n"
                    "B2,标题,QS001,../../etc,内容,9999-01-01\n", encoding="utf-8")
    problems = problems_of(lambda: load_rows(path, SUGGESTION_COLUMNS, {"QS001"}))
    assert sorted(p.line for p in problems) == [2, 3, 3]
    path.write_text("编号,代表编号,日期,参加选民人数\nV1,QS001,2027-03-01,²\nV2,QS001,2027-03-01,99999999999\n",
                    encoding="utf-8")
    problems = problems_of(lambda: load_rows(path, VOTER_REPORT_COLUMNS, {"QS001"}))
    assert sorted(p.line for p in problems) == [2, 3]
    path.write_text("编号,收到日期,方式,来信来访人,事由\nP1,2027-03-01,来信,张三\x07,事由\n", encoding="utf-8")
    [problem] = problems_of(lambda: load_rows(path, PETITION_COLUMNS, set()))
    assert problem.line == 2 and "控制字符" in problem.problem


def test_csv_with_a_huge_cell_or_too_many_rows_is_refused_with_a_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("代表编号,姓名,代表小组\nQS001,\"" + "长" * 140_000 + "\",第一组\n", encoding="utf-8")
    [problem] = problems_of(lambda: load_roster(path))
    assert problem.line is not None
    rows = "".join(f"QS{i:04d},代表{i},第一组\n" for i in range(limits.MAX_DEPUTIES + 1))
    path.write_text("代表编号,姓名,代表小组\n" + rows, encoding="utf-8")
    [problem] = problems_of(lambda: load_roster(path))
    assert "行数过多" in problem.problem


def test_attendance_missing_everyone_is_summarised(tmp_path):
    path = tmp_path / "attendance.csv"
    path.write_text("代表编号,出席情况\n", encoding="utf-8")
    roster = {f"QS{i:03d}": f"代表{i}" for i in range(60)}
    problems = problems_of(lambda: load_attendance(path, roster))
    assert len(problems) == 21 and "40名代表" in problems[-1].problem


# --- mixed encodings -----------------------------------------------------------------------------


def test_gbk_roster_with_one_utf8_row_is_refused_naming_the_line(tmp_path):
    lines = GBK_ROSTER.read_bytes().split(b"\r\n")
    lines[7] = lines[7].decode("gbk").encode("utf-8")  # line 8, pasted from a UTF-8 file
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\r\n".join(lines))
    [problem] = problems_of(lambda: load_roster(path))
    assert problem.line == 8 and "UTF-8" in problem.problem and "GBK" in problem.problem


def test_utf8_roster_with_gbk_rows_is_refused_naming_the_lines(tmp_path):
    lines = (SAMPLE / "roster.csv").read_bytes().split(b"\n")
    for index in (3, 40):
        lines[index] = lines[index].decode("utf-8").encode("gbk")
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    problems = problems_of(lambda: load_roster(path))
    assert [p.line for p in problems] == [4, 41]


def test_whole_gbk_and_gb18030_rosters_still_load(tmp_path):
    assert load_roster(GBK_ROSTER).encoding == "gbk"
    path = tmp_path / "roster.csv"
    path.write_bytes((SAMPLE / "roster.csv").read_text(encoding="utf-8").replace("王建华", "王建华㐀").encode("gb18030"))
    assert load_roster(path).rows[0].name == "王建华㐀"
