"""One whole sample session, run through the core with every gate input and rendered to PDF through the
real LibreOffice, once per test process: the docx↔PDF text comparison, the page images and the whole-
session rendering test all read the same files (rendering ~90 documents costs ~7 s; doing it per test
would cost minutes).

Also the readers the checks share: a .docx's text, a PDF's text per page, a document's kind."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import select

from congress.db import make_engine, migrate, session_scope
from congress.documents import pdf
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.lifecycle.outcome import finalize
from congress.models import Document
from congress.settings import Settings
from tests.conftest import SAMPLE
from tests.test_lifecycle import KEY, advance, give_all_inputs

NO_SOFFICE = pdf.soffice_binary() is None
NO_POPPLER = shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None
SKIP_REASON = ("LibreOffice (soffice) and poppler-utils are needed; bash scripts/install-system-packages.sh "
               "installs them")

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class RenderedSession:
    """The sample session's output folder and what the database registered there."""

    root: Path  # <output>/<session key>
    kinds: dict[str, str]  # .docx path (relative to root) -> document kind
    steps: list[tuple[str, str]]  # (step, status) as the run went


_RENDERED: dict[str, RenderedSession] = {}


def rendered_session(base: Path) -> RenderedSession:
    """The sample session run to the end with PDFs, built once per process under base."""
    if "sample" in _RENDERED:
        return _RENDERED["sample"]
    url = f"sqlite:///{base / 'congress.db'}"
    engine = make_engine(url)
    migrate(engine)
    settings = Settings(database_url=url, output_dir=base / "output", render_pdf="on")
    spec = load_session_file(SAMPLE / "session.yaml")
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
        give_all_inputs(db, session)
    with session_scope(engine) as db:
        steps = advance(db, settings)
    # as the session flow does: render, write the audit report, render that too
    with session_scope(engine) as db:
        pdf.render_missing(db, ops.get_session(db, KEY), settings)
    with session_scope(engine) as db:
        finalize(db, KEY, actor="test", settings=settings)
    with session_scope(engine) as db:
        session = ops.get_session(db, KEY)
        pdf.render_missing(db, session, settings)
        root = Path(session.output_dir)
        kinds = {d.path: d.kind for d in db.scalars(select(Document).where(Document.session_id == session.id))
                 if d.path.endswith(".docx")}
    engine.dispose()
    _RENDERED["sample"] = RenderedSession(root=root, kinds=kinds, steps=steps)
    return _RENDERED["sample"]


# --- reading what was made ---------------------------------------------------------------------


def docx_body(path: Path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as z:
        return ElementTree.fromstring(z.read("word/document.xml"))


def docx_text(path: Path) -> str:
    """Every character of the document body, in order (page-number footers are not in the body)."""
    return "".join(t.text or "" for t in docx_body(path).iter(f"{_W}t"))


def docx_table_headers(path: Path) -> list[str]:
    """The text of each table's repeated header row."""
    headers = []
    for row in docx_body(path).iter(f"{_W}tr"):
        props = row.find(f"{_W}trPr")
        if props is not None and props.find(f"{_W}tblHeader") is not None:
            headers.append("".join(t.text or "" for t in row.iter(f"{_W}t")))
    return headers


def docx_table_cells(path: Path) -> list[str]:
    """The text of every table cell."""
    return ["".join(t.text or "" for t in cell.iter(f"{_W}t")) for cell in docx_body(path).iter(f"{_W}tc")]


def without_moved_cells(expected: str, got: str, cells: list[str]) -> tuple[str, str]:
    """Both texts without the table cells found whole in each (as often in one as in the other).

    A table row taller than what is left of a page splits across it: the cells beside the long one are
    printed on the first page, before the long cell's rest, so the PDF's order is not the .docx's. Taking
    out the cells found whole (repeatedly: once the short cells are out, the long one is whole again)
    leaves any real difference — a cell that lost a mark is not found whole, and stays.
    """
    pending = sorted({squeeze(c) for c in cells if len(squeeze(c)) > 1}, key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for cell in list(pending):
            count = expected.count(cell)
            if count and got.count(cell) == count:
                expected, got = expected.replace(cell, ""), got.replace(cell, "")
                pending.remove(cell)
                changed = True
    return expected, got


_PAGE_NUMBER = re.compile(r"—\s*\d+\s*—\s*$")


def pdf_pages(path: Path) -> list[str]:
    """The text of each page in content order (pdftotext -raw), without its page number."""
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [_PAGE_NUMBER.sub("", page.rstrip()) for page in pages]


def squeeze(text: str) -> str:
    """Text with all whitespace removed (full-width spaces too): what two renderings must share."""
    return re.sub(r"\s+", "", text)


def pdf_text_as_docx(path: Path, headers: list[str], expected: str) -> str:
    """The PDF's text squeezed, with a table header LibreOffice repeated at the top of a page left out
    (the .docx holds it once; the repetition is the layout, not the text)."""
    got = ""
    for i, page in enumerate(pdf_pages(path)):
        page = squeeze(page)
        if i:
            for header in map(squeeze, headers):
                if header and page.startswith(header) and not expected[len(got):].startswith(header):
                    page = page[len(header):]
                    break
        got += page
    return got
