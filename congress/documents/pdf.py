"""PDF beside every .docx: LibreOffice headless converts a session's documents in batches.

Deputies read documents on their phones, so every registered .docx of a session gets a .pdf next to
it, registered as its own Document row with its hash. LibreOffice starts once per batch (one start
costs about 1 s; converting a document in a running instance about 0.1 s), in a private profile so
parallel runs don't collide, and with ``config/fonts/fonts.conf`` so the official faces the .docx
names (仿宋_GB2312, 方正小标宋简体, …) map to free ones installed on the machine.

Which .docx bytes a PDF was rendered from is recorded in a ``pdf_rendered`` audit event, so a PDF is
rendered again only when its .docx changed (or the PDF went missing) and re-runs render nothing.

LibreOffice stamps each PDF with the conversion time and a random file ID; ``normalize_pdf`` pins
both (to the document's created time and its .docx hash), so the same .docx gives the same PDF bytes
with the same LibreOffice and fonts.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import storage
from congress.lifecycle.claim import claim_session
from congress.lifecycle.operations import audit, output_folder
from congress.messages import msg
from congress.models import AuditEvent, CongressSession, Document
from congress.settings import REPO_ROOT, Settings

FONTS_CONF = REPO_ROOT / "config" / "fonts" / "fonts.conf"
BATCH_SIZE = 100  # documents per LibreOffice start: bounds the command line and what one crash costs
START_TIMEOUT_S = 120  # a cold start with a fresh profile takes 5-10 s; this only catches a hang
PER_DOCUMENT_TIMEOUT_S = 10
RENDER_MODES = ("auto", "on", "off")
AUDIT_ACTION = "pdf_rendered"
LIBREOFFICE_CHAR_SPACING = -5  # twentieths of a point; see for_libreoffice


class RenderError(RuntimeError):
    """LibreOffice is missing when rendering is required, failed, or produced no PDF."""


@dataclass
class RenderReport:
    """What one rendering pass did."""

    rendered: list[str] = field(default_factory=list)  # PDF paths, relative to the session's folder
    up_to_date: int = 0
    starts: int = 0  # LibreOffice starts
    seconds: float = 0.0
    skipped: str | None = None  # why nothing was rendered (rendering off, LibreOffice absent)


def soffice_binary() -> str | None:
    """The LibreOffice executable on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_enabled(settings: Settings) -> tuple[bool, str | None]:
    """Whether this run renders PDFs, and if not, the notice saying why (None when off on purpose)."""
    mode = settings.render_pdf
    if mode == "off":
        return False, msg("pdf.off")
    if soffice_binary() is None:
        if mode == "on":
            raise RenderError(msg("pdf.soffice_required"))
        return False, msg("pdf.no_soffice")
    return True, None


def _subprocess_env(profile: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FONTCONFIG_FILE=str(FONTS_CONF),
        TZ="UTC",  # the creation date LibreOffice writes is then "D:…Z", which normalize_pdf pins
        HOME=str(profile),  # LibreOffice and fontconfig write caches here, not in the user's home
        SAL_USE_VCLPLUGIN="svp",  # headless rendering plugin: no X server needed
    )
    return env


def convert_to_pdf(
    sources: Sequence[Path], *, soffice: str | None = None, batch_size: int = BATCH_SIZE
) -> tuple[dict[Path, bytes], int]:
    """Convert .docx files to PDF bytes, one LibreOffice start per batch; return them and the starts."""
    binary = soffice or soffice_binary()
    if binary is None:
        raise RenderError(msg("pdf.soffice_required"))
    results: dict[Path, bytes] = {}
    starts = 0
    for offset in range(0, len(sources), batch_size):
        batch = [Path(p) for p in sources[offset : offset + batch_size]]
        results.update(_convert_batch(binary, batch))
        starts += 1
    return results, starts


def _convert_batch(binary: str, batch: list[Path]) -> dict[Path, bytes]:
    with tempfile.TemporaryDirectory(prefix="congress-pdf-") as tmp:
        work = Path(tmp)
        inbox, outbox, profile = work / "in", work / "out", work / "profile"
        for folder in (inbox, outbox, profile):
            folder.mkdir()
        # Documents from several folders may share a name; numbered copies in one folder don't.
        names = {}
        for i, src in enumerate(batch):
            name = f"{i:04d}.docx"
            (inbox / name).write_bytes(for_libreoffice(src.read_bytes()))
            names[src] = name
        cmd = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(outbox),
            *(str(inbox / names[src]) for src in batch),
        ]
        timeout = START_TIMEOUT_S + PER_DOCUMENT_TIMEOUT_S * len(batch)
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=_subprocess_env(profile),
            cwd=work,
            start_new_session=True,  # its own process group, so a hang is killed with its children
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RenderError(msg("pdf.timeout", seconds=timeout, count=len(batch))) from exc
        results = {}
        for src in batch:
            pdf = outbox / names[src].replace(".docx", ".pdf")
            if not pdf.exists():
                tail = output.decode("utf-8", "replace").strip()[-500:]
                raise RenderError(msg("pdf.failed", path=str(src), code=proc.returncode, output=tail))
            results[src] = pdf.read_bytes()
        return results


_DOC_GRID = re.compile(rb"<w:docGrid [^>]*/>")
_DEFAULT_SIZE = re.compile(rb"(<w:rPrDefault><w:rPr>.*?)(<w:sz )", re.S)
_PARAGRAPH_DEFAULTS = b"<w:pPrDefault><w:pPr>"
LIBREOFFICE_NO_HANGING = b'<w:overflowPunct w:val="1"/>'  # "no hanging punctuation" as LibreOffice reads it


def for_libreoffice(docx: bytes) -> bytes:
    """The .docx as LibreOffice should lay it out: Word's character grid as character spacing.

    LibreOffice imports ``w:docGrid type="linesAndChars"`` as its own text grid, which puts each
    character in a cell about 23 pt wide (about 19 characters a line instead of 28) and gives a
    22 pt title two grid lines. The copy it converts has no grid; the exact 579-twip line pitch of
    the styles still gives 22 lines a page, and -0.25 pt of character spacing gives 16 - 0.25 =
    15.75 pt a character, 28 to the 156 mm line, as the grid does in Word and WPS.

    The copy also turns hanging punctuation off. LibreOffice lets a closing mark that does not fit
    hang past the line end, and then leaves it out of the PDF: "（停顿）没有。通过。" printed as "没有 /
    通过。". Without hanging the last character before the mark moves down with it (27 characters on
    that line). LibreOffice's DOCX import reads ``w:overflowPunct`` inverted (its writerfilter maps
    the value 1 to "no hanging"), so the copy says ``w:val="1"`` to mean what Word calls 0;
    tests/test_pdf_text.py compares every PDF's text with its .docx and fails if a LibreOffice
    version reads it otherwise.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = _DOC_GRID.sub(b"", data)
            elif info.filename == "word/styles.xml":
                data = _DEFAULT_SIZE.sub(
                    rb'\1<w:spacing w:val="%d"/>\2' % LIBREOFFICE_CHAR_SPACING, data, count=1
                )
                data = data.replace(_PARAGRAPH_DEFAULTS, _PARAGRAPH_DEFAULTS + LIBREOFFICE_NO_HANGING, 1)
            dst.writestr(info, data)
    return out.getvalue()


_CREATION_DATE = re.compile(rb"/CreationDate\(D:(\d{14})")
_FILE_ID = re.compile(rb"/ID \[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")
_DOC_CHECKSUM = re.compile(rb"/DocChecksum /([0-9A-Fa-f]{32})")


def normalize_pdf(data: bytes, *, created: datetime, seed: str) -> bytes:
    """Pin what LibreOffice varies between runs (creation time, file ID, checksum).

    Every replacement has the length of what it replaces, so the cross-reference offsets stay right.
    """
    if created.tzinfo is not None:
        created = created.astimezone(UTC)
    stamp = created.strftime("%Y%m%d%H%M%S").encode()
    digest = hashlib.sha256(seed.encode()).hexdigest().upper().encode()
    data = _CREATION_DATE.sub(lambda m: b"/CreationDate(D:" + stamp, data)
    data = _FILE_ID.sub(
        lambda m: m.group(0).replace(m.group(1), digest[:32]).replace(m.group(2), digest[:32]), data
    )
    return _DOC_CHECKSUM.sub(lambda m: b"/DocChecksum /" + digest[32:64], data)


_CORE_CREATED = re.compile(r"<dcterms:created[^>]*>([^<]+)</dcterms:created>")


def docx_created(path: Path) -> datetime:
    """The created time in a .docx's core properties (the builder sets it from the session)."""
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
    match = _CORE_CREATED.search(core)
    if not match:
        return datetime(1980, 1, 1, tzinfo=UTC)
    return datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))


def pdf_path(docx_rel: str) -> str:
    """The PDF's path beside its .docx."""
    return docx_rel[: -len(".docx")] + ".pdf"


def rendered_sources(db: Session, session: CongressSession) -> dict[str, str]:
    """PDF path → sha256 of the .docx it was last rendered from, from the audit trail."""
    sources: dict[str, str] = {}
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.session_id == session.id, AuditEvent.action == AUDIT_ACTION)
        .order_by(AuditEvent.id)
    )
    for event in events:
        sources.update(event.detail.get("sources", {}))
    return sources


def stale_documents(db: Session, session: CongressSession,
                    store: storage.Store | None = None) -> tuple[list[Document], int]:
    """The registered .docx files whose PDF is missing or was rendered from other bytes; and the count of
    up-to-date ones. `store`: where the files are kept (unset: the session's output folder)."""
    root = store or storage.FileStore(f"session/{session.key}", Path(session.output_dir))
    docs = db.scalars(select(Document).where(Document.session_id == session.id).order_by(Document.path)).all()
    pdfs = {d.path: d for d in docs if d.path.endswith(".pdf")}
    sources = rendered_sources(db, session)
    stale, fresh = [], 0
    for doc in docs:
        if not doc.path.endswith(".docx") or not root.exists(doc.path):
            continue
        target = pdf_path(doc.path)
        row = pdfs.get(target)
        if row is not None and sources.get(target) == doc.sha256 and root.sha256(target) == row.sha256:
            fresh += 1
        else:
            stale.append(doc)
    return stale, fresh


def render_missing(
    db: Session, session: CongressSession, settings: Settings, *, actor: str = "system", limit: int | None = None
) -> RenderReport:
    """Render every registered .docx of the session whose PDF is missing or stale; register the PDFs.

    The session is claimed throughout (no step writes its .docx files meanwhile), but no transaction is
    open while LibreOffice works or the PDFs are written: a short read says what to render, a short
    write registers what was rendered.
    """
    enabled, notice = render_enabled(settings)
    if not enabled:
        return RenderReport(skipped=notice)
    key = session.key
    db.commit()  # never wait for the claim (nor run LibreOffice) inside a transaction
    with claim_session(db, key, wait_seconds=settings.run_wait_seconds):
        db.expire_all()
        found = db.scalar(select(CongressSession).where(CongressSession.key == key))
        assert found is not None
        session = found
        output_folder(db, session, settings)
        root = storage.session_store(settings, session)
        stale, fresh = stale_documents(db, session, root)
        jobs = [(doc.path, doc.sha256, doc.kind, doc.step) for doc in stale]
        db.commit()  # end of the short read
        report = RenderReport(up_to_date=fresh)
        # only bytes that are what the database registered: a .docx left behind by an interrupted step
        # is rendered after that step has run again
        jobs = [job for job in jobs if root.sha256(job[0]) == job[1]]
        if limit is not None:  # a part: the session flow renders in parts, yielding to a gate's input between
            jobs = jobs[:limit]
        if not jobs:
            return report
        started = time.perf_counter()
        # the .docx files as paths on this machine (the database store copies them to a temp folder)
        with root.local([path for path, *_ in jobs]) as local:
            pdfs, report.starts = convert_to_pdf([local[path] for path, *_ in jobs])
            report.seconds = time.perf_counter() - started
            made = {pdf_path(path): normalize_pdf(pdfs[local[path]], created=docx_created(local[path]),
                                                  seed=source_sha) for path, source_sha, *_ in jobs}
        shas = root.put_many(made)
        written: dict[str, tuple[str, str, str, str]] = {}  # PDF path -> (its sha, source sha, kind, step)
        for path, source_sha, kind, step in jobs:
            target = pdf_path(path)
            written[target] = (shas[target], source_sha, f"{kind}_pdf"[:32], step)
        sources: dict[str, str] = {}
        for target, (sha, source_sha, kind, step) in written.items():
            row = db.scalar(select(Document).where(Document.session_id == session.id, Document.path == target))
            if row is None:
                db.add(Document(session_id=session.id, step=step, kind=kind, path=target, sha256=sha))
            else:
                row.sha256, row.step, row.kind = sha, step, kind
            sources[target] = source_sha
            report.rendered.append(target)
        audit(
            db,
            actor=actor,
            action=AUDIT_ACTION,
            session=session,
            sources=sources,
            count=len(sources),
            starts=report.starts,
            seconds=round(report.seconds, 1),
        )
        db.flush()
        db.commit()
    return report


__all__ = [
    "RENDER_MODES",
    "RenderError",
    "RenderReport",
    "convert_to_pdf",
    "normalize_pdf",
    "pdf_path",
    "render_enabled",
    "render_missing",
    "soffice_binary",
    "stale_documents",
]
