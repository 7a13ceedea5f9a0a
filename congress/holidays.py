"""Mainland China's statutory rest days, from the chinese-calendar package.

The package knows the State Council's yearly arrangement only for the years it was released with
(1.11: up to 2026). For a later year every function here answers None, never a guess.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar


def is_rest_day(day: date) -> bool | None:
    """True on a statutory holiday or an unadjusted weekend, False on a working day, None if the year is unknown."""
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
    try:
        on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if not on_holiday or holiday is None:
        return None
    # the package answers with the English name; its Holiday enum carries the Chinese one
    names = {h.value: h.chinese for h in chinese_calendar.Holiday}
    return names.get(str(holiday), str(holiday))


def known_years() -> tuple[int, int]:
    """The first and last year the installed package has an arrangement for."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return years[0], years[-1]
