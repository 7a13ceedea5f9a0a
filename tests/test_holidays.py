"""Holidays by notice (issue 15, item 3): a year's arrangement added from the State Council's notice wins
over chinese-calendar, a deadline in a year nobody covers says how to add it, and a deadline moves when
the year's file is added. tests/data/holidays/2027.yaml is a test fixture, not the 2027 arrangement."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from congress import holidays, rules
from congress.errors import InputError
from congress.profiles import Citation

FIXTURE = Path(__file__).parent / "data" / "holidays" / "2027.yaml"
CC_203 = Citation.parse("civil-code-periods.md 第二百零三条")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty config/holidays/ of the test's own."""
    path = tmp_path / "holidays"
    path.mkdir()
    monkeypatch.setattr(holidays, "HOLIDAYS_DIR", path)
    return path


def test_the_project_ships_no_arrangement_it_does_not_have_the_notice_of():
    assert sorted(p.name for p in holidays.HOLIDAYS_DIR.iterdir()) == ["README.md"]
    assert holidays.arrangements() == {}
    assert holidays.is_rest_day(date(2027, 1, 1)) is None  # not guessed


def test_a_deadline_moves_when_the_years_file_is_added(folder):
    # three months after 1 October 2026 ends on 1 January 2027: a holiday, if 2027 were known
    before = rules.period_end(date(2026, 10, 1), 3, holidays.is_rest_day, CC_203)
    assert before.year_unknown and before.due == date(2027, 1, 1)
    assert "2027年的节假日安排尚未收录" in before.note and "congress holidays add 2027" in before.note
    added = holidays.add_year(2027, FIXTURE)
    assert added.path == folder / "2027.yaml" and len(added.holidays) == 10 and len(added.workdays) == 1
    after = rules.period_end(date(2026, 10, 1), 3, holidays.is_rest_day, CC_203)
    assert not after.year_unknown and after.due == date(2027, 1, 4) and after.extended  # past 元旦 and the weekend
    assert holidays.holiday_name(date(2027, 2, 8)) == "春节"
    assert holidays.is_workday(date(2027, 2, 13)) is True  # a Saturday worked (调休)
    assert holidays.is_rest_day(date(2027, 3, 6)) is True and holidays.is_rest_day(date(2027, 3, 8)) is False
    assert holidays.known_years()[1] == 2027


def test_the_projects_file_wins_over_the_package_for_its_year(folder):
    assert holidays.is_rest_day(date(2026, 1, 1)) is True  # the package: 元旦
    text = FIXTURE.read_text(encoding="utf-8").replace("2027", "2026").replace("〔2026〕", "〔2025〕")
    (folder / "2026.yaml").write_text(text.replace("2026-02-13", "2026-02-14"), encoding="utf-8")  # a Saturday
    assert holidays.is_rest_day(date(2026, 2, 9)) is True  # the file's 春节 (a Monday)
    assert holidays.is_rest_day(date(2026, 2, 23)) is False  # the package's 春节 ends then; the file's does not
    assert holidays.source_of(2026)["kind"] == "notice"
    (folder / "2026.yaml").unlink()
    assert holidays.is_rest_day(date(2026, 2, 23)) is True and holidays.source_of(2026)["kind"] == "package"


def test_a_new_years_holiday_may_begin_in_the_december_before(folder):
    text = FIXTURE.read_text(encoding="utf-8").replace("from: 2027-01-01", "from: 2026-12-31")
    (folder / "2027.yaml").write_text(text, encoding="utf-8")
    assert holidays.is_rest_day(date(2026, 12, 31)) is True and holidays.holiday_name(date(2026, 12, 31)) == "元旦"
    runs, _ = holidays.year_days(2027)
    assert runs[0] == ("元旦", date(2026, 12, 31), date(2027, 1, 3))


@pytest.mark.parametrize(("change", "line", "words"), [
    (("number: 国办发明电〔2026〕99号", "number: 国办发明电[2026]99号"), 7, "六角括号"),
    (("  - date: 2027-02-13", "  - date: 2027-02-15"), 16, "周六或周日"),
    (("    to: 2027-02-12", "    to: 2027-01-02"), 14, "结束日期"),
    (("year: 2027", "year: 2028"), 4, "2028"),
    (("    note: 春节调休（测试）", "    memo: 春节调休"), 17, "memo"),
    (("    from: 2027-02-06\n    to: 2027-02-12", "    from: 2027-01-03\n    to: 2027-01-05"), 12, "重复"),
])
def test_a_wrong_file_is_refused_with_its_line(folder, tmp_path, change, line, words):
    bad = tmp_path / "2027.yaml"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        holidays.add_year(2027, bad)
    assert any(p.line == line and words in p.problem for p in caught.value.problems), caught.value
    assert not (folder / "2027.yaml").exists()


def test_the_commands(folder):
    runner = CliRunner()
    shown = runner.invoke(app, ["holidays", "show", "2027"])
    assert shown.exit_code == 0 and "congress holidays add 2027" in shown.output
    added = runner.invoke(app, ["holidays", "add", "2027", str(FIXTURE)])
    assert added.exit_code == 0 and "国办发明电〔2026〕99号" in added.output, added.output
    shown = runner.invoke(app, ["holidays", "show", "2027"])
    assert shown.exit_code == 0 and "元旦：2027-01-01至2027-01-03，共3天" in shown.output
    assert "调休上班：2027-02-13（周六）" in shown.output
    changed = folder.parent / "other.yaml"
    changed.write_text(FIXTURE.read_text(encoding="utf-8").replace("to: 2027-02-12", "to: 2027-02-11"),
                       encoding="utf-8")
    refused = runner.invoke(app, ["holidays", "add", "2027", str(changed)])
    assert refused.exit_code == 1 and "--replace" in refused.output
    assert runner.invoke(app, ["holidays", "add", "2027", str(changed), "--replace"]).exit_code == 0
    assert holidays.is_rest_day(date(2027, 2, 12)) is False  # read again after the replacement
    assert runner.invoke(app, ["holidays", "show", "2026"]).output.startswith("2026年节假日安排：chinese-calendar")


def test_the_fixture_is_marked_as_one():
    text = FIXTURE.read_text(encoding="utf-8")
    assert "TEST FIXTURE ONLY" in text and "测试用虚构数据" in text
