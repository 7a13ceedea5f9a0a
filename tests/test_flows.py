"""Tasks via .fn() and the flows end to end, under one session-wide prefect_test_harness, on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from congress.db import make_engine, session_scope
from congress.errors import OutputWriteError
from congress.inputs import load_attendance, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.claim import claim_session
from congress.models import Document, StepRun
from congress.settings import Settings, get_settings
from tests.conftest import SAMPLE, new_database
from tests.test_cli import mounted_read_only

pytestmark = pytest.mark.flow
KEY = "qingshan-18-3"


@pytest.fixture
def flow_db(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None,
            sample_spec) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    """A fresh migrated database with the sample loaded, named to the flows through the environment."""
    url, cleanup = new_database(backend, tmp_path)
    monkeypatch.setenv("CONGRESS_DATABASE_URL", url)
    monkeypatch.setenv("CONGRESS_OUTPUT_DIR", str(tmp_path / "output"))
    get_settings.cache_clear()
    settings = get_settings()
    engine = make_engine(url)
    with session_scope(engine) as db:
        ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
    engine.dispose()
    yield settings
    get_settings.cache_clear()
    cleanup()


def _db(settings: Settings):  # type: ignore[no-untyped-def]
    return session_scope(make_engine(settings.database_url))


def _statuses(settings: Settings) -> dict[str, str]:
    with _db(settings) as db:
        session = ops.get_session(db, KEY)
        return {r.step: r.status for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}


def test_tasks_fn_run_one_step_and_skip_it_after(flow_db: Settings) -> None:
    from tasks.steps import finalize, next_step, run_step

    assert next_step.fn(KEY) == "plan"
    first = run_step.fn(KEY, "plan", "tester")
    assert first["status"] == "done" and first["documents"] == 1
    assert next_step.fn(KEY) == "party_approval"
    assert run_step.fn(KEY, "plan", "tester")["status"] == "skipped"
    gate = run_step.fn(KEY, "party_approval", "tester")
    assert gate["status"] == "waiting" and gate["gate"] == "party_approval_plan"
    assert finalize.fn(KEY, "tester") == {"state": "waiting", "waiting_for": "party_approval_plan"}


def test_session_flow_stops_at_each_gate_and_continues(flow_db: Settings) -> None:
    from flows.session import advance_session

    result = advance_session(session_key=KEY, actor="staff")
    assert result == {"state": "waiting", "waiting_for": "party_approval_plan"}
    assert _statuses(flow_db) == {"plan": "done", "party_approval": "waiting"}

    with _db(flow_db) as db:
        session = ops.get_session(db, KEY)
        ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",
                                  comments="", decided_on=date(2026, 12, 2), actor="approver")
    assert advance_session(session_key=KEY, actor="staff")["waiting_for"] == "attendance"

    with _db(flow_db) as db:
        session = ops.get_session(db, KEY)
        roster = {d.code: d.name for d in ops.active_deputies(db, session)}
        ops.record_attendance(db, session, load_attendance(SAMPLE / "attendance.csv", roster), actor="s", source="x")
        ops.record_tallies(db, session, load_tallies(SAMPLE / "tallies.yaml"), actor="s")
    assert advance_session(session_key=KEY, actor="staff")["waiting_for"] == "party_approval_resolutions"

    with _db(flow_db) as db:
        session = ops.get_session(db, KEY)
        ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                                  comments="", decided_on=date(2026, 12, 22), actor="approver")
    assert advance_session(session_key=KEY, actor="staff") == {"state": "completed", "waiting_for": None}
    assert set(_statuses(flow_db).values()) == {"done"}

    with _db(flow_db) as db:
        session = ops.get_session(db, KEY)
        before = {d.path: d.sha256 for d in db.scalars(select(Document).where(Document.session_id == session.id))}
        outcome = json.loads((Path(session.output_dir) / "outcome.json").read_text(encoding="utf-8"))
    assert outcome["session"]["state"] == "completed"
    assert len([d for d in outcome["documents"] if d["kind"] == "notice"]) == 60

    # a re-run after the end runs no step again and changes no file
    assert advance_session(session_key=KEY, actor="staff")["state"] == "completed"
    with _db(flow_db) as db:
        session = ops.get_session(db, KEY)
        after = {d.path: d.sha256 for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    assert after == before

    # one flow run per advance, its steps tasks of it (no sub-flow per step), each named after the step
    names = asyncio.run(_run_names())
    assert "session-qingshan-18-3" in names["flows"]
    assert not {n for n in names["flows"] if n.startswith(("plan-", "notices-", "followup-"))}
    assert {"plan-qingshan-18-3", "notices-qingshan-18-3", "checkin-quorum-qingshan-18-3",
            "votes-elections-qingshan-18-3", "followup-qingshan-18-3"} <= names["tasks"]
    assert {"notices-qingshan-18-3", "outcome-qingshan-18-3"} <= names["artifacts"]


async def _run_names() -> dict[str, set[str]]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        flows = await client.read_flow_runs(limit=200)
        tasks = await client.read_task_runs(limit=200)
        artifacts = await client.read_artifacts(limit=200)
    return {"flows": {f.name for f in flows}, "tasks": {t.name for t in tasks},
            "artifacts": {a.key for a in artifacts if a.key}}


def test_a_gate_without_its_input_is_not_run_again_and_an_input_given_while_rendering_goes_on(
        flow_db: Settings) -> None:
    """Running again at a gate whose input has not come in stops there without redoing the step (no
    "第2次"); the PDF task ends early once the input is in, so the steps go on in the same run."""
    from flows.session import advance_session
    from tasks.render import render_pdf
    from tasks.steps import next_step

    assert advance_session(session_key=KEY, actor="staff")["waiting_for"] == "party_approval_plan"
    assert next_step.fn(KEY) is None
    assert advance_session(session_key=KEY, actor="staff", trigger="continue")["waiting_for"] == "party_approval_plan"
    with _db(flow_db) as db:
        runs = {r.step: (r.status, r.attempts) for r in db.scalars(select(StepRun))}
        assert runs == {"plan": ("done", 1), "party_approval": ("waiting", 1)}
        ops.record_party_decision(db, ops.get_session(db, KEY), subject="plan", decision="approved",
                                  approver="党委书记", comments="", decided_on=date(2026, 12, 2), actor="approver")
    assert next_step.fn(KEY) == "party_approval"
    assert render_pdf.fn(KEY, "staff")["status"] == "answered"


def test_a_cancelled_session_ends_the_flow_completed_with_the_reason(flow_db: Settings) -> None:
    """Not FAILED noise: the run did nothing because the session is cancelled, and says so; outcome.json
    still follows the session's state."""
    from congress.calendar import operations as cal_ops
    from flows.session import advance_session

    with _db(flow_db) as db:
        cal_ops.cancel(db, session=ops.get_session(db, KEY), sitting_key=None, reason="台风", actor="staff",
                       settings=flow_db)
    state = advance_session(session_key=KEY, actor="staff", return_state=True)
    assert state.is_completed() and state.name == "Halted" and "已取消" in (state.message or "")
    assert state.result() == {"state": "cancelled", "waiting_for": None, "stopped": "halted",
                              "message": state.message}
    assert set(_statuses(flow_db).values()) <= {"pending"}  # no step ran, none failed
    with _db(flow_db) as db:
        outcome = json.loads((Path(ops.get_session(db, KEY).output_dir) / "outcome.json").read_text("utf-8"))
    assert outcome["session"]["state"] == "cancelled"


def test_a_session_held_by_another_run_ends_the_flow_completed_as_busy(flow_db: Settings) -> None:
    from flows.session import advance_session

    holding, release = threading.Event(), threading.Event()

    def other_run() -> None:
        with claim_session(flow_db, KEY):
            holding.set()
            release.wait(60)

    other = threading.Thread(target=other_run)
    other.start()
    try:
        assert holding.wait(10)
        state = advance_session(session_key=KEY, actor="staff", return_state=True)
    finally:
        release.set()
        other.join()
    assert state.is_completed() and state.name == "Busy"
    assert state.result()["stopped"] == "busy" and KEY in state.result()["message"]
    assert set(_statuses(flow_db).values()) <= {"pending"}


def test_a_failed_run_gives_the_original_error_at_once(flow_db: Settings, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The state of a failed run carries the step's own exception (the CLI prints its line), and a
    read-only disk is not retried: it stays read-only for the seconds a retry would wait."""
    from flows.session import advance_session

    with mounted_read_only(tmp_path / "ro") as read_only_folder:
        monkeypatch.setenv("CONGRESS_OUTPUT_DIR", str(read_only_folder))
        get_settings.cache_clear()
        state = advance_session(session_key=KEY, actor="staff", return_state=True)
    assert state.is_failed()
    with pytest.raises(OutputWriteError) as raised:
        state.result()
    assert "只读" in str(raised.value) and str(read_only_folder) in str(raised.value)
    with _db(flow_db) as db:
        run = db.scalar(select(StepRun).where(StepRun.step == "plan"))
    assert run.status == "failed" and run.attempts == 1
