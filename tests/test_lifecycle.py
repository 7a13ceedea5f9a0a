"""Operations and steps directly against the database (SQLite and PostgreSQL): gates, rules, outputs,
idempotence. No Prefect here."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress.errors import InputError
from congress.inputs import load_attendance, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.outcome import build_outcome, finalize
from congress.lifecycle.steps import STEPS, next_step, run_step
from congress.models import (
    AuditEvent,
    CalendarEntry,
    Document,
    Election,
    NoticeDelivery,
    Resolution,
    StepRun,
    Suggestion,
    Vote,
)
from congress.settings import Settings
from tests.conftest import SAMPLE

KEY = "qingshan-18-3"


def advance(db: Session, settings: Settings, actor: str = "test") -> list[tuple[str, str]]:
    """Run steps in order until one does not finish, as the parent flow does."""
    results = []
    while (step := next_step(db, KEY)) is not None:
        result = run_step(db, KEY, step, actor=actor, settings=settings)
        results.append((step, result.status))
        if result.status != "done":
            break
    return results


def give_all_inputs(db: Session, session, tallies: Path = SAMPLE / "tallies.yaml",  # type: ignore[no-untyped-def]
                    attendance: Path = SAMPLE / "attendance.csv") -> None:
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",
                              comments="", decided_on=date(2026, 12, 2), actor="approver")
    rows = load_attendance(attendance, {d.code: d.name for d in ops.active_deputies(db, session)})
    ops.record_attendance(db, session, rows, actor="staff", source=str(attendance))
    ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                              comments="", decided_on=date(2026, 12, 22), actor="approver")
    ops.record_tallies(db, session, load_tallies(tallies), actor="staff")


def test_load_creates_roster_agenda_and_votes(db: Session, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    assert session.key == KEY
    assert len(ops.active_deputies(db, session)) == 60
    assert [a.kind for a in session.agenda_items].count("report") == 3
    votes = db.scalars(select(Vote.key).where(Vote.session_id == session.id).order_by(Vote.position)).all()
    assert votes[:2] == ["presidium-list", "agenda"]
    assert "resolution-government-work" in votes
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "session_loaded")) == 1


def test_loading_the_same_file_twice_changes_nothing(db: Session, load_sample, sample_spec, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    again, changed = ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
    assert again.id == session.id and changed is False


def test_first_run_stops_at_party_approval_gate(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    assert advance(db, settings) == [("plan", "done"), ("party_approval", "waiting")]
    assert session.state == "waiting" and session.waiting_for == "party_approval_plan"
    out = Path(session.output_dir)
    assert (out / "01-plan" / "会议方案.docx").exists()
    assert (out / "02-party-approval" / "请示.docx").exists()


def test_full_session_with_all_inputs(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    results = advance(db, settings)
    assert results == [(s, "done") for s in STEPS]
    assert session.state == "completed"

    runs = db.scalars(select(StepRun).where(StepRun.session_id == session.id)).all()
    assert {r.step for r in runs} == set(STEPS)
    assert all(r.started_at and r.finished_at and r.actor == "test" for r in runs)
    # every step audited (started and done)
    done_events = db.scalars(select(AuditEvent.step).where(AuditEvent.action == "step_done",
                                                           AuditEvent.session_id == session.id)).all()
    assert sorted(done_events) == sorted(STEPS)

    # one notice and one delivery per deputy, one invitation per deputy and event (9 presidium members: 6)
    assert db.scalar(select(func.count()).select_from(NoticeDelivery)
                     .where(NoticeDelivery.session_id == session.id)) == 60
    docs = db.scalars(select(Document).where(Document.session_id == session.id)).all()
    kinds = [d.kind for d in docs]
    assert kinds.count("notice") == 60 and kinds.count("invitation") == 60 * 5 + 9
    for kind in ("plan", "party_request", "party_reply", "presidium_decision", "attendance_register",
                 "preparatory_agenda", "preparatory_script", "agenda", "schedule", "deliberation",
                 "election_measures", "ballot", "count_report", "election_announcement", "vote_results",
                 "plenary_script", "resolution", "announcement", "handover_letter", "deadlines"):
        assert kind in kinds, kind
    for doc in docs:  # registered hashes are the files' hashes
        data = (Path(session.output_dir) / doc.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == doc.sha256

    # resolutions adopted with > 1/2 of all deputies; the vice-chair elected
    adopted = db.scalars(select(Resolution.title).where(Resolution.status == "adopted",
                                                        Resolution.session_id == session.id)).all()
    assert len(adopted) == 3
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    assert election.elected == ["陈晓梅"] and election.status == "decided"

    # suggestions handed over with the national 3 / 6 months (zhejiang inherits the Deputies Law)
    due = dict(db.execute(select(Suggestion.code, Suggestion.due_on).where(Suggestion.session_id == session.id)).all())
    handover = session.handover_date
    assert handover == date(2027, 1, 5)
    complex_codes = set(db.scalars(select(Suggestion.code).where(Suggestion.complex.is_(True))).all())
    for code, day in due.items():
        assert day == (date(2027, 7, 5) if code in complex_codes else date(2027, 4, 5))


def test_rerun_produces_nothing_twice_and_same_bytes(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    before = {d.path: d.sha256 for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    # every step is done: running any of them again is a no-op
    for step in STEPS:
        assert run_step(db, KEY, step, actor="test", settings=settings).status == "skipped"
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events
    # a step re-done from scratch (its run reset, its files deleted) gives the same bytes
    notices = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.step == "notices"))
    notices.status = "pending"
    for path in before:
        if path.startswith("04-notices/"):
            (Path(session.output_dir) / path).unlink()
    assert run_step(db, KEY, "notices", actor="test", settings=settings).status == "done"
    after = {d.path: d.sha256 for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    assert after == before
    entries = db.scalars(select(CalendarEntry).where(CalendarEntry.session_id == session.id)).all()
    assert entries and all(e.sequence == 0 for e in entries)


def test_returned_plan_blocks_until_reloaded(db: Session, load_sample, settings, sample_spec) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    ops.record_party_decision(db, session, subject="plan", decision="returned", approver="党委书记",
                              comments="请补充选举办法", decided_on=date(2026, 12, 2), actor="approver")
    assert advance(db, settings)[-1] == ("party_approval", "waiting")
    assert session.waiting_for == "plan_returned" and "请补充选举办法" in session.state_message
    # re-running without a change keeps waiting; nothing new is requested
    assert advance(db, settings)[-1] == ("party_approval", "waiting")
    assert db.scalar(select(func.count()).select_from(ops.PartyApproval)) == 1


def test_quorum_not_met_blocks_with_article(db: Session, load_sample, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="书记", comments="",
                              decided_on=date(2026, 12, 2), actor="a")
    codes = [d.code for d in ops.active_deputies(db, session)]
    csv = tmp_path / "attendance.csv"
    # 39 of 60 present: one short of two thirds
    csv.write_text("代表编号,出席情况,请假批准\n" + "".join(
        f"{c},{'出席' if i < 39 else '请假'},是\n" for i, c in enumerate(codes)), encoding="utf-8")
    ops.record_attendance(db, session, load_attendance(csv, {c: c for c in codes}), actor="s", source="x")
    assert advance(db, settings)[-1] == ("checkin_quorum", "blocked")
    assert "第十四条" in session.state_message and "39" in session.state_message
    # the register is still produced as evidence of the failed check-in
    assert (Path(session.output_dir) / "05-checkin-quorum" / "代表报到出席登记.docx").exists()


def test_tally_larger_than_roster_rejected_without_partial_write(db: Session, load_sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    bad = tmp_path / "tallies.yaml"
    bad.write_text("votes:\n  agenda: {'yes': 50, 'no': 0, abstain: 0}\n"
                   "  resolution-budget: {'yes': 60, 'no': 1, abstain: 0}\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        ops.record_tallies(db, session, load_tallies(bad), actor="staff")
    text = str(excinfo.value)
    assert "tallies.yaml" in text and "第3行" in text and "61" in text
    assert db.scalar(select(Vote.yes).where(Vote.key == "agenda", Vote.session_id == session.id)) is None


def test_tally_more_than_present_rejected(db: Session, load_sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    rows = load_attendance(SAMPLE / "attendance.csv", {d.code: d.name for d in ops.active_deputies(db, session)})
    ops.record_attendance(db, session, rows, actor="staff", source="x")
    bad = tmp_path / "tallies.yaml"
    bad.write_text("votes:\n  agenda: {'yes': 57, 'no': 0, abstain: 0}\n", encoding="utf-8")
    with pytest.raises(InputError, match="出席代表56名"):
        ops.record_tallies(db, session, load_tallies(bad), actor="staff")


def test_returned_over_issued_invalidates_round_and_waits(db: Session, load_sample, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    tallies = tmp_path / "tallies.yaml"
    tallies.write_text((SAMPLE / "tallies.yaml").read_text(encoding="utf-8")
                       .replace("ballots_returned: 56", "ballots_returned: 57")
                       .replace("ballots_issued: 56", "ballots_issued: 55"), encoding="utf-8")
    give_all_inputs(db, session, tallies=tallies)
    assert advance(db, settings)[-1] == ("votes_elections", "waiting")
    assert "无效" in session.state_message and "第四十四条" in session.state_message
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    assert election.rounds[0].valid is False and election.elected == []


def test_tie_at_cutoff_needs_revote_then_elects(db: Session, load_sample, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    sample = (SAMPLE / "tallies.yaml").read_text(encoding="utf-8")
    names = [c.name for c in db.scalar(select(Election).where(Election.session_id == session.id)).candidates]
    tied = tmp_path / "tied.yaml"
    tied.write_text(sample.split("elections:")[0] + (
        "elections:\n  vice-chair:\n    rounds:\n"
        f"      - {{kind: formal, ballots_issued: 56, ballots_returned: 56, ballots_void: 0, "
        f"votes: {{{names[0]}: 28, {names[1]}: 28}}}}\n"), encoding="utf-8")
    give_all_inputs(db, session, tallies=tied)
    # 28 each: neither has more than half of all 60 deputies → nobody elected, another election needed
    assert advance(db, settings)[-1] == ("votes_elections", "waiting")
    assert "另行选举" in session.state_message

    revote = tmp_path / "revote.yaml"
    revote.write_text(sample.split("elections:")[0] + (
        "elections:\n  vice-chair:\n    rounds:\n"
        f"      - {{kind: formal, ballots_issued: 56, ballots_returned: 56, ballots_void: 0, "
        f"votes: {{{names[0]}: 28, {names[1]}: 28}}}}\n"
        f"      - {{kind: additional, ballots_issued: 56, ballots_returned: 56, ballots_void: 0, "
        f"votes: {{{names[0]}: 35, {names[1]}: 21}}}}\n"), encoding="utf-8")
    ops.record_tallies(db, session, load_tallies(revote), actor="staff")
    assert advance(db, settings)[-1] == ("followup", "done")
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    assert election.elected == [names[0]]
    assert [r.valid for r in election.rounds] == [True, True]


def test_outcome_json_schema(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    outcome = finalize(db, KEY, actor="test", settings=settings)
    on_disk = json.loads((Path(session.output_dir) / "outcome.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(outcome, ensure_ascii=False))
    assert outcome["schema"] == "congress-outcome/1"
    assert [s["status"] for s in outcome["steps"]] == ["done"] * len(STEPS)
    assert outcome["quorum"] == {"total": 60, "present": 56, "leave": 3, "absent": 1, "required": 40, "met": True,
                                 "rule": "quorum", "citation": "local-organic-law-2022.md 第十四条"}
    gov = next(v for v in outcome["votes"] if v["key"] == "resolution-government-work")
    assert gov["required"] == 31 and gov["passed"] is True
    (election,) = outcome["elections"]
    assert election["elected"] == ["陈晓梅"] and election["rounds"][0]["reasons"]["陈晓梅"].startswith("得票41")
    assert any(d["path"].startswith("audit/") for d in outcome["documents"])
    assert all(len(d["sha256"]) == 64 for d in outcome["documents"] + outcome["calendars"])
    assert build_outcome(db, session)["audit_events"] >= 2 * len(STEPS)


def test_general_vice_chair_with_too_many_candidates_goes_through_preliminary(  # type: ignore[no-untyped-def]
        db: Session, settings, tmp_path) -> None:
    """LOL 第二十七条: more nominees than the measures' 差额 → a preliminary vote fixes the formal list."""
    import shutil

    from congress.inputs import load_session_file

    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    text = (folder / "session.yaml").read_text(encoding="utf-8").replace("kind: by_election", "kind: general")
    # two more nominees, deputies (LOL 第十八条) each jointly nominated by ten others: the presidium nominates
    # no more than the one seat and no deputy joins more nominations than that (第二十六条)
    joint = {n: ", ".join(f"QS{i:03d}" for i in range(start, start + 10)) for n, start in (("丁燕", 30), ("何振东", 40))}
    text = text.replace("      - {name: 刘志强,",
                        f"      - {{name: 丁燕, code: QS029, gender: 女, born: 1985-01, title: 教师, nominated_by: deputies,"
                        f" nominators: [{joint['丁燕']}]}}\n"
                        f"      - {{name: 何振东, code: QS009, gender: 男, born: 1978-03, title: 医生, nominated_by: deputies,"
                        f" nominators: [{joint['何振东']}]}}\n      - {{name: 刘志强,")
    (folder / "session.yaml").write_text(text, encoding="utf-8")
    spec = load_session_file(folder / "session.yaml")
    assert spec.elections[0].preliminary is True
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)

    sample = (SAMPLE / "tallies.yaml").read_text(encoding="utf-8").split("elections:")[0]
    ballots = "ballots_issued: 56, ballots_returned: 56, ballots_void: 0"
    prelim = tmp_path / "prelim.yaml"
    prelim.write_text(sample + "elections:\n  vice-chair:\n    rounds:\n"
                      f"      - {{kind: preliminary, {ballots}, votes: {{陈晓梅: 30, 刘志强: 14, 丁燕: 8, 何振东: 4}}}}\n",
                      encoding="utf-8")
    give_all_inputs(db, session, tallies=prelim)
    assert advance(db, settings)[-1] == ("votes_elections", "waiting")
    assert "正式选举" in session.state_message
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    assert election.rounds[0].elected == [] and election.elected == []

    formal = tmp_path / "formal.yaml"
    formal.write_text(prelim.read_text(encoding="utf-8")
                      + f"      - {{kind: formal, {ballots}, votes: {{陈晓梅: 40, 刘志强: 15}}}}\n", encoding="utf-8")
    ops.record_tallies(db, session, load_tallies(formal), actor="staff")
    assert advance(db, settings)[-1] == ("followup", "done")
    election = db.scalar(select(Election).where(Election.session_id == session.id))
    assert election.elected == ["陈晓梅"] and election.status == "decided"
    # the ballots list the formal candidates in 姓氏笔画 order: 刘 (6 strokes) before 陈 (7)
    (ballot,) = (Path(session.output_dir) / "08-votes-elections").glob("选票-*-第2轮.docx")
    from docx import Document as Docx

    text = "\n".join(cell.text for table in Docx(str(ballot)).tables for row in table.rows for cell in row.cells)
    assert text.index("刘志强") < text.index("陈晓梅")


# --- one run per session, halted sessions, the error handler ---------------------------------------


def test_a_halted_session_runs_nothing_and_marks_nothing(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    from congress.errors import SessionHalted

    session = load_sample()
    assert advance(db, settings) == [("plan", "done"), ("party_approval", "waiting")]
    runs = {r.step: (r.status, r.attempts) for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    for state in ops.HALTED_STATES:
        session.state = state
        db.flush()
        with pytest.raises(SessionHalted) as halted:
            run_step(db, KEY, "party_approval", actor="test", settings=settings)
        assert KEY in str(halted.value) and ("取消" in str(halted.value) or "延期" in str(halted.value))
        after = {r.step: (r.status, r.attempts) for r in db.scalars(select(StepRun)
                                                                    .where(StepRun.session_id == session.id))}
        assert after == runs
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_failing_step_is_marked_failed_but_a_finished_one_never_is(db: Session, load_sample, settings,  # type: ignore[no-untyped-def]
                                                                     monkeypatch) -> None:
    from congress.lifecycle import steps as steps_mod

    load_sample()

    def broken(_c):  # type: ignore[no-untyped-def]
        raise RuntimeError("template exploded")

    monkeypatch.setitem(steps_mod.BODIES, "plan", broken)
    with pytest.raises(RuntimeError):
        run_step(db, KEY, "plan", actor="test", settings=settings)
    run = db.scalar(select(StepRun).where(StepRun.step == "plan"))
    from congress.messages import msg

    assert (run.status, run.attempts, run.message) == ("failed", 1, msg("runs.step_failed_internal"))
    assert not (Path(settings.output_dir) / KEY / "01-plan").exists()  # nothing written for a failed body

    monkeypatch.undo()
    assert run_step(db, KEY, "plan", actor="test", settings=settings).status == "done"
    # the handler of a run that lost the race (or retried late) re-reads the step: a done step stays done
    steps_mod._mark_failed(db, KEY, "plan", attempt=2, actor="late", exc=RuntimeError("too late"))
    steps_mod._mark_failed(db, KEY, "plan", attempt=1, actor="late", exc=RuntimeError("too late"))
    db.expire_all()
    run = db.scalar(select(StepRun).where(StepRun.step == "plan"))
    assert (run.status, run.attempts, run.message) == ("done", 2, None)
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "step_failed")) == 1


def test_a_reload_keeps_the_output_folder_and_the_writer_follows_the_setting(db: Session, load_sample,  # type: ignore[no-untyped-def]
                                                                              settings, tmp_path) -> None:
    session = load_sample()
    first = Path(session.output_dir)
    moved = settings.model_copy(update={"output_dir": tmp_path / "new-output"})
    # nothing written yet in the first folder: the step adopts the folder the setting now names
    assert run_step(db, KEY, "plan", actor="test", settings=moved).status == "done"
    assert Path(session.output_dir) == (tmp_path / "new-output" / KEY).resolve() != first
    assert (Path(session.output_dir) / "01-plan" / "会议方案.docx").exists()
    # files there now: back to the old setting, the writer is refused before it marks anything
    before = db.scalar(select(StepRun.attempts).where(StepRun.step == "party_approval"))
    with pytest.raises(ops.OutputMoved):
        run_step(db, KEY, "party_approval", actor="test", settings=settings)
    assert db.scalar(select(StepRun.attempts).where(StepRun.step == "party_approval")) == before
