"""The `congress` command as a user meets it: bad input gives file, line and rule, a non-zero exit and
no partial write; the demo runs the sample through every step."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE

REPO = Path(__file__).resolve().parents[1]
BAD = REPO / "tests" / "data" / "bad"


def congress(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CONGRESS_DATABASE_URL": f"sqlite:///{cwd / 'c.db'}",
                "CONGRESS_OUTPUT_DIR": str(cwd / "output"), "COLUMNS": "160", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=cwd, env=full_env, text=True,
                          capture_output=True, timeout=timeout)


def sessions_in(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from congress_session").fetchone()[0]


@pytest.mark.parametrize(("case", "where", "words"), [
    ("duplicate-id", "roster.csv第6行", "QS007"),
    ("missing-name", "roster.csv第12行", "姓名"),
    ("notice-too-late", "session.yaml第28行", "第二十条"),
    ("vice-chair-too-few", "session.yaml第75行", "第二十七条"),
    ("unknown-presidium-id", "session.yaml第33行", "QS099"),
])
def test_bad_session_input_rejected_with_file_line_and_rule(tmp_path: Path, case: str, where: str, words: str) -> None:
    result = congress("load", str(BAD / case / "session.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert where in result.stderr and words in result.stderr
    assert sessions_in(tmp_path / "c.db") == 0


def test_tally_larger_than_roster_rejects_the_whole_run(tmp_path: Path) -> None:
    case = BAD / "tally-too-large"
    result = congress("run", str(case / "session.yaml"), "--approve-plan", "书记", "--attendance",
                      str(case / "attendance.csv"), "--tallies", str(case / "tallies.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert "tallies.yaml第7行" in result.stderr and "13" in result.stderr
    # the session file itself was fine, but nothing of this command was kept
    assert sessions_in(tmp_path / "c.db") == 0


def test_gbk_roster_loads_with_a_notice(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    shutil.copy(REPO / "tests" / "data" / "gbk" / "roster-gbk.csv", folder / "roster.csv")
    result = congress("load", str(folder / "session.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "GBK" in result.stderr
    assert "代表60名" in result.stdout.replace("\n", "")
    # loading the same files again changes nothing
    again = congress("load", str(folder / "session.yaml"), cwd=tmp_path)
    assert again.returncode == 0 and "内容未变化" in again.stdout


@pytest.mark.flow
def test_demo_runs_every_step(tmp_path: Path) -> None:
    """The README's first command: the sample session through all ten steps, on a cold Prefect home."""
    result = congress("demo", "--folder", str(tmp_path / "demo"), cwd=tmp_path,
                      env={"PREFECT_HOME": str(tmp_path / "prefect-home")}, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "全部步骤已完成" in result.stdout
    outcome = json.loads((tmp_path / "demo" / "output" / "qingshan-18-3" / "outcome.json").read_text("utf-8"))
    assert [s["status"] for s in outcome["steps"]] == ["done"] * 10
    assert outcome["elections"][0]["elected"] == ["陈晓梅"]
    for item in outcome["documents"] + outcome["calendars"]:
        assert (tmp_path / "demo" / "output" / "qingshan-18-3" / item["path"]).exists()
    assert "Traceback" not in result.stderr
