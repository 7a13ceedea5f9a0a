"""Mainland China's statutory rest days: the project's own arrangements by notice, then chinese-calendar.

The State Council publishes each year's arrangement in a notice (国务院办公厅关于XXXX年部分节假日安排的
通知, 国办发明电〔YYYY〕N号): the holidays and the adjusted working days (调休上班). A year's notice is
kept as a file in config/holidays/ (config/holidays/README.md gives the format), added with
`congress holidays add YEAR FILE`, and it wins over the chinese-calendar package for the days of that
year (and the days of the year before it lists, such as 12月31日 of a 元旦 holiday). The package (1.11)
knows the years up to 2026; for a year neither knows, every function here answers None, never a guess.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar

from congress.settings import REPO_ROOT

HOLIDAYS_DIR = REPO_ROOT / "config" / "holidays"
FILE_NAME = re.compile(r"^(\d{4})\.yaml$")
NOTICE_NUMBER = re.compile(r"^国办发(?:明电)?〔\d{4}〕\d{1,3}号$")
HOLIDAY_NAMES = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", "中秋节、国庆节")


@dataclass(frozen=True)
class Notice:
    """The State Council's notice a year's arrangement comes from: its title and document number."""

    title: str
    number: str
    published: date | None = None


@dataclass(frozen=True)
class Arrangement:
    """One year's holidays and adjusted working days, from its notice (a file in config/holidays/)."""

    year: int
    notice: Notice
    holidays: dict[date, str] = field(default_factory=dict)  # day → holiday name
    workdays: dict[date, str] = field(default_factory=dict)  # adjusted working day → note (春节调休)
    path: Path | None = None

    @property
    def citation(self) -> str:
        """《国务院办公厅关于2027年部分节假日安排的通知》（国办发明电〔2026〕N号）."""
        return f"《{self.notice.title}》（{self.notice.number}）"


# --- the project's files -------------------------------------------------------------------------------

_cache: dict[Path, tuple[tuple[int, ...], dict[int, Arrangement]]] = {}


def _stamp(directory: Path) -> tuple[int, ...]:
    """What changes when a year's file is added, replaced or edited (checked on every lookup: ~10 µs)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return ()
    return tuple(e.stat().st_mtime_ns for e in entries if FILE_NAME.match(e.name))


def arrangements(directory: Path | None = None) -> dict[int, Arrangement]:
    """Every year the project's folder has a file for; read again when a file there changes."""
    folder = Path(directory or HOLIDAYS_DIR)
    stamp = _stamp(folder)
    cached = _cache.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    years: dict[int, Arrangement] = {}
    if stamp:
        for path in sorted(folder.glob("*.yaml")):
            match = FILE_NAME.match(path.name)
            if match:
                years[int(match[1])] = load_arrangement(path, year=int(match[1]))
    _cache[folder] = (stamp, years)
    return years


def _own(day: date) -> tuple[bool | None, str | None]:
    """(rest?, holiday name) from the project's files; (None, None) when no file covers the day."""
    years = arrangements()
    for arrangement in (years.get(day.year), years.get(day.year + 1)):  # a 元旦 holiday may start in December
        if arrangement is None:
            continue
        if day in arrangement.holidays:
            return True, arrangement.holidays[day]
        if day in arrangement.workdays:
            return False, None
    if day.year in years:
        return day.weekday() >= 5, None
    return None, None


# --- lookups -------------------------------------------------------------------------------------------


def is_rest_day(day: date) -> bool | None:
    """True on a statutory holiday or an unadjusted weekend, False on a working day, None if the year is unknown."""
    rest, _ = _own(day)
    if rest is not None:
        return rest
    try:
        return not chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_workday(day: date) -> bool | None:
    """True on a working day (including an adjusted working weekend), None if the year is unknown."""
    rest = is_rest_day(day)
    return None if rest is None else not rest


def holiday_name(day: date) -> str | None:
    """The holiday's Chinese name (春节, 国庆节…) when `day` is a statutory holiday, else None."""
    rest, name = _own(day)
    if rest is not None:
        return name
    try:
        on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if not on_holiday or holiday is None:
        return None
    # the package answers with the English name; its Holiday enum carries the Chinese one
    names = {h.value: h.chinese for h in chinese_calendar.Holiday}
    return names.get(str(holiday), str(holiday))


def package_years() -> tuple[int, int]:
    """The first and last year the installed chinese-calendar package has an arrangement for."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return years[0], years[-1]


def known_years() -> tuple[int, int]:
    """The first and last year with an arrangement (the package's, and the project's files after them)."""
    first, last = package_years()
    own = sorted(arrangements())
    return min([first, *own]), max([last, *own])


def source_of(year: int) -> dict[str, Any]:
    """Where a year's arrangement comes from: {"kind": "notice" | "package" | "none", …} for `holidays show`."""
    own = arrangements().get(year)
    if own is not None:
        return {"kind": "notice", "citation": own.citation, "path": own.path, "arrangement": own}
    first, last = package_years()
    if first <= year <= last:
        return {"kind": "package", "version": getattr(chinese_calendar, "__version__", "")}
    return {"kind": "none"}


def year_days(year: int) -> tuple[list[tuple[str, date, date]], list[date]]:
    """A year's holidays as (name, first, last) runs and its adjusted working days, from whichever source.

    A run that ends in the year belongs to it (元旦 from 12月30日 of the year before included).
    """
    runs: list[tuple[str, date, date]] = []
    workdays: list[date] = []
    day = date(year - 1, 12, 20)
    while day <= date(year, 12, 31):
        rest, name = is_rest_day(day), holiday_name(day)
        if rest and name:
            if runs and runs[-1][0] == name and runs[-1][2] == day - timedelta(days=1):
                runs[-1] = (name, runs[-1][1], day)
            else:
                runs.append((name, day, day))
        elif rest is False and day.weekday() >= 5 and day.year == year:
            workdays.append(day)
        day += timedelta(days=1)
    own = arrangements().get(year)
    extra = sorted(d for d in (own.workdays if own else {}) if d.year != year)
    return [r for r in runs if r[2].year == year], extra + workdays


# --- reading a year's file -------------------------------------------------------------------------------

ARRANGEMENT_KEYS: dict[str, Any] = {
    "year": None, "notice": {"title": None, "number": None, "published": None},
    "holidays": [{"name": None, "from": None, "to": None}], "workdays": [{"date": None, "note": None}],
}
MAX_HOLIDAY_DAYS = 15  # the longest run a notice has set (春节 2026: 9 days)


def load_arrangement(path: Path, *, year: int | None = None) -> Arrangement:
    """A year's arrangement from its file, every problem with its line (config/holidays/README.md)."""
    from congress.inputs import _Collector, load_yaml, show  # congress.inputs reads the holidays itself
    from congress.messages import msg

    path = Path(path)
    data, lines = load_yaml(path, kind="holidays")
    out = _Collector(path, lines)
    if not isinstance(data, dict):
        out.add(msg("data.holidays.shape"))
        out.fail()
    out.unknown_keys(data, ARRANGEMENT_KEYS)
    stated = out.number(data, "year", low=2000, high=2099)
    if year is not None and stated and stated != year:
        out.add(msg("data.holidays.year_mismatch", stated=stated, year=year), "year")
    year = year or stated
    title = out.text(data, "notice", "title", cap=128)
    if title and f"{year}年" not in title:
        out.add(msg("data.holidays.title_year", title=show(title), year=year), "notice", "title")
    number = out.text(data, "notice", "number", cap=32)
    if number and not NOTICE_NUMBER.match(number):
        out.add(msg("data.holidays.number", number=show(number)), "notice", "number")
    published = out.get(data, "notice", "published", kind=date, required=False)
    first, last = date(year - 1, 12, 1), date(year, 12, 31)

    def in_year(day: date | None, *where: Any) -> bool:
        if day is None:
            return False
        if not first <= day <= last:
            out.add(msg("data.holidays.outside_year", day=day.isoformat(), year=year), *where)
            return False
        return True

    holidays: dict[date, str] = {}
    runs = out.items(data, "holidays", required=True, cap=20)
    for i, _ in enumerate(runs):
        p = ("holidays", i)
        name = out.text(data, *p, "name", cap=16)
        start, end = out.get(data, *p, "from", kind=date), out.get(data, *p, "to", kind=date)
        if not (in_year(start, *p, "from") and in_year(end, *p, "to")):
            continue
        if end < start or (end - start).days >= MAX_HOLIDAY_DAYS:
            out.add(msg("data.holidays.run", start=start.isoformat(), end=end.isoformat(),
                        days=MAX_HOLIDAY_DAYS), *p, "to")
            continue
        day = start
        while day <= end:
            if day in holidays:
                out.add(msg("data.holidays.twice", day=day.isoformat(), name=holidays[day]), *p)
                break
            holidays[day] = name
            day += timedelta(days=1)
    workdays: dict[date, str] = {}
    for i, _ in enumerate(out.items(data, "workdays", cap=20)):
        p = ("workdays", i)
        day = out.get(data, *p, "date", kind=date)
        note = out.text(data, *p, "note", cap=32, required=False)
        if not in_year(day, *p, "date"):
            continue
        if day.weekday() < 5:
            out.add(msg("data.holidays.workday_weekday", day=day.isoformat()), *p, "date")
        elif day in holidays:
            out.add(msg("data.holidays.workday_holiday", day=day.isoformat(), name=holidays[day]), *p, "date")
        elif day in workdays:
            out.add(msg("data.holidays.twice", day=day.isoformat(), name="调休上班"), *p, "date")
        else:
            workdays[day] = note
    out.fail()
    return Arrangement(year=year, notice=Notice(title, number, published), holidays=holidays, workdays=workdays,
                       path=path)


def add_year(year: int, source: Path, *, replace: bool = False, directory: Path | None = None) -> Arrangement:
    """Check a year's file and copy it into config/holidays/<year>.yaml (atomically); returns what it holds.

    A different file for the year already there is kept unless `replace`: a notice is corrected by a
    new notice, so a replacement should be a deliberate act.
    """
    from congress.documents.builder import write_bytes_atomic
    from congress.inputs import read_input
    from congress.messages import msg

    arrangement = load_arrangement(source, year=year)
    folder = Path(directory or HOLIDAYS_DIR)
    target = folder / f"{year}.yaml"
    raw = read_input(Path(source), kind="holidays")
    if target.exists() and target.read_bytes() != raw and not replace:
        raise FileExistsError(msg("data.holidays.exists", year=year, path=str(target)))
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(target, raw)
    _cache.pop(folder, None)
    return Arrangement(year=arrangement.year, notice=arrangement.notice, holidays=arrangement.holidays,
                       workdays=arrangement.workdays, path=target)
