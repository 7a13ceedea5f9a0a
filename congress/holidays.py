"""Mainland China's statutory rest days, from the chinese-calendar package."""

from __future__ import annotations

from datetime import date

import chinese_calendar


def is_rest_day(day: date) -> bool | None:
    """True on a statutory holiday or an unadjusted weekend, False on a working day, None if the year is unknown."""
    try:
        return not chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None
