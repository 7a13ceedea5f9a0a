"""Sessions: the township's list, creating one from the sample or an upload, the timeline with live
progress, starting the flow, and downloading what it produced."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from congress import limits, storage
from congress.documents.preflight import require_session_templates
from congress.errors import InputError, Problem
from congress.ical.builder import TZ
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.messages import msg
from congress.models import CongressSession, Document
from congress.settings import REPO_ROOT, Settings
from congress.web import preview, render, stored, views
from congress.web.deps import (
    DB,
    CheckedViewer,
    CurrentViewer,
    Key,
    RowId,
    Viewer,
    settings_of,
    visible_session,
)
from congress.web.launcher import LaunchError, continue_after_input, request_launch, service_up
from congress.web.security import error_response, megabytes

router = APIRouter()
SAMPLE_DIR = REPO_ROOT / "config" / "sample"
NOTICES = ("loaded", "launched", "already_running", "approval", "attendance", "tallies", "resubmitted",
           "continuing", "kept", "recorded")
NAMES_FILE = "uploaded-names.txt"  # beside an upload: the roster's name as uploaded, when it was renamed


def staging_dir(request: Request, label: str) -> Path:
    """A new folder keeping what a user handed in, as handed in (never overwritten)."""
    stamp = datetime.now(TZ).strftime("%Y%m%d-%H%M%S")
    folder = settings_of(request).upload_dir.resolve() / f"{stamp}-{label}-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def problem_rows(problems: list[Problem], folder: Path | None = None) -> list[dict[str, Any]]:
    """Problems as table rows, the file shown by the name the user gave it."""
    rows = []
    for p in problems:
        name = Path(p.file).name if folder is not None and (str(folder) in str(Path(p.file).resolve())) else p.file
        rows.append({"file": name, "line": p.line, "field": p.field, "problem": p.problem, "text": str(p)})
    return rows


def _check_templates(session: CongressSession, settings: Settings) -> None:
    """The township's templates checked before anything is stored; a file is named inside the templates
    folder (documents/notice.md.j2), never by the server's path."""
    try:
        require_session_templates(session.term.township, settings)
    except InputError as exc:
        root = Path(settings.templates_dir).resolve()
        raise InputError([replace(p, file=_inside(p.file, root)) for p in exc.problems]) from None


def _inside(file: str, root: Path) -> str:
    try:
        return str(Path(file).resolve().relative_to(root))
    except ValueError:
        return file


def _list_page(request: Request, db: Session, who: Viewer, *, errors: list[dict[str, Any]] | None = None,
               warnings: list[str] | None = None, status_code: int = 200) -> Response:
    sessions = views.sessions_for(db, who.user.township_code)
    rows = [{"session": s, "progress": views.progress(db, s)} for s in sessions]
    return render.page(request, "sessions.html", status_code=status_code, who=who, rows=rows, errors=errors or [],
                       warnings=warnings or [], notice=request.query_params.get("notice"))


@router.get("/sessions")
def sessions_page(request: Request, who: CurrentViewer, db: DB) -> Response:
    return _list_page(request, db, who)


def _load(request: Request, db: Session, who: Viewer, folder: Path, session_file: Path) -> Response:
    """Validate and store a session file exactly as `congress load` does; errors name file and line."""
    try:
        spec = load_session_file(session_file)
        if who.user.township_code and spec.township["code"] != who.user.township_code:
            raise InputError([Problem(session_file.name, msg("web.create.other_township",
                                                             code=spec.township["code"],
                                                             mine=who.user.township_code), None, "township.code")])
        session, _ = ops.load_session(db, spec=spec, actor=who.name, output_root=settings_of(request).output_dir)
        _check_templates(session, settings_of(request))  # as `congress load` does: file and line
    except InputError as exc:
        db.rollback()
        return _list_page(request, db, who, errors=problem_rows(exc.problems, folder), status_code=422)
    return RedirectResponse(f"/sessions/{session.key}?notice=loaded", status_code=303)


@router.post("/sessions/sample")
def create_from_sample(request: Request, who: CheckedViewer, db: DB) -> Response:
    who.require("create_session")
    folder = staging_dir(request, "sample")
    for item in SAMPLE_DIR.iterdir():
        if item.is_file():
            shutil.copy2(item, folder / item.name)
    return _load(request, db, who, folder, folder / "session.yaml")


def _plain_name(name: str, default: str) -> str:
    """A file name the upload folder can hold as given: no path, no control characters, not too long."""
    name = Path(name).name
    if (name in ("", ".", "..") or name.startswith(".") or any(ord(c) < 0x20 or c == "\\" for c in name)
            or len(name.encode()) > 120):
        return default
    return name


def _roster_name(session_bytes: bytes) -> str:
    """The roster file name the session file asks for (just the name: uploads stay in their folder)."""
    try:
        data = yaml.safe_load(session_bytes.decode("utf-8-sig"))
        name = str(data.get("roster") or "roster.csv") if isinstance(data, dict) else "roster.csv"
    except Exception:  # noqa: BLE001 - only a peek: whatever is wrong, the loader reports it with its line
        name = "roster.csv"
    return _plain_name(name, "roster.csv")


async def _read_capped(upload: UploadFile, kind: str) -> bytes | None:
    """The upload's bytes, or None when it is larger than its kind's cap (read no further than that)."""
    data = await upload.read(limits.MAX_FILE_BYTES[kind] + 1)
    return None if len(data) > limits.MAX_FILE_BYTES[kind] else data


@router.post("/sessions/upload")
async def create_from_upload(request: Request, session_file: Annotated[UploadFile, File()],
                             roster_file: Annotated[UploadFile, File()], who: CheckedViewer,
                             db: DB) -> Response:
    who.require("create_session")
    # each file against its own kind's cap (the request as a whole was capped while it streamed)
    session_bytes = await _read_capped(session_file, "session")
    roster_bytes = await _read_capped(roster_file, "roster")
    for data, upload, kind in ((session_bytes, session_file, "session"), (roster_bytes, roster_file, "roster")):
        if data is None:
            return error_response(request, 413, msg("security.upload.file_too_large",
                                                    file=Path(upload.filename or "").name or kind,
                                                    kind=msg(f"security.upload.kind.{kind}"),
                                                    size=megabytes(limits.MAX_FILE_BYTES[kind])))
    assert session_bytes is not None and roster_bytes is not None
    folder = staging_dir(request, "upload")
    session_name = _plain_name(session_file.filename or "session.yaml", "session.yaml")
    if not session_name.endswith((".yaml", ".yml")):
        session_name += ".yaml"
    target = folder / session_name
    target.write_bytes(session_bytes)
    roster_name = _roster_name(session_bytes)
    if roster_name in (session_name, NAMES_FILE):
        roster_name = "roster.csv"
    (folder / roster_name).write_bytes(roster_bytes)
    uploaded_as = _plain_name(roster_file.filename or "", roster_name)
    if uploaded_as != roster_name:
        # the name it was uploaded under, so the folder shows what the user handed in (not a second copy)
        (folder / NAMES_FILE).write_text(f"{roster_name}\t{uploaded_as}\n", encoding="utf-8")
    return _load(request, db, who, folder, target)


def _timeline_context(request: Request, db: Session, who: Viewer, session: CongressSession) -> dict[str, Any]:
    launcher = request.app.state.launcher
    launch = views.launch_view(db, session, launcher, request.app.state.service)
    approvals = views.approvals(db, session)
    returned = approvals["plan"][-1] if session.waiting_for == "plan_returned" and approvals["plan"] else None
    return {"who": who, "session": session, "steps": views.steps_of(db, session, launcher, settings_of(request)),
            "launch": launch,
            "gates": views.open_gates(db, session), "approvals": approvals,
            "resolutions": views.resolutions(db, session), "progress": views.progress(db, session),
            "launcher_ready": launcher is not None, "names": views.people(db), "returned": returned,
            "pdf_enabled": views.pdf_enabled(settings_of(request)),
            "answerers": views.answerers(db, session, launch.waiting.role) if launch.waiting else []}


@router.get("/sessions/{key}")
def timeline(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    session = visible_session(db, who, key)
    notice = request.query_params.get("notice")
    return render.page(request, "timeline.html", notice=notice if notice in NOTICES else None,
                       **_timeline_context(request, db, who, session))


@router.get("/sessions/{key}/progress")
def progress(key: Key, request: Request, who: CurrentViewer, db: DB) -> JSONResponse:
    """The timeline's live part: polled by the page while a flow runs."""
    session = visible_session(db, who, key)
    ctx = _timeline_context(request, db, who, session)
    launch = ctx["launch"]
    run = launch.run
    return JSONResponse({
        "state": session.state, "waiting_for": session.waiting_for, "message": session.state_message,
        "active": launch.launch is not None, "queued": launch.queued is not None, "service": launch.service,
        "run": {"id": run.id, "name": run.name, "state": run.state, "state_name": run.state_name, "url": run.url}
        if run else None,
        "steps": [{"step": s.step, "status": s.status} for s in ctx["steps"]],
        "done": ctx["progress"][0],
        "html": render.fragment(request, "_live.html", **ctx),
    })


@router.post("/sessions/{key}/launch")
def launch(key: Key, request: Request, who: CheckedViewer, db: DB) -> Response:
    """Start, continue or retry the session's flow: a flow run through the deployment, one at a time."""
    who.require("launch")
    session = visible_session(db, who, key)
    launcher = request.app.state.launcher
    purpose = views.launch_purpose(db, session)
    if launcher is None or purpose is None or not service_up(launcher):
        raise HTTPException(409)
    try:
        result = request_launch(db, session, launcher=launcher, actor=who.name, purpose=purpose, trigger=purpose)
    except LaunchError:
        return render.page(request, "timeline.html", status_code=503, notice=None, launch_error=True,
                           **_timeline_context(request, db, who, session))
    notice = "launched" if result.started else "already_running"
    return RedirectResponse(f"/sessions/{key}?notice={notice}", status_code=303)


@router.post("/sessions/{key}/resubmit")
async def resubmit(key: Key, request: Request, session_file: Annotated[UploadFile, File()], who: CheckedViewer,
                   db: DB, roster_file: Annotated[UploadFile | None, File()] = None) -> Response:
    """The plan sent back (退回修改): the revised session file replaces the plan, and party approval runs
    again with a new 请示 (the next attempt); the roster is the one uploaded before unless a new one is."""
    who.require("create_session")
    session = visible_session(db, who, key)
    if session.waiting_for != "plan_returned":
        raise HTTPException(409)
    session_bytes = await _read_capped(session_file, "session")
    roster_bytes = await _read_capped(roster_file, "roster") if roster_file is not None and roster_file.filename else b""
    for data, upload, kind in ((session_bytes, session_file, "session"), (roster_bytes, roster_file, "roster")):
        if data is None:
            return error_response(request, 413, msg("security.upload.file_too_large",
                                                    file=Path(getattr(upload, "filename", "") or "").name or kind,
                                                    kind=msg(f"security.upload.kind.{kind}"),
                                                    size=megabytes(limits.MAX_FILE_BYTES[kind])))
    assert session_bytes is not None and roster_bytes is not None
    folder = staging_dir(request, f"resubmit-{session.key}")
    target = folder / "session.yaml"
    target.write_bytes(session_bytes)
    roster_name = _roster_name(session_bytes)
    if roster_name in ("session.yaml", NAMES_FILE):
        roster_name = "roster.csv"
    if roster_bytes:
        (folder / roster_name).write_bytes(roster_bytes)
    else:  # the roster of the file being revised, so a revised plan needs one file only
        earlier = Path(session.source_path).parent / roster_name if session.source_path else None
        if earlier is not None and earlier.is_file():
            shutil.copy2(earlier, folder / roster_name)
    problems: list[Problem] = []
    try:
        spec = load_session_file(target)
        if spec.key != session.key:
            problems.append(Problem(target.name, msg("dashboard.resubmit.other_session", key=spec.key), None,
                                    "session"))
        elif spec.sha256 == session.source_sha256:
            problems.append(Problem(target.name, msg("dashboard.resubmit.unchanged"), None, None))
        else:
            ops.load_session(db, spec=spec, actor=who.name, output_root=settings_of(request).output_dir)
            _check_templates(session, settings_of(request))
    except InputError as exc:
        problems = exc.problems
    if problems:
        db.rollback()
        return render.page(request, "timeline.html", status_code=422, notice=None,
                           resubmit_errors=problem_rows(problems, folder),
                           **_timeline_context(request, db, who, visible_session(db, who, key)))
    # in a worker thread: the launcher's client blocks, and would block this async route's event loop
    await run_in_threadpool(continue_after_input, db, session, launcher=request.app.state.launcher, actor=who.name,
                            trigger="resubmit")
    return RedirectResponse(f"/sessions/{key}?notice=resubmitted", status_code=303)


@router.get("/sessions/{key}/files/{doc_id}/pages/{number}")
def page_image(key: Key, doc_id: RowId, number: Annotated[int, PathParam(ge=1, le=preview.MAX_PAGES)],
               request: Request, who: CurrentViewer, db: DB) -> Response:
    """One page of a document's PDF as an image, to read it in the page (the approval page shows them)."""
    session = visible_session(db, who, key)
    doc = db.get(Document, doc_id)
    if doc is None or doc.session_id != session.id or not doc.path.endswith(".docx"):
        raise HTTPException(404)
    image = stored.page_png(storage.session_store(settings_of(request), session), doc.path[:-5] + ".pdf", number)
    if image is None:
        raise HTTPException(404)
    return Response(image, media_type="image/png")


@router.get("/sessions/{key}/files/{doc_id}")
def download(key: Key, doc_id: RowId, request: Request, who: CurrentViewer, db: DB, format: str = "") -> Response:
    session = visible_session(db, who, key)
    doc = db.get(Document, doc_id)
    if doc is None or doc.session_id != session.id:
        raise HTTPException(404)
    rel = doc.path[:-5] + ".pdf" if format == "pdf" and doc.path.endswith(".docx") else doc.path
    return stored.download(storage.session_store(settings_of(request), session), rel)
