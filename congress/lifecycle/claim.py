"""One advancing run per session: a claim held while a step, PDF rendering or finalize works on it.

The claim is NOT a database transaction, so nothing waits on the database while a run renders
documents, calls LibreOffice or writes files:

- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection of its own (autocommit, so it is
  never "idle in transaction"); the server releases it when that connection ends, so a killed process
  leaves no claim behind.
- SQLite: an ``fcntl.flock`` on a lock file beside the database file (a SQLite database lives on one
  machine, so a local lock covers every process that can open it); the kernel releases it with the
  process.

A claim is re-entrant within one thread (a run holding it may call a step that claims again), and
exclusive across threads and processes. Waiting polls for up to ``settings.run_wait_seconds``
(default 0: give up after a half-second grace) and then raises ``SessionBusy``.

Besides the session claim, two short locks serialise schema and roster changes that would otherwise
race on PostgreSQL (SQLite's write lock, taken by every writing transaction, already serialises them):
``migration_lock`` inside the migration transaction and ``lock_for_load`` inside the loading one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from congress.errors import SessionBusy
from congress.messages import msg
from congress.settings import Settings

# First argument of the two-int advisory lock functions: one namespace per kind of lock, so a claim
# never collides with another application's advisory locks or with our own short locks.
CLAIM_NAMESPACE = 0x436C6D01  # "Clm" 1: session claims (session level, held for a step)
MIGRATION_NAMESPACE = 0x436C6D02  # schema migration (transaction level)
LOAD_NAMESPACE = 0x436C6D03  # loading a session file (transaction level)
POLL_SECONDS = 0.1
# Even "don't wait" retries for this long: `session_claimed` (the dashboard asking whether a run is alive)
# holds the claim for a few microseconds, and a run starting in that instant must not be turned away.
GRACE_SECONDS = 0.5
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def _int32(text_: str) -> int:
    """A stable signed 32-bit key for a text (advisory locks take int4 pairs)."""
    return int.from_bytes(hashlib.sha256(text_.encode("utf-8")).digest()[:4], "big", signed=True)


def engine_of(source: Settings | Engine | Session | Connection) -> Engine:
    """The engine behind settings, an engine, an ORM session or a connection."""
    if isinstance(source, Settings):
        from congress.db import engine_for

        return engine_for(source.database_url)
    if isinstance(source, Session):
        return engine_of(source.get_bind())  # type: ignore[arg-type]
    return source.engine


# --- the two kinds of claim ----------------------------------------------------------------------


class _FileClaim:
    """SQLite: an exclusive flock on <database>.claims/<session>.lock."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    @property
    def identity(self) -> str:
        return f"file:{self.path}"

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            # closing the descriptor drops the flock; the file stays (removing it would let a waiter
            # lock an unlinked inode while a newcomer locks a fresh file)
            os.close(self.fd)
            self.fd = None


class _MemoryClaim:
    """An in-memory SQLite database exists in one process only: a process-local lock suffices."""

    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, key: str):
        self.key = key
        with self._guard:
            self.lock = self._locks.setdefault(key, threading.Lock())

    @property
    def identity(self) -> str:
        return f"memory:{self.key}"

    def try_acquire(self) -> bool:
        return self.lock.acquire(blocking=False)

    def release(self) -> None:
        self.lock.release()


class _AdvisoryClaim:
    """PostgreSQL: a session-level advisory lock on a dedicated autocommit connection."""

    def __init__(self, engine: Engine, key: str):
        self.engine, self.key = engine, key
        self.conn: Connection | None = None
        self.lock_key: int | None = None
        url = engine.url.render_as_string(hide_password=True)
        self._identity = f"pg:{url}:{key}"

    @property
    def identity(self) -> str:
        return self._identity

    def try_acquire(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if self.lock_key is None:
                # the schema is part of the key: several databases of this program may share a server
                schema = conn.execute(text("select current_database() || '/' || current_schema()")).scalar_one()
                self.lock_key = _int32(f"{schema}/{self.key}")
            got = conn.execute(text("select pg_try_advisory_lock(:ns, :key)"),
                               {"ns": CLAIM_NAMESPACE, "key": self.lock_key}).scalar_one()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self.conn = conn
        return True

    def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.execute(text("select pg_advisory_unlock(:ns, :key)"), {"ns": CLAIM_NAMESPACE, "key": self.lock_key})
            conn.close()
        except Exception:
            # the connection is broken: discard it, the server drops its locks with it
            conn.invalidate()
            conn.close()


def _claim_for(engine: Engine, key: str) -> _FileClaim | _MemoryClaim | _AdvisoryClaim:
    if engine.dialect.name == "postgresql":
        return _AdvisoryClaim(engine, key)
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return _MemoryClaim(key)
    name = key if _SAFE_NAME.match(key) else hashlib.sha256(key.encode("utf-8")).hexdigest()
    db_file = Path(database).resolve()
    return _FileClaim(db_file.with_name(db_file.name + ".claims") / f"{name}.lock")


# --- holding a claim ---------------------------------------------------------------------------


@dataclass
class _Held:
    claim: Any
    depth: int


_held = threading.local()


def _held_claims() -> dict[str, _Held]:
    if not hasattr(_held, "claims"):
        _held.claims = {}
    return _held.claims  # type: ignore[no-any-return]


@contextmanager
def claim_session(source: Settings | Engine | Session | Connection, key: str, *,
                  wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the session `key` for the block; raise SessionBusy when another run holds it past the wait."""
    claim = _claim_for(engine_of(source), key)
    held = _held_claims()
    mine = held.get(claim.identity)
    if mine is not None:  # this thread already holds it (a run calling a step that claims again)
        mine.depth += 1
        try:
            yield
        finally:
            mine.depth -= 1
        return
    deadline = time.monotonic() + max(wait_seconds, GRACE_SECONDS)
    while not claim.try_acquire():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SessionBusy(msg("runs.busy", key=key))
        time.sleep(min(POLL_SECONDS, remaining))
    held[claim.identity] = _Held(claim, 1)
    try:
        yield
    finally:
        del held[claim.identity]
        claim.release()


def session_claimed(source: Settings | Engine | Session | Connection, key: str) -> bool:
    """Whether a live run holds the session now (a step left "running" without one was interrupted)."""
    claim = _claim_for(engine_of(source), key)
    if claim.identity in _held_claims():
        return True
    if not claim.try_acquire():
        return True
    claim.release()
    return False


# --- short transaction-level locks ----------------------------------------------------------------


def _xact_lock(conn: Connection | Session, namespace: int, name: str) -> None:
    """PostgreSQL: an advisory lock held until the current transaction ends; no-op on SQLite, whose
    writing transactions already hold the database's write lock (BEGIN IMMEDIATE)."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name != "postgresql":
        return
    conn.execute(text("select pg_advisory_xact_lock(:ns, hashtext(current_database() || '/' || current_schema() "
                      "|| '/' || :name))"), {"ns": namespace, "name": name})


def migration_lock(connection: Connection) -> None:
    """Serialise schema migrations of one database: two commands starting on a fresh database don't race."""
    _xact_lock(connection, MIGRATION_NAMESPACE, "schema")


def lock_for_load(db: Session, *, township_code: str, session_key: str) -> None:
    """Serialise loads of the same township (and session): the second finds the first's rows."""
    _xact_lock(db, LOAD_NAMESPACE, f"township/{township_code}")
    _xact_lock(db, LOAD_NAMESPACE, f"session/{session_key}")
