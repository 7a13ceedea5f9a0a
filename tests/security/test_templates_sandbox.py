"""Code execution from an upload (issue 9): a template is never a way to run code on the server.

On the landed main a session file with `templates_dir: '.'` whose `roster:` was named `plan.md.j2` made
the uploaded file the plan template, and `{{ cycler.__init__.__globals__.os.popen('id').read() }}` in it
ran a shell command. Now the session file cannot choose a template folder, an administrator's folder is
checked when it is set, and every template (documents and pages) runs in Jinja2's immutable sandbox, so a
payload that gets past the check is stopped at run time with its file and line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from congress.documents.builder import render_text, template_environment
from congress.documents.overrides import set_township_templates, township_environment
from congress.errors import InputError
from congress.inputs import load_session_file
from congress.lifecycle.steps import run_step
from congress.web.render import environment as web_environment
from tests.conftest import SAMPLE
from tests.doc_context import context_for


def payload(marker: Path) -> str:
    """The issue's payload, made to leave a file behind if it ever runs."""
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"


def test_the_issue_upload_is_refused_and_runs_nothing(tmp_path):
    """templates_dir: '.' plus a roster named plan.md.j2 holding the payload: refused on the templates_dir line."""
    marker = tmp_path / "ran"
    folder = tmp_path / "upload"
    shutil.copytree(SAMPLE, folder)
    roster = (folder / "roster.csv").read_text(encoding="utf-8")
    (folder / "plan.md.j2").write_text(roster.replace("青山镇人民代表大会主席", payload(marker)), encoding="utf-8")
    session = folder / "session.yaml"
    text = session.read_text(encoding="utf-8").replace("roster: roster.csv", "roster: plan.md.j2")
    session.write_text(text.replace("  doc_prefix: 青人\n", "  doc_prefix: 青人\n  templates_dir: '.'\n"),
                       encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    [problem] = [p for p in info.value.problems if p.field == "township.templates_dir"]
    assert problem.line == text.splitlines().index("  doc_prefix: 青人") + 2 and "管理员" in problem.problem
    assert not marker.exists()


@pytest.fixture
def overrides(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.template_overrides_dir = tmp_path / "overrides"
    settings.template_overrides_dir.mkdir()
    return settings.template_overrides_dir


def test_an_admin_folder_holding_the_payload_is_refused_when_set(db, settings, load_sample, overrides, tmp_path):
    marker = tmp_path / "ran"
    (overrides / "evil").mkdir()
    (overrides / "evil" / "plan.md.j2").write_text("# 会议方案\n" + payload(marker) + "\n", encoding="utf-8")
    township = load_sample().term.township
    with pytest.raises(InputError) as info:
        set_township_templates(db, township=township, folder="evil", settings=settings, actor="admin")
    assert {(p.file, p.line) for p in info.value.problems} == {("evil/plan.md.j2", 2)}
    assert any("__init__" in p.problem for p in info.value.problems)
    assert township.templates_dir is None and not marker.exists()


def test_a_payload_written_after_the_check_is_stopped_by_the_sandbox(db, settings, load_sample, overrides, tmp_path):
    """The folder passed its check; someone edits the file afterwards: the step stops, naming file and line."""
    marker = tmp_path / "ran"
    (overrides / "ours").mkdir()
    plan = overrides / "ours" / "plan.md.j2"
    plan.write_text("# {{ township.name }}会议方案\n", encoding="utf-8")
    session = load_sample()
    set_township_templates(db, township=session.term.township, folder="ours", settings=settings, actor="admin")
    plan.write_text("# {{ township.name }}会议方案\n" + payload(marker) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        run_step(db, session.key, "plan", actor="test", settings=settings)
    [problem] = info.value.problems
    assert Path(problem.file).name == "plan.md.j2" and problem.line == 2 and "不允许" in problem.problem
    assert not marker.exists()


def test_mutating_calls_are_refused_by_the_immutable_sandbox(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "plan.md.j2").write_text("{% set _ = deputies.append(1) %}\n{{ deputies|length }}\n", encoding="utf-8")
    env = template_environment(override_dir=folder)
    with pytest.raises(InputError) as info:
        render_text(env, "plan.md.j2", context_for("plan.md.j2"))
    assert info.value.problems[0].line == 1


def test_values_that_reach_a_template_are_data_never_code(tmp_path):
    """A name typed as template code is printed as typed."""
    marker = tmp_path / "ran"
    context = context_for("notice.md.j2")
    context["deputy"] = {**context["deputy"], "name": payload(marker)}
    text = render_text(template_environment(), "notice.md.j2", context)
    assert payload(marker) in text and not marker.exists()


def test_every_environment_is_the_immutable_sandbox(settings):
    for env in (template_environment(), web_environment(settings.templates_dir)):
        assert isinstance(env, ImmutableSandboxedEnvironment)
        with pytest.raises(SecurityError):
            env.from_string("{{ cycler.__init__.__globals__.os.popen('id').read() }}").render()
        with pytest.raises(SecurityError):
            env.from_string("{{ x.append(1) }}").render(x=[])


def test_an_override_linked_to_a_file_outside_is_never_read(db, settings, load_sample, overrides, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE\n", encoding="utf-8")
    (overrides / "linked").mkdir()
    (overrides / "linked" / "plan.md.j2").symlink_to(secret)
    township = load_sample().term.township
    with pytest.raises(InputError) as info:
        set_township_templates(db, township=township, folder="linked", settings=settings, actor="admin")
    assert "之外" in str(info.value) and "TOP-SECRET" not in str(info.value)
    township.templates_dir = "linked"  # as if set before the link was made
    with pytest.raises(InputError) as info:
        render_text(township_environment(township, settings), "plan.md.j2", context_for("plan.md.j2"))
    assert "TOP-SECRET" not in str(info.value)


def test_the_sandbox_keeps_undefined_variables_strict():
    with pytest.raises(jinja2.UndefinedError, match=r"notice\.md\.j2 line \d+: 'deputy' is undefined"):
        render_text(template_environment(), "notice.md.j2", {k: v for k, v in context_for("notice.md.j2").items()
                                                              if k != "deputy"})
