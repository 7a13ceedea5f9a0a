"""The Prefect API a command talks to: the server PREFECT_API_URL names, or a local one the command starts
and that stops with it — on a normal exit, on an error, and also when the command is killed (SIGKILL)."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from congress.messages import msg
from congress.settings import Settings

console = Console(soft_wrap=True)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SERVER_LOG = "prefect-server.log"


class PrefectStartError(RuntimeError):
    """The Prefect server did not answer in time; the message (Chinese) names its log."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """True once the URL answers 200; False on timeout or when the process exits first."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=min(2.0, max(seconds, 0.1))).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() + 0.25 >= deadline:
            return False
        time.sleep(0.25)


def die_with_parent() -> Callable[[], None]:
    """A preexec_fn asking Linux to SIGKILL the child when this process dies, however it dies."""
    parent = os.getpid()
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork: no dlopen in the child
    except (OSError, AttributeError):  # not Linux: the server is still stopped on every normal exit
        prctl = None

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody would stop us
            os._exit(1)

    return preexec


def _server_command(port: int, services: bool) -> tuple[list[str], dict[str, str]]:
    if services:
        # the full server (scheduler and the other services): deployments and schedules need them
        return ([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                {"PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api"})
    # what Prefect's own ephemeral mode runs (API only, no UI, no services), but started and stopped here
    return ([sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app", "--host",
             "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"],
            {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})


def start_prefect_server(log_dir: Path, port: int = 0, timeout: float = 180, *, services: bool = True,
                         announce: str = "web.serve.prefect_starting",
                         failed: str = "web.serve.prefect_failed") -> tuple[subprocess.Popen[bytes], str]:
    """A Prefect server on a loopback port (its database under PREFECT_HOME), killed when this process dies.

    It runs in a process group of its own, so a Ctrl-C in the terminal reaches this process only and
    the server is stopped after the flow has said its last word to it (`stop_prefect_server`).
    """
    port = port or free_port()
    api = f"http://127.0.0.1:{port}/api"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / SERVER_LOG).resolve()
    console.print(msg(announce, url=api, log=log), highlight=False)
    command, extra = _server_command(port, services)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}
    env.pop("PREFECT_API_URL", None)
    with log.open("ab") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()} starts {api}\n".encode())
        out.flush()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True, preexec_fn=die_with_parent())
    if not wait_for_http(f"{api}/health", timeout, proc):
        stop_prefect_server(proc)
        raise PrefectStartError(msg(failed, seconds=f"{timeout:g}", log=log))
    return proc, api


def stop_prefect_server(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not ended within `grace` seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _drain_prefect() -> None:
    """Let the flow's last logs and events reach the server before it stops (else they fail noisily)."""
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=10)
        EventsWorker.drain_all(timeout=10)
    except Exception:  # best effort: the run itself is over and recorded
        pass


@contextmanager
def prefect_api(settings: Settings) -> Iterator[str]:
    """The Prefect API for this command: PREFECT_API_URL when set, else a local server for as long as the block.

    Set before Prefect is imported, so the flows of this process talk to that server.
    """
    named = os.environ.get("PREFECT_API_URL")
    if named:
        if not wait_for_http(f"{named.rstrip('/')}/health", min(settings.prefect_start_timeout, 30)):
            raise PrefectStartError(msg("cli.prefect.unreachable", url=named))
        yield named
        return
    proc, api = start_prefect_server(settings.log_dir, timeout=settings.prefect_start_timeout, services=False,
                                     announce="cli.prefect.starting", failed="cli.prefect.failed")
    os.environ["PREFECT_API_URL"] = api
    try:
        yield api
    finally:
        _drain_prefect()
        stop_prefect_server(proc)
        os.environ.pop("PREFECT_API_URL", None)
