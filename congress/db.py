"""Engine, session factory and schema migration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so Alembic migrations diff cleanly on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # first: switching a fresh file to WAL takes a lock that another process opening it may hold
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL lets the CLI's progress display read while a flow writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


READ_ONLY = "congress_read_only"


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # A unit of work that may write takes the write lock at BEGIN (IMMEDIATE), so a transaction that reads
    # then writes waits (busy_timeout) for a concurrent writer instead of failing with SQLITE_BUSY_SNAPSHOT.
    # A read-only one begins DEFERRED: under WAL it reads a snapshot and never waits for, nor blocks, a writer.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for the URL, creating the SQLite file's folder when needed."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision, under a lock so concurrent starts don't race."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from congress.lifecycle.claim import migration_lock

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    # Every command migrates first: when the schema is current, a read-only look is all it costs (no
    # write lock on SQLite, so a command starting while a flow writes does not queue behind it).
    with engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        if set(MigrationContext.configure(connection).get_current_heads()) == heads:
            return
    # SQLite: BEGIN IMMEDIATE is the write lock; PostgreSQL: an advisory lock until this transaction
    # commits. The second of two concurrent starts waits here, then finds the schema current.
    with engine.begin() as connection:
        migration_lock(connection)
        cfg.attributes["connection"] = connection
        # "heads": areas add their tables on branches of their own until merged
        command.upgrade(cfg, "heads")


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work: never takes SQLite's write lock; rolled back at the end."""
    options: dict[str, bool] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True  # a write by mistake fails loudly instead of committing
    session = Session(bind=engine.execution_options(**options), expire_on_commit=False, autoflush=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
