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
    render_text,
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
    "GwMark": ("方正小标宋简体", 72),  # 发文机关标志: 小标宋, at most 36 pt (a paragraph may shrink it to fit)
    "GwDocNumber": ("仿宋_GB2312", 32),  # the 版头's 发文字号 line
}
ON_GRID = ("GwTitle", "GwBody", "GwFlush", "GwCenter", "GwRight", "GwHeading1", "GwHeading2", "GwHeading3",
           "GwHeading4", "GwDocNumber")
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


def _direct_formatting(p) -> list[str]:  # type: ignore[no-untyped-def]
    """Fonts set on a paragraph instead of its style; the 版头 has its two documented exceptions: the
    发文机关标志 shrinks to fit its line, and a 签发人's name is in 楷体 (GB/T 9704 7.2.5)."""
    sid = p.style.style_id
    problems = []
    for run in p._p.iter(qn("w:r")):
        props = run.find(qn("w:rPr"))
        if props is None:
            continue
        fonts, size = props.find(qn("w:rFonts")), props.find(qn("w:sz"))
        if size is not None and not (sid == "GwMark" and int(size.get(qn("w:val"))) <= 72):
            problems.append(f"paragraph {p.text[:12]!r} overrides its style's font size")
        if fonts is not None and not (sid == "GwDocNumber" and fonts.get(qn("w:eastAsia")) == "楷体_GB2312"):
            problems.append(f"paragraph {p.text[:12]!r} overrides its style's font")
    if sid in ("GwMark", "GwDocNumber"):
        red = p._p.find(".//" + qn("w:color"))
        style_red = p.style.element.find(".//" + qn("w:color"))
        if sid == "GwMark" and (style_red is None or style_red.get(qn("w:val")) != "FF0000") and red is None:
            problems.append("发文机关标志 is not red")
    return problems


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
        problems += _direct_formatting(p)
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


def _doc(text: str):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(markup_to_docx(text, title="t", author="a", created=CREATED)))


def test_document_number_uses_hexagonal_brackets_and_stands_apart_from_the_title(built):
    doc = Document(_built_without_letterhead("notice.md.j2"))
    number = doc.paragraphs[0]
    assert number.style.style_id == "GwCenter" and re.fullmatch(r"青人〔2026〕\d+号", number.text)
    assert number._p.pPr.find(qn("w:spacing")).get(qn("w:after")) == str(LINE_TWIPS)
    assert doc.paragraphs[1].style.style_id == "GwTitle"


def _built_without_letterhead(name: str) -> io.BytesIO:
    env = template_environment()
    return io.BytesIO(markup_to_docx(render_text(env, name, {**context_for(name), "letterhead": False}),
                                     title="t", author="a", created=CREATED))


def test_letterhead_is_a_red_mark_a_number_and_a_red_line(built):
    """GB/T 9704 7.2: 发文机关标志 35 mm down, red 小标宋 on one line; the 发文字号 two lines under it;
    the red line under the 发文字号; the title two lines under the line."""
    doc = Document(str(built["notice.md.j2"]))
    mark, number, title = doc.paragraphs[:3]
    assert (mark.style.style_id, mark.text) == ("GwMark", "青山镇人民代表大会主席团文件")
    assert mark._p.pPr.find(qn("w:spacing")).get(qn("w:before")) == "1984"  # 35 mm
    assert mark.style.element.find(".//" + qn("w:color")).get(qn("w:val")) == "FF0000"
    size = int(mark._p.find(".//" + qn("w:sz")).get(qn("w:val")))
    assert 14 * size * 10 <= 8844 and size <= 72  # 14 characters on the 156 mm line
    assert number.style.style_id == "GwDocNumber" and re.fullmatch(r"青人〔2026〕\d+号", number.text)
    line = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert (line.get(qn("w:color")), line.get(qn("w:val"))) == ("FF0000", "single")
    spacing = number._p.pPr.find(qn("w:spacing"))
    assert (spacing.get(qn("w:before")), spacing.get(qn("w:after"))) == (str(2 * LINE_TWIPS), str(2 * LINE_TWIPS))
    assert title.style.style_id == "GwTitle"


def test_a_request_carries_its_signatory_beside_the_number_and_an_annotation(built):
    """7.2.4/7.2.5: a 上行文's 发文字号 居左空一字, 签发人 居右空一字 on the same line, the name in 楷体;
    7.3.7: the 附注 (contact and phone) under the date."""
    doc = Document(str(built["party_request.md.j2"]))
    number = doc.paragraphs[1]
    assert number.text == "\t青人〔2026〕3号\t签发人：王建华"
    tabs = [(t.get(qn("w:val")), t.get(qn("w:pos"))) for t in number._p.pPr.find(qn("w:tabs"))]
    assert tabs == [("left", "320"), ("right", str(8844 - 320))]
    name = number.runs[-1]
    assert name.text == "王建华" and name._r.find(".//" + qn("w:rFonts")).get(qn("w:eastAsia")) == "楷体_GB2312"
    texts = [p.text for p in doc.paragraphs]
    date_at = max(i for i, t in enumerate(texts) if re.fullmatch(r"\d{4}年\d+月\d+日", t))
    assert texts[date_at + 1] == "（联系人：林晓红，联系电话：0570-8612345）"
    # the date keeps with the annotation, the signature with the date
    assert doc.paragraphs[date_at]._p.pPr.find(qn("w:keepNext")) is not None


def test_a_mark_without_a_number_carries_the_red_line_itself():
    doc = _doc("!! 青山镇第十八届人民代表大会第三次会议\n# 公告\n^^ （第1号）\n正文")
    mark = doc.paragraphs[0]
    assert mark._p.pPr.find(qn("w:pBdr")) is not None
    assert int(mark._p.find(".//" + qn("w:sz")).get(qn("w:val"))) * 10 * 18 <= 8844  # 18 characters fit


def test_titles_break_by_meaning_with_line_breaks_inside_one_paragraph():
    doc = _doc("# 关于青山镇人民代表大会主席团工作报告的决议\n正文")
    title = doc.paragraphs[0]
    lines = [t.text for t in title._p.iter(qn("w:t"))]
    assert lines == ["关于青山镇人民代表大会主席团", "工作报告的决议"]
    assert len(title._p.findall(".//" + qn("w:br"))) == 1
    short = _doc("# 青山镇第十八届人民代表大会第三次会议\n正文").paragraphs[0]
    assert short._p.find(".//" + qn("w:br")) is None


def test_the_lines_before_a_signature_travel_with_it():
    """7.3.5: the signature and date never stand alone on a page: the paragraph before them keeps with
    them (with widow control, so at least its last two lines move over), the block keeps together."""
    doc = _doc("# 标题\n第一段。\n最后一段。\n>> 青山镇人民代表大会主席团\n>> 2026年12月8日")
    first, last, issuer, day = doc.paragraphs[1:5]
    keep = [p._p.pPr.find(qn("w:keepNext")) is not None for p in (first, last, issuer, day)]
    assert keep == [False, True, True, False]
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(".//" + qn("w:widowControl")) is not None
    # a table before the signature: its last row keeps with it
    doc = _doc("# 标题\n| 序号 | 事项 |\n| 1 | 甲 |\n| 2 | 乙 |\n>> 主席团\n>> 2026年12月8日")
    rows = doc.tables[0].rows
    assert rows[-1].cells[0].paragraphs[0]._p.pPr.find(qn("w:keepNext")) is not None
    assert rows[1].cells[0].paragraphs[0]._p.pPr.find(qn("w:keepNext")) is None


def test_lines_to_sign_leave_room_and_keep_the_dates_right_edge():
    doc = _doc("# 标题\n正文。\n>> 总监票人：　　　　　　\n>> 监票人：　　　　　　\n>> 2026年12月23日")
    chief, scrutineer, day = doc.paragraphs[2:5]
    for p in (chief, scrutineer):
        assert p._p.pPr.find(qn("w:spacing")).get(qn("w:before")) == str(LINE_TWIPS)  # a blank line above
        assert p._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "400"
        assert p.runs[-1]._r.find(".//" + qn("w:u")) is not None and p.runs[-1].text.strip("\u3000") == ""
        assert p._p.pPr.find(qn("w:keepNext")) is not None


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
