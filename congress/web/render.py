"""Server-rendered pages from templates/web/ (Jinja2), with the helpers every page uses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from congress.ical.builder import TZ
from congress.lifecycle.context import session_title
from congress.lifecycle.steps import STEPS
from congress.messages import has, msg
from congress.models import CongressSession


def local_time(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return value.astimezone(TZ).strftime(fmt) if value else ""


def evidence_text(value: Any) -> str:
    """A step's evidence value as one readable line (mappings as key：value, lists joined by 、)."""
    if isinstance(value, dict):
        return "；".join(f"{k}：{evidence_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(evidence_text(v) for v in value) or "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def title_of(session: CongressSession) -> str:
    return session_title(session.term.township.name, session.term.ordinal, session.ordinal)


def environment(templates_dir: Any) -> Environment:
    """The pages' Jinja2 environment: autoescaped, in the immutable sandbox like every template here."""
    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(templates_dir / "web")),
                                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                                        lstrip_blocks=True)
    env.globals.update(msg=msg, has_msg=has, STEPS=STEPS, title_of=title_of)
    env.filters["local"] = local_time
    env.filters["evidence"] = evidence_text
    env.filters["day"] = lambda d: d.strftime("%Y年%m月%d日") if isinstance(d, date) else ""
    return env


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.jinja
    html = env.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def fragment(request: Request, name: str, **context: Any) -> str:
    env: Environment = request.app.state.jinja
    return env.get_template(name).render(request=request, **context)
