"""The `congress` command as a user meets it: bad input gives file, line and rule, a non-zero exit and
no partial write; every error is a few Chinese lines and its own exit status, never a traceback; the
Prefect server a command starts stops with it, even when the command is killed; the demo runs the sample
through every step."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from congress.lifecycle.claim import claim_session
from congress.settings import Settings
from tests.conftest import SAMPLE
from tests.servers import background_server, free_port

REPO = Path(__file__).resolve().parents[1]
BAD = REPO / "tests" / "data" / "bad"


def congress(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CONGRESS_DATABASE_URL": f"sqlite:///{cwd / 'c.db'}",
                "CONGRESS_OUTPUT_DIR": str(cwd / "output"), "COLUMNS": "160", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=cwd, env=full_env, text=True,
                          capture_output=True, timeout=timeout)


def run_all_inputs(*extra: str) -> list[str]:
    """`congress run` on the sample with every gate's input given."""
    return ["run", str(SAMPLE / "session.yaml"), "--approve-plan", "书记", "--attendance", str(SAMPLE / "attendance.csv"),
            "--tallies", str(SAMPLE / "tallies.yaml"), "--agree-resolutions", "书记", *extra]


def assert_few_chinese_lines(result: subprocess.CompletedProcess[str], most: int = 3) -> None:
    """What a user reads of an error: a few lines, each in Chinese, no traceback, no Python class name."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= most, result.stderr
    assert all(re.search(r"[\u4e00-\u9fff]", line) for line in lines), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "AttributeError" not in result.stderr and "Error:" not in result.stderr


def query(db: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries the marker (a command and everything it started)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker.encode() in (proc / "environ").read_bytes() and (proc / "stat").read_text().split()[2] != "Z":
                found.append(int(proc.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


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


# --- errors: a few Chinese lines and an exit status (no Prefect: each fails before any flow starts) ------


def test_internal_error_is_one_line_naming_the_log_with_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "c.db").write_bytes(b"not a SQLite database " * 20)
    result = congress("status", "qingshan-18-3", cwd=tmp_path, env={"CONGRESS_LOG_DIR": str(tmp_path / "logs")})
    assert result.returncode == 8
    assert_few_chinese_lines(result, most=1)
    log = next((tmp_path / "logs").glob("congress-*.log"))
    assert str(log) in result.stderr
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "file is not a database" in text and "congress status qingshan-18-3" in text


def test_help_lists_every_exit_status(tmp_path: Path) -> None:
    shown = congress("--help", cwd=tmp_path)
    assert shown.returncode == 0
    for status in range(10):
        assert re.search(rf"^\W*{status}  \w", shown.stdout, flags=re.M), status


def test_a_wrong_setting_is_named(tmp_path: Path) -> None:
    result = congress("status", "qingshan-18-3", cwd=tmp_path, env={"CONGRESS_DATABASE_URL": "mysql://x"})
    assert result.returncode == 1
    assert_few_chinese_lines(result)
    assert "CONGRESS_DATABASE_URL" in result.stderr


def test_tallies_whose_top_level_is_a_list_are_refused_in_chinese(tmp_path: Path) -> None:
    assert congress("load", str(SAMPLE / "session.yaml"), cwd=tmp_path).returncode == 0
    tallies = tmp_path / "tallies.yaml"
    tallies.write_text("- votes\n- elections\n", encoding="utf-8")
    result = congress("tallies", "qingshan-18-3", str(tallies), cwd=tmp_path)
    assert result.returncode == 1
    assert_few_chinese_lines(result)
    assert "tallies.yaml" in result.stderr


@contextmanager
def mounted_read_only(folder: Path) -> Iterator[Path]:
    """A read-only filesystem at `folder` (root ignores permission bits, so a mode would not do)."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    with mounted_read_only(tmp_path / "ro") as folder:
        yield folder


def test_read_only_output_folder_is_named_before_anything_runs(tmp_path: Path, read_only_folder: Path) -> None:
    result = congress(*run_all_inputs(), cwd=tmp_path, env={"CONGRESS_OUTPUT_DIR": str(read_only_folder / "out")})
    assert result.returncode == 1
    assert_few_chinese_lines(result, most=1)
    assert str(read_only_folder / "out" / "qingshan-18-3") in result.stderr and "只读" in result.stderr
    assert sessions_in(tmp_path / "c.db") == 0  # the run's inputs were not kept either
    assert "Prefect" not in result.stdout  # refused before the flow service was started


@pytest.fixture
def radicale_with_password(tmp_path: Path) -> Iterator[str]:
    """A Radicale server that checks passwords (account township / right-password)."""
    users = tmp_path / "htpasswd"
    users.write_text("township:right-password\n", encoding="utf-8")
    port = free_port()
    cmd = [sys.executable, "-m", "radicale", "--config", "", f"--storage-filesystem-folder={tmp_path / 'dav'}",
           f"--server-hosts=127.0.0.1:{port}", "--auth-type", "htpasswd", f"--auth-htpasswd-filename={users}",
           "--auth-htpasswd-encryption", "plain", "--logging-level", "warning"]
    url = f"http://127.0.0.1:{port}/"
    with background_server(cmd, log_path=tmp_path / "radicale.log", ready_url=url, seconds=30, any_status=True):
        yield url


def test_wrong_caldav_password_is_one_chinese_line(tmp_path: Path, radicale_with_password: str) -> None:
    assert congress("load", str(SAMPLE / "session.yaml"), cwd=tmp_path).returncode == 0
    env = {"CONGRESS_CALDAV_URL": radicale_with_password, "CONGRESS_CALDAV_USER": "township"}
    wrong = congress("calendar", "publish", "qingshan-18-3", cwd=tmp_path, env={**env, "CONGRESS_CALDAV_PASSWORD": "nope"})
    assert wrong.returncode == 1
    assert_few_chinese_lines(wrong, most=1)
    assert "township" in wrong.stderr and "CONGRESS_CALDAV_PASSWORD" in wrong.stderr
    right = congress("calendar", "publish", "qingshan-18-3", cwd=tmp_path,
                     env={**env, "CONGRESS_CALDAV_PASSWORD": "right-password"})
    assert right.returncode == 0, right.stderr


def test_cancelled_session_refuses_to_run_and_records_nothing(tmp_path: Path) -> None:
    assert congress("load", str(SAMPLE / "session.yaml"), cwd=tmp_path).returncode == 0
    assert congress("cancel", "qingshan-18-3", "--reason", "台风", cwd=tmp_path).returncode == 0
    db = tmp_path / "c.db"
    before = query(db, "select count(*) from audit_event")
    result = congress("run", "qingshan-18-3", "--approve-plan", "书记", "--attendance", str(SAMPLE / "attendance.csv"),
                      cwd=tmp_path)
    assert result.returncode == 5
    assert_few_chinese_lines(result, most=1)
    assert "已取消" in result.stderr and "congress reinstate" in result.stderr
    assert query(db, "select count(*) from audit_event") == before
    assert query(db, "select count(*) from attendance") == [(0,)]
    assert query(db, "select count(*) from step_run") == [(0,)]


def test_a_step_left_running_shows_interrupted_unless_a_live_run_holds_the_session(tmp_path: Path) -> None:
    """A killed run leaves its step "running": 已中断 with the way to run it again; while another run holds
    the session, the step is 进行中 and a second `congress run` exits 6 having done nothing."""
    assert congress("load", str(SAMPLE / "session.yaml"), cwd=tmp_path).returncode == 0
    db = tmp_path / "c.db"
    query(db, "insert into step_run (session_id, step, position, status, attempts, evidence, actor) "
              "select id, 'plan', 0, 'running', 1, '{}', 'killed' from congress_session")
    shown = congress("status", "qingshan-18-3", cwd=tmp_path)
    assert shown.returncode == 0
    assert re.search(r"会议方案\s*│\s*已中断", shown.stdout) and "congress run qingshan-18-3" in shown.stdout
    settings = Settings(database_url=f"sqlite:///{db}", output_dir=tmp_path / "output")
    with claim_session(settings, "qingshan-18-3"):
        held = congress("status", "qingshan-18-3", cwd=tmp_path)
        assert re.search(r"会议方案\s*│\s*进行中", held.stdout), held.stdout
        busy = congress("run", "qingshan-18-3", "--approve-plan", "书记", cwd=tmp_path)
    assert busy.returncode == 6
    assert_few_chinese_lines(busy, most=1)
    assert query(db, "select count(*) from party_approval where decision is not null") == [(0,)]


# --- the Prefect server a command starts (these start Prefect's server: kept to two short runs) ---------


@pytest.mark.flow
def test_prefect_that_does_not_start_in_time_is_exit_7_naming_its_log(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    result = congress(*run_all_inputs(), cwd=tmp_path, env={
        "CONGRESS_PREFECT_START_TIMEOUT": "0.001", "CONGRESS_LOG_DIR": str(tmp_path / "logs"),
        "PREFECT_HOME": str(tmp_path / "prefect-home"), "CONGRESS_TEST_RUN": marker})
    assert result.returncode == 7
    assert_few_chinese_lines(result, most=1)
    assert str(tmp_path / "logs" / "prefect-server.log") in result.stderr
    assert "CONGRESS_PREFECT_START_TIMEOUT" in result.stderr
    assert processes_with(marker) == []  # the server it started is gone with it
    assert query(tmp_path / "c.db", "select count(*) from step_run") == [(0,)]


@pytest.mark.flow
def test_sigkill_mid_run_takes_the_prefect_server_down_and_leaves_the_step_interrupted(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    env = {**os.environ, "CONGRESS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "CONGRESS_RENDER_PDF": "off",
           "CONGRESS_OUTPUT_DIR": str(tmp_path / "output"), "CONGRESS_LOG_DIR": str(tmp_path / "logs"),
           "PREFECT_HOME": str(tmp_path / "prefect-home"), "CONGRESS_TEST_RUN": marker}
    command = subprocess.Popen([sys.executable, "-m", "cli.main", *run_all_inputs()], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        done: list[tuple] = []  # type: ignore[type-arg]
        while time.monotonic() < deadline and command.poll() is None:
            if (tmp_path / "c.db").exists():
                try:  # mid-run: the first step is done (so the server answered), the others are to come
                    done = query(tmp_path / "c.db", "select step from step_run where status = 'done'")
                except sqlite3.OperationalError:  # the schema is being created
                    pass
            if done:
                break
            time.sleep(0.2)
        assert done, "the run never finished its first step"
        server = [pid for pid in processes_with(marker) if pid != command.pid]
        assert server, "the run's Prefect server was not found"
    finally:
        command.send_signal(signal.SIGKILL)
        command.wait()
    deadline = time.monotonic() + 15
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []
    statuses = dict(query(tmp_path / "c.db", "select step, status from step_run"))
    assert statuses["plan"] == "done" and "failed" not in statuses.values()
    if "running" in statuses.values():  # killed inside a step: shown so, with the way to run it again
        shown = congress("status", "qingshan-18-3", cwd=tmp_path)
        assert "已中断" in shown.stdout and "进行中" not in shown.stdout
