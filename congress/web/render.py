"""Server-rendered pages from templates/web/ (Jinja2), with the helpers every page uses."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import PurePosixPath
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


# What the core's messages say for the command line, and the pages say otherwise: a command to type, a
# key of a file format. The pages show what to do in the browser instead.
_CLI_HINT = re.compile(r"（[^（）]*congress [^（）]*）|\(congress [^()]*\)")
_PAGE_WORDS = (
    ("录入后重新运行即可从此处继续。", ""),
    ("请修改会议文件后重新导入，再重新报批", "请按意见修改会议文件，在本页上传修改后的会议文件，系统将重新报批"),
    ("或在计票文件中注明 defer_unfilled: true 留待下次会议", "或勾选“不足名额留待下次会议另行选举”"),
)


def plain(text: str | None) -> str:
    """A core message as a page shows it: without the commands and file-format keys meant for the CLI."""
    if not text:
        return ""
    out = _CLI_HINT.sub("", text)
    for cli, page_text in _PAGE_WORDS:
        out = out.replace(cli, page_text)
    return out.strip()


def citation_label(text: Any) -> str:
    """A rule's citation as staff read it (《地方组织法》第十四条), from its stored form (file 第N条)."""
    from congress.profiles import Citation

    if not text:
        return ""
    if isinstance(text, Citation):
        return text.label
    try:
        return Citation.parse(str(text)).label
    except ValueError:
        return plain(str(text))


# Prefect's state types as the pages name them
RUN_STATES = {"SCHEDULED": "排队中", "PENDING": "排队中", "RUNNING": "运行中", "COMPLETED": "已完成",
              "FAILED": "失败", "CRASHED": "已中断", "CANCELLED": "已取消", "CANCELLING": "正在取消",
              "PAUSED": "已暂停"}
# the dashboard's own states of a launch (congress/models/launch.py)
LAUNCH_STATES = {"requested": "正在启动", "queued": "待当前运行结束后开始", "waiting_service": "待流程服务恢复后开始",
                 "abandoned": "未能启动", "failed": "启动失败", "not_needed": "无需运行"}


def kind_label(kind: str) -> str:
    """A kind of document as the pages name it (every new kind gets a name here or in web.kind.*)."""
    for key in (f"dashboard.kind.{kind}", f"web.kind.{kind}"):
        if has(key):
            return msg(key)
    return msg("dashboard.kind.other")


def run_state(value: str | None) -> str:
    """A flow run's (or a launch's) state in Chinese."""
    if not value:
        return ""
    return RUN_STATES.get(value.upper(), LAUNCH_STATES.get(value, "其他"))


def environment(templates_dir: Any) -> Environment:
    """The pages' Jinja2 environment: autoescaped, in the immutable sandbox like every template here."""
    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(templates_dir / "web")),
                                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                                        lstrip_blocks=True)
    env.globals.update(msg=msg, has_msg=has, STEPS=STEPS, title_of=title_of, kind_label=kind_label)
    env.filters["local"] = local_time
    env.filters["plain"] = plain
    env.filters["stem"] = lambda path: PurePosixPath(str(path)).stem  # a file as the page names it
    env.filters["citation"] = citation_label
    env.filters["run_state"] = run_state
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
