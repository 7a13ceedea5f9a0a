"""Synthetic townships for the benchmarks: the sample township under another code, its roster grown to N
deputies (the sample's 60 first, so every officer, candidate and presidium member stays), everyone added
present, the tallies moved by the same number so every vote and election decides as in the sample."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from congress.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "config" / "sample"
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = "国建志明秀丽文华海燕红军平勇芳敏静强磊洋艳杰娟涛超霞刚桂英"


def _name(i: int) -> str:
    """A distinct two- or three-character name for the i-th added deputy."""
    return _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // len(_SURNAMES)) % len(_GIVEN)] + _GIVEN[
        (i // (len(_SURNAMES) * len(_GIVEN)) + i) % len(_GIVEN)]


def township_folder(folder: Path, *, code: str, deputies: int) -> Path:
    """Write a township's session files under folder; returns its session.yaml."""
    shutil.copytree(SAMPLE, folder)
    rows = list(csv.DictReader((SAMPLE / "roster.csv").open(encoding="utf-8-sig")))
    header = list(rows[0])
    taken = {r["姓名"] for r in rows}
    extra = []
    i = 0
    while len(rows) + len(extra) < deputies:
        name = _name(i)
        i += 1
        if name in taken:
            continue
        taken.add(name)
        n = len(rows) + len(extra) + 1
        base = rows[n % len(rows)]
        extra.append({**base, "代表编号": f"QS{n:03d}", "姓名": name, "联系电话": f"138{n:08d}", "职务": "村民"})
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows[:deputies] + extra)
    added = len(extra)
    with (folder / "attendance.csv").open("a", encoding="utf-8") as fh:
        fh.writelines(f"{r['代表编号']},出席,\n" for r in extra)
    text = (folder / "session.yaml").read_text(encoding="utf-8")
    text = text.replace("  code: qingshan", f"  code: {code}", 1)
    # EL 第十二条: at most 45 + population/1500 deputies, and at most 160
    population = max(36000, (deputies - 45) * 1500)
    text = re.sub(r"population: \d+", f"population: {population}", text, count=1)
    text = re.sub(r"deputy_quota: \d+", f"deputy_quota: {max(60, deputies)}", text, count=1)
    (folder / "session.yaml").write_text(text, encoding="utf-8")
    tallies = (folder / "tallies.yaml").read_text(encoding="utf-8")
    # every count of present deputies or of the winning candidate grows by those added, all present
    tallies = re.sub(r"yes: (\d+)", lambda m: f"yes: {int(m[1]) + added}", tallies)
    tallies = re.sub(r"ballots_(issued|returned): (\d+)", lambda m: f"ballots_{m[1]}: {int(m[2]) + added}", tallies)
    tallies = re.sub(r"陈晓梅: 41", f"陈晓梅: {41 + added}", tallies)
    (folder / "tallies.yaml").write_text(tallies, encoding="utf-8")
    return folder / "session.yaml"
