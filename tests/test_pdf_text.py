"""Every PDF says what its .docx says: for each document of a whole sample session, the text of the
.docx and the text pdftotext reads from the PDF are the same, punctuation included (whitespace aside).

LibreOffice once left out a closing mark that hung past the line end ("（停顿）没有。通过。" printed as
"没有 / 通过。", read aloud "没有通过"); this is the check that sees such a thing."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from congress.documents import pdf
from congress.documents.builder import CHARS_PER_LINE, LINES_PER_PAGE
from tests.rendered_session import (
    NO_POPPLER,
    NO_SOFFICE,
    SKIP_REASON,
    RenderedSession,
    docx_table_cells,
    docx_table_headers,
    docx_text,
    pdf_pages,
    pdf_text_as_docx,
    rendered_session,
    squeeze,
    without_moved_cells,
)

pytestmark = pytest.mark.skipif(NO_SOFFICE or NO_POPPLER, reason=SKIP_REASON)


@pytest.fixture(scope="module")
def session_files(tmp_path_factory: pytest.TempPathFactory) -> RenderedSession:
    return rendered_session(tmp_path_factory.mktemp("rendered-session"))


def _differences(expected: str, got: str) -> list[str]:
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    return [f"{op}: docx …{expected[max(i1 - 8, 0):i2 + 8]}… pdf …{got[max(j1 - 8, 0):j2 + 8]}…"
            for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def test_the_whole_session_ran_and_every_docx_has_its_pdf(session_files: RenderedSession) -> None:
    assert all(status == "done" for _, status in session_files.steps), session_files.steps
    docx = sorted(session_files.root.rglob("*.docx"))
    assert len(docx) > 80
    assert not [p for p in docx if not p.with_suffix(".pdf").exists()]


def test_every_pdf_has_the_text_of_its_docx(session_files: RenderedSession) -> None:
    failures = {}
    for path in sorted(session_files.root.rglob("*.docx")):
        expected = squeeze(docx_text(path))
        got = pdf_text_as_docx(path.with_suffix(".pdf"), docx_table_headers(path), expected)
        if got != expected:  # a table row split across pages puts cells out of order; anything else stays
            expected, got = without_moved_cells(expected, got, docx_table_cells(path))
        if got != expected:
            failures[str(path.relative_to(session_files.root))] = _differences(expected, got)[:5]
    assert not failures, failures


def test_the_comparison_sees_a_dropped_mark(session_files: RenderedSession, tmp_path: Path) -> None:
    """The check itself: a PDF that lost one 。 does not pass."""
    script = session_files.root / "08-votes-elections" / "大会主持词.docx"
    expected = squeeze(docx_text(script))
    assert "没有。通过。" in expected
    got = pdf_text_as_docx(script.with_suffix(".pdf"), docx_table_headers(script), expected)
    assert got == expected
    assert got.replace("没有。通过。", "没有通过。", 1) != expected
    # nor does a table cell that lost one, even where cells moved
    cells = ["12月23日", "三楼大会议室", "表决《决议（草案）》；闭幕。"]
    docx = "日程12月23日三楼大会议室表决《决议（草案）》；闭幕。"
    moved = "日程12月23日表决《决议（草案）》三楼大会议室；闭幕。"
    assert without_moved_cells(docx, moved, cells)[0] == without_moved_cells(docx, moved, cells)[1] == "日程"
    lost = moved.replace("闭幕。", "闭幕")
    assert without_moved_cells(docx, lost, cells)[0] != without_moved_cells(docx, lost, cells)[1]


# --- the page as LibreOffice lays it out -------------------------------------------------------

# A body line of the PDF, as pdftotext -raw gives it: Chinese text, no table, not a title.
_FULL_WIDTH = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’—…]")


def _widths(line: str) -> float:
    return sum(1.0 if _FULL_WIDTH.match(ch) else 0.5 for ch in line.replace(" ", ""))


def test_lines_hold_28_characters_and_pages_22_lines(session_files: RenderedSession) -> None:
    """Measured on the 会议方案 (body text only): the longest lines hold 28 characters, as GB/T 9704 and
    the .docx grid ask; a full page holds 22 lines with its title; LibreOffice moves a character down
    with a closing mark rather than hang it, so some lines hold 27."""
    plan = session_files.root / "01-plan" / "会议方案.pdf"
    pages = pdf_pages(plan)
    lines = [line for page in pages for line in page.splitlines() if line.strip()]
    widths = sorted(_widths(line) for line in lines)
    assert widths[-1] <= CHARS_PER_LINE
    full = [w for w in widths if w >= CHARS_PER_LINE - 1]
    assert len(full) >= 10 and widths.count(CHARS_PER_LINE) >= len(full) // 2, widths
    # page 2 is a full page of body text: 22 lines
    assert len([line for line in pages[1].splitlines() if line.strip()]) == LINES_PER_PAGE
    assert pdf.LIBREOFFICE_CHAR_SPACING == -5
