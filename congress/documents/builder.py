"""Documents: Jinja2 templates render a small line markup, which this module lays out as .docx.

The words of every document live in ``templates/documents/*.md.j2``; everything about layout (page,
fonts, spacing, tables) lives here, so GB/T 9704-2012 fidelity can grow in one place. The markup is
documented in ``docs/templates.md``:

    # 标题              title, centred            ## 一、…    heading level 1 (黑体)
    ### （一）…         heading level 2 (楷体)      #### 1.…    heading level 3 (仿宋)
    ##### （1）…        heading level 4 (仿宋)      ^^ 文字     centred line
    >> 文字             right-aligned line (a run ending in a date is a signature block)
    << 文字             left-aligned line, no indent
    | a | b |           table row (first row is the header; an optional ``| :-- | :-: |`` row aligns and sizes columns)
    ===                 page break                  \\文字       body paragraph taken literally
    anything else       body paragraph with a two-character first-line indent; blank lines are ignored

Output is deterministic: the same inputs give the same bytes (core properties come from the
arguments and the zip is re-packed with fixed timestamps), so documents can be hashed for audit.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
import jinja2.sandbox
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph

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

    kind: str  # title | h1 | h2 | h3 | h4 | center | right | flush | body | table | page_break
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    align: list[str] = field(default_factory=list)  # per table column: left | center | right
    # Per table column: relative width, from the separator row.
    widths: list[int] = field(default_factory=list)


_PREFIXES = (
    ("##### ", "h4"),
    ("#### ", "h3"),
    ("### ", "h2"),
    ("## ", "h1"),
    ("# ", "title"),
    ("^^", "center"),
    (">>", "right"),
    ("<<", "flush"),
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
                table.widths = [len(c) for c in cells]
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


def _rpr(font: str, half_points: int) -> str:
    return (
        f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'
        f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
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
        f"<w:pPr>{''.join(ppr)}</w:pPr>{_rpr(font, half_points)}</w:style>"
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
            '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
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


def markup_to_docx(text: str, *, title: str, author: str, created: datetime) -> bytes:
    """Lay out markup text as a .docx and return its bytes (deterministic for equal arguments)."""
    doc = Document(io.BytesIO(_base_docx()))
    body = doc.element.body
    blocks = parse_markup(text)
    right_indents = _signature_indents(blocks)
    page_break = False
    for i, block in enumerate(blocks):
        if block.kind == "page_break":
            page_break = bool(i)  # a break before anything would only leave an empty page
            continue
        if block.kind == "table":
            if page_break:
                body._insert_p(parse_xml(f'<w:p {nsdecls("w")}><w:r><w:br w:type="page"/></w:r></w:p>'))
            if block.rows:
                body._insert_tbl(parse_xml(_table_xml(block)))
        else:
            prev = blocks[i - 1].kind if i else None
            nxt = blocks[i + 1].kind if i + 1 < len(blocks) else None
            body._insert_p(
                parse_xml(
                    _paragraph_xml(
                        block, prev=prev, next_=nxt, page_break=page_break, right_chars=right_indents.get(i)
                    )
                )
            )
        page_break = False
    _set_core_properties(doc, title=title, author=author, created=created)
    buf = io.BytesIO()
    doc.save(buf)
    return _repack(buf.getvalue())


def _signature_indents(blocks: list[Block]) -> dict[int, float]:
    """Right indents (in characters) of the lines of each signature block.

    A run of ``>>`` lines that ends in a date is a signature block laid out as GB/T 9704 7.3.5.1
    places it on a sealed document: the date 右空四字, the issuing body centred over the date (the
    seal then covers both). Other ``>>`` lines keep the style's indent.
    """
    indents: dict[int, float] = {}
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "right":
            i += 1
            continue
        j = i
        while j + 1 < len(blocks) and blocks[j + 1].kind == "right":
            j += 1
        if SIGN_DATE.match(blocks[j].text):
            date_width = _display_width(blocks[j].text)
            indents[j] = RIGHT_INDENT_CHARS
            for k in range(i, j):
                width = _display_width(blocks[k].text)
                indents[k] = max(RIGHT_INDENT_CHARS + (date_width - width) / 2, 0.0)
        i = j + 1
    return indents


def _paragraph_xml(
    block: Block, *, prev: str | None, next_: str | None, page_break: bool, right_chars: float | None = None
) -> str:
    ppr = [f'<w:pStyle w:val="{STYLES[block.kind][0]}"/>']
    if page_break:
        ppr.append("<w:pageBreakBefore/>")
    # Spacing depends on neighbours, so it is set here rather than in the styles: one blank line
    # after the title block (titles plus centred lines under them) and between a 发文字号 and the
    # title under it, one before the signature block.
    if block.kind in ("title", "center") and next_ not in ("title", "center", None) and block.text:
        ppr.append(f'<w:spacing w:after="{LINE_TWIPS}"/>')
    elif block.kind == "center" and next_ == "title" and prev is None and block.text:
        ppr.append(f'<w:spacing w:after="{LINE_TWIPS}"/>')
    elif block.kind == "right" and prev not in ("right", "title", "center", None):
        ppr.append(f'<w:spacing w:before="{LINE_TWIPS}"/>')
    if right_chars is not None:
        hundredths = round(right_chars * 100)
        ppr.append(f'<w:ind w:rightChars="{hundredths}" w:right="{round(right_chars * CHAR_TWIPS)}"/>')
    run = f'<w:r><w:t xml:space="preserve">{escape(block.text)}</w:t></w:r>' if block.text else ""
    return f"<w:p {nsdecls('w')}><w:pPr>{''.join(ppr)}</w:pPr>{run}</w:p>"


def _display_width(text: str) -> float:
    """Width in body characters; ambiguous-width marks (— “ ○) are full width in Chinese fonts."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


def _table_xml(block: Block) -> str:
    ncols = max(len(row) for row in block.rows)
    rows = [row + [""] * (ncols - len(row)) for row in block.rows]
    align = block.align + ["center"] * (ncols - len(block.align))
    if len(block.widths) == ncols:
        # Like pandoc's pipe tables: the separator row's cell lengths set the relative widths.
        weights = [float(w) for w in block.widths]
    else:
        # Otherwise in proportion to each column's widest cell (clamped), so a 序号 column
        # stays narrow and a title column gets room.
        weights = [min(max(max(_display_width(r[c]) for r in rows), 2.0), 12.0) + 1.0 for c in range(ncols)]
    widths = [int(TEXT_WIDTH_TWIPS * w / sum(weights)) for w in weights]
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
    for r, row in enumerate(rows):
        header = r == 0
        # The header row repeats on every page; no row splits across pages.
        parts.append(
            f'<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="{ROW_MIN_TWIPS}" w:hRule="atLeast"/>'
            + ("<w:tblHeader/>" if header else "")
            + "</w:trPr>"
        )
        for c, text in enumerate(row):
            style = STYLES["th" if header else "td"][0]
            jc = "" if header or align[c] == "center" else f'<w:jc w:val="{align[c]}"/>'
            run = f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{jc}</w:pPr>{run}</w:p></w:tc>'
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


def _repack(data: bytes) -> bytes:
    """Re-zip with fixed timestamps and attributes: python-docx stamps entries with the current time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # python-docx writes parts in a stable order
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            dst.writestr(entry, src.read(info))
    return out.getvalue()


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
    """An ISO timestamp → "2026年11月29日19:00" in China time (naive values are taken as they are)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(_CHINA)
    return f"{cn_date(moment)}{moment:%H:%M}"


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
_CITED_FILE = re.compile(r"([a-z0-9-]+)\.md\s*")


def cite(citation: str) -> str:
    """ "local-organic-law-2022.md 第十四条" → "《中华人民共和国地方各级…组织法》第十四条"; unknown files pass through."""

    def title(match: re.Match[str]) -> str:
        name = LAW_TITLES.get(match.group(1))
        return f"《{name}》" if name else match.group(0)

    return _CITED_FILE.sub(title, str(citation)).replace("; ", "、").replace(";", "、")


__all__ = [
    "Block",
    "ContainedLoader",
    "DEFAULT_TEMPLATES_ROOT",
    "build_document",
    "cite",
    "cn_date",
    "cn_date_range",
    "cn_datetime",
    "cn_num",
    "cn_time",
    "cn_weekday",
    "markup_to_docx",
    "parse_markup",
    "render_text",
    "template_environment",
    "write_bytes_atomic",
]
