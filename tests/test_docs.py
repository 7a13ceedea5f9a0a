"""Docs that stay true: the README's two commands, CI running the README's test command, every setting
and CLI command documented, every input format field in the sample."""

from __future__ import annotations

import re
from pathlib import Path

from cli.main import app
from congress.settings import Settings

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_quick_start_has_exactly_two_commands_install_demo_then_tests() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert commands[0].endswith("congress demo")
    assert commands[1].endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`CONGRESS_{name.upper()}`" in README, name
        assert Settings.model_fields[name].description, name


def test_every_cli_command_is_in_the_readme() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        assert f"congress {name}" in README, name
    for group in app.registered_groups:
        assert f"congress {group.name}" in README, group.name


def test_formats_doc_names_every_top_level_key_of_the_sample() -> None:
    import yaml

    formats = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    sample = yaml.safe_load((REPO / "config" / "sample" / "session.yaml").read_text(encoding="utf-8"))
    for key, value in sample.items():
        assert f"{key}:" in formats, key
        if isinstance(value, dict):
            for sub in value:
                assert f"{sub}:" in formats, f"{key}.{sub}"
