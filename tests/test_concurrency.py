"""One advancing run per session, on SQLite and PostgreSQL: processes released together on one step and
on a whole run, concurrent migrations of a fresh database, concurrent loads of the same township.

The processes run the core through tests/faults/driver.py (no Prefect); each is started, imports and
connects, and then all are released at once by a start file.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from congress.db import make_engine, session_scope
from congress.errors import SessionBusy
from congress.lifecycle.claim import claim_session, session_claimed
from congress.lifecycle.steps import STEPS, run_step
from congress.models import (
    AuditEvent,
    CalendarEntry,
    CongressSession,
    Deputy,
    Document,
    NoticeDelivery,
    StepRun,
    Township,
)
from congress.settings import Settings
from tests.faults.helpers import KEY, driver_cmd, fresh_url, leftovers, run_driver, together


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no tables yet)."""
    url, cleanup = fresh_url(backend, tmp_path)
    yield url
    cleanup()


@pytest.fixture
def prepared(fresh: str, tmp_path: Path) -> tuple[str, Path]:
    """A migrated database holding the sample session with every human-gate input recorded."""
    output = tmp_path / "output"
    done = run_driver("prepare", fresh, "--output", str(output))
    assert done.code == 0, done.stderr
    return fresh, output


def _db(url: str) -> tuple[Engine, Session]:
    engine = make_engine(url)
    return engine, Session(engine)


def _advance_to(url: str, output: Path, last: str) -> None:
    settings = Settings(database_url=url, output_dir=output, render_pdf="off")
    engine = make_engine(url)
    for step in STEPS[: STEPS.index(last) + 1]:
        with session_scope(engine) as db:
            assert run_step(db, KEY, step, actor="test", settings=settings).status == "done"
    engine.dispose()


def _count(db: Session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _assert_files_match_rows(db: Session, session: CongressSession) -> None:
    """Every registered file exists with its hash, every file is registered once, nothing half-written."""
    root = Path(session.output_dir)
    rows = {d.path: d.sha256 for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert leftovers(root) == []
    assert set(rows) == on_disk - {"outcome.json"}
    for path, sha in rows.items():
        assert hashlib.sha256((root / path).read_bytes()).hexdigest() == sha, path


@pytest.mark.parametrize("wait", [0, 60])
def test_processes_released_together_on_one_step(prepared: tuple[str, Path], tmp_path: Path, wait: int) -> None:
    url, output = prepared
    _advance_to(url, output, "presidium_decision")
    cmd = driver_cmd("step", url, "--output", str(output), "--step", "notices", "--wait", str(wait))
    results = together([cmd] * 4, tmp_path / "go")
    outcomes = sorted(r.out.get("status") or ("busy" if r.code == 6 else f"exit {r.code}: {r.stderr}")
                      for r in results)
    # exactly one did the step; the others found it held (no wait) or done (after waiting)
    assert outcomes.count("done") == 1, outcomes
    assert set(outcomes) <= {"done", "busy", "skipped"}, outcomes
    if wait:
        assert outcomes == ["done", "skipped", "skipped", "skipped"]
    engine, db = _db(url)
    with db:
        session = db.scalar(select(CongressSession).where(CongressSession.key == KEY))
        run = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.step == "notices"))
        assert (run.status, run.attempts) == ("done", 1)
        assert _count(db, StepRun, StepRun.status == "failed") == 0
        for action in ("step_started", "step_done"):
            assert _count(db, AuditEvent, AuditEvent.action == action, AuditEvent.step == "notices") == 1
        assert _count(db, AuditEvent, AuditEvent.action == "step_failed") == 0
        assert _count(db, NoticeDelivery, NoticeDelivery.session_id == session.id) == 60
        assert _count(db, CalendarEntry, CalendarEntry.session_id == session.id) > 0
        _assert_files_match_rows(db, session)
    engine.dispose()


@pytest.mark.parametrize("wait", [0, 60])
def test_processes_released_together_on_a_whole_run(prepared: tuple[str, Path], tmp_path: Path, wait: int) -> None:
    url, output = prepared
    cmd = driver_cmd("run", url, "--output", str(output), "--wait", str(wait))
    results = together([cmd] * 3, tmp_path / "go")
    codes = sorted(r.code for r in results)
    assert set(codes) <= ({0} if wait else {0, 6}), [(r.code, r.out, r.stderr[-2000:]) for r in results]
    assert 0 in codes
    if wait:
        assert all(r.out["state"] == "completed" for r in results)
    else:  # the runs that gave way are repeated; the session then completes with nothing done twice
        again = run_driver("run", url, "--output", str(output))
        assert again.code == 0 and again.out["state"] == "completed", again
    engine, db = _db(url)
    with db:
        session = db.scalar(select(CongressSession).where(CongressSession.key == KEY))
        assert session.state == "completed"
        runs = db.scalars(select(StepRun).where(StepRun.session_id == session.id)).all()
        assert sorted((r.step, r.status, r.attempts) for r in runs) == sorted((s, "done", 1) for s in STEPS)
        done = db.scalars(select(AuditEvent.step).where(AuditEvent.action == "step_done")).all()
        assert sorted(done) == sorted(STEPS)
        assert _count(db, AuditEvent, AuditEvent.action == "step_started") == len(STEPS)
        assert _count(db, AuditEvent, AuditEvent.action == "step_failed") == 0
        assert _count(db, AuditEvent, AuditEvent.action == "session_completed") == 1
        assert _count(db, NoticeDelivery, NoticeDelivery.session_id == session.id) == 60
        _assert_files_match_rows(db, session)
    engine.dispose()


def test_migrations_at_once_on_a_fresh_database(fresh: str, tmp_path: Path) -> None:
    results = together([driver_cmd("migrate", fresh)] * 3, tmp_path / "go")
    assert [r.code for r in results] == [0, 0, 0], [r.stderr[-3000:] for r in results]
    engine, db = _db(fresh)
    with db:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        from congress.db import __file__ as db_file

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(db_file).parent / "migrations"))
        heads = set(ScriptDirectory.from_config(cfg).get_heads())
        assert set(db.scalars(text("select version_num from alembic_version"))) == heads
        assert _count(db, Township) == 0
    engine.dispose()


def test_loads_of_the_same_township_at_once(fresh: str, tmp_path: Path) -> None:
    assert run_driver("migrate", fresh).code == 0
    output = tmp_path / "output"
    results = together([driver_cmd("load", fresh, "--output", str(output))] * 3, tmp_path / "go")
    assert [r.code for r in results] == [0, 0, 0], [r.stderr[-3000:] for r in results]
    # the first stored it; the others waited and found the same file already loaded
    assert sorted(r.out["changed"] for r in results) == [False, False, True]
    engine, db = _db(fresh)
    with db:
        assert _count(db, Township) == 1 and _count(db, CongressSession) == 1
        assert _count(db, Deputy) == 60
        assert _count(db, AuditEvent, AuditEvent.action == "session_loaded") == 1
    engine.dispose()


# --- the claim itself (in-process, milliseconds) ---------------------------------------------------


def test_claim_is_exclusive_across_threads_and_reentrant_within_one(engine: Engine) -> None:
    key = f"claim-{time.monotonic_ns()}"
    assert session_claimed(engine, key) is False
    with claim_session(engine, key):
        with claim_session(engine, key):  # the same run claiming again (a step inside a run)
            assert session_claimed(engine, key) is True
        seen: list[object] = []

        def other() -> None:
            seen.append(session_claimed(engine, key))
            try:
                with claim_session(engine, key):
                    seen.append("claimed")
            except SessionBusy as exc:
                seen.append(str(exc))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert seen[0] is True
        assert isinstance(seen[1], str) and key in seen[1] and "另一次运行" in seen[1]
    assert session_claimed(engine, key) is False


def test_a_waiting_claim_gets_the_session_when_released(engine: Engine) -> None:
    key = f"claim-{time.monotonic_ns()}"
    released = threading.Event()
    holding = threading.Event()

    def holder() -> None:
        with claim_session(engine, key):
            holding.set()
            time.sleep(0.3)
        released.set()

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    started = time.monotonic()
    with claim_session(engine, key, wait_seconds=10):
        assert released.is_set()
    assert time.monotonic() - started < 5
    thread.join()
