"""Fixtures of the security tests: a fresh migrated database with one dashboard account per role in
two townships (A = the sample's qingshan, B = baishi), the dashboard app on it, and log-in helpers.

Generic on purpose (issue 9 has two areas testing here): a test module adds what only it needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from congress.db import make_engine, session_scope
from congress.settings import Settings
from congress.web import accounts
from congress.web.app import create_app
from tests.conftest import SAMPLE, new_database

__all__ = ["KEY", "PASSWORDS", "SAMPLE", "TOWNSHIP_A", "TOWNSHIP_B", "USERS", "Site", "create_sample", "csrf",
           "login"]

KEY = "qingshan-18-3"  # the sample session, of township A
TOWNSHIP_A, TOWNSHIP_B = "qingshan", "baishi"
USERS: dict[str, tuple[str, str | None]] = {  # username: (role, township)
    "staff_a": ("staff", TOWNSHIP_A),
    "staff_b": ("staff", TOWNSHIP_B),
    "approver_a": ("approver", TOWNSHIP_A),
    "auditor": ("auditor", None),
    "admin": ("admin", None),
}
# passwords that satisfy the policy (10+ characters, not containing the user name)
PASSWORDS = {name: f"pw-{name[::-1]}-2026" for name in USERS}


def login(client: TestClient, username: str, password: str | None = None, next: str = "/sessions",
          **headers: str):  # type: ignore[no-untyped-def]
    """Post the log-in form as a browser does (its own CSRF cookie first); returns the response."""
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": PASSWORDS.get(username, "")
                                       if password is None else password, "login_csrf": token, "next": next},
                       headers=headers or None, follow_redirects=False)


def csrf(client: TestClient) -> str:
    """The logged-in client's CSRF token, as the pages carry it."""
    page = client.get("/sessions").text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def create_sample(client: TestClient) -> None:
    """Load the sample session (township A) through the dashboard, as staff do."""
    response = client.post("/sessions/sample", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303, response.text


@dataclass
class Site:
    """One dashboard on its own database, folders under the test's tmp_path."""

    settings: Settings
    engine: Engine
    root: Path

    def app(self):  # type: ignore[no-untyped-def]
        return create_app(self.settings)

    def client(self, username: str | None = None, *, raise_server_exceptions: bool = True) -> TestClient:
        client = TestClient(self.app(), raise_server_exceptions=raise_server_exceptions)
        if username:
            response = login(client, username)
            assert response.status_code == 303, response.text
        return client

    @contextmanager
    def db(self) -> Iterator[Session]:
        with session_scope(self.engine) as db:
            yield db


def make_site(backend: str, root: Path) -> tuple[Site, object]:
    """A Site on a fresh database of `backend`, with USERS; returns it and the database's cleanup."""
    url, cleanup = new_database(backend, root)
    settings = Settings(database_url=url, output_dir=root / "output", upload_dir=root / "uploads",
                        log_dir=root / "logs", template_overrides_dir=root / "overrides",
                        publish_dir=root / "caldav", render_pdf="off")
    engine = make_engine(url)
    with session_scope(engine) as db:
        for name, (role, township) in USERS.items():
            accounts.create_user(db, username=name, display_name=f"{name}名", role=role, township_code=township,
                                 password=PASSWORDS[name], actor="test")
    return Site(settings, engine, root), cleanup


@pytest.fixture
def site(backend: str, tmp_path: Path) -> Iterator[Site]:
    """A dashboard on SQLite and on PostgreSQL (parametrised by `backend`)."""
    made, cleanup = make_site(backend, tmp_path)
    yield made
    made.engine.dispose()
    cleanup()  # type: ignore[operator]


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    """A dashboard on SQLite only (for the slow, many-request tests)."""
    made, cleanup = make_site("sqlite", tmp_path)
    yield made
    made.engine.dispose()
    cleanup()  # type: ignore[operator]
