"""The first session of a term (issue 11, item 3): config/sample-first-term/ lawful under every profile, run
end to end through the core on SQLite and PostgreSQL (no Prefect), its documents, its audit, and what the
load and the tallies refuse. Both samples are checked against every profile: a sample is lawful wherever it
could be used."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.audit.verify import verify
from congress.errors import InputError
from congress.inputs import load_attendance, load_session_file, load_tallies
from congress.lifecycle import elections as election_rules
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import STEPS, next_step, run_step
from congress.models import AuditEvent, Candidate, Document, Election, Vote
from congress.profiles import available_profiles
from congress.settings import REPO_ROOT, Settings

FIRST = REPO_ROOT / "config" / "sample-first-term"
SAMPLES = {"first-term": FIRST, "default": REPO_ROOT / "config" / "sample"}
KEY = "qingshan-19-1"


def copy(sample: Path, tmp_path: Path, profile: str | None = None) -> Path:
    folder = tmp_path / sample.name
    shutil.copytree(sample, folder)
    session = folder / "session.yaml"
    if profile:
        text = session.read_text(encoding="utf-8")
        assert text.count("profile: zhejiang") == 1
        session.write_text(text.replace("profile: zhejiang", f"profile: {profile}"), encoding="utf-8")
    return session


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusals(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_session_file(path)
    return [f"{p.field} {p.problem}" for p in info.value.problems]


@pytest.mark.parametrize("profile", available_profiles())
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_samples_are_lawful_under_every_profile(sample, profile, tmp_path):
    spec = load_session_file(copy(SAMPLES[sample], tmp_path, profile))
    assert spec.profile.name == profile
    assert not [w for w in spec.warnings if "节假日" in w]  # every date of both samples is in a known year
    tallies = load_tallies(SAMPLES[sample] / "tallies.yaml")
    for key, etally in tallies.elections.items():
        election = next(e for e in spec.elections if e.key == key)
        espec = election_rules.ElectionSpec(
            title=election.title, office=election.office, kind=election.kind, seats=election.seats,
            extra_candidates=election.extra_candidates, candidates=len(election.candidates),
            nominees=tuple(c.name for c in election.candidates),
            eligible=frozenset(r.name for r in spec.roster.active) if election.office in ("chair", "vice_chair")
            else None)
        rounds = [election_rules.round_data(r) for r in etally.rounds]
        assert election_rules.election_problems(spec.profile, espec, rounds, total=60, present=57) == []
        decision = election_rules.decide(spec.profile, espec, rounds, total=60)
        assert decision.status == "decided" and decision.violation is None, key


def test_first_term_sample_is_what_the_issue_asks_for():
    spec = load_session_file(FIRST / "session.yaml")
    assert spec.session["kind"] == "first_of_term" and spec.session["ordinal"] == 1
    assert spec.term["election_date"] == date(2026, 11, 18) and spec.session["opening_date"].year == 2026
    assert {e.office for e in spec.elections} == {"chair", "vice_chair", "head", "deputy_head"}
    vice = next(e for e in spec.elections if e.office == "vice_chair")
    assert vice.preliminary and {c.nominated_by for c in vice.candidates} == {"presidium", "deputies"}


def give_inputs(db: Session, session) -> None:  # type: ignore[no-untyped-def]
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记", comments="",
                              decided_on=session.plan_date, actor="approver")
    rows = load_attendance(FIRST / "attendance.csv", {d.code: d.name for d in ops.active_deputies(db, session)})
    ops.record_attendance(db, session, rows, actor="staff", source="attendance.csv")
    ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                              comments="", decided_on=session.opening_date, actor="approver")
    ops.record_tallies(db, session, load_tallies(FIRST / "tallies.yaml"), actor="staff")


def advance(db: Session, settings: Settings) -> list[tuple[str, str]]:
    results = []
    while (step := next_step(db, KEY)) is not None:
        result = run_step(db, KEY, step, actor="test", settings=settings)
        results.append((step, result.status))
        if result.status != "done":
            break
    return results


def test_first_session_runs_end_to_end(db: Session, settings: Settings) -> None:
    spec = load_session_file(FIRST / "session.yaml")
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    assert session.term.election_date == date(2026, 11, 18) and session.term.deputy_quota == 60
    give_inputs(db, session)
    assert advance(db, settings) == [(s, "done") for s in STEPS]

    elected = {e.key: (e.elected, e.status) for e in db.scalars(select(Election).where(Election.session_id == session.id))}
    assert elected == {"chair": (["王建华"], "decided"), "vice-chair": (["陈晓梅"], "decided"),
                       "head": (["周建国"], "decided"), "deputy-head": (["李文斌", "何丽萍"], "decided")}
    vice = db.scalar(select(Election).where(Election.session_id == session.id, Election.key == "vice-chair"))
    assert [r.kind for r in vice.rounds] == ["preliminary", "formal"] and vice.rounds[1].seats == 1
    assert sorted(vice.rounds[1].candidates) == sorted(["陈晓梅", "何振东"])  # the formal list
    credentials = db.scalar(select(Vote).where(Vote.session_id == session.id, Vote.key == "credentials-committee"))
    assert credentials.passed is True and credentials.stage == "plenary"

    docs = {d.kind: d for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    kinds = [d.kind for d in db.scalars(select(Document).where(Document.session_id == session.id))]
    for kind in ("credentials_report", "deputy_list", "credentials_committee", "candidate_list", "joint_nomination",
                 "election_measures", "ballot", "count_report", "election_announcement"):
        assert kind in docs, kind
    assert kinds.count("candidate_list") == 4 and kinds.count("joint_nomination") == 3
    out = Path(session.output_dir)
    report = "\n".join(p.text for p in Docx(str(out / docs["credentials_report"].path)).paragraphs)
    assert "2026年11月18日" in report and "60名" in report and "第四十七条" in report
    first_ballot = next(d for d in db.scalars(select(Document).where(Document.session_id == session.id,
                                                                       Document.kind == "ballot"))
                        if "副主席" in d.path and d.path.endswith("第1轮.docx"))
    ballot = Docx(str(out / first_ballot.path))
    text = "\n".join(p.text for p in ballot.paragraphs)
    assert "预选" in text and "应选2名" in text  # the 预选 ballot fills the formal list of two
    names = "\n".join(c.text for t in ballot.tables for row in t.rows for c in row.cells)
    assert all(n in names for n in ("陈晓梅", "何振东", "刘志强"))

    # what decided each outcome is in the audit, and verify recomputes it
    done = db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id, AuditEvent.action == "step_done",
                                               AuditEvent.step == "votes_elections")).one()
    assert done.detail["elections"]["vice-chair"]["candidates"][1]["nominators"][0] == "QS010"
    prep = db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id, AuditEvent.action == "step_done",
                                               AuditEvent.step == "preparatory_meeting")).one()
    assert prep.detail["first_term"]["due"] == "2027-01-18"
    loaded = db.scalars(select(AuditEvent).where(AuditEvent.session_id == session.id,
                                                 AuditEvent.action == "session_loaded")).one()
    assert loaded.detail["plan"]["term"]["election_date"] == "2026-11-18"
    db.flush()
    result = verify(db, session_key=KEY)
    assert result.ok, [str(f) for f in result.findings]
    candidate = db.scalar(select(Candidate).where(Candidate.name == "何振东"))
    candidate.nominators = candidate.nominators[:9]  # a joint nomination of nine, forged afterwards
    db.flush()
    forged = verify(db, session_key=KEY)
    assert not forged.ok and any("副主席" in str(f) and "提名" in str(f) for f in forged.findings)


def test_tallies_naming_a_candidate_dropped_in_the_preliminary_vote_are_refused(db: Session, settings: Settings,
                                                                               tmp_path: Path) -> None:
    spec = load_session_file(FIRST / "session.yaml")
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    tallies = tmp_path / "tallies.yaml"
    tallies.write_text((FIRST / "tallies.yaml").read_text(encoding="utf-8").replace(
        "votes: {陈晓梅: 41, 何振东: 14}, write_ins: {刘志强: 1}", "votes: {陈晓梅: 41, 刘志强: 15}, write_ins: {}"),
        encoding="utf-8")
    with pytest.raises(InputError) as info:
        ops.record_tallies(db, session, load_tallies(tallies), actor="staff")
    (problem,) = info.value.problems
    assert problem.field == "elections.vice-chair.rounds.1" and "刘志强" in problem.problem
    assert "《地方组织法》第二十七条" in problem.problem and problem.line is not None


def test_first_term_refusals_at_load(tmp_path: Path) -> None:
    session = copy(FIRST, tmp_path)
    edit(session, "  election_date: 2026-11-18 ", "  election_date: 2026-10-28 ")  # due 2026-12-28
    (problem,) = refusals(session)
    assert problem.startswith("session.opening_date ") and "第十五条" in problem and "2026-12-28" in problem
    edit(session, "  election_date: 2026-10-28 ", "  election_date: 2026-10-29 ")  # due 2026-12-29: in time
    assert load_session_file(session).term["election_date"] == date(2026, 10, 29)


@pytest.mark.parametrize(("old", "new", "field", "says"), [
    ("  election_date: 2026-11-18 ", "  ", "term.election_date", "两个月"),
    ("confirmed_on: 2026-12-02 ", "confirmed_on: 2026-12-29 ", "first_term.confirmed_on", "第四十七条"),
    ("nomination_deadline: {date: 2026-12-29, time: \"09:00\"}", "nomination_deadline: {date: 2026-12-29, "
     "time: \"09:01\"}", "session.nomination_deadline", "24小时"),
    ("  kind: first_of_term\n  ordinal: 1", "  kind: first_of_term\n  ordinal: 2", "session.kind", "first_of_term"),
])
def test_first_term_facts_checked_at_load(tmp_path: Path, old, new, field, says) -> None:
    session = copy(FIRST, tmp_path)
    edit(session, old, new)
    problems = refusals(session)
    assert any(p.startswith(field + " ") and says in p for p in problems), problems


def test_chongqing_credentials_committee_needs_three_members(tmp_path: Path) -> None:
    session = copy(FIRST, tmp_path, "chongqing")
    edit(session, "members: [QS005, QS018, QS033]", "members: [QS005, QS018]")
    (problem,) = refusals(session)
    assert problem.startswith("first_term.credentials_committee ") and "第二十条" in problem


def test_a_regular_session_has_no_first_term_part(tmp_path: Path) -> None:
    session = copy(SAMPLES["default"], tmp_path)
    text = session.read_text(encoding="utf-8") + "first_term:\n  election_committee: 青山镇选举委员会\n"
    session.write_text(text, encoding="utf-8")
    problems = refusals(session)
    assert any(p.startswith("first_term ") for p in problems)


def test_demo_offers_the_first_term_sample() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0 and "first-term" in result.output


def test_another_election_for_a_vice_post_is_contested_and_its_ballot_says_the_seat_left(
        db: Session, settings: Settings, tmp_path: Path) -> None:
    """LOL 第二十九条: one of two 副镇长 seats filled; the 第2轮 ballot (written while the step waits) is for the
    one seat left with two candidates; a one-candidate round for it is refused; a contested one elects."""
    spec = load_session_file(FIRST / "session.yaml")
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    give_inputs(db, session)
    first = (FIRST / "tallies.yaml").read_text(encoding="utf-8").replace(
        "votes: {李文斌: 46, 何丽萍: 43, 孙海燕: 12}", "votes: {李文斌: 46, 何丽萍: 29, 孙海燕: 12}")
    tallies = tmp_path / "tallies.yaml"
    tallies.write_text(first, encoding="utf-8")
    ops.record_tallies(db, session, load_tallies(tallies), actor="staff")
    assert advance(db, settings)[-1] == ("votes_elections", "waiting")
    assert "另行选举" in session.state_message
    ballot = next(d for d in db.scalars(select(Document).where(Document.session_id == session.id,
                                                                 Document.kind == "ballot"))
                  if "副镇长" in d.path and d.path.endswith("第2轮.docx"))
    doc = Docx(str(Path(session.output_dir) / ballot.path))
    assert "应选1名" in "\n".join(p.text for p in doc.paragraphs)
    names = [row.cells[0].text for t in doc.tables for row in t.rows[1:]]
    assert "何丽萍" in names and "孙海燕" in names and "李文斌" not in names

    additional = "      - {kind: additional, ballots_issued: 57, ballots_returned: 57, ballots_void: 0, votes: %s}\n"
    alone = first + additional % "{何丽萍: 40}"
    tallies.write_text(alone, encoding="utf-8")
    with pytest.raises(InputError) as info:
        ops.record_tallies(db, session, load_tallies(tallies), actor="staff")
    assert any("另行选举" in p.problem and "第二十九条" in p.problem for p in info.value.problems)
    tallies.write_text(first + additional % "{何丽萍: 40, 孙海燕: 15}", encoding="utf-8")
    ops.record_tallies(db, session, load_tallies(tallies), actor="staff")
    assert advance(db, settings)[-1] == ("followup", "done")
    head = db.scalar(select(Election).where(Election.session_id == session.id, Election.key == "deputy-head"))
    assert head.elected == ["李文斌", "何丽萍"] and head.rounds[1].seats == 1
