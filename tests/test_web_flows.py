"""The dashboard against a real Prefect API (the session-wide test harness, no runner: runs stay
scheduled until the test ends them): a click creates a flow run through the session deployment, two
clicks at once create one; a gate's input continues the session by itself — at once, or kept behind a
run still at work, or until the flow service is back."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from congress.db import make_engine, session_scope
from congress.lifecycle import operations as ops
from congress.models import AuditEvent, FlowLaunch
from congress.settings import Settings
from congress.web import accounts
from congress.web.app import create_app
from tests.conftest import new_database
from tests.test_web import KEY, PASSWORD, csrf, login

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def deployment(prefect_harness: None) -> str:
    """The session deployment registered on the harness server (no runner: runs stay scheduled)."""
    from flows.deployments import SESSION_DEPLOYMENT, session_deployment

    session_deployment().apply()
    return SESSION_DEPLOYMENT


@pytest.fixture
def app_with_launcher(backend: str, tmp_path: Path, deployment: str, sample_spec) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    from flows.deployments import PrefectLauncher

    url, cleanup = new_database(backend, tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output", upload_dir=tmp_path / "uploads")
    engine = make_engine(url)
    with session_scope(engine) as db:
        for name in ("staff", "staff2"):
            accounts.create_user(db, username=name, display_name=name, role="staff", township_code="qingshan",
                                 password=PASSWORD, actor="test")
        ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
    app = create_app(settings)
    app.state.launcher = PrefectLauncher()
    yield app, engine
    engine.dispose()
    cleanup()


def _runs_of_session(deployment_name: str) -> list:  # type: ignore[type-arg]
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterTags,
    )

    async def read() -> list:  # type: ignore[type-arg]
        async with get_client() as client:
            return await client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment_name.split("/")[1]])),
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"session-{KEY}"])),
            )

    return asyncio.run(read())


def test_two_clicks_at_once_start_one_flow_run(app_with_launcher, deployment: str) -> None:  # type: ignore[no-untyped-def]
    try:
        _two_clicks(app_with_launcher, deployment)
    finally:
        # no run of this test may stay scheduled: a later test's runner serves the same deployment
        asyncio.run(cancel_unfinished_runs())


def _two_clicks(app_with_launcher, deployment: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    app, engine = app_with_launcher
    before = {r.id for r in _runs_of_session(deployment)}
    clients = [TestClient(app), TestClient(app)]
    for client, name in zip(clients, ("staff", "staff2"), strict=True):
        login(client, name, PASSWORD)
    tokens = [csrf(c) for c in clients]
    barrier = threading.Barrier(2)
    responses: list = [None, None]  # type: ignore[type-arg]

    def click(i: int) -> None:
        barrier.wait()
        responses[i] = clients[i].post(f"/sessions/{KEY}/launch", data={"csrf_token": tokens[i]},
                                       follow_redirects=False)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    notices = sorted(r.headers["location"].split("notice=")[1] for r in responses)
    assert notices == ["already_running", "launched"]
    new_runs = [r for r in _runs_of_session(deployment) if r.id not in before]
    assert len(new_runs) == 1
    run = new_runs[0]
    assert run.parameters["session_key"] == KEY and run.parameters["actor"] in ("staff", "staff2")
    with session_scope(engine) as db:
        launches = db.scalars(select(FlowLaunch)).all()
        assert [(x.flow_run_id, x.active) for x in launches] == [(str(run.id), 1)]
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "flow_launched"))
        assert event is not None and event.actor == launches[0].actor and event.detail["flow_run_id"] == str(run.id)

    # the page shows the run; a third click while it is scheduled starts nothing
    page = clients[0].get(f"/sessions/{KEY}")
    assert "正在办理：开始办理" in page.text and str(run.id) in page.text and "排队中" in page.text
    assert run.name == f"session-{KEY}-start"  # named after the session from the start, not at random
    assert "already_running" in clients[0].post(f"/sessions/{KEY}/launch", data={"csrf_token": tokens[0]},
                                                follow_redirects=False).headers["location"]

    # once the run has ended the session is free again, and the next click starts a new run
    asyncio.run(cancel_unfinished_runs())
    assert clients[0].get(f"/sessions/{KEY}/progress").json()["active"] is False
    with session_scope(engine) as db:  # a page writes nothing: the next launch request releases the claim
        assert [x.active for x in db.scalars(select(FlowLaunch))] == [1]
    again = clients[1].post(f"/sessions/{KEY}/launch", data={"csrf_token": tokens[1]}, follow_redirects=False)
    assert again.headers["location"].endswith("notice=launched")
    assert len([r for r in _runs_of_session(deployment) if r.id not in before]) == 2


async def cancel_unfinished_runs() -> None:
    """Cancel every run of the sample session that has not ended (on the harness server)."""
    from prefect import get_client
    from prefect.states import Cancelled

    async with get_client() as client:
        for run in await client.read_flow_runs():
            if f"session-{KEY}" in (run.tags or []) and run.state and not run.state.is_final():
                await client.set_flow_run_state(run.id, Cancelled(), force=True)


def test_an_interrupted_step_offers_to_run_again_and_a_cancelled_session_nothing(app_with_launcher) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from congress.calendar import operations as cal_ops
    from congress.lifecycle.steps import STEPS

    app, engine = app_with_launcher
    client = TestClient(app)
    login(client, "staff", PASSWORD)
    with session_scope(engine) as db:  # what a run killed inside the first step leaves behind
        session = ops.get_session(db, KEY)
        ops.start_step(db, session, ops.step_run(db, session, "plan", STEPS.index("plan")), actor="killed",
                       flow_run_id=None)
    page = client.get(f"/sessions/{KEY}").text
    assert 'data-status="interrupted"' in page and 'id="launch-button">重新办理</button>' in page
    try:
        assert client.post(f"/sessions/{KEY}/launch", data={"csrf_token": csrf(client)},
                           follow_redirects=False).headers["location"].endswith("notice=launched")
        with session_scope(engine) as db:
            assert [x.purpose for x in db.scalars(select(FlowLaunch))] == ["retry"]
    finally:
        asyncio.run(cancel_unfinished_runs())

    with session_scope(engine) as db:
        session = ops.get_session(db, KEY)
        cal_ops.cancel(db, session=session, sitting_key=None, reason="台风", actor="staff",
                       settings=app.state.settings)
    page = client.get(f"/sessions/{KEY}").text
    assert "launch-button" not in page and 'id="halted"' in page
    assert client.post(f"/sessions/{KEY}/launch", data={"csrf_token": csrf(client)},
                       follow_redirects=False).status_code == 409


def _runs(engine) -> list[tuple[str, int | None, str]]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as db:
        return [(x.trigger, x.active, x.state) for x in db.scalars(select(FlowLaunch).order_by(FlowLaunch.id))]


def _advance(engine, settings) -> None:  # type: ignore[no-untyped-def]
    from congress.lifecycle.steps import next_step, run_step

    with session_scope(engine) as db:
        while (step := next_step(db, KEY)) is not None:
            if run_step(db, KEY, step, actor="staff", settings=settings).status != "done":
                break


def _approve(client, subject: str = "plan", day: str = "2026-12-02"):  # type: ignore[no-untyped-def]
    return client.post(f"/sessions/{KEY}/approval/{subject}", data={"csrf_token": csrf(client), "decision": "approved",
                                                                    "decided_on": day}, follow_redirects=False)


def test_a_gate_input_continues_the_session_by_itself(app_with_launcher, deployment: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from congress.web.launcher import reconcile
    from tests.test_web import _attendance_form

    app, engine = app_with_launcher
    settings, launcher = app.state.settings, app.state.launcher
    with session_scope(engine) as db:
        accounts.create_user(db, username="approver", display_name="张书记", role="approver", township_code="qingshan",
                             password=PASSWORD, actor="test")
    staff, approver = TestClient(app), TestClient(app)
    login(staff, "staff", PASSWORD)
    login(approver, "approver", PASSWORD)
    before = {r.id for r in _runs_of_session(deployment)}
    try:
        _advance(engine, settings)  # the plan and its 请示: waiting for the party committee
        page = staff.get(f"/sessions/{KEY}").text
        assert 'id="waiting-for"' in page and "等待党委审批人（张书记）审批会议方案" in page
        assert 'id="launch-button"' not in page  # nothing to press while another role decides
        assert _approve(approver).status_code == 303
        runs = [r for r in _runs_of_session(deployment) if r.id not in before]
        assert len(runs) == 1 and runs[0].parameters["trigger"] == "approval-plan"
        assert runs[0].name == f"session-{KEY}-approval-plan"
        assert _runs(engine) == [("approval-plan", 1, "SCHEDULED")]
        page = staff.get(f"/sessions/{KEY}").text
        assert "正在办理：党委审批会议方案后自动继续（张书记" in page and 'id="launch-button"' not in page

        # an input recorded while that run is still at work is kept, and started once it has ended
        assert staff.post(f"/sessions/{KEY}/attendance", data=_attendance_form(staff),
                          follow_redirects=False).status_code == 303
        assert _runs(engine) == [("approval-plan", 1, "SCHEDULED"), ("attendance", 2, "queued")]
        assert "当前运行结束后自动开始" in staff.get(f"/sessions/{KEY}").text
        assert reconcile(engine, launcher) == 0  # still scheduled: nothing to do yet
        asyncio.run(cancel_unfinished_runs())
        assert reconcile(engine, launcher) == 1
        assert _runs(engine) == [("approval-plan", None, "CANCELLED"), ("attendance", 1, "SCHEDULED")]
        assert len([r for r in _runs_of_session(deployment) if r.id not in before]) == 2

        # kept behind a run after which the session waits for someone's input: not started at all
        from tests.test_web import _tallies_form

        assert staff.post(f"/sessions/{KEY}/tallies", data=_tallies_form(staff), follow_redirects=False).status_code == 303
        assert _runs(engine)[-1] == ("tallies", 2, "queued")
        _advance(engine, settings)  # what the running one does: on to the party's agreement to the resolutions
        with session_scope(engine) as db:
            assert ops.get_session(db, KEY).waiting_for == "party_approval_resolutions"
        asyncio.run(cancel_unfinished_runs())
        assert reconcile(engine, launcher) == 0
        assert _runs(engine)[1:] == [("attendance", None, "CANCELLED"), ("tallies", None, "not_needed")]
        # an input that answers no gate the session waits at starts nothing either
        assert staff.post(f"/sessions/{KEY}/attendance", data=_attendance_form(staff, {"approved.QS010": ""}),
                          follow_redirects=False).status_code == 303
        assert len(_runs(engine)) == 3
        page = staff.get(f"/sessions/{KEY}").text
        assert "等待党委审批人（张书记）原则同意决议草案" in page and 'id="launch-button"' not in page
    finally:
        asyncio.run(cancel_unfinished_runs())


def test_while_the_flow_service_is_down_an_input_waits_for_it(app_with_launcher, deployment: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from congress.web.launcher import reconcile
    from congress.web.service import ServiceStatus

    app, engine = app_with_launcher
    status = ServiceStatus()
    launcher = app.state.launcher
    launcher.status, app.state.service = status, status
    with session_scope(engine) as db:
        accounts.create_user(db, username="approver", display_name="张书记", role="approver", township_code="qingshan",
                             password=PASSWORD, actor="test")
    staff, approver = TestClient(app), TestClient(app)
    login(staff, "staff", PASSWORD)
    login(approver, "approver", PASSWORD)
    before = {r.id for r in _runs_of_session(deployment)}
    try:
        status.set("up")
        _advance(engine, app.state.settings)
        status.set("down", "runner")
        assert app.state.launcher.available() is False
        page = staff.get(f"/sessions/{KEY}").text
        assert 'id="service-paused"' in page and "流程服务暂停" in page and 'id="launch-button"' not in page
        assert staff.get("/healthz").json()["flows"] == "down"
        assert _approve(approver).status_code == 303  # recorded all the same
        assert _runs(engine) == [("approval-plan", 1, "waiting_service")]
        assert "流程服务恢复后自动开始" in staff.get(f"/sessions/{KEY}").text
        assert reconcile(engine, launcher) == 0 and not [r for r in _runs_of_session(deployment) if r.id not in before]
        status.set("up")
        assert reconcile(engine, launcher) == 1
        runs = [r for r in _runs_of_session(deployment) if r.id not in before]
        assert len(runs) == 1 and runs[0].parameters["trigger"] == "approval-plan"
        assert _runs(engine) == [("approval-plan", 1, "SCHEDULED")]
    finally:
        asyncio.run(cancel_unfinished_runs())


def test_a_run_left_running_by_a_dead_process_is_released(app_with_launcher, deployment: str) -> None:  # type: ignore[no-untyped-def]
    """The Prefect server went down under a run and its process died: the server still calls it running.
    No process claims the session, so the keeper releases it and the page offers to run again."""
    from fastapi.testclient import TestClient
    from prefect import get_client
    from prefect.states import Running

    from congress.web.launcher import reconcile

    app, engine = app_with_launcher
    client = TestClient(app)
    login(client, "staff", PASSWORD)
    try:
        assert client.post(f"/sessions/{KEY}/launch", data={"csrf_token": csrf(client)},
                           follow_redirects=False).headers["location"].endswith("notice=launched")
        with session_scope(engine) as db:
            run_id = db.scalar(select(FlowLaunch.flow_run_id))

        async def running() -> None:
            async with get_client() as prefect:
                await prefect.set_flow_run_state(run_id, Running(), force=True)

        asyncio.run(running())
        unclaimed: dict[int, float] = {}
        assert reconcile(engine, app.state.launcher, unclaimed, stall_seconds=60) == 0
        assert _runs(engine) == [("start", 1, "SCHEDULED")] and unclaimed  # noticed, not yet given up
        assert reconcile(engine, app.state.launcher, unclaimed, stall_seconds=0) == 0
        assert _runs(engine) == [("start", None, "CRASHED")]
        page = client.get(f"/sessions/{KEY}").text
        assert 'id="launch-button"' in page and "已中断" in page
    finally:
        asyncio.run(cancel_unfinished_runs())
