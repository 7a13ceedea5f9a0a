"""The follow-up tasks via .fn() and the sweeper flow under the session-wide Prefect harness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from congress.db import make_engine, session_scope
from congress.followup import operations as fo
from congress.lifecycle import operations as ops
from congress.models import AuditEvent, FollowupDocument, Reminder
from congress.settings import Settings, get_settings
from tests.conftest import new_database

pytestmark = pytest.mark.flow


@pytest.fixture
def followup_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None,
                sample_spec) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    url, cleanup = new_database("sqlite", tmp_path)
    monkeypatch.setenv("CONGRESS_DATABASE_URL", url)
    monkeypatch.setenv("CONGRESS_OUTPUT_DIR", str(tmp_path / "output"))
    get_settings.cache_clear()
    settings = get_settings()
    engine = make_engine(url)
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
        fo.hand_over(db, township=session.term.township, on=date(2027, 1, 5), actor="presidium", settings=settings)
    yield settings
    engine.dispose()
    get_settings.cache_clear()
    cleanup()


def _count(settings: Settings, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(make_engine(settings.database_url)) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_task_fn_sweeps_one_township(followup_db: Settings) -> None:
    from tasks.followup import list_townships, sweep_township

    assert list_townships.fn() == ["qingshan"]
    result = sweep_township.fn("qingshan", date(2027, 3, 6), "tester")
    assert result["sent"] == 6 and result["open_rounds"] == 8
    assert sweep_township.fn("qingshan", date(2027, 3, 6), "tester")["sent"] == 0


def test_sweeper_flow_twice_and_after_downtime(followup_db: Settings) -> None:
    from flows.followup import presidium_meeting, sweep, sweeper_deployment

    first = sweep(today=date(2027, 3, 6), actor="sweeper")
    assert [r["township"] for r in first] == ["qingshan"] and first[0]["sent"] == 6
    assert sweep(today=date(2027, 3, 6), actor="sweeper")[0]["sent"] == 0
    # a month without a run, across the 3-month deadline of six of them: the two missed before-due
    # reminders of each are recorded once as superseded, and the overdue notice goes out once
    late = sweep(today=date(2027, 4, 6), actor="sweeper")[0]
    assert (late["sent"], late["superseded"], late["overdue"]) == (6, 12, 6)
    assert _count(followup_db, Reminder) == 6 + 12 + 6
    with session_scope(make_engine(followup_db.database_url)) as db:
        swept = db.scalars(select(AuditEvent).where(AuditEvent.action == "followup_swept")).all()
        assert len(swept) == 3
        letters = db.scalars(select(FollowupDocument.path).where(FollowupDocument.kind == "reminder_letter")).all()
        assert letters and all(Path(followup_db.output_dir, "qingshan", p).is_file() for p in letters)
        from congress.followup.common import township_by_code
        from congress.followup.meetings import save_meeting

        save_meeting(db, township=township_by_code(db, "qingshan"), kind="presidium", actor="staff", values={
            "code": "ZX1", "held_on": date(2027, 4, 8), "start": "09:00", "end": "11:00", "place": "主席团办公室",
            "notice_on": date(2027, 4, 1), "topics": ["听取代表建议办理情况汇报"], "people": ["QS001", "QS002"],
            "held": None})
    written = presidium_meeting(township="qingshan", code="ZX1", actor="staff")
    assert [w["kind"] for w in written] == ["presidium_meeting_notice", "presidium_meeting_calendar"]
    deployment = sweeper_deployment()
    assert deployment.schedules[0].schedule.cron == "0 8 * * *"
    assert deployment.schedules[0].schedule.timezone == "Asia/Shanghai"
