"""Files staff hand in between sessions: suggestions, resolution follow-up items, letters and visits,
training, reports to voters. CSV (UTF-8 or GBK) or an .xlsx workbook; every problem names the file and
the line (in a workbook: the sheet, the row and the column); nothing here writes anywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from congress import limits
from congress.errors import InputError
from congress.inputs import CODE_CHARS, YES, _Collector, _read_csv, show
from congress.messages import msg
from congress.workbooks import problem_at

CODES_SPLIT = re.compile(r"[、,，;；\s]+")

# key → (aliases (Chinese first), required, kind); kind: text | date | bool | int | codes
Spec = dict[str, tuple[tuple[str, ...], bool, str]]

SUGGESTION_COLUMNS: Spec = {
    "code": (("编号", "建议编号", "code"), True, "text"),
    "title": (("标题", "建议标题", "案由", "title"), True, "text"),
    "proposers": (("提出代表", "领衔代表", "提出代表编号", "proposers"), True, "codes"),
    "category": (("类别", "建议类别", "category"), False, "text"),
    "office": (("承办单位", "主办单位", "交办单位", "office"), True, "text"),
    "complex": (("难度较大", "complex"), False, "bool"),
    "text": (("内容", "建议内容", "text"), True, "text"),
    "raised_on": (("提出日期", "提出时间", "raised_on"), True, "date"),
}
# Follow-up items of adopted resolutions (决议落实事项), handed over like suggestions.
ITEM_COLUMNS: Spec = {
    "code": (("编号", "事项编号", "code"), True, "text"),
    "resolution": (("决议", "决议编号", "resolution"), True, "text"),
    "title": (("事项", "落实事项", "标题", "title"), True, "text"),
    "office": (("承办单位", "责任单位", "office"), True, "text"),
    "handed_over_on": (("交办日期", "handed_over_on"), True, "date"),
    "due_on": (("办理期限", "办结期限", "due_on"), True, "date"),
    "text": (("内容", "具体要求", "text"), False, "text"),
}
PETITION_COLUMNS: Spec = {
    "code": (("编号", "code"), True, "text"),
    "received_on": (("收到日期", "received_on"), True, "date"),
    "channel": (("方式", "channel"), True, "text"),
    "person": (("来信来访人", "person"), True, "text"),
    "subject": (("事由", "subject"), True, "text"),
    "forwarded_to": (("转办单位", "forwarded_to"), False, "text"),
    "result": (("办理结果", "result"), False, "text"),
    "closed_on": (("办结日期", "closed_on"), False, "date"),
}
TRAINING_COLUMNS: Spec = {
    "code": (("编号", "code"), True, "text"),
    "held_on": (("日期", "held_on"), True, "date"),
    "title": (("名称", "title"), True, "text"),
    "organizer": (("主办单位", "organizer"), False, "text"),
    "place": (("地点", "place"), False, "text"),
    "hours": (("学时", "hours"), False, "text"),
    "attendees": (("参加代表", "attendees"), True, "codes"),
}
VOTER_REPORT_COLUMNS: Spec = {
    "code": (("编号", "code"), True, "text"),
    "deputy_code": (("代表编号", "deputy"), True, "code"),
    "held_on": (("日期", "held_on"), True, "date"),
    "place": (("地点", "place"), False, "text"),
    "voters": (("参加选民人数", "voters"), False, "int"),
    "summary": (("述职内容", "summary"), False, "text"),
    "evaluation": (("测评结果", "evaluation"), False, "text"),
}
CHANNELS = {"来信": "letter", "来访": "visit", "电话": "phone", "网络": "online", "letter": "letter",
            "visit": "visit", "phone": "phone", "online": "online"}
CHANNEL_CN = {"letter": "来信", "visit": "来访", "phone": "电话", "online": "网络"}


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


# Characters per column: the sizes of the columns the values are stored in (congress/models/followup.py,
# suggestion.py); free texts get MAX_TEXT_CHARS. Codes and offices end up in file names.
CELL_CHARS = {"code": CODE_CHARS, "deputy_code": CODE_CHARS, "title": 256, "category": 64, "office": 128,
              "channel": 16, "person": 64, "subject": 256, "forwarded_to": 128, "organizer": 128, "place": 256,
              "hours": 16, "evaluation": 64}
FILE_NAME_CELLS = {"code", "office"}
MAX_VOTERS = 10_000_000  # voters at one report to voters: far above any constituency
_DIGITS = re.compile(r"^[0-9]{1,9}$")


def load_rows(path: Path, spec: Spec, roster: set[str]) -> list[Row]:
    """The rows of a CSV or a workbook checked against the spec and the roster's codes; all problems raised
    together."""
    file_kind = "suggestions" if spec is SUGGESTION_COLUMNS else "items" if spec is ITEM_COLUMNS else "records"
    out, records, columns, _ = _read_csv(
        path, {k: (aliases, required) for k, (aliases, required, _) in spec.items()}, kind=file_kind)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for line, record in records:
        values: dict[str, Any] = {}
        for key, (aliases, required, kind) in spec.items():
            raw = record.get(columns.get(key, ""), "") if key in columns else ""
            where = out.cell(line, key)  # in a workbook: the cell
            if not raw:
                if required:
                    out.add(msg("input.empty_field", column=aliases[0]), line=where)
                values[key] = {"bool": False, "codes": [], "int": 0, "date": None}.get(kind, "")
                continue
            if kind in ("text", "code"):
                raw = out.check_text(raw, cap=CELL_CHARS.get(key, limits.MAX_TEXT_CHARS), line=where,
                                     file_name=key in FILE_NAME_CELLS, multiline=key not in CELL_CHARS)
            values[key] = _convert(out, where, aliases[0], raw, kind, roster) if raw else (
                "" if kind in ("text", "code") else None)
        code = values.get("code", "")
        if code in seen:
            out.add(msg("input.duplicate_key", key=show(code)) + msg("followup.first_seen", line=int(seen[code])),
                    line=out.cell(line, "code"))
        elif code:
            seen[code] = line
        rows.append(Row(line, values))
    if not rows:
        out.add(msg("followup.empty_file"))
    out.fail()
    return rows


def _convert(out: _Collector, line: int, column: str, raw: str, kind: str, roster: set[str]) -> Any:
    if kind == "date":
        try:
            day = parse_day(raw)
        except ValueError:
            out.add(msg("input.bad_value", value=show(raw), what=f"{column}（YYYY-MM-DD）"), line=line)
            return None
        low, high = limits.DATE_RANGE
        if not low <= day <= high:
            out.add(msg("inputs.out_of_range", value=day, low=low, high=high), line=line)
            return None
        return day
    if kind == "bool":
        return raw.lower() in YES
    if kind == "int":
        # only ASCII digits: str.isdigit() also accepts "²", which int() refuses
        if not _DIGITS.match(raw) or int(raw) > MAX_VOTERS:
            out.add(msg("input.bad_value", value=show(raw), what=f"{column}（0～{MAX_VOTERS}的整数）"), line=line)
            return 0
        return int(raw)
    if kind in ("codes", "code"):
        codes = [c for c in CODES_SPLIT.split(raw) if c]
        if len(codes) > limits.MAX_DEPUTIES:
            out.add(msg("inputs.too_many", count=len(codes), max=limits.MAX_DEPUTIES), line=line)
            return [] if kind == "codes" else ""
        for c in codes:
            if c not in roster:
                out.add(msg("input.unknown_deputy", code=show(c)), line=line)
        return codes if kind == "codes" else (codes[0] if codes else "")
    return raw


_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_day(text: str) -> date:
    """A date as offices write it: 2027-03-01, 2027/3/1, 2027.3.1, 2027年3月1日; ValueError otherwise."""
    match = _DAY.match(text.strip())
    if not match:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def item_problems(*, code: str, title: str, office: str, text: str, dates: tuple[date, ...] = ()) -> list[str]:
    """What is wrong with a resolution item typed on the command line or a form (empty when nothing)."""
    out = _Collector(Path("-"))
    fields = (("code", code, True), ("title", title, False), ("office", office, True), ("text", text, False))
    for key, value, file_name in fields:
        out.check_text(value, key, cap=CELL_CHARS.get(key, limits.MAX_TEXT_CHARS), file_name=file_name,
                       multiline=key == "text")
    low, high = limits.DATE_RANGE
    for day in dates:
        if not low <= day <= high:
            out.add(msg("inputs.out_of_range", value=day, low=low, high=high))
    return [f"{p.field}：{p.problem}" if p.field else p.problem for p in out.problems]


def fail_at(path: Path, problems: list[tuple[int | None, str]]) -> None:
    """Raise the problems found against the database (duplicates of stored records) with their lines."""
    if problems:
        raise InputError([problem_at(line, problem, _Collector(path).file) for line, problem in problems])
