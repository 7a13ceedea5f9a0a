"""GB/T 9704-2012 layout, read back from the .docx: page, grid, fonts and sizes per part, headings,
signature block, page numbers. `layout_problems` is also run on every document the lifecycle writes
(test_rendering.py and below)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from docx import Document as Document_  # the .docx reader, beside the Document model
from docx.oxml.ns import qn

from congress.documents.builder import (
    GRID_CHAR_SPACE,
    LINE_TWIPS,
    build_document,
    markup_to_docx,
    template_environment,
)
from tests.doc_context import all_template_names, context_for

CREATED = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)

# style id → (East Asian face, size in half-points), as GB/T 9704 7.3 and 7.5 ask.
STYLE_FONTS = {
    "GwTitle": ("方正小标宋简体", 44),  # 2号小标宋
    "GwBody": ("仿宋_GB2312", 32),  # 3号仿宋
    "GwFlush": ("仿宋_GB2312", 32),
    "GwCenter": ("仿宋_GB2312", 32),
    "GwRight": ("仿宋_GB2312", 32),
    "GwHeading1": ("黑体", 32),  # 一、
    "GwHeading2": ("楷体_GB2312", 32),  # （一）
    "GwHeading3": ("仿宋_GB2312", 32),  # 1.
    "GwHeading4": ("仿宋_GB2312", 32),  # （1）
    "GwTableHeader": ("黑体", 28),
    "GwTableText": ("仿宋_GB2312", 28),
    "GwPageNumber": ("宋体", 28),  # 4号宋体
}
ON_GRID = ("GwTitle", "GwBody", "GwFlush", "GwCenter", "GwRight", "GwHeading1", "GwHeading2", "GwHeading3",
           "GwHeading4")
CN_DIGITS = "一二三四五六七八九十"
HEADING_TEXT = {
    "GwHeading1": re.compile(rf"^[{CN_DIGITS}]+、"),
    "GwHeading2": re.compile(rf"^（[{CN_DIGITS}]+）"),
    "GwHeading3": re.compile(r"^\d+\."),
    "GwHeading4": re.compile(r"^（\d+）"),
}
SIGN_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
TWIPS_PER_MM = 1440 / 25.4


def _twips(sect_pr, tag: str, attr: str) -> int:
    return int(sect_pr.find(qn(tag)).get(qn(attr)))


def _near(value: int, mm: float) -> bool:
    return abs(value - mm * TWIPS_PER_MM) <= 2  # the .docx stores whole twips


def layout_problems(source: Path | bytes) -> list[str]:
    """Everything about a produced .docx that departs from the GB/T 9704 layout; empty when right."""
    doc = Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    problems: list[str] = []
    sect = doc.sections[0]._sectPr
    for tag, attr, mm in (("w:pgSz", "w:w", 210), ("w:pgSz", "w:h", 297), ("w:pgMar", "w:top", 37),
                          ("w:pgMar", "w:bottom", 35), ("w:pgMar", "w:left", 28), ("w:pgMar", "w:right", 26)):
        if not _near(_twips(sect, tag, attr), mm):
            problems.append(f"{tag} {attr} is not {mm} mm")
    grid = sect.find(qn("w:docGrid"))
    if grid is None or grid.get(qn("w:type")) != "linesAndChars":
        problems.append("no linesAndChars document grid")
    else:
        pitch, space = int(grid.get(qn("w:linePitch"))), int(grid.get(qn("w:charSpace")))
        text_height = (297 - 37 - 35) * TWIPS_PER_MM
        text_width_pt = (210 - 28 - 26) * TWIPS_PER_MM / 20
        if int(text_height // pitch) != 22:
            problems.append(f"line pitch {pitch} does not give 22 lines")
        if int(text_width_pt // (16 + space / 4096)) != 28:
            problems.append(f"charSpace {space} does not give 28 characters a line")
    # Page numbers: "— 1 —", odd pages right and even pages left, both one character in.
    if doc.settings.element.find(qn("w:evenAndOddHeaders")) is None:
        problems.append("odd and even pages share one footer")
    for footer, side in ((doc.sections[0].footer, "right"), (doc.sections[0].even_page_footer, "left")):
        p = footer.paragraphs[0]
        xml = p._p.xml
        shown = "".join(t.text or "" for t in p._p.iter(qn("w:t")))  # field result included
        if shown != "— 1 —" or 'w:instr=" PAGE "' not in xml:
            problems.append(f"{side} footer is {shown!r}, not a PAGE field between dashes")
        if p.style.style_id != "GwPageNumber" or f'<w:jc w:val="{side}"/>' not in xml or f"w:{side}=" not in xml:
            problems.append(f"page number not on the {side} one character in")
    # Fonts, sizes and line pitch per part, set on the styles (East Asian faces via w:eastAsia).
    styles = {s.get(qn("w:styleId")): s for s in doc.styles.element.findall(qn("w:style"))}
    for style_id, (face, size) in STYLE_FONTS.items():
        style = styles.get(style_id)
        if style is None:
            problems.append(f"style {style_id} missing")
            continue
        fonts = style.find(qn("w:rPr")).find(qn("w:rFonts"))
        if fonts.get(qn("w:eastAsia")) != face or fonts.get(qn("w:ascii")) != face:
            problems.append(f"{style_id} font is {fonts.get(qn('w:eastAsia'))}, not {face}")
        if style.find(qn("w:rPr")).find(qn("w:sz")).get(qn("w:val")) != str(size):
            problems.append(f"{style_id} size is not {size / 2} pt")
        spacing = style.find(qn("w:pPr")).find(qn("w:spacing"))
        if style_id in ON_GRID and (spacing.get(qn("w:line")) != str(LINE_TWIPS)
                                    or spacing.get(qn("w:lineRule")) != "exact"):
            problems.append(f"{style_id} is not on the fixed {LINE_TWIPS}-twip pitch")
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    if defaults.get(qn("w:eastAsia")) != "仿宋_GB2312":
        problems.append("document default East Asian font is not 仿宋_GB2312")
    # Paragraphs: every one in a 公文 style, no direct font overrides, headings numbered per level.
    paragraphs = list(doc.paragraphs) + [p for t in doc.tables for row in t.rows for c in row.cells
                                         for p in c.paragraphs]
    if not any(p.style.style_id == "GwTitle" and p.text for p in doc.paragraphs):
        problems.append("no title")
    for p in paragraphs:
        sid = p.style.style_id
        if not sid.startswith("Gw"):
            problems.append(f"paragraph {p.text[:12]!r} has style {sid}")
        if p._p.find(".//" + qn("w:rFonts")) is not None or p._p.find(".//" + qn("w:sz")) is not None:
            problems.append(f"paragraph {p.text[:12]!r} overrides its style's font")
        if sid in HEADING_TEXT and not HEADING_TEXT[sid].match(p.text):
            problems.append(f"{sid} {p.text[:12]!r} is not numbered for its level")
        if sid == "GwRight" and SIGN_DATE.match(p.text):
            ind = p._p.pPr.find(qn("w:ind"))
            if ind is None or ind.get(qn("w:rightChars")) != "400":
                problems.append(f"date {p.text} is not 右空四字")
    props = doc.core_properties
    if not (props.title and props.author and props.created):
        problems.append("core properties (title, author, created) not set")
    return problems


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    env = template_environment()
    out = tmp_path_factory.mktemp("layout")
    paths = {}
    for name in all_template_names():
        paths[name] = out / name.replace(".md.j2", ".docx")
        build_document(env, name, context_for(name), paths[name], title=name, author="青山镇人大主席团",
                       created=CREATED)
    return paths


@pytest.mark.parametrize("name", all_template_names())
def test_every_template_comes_out_in_gbt9704_layout(built, name):
    assert layout_problems(built[name]) == []


def test_layout_check_catches_a_wrong_document():
    # The check itself can fail: a document from python-docx's default template is wrong everywhere.
    buf = io.BytesIO()
    plain = Document()
    plain.add_paragraph("正文")
    plain.save(buf)
    problems = layout_problems(buf.getvalue())
    assert any("w:top" in p for p in problems) and any("grid" in p for p in problems)
    assert any("footer" in p for p in problems) and "no title" in problems


def test_grid_gives_22_lines_of_28_characters():
    assert LINE_TWIPS == 579 and GRID_CHAR_SPACE == -848
    doc = Document(io.BytesIO(markup_to_docx("# 标题\n正文", title="t", author="a", created=CREATED)))
    grid = doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch")), grid.get(qn("w:charSpace"))) == (
        "linesAndChars", "579", "-848")


def test_four_heading_levels():
    text = "# 标题\n## 一、总体要求\n### （一）时间安排\n#### 1.报到\n##### （1）报到地点\n正文"
    doc = Document(io.BytesIO(markup_to_docx(text, title="t", author="a", created=CREATED)))
    assert [(p.style.style_id, p.text) for p in doc.paragraphs] == [
        ("GwTitle", "标题"), ("GwHeading1", "一、总体要求"), ("GwHeading2", "（一）时间安排"),
        ("GwHeading3", "1.报到"), ("GwHeading4", "（1）报到地点"), ("GwBody", "正文")]
    outline = {p.style.style_id: p.style.element.find(qn("w:pPr")).find(qn("w:outlineLvl")).get(qn("w:val"))
               for p in doc.paragraphs[1:5]}
    assert outline == {"GwHeading1": "0", "GwHeading2": "1", "GwHeading3": "2", "GwHeading4": "3"}
    assert layout_problems(markup_to_docx(text, title="t", author="a", created=CREATED)) == []


def test_signature_block_centres_the_issuer_over_a_date_four_characters_from_the_right():
    text = "# 标题\n正文\n>> 青山镇人民代表大会主席团\n>> 2026年12月8日\n附件\n>> 应选1名"
    doc = Document(io.BytesIO(markup_to_docx(text, title="t", author="a", created=CREATED)))
    issuer, date_line, _, lone = doc.paragraphs[2:6]

    def right_chars(p):
        ind = p._p.pPr.find(qn("w:ind"))
        return None if ind is None else int(ind.get(qn("w:rightChars"))) / 100

    # date "2026年12月8日" is 6.5 characters wide, the issuer 12: centred, the issuer ends 1.25 in.
    assert right_chars(date_line) == 4.0
    assert right_chars(issuer) == 4 + (6.5 - 12) / 2
    assert right_chars(lone) is None  # not a signature block: the style's 4 characters
    # one blank line between the text and the signature block
    assert issuer._p.pPr.find(qn("w:spacing")).get(qn("w:before")) == str(LINE_TWIPS)


def test_document_number_uses_hexagonal_brackets_and_stands_apart_from_the_title(built):
    doc = Document(str(built["notice.md.j2"]))
    number = doc.paragraphs[0]
    assert number.style.style_id == "GwCenter" and re.fullmatch(r"青人〔2026〕\d+号", number.text)
    assert number._p.pPr.find(qn("w:spacing")).get(qn("w:after")) == str(LINE_TWIPS)
    assert doc.paragraphs[1].style.style_id == "GwTitle"


def test_ordinals_are_chinese_and_dates_arabic(built):
    text = "\n".join(p.text for p in Document(str(built["notice.md.j2"])).paragraphs)
    assert "第十八届人民代表大会第三次会议" in text
    assert "2026年12月8日" in text and "二〇二六" not in text


# --- Documents the lifecycle writes -------------------------------------------------------------


def test_every_document_of_a_whole_session_is_in_gbt9704_layout(db, load_sample, settings):
    from sqlalchemy import select

    from congress.models import Document
    from tests.test_lifecycle import advance, give_all_inputs

    session = load_sample()
    give_all_inputs(db, session)
    assert all(status == "done" for _, status in advance(db, settings))
    docs = db.scalars(select(Document).where(Document.session_id == session.id)).all()
    docx = [d for d in docs if d.path.endswith(".docx")]
    kinds = {d.kind for d in docx}
    assert {"party_request", "party_reply", "presidium_decision", "presidium_minutes", "notice", "agenda",
            "schedule", "preparatory_agenda", "preparatory_script", "plenary_script", "election_measures",
            "ballot", "count_report", "election_announcement", "deliberation", "resolution", "announcement",
            "communique", "handover_letter"} <= kinds
    root = Path(session.output_dir)
    for d in docx:
        assert layout_problems(root / d.path) == [], d.path
    # core properties come from the session: its presidium as author, the document's date as created
    notice = Document_(root / next(d.path for d in docx if d.kind == "notice"))
    assert notice.core_properties.author == "青山镇人民代表大会主席团"
    assert notice.core_properties.title == "青山镇第十八届人民代表大会第三次会议通知"
    assert notice.core_properties.created == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 9:00 in China


def test_a_townships_template_folder_overrides_a_template_through_the_step(db, settings, load_sample, tmp_path):
    """An administrator gives the township a folder under the overrides root; the plan step uses its template."""
    from congress.documents.overrides import set_township_templates
    from congress.lifecycle.steps import run_step

    settings.template_overrides_dir = tmp_path / "overrides"
    (settings.template_overrides_dir / "模板").mkdir(parents=True)
    (settings.template_overrides_dir / "模板" / "plan.md.j2").write_text(
        "# {{ township.name }}人代会筹备方案（本镇格式）\n"
        "#### 1.会议时间\n{{ session.opening_date|cn_date }}召开。\n"
        ">> {{ signer }}\n>> {{ sign_date|cn_date }}\n",
        encoding="utf-8",
    )
    session = load_sample()
    set_township_templates(db, township=session.term.township, folder="模板", settings=settings, actor="admin")
    assert run_step(db, session.key, "plan", actor="test", settings=settings).status == "done"
    doc = Document_(Path(session.output_dir) / "01-plan" / "会议方案.docx")
    assert [(p.style.style_id, p.text) for p in doc.paragraphs][:3] == [
        ("GwTitle", "青山镇人代会筹备方案（本镇格式）"), ("GwHeading3", "1.会议时间"), ("GwBody", "2026年12月22日召开。")]
    assert layout_problems(Path(session.output_dir) / "01-plan" / "会议方案.docx") == []
