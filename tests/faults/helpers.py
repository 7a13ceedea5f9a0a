"""Starting, releasing and killing driver processes (tests/faults/driver.py); comparing output folders."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.context
import os
import re
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from congress.db import make_engine
from tests.conftest import PG_BASE, PG_UNAVAILABLE, pg_url

KEY = "qingshan-18-3"


def fresh_url(backend: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """An EMPTY database (no schema yet) and its cleanup: a new SQLite file path or a new PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'fresh-{uuid.uuid4().hex[:8]}.db'}", lambda: None
    if PG_UNAVAILABLE:
        pytest.skip(PG_UNAVAILABLE)
    schema = f"congress_fault_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return pg_url(schema), drop


def driver_cmd(command: str, url: str, *args: str) -> list[str]:
    """The driver's arguments (as for `python -m tests.faults.driver`)."""
    return [command, "--url", url, *args]


_SERVER: multiprocessing.context.ForkServerContext | None = None


def _context() -> multiprocessing.context.ForkServerContext:
    # A fork server that imported the driver (and the whole core) once: each driver process then
    # starts in milliseconds, from a process without threads or open connections.
    global _SERVER
    if _SERVER is None:
        _SERVER = multiprocessing.get_context("forkserver")
        _SERVER.set_forkserver_preload(["tests.faults.driver"])
    return _SERVER


@dataclass
class Finished:
    code: int
    out: dict[str, Any]
    stderr: str


class Driver:
    """One driver process: started at once, waited for, or killed."""

    def __init__(self, argv: list[str]):
        from tests.faults import driver

        self.result = Path(tempfile.mkstemp(prefix="driver-", suffix=".json")[1])
        self.proc = _context().Process(target=driver.child, args=(argv, str(self.result)))
        self.proc.start()
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.is_alive()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.result.unlink(missing_ok=True)

    def wait(self, timeout: float = 300) -> Finished:
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.kill()
            pytest.fail(f"driver still running after {timeout} s")
        try:
            data = json.loads(self.result.read_text(encoding="utf-8") or "{}")
        finally:
            self.result.unlink(missing_ok=True)
        code = self.proc.exitcode if self.proc.exitcode is not None else -1
        return Finished(code, _last_json(data.get("stdout", "")), data.get("stderr", ""))


def run_driver(command: str, url: str, *args: str, timeout: float = 300) -> Finished:
    """Run the driver to its end."""
    return Driver(driver_cmd(command, url, *args)).wait(timeout)


def _last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def together(commands: list[list[str]], start_file: Path, timeout: float = 300) -> list[Finished]:
    """Start every command (each with --start-file), wait until all have connected, then release them at
    once by creating the start file."""
    drivers = [Driver([*cmd, "--start-file", str(start_file)]) for cmd in commands]
    deadline = time.monotonic() + 120
    while len(list(start_file.parent.glob(f"{start_file.name}.ready.*"))) < len(drivers):
        if not all(d.alive() for d in drivers) or time.monotonic() > deadline:
            break  # one died early: release the others and report what happened
        time.sleep(0.005)
    start_file.write_text("go", encoding="utf-8")
    return [d.wait(timeout) for d in drivers]


class Paused:
    """A `run` driver started with --pause POINT: wait until it stops there, then kill it."""

    def __init__(self, url: str, output: Path, point: str | None, marker_dir: Path, *extra: str):
        self.marker = marker_dir / f"paused-{uuid.uuid4().hex[:8]}"
        args = ["--output", str(output), *extra]
        if point:
            args += ["--pause", point, "--marker", str(self.marker)]
        self.point = point
        self.driver = Driver(driver_cmd("run", url, *args))

    def _ended(self, what: str) -> None:
        done = self.driver.wait()
        pytest.fail(f"driver ended ({done.code}) before {what}:\n{done.out}\n{done.stderr}")

    def wait_paused(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not self.marker.exists():
            if not self.driver.alive():
                self._ended(f"pausing at {self.point}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"driver did not reach {self.point} in {seconds} s")
            time.sleep(0.005)

    def wait_child(self, name: str, seconds: float = 120) -> int:
        """Wait until the driver has started a child process whose command name contains `name`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for pid in children(self.driver.pid):
                try:
                    comm = Path(f"/proc/{pid}/comm").read_text()
                except OSError:
                    continue
                if name in comm:
                    return pid
            if not self.driver.alive():
                self._ended(f"starting {name}")
            time.sleep(0.005)
        pytest.fail(f"no {name} child within {seconds} s")

    def kill(self) -> None:
        self.driver.kill()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def kill_group(pid: int) -> None:
    """Kill a process group left behind (LibreOffice runs in its own) and wait until it is gone; remove
    the temporary folder it worked in, which the killed run can no longer remove."""
    try:  # LibreOffice's command line names its output folder inside the work folder
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        work = Path(argv[argv.index("--outdir") + 1]).parent
    except (OSError, ValueError, IndexError):
        work = None
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.02)
    if work is not None and work.name.startswith("congress-pdf-") and work.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(work, ignore_errors=True)


# --- output folders --------------------------------------------------------------------------------

# Legitimately different between two runs of the same inputs, and normalised before comparing:
# - the step-completion audit report (.docx and its PDF): it records when each step started and finished;
# - in outcome.json: the steps' started/finished times and attempts, the count of audit events, the
#   output folder's path, the audit chain head, the audit report's entry, and the calendar files' hashes
#   (their bytes differ by DTSTAMP only: the files themselves are compared with DTSTAMP normalised);
# - in calendar files: DTSTAMP / LAST-MODIFIED / CREATED (when the object was written).
AUDIT_REPORT = "audit/"
_ICS_STAMPS = re.compile(rb"^(DTSTAMP|LAST-MODIFIED|CREATED)[:;].*$", re.M)


def normalised_outputs(root: Path) -> dict[str, str]:
    """Every file under the folder (relative path -> sha256 of its normalised bytes), the audit report left out."""
    files: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(AUDIT_REPORT):
            continue
        data = path.read_bytes()
        if rel == "outcome.json":
            data = _normalised_outcome(data)
        elif rel.endswith(".ics"):
            data = _ICS_STAMPS.sub(rb"\1:-", data)
        files[rel] = hashlib.sha256(data).hexdigest()
    return files


def _normalised_outcome(data: bytes) -> bytes:
    outcome = json.loads(data)
    outcome.pop("audit_events", None)
    outcome.pop("output_dir", None)
    for key in ("audit_chain", "chain_head", "audit"):
        outcome.pop(key, None)
    for step in outcome.get("steps", []):
        for key in ("started", "finished", "attempts"):
            step.pop(key, None)
    outcome["documents"] = [d for d in outcome.get("documents", []) if not d["path"].startswith(AUDIT_REPORT)]
    for entry in outcome.get("calendars", []):  # their bytes carry DTSTAMP; the files are compared normalised
        entry.pop("sha256", None)
    return json.dumps(outcome, ensure_ascii=False, sort_keys=True).encode("utf-8")


def leftovers(root: Path) -> list[str]:
    """Temporary files of an atomic write that never completed."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.tmp"))
