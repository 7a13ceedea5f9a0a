"""Reading and validating what staff hand in: session file, roster, attendance, tallies.

Every problem names the file, the line (or field) and what is wrong; all problems of a file are
collected before raising, and nothing here writes anywhere. Files are untrusted: a file is read only
when it is a regular file no larger than its kind's cap (congress/limits.py), a file another file
names must lie inside the naming file's folder, YAML anchors and aliases are refused, unknown keys
are errors, and every number and text is bounded before anything is computed from it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from congress import limits, rules, workbooks
from congress.errors import InputError, Problem, display_path
from congress.holidays import is_rest_day
from congress.messages import msg
from congress.profiles import Profile, available_profiles, load_profile

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
SESSION_KINDS = ("regular", "extraordinary", "first_of_term")
OFFICES = ("chair", "vice_chair", "head", "deputy_head")
ROUND_KINDS = ("preliminary", "formal", "revote", "additional")

# Texts that end up in file names (a deputy's code and name, a resolution's title, an office): no path
# separators or control characters, and short enough in UTF-8 that "<prefix>-<text>.docx" and the
# writer's temporary ".<name>.XXXXXXXX.tmp" stay within the 255 bytes a file name may have.
FILE_NAME_BYTES = 120
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab (\x09) and line breaks are checked separately
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029\x85]")

KIND_CN = {"session": "会议文件", "roster": "代表名册", "attendance": "出席情况文件", "tallies": "计票结果文件",
           "suggestions": "建议文件", "items": "决议落实事项文件", "records": "登记文件",
           "meeting": "会议或活动文件", "template": "模板文件",
           "holidays": "节假日安排文件"}


# --- reading files -----------------------------------------------------------------------


class Refused(Exception):
    """A file was not read (missing, not a regular file, too large, outside its folder): the reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def size_text(n: int) -> str:
    """A byte count as staff read it (KB below one MB)."""
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return msg("inputs.file.directory")
    if stat.S_ISFIFO(mode):
        return msg("inputs.file.fifo")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return msg("inputs.file.device")
    return msg("inputs.file.special")


def read_capped(path: Path, *, kind: str) -> bytes:
    """The bytes of a regular file of at most the kind's cap; raises Refused without reading otherwise.

    The size is checked on the file's metadata first and the read stops at cap + 1 bytes, so a
    device (/dev/zero), a FIFO or a huge file costs nothing; the opened file must be the one checked.
    """
    cap = limits.MAX_FILE_BYTES[kind]
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise Refused(msg("input.not_found")) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise Refused(msg("inputs.file.unreadable", reason=getattr(exc, "strerror", None) or type(exc).__name__)) from None
    if not stat.S_ISREG(before.st_mode):
        raise Refused(msg("inputs.file.not_regular", what=_not_regular(before.st_mode)))
    too_large = msg("inputs.file.too_large", size=size_text(max(before.st_size, cap + 1)), kind=KIND_CN[kind],
                    cap=size_text(cap))
    if before.st_size > cap:
        raise Refused(too_large)
    try:
        # O_NONBLOCK: should a FIFO be swapped in after the check, opening it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Refused(msg("inputs.file.unreadable", reason=exc.strerror or type(exc).__name__)) from None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise Refused(msg("inputs.file.changed"))
        chunks: list[bytes] = []
        remaining = cap + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise Refused(msg("inputs.file.unreadable", reason=exc.strerror or type(exc).__name__)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:
        raise Refused(too_large)
    return data


def read_input(path: Path, *, kind: str) -> bytes:
    """The bytes of an input file given by the user (`read_capped`), a refusal as an InputError naming it."""
    try:
        return read_capped(Path(path), kind=kind)
    except Refused as exc:
        raise InputError([Problem(display_path(Path(path)), exc.message)]) from None


def resolve_named(base_folder: Path, value: str) -> Path:
    """The file a value names, inside base_folder: absolute paths, `..` and links leading out are Refused."""
    text = str(value)
    if not text.strip() or _CONTROL.search(text) or _LINE_BREAK.search(text) or len(text.encode()) > 1024:
        raise Refused(msg("inputs.path.bad", value=show(text)))
    if text.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", text) or Path(text).is_absolute():
        raise Refused(msg("inputs.path.absolute", value=show(text)))
    if ".." in re.split(r"[\\/]+", text):
        raise Refused(msg("inputs.path.parent", value=show(text)))
    try:
        folder = Path(base_folder).resolve()
        target = (folder / text).resolve()
    except (OSError, RuntimeError):  # a symbolic-link loop
        raise Refused(msg("inputs.path.bad", value=show(text))) from None
    if not target.is_relative_to(folder) or target == folder:
        raise Refused(msg("inputs.path.outside", value=show(text)))
    return target


def show(value: Any, limit: int = 40) -> str:
    """A value quoted back in a message, cut short: a message never carries a whole file."""
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, int | float | date) else str(value)
    text = _LINE_BREAK.sub(" ", _CONTROL.sub("", text))
    return text if len(text) <= limit else text[:limit] + "…"


_BOM = b"\xef\xbb\xbf"


def decode(raw: bytes, file: str) -> tuple[str, str]:
    """Text and encoding of a file's bytes: UTF-8 (BOM or not), else GBK/GB18030 as Excel writes it.

    A file that mixes the two (a GBK roster with one row pasted from a UTF-8 file, or the reverse)
    is refused naming the odd lines: decoded as either, those lines would be silently garbled.
    """
    if b"\x00" in raw:  # UTF-16/32 or a binary file
        raise InputError([Problem(file, msg("input.encoding"))])
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf8_lines, other_lines = [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8-sig" if number == 1 else "utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    if utf8_lines and other_lines:
        # The file is in the encoding of most of its lines (UTF-8 when it starts with a BOM); the others are odd.
        utf8_file = raw.startswith(_BOM) or len(utf8_lines) > len(other_lines)
        odd, file_enc, line_enc = ((other_lines, "UTF-8", "GBK") if utf8_file else (utf8_lines, "GBK", "UTF-8"))
        problems = [Problem(file, msg("inputs.encoding.mixed", file_encoding=file_enc, line_encoding=line_enc), n)
                    for n in odd[:10]]
        if len(odd) > 10:
            problems.append(Problem(file, msg("inputs.encoding.mixed_more", count=len(odd) - 10)))
        raise InputError(problems)
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise InputError([Problem(file, msg("input.encoding"))]) from None


def read_text(path: Path, *, kind: str, raw: bytes | None = None) -> tuple[str, str]:
    """File text and the encoding it was in (see `decode`); the file is read with its kind's cap."""
    path = Path(path)
    return decode(read_input(path, kind=kind) if raw is None else raw, display_path(path))


class _Lines:
    """Line numbers (1-based) of every mapping key and sequence item in a YAML document, by path."""

    def __init__(self, node: yaml.Node | None):
        self.by_path: dict[tuple[Any, ...], int] = {}
        self.duplicates: list[tuple[str, int]] = []  # a key given twice in one mapping: YAML keeps the last
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.by_path[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                child = (*path, key_node.value)
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        self.duplicates.append((str(key_node.value), key_node.start_mark.line + 1))
                    seen.add(key_node.value)
                self._walk(value_node, child)
                self.by_path[child] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def __call__(self, *path: Any) -> int | None:
        while path:
            if path in self.by_path:
                return self.by_path[path]
            path = path[:-1]
        return self.by_path.get(())


class _Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml when present) whose scalars fail as YAML errors with their line."""


class _BadScalar(yaml.constructor.ConstructorError):
    """A scalar YAML accepts but Python cannot hold (2026-13-45, a 5000-digit number): a Chinese problem."""


def _guarded(tag: str, what: str) -> None:
    base = _Loader.yaml_constructors[tag]

    def construct(loader: Any, node: yaml.Node) -> Any:
        try:
            return base(loader, node)
        except (ValueError, OverflowError):
            raise _BadScalar(None, None, msg("input.bad_value", value=show(node.value), what=what),
                             node.start_mark) from None

    _Loader.add_constructor(tag, construct)


_guarded("tag:yaml.org,2002:timestamp", "日期（YYYY-MM-DD）")
_guarded("tag:yaml.org,2002:int", "整数")
_guarded("tag:yaml.org,2002:float", "数字")


def _yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, _BadScalar):
        text = str(exc.problem)
    else:
        # the problem ("mapping values are not allowed here") says more than the context ("while scanning…")
        detail = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
        text = msg("input.yaml", error=show(detail, 120))
    return Problem(file, text, mark.line + 1 if mark is not None else None)


def _check_shape(text: str, file: str) -> None:
    """Refuse anchors and aliases (they expand exponentially: "billion laughs") and deep nesting."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputError([Problem(file, msg("inputs.yaml.alias"), line)])
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > limits.MAX_YAML_DEPTH:
                raise InputError([Problem(file, msg("inputs.yaml.too_deep", max=limits.MAX_YAML_DEPTH), line)])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def load_yaml(path: Path, *, kind: str = "meeting", raw: bytes | None = None) -> tuple[Any, _Lines]:
    """A YAML file's data and the line of every key, read within its kind's cap; no anchors or aliases."""
    path = Path(path)
    text, _ = read_text(path, kind=kind, raw=raw)
    file = display_path(path)
    try:
        _check_shape(text, file)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(file, exc)]) from None
    except RecursionError:
        raise InputError([Problem(file, msg("inputs.yaml.too_deep", max=limits.MAX_YAML_DEPTH))]) from None
    lines = _Lines(node)
    if lines.duplicates:
        raise InputError([Problem(file, msg("inputs.yaml.duplicate_key", key=show(key)), line)
                          for key, line in lines.duplicates[:20]])
    return data, lines


_WHAT = {str: "文字", int: "整数", date: "日期（YYYY-MM-DD）", list: "列表", dict: "字段组", bool: "是/否"}


class _Collector:
    """Collects problems of one file; `fail()` raises them all at once."""

    def __init__(self, path: Path, lines: _Lines | None = None):
        self.file = display_path(path)
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, problem: str, *path: Any, line: int | None = None) -> None:
        if line is None and self.lines is not None:
            line = self.lines(*path)
        field_name = ".".join(str(p) for p in path) if path else None
        self.problems.append(Problem(self.file, problem, line, field_name))

    def fail(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    # typed getters that record a problem and return a placeholder
    def get(self, data: Any, *path: Any, kind: type | tuple[type, ...] = str, required: bool = True,
            default: Any = None) -> Any:
        value = data
        for part in path:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                value = None
                break
        if value is None or value == "":
            if required:
                self.add(msg("input.required"), *path)
            return default
        if kind is date and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                self.add(msg("input.bad_value", value=show(value), what="日期（YYYY-MM-DD）"), *path)
                return default
        if (kind is date and isinstance(value, datetime)) or not isinstance(value, kind) or (
                kind is int and isinstance(value, bool)):
            label = _WHAT.get(kind, "值") if isinstance(kind, type) else "值"
            self.add(msg("input.bad_value", value=show(value), what=label), *path)
            return default
        if isinstance(value, date) and not limits.DATE_RANGE[0] <= value <= limits.DATE_RANGE[1]:
            low, high = limits.DATE_RANGE
            self.add(msg("inputs.out_of_range", value=value, low=low, high=high), *path)
            return default
        return value

    def text(self, data: Any, *path: Any, cap: int, required: bool = True, default: str = "",
             file_name: bool = False, multiline: bool = False) -> str:
        """A string of at most `cap` characters (one line unless multiline); file_name: safe in a file name."""
        value = self.get(data, *path, kind=str, required=required, default=default)
        return self.check_text(value, *path, cap=cap, file_name=file_name, multiline=multiline, default=default)

    def check_text(self, value: Any, *path: Any, cap: int, file_name: bool = False, multiline: bool = False,
                   default: str = "", line: int | None = None) -> str:
        if not isinstance(value, str) or value == default:
            return value if isinstance(value, str) else default
        if len(value) > cap:
            self.add(msg("inputs.too_long", length=len(value), max=cap), *path, line=line)
            return default
        if _CONTROL.search(value) or (not multiline and _LINE_BREAK.search(value)):
            self.add(msg("inputs.control_chars", value=show(value)), *path, line=line)
            return default
        if file_name and ("/" in value or "\\" in value or value.strip(". ") == ""
                          or len(value.encode()) > FILE_NAME_BYTES):
            self.add(msg("inputs.file_name_chars", value=show(value), max=FILE_NAME_BYTES // 3), *path, line=line)
            return default
        return value

    def number(self, data: Any, *path: Any, low: int, high: int, required: bool = True, default: int = 0) -> int:
        """A whole number within [low, high]; a negative count says so in the words staff know."""
        value = self.get(data, *path, kind=int, required=required, default=None)
        if value is None:
            return default
        if not low <= value <= high:
            negative = value < 0 and low == 0
            self.add(msg("input.negative") if negative else msg("inputs.out_of_range", value=show(value), low=low,
                                                                   high=high), *path)
            return default
        return value

    def items(self, data: Any, *path: Any, required: bool = False, cap: int = limits.MAX_LIST_ITEMS) -> list[Any]:
        """A list of at most `cap` items (a longer one is reported and cut)."""
        value = self.get(data, *path, kind=list, required=required, default=[]) or []
        if len(value) > cap:
            self.add(msg("inputs.too_many", count=len(value), max=cap), *path)
            return value[:cap]
        return value

    def codes(self, data: Any, *path: Any, required: bool = False) -> list[str]:
        """A list of roster codes (text or whole numbers)."""
        out = []
        for i, item in enumerate(self.items(data, *path, required=required, cap=limits.MAX_DEPUTIES)):
            if isinstance(item, bool) or not isinstance(item, str | int):
                self.add(msg("input.bad_value", value=show(item), what="代表编号"), *path, i)
                continue
            code = self.check_text(str(item), *path, i, cap=CODE_CHARS)
            if code:
                out.append(code)
        return out

    def unknown_keys(self, data: Any, schema: Any, *path: Any) -> None:
        """Report every key the schema does not know (schema: nested dicts, [item] for lists, None for a value)."""
        if isinstance(schema, dict) and isinstance(data, dict):
            for key, value in data.items():
                if key not in schema:
                    if path == ("township",) and key == "templates_dir":
                        self.add(msg("inputs.templates_dir"), *path, key)
                    else:
                        self.add(msg("inputs.unknown_key", key=show(key), keys="、".join(schema)), *path, key)
                elif schema[key] is not None:
                    self.unknown_keys(value, schema[key], *path, key)
        elif isinstance(schema, list) and isinstance(data, list):
            for i, item in enumerate(data[: limits.MAX_LIST_ITEMS]):
                self.unknown_keys(item, schema[0], *path, i)


CODE_CHARS = 32  # a deputy's code (代表编号), as the roster and every list of codes carry it


# --- CSV ---------------------------------------------------------------------------------

MAX_CSV_ROWS = max(limits.MAX_LIST_ITEMS, limits.MAX_DEPUTIES)

# key → (header variants as offices write them, the first as the templates do; required)
ROSTER_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "code": (("代表编号", "编号", "id"), True),
    "name": (("姓名", "代表姓名", "name"), True),
    "gender": (("性别", "gender"), False),
    "ethnicity": (("民族", "ethnicity"), False),
    "born": (("出生年月", "出生日期", "出生年月日", "born"), False),
    "group": (("代表小组", "所在小组", "所在代表小组", "小组", "group"), True),
    "constituency": (("选区", "所在选区", "选区名称", "constituency"), False),
    "phone": (("联系电话", "电话", "手机", "手机号码", "联系方式", "phone"), False),
    "occupation": (("职务", "工作单位及职务", "单位及职务", "工作单位", "occupation"), False),
    "status": (("状态", "代表状态", "status"), False),
}
# Characters per roster column: the sizes of the deputy table's columns (congress/models/township.py).
ROSTER_CHARS = {"code": CODE_CHARS, "name": 64, "gender": 8, "group": 64, "constituency": 64, "phone": 64,
                "occupation": 128, "status": 16}
# 民族 and 出生年月 are checked and kept on the roster (RosterRow); the deputy table has no column for them yet.
ROSTER_EXTRA_CHARS = {"ethnicity": 16, "born": 16}
STATUS_VALUES = {"在任": "active", "active": "active", "": "active", "终止": "ended", "ended": "ended"}


@dataclass(frozen=True)
class RosterRow:
    line: int
    code: str
    name: str
    gender: str
    group: str
    constituency: str
    phone: str
    occupation: str
    status: str
    ethnicity: str = ""
    born: str = ""  # YYYY-MM


@dataclass(frozen=True)
class Roster:
    path: Path
    encoding: str
    rows: list[RosterRow]
    raw: bytes = b""

    @property
    def codes(self) -> dict[str, RosterRow]:
        return {row.code: row for row in self.rows}

    @property
    def active(self) -> list[RosterRow]:
        return [row for row in self.rows if row.status == "active"]


def _csv_rows(path: Path, *, kind: str, raw: bytes | None = None
              ) -> tuple[list[tuple[int, dict[str, str]]], list[str], str]:
    """Rows of a CSV (line, column → stripped cell) within the kind's byte cap and MAX_LIST_ITEMS rows."""
    text, encoding = read_text(path, kind=kind, raw=raw)
    file = display_path(Path(path))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        for record in reader:
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise InputError([Problem(file, msg("inputs.too_many_rows", max=MAX_CSV_ROWS), reader.line_num)])
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}))
    except csv.Error as exc:  # a cell beyond the csv module's field limit, a stray quote at the end
        raise InputError([Problem(file, msg("inputs.csv", error=show(str(exc), 80)), reader.line_num)]) from None
    return rows, header, encoding


def _columns(header: list[str], spec: dict[str, tuple[tuple[str, ...], bool]], out: _Collector) -> dict[str, str]:
    found: dict[str, str] = {}
    lowered = {h.lower(): h for h in header}
    for key, (aliases, required) in spec.items():
        for alias in aliases:
            if alias.lower() in lowered:
                found[key] = lowered[alias.lower()]
                break
        else:
            if required:
                out.add(msg("input.missing_column", column=aliases[0], aliases="、".join(aliases)), line=1)
    return found


class _TableOut(_Collector):
    """Problems of the rows of a CSV or a workbook: in a workbook each names its sheet, row and column
    (the column from the path's first part, a spec key); in a CSV the message names the column, as before."""

    def __init__(self, path: Path, labels: dict[str, dict[str, str]] | None = None, lines: Any = None):
        super().__init__(path, lines)
        self.labels = labels or {}  # sheet (as problems name it) → spec key → “C列（出生年月）”
        self.order: dict[str, int] = {file: i for i, file in enumerate(self.labels)}  # sheets in workbook order

    def add(self, problem: str, *path: Any, line: int | None = None) -> None:
        if line is None and self.lines is not None:
            line = self.lines(*path)
        if isinstance(line, workbooks.SheetLine):
            column = line.column or (self.labels.get(line.file, {}).get(str(path[0])) if path else None)
            self.problems.append(workbooks.CellProblem(line.file, problem, int(line), column))
        elif self.lines is not None:
            super().add(problem, *path, line=line)
        else:
            super().add(problem, line=line)

    def cell(self, line: int, key: str) -> int:
        """The line of a row's value: in a workbook, the SheetLine of the key's cell (naming its column)."""
        if isinstance(line, workbooks.SheetLine) and line.column is None:
            return line.at(self.labels.get(line.file, {}).get(key))
        return line

    def fail(self) -> None:
        # a workbook's problems in the order of its sheets and rows (cell problems are found first)
        if any(isinstance(p, workbooks.CellProblem) for p in self.problems):
            self.problems.sort(key=lambda p: (p.line is None, self.order.get(p.file, len(self.order)), p.file,
                                              p.line or 0))
        super().fail()


def _read_csv(path: Path, spec: dict[str, tuple[tuple[str, ...], bool]], *, kind: str, raw: bytes | None = None
              ) -> tuple[_TableOut, list[tuple[int, dict[str, str]]], dict[str, str], str]:
    """The rows of a CSV, or of a workbook's sheets that have the spec's header (encoding "xlsx"), with
    the spec's columns located; a missing required column fails at once.

    A workbook's records are keyed by spec key (two of its columns may carry the same header) and its
    line numbers are `workbooks.SheetLine`s, so a problem added with the key names the cell.
    """
    path = Path(path)
    raw = read_input(path, kind=kind) if raw is None else raw
    if workbooks.is_workbook(path, raw):
        tables, problems = workbooks.read_tables(raw, spec, display=display_path(path))
        out = _TableOut(path, {t.file: {key: t.label(key) for key in t.columns} for t in tables})
        out.problems.extend(problems)
        records: list[tuple[int, dict[str, str]]] = [(line, dict(values)) for t in tables for line, values in t.rows]
        columns = {key: key for key in spec if any(key in t.columns for t in tables)}
        return out, records, columns, "xlsx"
    out = _TableOut(path)
    records, header, encoding = _csv_rows(path, kind=kind, raw=raw)
    columns = _columns(header, spec, out)
    out.fail()
    return out, records, columns, encoding


_BORN = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?(?:\s*[-./]?\s*(\d{1,2})\s*日?)?$")
_BORN_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


def born_month(text: str) -> tuple[str | None, str | None]:
    """(YYYY-MM, None) from 出生年月 as offices write it (1975.03, 1975年3月, 1975-03-01, 197503), or
    (None, the problem). A number cell 1975.1 is refused: Excel shows 1975.10 (October) as 1975.1 too."""
    value = text.strip()
    if getattr(text, "from_number", False) and re.fullmatch(r"\d{4}\.1", value):
        return None, msg("data.born.ambiguous", value=show(value), year=value[:4])
    match = _BORN.match(value) or _BORN_DIGITS.match(value)
    if not match:
        return None, msg("data.born.format", value=show(value))
    year, month, day = int(match[1]), int(match[2]), int(match[3]) if match[3] else 1
    try:
        date(year, month, day)
    except ValueError:
        return None, msg("data.born.format", value=show(value))
    if not 1900 <= year <= limits.DATE_RANGE[1].year:
        return None, msg("data.born.format", value=show(value))
    return f"{year:04d}-{month:02d}", None


# --- roster ------------------------------------------------------------------------------


def load_roster(path: Path, *, raw: bytes | None = None) -> Roster:
    """The deputies of a term from a CSV or .xlsx roster; duplicates and empty required cells are rejected."""
    path = Path(path)
    raw = read_input(path, kind="roster") if raw is None else raw
    out, records, columns, encoding = _read_csv(path, ROSTER_COLUMNS, kind="roster", raw=raw)
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        values = {}
        for key, column in columns.items():
            cap = ROSTER_CHARS.get(key) or ROSTER_EXTRA_CHARS[key]
            values[key] = out.check_text(record.get(column, ""), key, cap=cap, line=line,
                                         file_name=key in ("code", "name"))
        for key in ("code", "name", "group"):
            if not record.get(columns.get(key, ""), ""):
                out.add(msg("input.empty_field", column=ROSTER_COLUMNS[key][0][0]), key, line=line)
        code = values.get("code", "")
        if code and code in seen:
            out.add(msg("input.duplicate_id", code=show(code), first=int(seen[code])), "code", line=line)
        elif code:
            seen[code] = line
        status = STATUS_VALUES.get(values.get("status", ""))
        if status is None:
            out.add(msg("input.bad_value", value=show(values.get("status")), what="状态（在任/终止）"), "status",
                    line=line)
            status = "active"
        born = ""
        if values.get("born"):
            born, problem = born_month(record.get(columns["born"], ""))
            if problem:
                out.add(problem, "born", line=line)
        rows.append(RosterRow(
            line=line, code=code, name=values.get("name", ""), gender=values.get("gender", ""),
            group=values.get("group", ""), constituency=values.get("constituency", ""),
            phone=values.get("phone", ""), occupation=values.get("occupation", ""), status=status,
            ethnicity=values.get("ethnicity", ""), born=born or "",
        ))
    if not rows:
        out.add(msg("input.empty_roster"))
    out.fail()
    return Roster(path=path, encoding=encoding, rows=rows, raw=raw)


# --- session file ------------------------------------------------------------------------


@dataclass
class SittingSpec:
    key: str
    kind: str
    day: date
    start: str
    end: str
    title: str
    place: str
    chair: str | None = None  # the roster code of the 执行主席 (preparatory and plenary sittings)


@dataclass
class ReportSpec:
    key: str
    kind: str
    title: str
    reporter: str
    reporter_title: str
    resolution: str | None
    deliberation: list[str]


@dataclass
class CandidateSpec:
    name: str
    gender: str
    born: str
    title: str
    code: str | None = None  # roster code when the candidate is a deputy
    ethnicity: str = ""  # 民族 (a deputy's is the roster's when the session file does not say)
    nominated_by: str = "presidium"  # presidium | deputies (LOL 第二十六条)
    nominators: list[str] = field(default_factory=list)  # the deputies of a joint nomination


@dataclass
class ElectionSpec:
    key: str
    office: str
    title: str
    kind: str
    seats: int
    extra_candidates: int
    nominated_by: str  # the candidates' nominations summed up: presidium | deputies | mixed
    nominators: list[str]
    candidates: list[CandidateSpec]
    preliminary: bool = False
    incumbents: int = 0  # holders of the office who stay in it (a by-election)
    sitting: str | None = None  # the key of the sitting that votes


@dataclass
class SuggestionSpec:
    code: str
    title: str
    proposers: list[str]
    category: str
    office: str
    complex: bool
    text: str


@dataclass
class SessionSpec:
    """A validated session file with its roster."""

    path: Path
    sha256: str
    township: dict[str, Any]
    term: dict[str, int]
    officers: list[dict[str, str]]
    session: dict[str, Any]
    sittings: list[SittingSpec]
    reports: list[ReportSpec]
    elections: list[ElectionSpec]
    motions: list[dict[str, Any]]
    suggestions: list[SuggestionSpec]
    roster: Roster
    profile: Profile
    warnings: list[str] = field(default_factory=list)
    # the first session of a term: election committee, credentials report, credentials committee
    first_term: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.township['code']}-{self.term['ordinal']}-{self.session['ordinal']}"


def _fields(*names: str) -> dict[str, None]:
    return dict.fromkeys(names)


_PLACE_TIME = _fields("date", "time", "place")
# Every key a session file may hold (None: a value; [schema]: a list of items); anything else is an error.
SESSION_KEYS: dict[str, Any] = {
    "township": {**_fields("code", "name", "county", "profile", "party_committee", "presidium_name",
                           "government_name", "doc_prefix", "government_doc_prefix", "party_doc_prefix", "issuer",
                           "letterhead"), "contact": _fields("name", "phone")},
    "term": _fields("ordinal", "start_year", "election_date", "population", "deputy_quota", "quota_extra",
                    "large_township"),
    "roster": None,
    "officers": [_fields("name", "title", "organ")],
    "session": {
        **_fields("kind", "ordinal", "venue", "plan_date"), "presidium_meeting": _PLACE_TIME,
        **_fields("notice_date", "materials_date"), "checkin": _PLACE_TIME,
        **_fields("opening_date", "closing_date", "presidium", "proposers", "executive_chairs", "ballot_votes"),
        "nomination_deadline": _fields("date", "time"),
        "schedule": [_fields("key", "kind", "day", "date", "start", "end", "title", "place", "chair")],
        # the session presidium's arrangements (congress/lifecycle/presidium.py)
        "secretary_general": None, "scrutineers": _fields("chief", "members", "tellers"),
        "attendees": [_fields("name", "title")], "groups": [_fields("name", "convenors")],
        "presidium_meetings": {"first": _PLACE_TIME, "second": _PLACE_TIME},
    },
    "first_term": {"election_committee": None, "credentials_report": _fields("date", "by"), "confirmed_on": None,
                   "credentials_committee": _fields("chair", "vice_chairs", "members")},
    "reports": [_fields("key", "kind", "title", "reporter", "resolution", "deliberation")],
    "elections": [{**_fields("key", "office", "title", "kind", "seats", "extra_candidates", "nominated_by",
                             "nominators", "incumbents", "sitting"),
                   "candidates": [_fields("name", "gender", "ethnicity", "born", "title", "code", "nominated_by",
                                          "nominators")]}],
    "motions": [_fields("title", "sponsors", "target", "handling", "office")],
    "inquiries": [_fields("title", "sponsors", "target")],
    "suggestions": [_fields("code", "title", "proposers", "category", "office", "complex", "text")],
    "followup": _fields("handover_date"),
}
# Characters per text field: the sizes of the columns they are stored in (congress/models/); a report's
# title leaves room for the agenda item "审查和批准…" built from it.
TOWNSHIP_CHARS = {"code": 64, "name": 64, "county": 64, "profile": 32, "party_committee": 128,
                  "presidium_name": 128, "government_name": 128, "doc_prefix": 16}
KEY_CHARS = 64
NAME_CHARS = 64
TITLE_CHARS = 250
PLACE_CHARS = 256
OFFICE_CHARS = 128


MOTION_HANDLING = ("agenda", "refer")


def _ballot_votes(out: _Collector, data: Any, *, reports: list[ReportSpec],
                  motions: list[dict[str, Any]]) -> list[str]:
    """The keys of the votes taken by secret ballot (session.ballot_votes, on a 表决票): each one of the
    congress's own plenary votes; the preparatory meeting's (presidium list, agenda) go by a show of hands."""
    keys = out.items(data, "session", "ballot_votes")
    raised = [m for m in motions if m["kind"] == "motion"]
    known = {f"resolution-{r.key}" for r in reports if r.resolution} | {"credentials-committee"}
    known |= {"motion-handling"} if raised else set()
    known |= {f"motion-{i + 1}" for i, m in enumerate(raised) if m.get("handling") == "agenda"}
    chosen: list[str] = []
    for i, key in enumerate(keys):
        if not isinstance(key, str) or not (key in known or key.startswith("election-measures")):
            out.add(msg("motions.input.ballot_vote", value=show(key), keys="、".join(sorted(known))),
                    "session", "ballot_votes", i)
        elif key not in chosen:
            chosen.append(key)
    return chosen


def _motion_handling(out: _Collector, data: Any, p: tuple[Any, ...]) -> dict[str, str]:
    """A motion's handling as the presidium decided it: put on the agenda, or handed to an office as a
    suggestion (the default, with the township government as the office)."""
    handling = out.text(data, *p, "handling", cap=16, required=False, default="refer")
    if handling not in MOTION_HANDLING:
        out.add(msg("motions.input.handling", value=show(handling), names="、".join(MOTION_HANDLING)), *p, "handling")
    office = out.text(data, *p, "office", cap=OFFICE_CHARS, required=False)
    if office and handling == "agenda":
        out.add(msg("motions.input.office_on_agenda"), *p, "office")
    return {"handling": handling, "office": office}


def _code(out: _Collector, data: Any, *path: Any, cap: int = KEY_CHARS) -> str:
    value = out.text(data, *path, cap=cap)
    if value and not CODE_RE.match(value):
        out.add(msg("input.bad_code", value=show(value)), *path)
    return value


def _time(out: _Collector, data: Any, *path: Any) -> str:
    value = out.get(data, *path, kind=(str, int), default="00:00")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        value = f"{value // 60:02d}:{value % 60:02d}"  # YAML 1.1 reads unquoted 09:00 as sexagesimal 540
    if not isinstance(value, str) or not TIME_RE.match(value):
        out.add(msg("input.bad_value", value=show(value), what="时间（HH:MM）"), *path)
        return "00:00"
    return value


def _choice(out: _Collector, data: Any, choices: Iterable[str], *path: Any, default: str) -> str:
    value = out.get(data, *path, kind=(str, int, float, bool, date), default=default)
    if not isinstance(value, str) or value not in choices:
        out.add(msg("input.bad_value", value=show(value), what="取值（" + " / ".join(choices) + "）"), *path)
        return default
    return value


def _roster_of(out: _Collector, path: Path, data: Any) -> Roster | None:
    """The roster the session file names, read only from the session file's own folder."""
    value = out.get(data, "roster", kind=str, default="roster.csv")
    if not isinstance(value, str):
        return None
    try:
        target = resolve_named(path.parent, value)
        raw = read_capped(target, kind="roster")
    except Refused as exc:
        out.add(msg("inputs.named_file", value=show(value), problem=exc.message), "roster")
        return None
    try:
        return load_roster(target, raw=raw)
    except InputError as exc:
        out.problems.extend(exc.problems)
        return None


def _township_documents(out: _Collector, data: Any) -> dict[str, Any]:
    """The township block's document settings: other organs' 发文字号 prefixes, 签发人, contact, 版头 types."""
    from congress.documents.numbers import LETTERHEAD_TYPES  # the documents package imports this module

    values: dict[str, Any] = {key: out.text(data, "township", key, cap=cap, required=False)
                              for key, cap in (("government_doc_prefix", 16), ("party_doc_prefix", 16),
                                               ("issuer", NAME_CHARS))}
    values["contact"] = {"name": out.text(data, "township", "contact", "name", cap=NAME_CHARS, required=False),
                         "phone": out.text(data, "township", "contact", "phone", cap=32, required=False)}
    values["letterhead"] = None  # not given: the default types
    if out.get(data, "township", "letterhead", kind=list, required=False, default=None) is not None:
        values["letterhead"] = []
        for i, name in enumerate(out.items(data, "township", "letterhead")):
            if isinstance(name, str) and name in LETTERHEAD_TYPES:
                values["letterhead"].append(name)
            else:
                out.add(msg("documents.letterhead.unknown", value=show(name), names="、".join(LETTERHEAD_TYPES)),
                        "township", "letterhead", i)
    return values


def load_session_file(path: Path) -> SessionSpec:
    """Parse and validate a session file and its roster against the province profile's rules."""
    path = Path(path)
    raw = read_input(path, kind="session")
    data, lines = load_yaml(path, kind="session", raw=raw)
    out = _Collector(path, lines)
    if not isinstance(data, dict):
        out.add(msg("inputs.shape", what="会议文件", expected="字段组（township、term、session ……）",
                    found=_type_cn(data)))
        out.fail()
    out.unknown_keys(data, SESSION_KEYS)

    township: dict[str, Any] = {key: out.text(data, "township", key, cap=cap, required=key != "county")
                                for key, cap in TOWNSHIP_CHARS.items() if key != "code"}
    township["code"] = _code(out, data, "township", "code", cap=TOWNSHIP_CHARS["code"])
    township["profile"] = township["profile"] or "national"
    township.update(_township_documents(out, data))
    profile = None
    if township["profile"] not in available_profiles():
        out.add(msg("input.unknown_profile", name=show(township["profile"]), names="、".join(available_profiles())),
                "township", "profile")
    else:
        profile = load_profile(township["profile"])
    term = {
        "ordinal": out.number(data, "term", "ordinal", low=1, high=limits.MAX_ORDINAL, default=1),
        "start_year": out.number(data, "term", "start_year", low=limits.YEAR_RANGE[0], high=limits.YEAR_RANGE[1],
                                 default=2000),
        "election_date": out.get(data, "term", "election_date", kind=date, required=False),
        "population": out.number(data, "term", "population", low=1, high=MAX_POPULATION, required=False,
                                 default=None),  # type: ignore[arg-type]
        "deputy_quota": out.number(data, "term", "deputy_quota", low=1, high=limits.MAX_DEPUTIES, required=False,
                                   default=None),  # type: ignore[arg-type]
        "quota_extra": bool(out.get(data, "term", "quota_extra", kind=bool, required=False, default=False)),
        "large_township": bool(out.get(data, "term", "large_township", kind=bool, required=False, default=False)),
    }
    officers = []
    for i, _ in enumerate(out.items(data, "officers")):
        title = out.text(data, "officers", i, "title", cap=NAME_CHARS)
        officers.append({"name": out.text(data, "officers", i, "name", cap=NAME_CHARS), "title": title,
                         "organ": _choice(out, data, ORGANS, "officers", i, "organ", default=organ_of(title))
                         if out.get(data, "officers", i, "organ", kind=(str, int), required=False) is not None
                         else organ_of(title)})

    s = ("session",)
    session = {
        "kind": _choice(out, data, SESSION_KINDS, *s, "kind", default="regular"),
        "ordinal": out.number(data, *s, "ordinal", low=1, high=limits.MAX_ORDINAL, default=1),
        "venue": out.text(data, *s, "venue", cap=PLACE_CHARS),
        "plan_date": out.get(data, *s, "plan_date", kind=date),
        "presidium_meeting_date": out.get(data, *s, "presidium_meeting", "date", kind=date),
        "presidium_meeting_time": _time(out, data, *s, "presidium_meeting", "time"),
        "presidium_meeting_place": out.text(data, *s, "presidium_meeting", "place", cap=PLACE_CHARS),
        "notice_date": out.get(data, *s, "notice_date", kind=date),
        "materials_date": out.get(data, *s, "materials_date", kind=date),
        "checkin_date": out.get(data, *s, "checkin", "date", kind=date),
        "checkin_time": _time(out, data, *s, "checkin", "time"),
        "checkin_place": out.text(data, *s, "checkin", "place", cap=PLACE_CHARS),
        "opening_date": out.get(data, *s, "opening_date", kind=date),
        "closing_date": out.get(data, *s, "closing_date", kind=date),
        "presidium": out.codes(data, *s, "presidium", required=True),
        "handover_date": out.get(data, "followup", "handover_date", kind=date, required=False),
        "proposers": out.codes(data, *s, "proposers"),
        "executive_chairs": out.codes(data, *s, "executive_chairs"),
        "nomination_deadline": out.get(data, *s, "nomination_deadline", "date", kind=date, required=False),
        "nomination_deadline_time": (_time(out, data, *s, "nomination_deadline", "time")
                                     if out.get(data, *s, "nomination_deadline", kind=dict, required=False)
                                     else None),
    }

    sittings: list[SittingSpec] = []
    seen_keys: set[str] = set()
    for i, raw_sitting in enumerate(out.items(data, *s, "schedule", required=True)):
        p = (*s, "schedule", i)
        day_field = "day" if isinstance(raw_sitting, dict) and "day" in raw_sitting else "date"
        sitting = SittingSpec(
            key=_code(out, data, *p, "key"),
            kind=_choice(out, data, ("preparatory", "plenary", "group"), *p, "kind", default="plenary"),
            day=out.get(data, *p, day_field, kind=date),
            start=_time(out, data, *p, "start"), end=_time(out, data, *p, "end"),
            title=out.text(data, *p, "title", cap=128),
            place=out.text(data, *p, "place", cap=PLACE_CHARS, required=False, default=session["venue"]),
            chair=out.text(data, *p, "chair", cap=CODE_CHARS, required=False) or None,
        )
        if sitting.key in seen_keys:
            out.add(msg("input.duplicate_key", key=sitting.key), *p, "key")
        seen_keys.add(sitting.key)
        sittings.append(sitting)

    roster = _roster_of(out, path, data)
    codes = roster.codes if roster else {}
    deputy_names = {row.name for row in roster.rows} if roster else set()

    def known(code_list: list[str], *p: Any) -> None:
        for j, code in enumerate(code_list):
            if roster and code not in codes:
                out.add(msg("input.unknown_deputy", code=show(code)), *p, j)

    known(session["presidium"], *s, "presidium")

    reports = []
    officer_titles = {o["name"]: o["title"] for o in officers}
    for i, _ in enumerate(out.items(data, "reports")):
        p = ("reports", i)
        reporter = out.text(data, *p, "reporter", cap=NAME_CHARS)
        if reporter and reporter not in officer_titles and reporter not in deputy_names and roster:
            out.add(msg("input.reporter_unknown", name=show(reporter)), *p, "reporter")
        reports.append(ReportSpec(
            key=_code(out, data, *p, "key"),
            kind=_choice(out, data, ("government_work", "budget", "presidium", "suggestions", "special", "other"),
                         *p, "kind", default="other"),
            title=out.text(data, *p, "title", cap=TITLE_CHARS),
            reporter=reporter,
            reporter_title=officer_titles.get(reporter, "代表"),
            resolution=out.text(data, *p, "resolution", cap=TITLE_CHARS, required=False, file_name=True) or None,
            deliberation=[out.check_text(x, *p, "deliberation", j, cap=limits.MAX_TEXT_CHARS, multiline=True)
                          if isinstance(x, str) else _not_text(out, x, *p, "deliberation", j)
                          for j, x in enumerate(out.items(data, *p, "deliberation"))],
        ))
    _duplicates(out, [r.key for r in reports], "reports")

    elections = []
    for i, _ in enumerate(out.items(data, "elections")):
        p = ("elections", i)
        candidates = []
        # the election's nominated_by / nominators: the default of each candidate that does not say its own
        default_by = "presidium"
        if out.get(data, *p, "nominated_by", kind=(str, int), required=False) is not None:
            default_by = _choice(out, data, ("presidium", "deputies"), *p, "nominated_by", default="presidium")
        default_nominators = out.codes(data, *p, "nominators")
        for j, _ in enumerate(out.items(data, *p, "candidates", required=True, cap=limits.MAX_CANDIDATES)):
            q = (*p, "candidates", j)
            candidates.append(_candidate(out, data, q, default_by, default_nominators))
        election = ElectionSpec(
            key=_code(out, data, *p, "key"),
            office=_choice(out, data, OFFICES, *p, "office", default="vice_chair"),
            title=out.text(data, *p, "title", cap=128),
            kind=_choice(out, data, ("general", "by_election"), *p, "kind", default="general"),
            seats=out.number(data, *p, "seats", low=1, high=limits.MAX_CANDIDATES, default=1),
            extra_candidates=out.number(data, *p, "extra_candidates", low=0, high=limits.MAX_CANDIDATES,
                                        required=False, default=1),
            nominated_by=_nominated_summary(candidates, default_by),
            nominators=default_nominators,
            candidates=candidates,
            incumbents=out.number(data, *p, "incumbents", low=0, high=limits.MAX_CANDIDATES, required=False,
                                  default=0),
            sitting=out.text(data, *p, "sitting", cap=KEY_CHARS, required=False) or None,
        )
        _duplicates(out, [c.name for c in candidates], *p, "candidates")
        known(default_nominators, *p, "nominators")
        for j, c in enumerate(candidates):
            known(c.nominators, *p, "candidates", j, "nominators")
            if c.code is not None:
                known([c.code], *p, "candidates", j, "code")
        if profile:
            check = rules.candidate_count(
                profile, subject=election.title, office=election.office, kind=election.kind,
                seats=election.seats, candidates=len(candidates), extra_candidates=election.extra_candidates,
            )
            if not check.ok:
                out.add(check.blocked_message(), *p, "candidates")
            election.preliminary = bool(check.detail.get("preliminary"))
        elections.append(election)
    _duplicates(out, [e.key for e in elections], "elections")

    motions = []
    for section, kind, rule in (("motions", "motion", "motion_sponsors"),
                                ("inquiries", "inquiry", "inquiry_sponsors")):
        for i, _ in enumerate(out.items(data, section)):
            p = (section, i)
            sponsors = out.codes(data, *p, "sponsors", required=True)
            title = out.text(data, *p, "title", cap=256)
            known(sponsors, *p, "sponsors")
            if profile:
                ended = [c for c in dict.fromkeys(sponsors) if roster and c in codes and codes[c].status != "active"]
                check = rules.sponsors_enough(profile, rule, subject=title, count=len(set(sponsors)) - len(ended),
                                              ended=ended)
                if not check.ok:
                    out.add(check.blocked_message(), *p, "sponsors")
            target = out.text(data, *p, "target", cap=OFFICE_CHARS, required=kind == "inquiry")
            motion = {"kind": kind, "title": title, "sponsors": sponsors, "target": target}
            if kind == "motion":  # the presidium's decision on it (LOL 第二十二条): docs/formats.md
                motion.update(_motion_handling(out, data, p))
            motions.append(motion)

    suggestions = []
    for i, _ in enumerate(out.items(data, "suggestions")):
        p = ("suggestions", i)
        proposers = out.codes(data, *p, "proposers", required=True)
        known(proposers, *p, "proposers")
        suggestions.append(SuggestionSpec(
            code=out.text(data, *p, "code", cap=CODE_CHARS, file_name=True),
            title=out.text(data, *p, "title", cap=256),
            proposers=proposers, category=out.text(data, *p, "category", cap=64, required=False),
            office=out.text(data, *p, "office", cap=OFFICE_CHARS, file_name=True),
            complex=bool(out.get(data, *p, "complex", kind=bool, required=False, default=False)),
            text=out.text(data, *p, "text", cap=limits.MAX_TEXT_CHARS, required=False, multiline=True),
        ))
    _duplicates(out, [x.code for x in suggestions], "suggestions")
    if suggestions and not session["handover_date"]:
        out.add(msg("input.required"), "followup", "handover_date")

    session["ballot_votes"] = _ballot_votes(out, data, reports=reports, motions=motions)
    first_term = _first_term(out, data, session["kind"])
    session.update(_presidium_arrangements(out, data, profile=profile, roster=roster, session=session,
                                           sittings=sittings, elections=elections))
    if profile and roster:
        _check_plan(out, data, profile=profile, roster=roster, term=term, officers=officers, session=session,
                    sittings=sittings, elections=elections, first_term=first_term)
    warnings: list[str] = []
    if not out.problems and profile:
        _check_dates(out, session, profile)
        warnings = rules.rest_day_warnings(
            {"开会日期": session["opening_date"], "报到日期": session["checkin_date"],
             "通知日期": session["notice_date"], "主席团会议日期": session["presidium_meeting_date"]},
            is_rest_day,
        )
    if roster and roster.encoding == "gbk":
        warnings.append(msg("inputs.gbk_detected", file=display_path(roster.path)))
    out.fail()
    assert roster is not None and profile is not None
    return SessionSpec(
        path=path, sha256=hashlib.sha256(raw + roster.raw).hexdigest(), township=township, term=term,
        officers=officers, session=session, sittings=sittings, reports=reports, elections=elections,
        motions=motions, suggestions=suggestions, roster=roster, profile=profile, warnings=warnings,
        first_term=first_term,
    )


# --- the session file: candidates, the plan's rules, the first session of a term ----------

ORGANS = ("government", "congress", "party", "other")
MAX_POPULATION = 10_000_000  # a township's population (the largest towns have about a million)


def organ_of(title: str) -> str:
    """Where an officer's post is, from the title: the congress (人大, 主席团), the party (党委, 书记), else
    the government — a state administrative organ (LOL 第十八条); `organ:` in the file says it otherwise."""
    if any(word in title for word in ("人大", "人民代表大会", "主席团")):
        return "congress"
    if any(word in title for word in ("党委", "书记")):
        return "party"
    return "government"


def _candidate(out: _Collector, data: Any, q: tuple[Any, ...], default_by: str,
               default_nominators: list[str]) -> CandidateSpec:
    """One candidate: who, whether a deputy (roster code), and who nominated them (the election's default)."""
    born = out.get(data, *q, "born", kind=(str, date), required=False, default="")
    by = default_by
    if out.get(data, *q, "nominated_by", kind=(str, int), required=False) is not None:
        by = _choice(out, data, ("presidium", "deputies"), *q, "nominated_by", default=default_by)
    nominators: list[str] = []
    if by == "deputies":
        given = out.get(data, *q, "nominators", kind=list, required=False)
        nominators = out.codes(data, *q, "nominators") if isinstance(given, list) else list(default_nominators)
    code = out.get(data, *q, "code", kind=(str, int), required=False)
    return CandidateSpec(
        name=out.text(data, *q, "name", cap=NAME_CHARS),
        gender=out.text(data, *q, "gender", cap=8, required=False),
        ethnicity=out.text(data, *q, "ethnicity", cap=16, required=False),
        born=out.check_text(born.isoformat() if isinstance(born, date) else born, *q, "born", cap=16),
        title=out.text(data, *q, "title", cap=256, required=False),
        code=(out.check_text(str(code), *q, "code", cap=CODE_CHARS) or None) if code is not None else None,
        nominated_by=by, nominators=nominators,
    )


def _nominated_summary(candidates: list[CandidateSpec], default: str) -> str:
    kinds = {c.nominated_by for c in candidates} or {default}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _first_term(out: _Collector, data: Any, kind: str) -> dict[str, Any]:
    """The first session of a term's own part: the election committee, the credentials report and its
    confirmation (EL 第四十七条), the credentials committee to adopt (LOL 第三十七条); required for that kind."""
    given = isinstance(data.get("first_term"), dict)
    if kind != "first_of_term":
        if given:
            out.add(msg("rules.input.first_term_only"), "first_term")
        return {}
    f = ("first_term",)
    report_date = out.get(data, *f, "credentials_report", "date", kind=date)
    confirmed_on = out.get(data, *f, "confirmed_on", kind=date)
    return {
        "election_committee": out.text(data, *f, "election_committee", cap=128),
        "credentials_report": {"date": report_date.isoformat() if isinstance(report_date, date) else None,
                               "by": out.text(data, *f, "credentials_report", "by", cap=128)},
        "confirmed_on": confirmed_on.isoformat() if isinstance(confirmed_on, date) else None,
        "credentials_committee": {
            "chair": [str(chair)] if (chair := out.get(data, *f, "credentials_committee", "chair",
                                                      kind=(str, int))) is not None else [],
            "vice_chairs": out.codes(data, *f, "credentials_committee", "vice_chairs"),
            "members": out.codes(data, *f, "credentials_committee", "members", required=True),
        },
    }


def _check_plan(out: _Collector, data: Any, *, profile: Profile, roster: Roster, term: dict[str, Any],
                officers: list[dict[str, str]], session: dict[str, Any], sittings: list[SittingSpec],
                elections: list[ElectionSpec], first_term: dict[str, Any]) -> None:
    """The plan against the rules that decide who may do what (docs/rules.md): the roster's size, the
    presidium, the first session of a term, an extraordinary session's proposers, the candidates and their
    nominations. Each refusal names the rule and its article, at the field it is about."""
    codes = roster.codes
    active = {row.code for row in roster.active}
    by_name: dict[str, list[str]] = {}
    for row in roster.active:
        by_name.setdefault(row.name, []).append(row.code)
    government = {o["name"]: o["title"] for o in officers if o["organ"] == "government" and o["name"]}
    s = ("session",)

    def refuse(check: rules.Check | None, *path: Any) -> None:
        if check is not None and not check.ok:
            out.add(check.blocked_message(), *path)

    def ended(code_list: list[str]) -> list[str]:
        return [c for c in dict.fromkeys(code_list) if c in codes and c not in active]

    refuse(rules.deputy_quota(profile, deputies=len(roster.active), population=term["population"],
                              quota=term["deputy_quota"], extra=term["quota_extra"]),
           "term", "deputy_quota" if term["deputy_quota"] is not None else "population")

    presidium = session["presidium"]
    if ended(presidium):
        refuse(rules.mandate_stands(profile, role="主席团成员", codes=ended(presidium)), *s, "presidium")
    refuse(rules.presidium_size(profile, members=len(set(presidium)), population=term["population"],
                                deputies=len(roster.active), large=term["large_township"]), *s, "presidium")
    members = {codes[c].name: c for c in presidium if c in codes}
    refuse(rules.not_in_government(profile, "presidium_incompatible",
                                   holders={n: government[n] for n in members if n in government}), *s, "presidium")
    if session["kind"] != "first_of_term":  # the first session's chair is yet to be elected
        sitting_chairs = [o["name"] for o in officers if o["organ"] == "congress" and "主席" in o["title"]
                          and "主席团" not in o["title"] and o["name"] in by_name]
        refuse(rules.chairs_in_presidium(profile, missing=[n for n in sitting_chairs if n not in members]),
               *s, "presidium")
    refuse(rules.executive_chairs(profile, chairs=session["executive_chairs"], presidium=presidium)
           if session["executive_chairs"] else None, *s, "executive_chairs")

    if session["kind"] == "extraordinary" and session["proposers"]:
        stands = [c for c in dict.fromkeys(session["proposers"]) if c in active]
        refuse(rules.extraordinary_proposal(profile, proposers=len(stands), total=len(roster.active)), *s, "proposers")
    if (session["kind"] == "first_of_term") != (session["ordinal"] == 1):
        out.add(msg("rules.input.first_ordinal", kind=session["kind"], ordinal=session["ordinal"]), *s, "kind")
    if session["kind"] == "first_of_term":
        _check_first_term(out, profile=profile, term=term, session=session, first_term=first_term, codes=codes,
                          active=active)

    # candidates and nominations (LOL 第十八、二十六、二十七条)
    seats_by_office: dict[str, list[int]] = {}
    offices_of: dict[str, set[str]] = {}
    deadline = None
    if session["nomination_deadline"] is not None:
        deadline = datetime.combine(session["nomination_deadline"],
                                    datetime.strptime(session["nomination_deadline_time"] or "00:00", "%H:%M").time())
    elif session["kind"] == "first_of_term" and elections:
        out.add(msg("rules.input.deadline_required"), *s, "nomination_deadline")
    plenaries = {st.key: st for st in sittings if st.kind == "plenary"}
    for i, e in enumerate(elections):
        p = ("elections", i)
        seats_by_office.setdefault(e.office, []).append(i)
        chair_office = e.office in ("chair", "vice_chair")
        outsiders, holders = [], {}
        for j, c in enumerate(e.candidates):
            q = (*p, "candidates", j)
            if c.code is not None and c.code in codes and codes[c.code].name != c.name:
                out.add(msg("rules.input.code_name", code=c.code, name=c.name, roster=codes[c.code].name), *q, "code")
            deputy = (c.code in active) if c.code is not None else len(by_name.get(c.name, [])) == 1
            if c.code is not None and c.code in codes and c.code not in active:
                refuse(rules.mandate_stands(profile, role=f"{e.title}候选人", codes=[c.code]), *q, "code")
            elif chair_office and not deputy:
                outsiders.append(c.name)
            if chair_office and c.name in government:
                holders[c.name] = government[c.name]
            offices_of.setdefault(c.name, set()).add("congress" if chair_office else "government")
        if outsiders:
            refuse(rules.from_deputies(profile, subject=e.title, people=outsiders), *p, "candidates")
        refuse(rules.not_in_government(profile, "chair_incompatible", holders=holders, subject=e.title),
               *p, "candidates")
        nominees = [rules.Nomination(c.name, c.nominated_by, tuple(c.nominators)) for c in e.candidates]
        raw_candidates = data["elections"][i].get("candidates") or []
        for j, check in rules.nominations(profile, subject=e.title, seats=e.seats, nominees=nominees, active=active):
            own = j is not None and isinstance(raw_candidates[j], dict) and "nominators" in raw_candidates[j]
            # a candidate without nominators of its own carries the election's: the problem is there
            refuse(check, *(p if j is None else (*p, "candidates", j) if own else p),
                   "candidates" if j is None else "nominators")
        if e.sitting is not None and e.sitting not in plenaries:
            out.add(msg("rules.input.sitting", key=e.sitting, keys="、".join(plenaries) or "—"), *p, "sitting")
        vote_at = plenaries.get(e.sitting or "") or (list(plenaries.values())[-1] if plenaries else None)
        if deadline is not None and vote_at is not None:
            vote = datetime.combine(vote_at.day, datetime.strptime(vote_at.start, "%H:%M").time())
            refuse(rules.nomination_period(profile, subject=e.title, deadline=deadline, vote=vote),
                   *s, "nomination_deadline")
    for office, indexes in seats_by_office.items():
        seats = sum(elections[i].seats for i in indexes)
        incumbents = max(elections[i].incumbents for i in indexes)
        check = rules.office_seats(profile, subject=elections[indexes[0]].title, office=office, seats=seats,
                                   incumbents=incumbents)
        refuse(check, "elections", indexes[-1], "seats")
    both = sorted(name for name, kinds in offices_of.items() if len(kinds) > 1)
    if both:
        refuse(rules.not_in_government(profile, "chair_incompatible", holders={n: "乡镇长、副乡镇长候选人" for n in both},
                                       subject="主席、副主席"), "elections")


def _presidium_arrangements(out: _Collector, data: Any, *, profile: Profile | None, roster: Roster | None,
                            session: dict[str, Any], sittings: list[SittingSpec],
                            elections: list[ElectionSpec]) -> dict[str, Any]:
    """The session presidium's arrangements (congress/lifecycle/presidium.py): the 执行主席 of each sitting
    (LOL 第十九条), the 秘书长, the 总监票人/监票人/计票人 (EL 第四十三条), the 列席人员, the groups' 召集人
    and the dates of the presidium's first and second meetings. Each problem names its field."""
    s = ("session",)
    codes = roster.codes if roster else {}
    active = {row.code for row in roster.active} if roster else set()

    def deputy(code: str | None, *p: Any) -> None:
        if code and roster and code not in active:
            out.add(msg("input.unknown_deputy", code=show(code)), *p)

    presidium = session["presidium"]
    for i, st in enumerate(sittings):
        p = (*s, "schedule", i, "chair")
        if st.chair is None:
            continue
        if st.kind == "group":
            out.add(msg("presidium.input.chair_kind"), *p)
        elif roster and st.chair not in active:
            deputy(st.chair, *p)
        elif profile and st.kind == "plenary":
            check = rules.sitting_chair(profile, sitting=st.title, chair=st.chair, presidium=presidium)
            if not check.ok:
                out.add(check.blocked_message(), *p)
    secretary = out.text(data, *s, "secretary_general", cap=CODE_CHARS, required=False) or None
    deputy(secretary, *s, "secretary_general")

    scrutineers: dict[str, Any] = {}
    if isinstance(data.get("session"), dict) and data["session"].get("scrutineers") is not None:
        q = (*s, "scrutineers")
        chief = out.text(data, *q, "chief", cap=CODE_CHARS)
        members = out.codes(data, *q, "members", required=True)
        tellers = [out.check_text(x, *q, "tellers", j, cap=NAME_CHARS) if isinstance(x, str)
                   else _not_text(out, x, *q, "tellers", j) for j, x in enumerate(out.items(data, *q, "tellers"))]
        if chief in members:
            out.add(msg("presidium.input.chief_twice", code=chief), *q, "members")
        for j, code in enumerate(members):
            if code in members[:j]:
                out.add(msg("presidium.input.scrutineer_twice", code=code), *q, "members", j)
        if profile and roster:
            watchers = [c for c in [chief, *members] if c]
            names = [codes[c].name for c in watchers if c in codes]
            candidates = [c.name for e in elections for c in e.candidates]
            candidates += [codes[c.code].name for e in elections for c in e.candidates if c.code in codes]
            check = rules.scrutineers(profile, deputies=names, tellers=tellers, candidates=candidates,
                                      not_deputies=[c for c in watchers if c not in active])
            if not check.ok:
                out.add(check.blocked_message(), *q)
        scrutineers = {"chief": chief, "members": members, "tellers": tellers}

    attendees = [{"name": out.text(data, *s, "attendees", i, "name", cap=NAME_CHARS),
                  "title": out.text(data, *s, "attendees", i, "title", cap=OFFICE_CHARS)}
                 for i, _ in enumerate(out.items(data, *s, "attendees"))]

    convenors: dict[str, list[str]] = {}
    groups = list(dict.fromkeys(row.group for row in roster.active)) if roster else []
    for i, _ in enumerate(out.items(data, *s, "groups")):
        q = (*s, "groups", i)
        name = out.text(data, *q, "name", cap=64)
        members = out.codes(data, *q, "convenors", required=True)
        if roster and name and name not in groups:
            out.add(msg("presidium.input.unknown_group", name=show(name), names="、".join(groups)), *q, "name")
            continue
        for j, code in enumerate(members):
            if roster and code not in active:
                deputy(code, *q, "convenors", j)
            elif roster and codes[code].group != name:
                out.add(msg("presidium.input.convenor_outside", code=code, group=name), *q, "convenors", j)
        convenors[name] = members

    meetings: dict[str, Any] = {}
    start, end = session.get("opening_date"), session.get("closing_date")
    for which in ("first", "second"):
        q = (*s, "presidium_meetings", which)
        if out.get(data, *q, kind=dict, required=False) is None:
            continue
        day = out.get(data, *q, "date", kind=date)
        given_time = out.get(data, *q, "time", kind=(str, int), required=False) is not None
        meeting = {"date": day.isoformat() if isinstance(day, date) else None,
                   "time": _time(out, data, *q, "time") if given_time else "",
                   "place": out.text(data, *q, "place", cap=PLACE_CHARS)}
        # (a closing day before the opening day is reported on its own)
        if isinstance(day, date) and isinstance(start, date) and isinstance(end, date) and start <= end \
                and not start <= day <= end:
            out.add(msg("presidium.input.meeting_date", start=start.isoformat(), end=end.isoformat()), *q, "date")
        meetings[which] = meeting
    if "first" in meetings and "second" in meetings and meetings["first"]["date"] and meetings["second"]["date"] \
            and (meetings["second"]["date"], meetings["second"]["time"]) < (meetings["first"]["date"],
                                                                             meetings["first"]["time"]):
        out.add(msg("presidium.input.second_before_first"), *s, "presidium_meetings", "second", "date")
    return {"secretary_general": secretary, "scrutineers": scrutineers, "attendees": attendees,
            "group_convenors": convenors, "presidium_meetings": meetings}


def _check_first_term(out: _Collector, *, profile: Profile, term: dict[str, Any], session: dict[str, Any],
                      first_term: dict[str, Any], codes: dict[str, RosterRow], active: set[str]) -> None:
    """The first session of a term: within two months of the election (LOL 第二十条), the deputies' list
    confirmed before it (EL 第四十七条), the credentials committee it adopts (LOL 第三十七条)."""
    election_date, opening = term["election_date"], session["opening_date"]
    if election_date is None:
        out.add(msg("rules.input.election_date_required"), "term", "election_date")
    elif isinstance(opening, date):
        check = rules.first_session_timing(profile, election_date=election_date, opening_date=opening,
                                           is_rest_day=is_rest_day)
        if not check.ok:
            out.add(check.blocked_message(), "session", "opening_date")
        report, confirmed = first_term.get("credentials_report", {}).get("date"), first_term.get("confirmed_on")
        if report and confirmed:
            check = rules.credentials_timing(profile, election_date=election_date,
                                             report_date=date.fromisoformat(report),
                                             confirmed_on=date.fromisoformat(confirmed), opening_date=opening)
            if not check.ok:
                out.add(check.blocked_message(), "first_term", "confirmed_on")
    committee = first_term.get("credentials_committee") or {}
    if committee:
        people = [*committee["chair"], *committee["vice_chairs"], *committee["members"]]
        path = ("first_term", "credentials_committee")
        for code in people:
            if code not in codes:
                out.add(msg("input.unknown_deputy", code=show(code)), *path)
        gone = [c for c in dict.fromkeys(people) if c in codes and c not in active]
        if gone:
            out.add(rules.mandate_stands(profile, role="代表资格审查委员会组成人员", codes=gone).blocked_message(), *path)
        check = rules.credentials_committee(profile, chair=(committee["chair"] or [None])[0],
                                            vice_chairs=committee["vice_chairs"], members=committee["members"],
                                            presidium=session["presidium"])
        if not check.ok:
            out.add(check.blocked_message(), *path)


def _not_text(out: _Collector, value: Any, *path: Any) -> str:
    out.add(msg("input.bad_value", value=show(value), what="文字"), *path)
    return ""


def _type_cn(value: Any) -> str:
    return {list: "列表", str: "文字", int: "数字", float: "数字", bool: "是/否", type(None): "空"}.get(
        type(value), "其他值")


def _duplicates(out: _Collector, keys: list[str], *path: Any) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key and key in seen:
            out.add(msg("input.duplicate_key", key=show(key)), *path, i)
        seen.add(key)


def _check_dates(out: _Collector, session: dict[str, Any], profile: Profile) -> None:
    order = [
        ("plan_date", "会议方案日期"), ("presidium_meeting_date", "主席团会议日期"), ("notice_date", "通知日期"),
        ("materials_date", "材料送达日期"), ("checkin_date", "报到日期"), ("opening_date", "开会日期"),
        ("closing_date", "闭会日期"),
    ]
    fields = {"presidium_meeting_date": ("session", "presidium_meeting", "date"),
              "checkin_date": ("session", "checkin", "date")}
    for (a, a_label), (b, b_label) in zip(order, order[1:], strict=False):
        if session[a] > session[b]:
            out.add(msg("input.date_order", first=a_label, a=session[a], second=b_label, b=session[b]),
                    *fields.get(b, ("session", b)))
    for check in rules.notice_timing(
        profile, kind=session["kind"], notice_date=session["notice_date"],
        materials_date=session["materials_date"], opening_date=session["opening_date"],
    ):
        if not check.ok:
            out.add(check.blocked_message(), "session", check.detail["field"])


# --- attendance --------------------------------------------------------------------------

ATTENDANCE_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "code": (("代表编号", "编号", "id"), True),
    "name": (("姓名", "代表姓名"), False),  # read for the workbook template's sake; the code decides
    "status": (("出席情况", "出席", "报到情况", "状态", "status"), True),
    "leave_approved": (("请假批准", "请假是否批准", "是否批准", "leave_approved"), False),
}
ATTENDANCE_VALUES = {"出席": "present", "present": "present", "请假": "leave", "leave": "leave",
                     "缺席": "absent", "absent": "absent"}
YES = {"是", "yes", "y", "true", "1", "批准", "已批准"}


@dataclass(frozen=True)
class AttendanceRow:
    line: int
    code: str
    status: str
    leave_approved: bool


def load_attendance(path: Path, roster: dict[str, str]) -> list[AttendanceRow]:
    """Attendance of every deputy (roster: code → name) from a CSV or .xlsx; every active deputy exactly once."""
    out, records, columns, _ = _read_csv(path, ATTENDANCE_COLUMNS, kind="attendance")
    rows: list[AttendanceRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        code = record.get(columns["code"], "")
        status_raw = record.get(columns["status"], "")
        status = ATTENDANCE_VALUES.get(status_raw.lower() if status_raw.isascii() else status_raw)
        if code not in roster:
            out.add(msg("input.unknown_deputy", code=show(code)), "code", line=line)
        if code in seen:
            out.add(msg("input.duplicate_id", code=show(code), first=int(seen[code])), "code", line=line)
        seen.setdefault(code, line)
        if status is None:
            out.add(msg("input.attendance_status", value=show(status_raw)), "status", line=line)
            continue
        approved = record.get(columns.get("leave_approved", ""), "").lower() in YES
        rows.append(AttendanceRow(line, code, status, approved))
    missing = [(code, name) for code, name in roster.items() if code not in seen]
    for code, name in missing[:20]:  # the whole roster missing would be a wall of lines; the count says the rest
        out.add(msg("input.attendance_missing", code=code, name=name))
    if len(missing) > 20:
        out.add(msg("inputs.attendance_missing_more", count=len(missing) - 20))
    out.fail()
    return rows


# --- tallies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteTally:
    key: str
    yes: int
    no: int
    abstain: int
    line: int | None


@dataclass(frozen=True)
class RoundTally:
    number: int
    kind: str
    ballots_issued: int
    ballots_returned: int
    ballots_void: int
    votes: dict[str, int]
    write_ins: dict[str, int]
    line: int | None
    # each candidate's 反对 and 弃权 marks (optional; the 计票报告 lists them beside the 赞成 votes)
    against: dict[str, int] = field(default_factory=dict)
    abstain: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ElectionTally:
    key: str
    rounds: list[RoundTally]
    defer_unfilled: bool
    line: int | None


@dataclass(frozen=True)
class Tallies:
    path: Path
    votes: dict[str, VoteTally]
    elections: dict[str, ElectionTally]


TALLY_PARTS = ("yes", "no", "abstain")
BALLOT_PARTS = ("ballots_issued", "ballots_returned", "ballots_void")
ROUND_KEYS = _fields("kind", *BALLOT_PARTS, "votes", "write_ins", "against", "abstain")
# per name: 赞成 (votes), 另选他人 (write_ins), and a candidate's 反对 and 弃权 marks
NAME_PARTS = ("votes", "write_ins", "against", "abstain")
TALLIES_KEYS: dict[str, Any] = {"votes": None, "elections": None}


def _yes_no_keys(data: Any) -> Any:
    """YAML 1.1 reads unquoted `yes:` / `no:` keys as booleans; give them back their names."""
    if isinstance(data, dict):
        names = {True: "yes", False: "no"}
        return {names.get(k, k) if isinstance(k, bool) else k: _yes_no_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_yes_no_keys(v) for v in data]
    return data


def _mapping(out: _Collector, data: Any, *path: Any, what: str, cap: int) -> dict[Any, Any]:
    """The mapping at path (absent: empty); another shape or too many entries is reported."""
    value = out.get(data, *path, kind=(dict, list, str, int, float, bool, date), required=False, default=None)
    if value is None:
        return {}
    if not isinstance(value, dict):
        out.add(msg("inputs.shape", what=".".join(map(str, path)), expected=what, found=_type_cn(value)), *path)
        return {}
    if len(value) > cap:
        out.add(msg("inputs.too_many", count=len(value), max=cap), *path)
        return dict(list(value.items())[:cap])
    return value


def _key(out: _Collector, key: Any, *path: Any, cap: int) -> str | None:
    if isinstance(key, bool) or not isinstance(key, str | int):
        out.add(msg("input.bad_value", value=show(key), what="名称"), *path)
        return None
    return out.check_text(str(key), *path, cap=cap) or None


def _check_marks(out: _Collector, q: tuple[Any, ...], ints: dict[str, int], tallied: dict[str, dict[str, int]]) -> None:
    """A candidate's 反对 and 弃权 are for a name on the ballot, and with its 赞成 fit the valid ballots: on a
    valid ballot each candidate is marked once at most (赞成, 反对 or 弃权)."""
    valid = max(ints["ballots_returned"] - ints["ballots_void"], 0)
    for part in ("against", "abstain"):
        for name in tallied[part]:
            if name not in tallied["votes"]:
                out.add(msg("inputs.marks.unknown", name=show(name), part={"against": "反对", "abstain": "弃权"}[part]),
                        *q, part, name)
    for name, yes in tallied["votes"].items():
        against, abstain = tallied["against"].get(name, 0), tallied["abstain"].get(name, 0)
        if yes + against + abstain > valid:
            out.add(msg("inputs.marks.over", name=show(name), yes=yes, against=against, abstain=abstain,
                        sum=yes + against + abstain, valid=valid), *q, "votes", name)


def load_tallies(path: Path) -> Tallies:
    """Parse a tallies file, YAML or .xlsx (shape and bounds; numbers are checked against the session when
    recorded)."""
    path = Path(path)
    raw = read_input(path, kind="tallies")
    out: _Collector
    if workbooks.is_workbook(path, raw):
        data, lines, out = _tallies_workbook(path, raw)
    else:
        data, lines = load_yaml(path, kind="tallies", raw=raw)
        out = _Collector(path, lines)
        data = _yes_no_keys(data if data is not None else {})
    if not isinstance(data, dict):
        out.add(msg("inputs.shape", what="计票结果文件", expected="字段组（votes、elections）", found=_type_cn(data)))
        out.fail()
    out.unknown_keys(data, TALLIES_KEYS)
    count = {"low": 0, "high": limits.MAX_DEPUTIES}
    votes: dict[str, VoteTally] = {}
    for raw_key, raw in _mapping(out, data, "votes", what="字段组（表决事项 → 票数）",
                                 cap=limits.MAX_LIST_ITEMS).items():
        key = _key(out, raw_key, "votes", raw_key, cap=96)
        p = ("votes", raw_key)
        if not isinstance(raw, dict):
            out.add(msg("inputs.shape", what=f"votes.{show(raw_key)}", expected="字段组（yes、no、abstain）",
                        found=_type_cn(raw)), *p)
            continue
        out.unknown_keys(raw, _fields(*TALLY_PARTS), *p)
        yes, no, abstain = (out.number(data, *p, part, **count) for part in TALLY_PARTS)
        if key:
            votes[key] = VoteTally(key, yes, no, abstain, line=lines(*p))
    elections: dict[str, ElectionTally] = {}
    for raw_key, raw in _mapping(out, data, "elections", what="字段组（选举 → 各轮计票）",
                                 cap=limits.MAX_LIST_ITEMS).items():
        key = _key(out, raw_key, "elections", raw_key, cap=KEY_CHARS)
        p = ("elections", raw_key)
        if not isinstance(raw, dict):
            out.add(msg("inputs.shape", what=f"elections.{show(raw_key)}", expected="字段组（rounds、defer_unfilled）",
                        found=_type_cn(raw)), *p)
            continue
        out.unknown_keys(raw, _fields("rounds", "defer_unfilled"), *p)
        rounds = []
        for i, raw_round in enumerate(out.items(data, *p, "rounds", required=True, cap=limits.MAX_ELECTION_ROUNDS)):
            q = (*p, "rounds", i)
            if not isinstance(raw_round, dict):
                out.add(msg("inputs.shape", what=f"第{i + 1}轮", expected="字段组", found=_type_cn(raw_round)), *q)
                continue
            out.unknown_keys(raw_round, ROUND_KEYS, *q)
            ints = {part: out.number(data, *q, part, **count) for part in BALLOT_PARTS}
            tallied: dict[str, dict[str, int]] = {}
            for part in NAME_PARTS:
                if part == "votes" and raw_round.get("votes") is None:
                    out.add(msg("input.required"), *q, part)
                mapping = _mapping(out, data, *q, part, what="字段组（姓名 → 票数）", cap=limits.MAX_CANDIDATES)
                tallied[part] = {}
                for name, n in mapping.items():
                    label = _key(out, name, *q, part, name, cap=NAME_CHARS)
                    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= limits.MAX_DEPUTIES:
                        out.add(msg("input.bad_value", value=show(n), what="票数"), *q, part, name)
                        n = 0
                    if label:
                        tallied[part][label] = n
            _check_marks(out, q, ints, tallied)
            rounds.append(RoundTally(
                number=i + 1,
                kind=_choice(out, data, ROUND_KINDS, *q, "kind", default="formal"),
                **ints, votes=tallied["votes"], write_ins=tallied["write_ins"], line=lines(*q),
                against=tallied["against"], abstain=tallied["abstain"],
            ))
        defer = bool(out.get(data, *p, "defer_unfilled", kind=bool, required=False, default=False))
        if key:
            elections[key] = ElectionTally(key, rounds, defer, lines(*p))
    out.fail()
    return Tallies(path=path, votes=votes, elections=elections)


# --- tallies as a workbook ---------------------------------------------------------------------------------

# One sheet (or several) of votes: a row per item voted on; one sheet per election round: the round's
# figures as label–value lines above a table of candidates (docs/formats.md, `congress templates workbook
# tallies --session KEY`).
VOTE_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "key": (("表决事项编号", "事项编号", "编号", "key"), True),
    "subject": (("表决事项", "事项"), False),
    "yes": (("赞成", "赞成票", "赞成票数", "yes"), True),
    "no": (("反对", "反对票", "反对票数", "no"), True),
    "abstain": (("弃权", "弃权票", "弃权票数", "abstain"), True),
}
CANDIDATE_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "name": (("候选人", "候选人姓名", "被选举人", "姓名"), True),
    "votes": (("得票数", "得票", "票数", "赞成票", "赞成票数", "votes"), True),
    "write_in": (("另选他人", "是否另选他人", "另选人", "write_in"), False),
    # a candidate's 反对 and 弃权 marks (optional; blank for a write-in)
    "against": (("反对票", "反对票数", "反对", "against"), False),
    "abstain": (("弃权票", "弃权票数", "弃权", "abstain"), False),
}
ROUND_LABELS: dict[str, tuple[str, ...]] = {
    "key": ("选举编号", "key"),
    "title": ("选举事项",),
    "number": ("轮次", "第几轮", "round"),
    "kind": ("轮次类别", "投票类别", "类别", "kind"),
    "ballots_issued": ("发出选票", "发出选票数", "发出票数", "ballots_issued"),
    "ballots_returned": ("收回选票", "收回选票数", "收回票数", "ballots_returned"),
    "ballots_void": ("无效票", "无效选票", "无效票数", "废票", "ballots_void"),
    "defer_unfilled": ("未选足名额留待下次会议另行选举", "留待下次会议另行选举", "defer_unfilled"),
}
ROUND_KIND_CN = {"preliminary": "预选", "formal": "正式选举", "revote": "重新投票", "additional": "另行选举"}
ROUND_KIND_VALUES = {**{cn: kind for kind, cn in ROUND_KIND_CN.items()}, "正式": "formal", "再次投票": "revote",
                     **{kind: kind for kind in ROUND_KINDS}}


class _Cells:
    """Where each value of a tallies workbook came from, by its path in the tallies data (as `_Lines` does
    for YAML): a SheetLine naming the sheet, the row and the column."""

    def __init__(self) -> None:
        self.by_path: dict[tuple[Any, ...], workbooks.SheetLine] = {}

    def put(self, line: workbooks.SheetLine, *path: Any) -> None:
        self.by_path[path] = line

    def __call__(self, *path: Any) -> int | None:
        while path:
            if path in self.by_path:
                return self.by_path[path]
            path = path[:-1]
        return None


def _count(text: str | None) -> Any:
    """A vote count typed as a number or stored as text (“52”, “５２”); anything else stays text to be reported."""
    if text is None or text == "":
        return None
    value = unicodedata.normalize("NFKC", str(text)).strip()
    return int(value) if re.fullmatch(r"-?\d{1,7}", value) else text


def _round_labels(table: workbooks.SheetTable) -> dict[str, tuple[Any, workbooks.SheetLine]]:
    """label key → (its value, where the value is) from the lines above a round's candidate table."""
    names = {workbooks.header_key(alias): key for key, aliases in ROUND_LABELS.items() for alias in aliases}
    found: dict[str, tuple[Any, workbooks.SheetLine]] = {}
    for row, cells in table.above():
        for i, cell in enumerate(cells[:-1]):
            key = names.get(workbooks.header_key(cell.value)) if isinstance(cell.value, str) else None
            if key is None or key in found:
                continue
            target = cells[i + 1]
            if isinstance(target.value, str) and workbooks.header_key(target.value) in names:
                continue  # the label's value is empty: the next cell is the next label
            where = workbooks.SheetLine(row, table.file, msg("data.workbook.column", letter=target.column_letter,
                                                             header=str(cell.value).strip("：: ")))
            try:
                value = workbooks.cell_text(target)
            except ValueError as exc:
                value = _CellError(str(exc))
            found[key] = (value, where)
    return found


class _CellError(str):
    """A label's value that could not be read (a formula): reported where the value is."""


def _tallies_workbook(path: Path, raw: bytes) -> tuple[dict[str, Any], _Cells, _Collector]:
    """The tallies data (the shape the YAML file has) of a workbook, each value located at its cell."""
    display = display_path(path)
    book = workbooks.Book(raw, display=display)
    vote_tables, problems = book.tables(VOTE_COLUMNS, required=False)
    round_tables, more = book.tables(CANDIDATE_COLUMNS, required=False)
    cells = _Cells()
    out = _TableOut(path, lines=cells)
    out.order = {workbooks.sheet_file(display, g.title): i for i, g in enumerate(book.grids)}
    out.problems += problems + more
    if not vote_tables and not round_tables:
        sheets = "、".join(f"“{g.title}”" for g in book.grids) or "—"
        raise InputError([Problem(display, msg("data.tallies.no_sheets", sheets=sheets))])
    votes: dict[str, Any] = {}
    for table in vote_tables:
        for line, values in table.rows:
            key = values.get("key", "")
            if not key:
                out.add(msg("input.empty_field", column="表决事项编号"), line=line.at(table.label("key")))
                continue
            if key in votes:
                out.add(msg("input.duplicate_key", key=show(key)), line=line.at(table.label("key")))
                continue
            votes[key] = {part: _count(values.get(part)) for part in TALLY_PARTS}
            cells.put(line.at(table.label("key")), "votes", key)
            for part in TALLY_PARTS:
                cells.put(line.at(table.label(part)), "votes", key, part)
    rounds: dict[str, list[tuple[Any, dict[str, Any], dict[tuple[Any, ...], workbooks.SheetLine]]]] = {}
    defer: dict[str, bool] = {}
    for table in round_tables:
        labels = _round_labels(table)
        header = workbooks.SheetLine(table.header_row, table.file)
        for key, (value, where) in labels.items():
            if isinstance(value, _CellError):
                out.add(str(value), line=where)
                labels[key] = (None, where)
        key_value, key_at = labels.get("key", (None, header))
        if not key_value:
            out.add(msg("data.tallies.no_election_key"), line=key_at)
            continue
        data: dict[str, Any] = {"votes": {}, "write_ins": {}, "against": {}, "abstain": {}}
        where: dict[tuple[Any, ...], workbooks.SheetLine] = {(): header}
        kind_value, kind_at = labels.get("kind", (None, header))
        data["kind"] = ROUND_KIND_VALUES.get(str(kind_value).strip(), "") if kind_value else "formal"
        if not data["kind"]:
            out.add(msg("input.bad_value", value=show(kind_value), what="轮次类别（" + " / ".join(
                ROUND_KIND_CN.values()) + "）"), line=kind_at)
            data["kind"] = "formal"
        where[("kind",)] = kind_at
        for part in BALLOT_PARTS:
            value, at = labels.get(part, (None, header))
            data[part] = _count(value)
            where[(part,)] = at
        for line, values in table.rows:
            name = values.get("name", "")
            if not name:
                out.add(msg("input.empty_field", column="候选人"), line=line.at(table.label("name")))
                continue
            part = "write_ins" if str(values.get("write_in", "")).lower() in YES else "votes"
            if name in data["votes"] or name in data["write_ins"]:
                out.add(msg("input.duplicate_key", key=show(name)), line=line.at(table.label("name")))
                continue
            data[part][name] = _count(values.get("votes")) if values.get("votes") else 0
            where[(part, name)] = line.at(table.label("votes"))
            for mark in ("against", "abstain"):
                if values.get(mark) not in (None, "") and part == "votes":
                    data[mark][name] = _count(values.get(mark))
                    where[(mark, name)] = line.at(table.label(mark))
        number, number_at = labels.get("number", (None, header))
        deferred, _ = labels.get("defer_unfilled", (None, header))
        defer[key_value] = defer.get(key_value, False) or str(deferred or "").lower() in YES
        rounds.setdefault(key_value, []).append((_count(number), data, {**where, ("number",): number_at}))
    elections: dict[str, Any] = {}
    for key, entries in rounds.items():
        numbers = [n for n, _, _ in entries]
        if any(not isinstance(n, int) for n in numbers) or sorted(numbers) != list(range(1, len(entries) + 1)):
            text = msg("data.tallies.round_numbers", key=show(key),
                       numbers="、".join(str(x if x is not None else "—") for x in numbers))
            # named on the sheets whose 轮次 is out of place: not a number, repeated, or past the last round
            for number, _, at in entries:
                if not isinstance(number, int) or numbers.count(number) > 1 or not 1 <= number <= len(entries):
                    out.add(text, line=at[("number",)])
            continue
        entries.sort(key=lambda e: e[0])
        elections[key] = {"rounds": [d for _, d, _ in entries], "defer_unfilled": defer[key]}
        cells.put(entries[0][2][()], "elections", key)
        for i, (_, _, at) in enumerate(entries):
            for sub, line in at.items():
                cells.put(line, "elections", key, "rounds", i, *sub)
    return {"votes": votes, "elections": elections}, cells, out

