"""The dashboard app for the browser test of the deputies' page, with the deputies' day fixed by the
environment (CONGRESS_TEST_TODAY, an ISO date): a deputy's entry is dated by the server, never by the
client, so the test moves the server's clock instead. Test-only: `congress serve` never loads this."""

from __future__ import annotations

import os
from datetime import date

from fastapi import FastAPI

from congress.web.app import create_app as create_dashboard


def create_app() -> FastAPI:
    app = create_dashboard()
    day = date.fromisoformat(os.environ["CONGRESS_TEST_TODAY"])
    app.state.clock = lambda: day
    return app
