"""A township's own document templates: a folder an administrator picks under one configured root.

The folder is a NAME under ``settings.template_overrides_dir`` (never a path from a session file or an
upload), resolved inside that root at every use. Setting it checks every file in it: each is a known
template name, compiles, touches no attribute the sandbox forbids, and uses only the variables
docs/templates.md documents for that template — so the page staff read and the check agree.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
from jinja2 import meta, nodes
from sqlalchemy.orm import Session

from congress.documents.builder import template_environment
from congress.errors import InputError, Problem
from congress.inputs import Refused, read_capped, resolve_named, show
from congress.messages import msg
from congress.models import Township
from congress.settings import REPO_ROOT, Settings

DOCS_PAGE = REPO_ROOT / "docs" / "templates.md"

# Attributes the sandbox refuses, found before a template ever runs (the sandbox stops them at run
# time too): anything starting with "_" and Python's internals reachable without one.
_UNSAFE_ATTRIBUTES = (
    jinja2.sandbox.UNSAFE_FUNCTION_ATTRIBUTES | jinja2.sandbox.UNSAFE_METHOD_ATTRIBUTES
    | jinja2.sandbox.UNSAFE_GENERATOR_ATTRIBUTES | jinja2.sandbox.UNSAFE_COROUTINE_ATTRIBUTES
    | jinja2.sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES | {"mro", "format_map"}
)
# Methods that change a list, dict or set: refused by the immutable sandbox (use namespace() instead).
_MUTATING = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "add",
             "discard", "sort", "reverse", "difference_update", "intersection_update",
             "symmetric_difference_update"}
_FOLDER_NAME = re.compile(r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]{0,127}$")


# --- where a township's folder is --------------------------------------------------------------


def overrides_root(settings: Settings) -> Path:
    """The one folder under which administrators keep townships' template folders."""
    return Path(settings.template_overrides_dir).resolve()


def override_folders(settings: Settings) -> list[str]:
    """Names of the folders an administrator can give a township (hidden ones and links leading out skipped)."""
    root = overrides_root(settings)
    if not root.is_dir():
        return []
    names = []
    for entry in sorted(root.iterdir()):
        if not _FOLDER_NAME.fullmatch(entry.name):
            continue
        try:
            resolved = entry.resolve()
        except (OSError, RuntimeError):
            continue
        if resolved.is_dir() and resolved.is_relative_to(root) and resolved != root:
            names.append(entry.name)
    return names


def folder_path(folder: str, settings: Settings) -> Path:
    """The folder a name stands for, inside the root; a path, `..`, a missing folder or a link out is refused."""
    root = overrides_root(settings)
    if not isinstance(folder, str) or not _FOLDER_NAME.fullmatch(folder) or folder.strip() != folder:
        raise InputError([Problem(show(folder), msg("inputs.template.folder_name", value=show(folder)))])
    candidate = root / folder
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        raise InputError([Problem(folder, msg("inputs.template.outside", value=folder))]) from None
    if candidate.exists() and not (resolved.is_relative_to(root) and resolved != root):
        raise InputError([Problem(folder, msg("inputs.template.outside", value=folder))])
    if not resolved.is_dir():
        raise InputError([Problem(folder, msg("inputs.template.folder_missing", value=folder, root=root))])
    return resolved


def township_environment(township: Township, settings: Settings) -> jinja2.Environment:
    """The document template environment of a township: its administrator-chosen folder first, then the defaults."""
    override = folder_path(township.templates_dir, settings) if township.templates_dir else None
    return template_environment(override_dir=override, templates_root=settings.templates_dir)


# --- what the docs page promises each template ---------------------------------------------------


def _sections(text: str) -> dict[str, str]:
    """The page's level-2 sections by title."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _rows(section: str) -> list[list[str]]:
    """The cells of every table row of a section (header and separator rows left out)."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or re.match(r"^\|[\s:|-]+\|$", line):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if any("`" in c for c in cells):
            rows.append(cells)
    return rows


_NAME = re.compile(r"^([a-z_][a-z0-9_]*)(\.[a-z0-9_.]+)?$")


def _top_level(cell: str) -> tuple[set[str], list[str]]:
    """Variable names written in backticks outside parentheses, and the templates referred to ("as `x.md.j2`")."""
    names: set[str] = set()
    refs: list[str] = []
    depth = 0
    for piece in re.split(r"(`[^`]*`)", cell):
        if len(piece) >= 2 and piece.startswith("`") and piece.endswith("`"):
            inner = piece[1:-1]
            if depth > 0:
                continue
            if inner.endswith(".j2"):
                refs.append(inner)
            elif match := _NAME.match(inner):
                names.add(match.group(1))
        else:
            depth = max(depth + piece.count("(") + piece.count("（") - piece.count(")") - piece.count("）"), 0)
    return names, refs


@lru_cache(maxsize=4)
def documented_variables(page: Path = DOCS_PAGE) -> dict[str, frozenset[str]]:
    """Template name → the variables docs/templates.md documents for it (the ones all receive, plus its own)."""
    sections = _sections(page.read_text(encoding="utf-8"))
    common: set[str] = set()
    for cells in _rows(sections["Variables every template receives"]):
        common |= {m.group(1) for span in re.findall(r"`([^`]*)`", cells[0]) if (m := _NAME.match(span))}
    common |= set(re.findall(r"^### `([a-z_]+)`", sections["Variables every template receives"], flags=re.M))
    receive = re.search(r"They receive (.+?) plus", sections["Follow-up templates"], flags=re.S)
    followup_common, _ = _top_level(receive.group(1) if receive else "")
    extras: dict[str, tuple[set[str], list[str], set[str]]] = {}
    for section, base in (("Each template and its extra variables", common), ("Follow-up templates", followup_common)):
        for cells in _rows(sections[section]):
            templates = [t for t in re.findall(r"`([^`]+\.j2)`", cells[0])]
            names, refs = _top_level(cells[-1])
            for name in templates:
                extras[name] = (names, refs, base)
    result: dict[str, frozenset[str]] = {}
    for name, (names, refs, base) in extras.items():
        allowed = set(base) | names
        for ref in refs:
            allowed |= extras.get(ref, (set(), [], set()))[0]
        result[name] = frozenset(allowed)
    return result


# --- checking a folder -------------------------------------------------------------------


def builtin_templates(settings: Settings) -> list[str]:
    """The names a township may override: the templates of <templates_dir>/documents."""
    return sorted(p.name for p in (Path(settings.templates_dir) / "documents").glob("*.j2"))


def _first_line(tree: nodes.Template, name: str) -> int | None:
    for node in tree.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return node.lineno
    return None


def check_template_source(source: str, *, name: str, label: str, env: jinja2.Environment,
                          allowed: frozenset[str]) -> list[Problem]:
    """Problems of one template's text: syntax, forbidden attributes and calls, undocumented variables."""
    try:
        tree = env.parse(source, name=name, filename=label)
    except jinja2.TemplateSyntaxError as exc:
        return [Problem(label, msg("inputs.template.syntax", error=exc.message), exc.lineno)]
    problems = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Call)):
        if isinstance(node, nodes.Getattr):
            attr = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attr = node.arg.value
        else:
            if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in _MUTATING:
                problems.append(Problem(label, msg("inputs.template.mutates", name=node.node.attr), node.lineno))
            continue
        if attr.startswith("_") or attr in _UNSAFE_ATTRIBUTES:
            problems.append(Problem(label, msg("inputs.template.unsafe", name=show(attr)), node.lineno))
    for variable in sorted(meta.find_undeclared_variables(tree) - set(env.globals) - allowed):
        problems.append(Problem(label, msg("inputs.template.variable", name=show(variable), template=name),
                                _first_line(tree, variable)))
    return sorted(problems, key=lambda p: (p.line or 0, p.problem))


def check_override_folder(path: Path | str, settings: Settings) -> list[Problem]:
    """Every problem of an override folder (a name under the root, or its path), each naming file and line."""
    try:
        root = overrides_root(settings)
        folder = Path(path)
        folder = folder_path(folder.name if folder.is_absolute() and folder.parent.resolve() == root else str(path),
                             settings)
    except InputError as exc:
        return exc.problems
    known = builtin_templates(settings)
    documented = documented_variables()
    env = template_environment(templates_root=settings.templates_dir)
    problems: list[Problem] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue  # editors' and file managers' hidden files; never loaded
        label = f"{folder.name}/{entry.name}"
        if entry.name not in known:
            close = difflib.get_close_matches(entry.name, known, n=1, cutoff=0.6)
            hint = msg("inputs.template.hint", name=close[0]) if close else ""
            problems.append(Problem(label, msg("inputs.template.unknown_name", name=show(entry.name), hint=hint)))
            continue
        try:
            target = resolve_named(folder, entry.name)
            raw = read_capped(target, kind="template")
        except Refused as exc:
            problems.append(Problem(label, exc.message))
            continue
        try:
            source = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(label, msg("inputs.template.encoding")))
            continue
        problems += check_template_source(source, name=entry.name, label=label, env=env,
                                          allowed=documented.get(entry.name, frozenset()))
    return problems


def set_township_templates(db: Session, *, township: Township, folder: str | None, settings: Settings,
                           actor: str) -> None:
    """Give a township a checked template folder (or none: the defaults); audited; InputError when it fails."""
    # imported here: the lifecycle package imports this module for township_environment
    from congress.lifecycle.operations import audit

    folder = folder or None
    files: dict[str, Any] = {}
    if folder is not None:
        path = folder_path(folder, settings)
        problems = check_override_folder(path, settings)
        if problems:
            raise InputError(problems)
        files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.glob("*.j2"))
                 if not p.name.startswith(".")}
    old = township.templates_dir
    township.templates_dir = folder
    db.flush()
    audit(db, actor=actor, action="township_templates_set" if folder else "township_templates_cleared",
          township_id=township.id, folder=folder, previous=old, templates=files)
