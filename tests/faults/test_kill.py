"""SIGKILL a run at every step boundary, inside the notices step and inside PDF rendering, on SQLite and
PostgreSQL; run again; the outputs are those of a clean run, with nothing done twice.

One chained sequence per backend keeps it fast: a driver process (tests/faults/driver.py, the core
without Prefect, every human-gate input recorded up front) runs until it reaches the next kill point,
is killed there, and the next driver resumes from what the database says. The moment is not guessed
with a sleep: the driver stops at the named point and writes a marker (or, for LibreOffice, the test
waits until the driver has started it), and the database is checked at that moment.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress.db import Base, make_engine, read_scope
from congress.documents.pdf import soffice_binary
from congress.lifecycle.claim import session_claimed
from congress.lifecycle.steps import STEPS
from congress.models import AuditEvent, CongressSession, Document, StepRun
from congress.settings import REPO_ROOT
from tests.faults.helpers import (
    KEY,
    Paused,
    fresh_url,
    kill_group,
    leftovers,
    normalised_outputs,
    run_driver,
)

pytestmark = pytest.mark.skipif(soffice_binary() is None, reason="LibreOffice (soffice) is not installed")

# Where the sequence kills the run, in the order a run reaches them. At every step boundary: the step
# has just been marked running (claim held, its transaction open); the previous one is done. (Killing
# between the two, with nothing in flight, is the easy case: `before:<step>` in the driver.)
KILL_POINTS: list[str] = []
for _step in STEPS:
    KILL_POINTS.append(f"body:{_step}")
    if _step == "notices":
        # building the 30th notice (rows flushed, not committed); half its files written after its
        # transaction committed; every file written, the step not yet marked done
        KILL_POINTS += ["document:30", "write:60", "finish:notices"]
KILL_POINTS += ["soffice", "pdfwrite:40", "finalize"]

# Audit actions a killed and repeated attempt legitimately adds (each attempt is audited when it starts;
# PDFs converted again; outcome.json written again).
REPEATED_ACTIONS = {"step_started", "pdf_rendered", "outcome_written"}


def _table_counts(db: Session) -> dict[str, int]:
    return {t.name: db.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables if t.name not in ("audit_event", "alembic_version")}


def _snapshot(url: str) -> tuple[dict[str, int], Counter[str]]:
    engine = make_engine(url)
    with read_scope(engine) as db:
        counts = _table_counts(db)
        actions = Counter(db.scalars(select(AuditEvent.action)).all())
    engine.dispose()
    return counts, actions


_CLEAN: list[tuple[dict[str, str], dict[str, int], Counter[str]]] = []


@pytest.fixture
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, int], Counter[str]]:
    """A run without faults (SQLite, made once for both backends): normalised outputs, row counts, audit actions."""
    if not _CLEAN:
        tmp = tmp_path_factory.mktemp("clean")
        url, _cleanup = fresh_url("sqlite", tmp)  # a file under the session's temporary folder
        output = tmp / "output"
        assert run_driver("prepare", url, "--output", str(output)).code == 0
        done = run_driver("run", url, "--output", str(output), "--pdf", "on")
        assert done.code == 0 and done.out["state"] == "completed", done.stderr
        counts, actions = _snapshot(url)
        _CLEAN.append((normalised_outputs(output / KEY), counts, actions))
    return _CLEAN[0]


def _step_status(url: str, step: str) -> str | None:
    engine = make_engine(url)
    with read_scope(engine) as db:  # the paused run may hold SQLite's write lock
        status = db.scalar(select(StepRun.status).join(CongressSession)
                           .where(CongressSession.key == KEY, StepRun.step == step))
    engine.dispose()
    return status


def _claim_released(url: str) -> bool:
    """After the kill the claim goes with the process (PostgreSQL: once the server sees the connection end)."""
    engine = make_engine(url)
    deadline = time.monotonic() + 10
    try:
        while session_claimed(engine, KEY):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True
    finally:
        engine.dispose()


def test_kill_at_every_boundary_then_rerun_gives_the_clean_outputs(backend: str, tmp_path: Path, clean_run) -> None:  # type: ignore[no-untyped-def]
    reference, ref_counts, ref_actions = clean_run
    url, cleanup = fresh_url(backend, tmp_path)
    try:
        output = tmp_path / "output"
        assert run_driver("prepare", url, "--output", str(output)).code == 0
        for point in KILL_POINTS:
            if point == "soffice":
                run = Paused(url, output, None, tmp_path, "--pdf", "on")
                office = run.wait_child("soffice")
                run.kill()
                kill_group(office)  # LibreOffice runs in its own process group; it would finish the batch
            else:
                run = Paused(url, output, point, tmp_path, "--pdf", "on")
                run.wait_paused()
                kind, _, arg = point.partition(":")
                if kind == "body":  # marked running, claimed, its transaction open
                    assert _step_status(url, arg) == "running"
                run.kill()
            assert _claim_released(url), f"claim still held after the kill at {point}"
            if point.startswith(("body:", "document:", "write:", "finish:")):
                step = point.partition(":")[2] if point.startswith(("body:", "finish:")) else "notices"
                assert _step_status(url, step) == "running", point  # interrupted, to be redone
        done = run_driver("run", url, "--output", str(output), "--pdf", "on")
        assert done.code == 0 and done.out["state"] == "completed", done.stderr

        root = output / KEY
        assert leftovers(root) == []
        assert normalised_outputs(root) == reference
        counts, actions = _snapshot(url)
        assert counts == ref_counts  # no duplicate rows anywhere (documents, deliveries, entries, …)
        assert {a: n for a, n in actions.items() if a not in REPEATED_ACTIONS} == \
               {a: n for a, n in ref_actions.items() if a not in REPEATED_ACTIONS}
        engine = make_engine(url)
        with read_scope(engine) as db:
            runs = db.scalars(select(StepRun)).all()
            assert sorted((r.step, r.status) for r in runs) == sorted((s, "done") for s in STEPS)
            assert all(r.attempts >= 1 for r in runs) and sum(r.attempts for r in runs) > len(STEPS)
            done_steps = db.scalars(select(AuditEvent.step).where(AuditEvent.action == "step_done")).all()
            assert sorted(done_steps) == sorted(STEPS)
            for doc in db.scalars(select(Document)):
                assert hashlib.sha256((root / doc.path).read_bytes()).hexdigest() == doc.sha256, doc.path
        engine.dispose()
        _verify_audit(url, output)
    finally:
        cleanup()


def _verify_audit(url: str, output: Path) -> None:
    """`congress verify` (the audit area) passes on the recovered session, when that command exists."""
    if importlib.util.find_spec("congress.audit") is None:
        return
    env = {**os.environ, "CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(output),
           "PYTHONPATH": str(REPO_ROOT)}
    congress = str(Path(sys.executable).parent / "congress")
    probe = subprocess.run([congress, "verify", "--help"], env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    if probe.returncode != 0:
        return
    check = subprocess.run([congress, "verify", KEY], env=env, capture_output=True, text=True, timeout=300,
                           cwd=REPO_ROOT)
    assert check.returncode == 0, check.stdout + check.stderr
