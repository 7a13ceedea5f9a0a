"""Breaking a 公文 title into lines by meaning (GB/T 9704 7.3.1: 回行时，要做到词意完整，排列对称).

A title line holds 20 characters of 22 pt on the 156 mm line. A longer title is broken only where
a phrase ends — before 关于, before the 的 that leads to the document's type (…的决议), around a
book-title 《》, before 和/及/与, after the name of an organ (…人民代表大会 / 主席团 / 人民政府), after
a session's name (…第三次会议) — never inside a word such as 决议, 审议意见, 人民代表大会 or 第三次.
Among the ways to break at such places into the fewest lines, the most even one wins (a trapezoid or
diamond, not a full line over a stub). The rules are data below; ``tests/test_titles.py`` runs them
on every title of a whole session.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

TITLE_CHARS = 20  # 22 pt characters on the 156 mm line (less the grid's or LibreOffice's -0.2 pt)

# Document types a title ends with; a break may come before "的<type>" or before the type itself.
DOC_TYPES = (
    "审议意见", "工作方案", "会议方案", "计票报告", "当选公告", "表决结果", "会议纪要", "大会主持词", "主持词",
    "选举办法", "办法", "决议", "决定", "请示", "批复记录", "批复", "通知", "公告", "公报", "报告", "意见", "函",
    "议程", "日程", "选票", "登记表", "清单", "名单", "方案", "纪要", "记录", "交办函", "催办函",
)
# Words a break never splits (besides what the rules below protect).
WORDS = (
    "人民代表大会", "人民政府", "主席团", "代表", "会议", "审议", "意见", "决议", "决定", "请示", "通知", "公告",
    "工作报告", "报告", "预算", "执行情况", "选举", "补选", "副主席", "主席", "镇长", "副镇长", "办法", "候选人",
    "建议", "交办", "办理", "计票", "表决", "结果", "财政", "主持词", "议程", "日程",
)
_ORDINAL = re.compile(r"第[一二三四五六七八九十百零〇\d]+[届次条号项]")
_ASCII_RUN = re.compile(r"[0-9A-Za-z.\-—]+")
_ORGAN_END = re.compile(r"(人民代表大会(?!主席团|代表|常务委员会|副?主席)|主席团|人民政府|委员会)")
_SESSION_END = re.compile(r"第[一二三四五六七八九十百零〇]+次会议")
_CONJUNCTION = re.compile(r"(?<=[^\s《（])(和|及|与|暨)")
# after who acted, before what they acted on: "代表联名提名 / 青山镇人民代表大会副主席候选人"
_ACTION_END = re.compile(r"(联名提名|提名)(?=[^的人])")

# Cost of breaking at a boundary of each kind; a boundary no rule names costs FALLBACK_COST and
# is used only when the title cannot be broken otherwise.
COSTS = {"about": 1, "of_type": 1, "book": 2, "organ": 2, "session": 2, "type": 3, "and": 3, "action": 3,
         "term": 4}
FALLBACK_COST = 50
MAX_GOOD_COST = 4  # boundaries up to this cost are "by meaning"; the tests hold every title to it


def display_width(text: str) -> float:
    """Width in full-width characters: Latin letters and digits take half a character."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


AUTOSPACE = 0.25  # Word and LibreOffice put a quarter of a character between Chinese and digits or Latin


def line_width(text: str) -> float:
    """Width of a line as a word processor sets it: display_width plus the space it adds wherever
    Chinese meets a digit or a Latin letter ("2026年" is 2.5 characters wide, not 3)."""
    wide = [unicodedata.east_asian_width(ch) in "WFA" for ch in text]
    turns = sum(1 for a, b in zip(wide, wide[1:], strict=False) if a != b)
    return display_width(text) + AUTOSPACE * turns


def boundaries(text: str) -> dict[int, int]:
    """Position → cost of breaking before text[position], for every position some rule allows."""
    found: dict[int, int] = {}

    def allow(pos: int, kind: str) -> None:
        if 0 < pos < len(text):
            found[pos] = min(found.get(pos, FALLBACK_COST), COSTS[kind])

    for m in re.finditer("关于", text):
        allow(m.start(), "about")
    for doc_type in DOC_TYPES:
        if text.endswith(doc_type):
            start = len(text) - len(doc_type)
            if text[:start].endswith("的"):
                allow(start - 1, "of_type")
            else:
                allow(start, "type")
    for m in re.finditer("《", text):
        allow(m.start(), "book")
    for m in re.finditer("》", text):
        allow(m.end(), "book")
    for m in _ORGAN_END.finditer(text):
        allow(m.end(), "organ")
    for m in _SESSION_END.finditer(text):
        allow(m.end(), "session")
    for m in re.finditer(r"第[一二三四五六七八九十百零〇]+届", text):
        allow(m.end(), "term")
        allow(m.start(), "term")
    for m in _CONJUNCTION.finditer(text):
        allow(m.start(), "and")
    for m in _ACTION_END.finditer(text):
        allow(m.end(), "action")
    for pos in list(found):
        if not _may_break(text, pos):
            del found[pos]
    return found


@cache
def _protected(text: str) -> frozenset[int]:
    """Positions inside a word, an ordinal, a run of digits or next to a mark that must stay attached."""
    inside: set[int] = set()
    for pattern in (_ORDINAL, _ASCII_RUN, *(re.compile(re.escape(w)) for w in WORDS + DOC_TYPES)):
        for m in pattern.finditer(text):
            inside.update(range(m.start() + 1, m.end()))
    for i, ch in enumerate(text):
        if ch in "。，、；：？！）》”’」』":  # never at the start of a line
            inside.add(i)
        if ch in "（《“‘「『" and i + 1 < len(text):  # never at the end of one
            inside.add(i + 1)
    # （草案） and the like stay with what they qualify
    for m in re.finditer(r"（[^（）]{1,4}）", text):
        inside.update(range(m.start(), m.end() + 1))
    return frozenset(inside)


def _may_break(text: str, pos: int) -> bool:
    return 0 < pos < len(text) and pos not in _protected(text)


def break_title(text: str, width: float = TITLE_CHARS) -> list[str]:
    """The lines of a title: itself when it fits, else broken at the best boundaries by meaning."""
    if line_width(text) <= width:
        return [text]
    allowed = boundaries(text)
    fallback = {pos: FALLBACK_COST for pos in range(1, len(text)) if _may_break(text, pos)}
    fewest = int(-(-line_width(text) // width))
    for pool in (allowed, {**fallback, **allowed}):
        for count in range(fewest, fewest + 3):
            best = _best_split(text, pool, count, width)
            if best is not None:
                return best
    return [text]  # nothing fits (a single unbreakable run): let the word processor wrap it


def _best_split(text: str, pool: dict[int, int], count: int, width: float) -> list[str] | None:
    """The cheapest way to break text into `count` lines at positions of `pool`, each at most width."""
    cuts = sorted(pool)
    target = line_width(text) / count
    best: tuple[float, list[int]] | None = None

    def walk(start: int, left: int, chosen: list[int], cost: float) -> None:
        nonlocal best
        if best is not None and cost >= best[0]:
            return
        if left == 1:
            last = text[start:]
            if line_width(last) <= width:
                total = cost + _evenness(line_width(last), target)
                if best is None or total < best[0]:
                    best = (total, chosen)
            return
        for cut in cuts:
            if cut <= start:
                continue
            line = line_width(text[start:cut])
            if line > width:
                break
            walk(cut, left - 1, [*chosen, cut], cost + pool[cut] + _evenness(line, target))

    walk(0, count, [], 0.0)
    if best is None:
        return None
    edges = [0, *best[1], len(text)]
    return [text[a:b] for a, b in zip(edges, edges[1:], strict=False)]


def _evenness(line: float, target: float) -> float:
    # a line 5 characters off the even length costs as much as one rule step
    return ((line - target) / 5) ** 2


__all__ = ["MAX_GOOD_COST", "TITLE_CHARS", "boundaries", "break_title", "display_width", "line_width"]
