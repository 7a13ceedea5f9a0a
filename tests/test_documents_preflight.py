"""Templates fail early: `congress load` checks every template a session's documents are made from (the
township's folder, edited since it was set, and the templates it does not replace) and refuses the load
naming file and line, before any step runs — not at step 9 after a hundred files were written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from congress.db import make_engine, read_scope
from congress.documents.preflight import check_session_templates
from congress.models import CongressSession
from congress.settings import REPO_ROOT, Settings

SAMPLE_FILE = REPO_ROOT / "config" / "sample" / "session.yaml"


def test_the_shipped_templates_pass(db, load_sample, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    township = load_sample().term.township
    assert check_session_templates(township, settings) == []


def test_an_edited_folder_is_checked_again_syntax_variable_and_file_name(  # type: ignore[no-untyped-def]
        db, load_sample, settings: Settings, tmp_path: Path) -> None:
    from congress.documents.overrides import set_township_templates

    settings.template_overrides_dir = tmp_path / "overrides"
    folder = settings.template_overrides_dir / "青山镇模板"
    folder.mkdir(parents=True)
    (folder / "plan.md.j2").write_text("# {{ session.title }}工作方案\n正文。\n", encoding="utf-8")
    township = load_sample().term.township
    set_township_templates(db, township=township, folder="青山镇模板", settings=settings, actor="admin")
    # edited after the administrator set it: a syntax error, an unknown variable, a misspelt name
    (folder / "plan.md.j2").write_text("# {{ session.title }}工作方案\n{{ session.tittle }}\n{% if %}\n",
                                       encoding="utf-8")
    (folder / "notce.md.j2").write_text("# 通知\n", encoding="utf-8")
    problems = check_session_templates(township, settings)
    shown = {(p.file, p.line) for p in problems}
    assert ("青山镇模板/plan.md.j2", 3) in shown  # the syntax error, with its line
    assert any(p.file == "青山镇模板/notce.md.j2" and "notice.md.j2" in p.problem for p in problems)
    (folder / "plan.md.j2").write_text("# {{ session.title }}工作方案\n{{ sesion.title }}\n", encoding="utf-8")
    (folder / "notce.md.j2").unlink()
    [problem] = check_session_templates(township, settings)
    assert (problem.file, problem.line) == ("青山镇模板/plan.md.j2", 2) and "sesion" in problem.problem


def test_load_refuses_a_broken_template_with_file_and_line_and_stores_nothing(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    vote_results = templates / "documents" / "vote_results.md.j2"
    lines = vote_results.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4] + "{{ votes[0].total }"  # an unclosed expression on line 5
    vote_results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {**os.environ, "CONGRESS_DATABASE_URL": url, "CONGRESS_TEMPLATES_DIR": str(templates),
           "CONGRESS_OUTPUT_DIR": str(tmp_path / "out"), "CONGRESS_LOG_DIR": str(tmp_path / "logs")}
    result = subprocess.run([sys.executable, "-m", "cli.main", "load", str(SAMPLE_FILE)], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "vote_results.md.j2第5行" in result.stderr and "模板语法错误" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and len(result.stderr.strip().splitlines()) <= 3
    with read_scope(make_engine(url)) as db:
        assert db.scalar(select(CongressSession)) is None  # nothing was loaded
    assert not any((tmp_path / "out").rglob("*.docx"))


@pytest.mark.parametrize("name", ["notice.md.j2", "party_request.md.j2", "announcement.md.j2"])
def test_every_form_variable_is_documented(name: str) -> None:
    from congress.documents.overrides import documented_variables

    assert {"letterhead", "announcement_number", "issuer", "contact"} <= documented_variables()[name]
