"""Real servers the tests start as subprocesses on a free loopback port, stopped afterwards."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cli.web import free_port

__all__ = ["background_server", "free_port"]


def _answers(url: str, seconds: float, proc: subprocess.Popen[bytes], any_status: bool) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            status = httpx.get(url, timeout=2).status_code
            if any_status or status == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


@contextmanager
def background_server(cmd: list[str], *, log_path: Path, ready_url: str, cwd: Path | None = None,
                      env: dict[str, str] | None = None, seconds: float = 60,
                      any_status: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """Run `cmd` until the block ends; fail the test with the server's log if it never answers."""
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not _answers(ready_url, seconds, proc, any_status):
            pytest.fail(f"{' '.join(cmd[:3])} did not start:\n{log_path.read_text(errors='replace')}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
