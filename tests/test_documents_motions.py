"""The motions' papers, the draft resolutions and their 请示, the vote ballots, the constitutional oath, the
suggestions' register and the election results reported to the county (congress/lifecycle/papers.py):
the facts each document states, from the sample session run through the core (SQLite and PostgreSQL), and
the session file's checks on motions and ballot votes."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.audit.verify import verify
from congress.documents.builder import cn_date
from congress.errors import InputError
from congress.inputs import load_session_file
from congress.lifecycle.outcome import finalize
from congress.lifecycle.papers import planned_agenda, planned_votes, refer_motions
from congress.lifecycle.steps import STEPS
from congress.models import Document, Suggestion, Vote
from tests.conftest import SAMPLE
from tests.rendered_session import docx_text
from tests.test_lifecycle import KEY, advance, give_all_inputs

MOTION = "关于加快青山镇集镇污水管网改造的议案"
SPONSORS = ["姚红梅", "范建中", "夏玉珍", "廖志勇", "万家明"]  # QS050, QS051, QS053, QS054, QS057
DRAFTS = ["关于青山镇人民政府工作报告的决议", "关于青山镇2026年财政预算执行情况和2027年财政预算的决议",
          "关于青山镇人民代表大会主席团工作报告的决议"]
NUMBER = re.compile(r"青人〔2026〕(\d+)号")


@pytest.fixture
def completed(db: Session, load_sample, settings):  # type: ignore[no-untyped-def]
    """The sample session run through all ten steps; its output folder."""
    session = load_sample()
    give_all_inputs(db, session)
    assert advance(db, settings) == [(s, "done") for s in STEPS]
    return session


def _doc(db: Session, session, kind: str) -> list[Path]:  # type: ignore[no-untyped-def]
    rows = db.scalars(select(Document).where(Document.session_id == session.id, Document.kind == kind)
                      .order_by(Document.path)).all()
    return [Path(session.output_dir) / d.path for d in rows]


def _one(db: Session, session, kind: str) -> str:  # type: ignore[no-untyped-def]
    paths = _doc(db, session, kind)
    assert len(paths) == 1, (kind, paths)
    return docx_text(paths[0])


def _motion_register_and_the_presidiums_report_name_the_motion_its_sponsors_and_handling(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    register = _one(db, completed, "motion_register")
    assert MOTION in register and all(name in register for name in SPONSORS)
    assert "（共5名）" in register and "作为建议交青山镇人民政府办理" in register
    assert "第二十二条" in register and "2026年12月22日" in register
    report = _one(db, completed, "motion_handling_report")
    assert f"《{MOTION}》（姚红梅等5名代表提出）" in report
    assert "不列入本次会议议程，作为代表建议交青山镇人民政府研究办理" in report
    assert "议案1件" in report and "列入本次会议议程的议案" not in report


def _the_presidiums_report_on_motions_is_voted_and_counted_like_any_vote(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    vote = db.scalar(select(Vote).where(Vote.session_id == completed.id, Vote.key == "motion-handling"))
    assert vote is not None and vote.stage == "plenary" and vote.method == "show_of_hands"
    assert (vote.yes, vote.no, vote.abstain, vote.required, vote.passed) == (55, 0, 1, 31, True)
    assert "表决主席团关于代表议案处理意见的报告" in [a.title for a in completed.agenda_items]
    results = _one(db, completed, "vote_results")
    assert "主席团关于代表议案处理意见的报告" in results
    script = _one(db, completed, "plenary_script")
    assert "表决《主席团关于代表议案处理意见的报告》" in script
    assert "报告已经主席团会议通过" in script
    assert "赞成55票，反对0票，弃权1票。赞成票超过全体代表的半数，《主席团关于代表议案处理意见的报告》通过" in script
    outcome = finalize(db, KEY, actor="test", settings=settings)
    [recorded] = [v for v in outcome["votes"] if v["key"] == "motion-handling"]
    assert recorded["passed"] is True and recorded["yes"] == 55
    assert verify(db, session_key=KEY).ok


def _draft_resolutions_and_the_request_for_the_party_committees_agreement(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    drafts = _doc(db, completed, "resolution_draft")
    assert sorted(p.stem for p in drafts) == sorted(f"{t}（草案）" for t in DRAFTS)
    assert all(p.parent.name == "07-reports" for p in drafts)
    for path in drafts:
        text = docx_text(path)
        assert text.startswith(path.stem.removesuffix("（草案）") + "（草案）") and "通过）" not in text
    adopted = _doc(db, completed, "resolution")
    assert sorted(p.stem for p in adopted) == sorted(DRAFTS)
    for path in adopted:
        # the title, then its 题注 (the budget report's own title says “（草案）” further on)
        assert docx_text(path).startswith(f"{path.stem}（2026年12月23日青山镇第十八届人民代表大会第三次会议通过）")

    request = _one(db, completed, "resolutions_request")
    assert request.startswith("青山镇人民代表大会主席团文件")  # the sample asks for a 版头 on 请示
    number = NUMBER.search(request)
    first = NUMBER.search(_one(db, completed, "party_request"))
    assert number and first and number.group(1) != first.group(1)  # its own number from the register
    assert "签发人：王建华" in request and "（联系人：林晓红，联系电话：0570-8612345）" in request
    assert "关于青山镇第十八届人民代表大会第三次会议决议草案的请示" in request
    assert "中共青山镇委员会：" in request and "以上请示妥否，请批示。" in request
    assert "附件：1." + DRAFTS[0] + "（草案）" in request
    for i, title in enumerate(DRAFTS, start=1):
        assert f"{i}.{title}（草案）" in request
    assert "2026年12月22日" in request


def _vote_ballot_lists_the_votes_by_secret_ballot_and_the_script_takes_them_so(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    methods = dict(db.execute(select(Vote.key, Vote.method).where(Vote.session_id == completed.id)).all())
    assert {k for k, m in methods.items() if m == "ballot"} == {
        "resolution-government-work", "resolution-budget", "resolution-presidium"}
    ballot = _one(db, completed, "vote_ballot")
    assert "表决票" in ballot and "（2026年12月23日）" in ballot  # the last plenary sitting votes
    for i, title in enumerate(DRAFTS, start=1):
        assert f"{i}{title}（草案）" in ballot
    assert "主席团关于代表议案处理意见的报告" not in ballot  # taken by a show of hands
    assert "赞成反对弃权" in ballot.replace("序号表决事项", "")
    script = _one(db, completed, "plenary_script")
    # one 表决票 for the three: handed out and cast once, at the first of them
    assert script.count("现在分发表决票") == 1 and script.count("这项已在表决票上一并投票") == 2
    assert (f"这项和《{DRAFTS[1]}（草案）》、《{DRAFTS[2]}（草案）》的表决采用无记名投票方式，印在同一份表决票上"
            in script)
    assert script.count("赞成的请举手") == 2  # the 选举办法 and the presidium's report on the motions
    assert f"表决《{DRAFTS[0]}（草案）》" in script and f"《{DRAFTS[0]}》通过" in script


def _those_elected_take_the_constitutional_oath(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    oath = _one(db, completed, "oath")
    assert "宪法宣誓仪式程序" in oath and "（2026年12月23日）" in oath
    assert "宣誓人（2026年12月23日当选）：青山镇人民代表大会副主席陈晓梅。" in oath
    assert "刘志强" not in oath
    assert "《全国人民代表大会常务委员会关于实行宪法宣誓制度的决定》" in oath
    assert ("我宣誓：忠于中华人民共和国宪法，维护宪法权威，履行法定职责，忠于祖国、忠于人民，恪尽职守、廉洁奉公，"
            "接受人民监督，为建设富强民主文明和谐美丽的社会主义现代化强国努力奋斗！") in oath
    script = _one(db, completed, "plenary_script")
    elected = script.index("当选为青山镇人民代表大会副主席。（鼓掌）")
    ceremony = script.index("下面，举行宪法宣誓仪式。")
    assert elected < ceremony < script.index("闭幕！")
    assert "请新当选的青山镇人民代表大会副主席陈晓梅同志进行宪法宣誓" in script


def _suggestion_register_lists_every_suggestion_of_the_session(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    register = _one(db, completed, "suggestion_register")
    for code in (f"J00{i}" for i in range(1, 9)):
        assert code in register
    assert "关于修缮上坪村至桐坞村村道的建议" in register and "镇农业农村办" in register
    assert "建议、批评和意见8件" in register and "2026年12月23日" in register


def _election_results_are_reported_to_the_county(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    report = _one(db, completed, "election_report")
    assert "关于青山镇第十八届人民代表大会第三次会议选举结果的报告" in report
    assert "云溪县人民代表大会常务委员会：" in report
    # the sample prints no 版头 on a 报告 (township.letterhead): the number heads the page, no 签发人 line
    assert NUMBER.match(report) and "签发人" not in report
    assert report.endswith("（联系人：林晓红，联系电话：0570-8612345）")
    assert "2026年12月23日，会议补选青山镇人民代表大会副主席1名，发出选票56张，收回选票56张。" in report
    assert "陈晓梅获得赞成票41票，超过全体代表的半数，当选为青山镇人民代表大会副主席。" in report
    assert "陈晓梅女1982年5月青山镇人民代表大会副主席41" in report
    assert "特此报告。" in report


def _the_referred_motion_is_handed_over_and_tracked_as_a_suggestion(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    """Referred to the government (step 7), the motion is handed over at step 10 like any suggestion: a 交办函
    to its office, a reply due date, a deadline on the calendar."""
    sg = db.scalar(select(Suggestion).where(Suggestion.session_id == completed.id, Suggestion.code == "YA001"))
    assert sg is not None and (sg.title, sg.office, sg.state) == (MOTION, "青山镇人民政府", "handed_over")
    assert sg.proposers == ["QS050", "QS051", "QS053", "QS054", "QS057"]
    assert sg.handed_over_on == date(2027, 1, 5) and sg.due_on is not None and sg.due_on > sg.handed_over_on
    [letter] = [p for p in _doc(db, completed, "handover_letter") if p.name == "交办函-青山镇人民政府.docx"]
    text = docx_text(letter)
    assert "<< 青山镇人民政府：" not in text and "青山镇人民政府：" in text and MOTION in text and "YA001" in text
    assert "姚红梅等5名代表依法联名提出的议案" in text and "代表议案转建议" in text
    assert "现将其中1件交由你单位办理" in text and cn_date(sg.due_on) in text
    ics = "".join(p.read_text(encoding="utf-8") for p in Path(completed.output_dir).rglob("*.ics"))
    assert MOTION in ics
    # the step is re-runnable: a second pass adds no second suggestion
    assert refer_motions(SimpleNamespace(session=completed, db=db)) == []  # type: ignore[arg-type]


def _the_communique_states_the_motions_report_vote(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    text = _one(db, completed, "communique")
    assert "会议经表决，通过了《主席团关于代表议案处理意见的报告》（赞成55票，反对0票，弃权1票）。" in text
    assert f"《{MOTION}》不列入本次会议议程，作为代表建议交青山镇人民政府研究办理。" in text
    assert "代表们提出建议、批评和意见8件" in text


def test_the_papers_of_the_sample_session(db: Session, completed, settings) -> None:  # type: ignore[no-untyped-def]
    """One run of the sample session (about 10 s) checked by each part below."""
    _motion_register_and_the_presidiums_report_name_the_motion_its_sponsors_and_handling(db, completed, settings)
    _the_presidiums_report_on_motions_is_voted_and_counted_like_any_vote(db, completed, settings)
    _draft_resolutions_and_the_request_for_the_party_committees_agreement(db, completed, settings)
    _vote_ballot_lists_the_votes_by_secret_ballot_and_the_script_takes_them_so(db, completed, settings)
    _those_elected_take_the_constitutional_oath(db, completed, settings)
    _suggestion_register_lists_every_suggestion_of_the_session(db, completed, settings)
    _election_results_are_reported_to_the_county(db, completed, settings)
    _the_referred_motion_is_handed_over_and_tracked_as_a_suggestion(db, completed, settings)
    _the_communique_states_the_motions_report_vote(db, completed, settings)


# --- the session file ---------------------------------------------------------------------------


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_sample_motion_is_referred_and_its_votes_planned() -> None:
    spec = load_session_file(SAMPLE / "session.yaml")
    assert [(m["handling"], m["office"]) for m in spec.motions] == [("refer", "青山镇人民政府")]
    assert planned_votes(spec.motions) == [("motion-handling", "主席团关于代表议案处理意见的报告", "plenary")]
    assert spec.session["ballot_votes"] == ["resolution-government-work", "resolution-budget",
                                            "resolution-presidium"]
    listed = [{**spec.motions[0], "handling": "agenda", "office": ""}]
    assert planned_votes(listed)[1] == ("motion-1", MOTION, "plenary")
    assert planned_agenda(listed) == [(f"审议{MOTION}", "vote", "motion-1"),
                                      ("表决主席团关于代表议案处理意见的报告", "vote", "motion-handling")]


def test_unknown_motion_handling_is_refused_with_its_field(sample_dir: Path) -> None:
    _edit(sample_dir / "session.yaml", "handling: refer,", "handling: later,")
    with pytest.raises(InputError) as exc:
        load_session_file(sample_dir / "session.yaml")
    text = str(exc.value)
    assert "“later”不是议案的处理方式" in text and "motions" in text and "handling" in text


def test_a_motion_on_the_agenda_has_no_office(sample_dir: Path) -> None:
    _edit(sample_dir / "session.yaml", "handling: refer,", "handling: agenda,")
    with pytest.raises(InputError) as exc:
        load_session_file(sample_dir / "session.yaml")
    assert "列入大会议程的议案由大会审议" in str(exc.value)


def test_ballot_votes_must_be_votes_of_the_session(sample_dir: Path) -> None:
    _edit(sample_dir / "session.yaml", "ballot_votes: [resolution-government-work,",
          "ballot_votes: [agenda, resolution-government-work,")
    with pytest.raises(InputError) as exc:
        load_session_file(sample_dir / "session.yaml")
    text = str(exc.value)
    assert "“agenda”不是本次会议可以无记名投票表决的事项" in text and "motion-handling" in text


def test_a_motion_put_on_the_agenda_is_voted_on_at_the_session(db: Session, settings, sample_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from congress.lifecycle import operations as ops

    _edit(sample_dir / "session.yaml", "handling: refer,\n     office: 青山镇人民政府}", "handling: agenda}")
    _edit(sample_dir / "tallies.yaml", "  motion-handling: {yes: 55, no: 0, abstain: 1}\n",
          "  motion-handling: {yes: 55, no: 0, abstain: 1}\n  motion-1: {yes: 50, no: 2, abstain: 4}\n")
    session, _ = ops.load_session(db, spec=load_session_file(sample_dir / "session.yaml"), actor="test",
                                  output_root=settings.output_dir)
    assert [a.title for a in session.agenda_items][-2:] == [f"审议{MOTION}", "表决主席团关于代表议案处理意见的报告"]
    give_all_inputs(db, session, tallies=sample_dir / "tallies.yaml")
    assert advance(db, settings) == [(s, "done") for s in STEPS]
    vote = db.scalar(select(Vote).where(Vote.session_id == session.id, Vote.key == "motion-1"))
    assert vote is not None and (vote.subject, vote.yes, vote.passed) == (MOTION, 50, True)
    report = _one(db, session, "motion_handling_report")
    assert "一、列入本次会议议程的议案" in report and "提请大会审议、表决" in report and "作为代表建议处理" not in report
    assert "列入大会议程" in _one(db, session, "motion_register")
    script = _one(db, session, "plenary_script")
    assert f"表决《{MOTION}》。议案已经主席团决定列入本次会议议程" in script
    assert f"赞成50票，反对2票，弃权4票。赞成票超过全体代表的半数，《{MOTION}》通过" in script
    # the congress's decision on it: in the 会议公报, and a 决定 of its own; a motion on the agenda is no suggestion
    communique = _one(db, session, "communique")
    assert (f"会议审议并表决了《{MOTION}》（赞成50票，反对2票，弃权4票），议案获得通过，"
            "会议作出《关于加快青山镇集镇污水管网改造的决定》。") in communique
    [decision] = [p for p in _doc(db, session, "resolution") if p.stem == "关于加快青山镇集镇污水管网改造的决定"]
    text = docx_text(decision)
    assert text.startswith("关于加快青山镇集镇污水管网改造的决定")
    assert "（2026年12月23日青山镇第十八届人民代表大会第三次会议通过）" in text
    assert f"审议了姚红梅等5名代表依法联名提出、经青山镇人民代表大会主席团决定列入会议议程的《{MOTION}》" in text
    assert db.scalar(select(Suggestion).where(Suggestion.session_id == session.id, Suggestion.code == "YA001")) is None
    assert "不列入本次会议议程" not in communique
