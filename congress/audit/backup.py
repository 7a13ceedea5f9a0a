"""`congress backup PATH` and `congress restore PATH`: the database, every session's output folder and the
follow-up folders, with a manifest (the sha256 of every file, the chain heads).

SQLite is copied with its online backup API (a consistent copy while others read and write); PostgreSQL
with `pg_dump` in its custom format (the client must be at least the server's major version) and
restored with `pg_restore`. A restore goes into an EMPTY configured database and output folder (or, with
force, over them), re-points each session at its restored folder, and checks the chain heads against the
manifest; `congress verify --all` then proves the copy.

Layout of a backup folder::

    manifest.json          schema congress-backup/1: backend, database file, files → sha256, chain heads
    database.sqlite        or database.dump (pg_dump -Fc)
    files/sessions/<key>/  each session's output folder
    files/townships/<code>/  each township's follow-up folder
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Engine, make_url, select, text

from congress.audit import chain
from congress.db import make_engine, migrate, read_scope, session_scope
from congress.lifecycle import operations as ops
from congress.messages import msg
from congress.models import AuditEvent, CongressSession, Township
from congress.settings import Settings

SCHEMA = "congress-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.dump"
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([A-Za-z0-9_]+)")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (Chinese)."""


@dataclass
class Restored:
    files: int
    output: Path
    manifest: dict[str, Any]


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(msg("audit.backup.pg_failed", tool="sqlite", error=url))
    return Path(database)


# --- PostgreSQL tools ----------------------------------------------------------------------


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection URI for pg_dump / pg_restore."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _schema(url: str) -> str | None:
    """The schema a `options=-csearch_path=X` URL works in (the tests' per-test schemas), else None."""
    options = make_url(url).query.get("options")
    match = _SEARCH_PATH.search(unquote(options if isinstance(options, str) else " ".join(options or ())))
    return match.group(1) if match else None


def _major(version: str) -> int:
    return int(re.search(r"(\d+)", version).group(1))  # type: ignore[union-attr]


def _tool(name: str, engine: Engine) -> str:
    """The path of pg_dump / pg_restore, refusing a missing one or one older than the server."""
    with engine.connect() as conn:
        server = str(conn.execute(text("SHOW server_version")).scalar())
    path = shutil.which(name)
    if path is None:
        raise BackupError(msg("audit.backup.pg_dump_missing", server=server, major=_major(server)))
    client = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    # "pg_dump (PostgreSQL) 15.20 (Debian …)": the version follows the product name
    if _major(client.split(")", 1)[-1]) < _major(server):
        raise BackupError(msg("audit.backup.pg_version", client=client, server=server, major=_major(server)))
    return path


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(msg("audit.backup.pg_failed", tool=Path(args[0]).name,
                              error=(done.stderr or done.stdout).strip()[-2000:]))


# --- backup --------------------------------------------------------------------------------


def _heads(engine: Engine) -> dict[str, dict[str, Any]]:
    with read_scope(engine) as db:
        keys = sorted(set(db.scalars(select(AuditEvent.chain).distinct())))
        return {str(k): chain.head(db, k).as_dict() for k in keys}


def backup(settings: Settings, target: Path) -> dict[str, Any]:
    """Write a backup of the configured database and output folders to `target`; return its manifest."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(msg("audit.backup.exists", path=target))
    target.mkdir(parents=True, exist_ok=True)
    url = settings.database_url
    engine = make_engine(url)
    try:
        migrate(engine)
        manifest: dict[str, Any] = {"schema": SCHEMA, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                                    "backend": _backend(url),
                                    # "database": the documents are rows of the dump itself (congress/storage.py)
                                    "document_store": settings.document_store}
        if _backend(url) == "sqlite":
            database = target / SQLITE_FILE
            source = sqlite3.connect(_sqlite_path(url))
            copy = sqlite3.connect(database)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
            # the heads of the copy itself: exactly what a restore will hold
            copied = make_engine(f"sqlite:///{database}")
            manifest["chains"] = _heads(copied)
            copied.dispose()
        else:
            # heads read before the dump: the dump holds at least these events (a run may add more meanwhile)
            manifest["chains"] = _heads(engine)
            database = target / PG_FILE
            args = [_tool("pg_dump", engine), "--format=custom", "--no-owner", f"--file={database}"]
            schema = _schema(url)
            if schema:
                args.append(f"--schema={schema}")
            manifest["pg_schema"] = schema
            _run([*args, _libpq(url)])
        manifest["database"] = {"file": database.name, "sha256": _sha(database)}
        folders = _folders(engine, settings)
    finally:
        engine.dispose()
    files: dict[str, str] = {}
    for rel, source_dir in folders.items():
        for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
            name = f"{rel}/{path.relative_to(source_dir).as_posix()}"
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
            files[name] = _sha(dest)
    manifest["folders"] = sorted(folders)
    manifest["files"] = files
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _folders(engine: Engine, settings: Settings) -> dict[str, Path]:
    """Backup-relative name → folder on disk: each session's output folder and each township's follow-up."""
    folders: dict[str, Path] = {}
    with read_scope(engine) as db:
        for key, output in db.execute(select(CongressSession.key, CongressSession.output_dir)).tuples():
            if output and Path(output).is_dir():
                folders[f"files/sessions/{key}"] = Path(output)
        for code in db.scalars(select(Township.code)):
            folder = Path(settings.output_dir).resolve() / code
            if folder.is_dir():
                folders[f"files/townships/{code}"] = folder
    return folders


# --- restore -------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a backup folder, every file checked against its sha256."""
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(msg("audit.restore.not_backup", path=source))
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("schema") != SCHEMA:
        raise BackupError(msg("audit.restore.not_backup", path=source))
    expected = {manifest["database"]["file"]: manifest["database"]["sha256"], **manifest["files"]}
    for name, sha in expected.items():
        file = Path(source) / name
        if not file.is_file() or _sha(file) != sha:
            raise BackupError(msg("audit.restore.corrupt", path=name))
    return manifest


def _non_empty_tables(engine: Engine) -> list[str]:
    """Tables of the target that hold rows (alembic_version aside)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table' "
                                      "AND name NOT LIKE 'sqlite_%'")).scalars().all()
        else:
            names = conn.execute(text("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
                                 ).scalars().all()
        return [n for n in sorted(names) if n != "alembic_version"
                and conn.execute(text(f'SELECT 1 FROM "{n}" LIMIT 1')).first() is not None]


def restore(settings: Settings, source: Path, *, force: bool = False, actor: str = "staff") -> Restored:
    """Restore a backup into the configured database and output folder (empty ones, unless force)."""
    source = Path(source)
    manifest = read_manifest(source)
    url = settings.database_url
    if manifest["backend"] != _backend(url):
        raise BackupError(msg("audit.restore.backend", backup=manifest["backend"], current=_backend(url)))
    output = Path(settings.output_dir).resolve()
    engine = make_engine(url)
    try:
        busy = _non_empty_tables(engine)
        if busy and not force:
            raise BackupError(msg("audit.restore.not_empty_db", tables="、".join(busy[:8])))
        if output.is_dir() and any(output.iterdir()) and not force:
            raise BackupError(msg("audit.restore.not_empty_dir", path=output))
        database = source / manifest["database"]["file"]
        if manifest["backend"] == "sqlite":
            engine.dispose()
            copy = sqlite3.connect(database)
            target = sqlite3.connect(_sqlite_path(url))
            try:
                copy.backup(target)
            finally:
                target.close()
                copy.close()
        else:
            _restore_postgresql(engine, url, database, manifest)
        engine.dispose()
        migrate(engine)  # a backup of an older version comes up to this one
        files = _restore_files(source, manifest, output)
        _repoint(engine, output, actor=actor, manifest=manifest, source=source)
        _check_heads(engine, manifest)
    finally:
        engine.dispose()
    return Restored(files, output, manifest)


def _restore_postgresql(engine: Engine, url: str, database: Path, manifest: dict[str, Any]) -> None:
    schema = _schema(url) or "public"
    wanted = manifest.get("pg_schema") or "public"
    if wanted != schema:
        raise BackupError(msg("audit.restore.backend", backup=f"postgresql（{wanted}）",
                              current=f"postgresql（{schema}）"))
    tool = _tool("pg_restore", engine)
    # the target was found empty (or force was given): drop what is there so the dump recreates it whole
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if schema == "public":
            conn.execute(text("CREATE SCHEMA public"))
    _run([tool, "--no-owner", "--exit-on-error", f"--dbname={_libpq(url)}", str(database)])


def _restore_files(source: Path, manifest: dict[str, Any], output: Path) -> int:
    """Copy files/sessions/<key>/… and files/townships/<code>/… to <output>/<key or code>/…."""
    for folder in manifest["folders"]:
        dest = output / folder.split("/")[2]
        if dest.exists():  # only with force: the output folder was found empty otherwise
            shutil.rmtree(dest)
    for name in manifest["files"]:
        dest = output.joinpath(*name.split("/")[2:])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, dest)
    return len(manifest["files"])


def _repoint(engine: Engine, output: Path, *, actor: str, manifest: dict[str, Any], source: Path) -> None:
    """Each session's files are now under the configured output folder; record the restore."""
    with session_scope(engine) as db:
        for session in db.scalars(select(CongressSession)):
            session.output_dir = str(output / session.key)
        db.flush()
        ops.audit(db, actor=actor, action="backup_restored", source=str(source.resolve()),
                  created=manifest["created"], manifest_sha256=_sha(source / MANIFEST), chains=manifest["chains"])


def _check_heads(engine: Engine, manifest: dict[str, Any]) -> None:
    """The restored chains hold at least the events the manifest names, with the same hashes."""
    with read_scope(engine) as db:
        for key, recorded in manifest["chains"].items():
            event = db.scalar(select(AuditEvent).where(AuditEvent.chain == int(key),
                                                       AuditEvent.seq == recorded["seq"]))
            if event is None or event.hash != recorded["hash"]:
                township = db.get(Township, int(key)) if int(key) else None
                label = msg("audit.chain.global") if township is None else msg(
                    "audit.chain.township", name=township.name, code=township.code)
                raise BackupError(msg("audit.restore.heads", label=label, seq=chain.head(db, int(key)).seq,
                                      expected=recorded["seq"]))
