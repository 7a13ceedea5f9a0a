"""Where documents are kept: a folder on this machine, or the app database every machine shares.

One small interface, two backends chosen by CONGRESS_DOCUMENT_STORE (docs/deploy.md):

- ``files`` (the default): each scope is a folder under CONGRESS_OUTPUT_DIR, written atomically, as on one
  machine it always was.
- ``database``: each file's bytes are kept once, keyed by their sha256 (``stored_content``: bytea on
  PostgreSQL, a blob on SQLite), and a path index per scope (``stored_file``) names them. A worker on one
  machine writes a document a dashboard on another serves, with no shared disk between them.

A scope is one session's files (``session/<key>``: what was under <output>/<key>/) or one township's
follow-up files (``township/<code>``: <output>/<code>/). Paths inside a scope are relative, with "/".

Every write to the database store is its own short transaction on its own connection, made after the
step's own transaction committed: never one held across LibreOffice, a file or the network.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from congress.errors import OutputWriteError
from congress.messages import msg

if TYPE_CHECKING:
    from congress.models import CongressSession
    from congress.settings import Settings


class StoreError(OSError):
    """The document store could not be reached or written; an OSError, so tasks retry it like a disk error."""


class Store(Protocol):
    """One scope's files."""

    scope: str

    def put(self, rel: str, data: bytes) -> str:
        """Keep data at rel (whole or not at all); return its sha256."""

    def put_many(self, files: Mapping[str, bytes]) -> dict[str, str]:
        """Keep several files at once; return each one's sha256."""

    def get(self, rel: str) -> bytes:
        """The bytes at rel; FileNotFoundError when there are none."""

    def exists(self, rel: str) -> bool:
        """A file is kept at rel."""

    def sha256(self, rel: str) -> str | None:
        """The sha256 of the bytes at rel, re-hashed from what is kept; None when there are none."""

    def paths(self) -> list[str]:
        """Every path kept in the scope, sorted."""

    def local(self, rels: Iterable[str]) -> AbstractContextManager[dict[str, Path]]:
        """Each file as a path on this machine, for tools that read files (LibreOffice, pdftoppm)."""


def clean_rel(rel: str) -> str:
    """A relative path inside a scope; refuses absolute paths and "..", whatever the caller passed."""
    parts = PurePosixPath(str(rel).replace("\\", "/")).parts
    if not parts or parts[0] == "/" or any(p in ("..", "") for p in parts):
        raise FileNotFoundError(rel)
    return "/".join(p for p in parts if p != ".")


@dataclass(frozen=True)
class FileStore:
    """A scope as a folder on this machine."""

    scope: str
    root: Path

    def path(self, rel: str) -> Path:
        return self.root / clean_rel(rel)

    def put(self, rel: str, data: bytes) -> str:
        from congress.documents.builder import write_bytes_atomic

        path = self.path(rel)
        try:
            return write_bytes_atomic(path, data)
        except OSError as exc:
            raise OutputWriteError(path, exc) from exc

    def put_many(self, files: Mapping[str, bytes]) -> dict[str, str]:
        return {rel: self.put(rel, data) for rel, data in files.items()}

    def get(self, rel: str) -> bytes:
        try:
            return self.path(rel).read_bytes()
        except (IsADirectoryError, NotADirectoryError) as exc:
            raise FileNotFoundError(rel) from exc

    def exists(self, rel: str) -> bool:
        try:
            return self.path(rel).is_file()
        except FileNotFoundError:
            return False

    def sha256(self, rel: str) -> str | None:
        try:
            return hashlib.sha256(self.get(rel)).hexdigest()
        except FileNotFoundError:
            return None

    def paths(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and not p.name.startswith("."))

    @contextmanager
    def local(self, rels: Iterable[str]) -> Iterator[dict[str, Path]]:
        yield {rel: self.path(rel) for rel in rels}


@dataclass(frozen=True)
class DatabaseStore:
    """A scope as rows of the app database: contents by hash, paths naming them."""

    scope: str
    engine: Engine

    def _reading(self) -> Connection:
        # read-only: on SQLite a deferred transaction on the WAL snapshot, never waiting for a writer's lock
        # (the caller's own unit of work may hold it while it asks what is kept)
        from congress.db import READ_ONLY

        return self.engine.connect().execution_options(**{READ_ONLY: True})

    def put(self, rel: str, data: bytes) -> str:
        return self.put_many({rel: data})[rel]

    def put_many(self, files: Mapping[str, bytes]) -> dict[str, str]:
        from congress.models import StoredContent, StoredFile

        if not files:
            return {}
        rels = {clean_rel(rel): data for rel, data in files.items()}
        shas = {rel: hashlib.sha256(data).hexdigest() for rel, data in rels.items()}
        now = datetime.now(UTC)
        insert = _insert_for(self.engine)
        try:
            with self.engine.begin() as conn:  # one short transaction of its own
                contents = {shas[rel]: data for rel, data in rels.items()}
                conn.execute(insert(StoredContent).on_conflict_do_nothing(index_elements=["sha256"]),
                             [{"sha256": sha, "size": len(data), "data": data} for sha, data in contents.items()])
                stmt = insert(StoredFile)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["scope", "path"],
                    set_={"sha256": stmt.excluded.sha256, "stored_at": stmt.excluded.stored_at}),
                    [{"scope": self.scope, "path": rel, "sha256": sha, "stored_at": now} for rel, sha in shas.items()])
        except SQLAlchemyError as exc:
            raise StoreError(msg("storage.write_failed", scope=self.scope, count=len(rels),
                                 error=exc.__class__.__name__)) from exc
        return {rel: shas[clean_rel(rel)] for rel in files}

    def get(self, rel: str) -> bytes:
        from congress.models import StoredContent, StoredFile

        with self._reading() as conn:
            data = conn.scalar(select(StoredContent.data).join(StoredFile, StoredFile.sha256 == StoredContent.sha256)
                               .where(StoredFile.scope == self.scope, StoredFile.path == clean_rel(rel)))
        if data is None:
            raise FileNotFoundError(rel)
        return bytes(data)

    def exists(self, rel: str) -> bool:
        from congress.models import StoredFile

        try:
            rel = clean_rel(rel)
        except FileNotFoundError:
            return False
        with self._reading() as conn:
            return conn.scalar(select(StoredFile.id).where(StoredFile.scope == self.scope,
                                                           StoredFile.path == rel)) is not None

    def sha256(self, rel: str) -> str | None:
        # re-hashed from the stored bytes, not read from the index: a changed byte shows
        try:
            return hashlib.sha256(self.get(rel)).hexdigest()
        except FileNotFoundError:
            return None

    def paths(self) -> list[str]:
        from congress.models import StoredFile

        with self._reading() as conn:
            return list(conn.scalars(select(StoredFile.path).where(StoredFile.scope == self.scope)
                                     .order_by(StoredFile.path)))

    @contextmanager
    def local(self, rels: Iterable[str]) -> Iterator[dict[str, Path]]:
        with tempfile.TemporaryDirectory(prefix="congress-store-") as tmp:
            out = {}
            for rel in rels:
                path = Path(tmp) / clean_rel(rel)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.get(rel))
                out[rel] = path
            yield out


def _insert_for(engine: Engine):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL both)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def store_for(settings: Settings, scope: str, folder: Path) -> Store:
    """The store of one scope as the settings choose it; `folder` is where the files backend keeps it."""
    if settings.document_store == "database":
        from congress.db import engine_for

        return DatabaseStore(scope, engine_for(settings.database_url))
    return FileStore(scope, Path(folder))


def session_store(settings: Settings, session: CongressSession) -> Store:
    """A session's documents (the folder the session row records, with the files backend)."""
    folder = Path(session.output_dir) if session.output_dir else Path(settings.output_dir).resolve() / session.key
    return store_for(settings, f"session/{session.key}", folder)


def township_store(settings: Settings, code: str) -> Store:
    """A township's follow-up documents."""
    return store_for(settings, f"township/{code}", Path(settings.output_dir).resolve() / code)


def export(store: Store, target: Path) -> list[str]:
    """Write every file of the scope under target (for staff, or to hand a session's files on); the paths."""
    written = []
    for rel in store.paths():
        FileStore(store.scope, Path(target)).put(rel, store.get(rel))
        written.append(rel)
    return written


# --- writing after the commit -------------------------------------------------------------------

_OUTBOX = "congress_store_outbox"


def after_commit(db: Session, store: Store, rel: str, data: bytes) -> None:
    """Keep data at rel once the database session's transaction commits (dropped if it rolls back).

    So no transaction is open while the file is written, and no file is kept for a registration that was
    rolled back; a write that fails after the commit raises (OutputWriteError or StoreError).
    """
    outbox(db)[(store, rel)] = data


def outbox(db: Session) -> dict[tuple[Store, str], bytes]:
    """The database session's files waiting for its commit (one per session, shared by every writer)."""
    if _OUTBOX not in db.info:
        db.info[_OUTBOX] = {}
        event.listen(db, "after_commit", _write_outbox)
        event.listen(db, "after_rollback", _drop_outbox)
    return db.info[_OUTBOX]


def _write_outbox(db: Session) -> None:
    pending: dict[tuple[Store, str], bytes] = db.info.get(_OUTBOX, {})
    while pending:
        by_store: dict[Store, dict[str, bytes]] = {}
        for (store, rel), data in pending.items():
            by_store.setdefault(store, {})[rel] = data
        store, files = next(iter(by_store.items()))
        store.put_many(files)
        for rel in files:
            del pending[(store, rel)]


def _drop_outbox(db: Session) -> None:
    db.info.get(_OUTBOX, {}).clear()
