"""How a halted or interrupted session shows on the dashboard, without Prefect: the session's state, each
step's status (a step left "running" with no live run holding the session is interrupted), and what the
run button offers. On SQLite and PostgreSQL; the claim is held from the test while a page is read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from congress.calendar import operations as cal_ops
from congress.db import make_engine, read_scope, session_scope
from congress.lifecycle import operations as ops
from congress.lifecycle.claim import claim_session
from congress.lifecycle.steps import STEPS
from congress.settings import Settings
from congress.web import accounts, views
from congress.web.app import create_app
from tests.conftest import new_database
from tests.test_web import KEY, PASSWORD, login


@dataclass
class Site:
    settings: Settings
    engine: Engine
    client: TestClient


@pytest.fixture
def site(backend: str, tmp_path: Path, sample_spec) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    """The sample session loaded, a staff account logged in, no flow service (launcher None)."""
    url, cleanup = new_database(backend, tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output", upload_dir=tmp_path / "uploads")
    engine = make_engine(url)
    with session_scope(engine) as db:
        accounts.create_user(db, username="staff", display_name="staff", role="staff", township_code="qingshan",
                             password=PASSWORD, actor="test")
        ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
    client = TestClient(create_app(settings))
    login(client, "staff", PASSWORD)
    yield Site(settings, engine, client)
    engine.dispose()
    cleanup()


def leave_running(engine: Engine, step: str) -> None:
    """What a run killed inside a step leaves behind: the step marked running, no claim."""
    with session_scope(engine) as db:
        session = ops.get_session(db, KEY)
        run = ops.step_run(db, session, step, STEPS.index(step))
        ops.start_step(db, session, run, actor="killed", flow_run_id=None)


def shown_status(page: str, step: str) -> str:
    return re.search(rf'data-step="{step}" data-status="([a-z]+)"', page).group(1)  # type: ignore[union-attr]


def purpose(engine: Engine) -> str | None:
    with read_scope(engine) as db:
        return views.launch_purpose(db, ops.get_session(db, KEY))


def test_a_step_left_running_is_interrupted_and_offered_again(site: Site) -> None:
    assert purpose(site.engine) == "start"
    leave_running(site.engine, "plan")
    page = site.client.get(f"/sessions/{KEY}").text
    assert shown_status(page, "plan") == "interrupted" and "已中断" in page
    assert purpose(site.engine) == "retry"
    progress = site.client.get(f"/sessions/{KEY}/progress").json()
    assert progress["steps"][0] == {"step": "plan", "status": "interrupted"}

    # while a live run holds the session the same row is that run's step in progress: no button
    with claim_session(site.settings, KEY):
        page = site.client.get(f"/sessions/{KEY}").text
        assert shown_status(page, "plan") == "running" and 'id="elsewhere"' in page
        assert purpose(site.engine) is None
    assert shown_status(site.client.get(f"/sessions/{KEY}").text, "plan") == "interrupted"


def test_a_cancelled_session_shows_so_and_offers_no_run(site: Site) -> None:
    with session_scope(site.engine) as db:
        cal_ops.cancel(db, session=ops.get_session(db, KEY), sitting_key=None, reason="台风", actor="staff",
                       settings=site.settings)
    page = site.client.get(f"/sessions/{KEY}").text
    assert 'id="session-state">已取消' in page and 'id="halted"' in page and "恢复后可继续办理" in page
    assert "launch-button" not in page and "流程服务未连接" not in page and "congress" not in page
    assert purpose(site.engine) is None
    listing = site.client.get("/sessions").text
    assert "已取消" in listing
