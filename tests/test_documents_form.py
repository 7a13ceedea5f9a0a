"""The 公文 form of every document of a whole sample session, as a county office reads it: titles broken by
meaning (and LibreOffice keeping those breaks), table cells not broken where they read badly, file names
in Chinese, no sample markers, ISO dates or clock times, counts in Arabic numerals, laws named in full at
their first mention, 公告 numbered, 发文字号 from the register with the year of the document's date."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from congress.documents.builder import (
    BODY_FONT,
    LAW_SHORT_NAMES,
    SHORT_CELL_CHARS,
    _cell_chars,
    _table_width,
    _wrap,
)
from congress.documents.titles import MAX_GOOD_COST, TITLE_CHARS, boundaries, break_title, line_width
from tests.rendered_session import (
    NO_POPPLER,
    NO_SOFFICE,
    SKIP_REASON,
    RenderedSession,
    docx_text,
    pdf_pages,
    rendered_session,
    squeeze,
)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def session_files(tmp_path_factory: pytest.TempPathFactory) -> RenderedSession:
    if NO_SOFFICE or NO_POPPLER:
        pytest.skip(SKIP_REASON)
    return rendered_session(tmp_path_factory.mktemp("rendered-session"))


def _documents(session: RenderedSession) -> list[Path]:
    return sorted(session.root.rglob("*.docx"))


def _body(path: Path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as z:
        return ElementTree.fromstring(z.read("word/document.xml"))


def _titles(path: Path) -> list[list[str]]:
    """Each title paragraph as its lines (the builder breaks a title with line breaks in one paragraph)."""
    titles = []
    for p in _body(path).iter(f"{_W}p"):
        style = p.find(f"{_W}pPr/{_W}pStyle")
        if style is None or style.get(f"{_W}val") != "GwTitle":
            continue
        lines = [""]
        for run in p.iter(f"{_W}r"):
            if run.find(f"{_W}br") is not None:
                lines.append("")
            lines[-1] += "".join(t.text or "" for t in run.iter(f"{_W}t"))
        if any(lines):
            titles.append(lines)
    return titles


# --- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "lines"), [
    ("关于青山镇人民代表大会主席团工作报告的决议", ["关于青山镇人民代表大会主席团", "工作报告的决议"]),
    ("关于召开青山镇第十八届人民代表大会第三次会议的请示", ["关于召开青山镇第十八届人民代表大会", "第三次会议的请示"]),
    ("关于《青山镇人民代表大会主席团工作报告》的审议意见", ["关于《青山镇人民代表大会主席团", "工作报告》的审议意见"]),
    ("关于青山镇2026年财政预算执行情况和2027年财政预算的决议",
     ["关于青山镇2026年财政预算执行情况", "和2027年财政预算的决议"]),
    ("青山镇第十八届人民代表大会第三次会议", ["青山镇第十八届人民代表大会第三次会议"]),
])
def test_titles_break_where_a_phrase_ends(title: str, lines: list[str]) -> None:
    assert break_title(title) == lines


def test_the_breaks_the_issue_found_wrong_are_not_boundaries() -> None:
    # "…工作报告的决 / 议", "…的审议 / 意见", "第三次 / 会议的请示"
    for title, bad in (("关于青山镇人民代表大会主席团工作报告的决议", "关于青山镇人民代表大会主席团工作报告的决"),
                       ("关于《青山镇人民政府工作报告》的审议意见", "关于《青山镇人民政府工作报告》的审议"),
                       ("关于召开青山镇第十八届人民代表大会第三次会议的请示", "关于召开青山镇第十八届人民代表大会第三次")):
        assert len(bad) not in boundaries(title)


def test_every_title_of_the_session_is_broken_by_meaning(session_files: RenderedSession) -> None:
    checked = 0
    for path in _documents(session_files):
        for lines in _titles(path):
            title = "".join(lines)
            assert all(line_width(line) <= TITLE_CHARS for line in lines), (path.name, lines)
            allowed = boundaries(title)
            at = 0
            for line in lines[:-1]:
                at += len(line)
                assert allowed.get(at, 99) <= MAX_GOOD_COST, (path.name, lines)
            checked += 1
    assert checked > 100


def test_libreoffice_keeps_the_title_lines(session_files: RenderedSession) -> None:
    """The title lines the builder chose are the lines of the PDF: each fits, none is broken again."""
    for path in _documents(session_files):
        shown = {squeeze(line) for page in pdf_pages(path.with_suffix(".pdf")) for line in page.splitlines()}
        for lines in _titles(path):
            for line in lines:
                assert squeeze(line) in shown, (path.name, line)


# --- tables ------------------------------------------------------------------------------------


def test_no_header_or_short_cell_breaks_where_it_reads_badly(session_files: RenderedSession) -> None:
    """No "所需票/数", "城乡建/设": a header or a cell of a few characters stays on one line or breaks after
    至, 日 or a mark (as the column widths chosen from the content allow)."""
    for path in _documents(session_files):
        for table in _body(path).iter(f"{_W}tbl"):
            widths = [int(c.get(f"{_W}w")) for c in table.iter(f"{_W}gridCol")]
            for r, row in enumerate(table.iter(f"{_W}tr")):
                for width, cell in zip(widths, row.iter(f"{_W}tc"), strict=False):
                    text = "".join(t.text or "" for t in cell.iter(f"{_W}t"))
                    if _table_width(text) <= SHORT_CELL_CHARS:
                        _, bad = _wrap(text, _cell_chars(width))
                        assert not bad, (path.name, r, text, width)


def test_tables_span_the_text_block(session_files: RenderedSession) -> None:
    for path in _documents(session_files):
        for table in _body(path).iter(f"{_W}tbl"):
            assert sum(int(c.get(f"{_W}w")) for c in table.iter(f"{_W}gridCol")) == 8844, path.name


# --- words and numbers -------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(?<![\d-])(19|20)\d{2}-\d{1,2}(-\d{1,2})?(?!\d)")
_CLOCK = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")
_COUNT_IN_CHINESE = re.compile(r"(?<![第每])[一二两三四五六七八九十]+(名|人|票|张|件|项|天|日前|日）)")


def test_no_sample_markers_iso_dates_or_clock_times(session_files: RenderedSession) -> None:
    for path in _documents(session_files):
        text = docx_text(path)
        for pattern in ("示例", "demo", "（样本）"):
            assert pattern not in text, (path.name, pattern)
        assert not _ISO_DATE.search(text), (path.name, _ISO_DATE.search(text))
        assert not _CLOCK.search(text), (path.name, _CLOCK.search(text))


def test_counts_are_arabic_numerals(session_files: RenderedSession) -> None:
    for path in _documents(session_files):
        found = _COUNT_IN_CHINESE.search(docx_text(path))
        assert not found, (path.name, found)


def test_file_names_are_chinese(session_files: RenderedSession) -> None:
    for path in _documents(session_files):
        stem = re.sub(r"QS\d+", "", path.stem)  # roster codes are the deputies' own
        assert not re.search(r"[A-Za-z]{2,}", stem), path.name
    names = {p.name for p in _documents(session_files)}
    assert {"审议意见-预算.docx", "审议意见-政府工作报告.docx", "审议意见-主席团工作报告.docx",
            "选票-补选副主席-第1轮.docx"} <= names


def test_laws_are_named_in_full_at_their_first_mention(session_files: RenderedSession) -> None:
    full_names = set(LAW_SHORT_NAMES.values())
    for path in _documents(session_files):
        text = docx_text(path)
        covered = set()  # positions inside a full name
        for full in full_names:
            for m in re.finditer(re.escape(full), text):
                covered.update(range(m.start(), m.end()))
        for short, full in LAW_SHORT_NAMES.items():
            loose = [m.start() for m in re.finditer(short, text) if m.start() not in covered]
            if loose:
                first_full = text.find(full)
                assert 0 <= first_full < loose[0], (path.name, short, text[max(loose[0] - 20, 0):loose[0] + 10])


# --- numbers and form -------------------------------------------------------------------------


def test_announcements_are_numbered_and_letters_take_numbers_of_their_own(session_files: RenderedSession) -> None:
    root = session_files.root
    assert "（第1号）" in docx_text(root / "08-votes-elections" / "当选公告-补选副主席.docx")
    assert "（第2号）" in docx_text(root / "09-resolutions" / "公告.docx")
    letters = sorted((root / "10-followup").glob("交办函-*.docx"))
    numbers = [re.search(r"青人交〔(\d{4})〕(\d+)号", docx_text(p)).groups() for p in letters]
    # one per office: the 4 offices of the session file's suggestions and the government, which handles the
    # motion the presidium referred as a suggestion
    assert len(set(numbers)) == len(letters) == 5
    # numbered in the year of their own date (the handover, in 2027), not the session's
    assert {year for year, _ in numbers} == {"2027"}
    request = docx_text(root / "02-party-approval" / "请示.docx")
    assert "青人〔2026〕1号" in request and "签发人：王建华" in request
    assert "（联系人：林晓红，联系电话：0570-8612345）" in request


def test_the_font_faces_stay_the_official_ones(session_files: RenderedSession) -> None:
    # the register, the 版头 and the tables change no face: the body stays 仿宋_GB2312
    with zipfile.ZipFile(session_files.root / "02-party-approval" / "请示.docx") as z:
        assert f'w:eastAsia="{BODY_FONT}"' in z.read("word/styles.xml").decode()
