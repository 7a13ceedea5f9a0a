"""Reading and validating what staff hand in: session file, roster, attendance, tallies.

Every problem names the file, the line (or field) and what is wrong; all problems of a file are
collected before raising, and nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from congress import rules
from congress.errors import InputError, Problem, display_path
from congress.holidays import is_rest_day
from congress.messages import msg
from congress.profiles import Profile, available_profiles, load_profile

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
SESSION_KINDS = ("regular", "extraordinary", "first_of_term")
OFFICES = ("chair", "vice_chair", "head", "deputy_head")
ROUND_KINDS = ("preliminary", "formal", "revote", "additional")


# --- reading files -----------------------------------------------------------------------


def read_text(path: Path) -> tuple[str, str]:
    """File text and the encoding it was in: UTF-8 (BOM or not) first, then GBK/GB18030 as Excel writes."""
    if not path.exists():
        raise InputError([Problem(display_path(path), msg("input.not_found"))])
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), "gbk" if encoding == "gb18030" else "utf-8"
        except UnicodeDecodeError:
            continue
    raise InputError([Problem(display_path(path), msg("input.encoding"))])


class _Lines:
    """Line numbers (1-based) of every mapping key and sequence item in a YAML document, by path."""

    def __init__(self, node: yaml.Node | None):
        self.by_path: dict[tuple[Any, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.by_path[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = (*path, key_node.value)
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


def load_yaml(path: Path) -> tuple[Any, _Lines]:
    text, _ = read_text(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError(
            [Problem(display_path(path), msg("input.yaml", error=str(exc).splitlines()[0]),
                     line + 1 if line is not None else None)]
        ) from exc
    return data, _Lines(node)


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
                self.add(msg("input.bad_value", value=value, what="日期（YYYY-MM-DD）"), *path)
                return default
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            what = {str: "文字", int: "整数", date: "日期（YYYY-MM-DD）", list: "列表", dict: "字段组", bool: "是/否"}
            label = what.get(kind, str(kind)) if isinstance(kind, type) else "值"
            self.add(msg("input.bad_value", value=value, what=label), *path)
            return default
        return value


# --- roster ------------------------------------------------------------------------------

ROSTER_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "code": (("代表编号", "编号", "id"), True),
    "name": (("姓名", "name"), True),
    "gender": (("性别", "gender"), False),
    "group": (("代表小组", "小组", "group"), True),
    "constituency": (("选区", "constituency"), False),
    "phone": (("联系电话", "电话", "phone"), False),
    "occupation": (("职务", "工作单位及职务", "occupation"), False),
    "status": (("状态", "status"), False),
}
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


@dataclass(frozen=True)
class Roster:
    path: Path
    encoding: str
    rows: list[RosterRow]

    @property
    def codes(self) -> dict[str, RosterRow]:
        return {row.code: row for row in self.rows}

    @property
    def active(self) -> list[RosterRow]:
        return [row for row in self.rows if row.status == "active"]


def _csv_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str], str]:
    text, encoding = read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = []
    for record in reader:
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}))
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


def _read_csv(path: Path, spec: dict[str, tuple[tuple[str, ...], bool]]
              ) -> tuple[_Collector, list[tuple[int, dict[str, str]]], dict[str, str], str]:
    """A CSV's rows with the spec's columns located; a missing required column fails at once."""
    out = _Collector(path)
    records, header, encoding = _csv_rows(path)
    columns = _columns(header, spec, out)
    out.fail()
    return out, records, columns, encoding


def load_roster(path: Path) -> Roster:
    """The deputies of a term from a CSV roster; duplicates and empty required cells are rejected."""
    out, records, columns, encoding = _read_csv(path, ROSTER_COLUMNS)
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        values = {key: record.get(column, "") for key, column in columns.items()}
        for key in ("code", "name", "group"):
            if not values.get(key):
                out.add(msg("input.empty_field", column=ROSTER_COLUMNS[key][0][0]), line=line)
        code = values.get("code", "")
        if code and code in seen:
            out.add(msg("input.duplicate_id", code=code, first=seen[code]), line=line)
        elif code:
            seen[code] = line
        status = STATUS_VALUES.get(values.get("status", ""))
        if status is None:
            out.add(msg("input.bad_value", value=values.get("status"), what="状态（在任/终止）"), line=line)
            status = "active"
        rows.append(RosterRow(
            line=line, code=code, name=values.get("name", ""), gender=values.get("gender", ""),
            group=values.get("group", ""), constituency=values.get("constituency", ""),
            phone=values.get("phone", ""), occupation=values.get("occupation", ""), status=status,
        ))
    if not rows:
        out.add(msg("input.empty_roster"))
    out.fail()
    return Roster(path=path, encoding=encoding, rows=rows)


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


@dataclass
class ElectionSpec:
    key: str
    office: str
    title: str
    kind: str
    seats: int
    extra_candidates: int
    nominated_by: str
    nominators: list[str]
    candidates: list[CandidateSpec]
    preliminary: bool = False


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

    @property
    def key(self) -> str:
        return f"{self.township['code']}-{self.term['ordinal']}-{self.session['ordinal']}"


def _code(out: _Collector, data: Any, *path: Any) -> str:
    value = out.get(data, *path, default="")
    if value and not CODE_RE.match(str(value)):
        out.add(msg("input.bad_code", value=value), *path)
    return str(value)


def _time(out: _Collector, data: Any, *path: Any) -> str:
    value = out.get(data, *path, kind=(str, int), default="00:00")
    if isinstance(value, int):  # YAML 1.1 reads unquoted 09:00 as sexagesimal 540
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not TIME_RE.match(str(value)):
        out.add(msg("input.bad_value", value=value, what="时间（HH:MM）"), *path)
    return str(value)


def _choice(out: _Collector, data: Any, choices: Iterable[str], *path: Any, default: str) -> str:
    value = out.get(data, *path, default=default)
    if value not in choices:
        out.add(msg("input.bad_value", value=value, what="取值（" + " / ".join(choices) + "）"), *path)
        return default
    return str(value)


def load_session_file(path: Path) -> SessionSpec:
    """Parse and validate a session file and its roster against the province profile's rules."""
    path = Path(path)
    data, lines = load_yaml(path)
    out = _Collector(path, lines)
    if not isinstance(data, dict):
        out.add(msg("input.bad_value", value=type(data).__name__, what="会议文件"))
        out.fail()

    township = {
        "code": _code(out, data, "township", "code"),
        "name": out.get(data, "township", "name", default=""),
        "county": out.get(data, "township", "county", required=False, default=""),
        "profile": out.get(data, "township", "profile", default="national"),
        "party_committee": out.get(data, "township", "party_committee", default=""),
        "presidium_name": out.get(data, "township", "presidium_name", default=""),
        "government_name": out.get(data, "township", "government_name", default=""),
        "doc_prefix": out.get(data, "township", "doc_prefix", default=""),
        "templates_dir": out.get(data, "township", "templates_dir", required=False),
    }
    if township["templates_dir"]:
        township["templates_dir"] = str((path.parent / township["templates_dir"]).resolve())
    profile = None
    if township["profile"] not in available_profiles():
        out.add(msg("input.unknown_profile", name=township["profile"], names="、".join(available_profiles())),
                "township", "profile")
    else:
        profile = load_profile(township["profile"])
    term = {
        "ordinal": out.get(data, "term", "ordinal", kind=int, default=1),
        "start_year": out.get(data, "term", "start_year", kind=int, default=2000),
    }
    officers = []
    for i, _ in enumerate(out.get(data, "officers", kind=list, required=False, default=[])):
        officers.append({"name": out.get(data, "officers", i, "name", default=""),
                         "title": out.get(data, "officers", i, "title", default="")})

    s = ("session",)
    session = {
        "kind": _choice(out, data, SESSION_KINDS, *s, "kind", default="regular"),
        "ordinal": out.get(data, *s, "ordinal", kind=int, default=1),
        "venue": out.get(data, *s, "venue", default=""),
        "plan_date": out.get(data, *s, "plan_date", kind=date),
        "presidium_meeting_date": out.get(data, *s, "presidium_meeting", "date", kind=date),
        "presidium_meeting_time": _time(out, data, *s, "presidium_meeting", "time"),
        "presidium_meeting_place": out.get(data, *s, "presidium_meeting", "place", default=""),
        "notice_date": out.get(data, *s, "notice_date", kind=date),
        "materials_date": out.get(data, *s, "materials_date", kind=date),
        "checkin_date": out.get(data, *s, "checkin", "date", kind=date),
        "checkin_time": _time(out, data, *s, "checkin", "time"),
        "checkin_place": out.get(data, *s, "checkin", "place", default=""),
        "opening_date": out.get(data, *s, "opening_date", kind=date),
        "closing_date": out.get(data, *s, "closing_date", kind=date),
        "presidium": [str(c) for c in out.get(data, *s, "presidium", kind=list, default=[])],
        "handover_date": out.get(data, "followup", "handover_date", kind=date, required=False),
    }

    sittings: list[SittingSpec] = []
    seen_keys: set[str] = set()
    for i, raw in enumerate(out.get(data, *s, "schedule", kind=list, default=[])):
        p = (*s, "schedule", i)
        day_field = "day" if isinstance(raw, dict) and "day" in raw else "date"
        sitting = SittingSpec(
            key=_code(out, data, *p, "key"),
            kind=_choice(out, data, ("preparatory", "plenary", "group"), *p, "kind", default="plenary"),
            day=out.get(data, *p, day_field, kind=date),
            start=_time(out, data, *p, "start"), end=_time(out, data, *p, "end"),
            title=out.get(data, *p, "title", default=""),
            place=out.get(data, *p, "place", required=False, default=session["venue"]),
        )
        if sitting.key in seen_keys:
            out.add(msg("input.duplicate_key", key=sitting.key), *p, "key")
        seen_keys.add(sitting.key)
        sittings.append(sitting)

    roster_path = path.parent / str(out.get(data, "roster", default="roster.csv"))
    roster: Roster | None = None
    try:
        roster = load_roster(roster_path)
    except InputError as exc:
        out.problems.extend(exc.problems)
    codes = roster.codes if roster else {}
    deputy_names = {row.name for row in roster.rows} if roster else set()

    def known(code_list: list[str], *p: Any) -> None:
        for j, code in enumerate(code_list):
            if roster and code not in codes:
                out.add(msg("input.unknown_deputy", code=code), *p, j)

    known(session["presidium"], *s, "presidium")

    reports = []
    officer_titles = {o["name"]: o["title"] for o in officers}
    for i, _ in enumerate(out.get(data, "reports", kind=list, required=False, default=[])):
        p = ("reports", i)
        reporter = out.get(data, *p, "reporter", default="")
        if reporter and reporter not in officer_titles and reporter not in deputy_names and roster:
            out.add(msg("input.reporter_unknown", name=reporter), *p, "reporter")
        reports.append(ReportSpec(
            key=_code(out, data, *p, "key"),
            kind=_choice(out, data, ("government_work", "budget", "presidium", "suggestions", "special", "other"),
                         *p, "kind", default="other"),
            title=out.get(data, *p, "title", default=""),
            reporter=reporter,
            reporter_title=officer_titles.get(reporter, "代表"),
            resolution=out.get(data, *p, "resolution", required=False),
            deliberation=[str(x) for x in out.get(data, *p, "deliberation", kind=list, required=False, default=[])],
        ))
    _duplicates(out, [r.key for r in reports], "reports")

    elections = []
    for i, _ in enumerate(out.get(data, "elections", kind=list, required=False, default=[])):
        p = ("elections", i)
        candidates = []
        for j, _ in enumerate(out.get(data, *p, "candidates", kind=list, default=[])):
            candidates.append(CandidateSpec(
                name=out.get(data, *p, "candidates", j, "name", default=""),
                gender=out.get(data, *p, "candidates", j, "gender", required=False, default=""),
                born=str(out.get(data, *p, "candidates", j, "born", kind=(str, date), required=False, default="")),
                title=out.get(data, *p, "candidates", j, "title", required=False, default=""),
            ))
        election = ElectionSpec(
            key=_code(out, data, *p, "key"),
            office=_choice(out, data, OFFICES, *p, "office", default="vice_chair"),
            title=out.get(data, *p, "title", default=""),
            kind=_choice(out, data, ("general", "by_election"), *p, "kind", default="general"),
            seats=out.get(data, *p, "seats", kind=int, default=1),
            extra_candidates=out.get(data, *p, "extra_candidates", kind=int, required=False, default=1),
            nominated_by=_choice(out, data, ("presidium", "deputies"), *p, "nominated_by", default="presidium"),
            nominators=[str(c) for c in out.get(data, *p, "nominators", kind=list, required=False, default=[])],
            candidates=candidates,
        )
        _duplicates(out, [c.name for c in candidates], *p, "candidates")
        known(election.nominators, *p, "nominators")
        if profile:
            check = rules.candidate_count(
                profile, subject=election.title, office=election.office, kind=election.kind,
                seats=election.seats, candidates=len(candidates), extra_candidates=election.extra_candidates,
            )
            if not check.ok:
                out.add(check.blocked_message(), *p, "candidates")
            election.preliminary = bool(check.detail.get("preliminary"))
            if election.nominated_by == "deputies":
                check = rules.sponsors_enough(profile, "nomination_deputies", subject=election.title,
                                              count=len(set(election.nominators)))
                if not check.ok:
                    out.add(check.blocked_message(), *p, "nominators")
        elections.append(election)
    _duplicates(out, [e.key for e in elections], "elections")

    motions = []
    for section, kind, rule in (("motions", "motion", "motion_sponsors"),
                                ("inquiries", "inquiry", "inquiry_sponsors")):
        for i, _ in enumerate(out.get(data, section, kind=list, required=False, default=[])):
            p = (section, i)
            sponsors = [str(c) for c in out.get(data, *p, "sponsors", kind=list, default=[])]
            title = out.get(data, *p, "title", default="")
            known(sponsors, *p, "sponsors")
            if profile:
                check = rules.sponsors_enough(profile, rule, subject=title, count=len(set(sponsors)))
                if not check.ok:
                    out.add(check.blocked_message(), *p, "sponsors")
            target = out.get(data, *p, "target", required=kind == "inquiry", default="")
            motions.append({"kind": kind, "title": title, "sponsors": sponsors, "target": target})

    suggestions = []
    for i, _ in enumerate(out.get(data, "suggestions", kind=list, required=False, default=[])):
        p = ("suggestions", i)
        proposers = [str(c) for c in out.get(data, *p, "proposers", kind=list, default=[])]
        known(proposers, *p, "proposers")
        suggestions.append(SuggestionSpec(
            code=str(out.get(data, *p, "code", default="")), title=out.get(data, *p, "title", default=""),
            proposers=proposers, category=out.get(data, *p, "category", required=False, default=""),
            office=out.get(data, *p, "office", default=""),
            complex=bool(out.get(data, *p, "complex", kind=bool, required=False, default=False)),
            text=out.get(data, *p, "text", required=False, default=""),
        ))
    _duplicates(out, [x.code for x in suggestions], "suggestions")
    if suggestions and not session["handover_date"]:
        out.add(msg("input.required"), "followup", "handover_date")

    warnings: list[str] = []
    if not out.problems and profile:
        _check_dates(out, session, profile)
        warnings = rules.rest_day_warnings(
            {"开会日期": session["opening_date"], "报到日期": session["checkin_date"],
             "通知日期": session["notice_date"], "主席团会议日期": session["presidium_meeting_date"]},
            is_rest_day,
        )
    if roster and roster.encoding == "gbk":
        warnings.append(f"{display_path(roster.path)} 为GBK编码，已自动识别")
    out.fail()
    assert roster is not None and profile is not None
    return SessionSpec(
        path=path, sha256=_sha_of(path, roster.path), township=township, term=term, officers=officers,
        session=session, sittings=sittings, reports=reports, elections=elections, motions=motions,
        suggestions=suggestions, roster=roster, profile=profile, warnings=warnings,
    )


def _duplicates(out: _Collector, keys: list[str], *path: Any) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key and key in seen:
            out.add(msg("input.duplicate_key", key=key), *path, i)
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


def _sha_of(*paths: Path) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.read_bytes())
    return digest.hexdigest()


# --- attendance --------------------------------------------------------------------------

ATTENDANCE_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "code": (("代表编号", "编号", "id"), True),
    "status": (("出席情况", "状态", "status"), True),
    "leave_approved": (("请假批准", "leave_approved"), False),
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
    """Attendance of every deputy (roster: code → name); every active deputy exactly once."""
    out, records, columns, _ = _read_csv(path, ATTENDANCE_COLUMNS)
    rows: list[AttendanceRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        code = record.get(columns["code"], "")
        status_raw = record.get(columns["status"], "")
        status = ATTENDANCE_VALUES.get(status_raw.lower() if status_raw.isascii() else status_raw)
        if code not in roster:
            out.add(msg("input.unknown_deputy", code=code), line=line)
        if code in seen:
            out.add(msg("input.duplicate_id", code=code, first=seen[code]), line=line)
        seen.setdefault(code, line)
        if status is None:
            out.add(msg("input.attendance_status", value=status_raw), line=line)
            continue
        approved = record.get(columns.get("leave_approved", ""), "").lower() in YES
        rows.append(AttendanceRow(line, code, status, approved))
    for code, name in roster.items():
        if code not in seen:
            out.add(msg("input.attendance_missing", code=code, name=name))
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


def _yes_no_keys(data: Any) -> Any:
    """YAML 1.1 reads unquoted `yes:` / `no:` keys as booleans; give them back their names."""
    if isinstance(data, dict):
        names = {True: "yes", False: "no"}
        return {names.get(k, k) if isinstance(k, bool) else k: _yes_no_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_yes_no_keys(v) for v in data]
    return data


def load_tallies(path: Path) -> Tallies:
    """Parse a tallies file (shape only; numbers are checked against the session when recorded)."""
    data, lines = load_yaml(path)
    out = _Collector(path, lines)
    data = _yes_no_keys(data or {})
    votes: dict[str, VoteTally] = {}
    for key in (data.get("votes") or {}):
        p = ("votes", key)
        counts = [out.get(data, *p, part, kind=int, default=0) for part in ("yes", "no", "abstain")]
        for part, value in zip(("yes", "no", "abstain"), counts, strict=True):
            if value < 0:
                out.add(msg("input.negative"), *p, part)
        votes[str(key)] = VoteTally(str(key), *counts, line=lines(*p))
    elections: dict[str, ElectionTally] = {}
    for key in (data.get("elections") or {}):
        p = ("elections", key)
        rounds = []
        for i, _ in enumerate(out.get(data, *p, "rounds", kind=list, default=[])):
            q = (*p, "rounds", i)
            ints = {
                part: out.get(data, *q, part, kind=int, default=0)
                for part in ("ballots_issued", "ballots_returned", "ballots_void")
            }
            for part, value in ints.items():
                if value < 0:
                    out.add(msg("input.negative"), *q, part)
            tallied: dict[str, dict[str, int]] = {}
            for part in ("votes", "write_ins"):
                mapping = out.get(data, *q, part, kind=dict, required=part == "votes", default={}) or {}
                tallied[part] = {}
                for name, n in mapping.items():
                    if not isinstance(n, int) or n < 0:
                        out.add(msg("input.bad_value", value=n, what="票数"), *q, part, name)
                        n = 0
                    tallied[part][str(name)] = n
            rounds.append(RoundTally(
                number=i + 1,
                kind=_choice(out, data, ROUND_KINDS, *q, "kind", default="formal"),
                **ints, votes=tallied["votes"], write_ins=tallied["write_ins"], line=lines(*q),
            ))
        defer = bool(out.get(data, *p, "defer_unfilled", kind=bool, required=False, default=False))
        elections[str(key)] = ElectionTally(str(key), rounds, defer, lines(*p))
    out.fail()
    return Tallies(path=path, votes=votes, elections=elections)
