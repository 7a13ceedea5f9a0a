"""`congress deployments register` and `congress worker` against a real Prefect server: a session started
through the deployment (as the dashboard starts it) runs to its end in a worker process, keeping its
documents in the database store; the dashboard machine needs no disk of the worker's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, select, text

from cli.prefect_server import start_prefect_server, stop_prefect_server
from congress import storage
from congress.audit.verify import verify
from congress.db import make_engine, read_scope, session_scope
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.models import Document, StepRun
from congress.settings import Settings
from tests.conftest import PG_BASE, PG_UNAVAILABLE, SAMPLE, new_database
from tests.servers import background_server, free_port
from tests.test_lifecycle import KEY, give_all_inputs

PASSWORD = "correct horse battery staple"

CONGRESS = str(Path(sys.executable).with_name("congress"))
POOL = "congress-test"



@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A Prefect server of its own (its database under a fresh PREFECT_HOME), as a city runs one."""
    if PG_UNAVAILABLE:
        pytest.skip(PG_UNAVAILABLE)
    home = tmp_path_factory.mktemp("prefect-home")
    name = f"prefect_test_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_BASE).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg = make_url(PG_BASE).set(drivername="postgresql+asyncpg", database=name, query={})
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    saved = dict(os.environ)
    # the city's way: the full server (its services too), on a PostgreSQL database of its own
    os.environ.update({"PREFECT_HOME": str(home),
                       "PREFECT_API_DATABASE_CONNECTION_URL": pg.render_as_string(hide_password=False)})
    try:
        proc, api = start_prefect_server(home / "logs", timeout=180, services=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    env["PREFECT_API_URL"] = api
    try:
        yield api, env
    finally:
        stop_prefect_server(proc)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def city_env(base: dict[str, str], settings: Settings, out: Path) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith("CONGRESS_")}
    env.update({"CONGRESS_DATABASE_URL": settings.database_url, "CONGRESS_DOCUMENT_STORE": "database",
                "CONGRESS_OUTPUT_DIR": str(out), "CONGRESS_RENDER_PDF": "off", "CONGRESS_LOG_DIR": str(out / "logs"),
                "PYTHONUNBUFFERED": "1"})
    return env


@pytest.mark.skipif(bool(PG_UNAVAILABLE), reason=PG_UNAVAILABLE or "")
def test_worker_runs_a_session_from_its_deployment(prefect_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    api, base = prefect_server
    url, cleanup = new_database("postgresql", tmp_path)
    settings = Settings(database_url=url, document_store="database", output_dir=tmp_path / "dashboard-output",
                        render_pdf="off")
    engine = make_engine(url)
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = None
    try:
        with session_scope(engine) as db:
            session, _ = ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="test",
                                          output_root=settings.output_dir)
            give_all_inputs(db, session)
            session_township = session.term.township.code
        env = city_env(base, settings, tmp_path / "worker-machine")
        registered = subprocess.run([CONGRESS, "deployments", "register", "--pool", POOL], env=env, cwd=tmp_path,
                                    capture_output=True, text=True, timeout=180)
        assert registered.returncode == 0, registered.stdout + registered.stderr
        assert "session/dashboard" in registered.stdout and POOL in registered.stdout
        # the worker runs from another folder than the repository: what it needs is the installed package
        worker = subprocess.Popen([CONGRESS, "worker", "--pool", POOL, "--name", "test-worker", "--poll-seconds", "1"],
                                  env=env, cwd=tmp_path, stdout=worker_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        # a dashboard on a third machine, without a runner: it starts the run through the deployment
        dash_env = city_env(base, settings, tmp_path / "dashboard-machine")
        dash_env["CONGRESS_UPLOAD_DIR"] = str(tmp_path / "dashboard-machine" / "uploads")
        port = free_port()
        with background_server([CONGRESS, "serve", "--no-runner", "--port", str(port)], env=dash_env,
                               log_path=tmp_path / "dashboard.log", ready_url=f"http://127.0.0.1:{port}/healthz",
                               cwd=tmp_path, seconds=120):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                _until(lambda: client.get("/healthz").json()["flows"] == "up", 60)
                _login(client, engine, session_township)
                token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/sessions").text).group(1)  # type: ignore[union-attr]
                started = client.post(f"/sessions/{KEY}/launch", data={"csrf_token": token})
                assert started.status_code == 303, started.text[:500]
                states = _wait_for(api, seconds=300, worker=worker, log=tmp_path / "worker.log")
                assert states and set(states) == {"COMPLETED"}, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
                with read_scope(engine) as db:
                    docs = {d.path: d.id for d in db.scalars(select(Document))}
                kept = storage.DatabaseStore(f"session/{KEY}", engine)
                for rel, doc_id in sorted(docs.items())[::25]:  # every 25th: documents of every step
                    served = client.get(f"/sessions/{KEY}/files/{doc_id}")
                    assert served.status_code == 200 and served.content == kept.get(rel), rel
        with read_scope(engine) as db:
            session = ops.get_session(db, KEY)
            assert session.state == "completed"
            runs = db.scalars(select(StepRun).where(StepRun.session_id == session.id)).all()
            assert runs and all(r.status == "done" and r.attempts == 1 for r in runs)
            docs = db.scalars(select(Document).where(Document.session_id == session.id)).all()
            kept = storage.session_store(settings, session)
            assert isinstance(kept, storage.DatabaseStore)
            assert {d.path for d in docs} <= set(kept.paths())
            result = verify(db, session_key=KEY, output_root=settings.output_dir, settings=settings)
            assert result.ok, [str(f) for f in result.findings]
        # nothing went to the worker machine's folder: the database holds the documents
        assert not list((tmp_path / "worker-machine").glob(f"{KEY}/**/*.docx"))
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        worker_log.close()
        engine.dispose()
        cleanup()


def _wait_for(api: str, *, seconds: float, worker: subprocess.Popen[bytes], log: Path) -> list[str]:
    """The state types of the flow runs once they are all over (or what they were when time ran out)."""
    deadline = time.monotonic() + seconds
    states: list[str] = []
    while time.monotonic() < deadline:
        assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
        # the session's runs (the scheduler has made the daily sweep's future runs too)
        runs = httpx.post(f"{api}/flow_runs/filter", timeout=10,
                          json={"flow_runs": {"tags": {"all_": [f"session-{KEY}"]}}}).json()
        states = [r["state"]["type"] for r in runs]
        if states and all(s in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states):
            return states
        time.sleep(1)
    return states


def _until(check, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def _login(client: httpx.Client, engine, township: str) -> None:  # type: ignore[no-untyped-def]
    from congress.web.accounts import create_user

    with session_scope(engine) as db:
        create_user(db, username="cityclerk", display_name="工作人员", role="staff", township_code=township,
                    password=PASSWORD, actor="test")
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": "cityclerk", "password": PASSWORD, "login_csrf": token,
                                           "next": "/sessions"})
    assert response.status_code == 303, response.text[:500]
