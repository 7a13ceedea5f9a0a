"""What `congress serve` keeps running besides the dashboard: the Prefect server (unless PREFECT_API_URL
names one) and the runner serving the deployments, each restarted with back-off when it dies.

Each part is a subprocess with a health address; a thread starts them, asks their health every
second, restarts one that exited (1 s, 2 s, 4 s … at most 30 s after its last death; the count starts
again once it has stayed up a minute) and keeps `ServiceStatus` — starting, up, or down and which part
— for the pages: while the service is down they say 流程服务暂停 and offer no run button, and a gate's
input recorded meanwhile is started once it is back (congress/web/launcher.py `reconcile`).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cli.prefect_server import SERVER_LOG, _server_command, die_with_parent, free_port
from congress.web.service import ServiceStatus

log = logging.getLogger("congress.serve")
RUNNER_LOG = "flow-runner.log"
MAX_BACKOFF_S = 30.0
STABLE_S = 60.0  # up this long: its next death restarts it after 1 s again
CHECK_EVERY_S = 1.0
MISSES = 3


def backoff(deaths: int) -> float:
    """Seconds to wait before restarting a part that died `deaths` times in a row."""
    return min(2.0 ** max(deaths - 1, 0), MAX_BACKOFF_S)


@dataclass
class Part:
    """One supervised subprocess."""

    name: str  # server | runner
    command: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    own_group: bool = False  # in a process group of its own (the server: stopped with its children)
    stop_signal: int = signal.SIGINT
    watch_only: bool = False  # a part another machine runs (the city's Prefect server): its health is asked only
    proc: subprocess.Popen[bytes] | None = None
    healthy: bool = False
    deaths: int = 0
    next_start: float = 0.0
    up_since: float | None = None
    checked: float = 0.0
    starts: int = 0
    misses: int = 0

    def start(self) -> None:
        if self.watch_only:
            self.healthy, self.up_since, self.checked, self.misses = False, None, 0.0, 0
            self.starts += 1
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} congress serve starts {self.name}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=self.env, start_new_session=self.own_group,
                                         preexec_fn=die_with_parent())
        self.healthy, self.up_since, self.checked, self.misses = False, None, 0.0, 0
        self.starts += 1

    def alive(self) -> bool:
        if self.watch_only:
            return self.starts > 0
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> bool:
        """Ask its health; a part that was healthy counts as down after MISSES answers missed in a row
        (a busy machine answers late now and then)."""
        import httpx

        try:
            ok = httpx.get(self.health_url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            ok = False
        self.misses = 0 if ok else self.misses + 1
        self.healthy = ok or (self.healthy and self.misses < MISSES)
        return self.healthy

    def stop(self, grace: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            if self.own_group:
                os.killpg(proc.pid, self.stop_signal)
            else:
                proc.send_signal(self.stop_signal)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL) if self.own_group else proc.kill()
            except ProcessLookupError:
                pass
            proc.wait()


class FlowService:
    """The supervised parts and the thread that keeps them running."""

    def __init__(self, parts: list[Part], status: ServiceStatus, *, check_every: float = CHECK_EVERY_S):
        self.parts, self.status, self.check_every = parts, status, check_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="congress-flow-service", daemon=True)
        self.ever_up = False

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)

    def start(self) -> FlowService:
        for part in self.parts:
            part.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching, then the parts in reverse order (the runner while the API it reports to is up)."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)
        for part in reversed(self.parts):
            part.stop()

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the watcher itself must not die
                log.warning("flow service check failed", exc_info=True)

    def tick(self) -> None:
        """One look at every part: restart the dead (after their back-off), ask the live for their health."""
        now = time.monotonic()
        for part in self.parts:
            if part.proc is not None and not part.alive():
                part.proc, part.healthy, part.up_since = None, False, None
                part.deaths += 1
                part.next_start = now + backoff(part.deaths)
                self.status.restarted()
                log.warning("%s exited; restarting in %.0f s", part.name, backoff(part.deaths))
            if part.proc is None and not part.watch_only:
                if now >= part.next_start and not self._stop.is_set():
                    part.start()
                continue
            if now - part.checked >= (self.check_every if part.healthy else 0.25):
                part.checked = now
                if part.check() and part.up_since is None:
                    part.up_since = now
                elif not part.healthy:
                    part.up_since = None
            if part.up_since is not None and now - part.up_since > STABLE_S:
                part.deaths = 0
        down = next((p.name for p in self.parts if not p.healthy), None)
        if down is None:
            self.ever_up = True
            self.status.set("up")
        else:
            self.status.set("down" if self.ever_up else "starting", down)


def flow_service(*, log_dir: Path, status: ServiceStatus, api: str, server_port: int | None,
                 poll_seconds: float, runner: bool = True) -> FlowService:
    """The Prefect server on `server_port` (None: PREFECT_API_URL names one, nothing to start) and the
    runner serving flows/deployments.py, reporting to `api`. Without `runner` (a dashboard-only process of
    a city, whose workers run the flows: docs/deploy.md) only the named server's health is watched."""
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    parts = []
    if server_port is not None:
        command, extra = _server_command(server_port, True)
        server_env = {**env, **extra}
        server_env.pop("PREFECT_API_URL", None)
        parts.append(Part("server", command, server_env, f"{api}/health", (log_dir / SERVER_LOG).resolve(),
                          own_group=True, stop_signal=signal.SIGTERM))
    if not runner:
        if server_port is None:
            parts.append(Part("server", [], env, f"{api}/health", (log_dir / SERVER_LOG).resolve(), watch_only=True))
        return FlowService(parts, status)
    runner_port = free_port()
    # the runner's own web server answers /health once its deployments are registered and while it polls
    runner_env = {**env, "PREFECT_RUNNER_SERVER_ENABLE": "true", "PREFECT_RUNNER_SERVER_HOST": "127.0.0.1",
                  "PREFECT_RUNNER_SERVER_PORT": str(runner_port)}
    parts.append(Part("runner", [sys.executable, "-m", "flows.deployments", "--poll-seconds", str(poll_seconds)],
                      runner_env, f"http://127.0.0.1:{runner_port}/health", (log_dir / RUNNER_LOG).resolve()))
    return FlowService(parts, status)
