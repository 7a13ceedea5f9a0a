"""`congress backup` / `congress restore` on both backends: the restored copy verifies, a corrupt backup or a
non-empty target is refused, a missing pg_dump is said plainly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from congress.audit.backup import MANIFEST, BackupError, backup, restore
from congress.audit.verify import verify
from congress.db import make_engine, read_scope, session_scope
from congress.lifecycle import operations as ops
from congress.settings import Settings
from tests.audit_support import KEY, Built, built_fixture  # noqa: F401  (fixture)
from tests.conftest import PG_BASE

REPO = Path(__file__).resolve().parents[1]


def fresh_target(built: Built, tmp_path: Path) -> tuple[Settings, object]:
    """An empty database of the built one's backend (PostgreSQL: a new database, same schema name)."""
    if built.engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        return Settings(database_url=url, output_dir=tmp_path / "restored-output"), lambda: None
    name = f"congress_restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_BASE).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    source = make_url(built.url)
    url = source.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.engine.dispose()

    return Settings(database_url=url, output_dir=tmp_path / "restored-output"), drop


def test_backup_then_restore_verifies(built: Built, tmp_path: Path) -> None:
    manifest = backup(built.settings, tmp_path / "backup")
    assert manifest["backend"] == built.engine.dialect.name
    assert (tmp_path / "backup" / manifest["database"]["file"]).is_file()
    session_files = [f for f in manifest["files"] if f.startswith(f"files/sessions/{KEY}/")]
    assert f"files/sessions/{KEY}/outcome.json" in session_files and len(session_files) > 300
    with read_scope(built.engine) as db:
        head = verify(db, session_key=KEY).chains[0].head
    assert manifest["chains"][str(head.chain)] == head.as_dict()

    settings, cleanup = fresh_target(built, tmp_path)
    try:
        restored = restore(settings, tmp_path / "backup")
        assert restored.files == len(manifest["files"])
        engine = make_engine(settings.database_url)
        try:
            with read_scope(engine) as db:
                result = verify(db, everything=True, output_root=settings.output_dir)
                assert result.ok, "\n".join(map(str, result.findings))
                session = ops.get_session(db, KEY)
                assert session is not None and Path(session.output_dir) == (settings.output_dir / KEY).resolve()
            original = built.output / "09-resolutions" / "会议公报.docx"
            assert (settings.output_dir / KEY / "09-resolutions" / "会议公报.docx").read_bytes() == original.read_bytes()
            if engine.dialect.name == "postgresql":  # the restored table is append-only too
                with pytest.raises(DBAPIError, match="审计记录只能追加"), session_scope(engine) as db:
                    db.execute(text("DELETE FROM audit_event"))
            # the target is no longer empty: a second restore is refused unless forced
            with pytest.raises(BackupError, match="目标数据库不为空"):
                restore(settings, tmp_path / "backup")
            restore(settings, tmp_path / "backup", force=True)
            with read_scope(engine) as db:
                assert verify(db, everything=True, output_root=settings.output_dir).ok
        finally:
            engine.dispose()
    finally:
        cleanup()  # type: ignore[operator]


def test_corrupt_backup_and_busy_folder_are_refused(built: Built, tmp_path: Path) -> None:
    if built.engine.dialect.name != "sqlite":
        pytest.skip("the refusals do not depend on the backend")
    manifest = backup(built.settings, tmp_path / "backup")
    with pytest.raises(BackupError, match="已存在且不为空"):
        backup(built.settings, tmp_path / "backup")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", output_dir=tmp_path / "busy")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something.txt").write_text("x")
    with pytest.raises(BackupError, match="目标输出目录 .* 不为空"):
        restore(settings, tmp_path / "backup")
    victim = tmp_path / "backup" / next(iter(manifest["files"]))
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(BackupError, match="已损坏或被改动"):
        restore(settings, tmp_path / "backup", force=True)
    with pytest.raises(BackupError, match="不是备份目录"):
        restore(settings, tmp_path)


def test_missing_pg_dump_is_said_plainly(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if built.engine.dialect.name != "postgresql":
        pytest.skip("SQLite needs no external tool")
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without pg_dump, as on a machine without the client
    with pytest.raises(BackupError, match=r"找不到 pg_dump：请安装与数据库服务器（PostgreSQL 1\d"):
        backup(built.settings, tmp_path / "backup")


def test_backup_and_restore_commands(built: Built, tmp_path: Path) -> None:
    if built.engine.dialect.name != "sqlite":
        pytest.skip("the commands are run once, on SQLite")

    def congress(*args: str, url: str, output: Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(output)}
        return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, env=env, text=True,
                              capture_output=True, timeout=120)

    done = congress("backup", str(tmp_path / "bk"), url=built.url, output=built.settings.output_dir)
    assert done.returncode == 0, done.stderr
    assert "备份完成" in done.stdout and json.loads((tmp_path / "bk" / MANIFEST).read_text("utf-8"))["files"]
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    done = congress("restore", str(tmp_path / "bk"), url=target, output=tmp_path / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "恢复完成" in done.stdout and "全部相符" in done.stdout
    done = congress("restore", str(tmp_path / "bk"), url=target, output=tmp_path / "out")
    assert done.returncode == 1 and "--force" in done.stderr
