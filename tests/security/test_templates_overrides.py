"""A township's template folder: only a folder name under the configured root, checked when it is set
against docs/templates.md (so the docs and the check stay in step), audited, used by every document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from congress.documents.builder import render_text
from congress.documents.overrides import (
    builtin_templates,
    check_override_folder,
    documented_variables,
    override_folders,
    set_township_templates,
    township_environment,
)
from congress.errors import InputError
from congress.models import AuditEvent
from congress.settings import REPO_ROOT, Settings
from tests.doc_context import context_for

DOCUMENTS = REPO_ROOT / "templates" / "documents"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "overrides"
    folder.mkdir()
    return folder


@pytest.fixture
def cfg(root: Path) -> Settings:
    return Settings(template_overrides_dir=root)


def folder_with(root: Path, name: str, files: dict[str, str]) -> Path:
    folder = root / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def test_every_builtin_template_is_documented_and_passes_its_own_check(root, cfg):
    """docs/templates.md documents every variable each template uses: a copy of all of them is a clean folder."""
    documented = documented_variables()
    assert set(builtin_templates(cfg)) <= set(documented), set(builtin_templates(cfg)) - set(documented)
    shutil.copytree(DOCUMENTS, root / "all")
    assert check_override_folder("all", cfg) == []


def test_documented_variables_are_read_from_the_page():
    documented = documented_variables()
    assert {"deputy", "contact", "session", "township", "doc_number"} <= documented["notice.md.j2"]
    assert "approval" in documented["party_reply.md.j2"] and "approval" not in documented["plan.md.j2"]
    # follow-up templates receive no session, and "as `x.md.j2`" takes that template's variables
    assert "session" not in documented["reminder_letter.md.j2"]
    assert {"item", "reply"} <= documented["satisfaction_form.md.j2"]
    # names inside parentheses are explanations, not variables
    assert "remind" not in documented["reminder_letter.md.j2"]


def test_a_misspelt_name_a_syntax_error_and_an_undocumented_variable_are_reported_with_file_and_line(root, cfg):
    folder_with(root, "town", {
        "notce.md.j2": "{{ deputy.name }}\n",
        "plan.md.j2": "# {{ township.name }}\n{% if %}\n",
        "notice.md.j2": "# 通知\n<< {{ deputy.name }}：\n{{ secret_key }}\n{{ approval.approver }}\n",
        ".notes.swp": "ignored",
    })
    problems = check_override_folder("town", cfg)
    found = {(p.file, p.line) for p in problems}
    assert found == {("town/notce.md.j2", None), ("town/plan.md.j2", 2), ("town/notice.md.j2", 3),
                     ("town/notice.md.j2", 4)}, problems
    misspelt = next(p for p in problems if p.file == "town/notce.md.j2")
    assert "notice.md.j2" in misspelt.problem  # the closest name is suggested
    assert any("secret_key" in p.problem and "docs/templates.md" in p.problem for p in problems)


@pytest.mark.parametrize("name", ["../etc", "/etc", "a/b", ".hidden", "..", "", "x\n", " padded"])
def test_only_a_plain_folder_name_under_the_root_is_accepted(root, cfg, name):
    problems = check_override_folder(name, cfg)
    assert len(problems) == 1 and "文件夹名称" in problems[0].problem


def test_missing_folder_and_links_leading_out_of_the_root_are_refused(root, cfg, tmp_path):
    assert "没有文件夹" in check_override_folder("nope", cfg)[0].problem
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    assert "之外" in check_override_folder("escape", cfg)[0].problem
    folder_with(root, "ok", {})
    (root / "ok-link").symlink_to(root / "ok")  # a link that stays inside is a folder like any other
    (root / "file.txt").write_text("x", encoding="utf-8")
    assert override_folders(cfg) == ["ok", "ok-link"]
    assert check_override_folder("ok-link", cfg) == []
    assert check_override_folder(root / "ok", cfg) == []  # its path under the root works too
    assert "文件夹名称" in check_override_folder(outside, cfg)[0].problem  # a path elsewhere does not


def test_set_stores_the_name_audits_and_every_document_uses_it(db, load_sample, root, tmp_path):
    settings = Settings(template_overrides_dir=root, output_dir=tmp_path / "out")
    folder_with(root, "青山", {"plan.md.j2": "# {{ township.name }}自定义方案\n"})
    township = load_sample().term.township
    set_township_templates(db, township=township, folder="青山", settings=settings, actor="管理员")
    assert township.templates_dir == "青山"
    text = render_text(township_environment(township, settings), "plan.md.j2", context_for("plan.md.j2"))
    assert text.startswith("# 青山镇自定义方案")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "township_templates_set")).one()
    assert event.actor == "管理员" and event.detail["folder"] == "青山"
    assert len(event.detail["templates"]["plan.md.j2"]) == 64
    set_township_templates(db, township=township, folder=None, settings=settings, actor="管理员")
    assert township.templates_dir is None
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "township_templates_cleared")).one()
    with pytest.raises(InputError):
        set_township_templates(db, township=township, folder="../青山", settings=settings, actor="管理员")


def test_a_stored_folder_that_vanished_or_a_legacy_path_stops_rendering(load_sample, root, cfg):
    township = load_sample().term.township
    for stored in ("gone", "/abs/path/from/a/session/file", "../up"):
        township.templates_dir = stored
        with pytest.raises(InputError):
            township_environment(township, cfg)


def test_migration_0006_forgets_folders_that_session_files_had_set(tmp_path):
    from alembic import command
    from alembic.config import Config

    from congress.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "congress" / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
        connection.execute(sa.text(
            "INSERT INTO township (code, name, county, profile, party_committee, presidium_name, government_name,"
            " doc_prefix, templates_dir) VALUES ('qingshan', '青山镇', '', 'national', '', '', '', '', '/uploads/x/.')"))
        command.upgrade(cfg, "0006")
        assert connection.execute(sa.text("SELECT templates_dir FROM township")).scalar() is None
    engine.dispose()


def test_cli_sets_and_lists_with_chinese_output_and_exit_1_with_file_and_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app
    from congress.settings import get_settings

    root = tmp_path / "overrides"
    folder_with(root.parent, "overrides", {})
    folder_with(root, "bad", {"plan.md.j2": "{{ cycler.__init__ }}\n"})
    folder_with(root, "good", {"plan.md.j2": "# {{ township.name }}方案\n"})
    monkeypatch.setenv("CONGRESS_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    monkeypatch.setenv("CONGRESS_TEMPLATE_OVERRIDES_DIR", str(root))
    monkeypatch.setenv("CONGRESS_OUTPUT_DIR", str(tmp_path / "out"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()

        def congress(*args: str):  # type: ignore[no-untyped-def]
            return runner.invoke(app, list(args))

        assert congress("load", str(REPO_ROOT / "config" / "sample" / "session.yaml")).exit_code == 0
        bad = congress("townships", "templates", "qingshan", "bad")
        assert bad.exit_code == 1 and "bad/plan.md.j2第1行" in bad.stderr and "__init__" in bad.stderr
        good = congress("townships", "templates", "qingshan", "good")
        assert good.exit_code == 0 and "“good”" in good.stdout, good.output
        listed = congress("townships", "list")
        assert listed.exit_code == 0 and "qingshan" in listed.stdout and "good" in listed.stdout
        assert congress("townships", "templates", "qingshan").exit_code == 1  # neither FOLDER nor --clear
        assert congress("townships", "templates", "qingshan", "good", "--clear").exit_code == 1  # both
        assert congress("townships", "templates", "qingshan", "--clear").exit_code == 0
        assert congress("townships", "templates", "nowhere", "--clear").exit_code == 1
    finally:
        get_settings.cache_clear()
