"""The flow service's health as `congress serve` supervises it (cli/web.py), shared with the pages.

While the Prefect server or the runner is down (or still starting) the dashboard says so and offers no
run button; a gate's input recorded meanwhile is kept and its run starts once the service is back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from congress.lifecycle.operations import now

STATES = ("starting", "up", "down")


@dataclass
class ServiceStatus:
    """starting | up | down, since when, and which part is down (server | runner)."""

    state: str = "starting"
    since: datetime = field(default_factory=now)
    part: str | None = None
    restarts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, state: str, part: str | None = None) -> None:
        if state not in STATES:
            raise ValueError(state)
        with self._lock:
            if (state, part) != (self.state, self.part):
                self.state, self.part, self.since = state, part, now()

    def restarted(self) -> None:
        with self._lock:
            self.restarts += 1

    def up(self) -> bool:
        return self.state == "up"
