"""The 选举办法 is adopted by the congress before its election (LOL 第三十条), the 计票报告 lists each
candidate's 赞成/反对/弃权 in 姓氏笔画 order, a write-in for 主席/副主席 names only a deputy (第十八条), and a
person is named by the office they report in. Against the database (SQLite and PostgreSQL) and the
rendered .docx."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from docx import Document as Docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import workbooks
from congress.audit.verify import verify
from congress.errors import InputError
from congress.inputs import load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.context import office_of
from congress.lifecycle.steps import next_step, run_step
from congress.models import AgendaItem, Election, Vote
from congress.settings import Settings
from tests.conftest import SAMPLE
from tests.test_lifecycle import KEY, advance, give_all_inputs

SUBJECT = "补选青山镇人民代表大会副主席的办法"


def docx_text(path: Path) -> str:
    doc = Docx(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def folder(settings: Settings, step: str) -> Path:
    return settings.output_dir / KEY / step


def tallies_with(tmp_path: Path, measures: str, *, rounds: bool = True) -> Path:
    text = (SAMPLE / "tallies.yaml").read_text(encoding="utf-8")
    text = re.sub(r"  election-measures-vice-chair: \{[^}]*\}", f"  election-measures-vice-chair: {measures}", text)
    if not rounds:
        text = text.split("elections:")[0]
    path = tmp_path / "tallies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_election_has_its_measures_vote_and_agenda_item_before_it(db: Session, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    vote = db.scalar(select(Vote).where(Vote.session_id == session.id, Vote.key == "election-measures-vice-chair"))
    assert vote is not None and vote.stage == "plenary" and vote.subject == SUBJECT
    items = [(a.title, a.kind, a.ref_key) for a in db.scalars(
        select(AgendaItem).where(AgendaItem.session_id == session.id).order_by(AgendaItem.position))]
    measures = items.index((f"表决通过{SUBJECT}", "vote", "election-measures-vice-chair"))
    assert items[measures + 1] == ("补选青山镇人民代表大会副主席", "election", "vice-chair")


def test_adopted_measures_carry_the_sitting_and_the_draft_says_draft(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    assert advance(db, settings)[-1] == ("followup", "done")
    out = folder(settings, "08-votes-elections")
    draft = docx_text(out / "选举办法（草案）-补选副主席.docx")
    adopted = docx_text(out / "选举办法-补选副主席.docx")
    assert "（草案）" in draft and "通过）" not in draft
    # adopted at the 第二次全体会议 (12月23日), the last plenary sitting: the election names none
    assert "（2026年12月23日青山镇第十八届人民代表大会第三次会议通过）" in adopted
    assert "（草案）" not in adopted
    script = docx_text(out / "大会主持词.docx")
    assert script.index(f"表决《{SUBJECT}（草案）》") < script.index("依照大会通过的选举办法")
    assert script.count("依照大会通过的选举办法") == 1


def test_rejected_measures_hold_no_election(db: Session, load_sample, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session, tallies=tallies_with(tmp_path, "{yes: 30, no: 20, abstain: 6}", rounds=False))
    steps = advance(db, settings)
    assert ("votes_elections", "done") in steps
    run_message = ops.step_run(db, session, "votes_elections", 7).message
    assert run_message == f"《{SUBJECT}》未获通过（赞成30票，须31票），本次会议不进行补选青山镇人民代表大会副主席"
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    assert election.status == "not_held" and election.elected == []
    out = folder(settings, "08-votes-elections")
    names = {p.name for p in out.iterdir()}
    assert "选举办法（草案）-补选副主席.docx" in names
    assert not {n for n in names if n.startswith(("当选公告", "计票报告", "选举办法-"))}
    script = docx_text(out / "大会主持词.docx")
    assert f"由于《{SUBJECT}》未获通过，本次会议不进行补选青山镇人民代表大会副主席。" in script
    assert "依照大会通过的选举办法" not in script and "当选为" not in script
    db.expire_all()
    result = verify(db, session_key=KEY, check_files=False)
    assert result.ok, "\n".join(str(f) for f in result.findings)


def test_verify_reports_anyone_elected_without_adopted_measures(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    vote = db.scalar(select(Vote).where(Vote.session_id == session.id, Vote.key == "election-measures-vice-chair"))
    vote.passed = False  # what an edit of the database would leave
    db.flush()
    db.expire_all()
    found = "\n".join(str(f) for f in verify(db, session_key=KEY, check_files=False).findings)
    assert f"青山镇人民代表大会副主席：有人当选，但其选举办法《{SUBJECT}》未获通过" in found


def test_ballots_for_an_election_whose_measures_failed_block_the_step(db: Session, load_sample, settings,  # type: ignore[no-untyped-def]
                                                                      tmp_path) -> None:
    session = load_sample()
    give_all_inputs(db, session, tallies=tallies_with(tmp_path, "{yes: 30, no: 20, abstain: 6}"))
    steps = advance(db, settings)
    assert steps[-1] == ("votes_elections", "blocked")
    run = ops.step_run(db, session, "votes_elections", 7)
    assert run.evidence["rule"] == "election_measures"
    assert "第三十条" in run.evidence["citation"]
    assert "不得进行补选青山镇人民代表大会副主席" in run.message
    assert not (folder(settings, "08-votes-elections") / "当选公告-补选副主席.docx").exists()


def test_measures_wait_for_their_tally(db: Session, load_sample, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    text = (SAMPLE / "tallies.yaml").read_text(encoding="utf-8")
    path = tmp_path / "tallies.yaml"
    path.write_text(re.sub(r"  election-measures-vice-chair: \{[^}]*\}\n", "", text), encoding="utf-8")
    give_all_inputs(db, session, tallies=path)
    assert advance(db, settings)[-1] == ("votes_elections", "waiting")
    assert SUBJECT in ops.step_run(db, session, "votes_elections", 7).message
    assert not (folder(settings, "08-votes-elections") / "计票报告-补选副主席-第1轮.docx").exists()


def test_count_report_lists_candidates_by_strokes_with_against_and_abstain(db: Session, load_sample,  # type: ignore[no-untyped-def]
                                                                           settings) -> None:
    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    doc = Docx(str(folder(settings, "08-votes-elections") / "计票报告-补选副主席-第1轮.docx"))
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert rows[0][:4] == ["候选人", "赞成票", "反对票", "弃权票"]
    # 刘 (6 strokes) before 陈 (7): the order the report says, not the order of the votes
    assert [r[:4] for r in rows[1:]] == [["刘志强", "14", "30", "11"], ["陈晓梅", "41", "9", "5"]]


def write_tallies(tmp_path: Path, round_extra: str) -> Path:
    path = tmp_path / "tallies.yaml"
    path.write_text("elections:\n  vice-chair:\n    rounds:\n"
                    "      - {kind: formal, ballots_issued: 56, ballots_returned: 56, ballots_void: 1,\n"
                    f"         votes: {{陈晓梅: 41, 刘志强: 14}}{round_extra}}}\n", encoding="utf-8")
    return path


def test_marks_beyond_the_valid_ballots_are_refused_with_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = load_tallies(write_tallies(tmp_path, ", against: {陈晓梅: 9}, abstain: {陈晓梅: 5}"))
    rnd = ok.elections["vice-chair"].rounds[0]
    assert rnd.against == {"陈晓梅": 9} and rnd.abstain == {"陈晓梅": 5}
    # 41 + 10 + 5 = 56 > 55 valid ballots
    with pytest.raises(InputError) as exc:
        load_tallies(write_tallies(tmp_path, ", against: {陈晓梅: 10}, abstain: {陈晓梅: 5}"))
    (problem,) = exc.value.problems
    assert problem.file.endswith("tallies.yaml") and problem.line == 5
    assert "陈晓梅的赞成41票、反对10票、弃权5票合计56票，多于本轮有效票55张" in problem.problem
    with pytest.raises(InputError) as exc:
        load_tallies(write_tallies(tmp_path, ", against: {王五: 1}"))
    assert "“王五”不在本轮的候选人" in str(exc.value)


def test_marks_are_recorded_audited_and_equal_rounds_stay_unchanged(db: Session, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    counts = {c.name: (c.votes, c.against, c.abstain) for c in election.rounds[0].counts}
    assert counts == {"陈晓梅": (41, 9, 5), "刘志强": (14, 30, 11)}
    values = ops.election_values(election)["rounds"][0]
    assert values["against"] == {"陈晓梅": 9, "刘志强": 30} and values["abstain"] == {"陈晓梅": 5, "刘志强": 11}


@pytest.mark.parametrize(("occupation", "office"), [
    ("青山镇人民代表大会主席", "镇人大主席"), ("青山镇人民代表大会副主席", "镇人大副主席"),
    ("青山镇人民政府镇长", "镇长"), ("青山镇人民政府副镇长", "副镇长"), ("中共青山镇委员会书记", "镇党委书记"),
    ("上坪村党组织书记", "代表"), ("", "代表"),
])
def test_a_person_is_named_by_their_office(occupation: str, office: str) -> None:
    assert office_of("某某", township_name="青山镇", officers={}, occupations={"某某": occupation}) == office
    # an officer's title as the session file gives it comes first
    assert office_of("某某", township_name="青山镇", officers={"某某": "财政所所长"},
                     occupations={"某某": occupation}) == "财政所所长"


def test_the_chair_reports_as_township_congress_chair(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    root = settings.output_dir / KEY
    texts = {p.name: docx_text(p) for p in [root / "01-plan/会议方案.docx", root / "08-votes-elections/大会主持词.docx",
                                          root / "09-resolutions/会议公报.docx",
                                          root / "09-resolutions/关于青山镇人民代表大会主席团工作报告的决议.docx",
                                          root / "07-reports/审议意见-主席团工作报告.docx"]}
    for name, text in texts.items():
        assert "代表王建华" not in text, name
        assert "镇人大主席王建华" in text, name


def test_write_ins_for_chair_offices_name_only_deputies(db: Session, load_sample, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    out = folder(settings, "08-votes-elections")
    measures = docx_text(out / "选举办法-补选副主席.docx")
    assert "可以另选其他代表，也可以弃权" in measures and "选民" not in measures
    assert "另选的人应当是本届青山镇人民代表大会代表" in docx_text(out / "选票-补选副主席-第1轮.docx")


def test_write_ins_for_government_posts_may_name_any_voter(db: Session, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "first"
    shutil.copytree(SAMPLE.parent / "sample-first-term", first)
    spec = load_session_file(first / "session.yaml")
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    give_all_inputs(db, session, tallies=first / "tallies.yaml", attendance=first / "attendance.csv")
    key = session.key
    while (step := next_step(db, key)) is not None:
        if run_step(db, key, step, actor="test", settings=settings).status != "done":
            break
    out = settings.output_dir / key / "08-votes-elections"
    assert "可以另选其他任何代表或者选民" in docx_text(out / "选举办法-选举镇长.docx")
    assert "可以另选其他代表，也可以弃权" in docx_text(out / "选举办法-选举主席.docx")
    # each of the four elections adopted its own measures at the 第二次全体会议 (2026-12-30)
    for name in ("选举主席", "选举副主席", "选举镇长", "选举副镇长"):
        assert "（2026年12月30日青山镇第十九届人民代表大会第一次会议通过）" in docx_text(out / f"选举办法-{name}.docx")


def test_marks_come_from_the_tallies_workbook_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = workbooks.SessionData(votes=[], elections=[("vice-chair", "青山镇人民代表大会副主席", ["陈晓梅", "刘志强"])])
    path = tmp_path / "计票.xlsx"
    path.write_bytes(workbooks.template("tallies", session=data))
    wb = openpyxl.load_workbook(path)
    [name] = [n for n in wb.sheetnames if n.endswith("第1轮")]
    rnd = wb[name]
    assert [rnd.cell(10, c).value for c in range(1, 6)][3:] == ["反对票", "弃权票"]
    for label_row, value in ((6, 56), (7, 56), (8, 1)):
        rnd.cell(label_row, 2, value)
    for row, marks in ((11, (41, 9, 5)), (12, (14, 30, 11))):
        rnd.cell(row, 2, marks[0]), rnd.cell(row, 4, marks[1]), rnd.cell(row, 5, marks[2])
    wb.save(path)
    have = load_tallies(path).elections["vice-chair"].rounds[0]
    assert have.against == {"陈晓梅": 9, "刘志强": 30} and have.abstain == {"陈晓梅": 5, "刘志强": 11}
    rnd.cell(12, 4, 31)  # 14 + 31 + 11 = 56 > 55 valid ballots
    wb.save(path)
    with pytest.raises(InputError) as exc:
        load_tallies(path)
    (problem,) = exc.value.problems
    assert "第12行" in str(problem) and "刘志强的赞成14票、反对31票、弃权11票合计56票" in str(problem)
