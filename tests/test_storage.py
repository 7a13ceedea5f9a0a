"""The shared document store (congress/storage.py): both backends behind one interface, and a whole session
kept in the database giving the same documents as the folder, served by the dashboard and verified."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from congress import storage
from congress.audit.verify import verify
from congress.db import make_engine, read_scope, session_scope
from congress.documents import pdf
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.lifecycle.outcome import finalize
from congress.models import Document, StoredContent, StoredFile
from congress.settings import Settings
from tests.conftest import SAMPLE, new_database
from tests.test_lifecycle import KEY, advance, give_all_inputs

NO_SOFFICE = pdf.soffice_binary() is None


# --- the interface, on both backends ---------------------------------------------------------------


@pytest.fixture(params=["files", "database"])
def store(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> storage.Store:
    scope = f"session/test-{uuid.uuid4().hex[:8]}"  # the engine's database is shared by the whole run
    if request.param == "files":
        return storage.FileStore(scope, tmp_path / "out")
    return storage.DatabaseStore(scope, engine)


def test_put_get_exists_and_hash(store: storage.Store) -> None:
    sha = store.put("01-plan/会议方案.docx", b"first")
    assert sha == hashlib.sha256(b"first").hexdigest()
    assert store.get("01-plan/会议方案.docx") == b"first"
    assert store.exists("01-plan/会议方案.docx") and not store.exists("01-plan/other.docx")
    store.put("01-plan/会议方案.docx", b"second")  # a step run again replaces the bytes
    assert store.get("01-plan/会议方案.docx") == b"second"
    assert store.sha256("01-plan/会议方案.docx") == hashlib.sha256(b"second").hexdigest()
    assert store.sha256("missing.pdf") is None
    with pytest.raises(FileNotFoundError):
        store.get("missing.pdf")
    store.put_many({"calendar/a.ics": b"A", "calendar/b.ics": b"B"})
    assert store.paths() == ["01-plan/会议方案.docx", "calendar/a.ics", "calendar/b.ics"]


def test_local_copies_hold_the_bytes(store: storage.Store) -> None:
    store.put_many({"a/x.docx": b"x-bytes", "b/x.docx": b"other"})
    with store.local(["a/x.docx", "b/x.docx"]) as local:
        assert local["a/x.docx"].read_bytes() == b"x-bytes"
        assert local["b/x.docx"].read_bytes() == b"other"


@pytest.mark.parametrize("rel", ["../escape.docx", "/etc/passwd", "a/../../b", ""])
def test_paths_outside_the_scope_are_refused(store: storage.Store, rel: str) -> None:
    with pytest.raises(FileNotFoundError):
        store.put(rel, b"x")
    assert not store.exists(rel)


def test_database_keeps_equal_bytes_once(engine: Engine) -> None:
    a = storage.DatabaseStore(f"session/a-{uuid.uuid4().hex[:6]}", engine)
    b = storage.DatabaseStore(f"township/b-{uuid.uuid4().hex[:6]}", engine)
    data = uuid.uuid4().bytes * 1000
    a.put("one.docx", data)
    b.put("two.docx", data)
    a.put("one-again.docx", data)
    sha = hashlib.sha256(data).hexdigest()
    with engine.connect() as conn:
        assert conn.scalar(select(StoredContent.size).where(StoredContent.sha256 == sha)) == len(data)
        assert len(conn.scalars(select(StoredFile.id).where(StoredFile.sha256 == sha)).all()) == 3
    assert b.paths() == ["two.docx"]  # scopes do not see each other's paths


def test_settings_choose_the_backend(tmp_path: Path, engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    files = storage.store_for(Settings(database_url=url, output_dir=tmp_path), "session/x", tmp_path / "x")
    assert isinstance(files, storage.FileStore) and files.root == tmp_path / "x"
    db_store = storage.store_for(Settings(database_url=url, document_store="database"), "session/x", tmp_path)
    assert isinstance(db_store, storage.DatabaseStore)
    with pytest.raises(ValueError):
        Settings(document_store="s3")


# --- a whole session in the database -------------------------------------------------------------


def run_session(backend: str, tmp: Path, store: str, *, pdfs: bool) -> tuple[Settings, dict[str, bytes], object]:
    """The sample session run to the end on a fresh database, with PDFs and the audit report; its files."""
    url, cleanup = new_database(backend, tmp)
    engine = make_engine(url)
    # the deputies' personal links (the QR code on each notice) come from random nonces: the same ones in
    # both runs, so the runs can be compared byte for byte
    counter = iter(range(1, 1_000_000))
    nonces = mock.patch("congress.deputies.links.secrets.token_hex", lambda n=16: f"{next(counter):0{2 * n}x}")
    with nonces:
        return _run(engine, url, cleanup, tmp, store, pdfs)


def _run(engine: Engine, url: str, cleanup, tmp: Path, store: str, pdfs: bool):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=url, output_dir=tmp / "output", document_store=store,
                        render_pdf="on" if pdfs else "off")
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="test",
                                      output_root=settings.output_dir)
        give_all_inputs(db, session)
    with session_scope(engine) as db:
        steps = advance(db, settings)
    assert steps[-1][1] == "done", steps
    with session_scope(engine) as db:
        pdf.render_missing(db, ops.get_session(db, KEY), settings)
    with session_scope(engine) as db:
        finalize(db, KEY, actor="test", settings=settings)
    with session_scope(engine) as db:
        session = ops.get_session(db, KEY)
        pdf.render_missing(db, session, settings)
        kept = storage.session_store(settings, session)
        files = {rel: kept.get(rel) for rel in kept.paths()}
    engine.dispose()
    return settings, files, cleanup


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def both_stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The same session run twice on the same backend: files kept in the folder, then in the database."""
    pdfs = not NO_SOFFICE
    runs = {store: run_session(request.param, tmp_path_factory.mktemp(f"{request.param}-{store}"), store, pdfs=pdfs)
            for store in ("files", "database")}
    yield request.param, pdfs, runs
    for _, _, cleanup in runs.values():
        cleanup()  # type: ignore[operator]


# What depends on the moment the run happened (audit times and the chain head they hash into); everything
# else a township reads must be the same bytes whichever store keeps it.
TIMED = ("outcome.json", "审计报告.docx", "审计报告.pdf")


def comparable(rel: str, data: bytes) -> bytes:
    """A calendar's DTSTAMP is the moment its entry was made: the rest is compared."""
    if rel.endswith(".ics"):
        return b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"DTSTAMP"))
    return data


def test_database_store_gives_the_same_documents(both_stores) -> None:  # type: ignore[no-untyped-def]
    _, pdfs, runs = both_stores
    folder_settings, in_folder, _ = runs["files"]
    db_settings, in_db, _ = runs["database"]
    assert set(in_db) == set(in_folder)
    assert any(rel.endswith(".docx") for rel in in_db) and any(rel.endswith(".ics") for rel in in_db)
    assert any(rel.endswith(".pdf") for rel in in_db) == pdfs
    different = sorted(rel for rel in in_db if comparable(rel, in_db[rel]) != comparable(rel, in_folder[rel])
                       and not rel.endswith(TIMED))
    assert sum(not rel.endswith(TIMED) for rel in in_db) > 300
    assert different == [], different[:20]
    # nothing of the database run's was written on this machine's disk
    assert not (Path(db_settings.output_dir) / KEY).exists() or not any((Path(db_settings.output_dir) / KEY).rglob("*.docx"))


def test_database_store_verifies_and_detects_a_changed_byte(both_stores) -> None:  # type: ignore[no-untyped-def]
    _, _, runs = both_stores
    settings, files, _ = runs["database"]
    engine = make_engine(settings.database_url)
    try:
        with read_scope(engine) as db:
            result = verify(db, session_key=KEY, output_root=settings.output_dir, settings=settings)
        assert result.ok, [str(f) for f in result.findings]
        assert result.files >= len([r for r in files if r != "outcome.json"])
        # one changed byte in a stored document: verify names it
        with session_scope(engine) as db:
            doc = db.scalar(select(Document).where(Document.path.like("%.docx")).order_by(Document.id).limit(1))
            assert doc is not None
            path = doc.path
            data = bytearray(files[path])
            data[-1] ^= 1
            changed = bytes(data)
            sha = hashlib.sha256(changed).hexdigest()
            db.add(StoredContent(sha256=sha, size=len(changed), data=changed))
            db.flush()
            db.execute(update(StoredFile).where(StoredFile.scope == f"session/{KEY}", StoredFile.path == path)
                       .values(sha256=sha))
        with read_scope(engine) as db:
            result = verify(db, session_key=KEY, output_root=settings.output_dir, settings=settings)
        assert not result.ok
        assert any(path in str(f) and sha in str(f) for f in result.findings), [str(f) for f in result.findings]
        # and put back: whole again
        with session_scope(engine) as db:
            db.execute(update(StoredFile).where(StoredFile.scope == f"session/{KEY}", StoredFile.path == path)
                       .values(sha256=hashlib.sha256(files[path]).hexdigest()))
    finally:
        engine.dispose()


def test_dashboard_serves_stored_documents(both_stores) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from congress.web.accounts import create_user
    from congress.web.app import create_app

    _, pdfs, runs = both_stores
    settings, files, _ = runs["database"]
    engine = make_engine(settings.database_url)
    name = f"staff{uuid.uuid4().hex[:6]}"
    with session_scope(engine) as db:
        session = ops.get_session(db, KEY)
        create_user(db, username=name, password="correct horse battery staple", role="staff",
                    township_code=session.term.township.code, display_name="工作人员", actor="test")
        docs = {d.path: d.id for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        login(client, name)
        checked = 0
        for rel, doc_id in sorted(docs.items())[:40]:
            response = client.get(f"/sessions/{KEY}/files/{doc_id}")
            assert response.status_code == 200, rel
            assert response.content == files[rel], rel
            assert Path(rel).name in _unquoted(response.headers["content-disposition"])
            if pdfs and rel.endswith(".docx"):
                as_pdf = client.get(f"/sessions/{KEY}/files/{doc_id}", params={"format": "pdf"})
                assert as_pdf.content == files[rel[:-5] + ".pdf"]
                assert as_pdf.headers["content-type"] == "application/pdf"
            checked += 1
        assert checked
        page = client.get(f"/sessions/{KEY}")
        assert page.status_code == 200
        if pdfs:
            docx_id = next(i for r, i in sorted(docs.items()) if r.endswith(".docx"))
            image = client.get(f"/sessions/{KEY}/files/{docx_id}/pages/1")
            assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_export_files_writes_the_stored_bytes(both_stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from cli.main import app
    from congress.settings import get_settings

    _, _, runs = both_stores
    settings, files, _ = runs["database"]
    monkeypatch.setenv("CONGRESS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CONGRESS_DOCUMENT_STORE", "database")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["export-files", KEY, str(tmp_path / "copy")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    copied = {p.relative_to(tmp_path / "copy").as_posix(): p.read_bytes()
              for p in (tmp_path / "copy").rglob("*") if p.is_file()}
    assert copied == files


def login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    from tests.test_web import login as web_login

    response = web_login(client, username, "correct horse battery staple")
    assert response.status_code in (302, 303), response.text[:500]


def _unquoted(header: str) -> str:
    from urllib.parse import unquote

    return unquote(header)


def test_backup_holds_the_stored_documents(both_stores, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With the database store the dump is the whole backup: restored into an empty database, it verifies."""
    from congress.audit.backup import backup, restore
    from tests.test_backup import fresh_target

    _, _, runs = both_stores
    settings, files, _ = runs["database"]
    manifest = backup(settings, tmp_path / "backup")
    assert manifest["document_store"] == "database"
    assert not [f for f in manifest["files"] if f.startswith(f"files/sessions/{KEY}/")]  # no folder to copy
    source = make_engine(settings.database_url)
    empty, cleanup = fresh_target(SimpleNamespace(engine=source, url=settings.database_url), tmp_path)  # type: ignore[arg-type]
    source.dispose()
    url = empty.database_url
    target = Settings(database_url=url, output_dir=tmp_path / "restored-output", document_store="database")
    try:
        restore(target, tmp_path / "backup", force=True)
        engine = make_engine(url)
        try:
            with read_scope(engine) as db:
                result = verify(db, everything=True, output_root=target.output_dir, settings=target)
                assert result.ok, [str(f) for f in result.findings]
                kept = storage.session_store(target, ops.get_session(db, KEY))
            assert {rel: kept.get(rel) for rel in kept.paths()} == files
        finally:
            engine.dispose()
    finally:
        cleanup()  # type: ignore[operator]
