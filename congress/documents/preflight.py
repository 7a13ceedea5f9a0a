"""Templates fail early: before a session's first step runs, every template its documents use is
compiled and checked, so a syntax error, a misspelt variable or a misspelt override file name is
reported by `congress load` (file and line), not by step 9 after a hundred files were written.

The checks are the ones an administrator's override folder gets when it is set
(congress/documents/overrides.py): Jinja2 syntax, what the sandbox forbids, and every variable a
template uses being one docs/templates.md documents for it. They run on the township's own folder
(which may have been edited since it was set) and on the templates under CONGRESS_TEMPLATES_DIR that
the folder does not replace.
"""

from __future__ import annotations

from pathlib import Path

from congress.documents.builder import template_environment
from congress.documents.overrides import (
    builtin_templates,
    check_override_folder,
    check_template_source,
    documented_variables,
    folder_path,
)
from congress.errors import InputError, Problem, display_path
from congress.models import Township
from congress.settings import Settings


def check_session_templates(township: Township, settings: Settings) -> list[Problem]:
    """Every problem of the templates the township's documents are made from, each with file and line."""
    problems: list[Problem] = []
    overridden: set[str] = set()
    if township.templates_dir:
        try:
            folder = folder_path(township.templates_dir, settings)
        except InputError as exc:
            return exc.problems
        problems += check_override_folder(folder, settings)
        overridden = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    env = template_environment(templates_root=settings.templates_dir)
    documented = documented_variables()
    root = Path(settings.templates_dir) / "documents"
    for name in builtin_templates(settings):
        if name in overridden:
            continue
        path = root / name
        problems += check_template_source(path.read_text(encoding="utf-8-sig"), name=name,
                                          label=display_path(path), env=env,
                                          allowed=documented.get(name, frozenset()))
    return problems


def require_session_templates(township: Township, settings: Settings) -> None:
    """Raise InputError naming every problem of the township's templates (see check_session_templates)."""
    problems = check_session_templates(township, settings)
    if problems:
        raise InputError(problems)


__all__ = ["check_session_templates", "require_session_templates"]
