"""Fixtures: a real database per backend (SQLite file and the machine's PostgreSQL), each test rolled
back; small factories; one session-wide Prefect test harness for the task and flow tiers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from congress.db import make_engine, migrate
from congress.inputs import SessionSpec, load_session_file
from congress.settings import REPO_ROOT, Settings

SAMPLE = REPO_ROOT / "config" / "sample"
PG_BASE = os.environ.get("CONGRESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_url(schema: str) -> str:
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


def _pg_available() -> str | None:
    try:
        engine = make_engine(PG_BASE)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL not reachable at {PG_BASE}: {exc.__class__.__name__}"


PG_UNAVAILABLE = _pg_available()


def new_database(backend: str, tmp: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    """A migrated, empty database; returns its URL and a cleanup function."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'congress-{uuid.uuid4().hex[:8]}.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        return url, lambda: None
    if PG_UNAVAILABLE:
        pytest.skip(PG_UNAVAILABLE)
    schema = f"congress_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = pg_url(schema)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url, cleanup = new_database(backend, tmp_path_factory.mktemp(backend))
    eng = make_engine(url)
    yield eng
    eng.dispose()
    cleanup()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False), output_dir=tmp_path / "output")


@pytest.fixture(scope="session")
def sample_spec() -> SessionSpec:
    return load_session_file(SAMPLE / "session.yaml")


@pytest.fixture
def load_sample(db: Session, settings: Settings, sample_spec: SessionSpec):  # type: ignore[no-untyped-def]
    """Factory: the sample session loaded into the test database."""
    from congress.lifecycle import operations as ops

    def _load(spec: SessionSpec | None = None):  # type: ignore[no-untyped-def]
        session, _ = ops.load_session(db, spec=spec or sample_spec, actor="test", output_root=settings.output_dir)
        db.flush()
        return session

    return _load


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness for the whole test session (it costs ~13 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
