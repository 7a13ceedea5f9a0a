"""Files named by inputs stay in their folder, and no file is read unless it is a regular file within its
kind's size cap (issue 9, "Reading any path"; docs/formats.md "What every input file must be").

Each attack here worked against the landed main: `roster: /etc/passwd` answered with the file's first
line, `../<another township's folder>/roster.csv` loaded that roster, `/dev/zero` read until memory ran
out, and a 5.9 MB session file took 113 s to load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from congress import limits
from congress.errors import InputError
from congress.inputs import load_attendance, load_roster, load_session_file, load_tallies, read_text
from tests.conftest import SAMPLE

REPO = Path(__file__).resolve().parents[2]
SECRET = "TOP-SECRET-LINE-7d1f"  # content of a file outside the folder: no message may ever carry it


@pytest.fixture
def township(tmp_path: Path) -> Path:
    """A copy of the sample in its own folder, as an upload folder is, beside another township's folder."""
    folder = tmp_path / "uploads" / "township-a"
    shutil.copytree(SAMPLE, folder)
    other = tmp_path / "uploads" / "township-b"
    other.mkdir()
    shutil.copy(SAMPLE / "roster.csv", other / "roster.csv")
    (tmp_path / "secret.csv").write_text(f"代表编号,姓名,代表小组\n{SECRET},x,y\n", encoding="utf-8")
    return folder


def name_roster(folder: Path, value: str) -> int:
    """Point the session file's roster: at value; the line it is on."""
    session = folder / "session.yaml"
    lines = session.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("roster:"))
    lines[index] = f"roster: {value}"
    session.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


def refused(folder: Path, word: str) -> str:
    """Load the session file; the single problem must be on the roster: line, naming the field and `word`."""
    with pytest.raises(InputError) as info:
        load_session_file(folder / "session.yaml")
    problems = info.value.problems
    assert len(problems) == 1, str(info.value)
    problem = problems[0]
    assert Path(problem.file).name == "session.yaml" and problem.field == "roster", problem
    assert word in problem.problem, problem.problem
    text = str(info.value)
    assert SECRET not in text and "root:" not in text  # nothing of the refused file
    return text


@pytest.mark.parametrize("value", ["/etc/passwd", "'C:\\Windows\\win.ini'", "~/roster.csv"])
def test_absolute_roster_path_refused_without_reading_it(township, value):
    line = name_roster(township, value)
    text = refused(township, "绝对路径")
    assert f"第{line}行" in text


def test_roster_of_another_townships_folder_refused(township):
    name_roster(township, "../township-b/roster.csv")
    refused(township, "上级文件夹")


def test_secret_file_outside_refused_by_absolute_path_and_content_never_echoed(township, tmp_path):
    name_roster(township, str(tmp_path / "secret.csv"))
    refused(township, "绝对路径")


def test_symbolic_link_leading_out_refused(township, tmp_path):
    (township / "roster.csv").unlink()
    (township / "roster.csv").symlink_to(tmp_path / "secret.csv")
    refused(township, "符号链接")
    # a folder link leading out is the same
    (township / "sub").symlink_to(tmp_path / "uploads" / "township-b")
    name_roster(township, "sub/roster.csv")
    refused(township, "符号链接")


def test_links_and_sub_folders_inside_the_folder_are_fine(township):
    (township / "data").mkdir()
    shutil.move(township / "roster.csv", township / "data" / "名册.csv")
    (township / "roster.csv").symlink_to(township / "data" / "名册.csv")
    assert len(load_session_file(township / "session.yaml").roster.rows) == 60
    name_roster(township, "data/名册.csv")
    assert len(load_session_file(township / "session.yaml").roster.rows) == 60


def test_directory_fifo_and_device_refused_at_once(township):
    (township / "dir.csv").mkdir()
    name_roster(township, "dir.csv")
    refused(township, "文件夹")
    os.mkfifo(township / "pipe.csv")  # opening it for reading would wait for a writer forever
    name_roster(township, "pipe.csv")
    refused(township, "命名管道")
    (township / "zero.csv").symlink_to("/dev/zero")  # outside, and a device
    name_roster(township, "zero.csv")
    refused(township, "之外")


def test_missing_roster_named_with_its_line(township):
    line = name_roster(township, "nope.csv")
    text = refused(township, "不存在")
    assert f"第{line}行" in text and "nope.csv" in text


def _isolated(code: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run code in a child with 1 GB of address space and a time limit: on the landed main these attacks
    read until memory ran out or waited forever, which must not take the test run with them."""
    prelude = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("loader", ["load_session_file", "load_tallies", "load_roster"])
def test_dev_zero_and_a_fifo_given_directly_are_refused_at_once(tmp_path, loader):
    os.mkfifo(tmp_path / "pipe")
    code = (f"from congress.inputs import {loader}\nfrom congress.errors import InputError\n"
            "for path in ('/dev/zero', {pipe!r}):\n"
            f"    try:\n        {loader}(path)\n    except InputError as exc:\n        print(exc)\n")
    result = _isolated(code.replace("{pipe!r}", repr(str(tmp_path / "pipe"))))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "设备文件" in result.stdout and "命名管道" in result.stdout, result.stdout


def test_oversized_files_refused_before_reading_in_milliseconds(township, tmp_path):
    """The issue's 5.9 MB YAML took 113 s to load; now its size alone refuses it."""
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("township:\n  code: qingshan\n")
        while fh.tell() < 5_900_000:
            fh.write("  name: " + "青" * 60 + "\n")
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_session_file(big)
    assert time.perf_counter() - start < 0.05
    assert "文件过大" in str(info.value) and "256 KB" in str(info.value)
    # a roster just over its cap, named by the session file: refused on the roster: line
    roster = township / "roster.csv"
    roster.write_bytes(roster.read_bytes() + b"\n" * (limits.MAX_FILE_BYTES["roster"] - roster.stat().st_size + 1))
    refused(township, "文件过大")
    roster.write_bytes(roster.read_bytes()[:limits.MAX_FILE_BYTES["roster"]])  # exactly the cap: read
    assert len(load_session_file(township / "session.yaml").roster.rows) == 60


@pytest.mark.parametrize("kind, loader", [
    ("tallies", lambda p: load_tallies(p)),
    ("attendance", lambda p: load_attendance(p, {"QS001": "王建华"})),
    ("roster", lambda p: load_roster(p)),
])
def test_every_loader_has_its_cap(tmp_path, kind, loader):
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(b"#" * (limits.MAX_FILE_BYTES[kind] + 1))
    with pytest.raises(InputError, match="文件过大"):
        loader(path)
    with pytest.raises(InputError, match="文件过大"):
        read_text(path, kind=kind)
