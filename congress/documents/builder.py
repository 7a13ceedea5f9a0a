"""Documents: Jinja2 templates render a small line markup, which this module lays out as .docx.

The words of every document live in ``templates/documents/*.md.j2``; everything about layout (page,
fonts, spacing, tables) lives here, so GB/T 9704-2012 fidelity can grow in one place. The markup is
documented in ``docs/templates.md``:

    # 标题              title, centred            ## 一、…    heading level 1 (黑体)
    ### （一）…         heading level 2 (楷体)      #### 1.…    heading level 3 (仿宋)
    ##### （1）…        heading level 4 (仿宋)      ^^ 文字     centred line
    >> 文字             right-aligned line (a run ending in a date is a signature block)
    << 文字             left-aligned line, no indent
    !! 文字             发文机关标志 of a 版头 (red)  != 发文字号[|签发人：姓名]  its 发文字号 line, red line under
    | a | b |           table row (first row is the header; an optional ``| :-- | :-: |`` row aligns columns)
    ===                 page break                  \\文字       body paragraph taken literally
    @@ 名称 说明        a picture the caller passes by name (a QR code), with one line beside it
    anything else       body paragraph with a two-character first-line indent; blank lines are ignored

A title longer than a line is broken by meaning (congress/documents/titles.py); table columns are
sized by their content; the lines before a signature block travel with it to the next page.

Output is deterministic: the same inputs give the same bytes (core properties come from the
arguments and the zip is re-packed with fixed timestamps), so documents can be hashed for audit.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
import jinja2.sandbox
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.package import PartFactory, Unmarshaller
from docx.opc.pkgreader import PackageReader
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.package import Package
from docx.shared import Mm
from docx.text.paragraph import Paragraph

from congress.documents.titles import AUTOSPACE, TITLE_CHARS, break_title, display_width, line_width
from congress.errors import InputError, Problem, display_path
from congress.inputs import Refused, read_capped, resolve_named
from congress.messages import msg

DEFAULT_TEMPLATES_ROOT = Path(__file__).resolve().parents[2] / "templates"

# --- Layout (GB/T 9704-2012 basics; one place to change) -------------------------------------

PAGE_WIDTH = Mm(210)
PAGE_HEIGHT = Mm(297)
MARGIN_TOP = Mm(37)
MARGIN_BOTTOM = Mm(35)
MARGIN_LEFT = Mm(28)
MARGIN_RIGHT = Mm(26)
# The footer line is PAGE_NUMBER_LINE_TWIPS high and its bottom sits FOOTER_DISTANCE above the page
# edge, which puts the dashes of "— 1 —" 7 mm below the text block, as GB/T 9704 7.5 asks.
FOOTER_DISTANCE = Mm(25.3)
TEXT_WIDTH_TWIPS = 8844  # 156 mm: 210 - 28 - 26

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
HEADING34_FONT = BODY_FONT  # GB/T 9704 7.3.3: levels 3 (1.) and 4 (（1）) in 仿宋
TABLE_HEADER_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"

BODY_HALF_POINTS = 32  # 三号, 16 pt
TITLE_HALF_POINTS = 44  # 二号, 22 pt
TABLE_HALF_POINTS = 28  # 四号, 14 pt
PAGE_NUMBER_HALF_POINTS = 28  # 四号

# 22 lines in the 225 mm text block: 225 mm / 22 = 28.95 pt = 579 twips.
LINES_PER_PAGE = 22
LINE_TWIPS = 579
CHARS_PER_LINE = 28
CHAR_TWIPS = BODY_HALF_POINTS * 10  # one body character: 16 pt = 320 twips
# The document grid (w:docGrid type="linesAndChars") makes Word lay out exactly 28 characters a line:
# the character pitch is the default font size plus charSpace/4096 pt, so 156 mm / 28 = 15.79 pt
# gives charSpace = (15.79 - 16) * 4096 = -848.
GRID_CHAR_SPACE = round((TEXT_WIDTH_TWIPS / CHARS_PER_LINE / 20 - BODY_HALF_POINTS / 2) * 4096)
RIGHT_INDENT_CHARS = 4  # 成文日期右空四字 (GB/T 9704 7.3.5.1, the sealed layout)
ROW_MIN_TWIPS = 510  # 9 mm: room to sign a register or mark a ballot
TABLE_CHAR_TWIPS = TABLE_HALF_POINTS * 10  # one 14 pt table character
CELL_MARGIN_TWIPS = 108  # Word's default left and right cell margins (0.19 cm each)
CELL_SLACK_TWIPS = 60  # what LibreOffice and Word lose to rounding inside a cell
# A cell this wide or narrower is a name, a number, a category: it should never break badly; a medium
# one (a date, a place) preferably not.
SHORT_CELL_CHARS = 6
MEDIUM_CELL_CHARS = 12
LOOKAHEAD_STEPS = 16  # half characters a column may be widened by at once when sizing a table
MAX_UNSPLIT_ROW_LINES = 5  # a row taller than this may split across pages
FILL_IN_CHARS = 6  # the room a column to be filled in by hand gets at least a share for
# What a header or a short cell broken across lines costs, in lines of table height: breaking one is
# worse than making a long row a few lines taller.
BROKEN_HEADER_COST = 6.0
BROKEN_SHORT_CELL_COST = 4.0
BROKEN_MEDIUM_CELL_COST = 2.0
# 版头 (GB/T 9704 7.2): the 发文机关标志 35 mm below the top of the text block, red, in 小标宋 at most
# this size (it shrinks to fit one line); the 发文字号 two lines under it; the red line 4 mm under the
# 发文字号; the title two lines under the red line.
MARK_TOP_TWIPS = 1984  # 35 mm
MARK_MAX_HALF_POINTS = 72  # 36 pt
MARK_RED = "FF0000"
RED_LINE_EIGHTHS = 12  # 1.5 pt
RED_LINE_GAP_POINTS = 11  # 4 mm
PAGE_NUMBER_LINE_TWIPS = 360  # 18 pt: one 四号 line
PAGE_NUMBER_SIDE_TWIPS = PAGE_NUMBER_HALF_POINTS * 10  # 单页码居右空一字，双页码居左空一字
# A date closing a signature block: "2026年11月29日".
SIGN_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")

# Style ids are ASCII; the names are what staff see in Word's style pane.
STYLES = {
    "body": ("GwBody", "公文正文"),
    "flush": ("GwFlush", "公文顶格"),
    "center": ("GwCenter", "公文居中"),
    "right": ("GwRight", "公文落款"),
    "title": ("GwTitle", "公文标题"),
    "h1": ("GwHeading1", "公文一级标题"),
    "h2": ("GwHeading2", "公文二级标题"),
    "h3": ("GwHeading3", "公文三级标题"),
    "h4": ("GwHeading4", "公文四级标题"),
    "th": ("GwTableHeader", "表格标题行"),
    "td": ("GwTableText", "表格文字"),
    "page_number": ("GwPageNumber", "公文页码"),
    "mark": ("GwMark", "发文机关标志"),
    "docno": ("GwDocNumber", "版头发文字号"),
}

# The python-docx default template carries ~160 styles; these are the ones a document needs.
_KEPT_STYLE_IDS = {
    "Normal",
    "DefaultParagraphFont",
    "TableNormal",
    "NoList",
    "TableGrid",
    "Header",
    "HeaderChar",
    "Footer",
    "FooterChar",
}

_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_CHINA = timezone(timedelta(hours=8))  # no daylight saving in China, so a fixed offset is exact


# --- Markup ---------------------------------------------------------------------------------


@dataclass
class Block:
    """One unit of parsed markup: a paragraph of some kind, a table, or a page break."""

    kind: str  # title | h1 | h2 | h3 | h4 | center | right | flush | mark | docno | image | body | table | page_break
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    align: list[str] = field(default_factory=list)  # per table column: left | center | right


_PREFIXES = (
    ("##### ", "h4"),
    ("#### ", "h3"),
    ("### ", "h2"),
    ("## ", "h1"),
    ("# ", "title"),
    ("^^", "center"),
    ("!!", "mark"),
    ("!=", "docno"),
    (">>", "right"),
    ("<<", "flush"),
    ("@@", "image"),
)
_ALIGN_CELL = re.compile(r"^:?-+:?$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_markup(text: str) -> list[Block]:
    """Parse the line markup into blocks; see the module docstring and docs/templates.md."""
    blocks: list[Block] = []
    table: Block | None = None
    for raw in text.splitlines():
        # Strip only ASCII blanks: full-width spaces (U+3000) are deliberate in Chinese text.
        line = _CONTROL_CHARS.sub("", raw).strip(" \t\r")
        if line.startswith("|"):
            cells = _split_row(line)
            if table is None:
                table = Block("table")
                blocks.append(table)
            if (
                len(table.rows) == 1
                and not table.align
                and cells
                and all(_ALIGN_CELL.match(c) for c in cells)
            ):
                table.align = [_cell_alignment(c) for c in cells]
            else:
                table.rows.append(cells)
            continue
        table = None
        if not line:
            continue
        if line == "===":
            blocks.append(Block("page_break"))
        elif line.startswith("\\"):
            blocks.append(Block("body", line[1:]))
        else:
            blocks.append(_paragraph_block(line))
    return blocks


def _paragraph_block(line: str) -> Block:
    for prefix, kind in _PREFIXES:
        if line.startswith(prefix) or line == prefix.strip():
            return Block(kind, line[len(prefix) :].strip(" \t"))
    return Block("body", line)


def _split_row(line: str) -> list[str]:
    parts = _CELL_SPLIT.split(line)[1:]  # the text before the leading "|" is empty
    if len(parts) > 1 and not parts[-1].strip(" \t"):
        parts = parts[:-1]  # trailing "|"
    return [p.strip(" \t").replace("\\|", "|") for p in parts]


def _cell_alignment(cell: str) -> str:
    if cell.startswith(":") and not cell.endswith(":"):
        return "left"
    if cell.endswith(":") and not cell.startswith(":"):
        return "right"
    return "center"


# --- docx ----------------------------------------------------------------------------------


def _rpr(font: str, half_points: int, color: str | None = None) -> str:
    return (
        f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'
        + (f'<w:color w:val="{color}"/>' if color else "")
        + f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
    )


def _style_xml(
    key: str,
    *,
    font: str,
    half_points: int,
    jc: str,
    first_line_chars: int = 0,
    right_chars: int = 0,
    line: int | None = LINE_TWIPS,
    outline: int | None = None,
    keep_next: bool = False,
    next_key: str | None = None,
    color: str | None = None,
) -> str:
    style_id, name = STYLES[key]
    # pPr children must follow the schema order: keepNext, snapToGrid, spacing, ind, jc, outlineLvl.
    ppr = ["<w:keepNext/>"] if keep_next else []
    if line is None:
        # Tables and page numbers keep their own size instead of snapping to the body's grid.
        ppr.append('<w:snapToGrid w:val="0"/>')
        ppr.append('<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>')
    else:
        ppr.append(f'<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>')
    ind = []
    if first_line_chars:
        ind.append(
            f'w:firstLineChars="{first_line_chars * 100}" w:firstLine="{first_line_chars * CHAR_TWIPS}"'
        )
    if right_chars:
        ind.append(f'w:rightChars="{right_chars * 100}" w:right="{right_chars * CHAR_TWIPS}"')
    if ind:
        ppr.append(f"<w:ind {' '.join(ind)}/>")
    ppr.append(f'<w:jc w:val="{jc}"/>')
    if outline is not None:
        ppr.append(f'<w:outlineLvl w:val="{outline}"/>')
    next_id = STYLES[next_key][0] if next_key else style_id
    return (
        f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
        f'<w:name w:val="{name}"/><w:basedOn w:val="Normal"/><w:next w:val="{next_id}"/><w:qFormat/>'
        f"<w:pPr>{''.join(ppr)}</w:pPr>{_rpr(font, half_points, color)}</w:style>"
    )


def _install_styles(doc: Any) -> None:
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in _KEPT_STYLE_IDS:
            styles.remove(style)
    # Document defaults: explicit faces instead of theme fonts (a theme attribute would win over
    # the face name), Chinese language for line breaking, no paragraph spacing.
    defaults = styles.find(qn("w:docDefaults"))
    defaults.getparent().replace(
        defaults,
        parse_xml(
            f"<w:docDefaults {nsdecls('w')}><w:rPrDefault>"
            f'<w:rPr><w:rFonts w:ascii="{BODY_FONT}" w:hAnsi="{BODY_FONT}" w:eastAsia="{BODY_FONT}" w:cs="{BODY_FONT}"/>'
            f'<w:sz w:val="{BODY_HALF_POINTS}"/><w:szCs w:val="{BODY_HALF_POINTS}"/>'
            '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
            '<w:pPrDefault><w:pPr><w:widowControl/><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
            "</w:pPr></w:pPrDefault>"
            "</w:docDefaults>"
        ),
    )
    body = {"font": BODY_FONT, "half_points": BODY_HALF_POINTS}
    for xml in (
        _style_xml("body", **body, jc="both", first_line_chars=2),
        _style_xml("flush", **body, jc="both", next_key="body"),
        _style_xml("center", **body, jc="center", next_key="body"),
        _style_xml("right", **body, jc="right", right_chars=RIGHT_INDENT_CHARS),
        _style_xml(
            "title",
            font=TITLE_FONT,
            half_points=TITLE_HALF_POINTS,
            jc="center",
            keep_next=True,
            next_key="body",
        ),
        _style_xml(
            "h1",
            font=HEADING1_FONT,
            half_points=BODY_HALF_POINTS,
            jc="both",
            first_line_chars=2,
            outline=0,
            keep_next=True,
            next_key="body",
        ),
        _style_xml(
            "h2",
            font=HEADING2_FONT,
            half_points=BODY_HALF_POINTS,
            jc="both",
            first_line_chars=2,
            outline=1,
            keep_next=True,
            next_key="body",
        ),
        *(
            _style_xml(
                key,
                font=HEADING34_FONT,
                half_points=BODY_HALF_POINTS,
                jc="both",
                first_line_chars=2,
                outline=level,
                keep_next=True,
                next_key="body",
            )
            for key, level in (("h3", 2), ("h4", 3))
        ),
        _style_xml("th", font=TABLE_HEADER_FONT, half_points=TABLE_HALF_POINTS, jc="center", line=None),
        _style_xml("td", font=BODY_FONT, half_points=TABLE_HALF_POINTS, jc="center", line=None),
        _style_xml(
            "page_number", font=PAGE_NUMBER_FONT, half_points=PAGE_NUMBER_HALF_POINTS, jc="center", line=None
        ),
        _style_xml("mark", font=TITLE_FONT, half_points=MARK_MAX_HALF_POINTS, jc="center", line=None,
                   keep_next=True, color=MARK_RED),
        _style_xml("docno", **body, jc="center", keep_next=True, next_key="title"),
    ):
        styles.append(parse_xml(xml))
    # The page number line has a fixed height so its distance to the text block is exact.
    number = styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='{STYLES['page_number'][0]}']")
    number.find(qn("w:pPr")).find(qn("w:spacing")).attrib.update(
        {qn("w:line"): str(PAGE_NUMBER_LINE_TWIPS), qn("w:lineRule"): "exact"}
    )


def _setup_section(doc: Any) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.footer_distance = FOOTER_DISTANCE
    # 22 lines of 28 characters: Word lays text on this grid (LibreOffice imports it as its text grid).
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    new_grid = parse_xml(
        f'<w:docGrid {nsdecls("w")} w:type="linesAndChars" w:linePitch="{LINE_TWIPS}"'
        f' w:charSpace="{GRID_CHAR_SPACE}"/>'
    )
    if grid is not None:
        sect_pr.replace(grid, new_grid)
    else:
        sect_pr.append(new_grid)
    # Page numbers: odd pages on the right, even pages on the left, each one character in (GB/T 9704 7.5).
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        _page_number(doc, footer.paragraphs[0], side)


def _page_number(doc: Any, p: Paragraph, side: str) -> None:
    """ "— 1 —": the page number between two em dashes, as GB/T 9704 prints it."""
    p.style = doc.styles[STYLES["page_number"][1]]
    p._p.get_or_add_pPr().append(parse_xml(f'<w:ind {nsdecls("w")} w:{side}="{PAGE_NUMBER_SIDE_TWIPS}"/>'))
    p._p.get_or_add_pPr().append(parse_xml(f'<w:jc {nsdecls("w")} w:val="{side}"/>'))
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">— </w:t></w:r>'))
    p._p.append(
        parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
    )
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve"> —</w:t></w:r>'))


def _strip_package(doc: Any) -> None:
    # The template's thumbnail would show a stale preview in file managers, and
    # stylesWithEffects.xml is a 440 kB Word 2010 copy of styles.xml that nothing needs.
    for rels, reltype in ((doc.part.package.rels, RT.THUMBNAIL), (doc.part.rels, _STYLES_WITH_EFFECTS)):
        for r_id in [r_id for r_id, rel in rels.items() if rel.reltype == reltype]:
            del rels[r_id]


@cache
def _base_docx() -> bytes:
    """The empty, styled document every build starts from (built once per process)."""
    doc = Document()
    _strip_package(doc)
    _install_styles(doc)
    _setup_section(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@cache
def _base_reader() -> PackageReader:
    """The styled base read once: its parts' bytes, which each build parses into a document of its own."""
    return PackageReader.from_file(io.BytesIO(_base_docx()))


def _new_document() -> Any:
    """A fresh copy of the styled base, as ``Document(io.BytesIO(_base_docx()))`` without re-reading the zip."""
    package = Package()
    Unmarshaller.unmarshal(_base_reader(), package, PartFactory)
    return package.main_document_part.document


def markup_to_docx(text: str, *, title: str, author: str, created: datetime,
                   images: Mapping[str, bytes] | None = None) -> bytes:
    """Lay out markup text as a .docx and return its bytes (deterministic for equal arguments).

    `images` are the pictures ``@@ name`` lines place (PNG bytes by name); a name not given is left out."""
    doc = _new_document()
    body = doc.element.body
    blocks = parse_markup(text)
    layout = _layout(blocks)
    page_break = False
    pending: list[str] = []  # body XML parsed in one go up to the next picture, not one parse per paragraph

    def insert_pending() -> None:
        # each element declares its own namespaces, as parsed one by one; the wrapper only holds them
        for element in list(parse_xml(f"<pending>{''.join(pending)}</pending>")):
            body.insert_element_before(element, "w:sectPr")
        pending.clear()

    for i, block in enumerate(blocks):
        if block.kind == "page_break":
            page_break = bool(i)  # a break before anything would only leave an empty page
            continue
        if block.kind == "image":
            insert_pending()
            _insert_image(doc, block, images or {}, page_break=page_break)
        elif block.kind == "table":
            if page_break:
                pending.append(f'<w:p {nsdecls("w")}><w:r><w:br w:type="page"/></w:r></w:p>')
            if block.rows:
                pending.append(_table_xml(block, keep_with_next=layout[i].keep_next))
        else:
            prev = blocks[i - 1].kind if i else None
            nxt = blocks[i + 1].kind if i + 1 < len(blocks) else None
            pending.append(_paragraph_xml(block, prev=prev, next_=nxt, page_break=page_break, place=layout[i]))
        page_break = False
    insert_pending()
    _set_core_properties(doc, title=title, author=author, created=created)
    return _package_bytes(doc)


# a picture's width on the page: a QR code a phone reads from a sheet of A4 held at arm's length
IMAGE_WIDTH = Mm(25)


def _insert_image(doc: Any, block: Block, images: Mapping[str, bytes], *, page_break: bool) -> None:
    """``@@ name 说明``: the named picture, flush left, with its one-line caption beside it (bottom-aligned)."""
    name, _, caption = block.text.partition(" ")
    data = images.get(name)
    if data is None:
        return
    brk = "<w:pageBreakBefore/>" if page_break else ""
    # own line height (the body's exact 28.95 pt would clip the picture), kept on one page
    ppr = (f'<w:pStyle w:val="{STYLES["flush"][0]}"/><w:keepLines/>{brk}'
           f'<w:spacing w:before="{LINE_TWIPS}" w:line="240" w:lineRule="auto"/>')
    p = doc.element.body._insert_p(parse_xml(f"<w:p {nsdecls('w')}><w:pPr>{ppr}</w:pPr></w:p>"))
    paragraph = Paragraph(p, doc._body)
    paragraph.add_run().add_picture(io.BytesIO(data), width=IMAGE_WIDTH)
    if caption.strip():
        paragraph.add_run("\u3000" + caption.strip())


@dataclass
class _Place:
    """How one block sits among its neighbours."""

    right_chars: float | None = None  # right indent of a signature-block line
    keep_next: bool = False  # stays on the page of the block after it
    signing: bool = False  # a line to sign by hand ("总监票人：　　　　")


# A line with a blank to sign or fill in by hand: a label ending in "：" and full-width spaces.
_SIGNING = re.compile(r"：\u3000{2,}$")
# An 附注 (GB/T 9704 7.3.7) under the date: one bracketed line.
_ANNOTATION = re.compile(r"^（[^（）]*）$")


def _layout(blocks: list[Block]) -> list[_Place]:
    """Signature blocks and what travels with them.

    A run of ``>>`` lines that ends in a date is a signature block laid out as GB/T 9704 7.3.5.1
    places it on a sealed document: the date 右空四字, the issuing body centred over the date (the
    seal then covers both); a line to sign ("监票人：　　　　") keeps the date's right edge and gets a
    blank line above it, room for the signature. The block never starts a page alone (7.3.5): its
    lines keep with the date, and the paragraph (or table) before it keeps with the block, so with
    widow control at least its last two lines move over with the signature. An 附注 under the date
    stays with the date. Other ``>>`` lines keep the style's indent.
    """
    places = [_Place() for _ in blocks]
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "right":
            i += 1
            continue
        j = i
        while j + 1 < len(blocks) and blocks[j + 1].kind == "right":
            j += 1
        for k in range(i, j + 1):
            places[k].signing = bool(_SIGNING.search(blocks[k].text))
        if SIGN_DATE.match(blocks[j].text):
            date_width = display_width(blocks[j].text)
            places[j].right_chars = RIGHT_INDENT_CHARS
            for k in range(i, j):
                places[k].keep_next = True
                if places[k].signing:
                    places[k].right_chars = RIGHT_INDENT_CHARS
                else:
                    width = display_width(blocks[k].text)
                    places[k].right_chars = max(RIGHT_INDENT_CHARS + (date_width - width) / 2, 0.0)
            if i and blocks[i - 1].kind not in ("page_break",):
                places[i - 1].keep_next = True
            if j + 1 < len(blocks) and blocks[j + 1].kind == "body" and _ANNOTATION.match(blocks[j + 1].text):
                places[j].keep_next = True
        i = j + 1
    return places


def _run(text: str, rpr: str = "") -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""


_RED_LINE = (f'<w:pBdr><w:bottom w:val="single" w:sz="{RED_LINE_EIGHTHS}" w:space="{RED_LINE_GAP_POINTS}"'
             f' w:color="{MARK_RED}"/></w:pBdr>')


def mark_half_points(text: str) -> int:
    """The size of a 发文机关标志: as large as allowed, but on one line (an even number of half points)."""
    fits = int(TEXT_WIDTH_TWIPS / (max(display_width(text), 1.0) * 10))
    return max(min(MARK_MAX_HALF_POINTS, fits - fits % 2), BODY_HALF_POINTS)


def _paragraph_xml(block: Block, *, prev: str | None, next_: str | None, page_break: bool, place: _Place) -> str:
    # pPr children in the schema's order: pStyle, keepNext, pageBreakBefore, pBdr, tabs, spacing, ind, jc
    keep = "<w:keepNext/>" if place.keep_next else ""
    brk = "<w:pageBreakBefore/>" if page_break else ""
    border = tabs = spacing = ind = jc = ""
    run = _run(block.text)
    if block.kind == "mark":
        # 版头: 35 mm down from the top of the text block; the red line under the 发文字号, or under the
        # 标志 itself when there is none (a 公告)
        size = mark_half_points(block.text)
        after = 0 if next_ == "docno" else 2 * LINE_TWIPS
        border = "" if next_ == "docno" else _RED_LINE
        spacing = (f'<w:spacing w:before="{MARK_TOP_TWIPS if prev is None else 0}" w:after="{after}"'
                   f' w:line="{size * 12}" w:lineRule="exact"/>')
        run = _run(block.text, f'<w:rPr><w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>')
    elif block.kind == "docno":
        # the 发文字号 two lines under the 标志, the red line 4 mm under it, the title two lines under the
        # line; a 上行文's 发文字号 居左空一字 with the 签发人 居右空一字 on its line (GB/T 9704 7.2.4, 7.2.5)
        number, _, signer = (part.strip() for part in block.text.partition("|"))
        border = _RED_LINE
        spacing = f'<w:spacing w:before="{2 * LINE_TWIPS if prev == "mark" else 0}" w:after="{2 * LINE_TWIPS}"/>'
        run = _run(number)
        if signer:
            tabs = (f'<w:tabs><w:tab w:val="left" w:pos="{CHAR_TWIPS}"/>'
                    f'<w:tab w:val="right" w:pos="{TEXT_WIDTH_TWIPS - CHAR_TWIPS}"/></w:tabs>')
            jc = '<w:jc w:val="left"/>'
            label, colon, name = signer.rpartition("：")
            kai = (f'<w:rPr><w:rFonts w:ascii="{HEADING2_FONT}" w:hAnsi="{HEADING2_FONT}"'
                   f' w:eastAsia="{HEADING2_FONT}" w:cs="{HEADING2_FONT}"/></w:rPr>')  # the name in 楷体
            run = "<w:r><w:tab/></w:r>" + _run(number) + "<w:r><w:tab/></w:r>" + _run(label + colon) + _run(name, kai)
    # Spacing depends on neighbours, so it is set here rather than in the styles: one blank line
    # after the title block (titles plus centred lines under them) and between a 发文字号 and the
    # title under it, one before the signature block and above a line to sign.
    elif block.kind in ("title", "center") and next_ not in ("title", "center", None) and block.text:
        spacing = f'<w:spacing w:after="{LINE_TWIPS}"/>'
    elif block.kind == "center" and next_ == "title" and prev is None and block.text:
        spacing = f'<w:spacing w:after="{LINE_TWIPS}"/>'
    elif block.kind == "right" and (place.signing or prev not in ("right", "title", "center", None)):
        spacing = f'<w:spacing w:before="{LINE_TWIPS}"/>'
    if place.right_chars is not None:
        hundredths = round(place.right_chars * 100)
        ind = f'<w:ind w:rightChars="{hundredths}" w:right="{round(place.right_chars * CHAR_TWIPS)}"/>'
    if block.kind == "title" and block.text:
        # broken by meaning, not where the line happens to end (GB/T 9704 7.3.1)
        run = "<w:r><w:br/></w:r>".join(_run(line) for line in break_title(block.text, TITLE_CHARS))
    elif place.signing:
        label = block.text.rstrip("\u3000")
        run = _run(label) + _run(block.text[len(label):], '<w:rPr><w:u w:val="single"/></w:rPr>')
    ppr = f'<w:pStyle w:val="{STYLES[block.kind][0]}"/>{keep}{brk}{border}{tabs}{spacing}{ind}{jc}'
    return f"<w:p {nsdecls('w')}><w:pPr>{ppr}</w:pPr>{run}</w:p>"


def _table_width(text: str) -> float:
    """Width of table text in characters, as a word processor sets it: digits and Latin letters take half
    a character, with a quarter character between them and Chinese ("2027年4月5日" is 7.5 wide)."""
    return line_width(text)


def _cell_twips(chars: float) -> int:
    return int(chars * TABLE_CHAR_TWIPS) + 2 * CELL_MARGIN_TWIPS + CELL_SLACK_TWIPS


def _cell_chars(twips: int) -> float:
    """How many table characters a column of this width holds on one line (half characters count)."""
    return max(int((twips - 2 * CELL_MARGIN_TWIPS - CELL_SLACK_TWIPS) * 2 / TABLE_CHAR_TWIPS) / 2, 0.5)


# The units a line breaks between, as a word processor sees them: a run of digits or Latin letters is
# one unit; a closing mark sticks to what precedes it, an opening mark to what follows.
_UNIT = re.compile(r"[（《“‘\[(]*(?:[0-9A-Za-z.:\-]+|.)[）》”’。，、；：？！\])]*", re.S)
# Where breaking a short cell reads well: after 至 or a mark, before an opening bracket, and in a date
# after its year or its day (2027年 / 4月5日, 12月21日 / 14时) — a 年 or 日 right after digits.
_GOOD_BREAK_AFTER = tuple("至、，；：。）》")
_DATE_PART_END = ("年", "日")


CELL_BREAK = "<br>"  # a line break a template writes inside a table cell ("9时至<br>11时30分")


@lru_cache(maxsize=1 << 16)
def _wrap(text: str, holds: float) -> tuple[int, bool]:
    """Lines a cell's text takes in a column holding `holds` characters (filled as a word processor
    fills them), and whether a line breaks somewhere that reads badly ("所需票/数", "城乡建/设")."""
    if CELL_BREAK in text:
        parts = [_wrap(part, holds) for part in text.split(CELL_BREAK)]
        return sum(lines for lines, _ in parts), any(bad for _, bad in parts)
    lines, used, bad, previous, before = 1, 0.0, False, "", ""
    for unit in _UNIT.findall(text):
        width = _table_width(unit)
        if previous and display_width(previous[-1]) != display_width(unit[0]):
            width += AUTOSPACE  # the space between Chinese and a digit, when both are on the line
        if used and used + width > holds:
            lines += 1
            good = (previous.endswith(_GOOD_BREAK_AFTER) or unit.startswith(("（", "《"))
                    or (previous in _DATE_PART_END and before[-1:].isdigit()))
            bad = bad or not good
            used, width = 0.0, _table_width(unit)
        while width > holds:  # a unit wider than the column breaks inside itself
            lines, width, bad = lines + 1, width - holds, True
        used += width
        previous, before = unit, previous
    return lines, bad


def _break_cost(text: str, header: bool) -> float:
    """What it costs when this cell breaks where it reads badly: much for a header or a short cell (a
    name, a number, a category), some for a medium one (a date, a place), nothing for running text."""
    width = max(_table_width(part) for part in text.split(CELL_BREAK))
    if width <= SHORT_CELL_CHARS:
        return BROKEN_HEADER_COST if header else BROKEN_SHORT_CELL_COST
    return BROKEN_MEDIUM_CELL_COST if width <= MEDIUM_CELL_CHARS else 0.0


def _column_cost(others: list[int], cells: list[tuple[int, float]]) -> float:
    """The part of a table's cost one column decides, given each row's tallest other cell."""
    return sum(max(o, lines) + 0.05 * lines + bad for o, (lines, bad) in zip(others, cells, strict=True))


def column_widths(rows: list[list[str]], total: int = TEXT_WIDTH_TWIPS) -> list[int]:
    """Column widths (twips) sized by the content.

    A table costs its reader, in lines: its height (each row as tall as its tallest cell), a little for
    every wrapped line (so widening a column always helps a bit), and much for a cell broken where it
    reads badly (`_break_cost`: "所需票/数", "城乡建/设"). Starting from two characters a column, each half
    character of the line goes to the column where it saves the most, looking a few steps ahead (a cell
    loses a line only once its column holds a whole further share of its text); what no column needs is
    shared out in proportion to the content, so the table spans the text block.
    """
    ncols = len(rows[0])
    step = TABLE_CHAR_TWIPS // 2
    widths = [_cell_twips(2.0)] * ncols
    if sum(widths) > total:
        return [total // ncols] * (ncols - 1) + [total - total // ncols * (ncols - 1)]
    stakes = [[_break_cost(text, r == 0) for text in row] for r, row in enumerate(rows)]

    def cell(r: int, c: int, width: int) -> tuple[int, float]:  # lines, and the cost of a bad break
        lines, bad = _wrap(rows[r][c], _cell_chars(width))
        return lines, stakes[r][c] if bad else 0.0

    now = [[cell(r, c, widths[c]) for c in range(ncols)] for r in range(len(rows))]
    while sum(widths) + step <= total:
        best: tuple[float, int, int] | None = None  # (saving per step, column, steps)
        for c in range(ncols):
            # only column c changes: each row's tallest other cell stays
            others = [max((now[r][k][0] for k in range(ncols) if k != c), default=0) for r in range(len(rows))]
            before = _column_cost(others, [now[r][c] for r in range(len(rows))])
            for n in range(1, LOOKAHEAD_STEPS + 1):
                if sum(widths) + n * step > total:
                    break
                after = _column_cost(others, [cell(r, c, widths[c] + n * step) for r in range(len(rows))])
                saving = (before - after) / n
                if saving > 1e-9 and (best is None or saving > best[0] + 1e-9):
                    best = (saving, c, n)
        if best is None:
            break
        _, c, n = best
        widths[c] += n * step
        for r in range(len(rows)):
            now[r][c] = cell(r, c, widths[c])
    # a column left empty to be filled in by hand (本人签名, a ballot's marks) asks for room to write
    natural = [_cell_twips(max([_table_width(part) for row in rows for part in row[c].split(CELL_BREAK)]
                               + ([FILL_IN_CHARS] if all(not row[c] for row in rows[1:]) else [])))
               for c in range(ncols)]
    spare = total - sum(widths)
    widths = [w + spare * n // sum(natural) for w, n in zip(widths, natural, strict=True)]
    widths[-1] += total - sum(widths)  # rounding: the table spans the text block exactly
    return widths


def _table_xml(block: Block, *, keep_with_next: bool = False) -> str:
    ncols = max(len(row) for row in block.rows)
    rows = [row + [""] * (ncols - len(row)) for row in block.rows]
    align = block.align + ["center"] * (ncols - len(block.align))
    widths = column_widths(rows)
    border = 'w:val="single" w:sz="4" w:space="0" w:color="auto"'
    parts = [
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        f"<w:tblBorders><w:top {border}/><w:left {border}/><w:bottom {border}/><w:right {border}/>"
        f"<w:insideH {border}/><w:insideV {border}/></w:tblBorders>"
        '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1"'
        ' w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
    ]
    holds = [_cell_chars(w) for w in widths]
    for r, row in enumerate(rows):
        header = r == 0
        # The header row repeats on every page; a row of a few lines never splits across pages, but a
        # tall one may (else it would leave half a page empty before it); the last row keeps with what
        # follows when that is a signature block.
        keep = "<w:keepNext/>" if keep_with_next and r == len(rows) - 1 else ""
        tall = max(_wrap(text, holds[c])[0] for c, text in enumerate(row)) > MAX_UNSPLIT_ROW_LINES
        parts.append(
            "<w:tr><w:trPr>" + ("" if tall else "<w:cantSplit/>")
            + f'<w:trHeight w:val="{ROW_MIN_TWIPS}" w:hRule="atLeast"/>'
            + ("<w:tblHeader/>" if header else "")
            + "</w:trPr>"
        )
        for c, text in enumerate(row):
            style = STYLES["th" if header else "td"][0]
            jc = "" if header or align[c] == "center" else f'<w:jc w:val="{align[c]}"/>'
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{keep}{jc}</w:pPr>'
                + "<w:r><w:br/></w:r>".join(_run(part) for part in text.split(CELL_BREAK)) + "</w:p></w:tc>"
            )
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


def _set_core_properties(doc: Any, *, title: str, author: str, created: datetime) -> None:
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)  # docx stores UTC ("Z")
    props = doc.core_properties
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.created = created
    props.modified = created
    props.revision = 1
    props.comments = ""  # the template says "generated by python-docx"
    props.language = "zh-CN"


class _Entries:
    """python-docx's physical package writer interface, keeping each part's bytes in order."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, bytes]] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.entries.append((pack_uri.membername, blob))


def _package_bytes(doc: Any) -> bytes:
    """The .docx bytes: `doc.save`'s parts in its order, zipped once with fixed timestamps and attributes
    (python-docx stamps entries with the current time), so equal documents are equal bytes."""
    package = doc.part.package
    parts = package.parts
    for part in parts:
        part.before_marshal()
    sink = _Entries()
    # the order doc.save writes in (PackageWriter.write), so the bytes stay those of earlier builds
    PackageWriter._write_content_types_stream(sink, parts)
    PackageWriter._write_pkg_rels(sink, package.rels)
    PackageWriter._write_parts(sink, parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, blob in sink.entries:
            dst.writestr(_zip_entry(name), blob)
    return out.getvalue()


def _zip_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.create_system = 0
    entry.external_attr = 0
    return entry


# --- Files ---------------------------------------------------------------------------------


def write_bytes_atomic(path: Path, data: bytes) -> str:
    """Write data to path via a temporary file and os.replace; return the sha256 hex digest.

    An existing file with identical bytes is left untouched (its mtime too).
    """
    digest = hashlib.sha256(data).hexdigest()
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return digest
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; documents are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


# --- Templates -----------------------------------------------------------------------------


class ContainedLoader(jinja2.BaseLoader):
    """A folder's templates, each a regular UTF-8 file inside the folder within the template size cap.

    Jinja2's FileSystemLoader follows a symbolic link wherever it leads; a township's override folder
    must not be a way to read /etc/passwd into a document, whoever put the link there.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = jinja2.loaders.split_template_path(template)  # refuses ".." itself
        path = self.folder.joinpath(*pieces)
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        try:
            target = resolve_named(self.folder, "/".join(pieces))
            raw = read_capped(target, kind="template")
            source = raw.decode("utf-8-sig")
        except Refused as exc:
            raise InputError([Problem(display_path(path), exc.message)]) from None
        except UnicodeDecodeError:
            raise InputError([Problem(display_path(path), msg("inputs.template.encoding"))]) from None
        mtime = os.stat(target).st_mtime

        def uptodate() -> bool:
            try:
                return os.stat(target).st_mtime == mtime
            except OSError:
                return False

        return source, str(path), uptodate


def template_environment(
    *, override_dir: Path | None = None, templates_root: Path | None = None
) -> jinja2.Environment:
    """Sandboxed Jinja2 environment for document templates: override_dir first, then <templates_root>/documents.

    Templates run in Jinja2's immutable sandbox: no attribute starting with "_" (so no
    ``cycler.__init__.__globals__.os``), no calls that change a list or dict; a template that tries is
    stopped with an InputError naming its file and line (`render_text`). A township's folder is
    chosen by an administrator and resolved by congress.documents.overrides.township_environment.
    """
    root = Path(templates_root) if templates_root is not None else DEFAULT_TEMPLATES_ROOT
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None:
        if not Path(override_dir).is_dir():
            raise FileNotFoundError(f"template override folder not found: {override_dir}")
        loaders.append(ContainedLoader(Path(override_dir)))
    loaders.append(jinja2.FileSystemLoader(str(root / "documents")))
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters.update(
        cn_date=cn_date,
        cn_date_range=cn_date_range,
        cn_num=cn_num,
        cn_weekday=cn_weekday,
        cn_time=cn_time,
        cn_datetime=cn_datetime,
        cn_month=cn_month,
        cite=cite,
    )
    return env


def render_text(env: jinja2.Environment, template_name: str, context: Mapping[str, Any]) -> str:
    """Render one template to markup text; a template the sandbox stops is an InputError (file, line)."""
    try:
        template = env.get_template(template_name)
    except jinja2.TemplateSyntaxError as exc:
        file = display_path(Path(exc.filename)) if exc.filename else template_name
        raise InputError([Problem(file, msg("inputs.template.syntax", error=exc.message), exc.lineno)]) from None
    try:
        return template.render(dict(context))
    except jinja2.UndefinedError as exc:
        # Staff edit templates: say which file and line used the missing variable.
        raise jinja2.UndefinedError(
            f"{template_name}{_template_line(exc, template.filename)}: {exc.message}"
        ) from exc
    except jinja2.sandbox.SecurityError as exc:
        file = display_path(Path(template.filename)) if template.filename else template_name
        raise InputError([Problem(file, msg("inputs.template.security", error=exc.message or type(exc).__name__),
                                  _line_of(exc, template.filename))]) from None


def _line_of(exc: BaseException, filename: str | None) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:  # jinja2 maps template frames to the template's file and line
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _template_line(exc: BaseException, filename: str | None) -> str:
    line = _line_of(exc, filename)
    return f" line {line}" if line else ""


def build_document(
    env: jinja2.Environment,
    template_name: str,
    context: Mapping[str, Any],
    path: Path,
    *,
    title: str,
    author: str,
    created: datetime,
) -> str:
    """Render a template, lay it out as .docx, write it atomically to path; return its sha256."""
    text = render_text(env, template_name, context)
    return write_bytes_atomic(path, markup_to_docx(text, title=title, author=author, created=created))


# --- Filters -------------------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"
_WEEKDAYS = "一二三四五六日"


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
    raise TypeError(f"expected a date or an ISO date string, got {value!r}")


def cn_date(value: date | datetime | str) -> str:
    """2026-12-22 → "2026年12月22日" (Arabic numerals, no zero padding, as GB/T 9704 writes dates)."""
    d = _as_date(value)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_date_range(start: date | datetime | str, end: date | datetime | str) -> str:
    """A span of days without repeating what both ends share: "2026年12月22日至23日"."""
    a, b = _as_date(start), _as_date(end)
    if a == b:
        return cn_date(a)
    if a.year != b.year:
        return f"{cn_date(a)}至{cn_date(b)}"
    if a.month != b.month:
        return f"{cn_date(a)}至{b.month}月{b.day}日"
    return f"{cn_date(a)}至{b.day}日"


def cn_weekday(value: date | datetime | str) -> str:
    """2026-12-22 → "星期二"."""
    return "星期" + _WEEKDAYS[_as_date(value).weekday()]


def cn_time(value: str) -> str:
    """ "14:00" → "14时", "08:30" → "8时30分"."""
    hours, minutes = (int(part) for part in str(value).split(":")[:2])
    return f"{hours}时" + (f"{minutes}分" if minutes else "")


def cn_datetime(value: datetime | str) -> str:
    """An ISO timestamp → "2026年11月29日19时5分" in China time (naive values are taken as they are)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(_CHINA)
    return cn_date(moment) + cn_time(f"{moment:%H:%M}")


def cn_month(value: date | datetime | str) -> str:
    """A year and month ("1979-11", or a date) → "1979年11月", as a 出生年月 is written."""
    if isinstance(value, date | datetime):
        return f"{value.year}年{value.month}月"
    year, month = str(value).strip().split("-")[:2]
    return f"{int(year)}年{int(month)}月"


def _cn_below_10000(n: int, *, leading: bool) -> str:
    out: list[str] = []
    zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            zero = zero or bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        # 10–19 read 十, 十八 at the start of a number, but 一百一十 inside one.
        out.append(unit if unit == "十" and digit == 1 and leading and not out else _DIGITS[digit] + unit)
    return "".join(out)


def cn_num(value: int) -> str:
    """Chinese numerals for ordinals: 3 → 三, 10 → 十, 18 → 十八, 21 → 二十一, 105 → 一百零五."""
    n = int(value)
    if not 0 <= n < 100_000_000:
        raise ValueError(f"cn_num supports 0 to 99999999, got {value!r}")
    if n == 0:
        return "零"
    high, low = divmod(n, 10_000)
    if not high:
        return _cn_below_10000(low, leading=True)
    text = _cn_below_10000(high, leading=True) + "万"
    if low:
        text += ("零" if low < 1000 else "") + _cn_below_10000(low, leading=False)
    return text


# Statute files in ../shared/domain/law, as rules cite them, and the titles documents print.
LAW_TITLES = {
    "local-organic-law-2022": "中华人民共和国地方各级人民代表大会和地方各级人民政府组织法",
    "deputies-law-2025": "中华人民共和国全国人民代表大会和地方各级人民代表大会代表法",
    "election-law-2020": "中华人民共和国全国人民代表大会和地方各级人民代表大会选举法",
    "civil-code-periods": "中华人民共和国民法典",
    "zhejiang-township-congress-2016": "浙江省乡镇人民代表大会工作条例",
    "chongqing-township-congress-2016": "重庆市乡镇人民代表大会工作条例",
    "shandong-township-congress-2015": "山东省乡镇人民代表大会工作若干规定",
    "henan-township-presidium-2016": "河南省乡镇人民代表大会主席团工作条例",
}
# The short names rules' citation labels use (congress/profiles.py STATUTE_NAMES), and what they stand for.
LAW_SHORT_NAMES = {
    "地方组织法": LAW_TITLES["local-organic-law-2022"],
    "组织法": LAW_TITLES["local-organic-law-2022"],
    "代表法": LAW_TITLES["deputies-law-2025"],
    "选举法": LAW_TITLES["election-law-2020"],
    "民法典": LAW_TITLES["civil-code-periods"],
}
_CITED_FILE = re.compile(r"([a-z0-9-]+)\.md\s*")
_CITED_SHORT = re.compile("《(" + "|".join(LAW_SHORT_NAMES) + ")》")


def cite(citation: str) -> str:
    """A rule's citation as a document prints it, the law by its full name (a document names a law in
    full at its first mention): "local-organic-law-2022.md 第十四条" or "《地方组织法》第十四条" →
    "《中华人民共和国地方各级人民代表大会和地方各级人民政府组织法》第十四条"; unknown names pass through."""

    def title(match: re.Match[str]) -> str:
        name = LAW_TITLES.get(match.group(1))
        return f"《{name}》" if name else match.group(0)

    text = _CITED_FILE.sub(title, str(citation))
    text = _CITED_SHORT.sub(lambda m: f"《{LAW_SHORT_NAMES[m.group(1)]}》", text)
    return text.replace("; ", "、").replace(";", "、")


__all__ = [
    "Block",
    "ContainedLoader",
    "DEFAULT_TEMPLATES_ROOT",
    "build_document",
    "cite",
    "cn_date",
    "cn_date_range",
    "cn_datetime",
    "cn_month",
    "cn_num",
    "cn_time",
    "cn_weekday",
    "markup_to_docx",
    "parse_markup",
    "render_text",
    "template_environment",
    "write_bytes_atomic",
]
