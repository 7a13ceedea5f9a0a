"""`congress serve` keeps its parts running (cli/supervise.py): a part that dies is started again after a
back-off, and the status the pages read says starting, up, or down and which part — here with two small
HTTP servers standing in for the Prefect server and the runner (the real ones: tests/e2e/test_browser.py
kills the runner of a real `congress serve`)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from cli.prefect_server import free_port
from cli.supervise import MAX_BACKOFF_S, FlowService, Part, backoff
from congress.web.service import ServiceStatus


def _part(name: str, tmp_path: Path) -> Part:
    port = free_port()
    return Part(name, [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], dict(os.environ),
                f"http://127.0.0.1:{port}/", tmp_path / f"{name}.log")


def _until(service: FlowService, state: str, seconds: float = 20) -> float:
    started = time.monotonic()
    while service.status.state != state:
        assert time.monotonic() - started < seconds, f"still {service.status.state} ({service.status.part})"
        service.tick()
        time.sleep(0.05)
    return time.monotonic() - started


def test_back_off_doubles_up_to_its_cap() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [1, 2, 4, 8, 16, MAX_BACKOFF_S, MAX_BACKOFF_S,
                                                               MAX_BACKOFF_S]


def test_a_part_that_dies_is_started_again_and_the_status_says_so(tmp_path: Path) -> None:
    status = ServiceStatus()
    service = FlowService([_part("server", tmp_path), _part("runner", tmp_path)], status)
    try:
        for part in service.parts:
            part.start()
        assert status.state == "starting"
        _until(service, "up")
        runner = service.part("runner")
        first = runner.proc
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        service.tick()
        assert (status.state, status.part) == ("down", "runner") and status.restarts == 1
        assert runner.proc is None and runner.next_start > time.monotonic()  # waits its back-off first
        took = _until(service, "up")
        assert runner.proc is not None and runner.proc.pid != first.pid and runner.starts == 2
        assert 0.5 < took < 20
        assert "congress serve starts runner" in (tmp_path / "runner.log").read_text()
    finally:
        service.stop()
    assert all(p.proc is None for p in service.parts)
