"""姓氏笔画 ordering: names sorted by the stroke counts of their characters (surname first).

Stroke counts come from Unihan kTotalStrokes (congress/data/strokes.txt). Where two names tie on every
count, the standard order by first-stroke shape (横竖撇点折) is not in Unihan; such names keep the
order they were given in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "strokes.txt"


@cache
def _table() -> dict[str, int]:
    table: dict[str, int] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            count, chars = line.split("\t", 1)
            for ch in chars:
                table[ch] = int(count)
    return table


def stroke_count(ch: str) -> int:
    """Total strokes of a CJK character; 0 for anything else (so Latin names sort first)."""
    return _table().get(ch, 0)


def stroke_key(name: str) -> tuple[int, ...]:
    return tuple(stroke_count(ch) for ch in name)


def by_strokes(names: list[str]) -> list[str]:
    """Names in 姓氏笔画 order (stable for full ties)."""
    return sorted(names, key=stroke_key)
