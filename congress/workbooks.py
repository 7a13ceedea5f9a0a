"""Excel/WPS workbooks (.xlsx, openpyxl): reading what township offices keep, writing registers and lists.

Reading. A workbook is a zip of XML parts, so before openpyxl parses it the archive is checked against
caps (congress/limits.py: parts, uncompressed bytes, cells, merged areas) — a zip bomb, or a sheet that
claims a million merged cells, is refused before it costs anything — and a part with a DTD (entity
expansion) is refused. Formulas are never evaluated, and a formula in a cell that is read is an error
asking for its value: what Excel would show after recalculating need not be the result saved in the file.
A sheet is recognised by its header row (merged title rows above it are skipped); header names match
with their usual variants and notes (“出生年月（YYYY.MM）”, “姓名*”); a value stored as a number or a date
reads as the text staff see (001, 13800000001, 1975-03-01); vertically merged cells (a group name merged
down its deputies) give their value to every row they cover; empty rows and note rows (one merged cell
across the row: 填表人、日期) are skipped; of two columns with the same header the visible one is read.
Every problem names the workbook, the sheet, the row and the column: “代表名册.xlsx 工作表“名册” 第7行
C列（出生年月）：…”.

Writing. Registers and lists are written with a title row, a frozen header, column widths that fit
Chinese text, dates as date cells, and the same bytes for the same content (no timestamps of the moment).
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from congress import limits
from congress.errors import InputError, Problem
from congress.messages import msg

XLSX_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls / .et (OLE compound file)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN_ROWS = 30  # a header lies within the first rows with content (title rows above it)

_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_MERGE_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([^\"]{1,64})\"")
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


class SheetLine(int):
    """A row number that knows its workbook and sheet (and, for one cell, its column): problems name them."""

    file: str
    column: str | None

    def __new__(cls, row: int, file: str, column: str | None = None) -> SheetLine:
        obj = super().__new__(cls, row)
        obj.file, obj.column = file, column
        return obj

    def at(self, column: str | None) -> SheetLine:
        return SheetLine(int(self), self.file, column)

    def __reduce__(self) -> Any:
        return (SheetLine, (int(self), self.file, self.column))


class CellText(str):
    """A cell's value as text; `from_number`: Excel stored it as a number (1975.1 may have been 1975.10)."""

    from_number: bool = False

    def __new__(cls, text: str, from_number: bool = False) -> CellText:
        obj = super().__new__(cls, text)
        obj.from_number = from_number
        return obj


class CellProblem(Problem):
    """A problem in a workbook: “代表名册.xlsx 工作表“名册” 第7行 C列（出生年月）：…”."""

    def __str__(self) -> str:
        if self.line is None:
            return msg("input.error", file=self.file, where="", problem=self.problem)
        return msg("data.workbook.at", file=self.file, line=self.line,
                   column=f" {self.field}" if self.field else "", problem=self.problem)


def problem_at(line: Any, problem: str, file: str, field_name: str | None = None) -> Problem:
    """A Problem at `line`: in a workbook (a SheetLine) it names the sheet and the cell."""
    if isinstance(line, SheetLine):
        return CellProblem(line.file, problem, int(line), line.column)
    return Problem(file, problem, line, field_name)


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def sheet_file(display: str, sheet: str) -> str:
    return msg("data.workbook.sheet", file=display, sheet=sheet)


# --- recognising a workbook ------------------------------------------------------------------------------


def is_workbook(path: Path, raw: bytes) -> bool:
    """An .xlsx by its bytes (a zip) or its name; an old .xls is recognised to be refused by name."""
    return raw.startswith(XLSX_MAGIC) or raw.startswith(OLD_EXCEL_MAGIC) or Path(path).suffix.lower() in (
        *WORKBOOK_SUFFIXES, ".xls", ".et")


class WorkbookRefused(Exception):
    """The file is not read as a workbook: the reason, for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_archive(raw: bytes) -> None:
    """Refuse what would cost more to open than a township's workbook can: before any part is parsed."""
    if raw.startswith(OLD_EXCEL_MAGIC):
        raise WorkbookRefused(msg("data.workbook.old_excel"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise WorkbookRefused(msg("data.workbook.not_xlsx")) from None
    if len(infos) > limits.MAX_XLSX_PARTS:
        raise WorkbookRefused(msg("data.workbook.too_many_parts", count=len(infos), max=limits.MAX_XLSX_PARTS))
    # the sizes a zip declares are the most its parts decompress to: zipfile stops there
    total = sum(max(info.file_size, 0) for info in infos)
    if total > limits.MAX_XLSX_UNCOMPRESSED:
        raise WorkbookRefused(msg("data.workbook.too_large", size=_mb(total), max=_mb(limits.MAX_XLSX_UNCOMPRESSED)))
    cells = merged = 0
    for info in infos:
        name = info.filename
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            data = archive.read(info)
        except Exception:  # a corrupt member (bad CRC, unsupported compression): one answer for all of them
            raise WorkbookRefused(msg("data.workbook.not_xlsx")) from None
        head = data[:4096]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
            raise WorkbookRefused(msg("data.workbook.encoding", part=name[:80]))
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise WorkbookRefused(msg("data.workbook.dtd", part=name[:80]))
        if name.startswith("xl/worksheets/"):
            cells += len(_CELL_TAG.findall(data))
            for ref in _MERGE_REF.findall(data):
                merged += _area(ref.decode("ascii", "replace"))
    if cells > limits.MAX_XLSX_CELLS or merged > limits.MAX_XLSX_CELLS:
        raise WorkbookRefused(msg("data.workbook.too_many_cells", count=max(cells, merged),
                                  max=limits.MAX_XLSX_CELLS))


def _area(ref: str) -> int:
    """Cells a merged range covers (a malformed one counts as the whole sheet: refused)."""
    from openpyxl.utils import column_index_from_string

    parts = ref.split(":")
    try:
        corners = []
        for part in parts if len(parts) == 2 else [parts[0], parts[0]]:
            match = _CELL_REF.match(part)
            if not match:
                return limits.MAX_XLSX_CELLS + 1
            corners.append((column_index_from_string(match[1]), int(match[2])))
    except ValueError:
        return limits.MAX_XLSX_CELLS + 1
    (c1, r1), (c2, r2) = corners
    return (abs(c2 - c1) + 1) * (abs(r2 - r1) + 1)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def open_workbook(raw: bytes) -> Any:
    """The workbook in `raw` (openpyxl, formulas kept as formulas), after `check_archive`."""
    import openpyxl

    check_archive(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported" and the like: nothing for staff
            return openpyxl.load_workbook(io.BytesIO(raw), read_only=False, data_only=False, keep_vba=False,
                                          keep_links=False, rich_text=False)
    except Exception:  # openpyxl raises many kinds (KeyError, TypeError, lxml's) on a damaged file
        raise WorkbookRefused(msg("data.workbook.not_xlsx")) from None


# --- cell values as text ---------------------------------------------------------------------------------


def cell_text(cell: Any) -> CellText | None:
    """The text a cell shows (None when empty); raises ValueError with the reason for a formula or an error."""
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "f":
        formula = value if isinstance(value, str) else getattr(value, "text", "") or "="
        raise ValueError(msg("data.workbook.formula", formula=_short(str(formula))))
    if cell.data_type == "e":
        raise ValueError(msg("data.workbook.error_value", value=_short(str(value))))
    if isinstance(value, bool):
        return CellText("是" if value else "否")
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return CellText(value.date().isoformat())
        return CellText(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, date):
        return CellText(value.isoformat())
    if isinstance(value, time):
        return CellText(value.strftime("%H:%M"))
    if isinstance(value, int):
        return CellText(_padded(str(value), cell.number_format), from_number=True)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return CellText(_padded(str(int(value)), cell.number_format), from_number=True)
        decimals = re.fullmatch(r"0\.(0+)", str(cell.number_format or ""))
        text = f"{value:.{len(decimals[1])}f}" if decimals else format(value, ".15g")
        return CellText(text, from_number=True)
    text = str(value).strip()
    return CellText(text) if text else None


def _padded(digits: str, number_format: Any) -> str:
    """001 for 1 shown with the format 000 (codes typed as numbers keep their leading zeros)."""
    fmt = str(number_format or "")
    if re.fullmatch(r"0{2,12}", fmt) and digits.isdigit():
        return digits.zfill(len(fmt))
    return digits


def _short(text: str, limit: int = 30) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[:limit] + "…"


def header_key(text: str) -> str:
    """A header as compared: 姓 名 / 姓名* / 出生年月（YYYY.MM） / “ID” → 姓名, 出生年月, id."""
    value = unicodedata.normalize("NFKC", text)
    value = re.sub(r"\s+", "", value).strip("*:：")
    value = re.sub(r"\([^()]*\)$", "", value).strip("*:：")  # a trailing note: (必填), (YYYY-MM)
    return value.lower()


# --- tables ----------------------------------------------------------------------------------------------

Spec = dict[str, tuple[tuple[str, ...], bool]]  # key → (header variants, required)


@dataclass
class SheetTable:
    """The rows of one sheet whose header row has the spec's columns."""

    sheet: str
    file: str  # 代表名册.xlsx 工作表“名册”
    header_row: int
    columns: dict[str, tuple[int, str]]  # key → (column index, the header as written)
    rows: list[tuple[SheetLine, dict[str, CellText]]] = field(default_factory=list)
    grid: _Grid | None = None

    def above(self) -> list[tuple[int, list[Any]]]:
        """The rows above the header (title, and label–value lines such as 发出选票 | 56), cells in column order."""
        if self.grid is None:
            return []
        return [(row, [cells[c] for c in sorted(cells)]) for row, cells in sorted(self.grid.cells.items())
                if row < self.header_row]

    def label(self, key: str) -> str:
        """“C列（出生年月）”: the column's letter and its header (without a trailing note such as （YYYY.MM））."""
        index, header = self.columns[key]
        name = re.sub(r"\s+", "", re.sub(r"[（(][^（）()]*[）)]\s*$", "", header)).strip("*＊:：") or header
        return msg("data.workbook.column", letter=column_letter(index), header=_short(name, 20))


@dataclass
class _Grid:
    """A worksheet's non-empty cells by row, with merged ranges and hidden columns, read once."""

    title: str
    cells: dict[int, dict[int, Any]]  # row → column → openpyxl cell
    merged: list[tuple[int, int, int, int]]  # (min_col, min_row, max_col, max_row)
    hidden: set[int]

    @classmethod
    def of(cls, ws: Any) -> _Grid:
        cells: dict[int, dict[int, Any]] = {}
        # only the cells the file has: iterating the sheet's rectangle would visit a cell at XFD1048576's
        # seventeen billion empty neighbours
        for (row, col), cell in ws._cells.items():
            if cell.value is not None and not (isinstance(cell.value, str) and not cell.value.strip()):
                cells.setdefault(row, {})[col] = cell
        merged = [(r.min_col, r.min_row, r.max_col, r.max_row) for r in ws.merged_cells.ranges]
        hidden: set[int] = set()
        for dim in ws.column_dimensions.values():
            if dim.hidden and dim.min and dim.max:
                hidden.update(range(max(dim.min, 1), min(dim.max, 16384) + 1))
        return cls(ws.title, cells, merged, hidden)


def _header_matches(row: dict[int, Any], spec: Spec) -> dict[str, list[tuple[int, int, str]]]:
    """key → [(alias rank, column, header as written)] for the cells of a row that name a column."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    for col, cell in row.items():
        if not isinstance(cell.value, str):
            continue
        key_text = header_key(cell.value)
        for key, (aliases, _) in spec.items():
            for rank, alias in enumerate(aliases):
                if header_key(alias) == key_text:
                    found.setdefault(key, []).append((rank, col, cell.value.strip()))
    return found


def _choose_columns(found: dict[str, list[tuple[int, int, str]]], hidden: set[int], file: str, row: int,
                    problems: list[Problem]) -> dict[str, tuple[int, str]]:
    """One column per key: the most specific header variant, then a visible column over a hidden one."""
    columns: dict[str, tuple[int, str]] = {}
    taken: set[int] = set()
    for key, options in found.items():
        options = [o for o in options if o[1] not in taken]
        if not options:
            continue
        best = min(o[0] for o in options)
        options = [o for o in options if o[0] == best]
        visible = [o for o in options if o[1] not in hidden] or options
        if len(visible) > 1:
            letters = "、".join(f"{column_letter(o[1])}列" for o in visible)
            problems.append(CellProblem(file, msg("data.workbook.duplicate_header", header=visible[0][2],
                                                  columns=letters), row, None))
        rank, col, header = visible[0]
        columns[key] = (col, header)
        taken.add(col)
    return columns


def _fill_merged(grid: _Grid, first_data_row: int) -> set[int]:
    """Give a vertically merged range's value to every cell it covers below the header; return the rows
    that hold nothing but one horizontally merged cell (a note: 填表人、填表日期)."""
    notes: set[int] = set()
    for min_col, min_row, max_col, max_row in grid.merged:
        top = grid.cells.get(min_row, {}).get(min_col)
        if max_row > min_row and top is not None:
            for r in range(max(min_row, first_data_row), max_row + 1):
                for c in range(min_col, max_col + 1):
                    grid.cells.setdefault(r, {}).setdefault(c, top)
        elif max_row == min_row and max_col > min_col and min_row >= first_data_row:
            row = grid.cells.get(min_row, {})
            if set(row) <= set(range(min_col, max_col + 1)):
                notes.add(min_row)
    return notes


class Book:
    """An opened workbook's visible sheets, each read once, to find the tables of one or more specs in."""

    def __init__(self, raw: bytes, *, display: str):
        try:
            wb = open_workbook(raw)
        except WorkbookRefused as exc:
            raise InputError([Problem(display, exc.message)]) from None
        self.display = display
        self.grids = [_Grid.of(ws) for ws in wb.worksheets if ws.sheet_state == "visible"]

    def tables(self, spec: Spec, *, required: bool = True) -> tuple[list[SheetTable], list[Problem]]:
        """Every sheet whose header row has the spec's required columns, with its rows; problems of the cells
        read (formulas, error values) come back to be reported with the loader's own. No such sheet is an
        error naming the closest one (when `required`), else an empty list."""
        tables: list[SheetTable] = []
        problems: list[Problem] = []
        best: tuple[int, str, int, dict[str, list[tuple[int, int, str]]]] | None = None
        for grid in self.grids:
            file = sheet_file(self.display, grid.title)
            header_row, found, row_found = _find_header(grid, spec)
            if header_row is None:
                if found and (best is None or len(found) > best[0]):
                    best = (len(found), grid.title, row_found, found)
                continue
            columns = _choose_columns(found, grid.hidden, file, header_row, problems)
            table = SheetTable(grid.title, file, header_row, columns, grid=grid)
            problems += _read_rows(table, grid, header_row)
            tables.append(table)
        if not tables and required:
            names = "、".join(f"“{g.title}”" for g in self.grids) or "—"
            if best is not None:
                _, title, row, found = best
                missing = [aliases[0] for key, (aliases, req) in spec.items() if req and key not in found]
                raise InputError([CellProblem(sheet_file(self.display, title), msg(
                    "data.workbook.missing_columns", columns="、".join(missing)), row, None)])
            wanted = "、".join(aliases[0] for aliases, req in spec.values() if req)
            raise InputError([Problem(self.display, msg("data.workbook.no_table", sheets=names, columns=wanted))])
        return tables, problems


def _read_rows(table: SheetTable, grid: _Grid, header_row: int) -> list[Problem]:
    problems: list[Problem] = []
    first_data = header_row + 1
    for _, min_row, _, max_row in grid.merged:  # a header cell merged over two rows
        if min_row <= header_row < max_row:
            first_data = max(first_data, max_row + 1)
    notes = _fill_merged(grid, first_data)
    header_texts = {k: header_key(h) for k, (_, h) in table.columns.items()}
    for row in sorted(r for r in grid.cells if r >= first_data and r not in notes):
        cells = grid.cells[row]
        values: dict[str, CellText] = {}
        bad = False
        for key, (col, _) in table.columns.items():
            cell = cells.get(col)
            if cell is None:
                continue
            try:
                text = cell_text(cell)
            except ValueError as exc:
                problems.append(CellProblem(table.file, str(exc), row, table.label(key)))
                bad = True
                continue
            if text is not None:
                values[key] = text
        if bad or not values:
            continue
        if all(header_key(values.get(k, "")) == h for k, h in header_texts.items()):
            continue  # the header repeated (printed on every page)
        if len(table.rows) >= limits.MAX_XLSX_ROWS:
            problems.append(CellProblem(table.file, msg("inputs.too_many_rows", max=limits.MAX_XLSX_ROWS), row))
            break
        table.rows.append((SheetLine(row, table.file), values))
    return problems


def read_tables(raw: bytes, spec: Spec, *, display: str) -> tuple[list[SheetTable], list[Problem]]:
    """The tables of one spec in a workbook's bytes (`Book.tables`)."""
    return Book(raw, display=display).tables(spec)


def _find_header(grid: _Grid, spec: Spec) -> tuple[int | None, dict[str, list[tuple[int, int, str]]], int]:
    """The first row (among the first rows with content) naming every required column, with its matches;
    (None, the best partial match, its row) when no row does."""
    required = {key for key, (_, req) in spec.items() if req}
    best: dict[str, list[tuple[int, int, str]]] = {}
    best_row = 1
    for row in sorted(grid.cells)[:HEADER_SCAN_ROWS]:
        found = _header_matches(grid.cells[row], spec)
        if required <= set(found):
            return row, found, row
        if len(found) > len(best):
            best, best_row = found, row
    return None, best, best_row


# --- writing ---------------------------------------------------------------------------------------------

DATE_FORMAT = 'yyyy"年"m"月"d"日"'
BODY_FONT = "宋体"
MAX_WIDTH = 60  # characters; longer texts wrap


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | date | number | long (free text: wraps)
    width: float | None = None  # in character widths; None: fit the content


@dataclass
class Sheet:
    name: str  # ≤ 31 characters, none of []:*?/\
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: str = ""  # a title row above the header, merged across the table
    notes: Sequence[str] = ()  # lines below the table (the period, the source, the citation)


def text_width(value: Any) -> float:
    """Width of a value in Excel's character units: a Chinese character takes two."""
    if isinstance(value, date):
        return 14
    text = str(value)
    longest = max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in line)
                   for line in text.splitlines() or [""]), default=0)
    return longest


def safe_sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def build_workbook(sheets: Sequence[Sheet], *, title: str, author: str, created: datetime) -> bytes:
    """An .xlsx of the sheets: title row, frozen header, fitted widths, dates as dates; the same bytes for
    the same content (the document's date stands for every timestamp)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_font, body_font = Font(name=BODY_FONT, size=11, bold=True), Font(name=BODY_FONT, size=11)
    fill = PatternFill("solid", fgColor="E7E6E6")
    taken: set[str] = set()
    for spec in sheets:
        ws = wb.create_sheet(safe_sheet_name(spec.name, taken))
        columns = list(spec.columns)
        width_of = [text_width(c.title) + 2 for c in columns]
        row_index = 1
        if spec.title:
            ws.cell(1, 1, spec.title).font = Font(name=BODY_FONT, size=14, bold=True)
            ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
            if len(columns) > 1:
                ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
            ws.row_dimensions[1].height = 28
            row_index = 2
        header_row = row_index
        for j, column in enumerate(columns, start=1):
            cell = ws.cell(header_row, j, column.title)
            cell.font, cell.fill, cell.border = head_font, fill, border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        rows = [list(values) for values in spec.rows]
        for values in rows:
            row_index += 1
            for j, (column, value) in enumerate(zip(columns, values, strict=False), start=1):
                if isinstance(value, datetime):
                    value = value.replace(tzinfo=None)
                cell = ws.cell(row_index, j, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # a text, never a formula Excel would evaluate
                cell.font, cell.border = body_font, border
                if isinstance(value, date):
                    cell.number_format = DATE_FORMAT
                    cell.alignment = Alignment(horizontal="center", vertical="top")
                elif column.kind == "text" and isinstance(value, str):
                    cell.number_format = "@"  # a code like 001 stays text when edited
                    cell.alignment = Alignment(vertical="top", wrap_text=True)
                else:
                    cell.alignment = Alignment(vertical="top", wrap_text=column.kind == "long")
                if value is not None:
                    width_of[j - 1] = max(width_of[j - 1], text_width(value) + 2)
        for k, note in enumerate(spec.notes, start=row_index + 2):
            ws.cell(k, 1, note).font = Font(name=BODY_FONT, size=10, italic=True)
        widths = [round(min(column.width or width_of[j], MAX_WIDTH), 1) for j, column in enumerate(columns)]
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
        for i, values in enumerate(rows, start=header_row + 1):
            # a wrapped text needs a taller row, and not every program grows one when it opens the file
            lines = max((sum(max(math.ceil(text_width(part) / max(w - 1, 1)), 1) for part in v.splitlines() or [""])
                         for v, w in zip(values, widths, strict=False) if isinstance(v, str)), default=1)
            if lines > 1:
                ws.row_dimensions[i].height = 15 * min(lines, 15)
        ws.freeze_panes = ws.cell(header_row + 1, 1)
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape" if len(columns) > 5 else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        if columns:
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{max(row_index, header_row)}"
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    return _save(wb, title=title, author=author, created=created)


def _save(wb: Any, *, title: str, author: str, created: datetime) -> bytes:
    from openpyxl.writer.excel import ExcelWriter

    stamp = created.replace(tzinfo=None, microsecond=0)
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy = title, author, author
    props.created = props.modified = stamp
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not wb.save(): that stamps `modified` with the current time
    # zipfile stamps every part with the current time: write them again with the document's date
    packed = io.BytesIO()
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = zipfile.ZipInfo(info.filename, date_time=when)
            part.compress_type, part.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            target.writestr(part, source.read(info))
    return packed.getvalue()


# --- blank templates -------------------------------------------------------------------------------------

# What each column of a template means, as the 填写说明 sheet says it (key → text); the columns and their
# header variants are the loaders' own specs, so a template always reads back.
COLUMN_NOTES: dict[str, str] = {
    "code": "唯一编号，如 QS001；以 0 开头的编号请保持文本格式",
    "name": "姓名",
    "gender": "男 / 女",
    "ethnicity": "如 汉族",
    "born": "如 1975-03 或 1975.03（日期单元格也可以）",
    "group": "所在代表小组，如 第一代表小组",
    "constituency": "所在选区",
    "phone": "手机或座机号码（文本）",
    "occupation": "工作单位及职务",
    "status": "在任 / 终止（空着按在任）",
    "status_attendance": "出席 / 请假 / 缺席",
    "leave_approved": "请假是否经批准：是 / 否",
    "title": "标题",
    "proposers": "提出代表的代表编号，多名用顿号或逗号分隔，领衔代表在前",
    "category": "如 城乡建设、教育卫生",
    "office": "承办（责任）单位",
    "complex": "涉及面广、处理难度大的填“是”（答复期限延长）",
    "text": "全文",
    "raised_on": "日期，如 2027-03-01",
    "resolution": "决议编号：会议文件 reports 中的 resolution 键（如 budget）",
    "handed_over_on": "交办日期",
    "due_on": "办理期限（主席团确定）",
    "key": "与会议文件中的编号一致（模板按会议生成时已填好）",
    "subject": "表决事项名称（仅供核对）",
    "yes": "赞成票数", "no": "反对票数", "abstain": "弃权票数",
    "votes": "得票数",
    "write_in": "不是候选人、由代表另选的人填“是”",
}
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("roster", "gender"): ("男", "女"), ("roster", "status"): ("在任", "终止"),
    ("attendance", "status"): ("出席", "请假", "缺席"), ("attendance", "leave_approved"): ("是", "否"),
    ("suggestions", "complex"): ("是", "否"), ("tallies", "write_in"): ("是", "否"),
}
TEMPLATE_TITLES = {"roster": "代表名册", "attendance": "代表出席情况", "tallies": "表决和选举计票结果",
                   "suggestions": "代表建议", "items": "决议落实事项", "petitions": "来信来访登记",
                   "trainings": "代表学习培训登记", "voter-reports": "代表向选民述职登记"}
TEMPLATE_KINDS = tuple(TEMPLATE_TITLES)


def template_specs() -> dict[str, dict[str, tuple[tuple[str, ...], bool, str]]]:
    """The column spec of each template kind: (header variants, required, kind of value)."""
    from congress.followup import inputs as followup
    from congress.inputs import ATTENDANCE_COLUMNS, ROSTER_COLUMNS

    def plain(spec: Spec) -> dict[str, tuple[tuple[str, ...], bool, str]]:
        return {k: (aliases, required, "text") for k, (aliases, required) in spec.items()}

    return {"roster": plain(ROSTER_COLUMNS), "attendance": plain(ATTENDANCE_COLUMNS),
            "suggestions": followup.SUGGESTION_COLUMNS, "items": followup.ITEM_COLUMNS,
            "petitions": followup.PETITION_COLUMNS, "trainings": followup.TRAINING_COLUMNS,
            "voter-reports": followup.VOTER_REPORT_COLUMNS}


@dataclass
class SessionData:
    """What a template made for one session is filled with."""

    title: str = ""
    deputies: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of the active deputies
    votes: list[tuple[str, str]] = field(default_factory=list)  # (key, subject)
    elections: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (key, title, candidates)


def template(kind: str, *, session: SessionData | None = None, created: datetime | None = None) -> bytes:
    """A blank workbook for `kind` (TEMPLATE_KINDS) that its loader reads back: a title row, the header,
    text-formatted code columns, drop-down lists, and a 填写说明 sheet; filled with a session's deputies,
    votes and candidates when one is given."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if kind not in TEMPLATE_TITLES:
        raise KeyError(kind)
    wb = Workbook()
    ws = wb.active
    title = TEMPLATE_TITLES[kind]
    heading = f"{session.title}{title}" if session and session.title else title
    head_font, required_fill = Font(name=BODY_FONT, bold=True), PatternFill("solid", fgColor="FCE4D6")
    notes: list[tuple[str, str, bool, str, str]] = []  # sheet, column, required, meaning, variants

    def table(ws: Any, header_row: int, spec: dict[str, tuple[tuple[str, ...], bool, str]], spec_kind: str,
              rows: Sequence[Sequence[Any]] = (), blank_rows: int = 200) -> None:
        last = header_row + max(len(rows), blank_rows)
        for j, (key, (aliases, required, value_kind)) in enumerate(spec.items(), start=1):
            letter = get_column_letter(j)
            cell = ws.cell(header_row, j, aliases[0])
            cell.font, cell.alignment = head_font, Alignment(horizontal="center", vertical="center")
            if required:
                cell.fill = required_fill
            meaning = COLUMN_NOTES.get(f"{key}_{spec_kind}") or COLUMN_NOTES.get(key, "")
            notes.append((ws.title, aliases[0], required, meaning, "、".join(
                a for a in aliases[1:] if not a.isascii()) or "—"))
            ws.column_dimensions[letter].width = max(text_width(aliases[0]) + 4,
                                                     {"text": 12, "date": 14, "codes": 16}.get(value_kind, 10))
            if key in ("text", "summary", "subject", "title"):
                ws.column_dimensions[letter].width = 30
            for r in range(header_row + 1, last + 1):
                target = ws.cell(r, j)
                if value_kind == "date":
                    target.number_format = "yyyy-mm-dd"
                elif key not in ("yes", "no", "abstain", "votes", "voters"):
                    target.number_format = "@"  # text: codes keep their leading zeros
            choices = CHOICES.get((spec_kind, key))
            if choices:
                check = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
                check.add(f"{letter}{header_row + 1}:{letter}{last}")
                ws.add_data_validation(check)
        for i, values in enumerate(rows, start=header_row + 1):
            for j, value in enumerate(values, start=1):
                ws.cell(i, j, value)
        ws.freeze_panes = ws.cell(header_row + 1, 1)
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape" if len(spec) > 5 else "portrait"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    def title_row(ws: Any, text: str, width: int) -> None:
        ws.cell(1, 1, text).font = Font(name=BODY_FONT, size=14, bold=True)
        ws.cell(1, 1).alignment = Alignment(horizontal="center")
        if width > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)

    if kind == "tallies":
        from congress.inputs import CANDIDATE_COLUMNS, ROUND_KIND_CN, VOTE_COLUMNS

        ws.title = "表决结果"
        vote_spec = {k: (a, r, "text") for k, (a, r) in VOTE_COLUMNS.items()}
        title_row(ws, f"{heading}（表决）", len(vote_spec))
        votes = session.votes if session else []
        table(ws, 2, vote_spec, "tallies", rows=[(k, s) for k, s in votes], blank_rows=0 if votes else 20)
        ws.column_dimensions["A"].width = 30
        candidate_spec = {k: (a, r, "text") for k, (a, r) in CANDIDATE_COLUMNS.items()}
        elections = (session.elections if session else []) or [("", "", [])]
        taken = {ws.title}
        for key, election_title, candidates in elections:
            rs = wb.create_sheet(safe_sheet_name(f"{election_title or '选举'}第1轮", taken))
            title_row(rs, f"{election_title or '选举'}计票（每轮一张工作表：复制本表，轮次改为2……）", 3)
            labels = [("选举编号", key), ("选举事项", election_title), ("轮次", 1),
                      ("轮次类别", ROUND_KIND_CN["formal"]), ("发出选票", None), ("收回选票", None), ("无效票", None),
                      ("未选足名额留待下次会议另行选举", "否")]
            for i, (label, value) in enumerate(labels, start=2):
                rs.cell(i, 1, label).font = head_font
                rs.cell(i, 2, value)
            kinds = DataValidation(type="list", formula1='"' + ",".join(ROUND_KIND_CN.values()) + '"')
            kinds.add("B5")
            rs.add_data_validation(kinds)
            table(rs, len(labels) + 2, candidate_spec, "tallies", rows=[(name,) for name in candidates],
                  blank_rows=10)
            rs.column_dimensions["A"].width = 32
        for label, meaning in (("选举编号", "与会议文件 elections 中的 key 一致"), ("轮次", "第几轮投票：1、2、3……"),
                               ("轮次类别", "、".join(ROUND_KIND_CN.values())), ("发出选票", "发出的选票张数"),
                               ("收回选票", "收回的选票张数"), ("无效票", "无效选票张数"),
                               ("未选足名额留待下次会议另行选举", "是 / 否")):
            notes.append(("选举计票表上方", label, True, meaning, "—"))
    else:
        spec = template_specs()[kind]
        ws.title = title
        title_row(ws, heading, len(spec))
        rows: list[tuple[Any, ...]] = []
        if kind == "attendance" and session:
            rows = [(code, name) for code, name in session.deputies]
        table(ws, 2, spec, kind, rows=rows)
    guide = wb.create_sheet("填写说明")
    guide.append([f"{title}填写说明"])
    guide.append(["工作表", "列名", "必填", "填写要求", "也可写作"])
    for sheet_name, column, required, meaning, variants in notes:
        guide.append([sheet_name, column, "是" if required else "", meaning, variants])
    guide.append([])
    for line in (msg("data.template.note_header"), msg("data.template.note_merge"), msg("data.template.note_formula")):
        guide.append([line])
    for letter, width in zip("ABCDE", (14, 18, 6, 60, 30), strict=True):
        guide.column_dimensions[letter].width = width
    guide["A1"].font = Font(name=BODY_FONT, size=14, bold=True)
    return _save(wb, title=heading, author="congress", created=created or datetime(2026, 1, 1))


def session_data(db: Any, key: str) -> SessionData:
    """A loaded session's deputies, votes and candidates, to fill its attendance and tallies templates."""
    from sqlalchemy import select

    from congress.lifecycle import operations as ops
    from congress.lifecycle.context import session_title
    from congress.models import Election, Vote

    session = ops.get_session(db, key)
    if session is None:
        raise LookupError(msg("cli.unknown_session", key=key))
    term = session.term
    votes = db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position))
    elections = db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position))
    return SessionData(title=session_title(term.township.name, term.ordinal, session.ordinal),
                       deputies=[(d.code, d.name) for d in ops.active_deputies(db, session)],
                       votes=[(v.key, v.subject) for v in votes],
                       elections=[(e.key, e.title, [c.name for c in e.candidates]) for e in elections])


COUNTY_TITLE = "各乡镇人民代表大会会议进度"


def county_sheets(db: Any) -> list[Sheet]:
    """The county view: every township's sessions, their dates, state and steps done (what /county shows)."""
    from sqlalchemy import func, select

    from congress.lifecycle.context import session_title
    from congress.lifecycle.steps import STEPS
    from congress.models import CongressSession, StepRun, Term, Township

    done = dict(db.execute(select(StepRun.session_id, func.count()).where(StepRun.status == "done")
                           .group_by(StepRun.session_id)).all())
    rows = []
    for session in db.scalars(select(CongressSession).join(Term).join(Township)
                              .order_by(Township.code, CongressSession.opening_date)):
        township = session.term.township
        state = f"web.state.{session.state}"
        rows.append([township.code, township.name, township.county or None,
                     session_title(township.name, session.term.ordinal, session.ordinal), session.opening_date,
                     session.closing_date, msg(state) if _has(state) else session.state, done.get(session.id, 0),
                     len(STEPS), session.state_message or None])
    n = "number"
    return [Sheet(COUNTY_TITLE[:31], [Column("乡镇代码"), Column("乡镇"), Column("所属县（市、区）"), Column("会议"),
                                   Column("开会日期"), Column("闭会日期"), Column("状态"), Column("已完成步骤", n),
                                   Column("步骤总数", n), Column("说明", "long", 40)], rows, title=COUNTY_TITLE)]


def county_workbook(db: Any, *, on: date | None = None) -> bytes:
    """The county view as an .xlsx (dated `on`, default today in Asia/Shanghai)."""
    from congress.ical.builder import local_today

    day = on or local_today()
    return build_workbook(county_sheets(db), title=COUNTY_TITLE, author="congress",
                          created=datetime.combine(day, time(9, 0)))


def _has(key: str) -> bool:
    from congress.messages import has

    return has(key)


# --- the same lists as JSON (docs/schema/export-1.schema.json) ------------------------------------------

EXPORT_SCHEMA = "congress-export/1"


def export_json(sheets: Sequence[Sheet], *, kind: str, title: str, created: datetime) -> dict[str, Any]:
    """An export's sheets as JSON for county systems: the same columns and rows as the .xlsx, a date as
    YYYY-MM-DD, nothing recorded as null (schema congress-export/1)."""
    out = []
    for sheet in sheets:
        rows = [list(row) for row in sheet.rows]
        columns = []
        for j, column in enumerate(sheet.columns):
            values = [row[j] for row in rows if j < len(row) and row[j] is not None]
            kind_of = "date" if values and all(isinstance(v, date) for v in values) else (
                "number" if column.kind == "number" else "text")
            columns.append({"title": column.title, "type": kind_of})
        out.append({"name": sheet.name, "title": sheet.title, "columns": columns,
                    "rows": [[_json_cell(v) for v in row] for row in rows], "notes": list(sheet.notes)})
    from congress.ical.builder import TZ

    stamp = created if created.tzinfo else created.replace(tzinfo=TZ)  # a naive time is Beijing time
    return {"schema": EXPORT_SCHEMA, "kind": kind, "title": title,
            "created": stamp.replace(microsecond=0).isoformat(), "sheets": out}


def _json_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
