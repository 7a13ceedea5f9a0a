"""PDF beside every .docx, through the real LibreOffice: batches, staleness, determinism, and what a
deputy sees (pages, Chinese text and names, embedded CJK fonts, a PNG of page 1).

Tests that need LibreOffice skip, with the reason, only when soffice is not installed (CI installs it
from scripts/system-packages.txt)."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.documents import pdf
from congress.documents.builder import build_document, template_environment
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import run_step
from congress.models import AuditEvent, Document
from congress.settings import Settings
from tests.test_lifecycle import KEY

NO_SOFFICE = pdf.soffice_binary() is None
needs_soffice = pytest.mark.skipif(NO_SOFFICE, reason="LibreOffice (soffice) is not installed; "
                                   "bash scripts/install-system-packages.sh installs it")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def _pages(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", str(path)), re.M).group(1))


def _fonts(path: Path) -> list[tuple[str, bool]]:
    rows = _poppler("pdffonts", str(path)).splitlines()[2:]
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows]  # name, embedded


# --- without LibreOffice: the pure parts ---------------------------------------------------------


def test_normalize_pdf_pins_date_id_and_checksum_keeping_offsets():
    raw = (b"%PDF-1.6\n1 0 obj <</CreationDate(D:20261129114726Z')>> endobj\n"
           b"trailer\n<</Size 2/ID [ <139A118E7DE46D60F66F0A105A0613BE>\n<139A118E7DE46D60F66F0A105A0613BE> ]\n"
           b"/DocChecksum /47F85B77D166409C12B86F511A43D3A9\n>>\nstartxref\n9\n%%EOF\n")
    created = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    out = pdf.normalize_pdf(raw, created=created, seed="abc")
    assert len(out) == len(raw)
    assert b"/CreationDate(D:20261208010000Z')" in out
    digest = hashlib.sha256(b"abc").hexdigest().upper().encode()
    assert out.count(digest[:32]) == 2 and b"/DocChecksum /" + digest[32:] in out
    assert pdf.normalize_pdf(raw.replace(b"114726", b"235959"), created=created, seed="abc") == out


def test_libreoffice_copy_has_no_character_grid_but_the_same_pitch(tmp_path):
    env = template_environment()
    from tests.doc_context import context_for

    path = tmp_path / "notice.docx"
    build_document(env, "notice.md.j2", context_for("notice.md.j2"), path, title="t", author="a",
                   created=datetime(2026, 12, 8, tzinfo=UTC))
    original = zipfile.ZipFile(path)
    copy = zipfile.ZipFile(io.BytesIO(pdf.for_libreoffice(path.read_bytes())))
    assert b'w:type="linesAndChars"' in original.read("word/document.xml")
    assert b"w:docGrid" not in copy.read("word/document.xml")
    styles = copy.read("word/styles.xml").decode()
    defaults = styles.split("<w:rPrDefault>")[1].split("</w:rPrDefault>")[0]
    assert f'<w:spacing w:val="{pdf.LIBREOFFICE_CHAR_SPACING}"/><w:sz w:val="32"/>' in defaults
    # hanging punctuation off, as LibreOffice reads w:overflowPunct (inverted): a mark is never dropped
    paragraph_defaults = styles.split("<w:pPrDefault>")[1].split("</w:pPrDefault>")[0]
    assert '<w:overflowPunct w:val="1"/>' in paragraph_defaults
    assert b"w:overflowPunct" not in original.read("word/styles.xml")  # the .docx itself is Word's default
    # 28 characters of 16 pt less the spacing fit the 156 mm line, 29 don't
    pitch = 16 + pdf.LIBREOFFICE_CHAR_SPACING / 20
    assert 28 * pitch <= 156 / 25.4 * 72 < 29 * pitch
    assert copy.read("word/document.xml").count(b'w:line="579"') == original.read("word/document.xml").count(
        b'w:line="579"')


def test_render_modes_without_libreoffice(db: Session, load_sample, settings: Settings, monkeypatch, tmp_path):
    session = load_sample()
    run_step(db, KEY, "plan", actor="test", settings=settings)
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without soffice
    auto = pdf.render_missing(db, session, settings.model_copy(update={"render_pdf": "auto"}))
    assert auto.rendered == [] and "未找到LibreOffice" in auto.skipped
    off = pdf.render_missing(db, session, settings.model_copy(update={"render_pdf": "off"}))
    assert off.rendered == [] and "CONGRESS_RENDER_PDF=off" in off.skipped
    with pytest.raises(pdf.RenderError, match="CONGRESS_RENDER_PDF=on"):
        pdf.render_missing(db, session, settings.model_copy(update={"render_pdf": "on"}))
    assert not list(Path(session.output_dir).rglob("*.pdf"))


def test_render_setting_rejects_unknown_values():
    with pytest.raises(ValueError):
        Settings(render_pdf="sometimes")


# --- with LibreOffice --------------------------------------------------------------------------


def _first_steps(db: Session, load_sample, settings: Settings):  # type: ignore[no-untyped-def]
    session = load_sample()
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",
                              comments="", decided_on=date(2026, 12, 2), actor="approver")
    for step in ("plan", "party_approval", "presidium_decision"):
        assert run_step(db, KEY, step, actor="test", settings=settings).status == "done"
    return session


@needs_soffice
def test_pdfs_are_rendered_once_registered_and_redone_only_when_the_docx_changes(
    db: Session, load_sample, settings: Settings
) -> None:
    session = _first_steps(db, load_sample, settings)
    root = Path(session.output_dir)
    first = pdf.render_missing(db, session, settings, actor="staff")
    docx = sorted(d.path for d in db.scalars(select(Document).where(Document.session_id == session.id))
                  if d.path.endswith(".docx"))
    assert docx == ["01-plan/会议方案.docx", "02-party-approval/批复记录-第1次.docx", "02-party-approval/请示.docx",
                    "03-presidium-decision/主席团会议决定.docx", "03-presidium-decision/主席团会议纪要.docx",
                    "03-presidium-decision/列席人员名单.docx"]
    assert sorted(first.rendered) == [p.replace(".docx", ".pdf") for p in docx]
    assert first.starts == 1  # one LibreOffice start for the batch
    rows = {d.path: d for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    for path in first.rendered:
        data = (root / path).read_bytes()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == rows[path].sha256
        assert rows[path].kind.endswith("_pdf") and rows[path].step == rows[path.replace(".pdf", ".docx")].step
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "pdf_rendered",
                                               AuditEvent.session_id == session.id))
    assert event.actor == "staff" and event.detail["sources"]["01-plan/会议方案.pdf"] == rows[docx[0]].sha256

    # A re-run renders nothing and starts nothing.
    again = pdf.render_missing(db, session, settings)
    assert (again.rendered, again.starts, again.up_to_date) == ([], 0, len(docx))

    # A deleted PDF comes back with the same bytes (creation date and file ID are pinned).
    plan_pdf = root / "01-plan/会议方案.pdf"
    before = plan_pdf.read_bytes()
    plan_pdf.unlink()
    assert pdf.render_missing(db, session, settings).rendered == ["01-plan/会议方案.pdf"]
    assert plan_pdf.read_bytes() == before

    # A .docx rewritten with other content gets a new PDF; the others stay as they are.
    plan = rows["01-plan/会议方案.docx"]
    override = root.parent / "override"
    override.mkdir()
    (override / "plan.md.j2").write_text("# {{ session.title }}会议方案（修改稿）\n正文。\n", encoding="utf-8")
    plan.sha256 = build_document(template_environment(override_dir=override), "plan.md.j2",
                                 {"session": {"title": "青山镇第十八届人民代表大会第三次会议"}}, root / plan.path,
                                 title="t", author="a", created=datetime(2026, 12, 1, tzinfo=UTC))
    db.flush()
    changed = pdf.render_missing(db, session, settings)
    assert changed.rendered == ["01-plan/会议方案.pdf"] and changed.up_to_date == len(docx) - 1
    assert "修改稿" in _poppler("pdftotext", str(plan_pdf), "-")


@needs_soffice
@needs_poppler
def test_a_whole_session_renders_to_readable_pdfs(tmp_path_factory, tmp_path):  # type: ignore[no-untyped-def]
    """The sample session run to the end (the same rendering the text and page-image tests read)."""
    from tests.rendered_session import rendered_session

    session = rendered_session(tmp_path_factory.mktemp("rendered-session"))
    root = session.root
    docx = sorted(root.rglob("*.docx"))
    assert len(docx) > 80
    assert all(p.with_suffix(".pdf").exists() for p in docx)

    deputies = sorted({p.stem.split("-")[-1] for p in (root / "04-notices").glob("会议通知-*.docx")})
    assert len(deputies) == 60
    title = "青山镇第十八届人民代表大会第三次会议"
    # (file, pages, words the deputy must be able to read)
    expect = [
        ("04-notices/会议通知-QS001-王建华.pdf", range(2, 4), ["关于召开" + title + "的通知", "王建华代表", "第一代表小组"]),
        ("08-votes-elections/选票-补选副主席-第1轮.pdf", range(1, 2), ["选票", "另选他人", "赞成", "反对", "弃权"]),
        ("09-resolutions/关于青山镇人民政府工作报告的决议.pdf", range(1, 3), ["关于青山镇人民政府工作报告的决议", "通过"]),
        ("08-votes-elections/大会主持词.pdf", range(3, 12), ["大会主持词", "下面，进行大会第一项", "散会"]),
        ("07-reports/会议议程.pdf", range(1, 3), [title, "议程"]),
        ("05-checkin-quorum/代表报到出席登记.pdf", range(2, 10), deputies),  # the table-heavy one
        ("09-resolutions/会议公报.pdf", range(1, 3), [title + "公报"]),
        ("03-presidium-decision/主席团会议纪要.pdf", range(1, 4), ["会议纪要", "出席"]),
    ]
    for rel, pages, words in expect:
        path = root / rel
        assert path.exists(), rel
        assert _pages(path) in pages, (rel, _pages(path))
        text = re.sub(r"\s+", "", _poppler("pdftotext", str(path), "-"))
        for word in words:
            assert re.sub(r"\s+", "", word) in text, (rel, word)
        assert "\ufffd" not in text and "□" not in text  # no replacement glyphs
        fonts = _fonts(path)
        assert fonts and all(embedded for _, embedded in fonts), (rel, fonts)
        # the CJK faces the aliases in config/fonts/fonts.conf chose, not a Latin fallback
        assert any("CJK" in name or "UKai" in name for name, _ in fonts), (rel, fonts)
        assert not any("DejaVu" in name for name, _ in fonts), (rel, fonts)
        png = tmp_path / Path(rel).stem
        _poppler("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(path), str(png))
        data = png.with_suffix(".png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000
    # the three faces: 宋 (title, body), 黑 (headings, table headers), 楷 (level-2 headings)
    all_fonts = {name for p in root.rglob("*.pdf") for name, _ in _fonts(p)}
    assert any("NotoSerifCJK" in f for f in all_fonts) and any("NotoSansCJK" in f for f in all_fonts)


@pytest.mark.flow
@needs_soffice
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_render_task_renders_what_is_missing_then_nothing(backend, tmp_path, monkeypatch, prefect_harness,
                                                          sample_spec) -> None:  # type: ignore[no-untyped-def]
    from congress.db import make_engine, session_scope
    from congress.settings import get_settings
    from tasks.render import render_pdf
    from tests.conftest import new_database

    url, cleanup = new_database(backend, tmp_path)
    monkeypatch.setenv("CONGRESS_DATABASE_URL", url)
    monkeypatch.setenv("CONGRESS_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("CONGRESS_RENDER_PDF", "on")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        with session_scope(make_engine(url)) as db:
            ops.load_session(db, spec=sample_spec, actor="test", output_root=settings.output_dir)
            run_step(db, KEY, "plan", actor="test", settings=settings)
        first = render_pdf.fn(KEY, "tester")
        assert (first["rendered"], first["starts"], first["skipped"]) == (1, 1, None)
        assert (tmp_path / "output" / KEY / "01-plan" / "会议方案.pdf").exists()
        again = render_pdf.fn(KEY, "tester")
        assert {k: again[k] for k in ("rendered", "up_to_date", "starts", "skipped")} == {
            "rendered": 0, "up_to_date": 1, "starts": 0, "skipped": None}
    finally:
        get_settings.cache_clear()
        cleanup()
