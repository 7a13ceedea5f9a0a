"""A completed sample session built through the core (no Prefect), for the audit, verify and backup tests.

A test module uses the fixtures by importing them: `from tests.audit_support import built_fixture, forge_fixture`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from congress.db import make_engine, session_scope
from congress.inputs import load_attendance, load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.outcome import finalize
from congress.lifecycle.steps import next_step, run_step
from congress.settings import Settings
from tests.conftest import SAMPLE, new_database

KEY = "qingshan-18-3"


@dataclass
class Built:
    url: str
    engine: Engine
    settings: Settings
    cleanup: object

    @property
    def output(self) -> Path:
        return Path(self.settings.output_dir) / KEY


def record_inputs(settings: Settings, engine: Engine) -> None:
    """Load the sample and record every gate input, as `congress run … --approve-plan … --tallies …` does."""
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="staff",
                                      output_root=settings.output_dir)
        ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",
                                  comments="", decided_on=date(2026, 12, 2), actor="approver")
        rows = load_attendance(SAMPLE / "attendance.csv", {d.code: d.name for d in ops.active_deputies(db, session)})
        ops.record_attendance(db, session, rows, actor="staff", source="attendance.csv")
        ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                                  comments="", decided_on=date(2026, 12, 22), actor="approver")
        ops.record_tallies(db, session, load_tallies(SAMPLE / "tallies.yaml"), actor="staff")


def advance(settings: Settings, engine: Engine) -> None:
    """Run the steps in order until one does not finish, then write the audit report and outcome.json."""
    with session_scope(engine) as db:
        while (step := next_step(db, KEY)) is not None:
            if run_step(db, KEY, step, actor="staff", settings=settings).status != "done":
                break
        finalize(db, KEY, actor="staff", settings=settings)


def build(backend: str, tmp: Path) -> Built:
    """A fresh database holding the completed sample session, its files under tmp/output."""
    url, cleanup = new_database(backend, tmp)
    engine = make_engine(url)
    settings = Settings(database_url=url, output_dir=tmp / "output", render_pdf="off")
    record_inputs(settings, engine)
    advance(settings, engine)
    return Built(url, engine, settings, cleanup)


_BUILT: dict[str, Built] = {}


@pytest.fixture(scope="module", name="built")
def built_fixture(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Built:
    """The completed sample session, built once per backend for the whole test run (~7 s each).

    Tests change it only in rolled-back transactions (`forge`) and put back any file they touch.
    """
    if backend not in _BUILT:
        b = _BUILT[backend] = build(backend, tmp_path_factory.mktemp(f"built-{backend}"))

        def drop() -> None:
            b.engine.dispose()
            b.cleanup()  # type: ignore[operator]

        request.config.add_cleanup(drop)
    return _BUILT[backend]


@pytest.fixture(name="forge")
def forge_fixture(built: Built) -> Iterator[Session]:
    """A session on the built database whose changes (plain SQL forgeries too) are rolled back after the test."""
    connection = built.engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield db
    db.close()
    transaction.rollback()
    connection.close()
