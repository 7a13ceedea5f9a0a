"""A full disk and a read-only output folder (a small tmpfs mounted by the test): one Chinese line,
nothing half-written, no step marked done; after the fix (room made, or another CONGRESS_OUTPUT_DIR)
running again completes the session. On SQLite and PostgreSQL, through the core.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from congress.db import make_engine, read_scope, session_scope
from congress.errors import OutputWriteError
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import STEPS, next_step, run_step
from congress.models import CongressSession, Document, StepRun
from congress.settings import Settings
from tests.conftest import SAMPLE, new_database
from tests.faults.driver import give_all_inputs
from tests.faults.helpers import KEY, leftovers

# The first three steps write ~90 KB; the notices step ~1.5 MB (60 notices, 60 invitations).
SMALL = "400k"


def _mount(target: Path, options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True,
                          text=True)


def _remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True, capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of SMALL bytes (mounting needs root or CAP_SYS_ADMIN: skipped with the reason otherwise)."""
    target = tmp_path / "disk"
    target.mkdir()
    mounted = _mount(target, f"size={SMALL},mode=0755")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode}); "
                    "the disk-full and read-only cases need a small filesystem of their own")
    yield target
    subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.fixture
def loaded(backend: str, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """A migrated database holding the sample with every human-gate input; its engine and URL."""
    url, cleanup = new_database(backend, tmp_path)
    engine = make_engine(url)
    yield engine, url
    engine.dispose()
    cleanup()


def _load(engine: Engine, output: Path) -> None:
    spec = load_session_file(SAMPLE / "session.yaml")
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=spec, actor="test", output_root=output)
        give_all_inputs(db, session)


def _advance(engine: Engine, settings: Settings) -> list[tuple[str, str]]:
    """The steps in order until one does not finish, each in its own unit of work (as the tasks run them)."""
    results = []
    while True:
        with session_scope(engine) as db:
            step = next_step(db, KEY)
            if step is None:
                return results
            status = run_step(db, KEY, step, actor="test", settings=settings).status
        results.append((step, status))
        if status != "done":
            return results


def _state(engine: Engine) -> tuple[dict[str, str], dict[str, str], Path]:
    with read_scope(engine) as db:
        session = db.scalar(select(CongressSession).where(CongressSession.key == KEY))
        steps = {r.step: r.status for r in db.scalars(select(StepRun).where(StepRun.session_id == session.id))}
        docs = {d.path: d.sha256 for d in db.scalars(select(Document).where(Document.session_id == session.id))}
        return steps, docs, Path(session.output_dir)


def _assert_whole_files(root: Path, docs: dict[str, str]) -> None:
    """Each file is complete (its registered hash) or absent; no temporary file is left."""
    assert leftovers(root) == []
    for path in (p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        assert rel in docs, rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == docs[rel], rel


def test_full_disk_fails_cleanly_and_completes_once_there_is_room(loaded, small_disk: Path) -> None:  # type: ignore[no-untyped-def]
    engine, url = loaded
    settings = Settings(database_url=url, output_dir=small_disk, render_pdf="off")
    _load(engine, small_disk)
    with pytest.raises(OutputWriteError) as failure:
        _advance(engine, settings)
    message = str(failure.value)
    assert "磁盘空间已满" in message and "本次办理未完成" in message and "\n" not in message
    steps, docs, root = _state(engine)
    assert [steps[s] for s in STEPS[:3]] == ["done"] * 3
    assert steps["notices"] == "failed"
    with read_scope(engine) as db:
        run = db.scalar(select(StepRun).where(StepRun.step == "notices"))
        assert run.message == message
    _assert_whole_files(root, docs)

    _remount(small_disk, "size=32m")
    assert _advance(engine, settings) == [(s, "done") for s in STEPS[3:]]
    steps, docs, root = _state(engine)
    assert set(steps.values()) == {"done"}
    _assert_whole_files(root, docs)
    assert all((root / path).exists() for path in docs)


def test_read_only_output_fails_cleanly_and_another_output_folder_fixes_it(loaded, small_disk: Path,  # type: ignore[no-untyped-def]
                                                                            tmp_path: Path) -> None:
    engine, url = loaded
    _remount(small_disk, "ro")
    settings = Settings(database_url=url, output_dir=small_disk, render_pdf="off")
    _load(engine, small_disk)
    with pytest.raises(OutputWriteError) as failure:
        _advance(engine, settings)
    message = str(failure.value)
    assert "只读" in message and "CONGRESS_OUTPUT_DIR" in message
    steps, _docs, _root = _state(engine)
    assert steps == {"plan": "failed"}
    assert list(small_disk.iterdir()) == []

    elsewhere = tmp_path / "elsewhere"
    fixed = settings.model_copy(update={"output_dir": elsewhere})
    assert _advance(engine, fixed) == [(s, "done") for s in STEPS]
    steps, docs, root = _state(engine)
    assert root == (elsewhere / KEY).resolve()
    _assert_whole_files(root, docs)
    assert all((root / path).exists() for path in docs)
