"""The ASGI application. Each area contributes an APIRouter; `create_app` mounts them all.

Around the routes: the body cap and the security headers (congress/web/security.py), and one answer
per kind of failure — every error a user can provoke is a Chinese page (or JSON for the pages' own
scripts), and an unexpected exception is written to the log with its traceback while the user reads
one Chinese line.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from congress.messages import msg
from congress.settings import Settings, get_settings
from congress.web import render
from congress.web.deps import LoginRequired, PasswordChangeRequired
from congress.web.security import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    error_page,
    error_response,
    megabytes,
    security_headers,
    wants_json,
)

# Modules exposing `router` (an APIRouter) and optionally `setup(app, settings)`; one line per area.
ROUTER_MODULES: list[str] = [
    "congress.web.auth",
    "congress.web.sessions",
    "congress.web.gates",
    "congress.web.oversight",
    "congress.web.suggestions",
    "congress.web.feeds",
    "congress.web.admin",
    "congress.web.workbooks",
    "congress.web.deputies",
]

STATIC_DIR = Path(__file__).parent / "static"
ERROR_LOG = "web-errors.log"
# the form fields a validation error can name, as the pages label them
FIELD_NAMES = {"username": "用户名", "password": "密码", "login_csrf": "登录表单", "session_file": "会议文件",
               "roster_file": "代表名册文件", "csrf_token": "表单令牌"}


def error_logger(log_dir: Path) -> logging.Logger:
    """A logger writing tracebacks to <log_dir>/web-errors.log (one per folder: tests use several)."""
    path = (log_dir / ERROR_LOG).resolve()
    logger = logging.getLogger("congress.web.errors." + hashlib.sha256(str(path).encode()).hexdigest()[:12])
    if not logger.handlers:
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.ERROR)
        logger.propagate = False
    return logger


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for the given settings (tests pass their own)."""
    settings = settings or get_settings()
    app = FastAPI(title="乡镇人大会议流程", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    # the flow launcher is injected by `congress serve` (flows/deployments.py); None: starting runs is refused
    app.state.launcher = None
    # the flow service's health (congress/web/service.py), kept by `congress serve`; None: not supervised here
    app.state.service = None
    app.state.jinja = render.environment(settings.templates_dir)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for name in ROUTER_MODULES:
        module = import_module(name)
        if hasattr(module, "setup"):
            module.setup(app, settings)
        app.include_router(module.router)

    async def refuse_body(scope: Scope, cap: int) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        response = error_response(Request(scope), 413, msg("security.upload.request_too_large",
                                                           size=megabytes(cap)))
        return 413, [(k, v) for k, v in response.raw_headers if k != b"content-length"], bytes(response.body)

    # added innermost first: the headers wrap the 413 answers of the body cap too
    app.add_middleware(BodyLimitMiddleware, refuse=refuse_body)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    logger = error_logger(settings.log_dir)
    log_path = (settings.log_dir / ERROR_LOG).resolve()

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and not wants_json(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return error_response(request, 401, msg("security.error.401"))

    @app.exception_handler(PasswordChangeRequired)
    async def _change_password(request: Request, _exc: PasswordChangeRequired) -> Response:
        if request.method == "GET" and not wants_json(request):
            return RedirectResponse("/account/password", status_code=303)
        return error_response(request, 403, msg("dashboard.account.change_first"))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if request.url.path.startswith("/static/") or request.url.path.startswith("/feeds/"):
            return Response(status_code=exc.status_code, headers=headers)  # files: a bare status, as before
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, reason=str(exc.detail or ""), headers=headers)
        return error_response(request, exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: list[dict[str, Any]] = list(exc.errors())
        if any(e.get("loc", ("",))[0] == "path" for e in errors):
            # an id or key that cannot exist (too large, not a number): the same 404 as a missing one
            return error_page(request, 404)
        names = (str(e["loc"][-1]) for e in errors if e.get("loc"))
        fields = "、".join(dict.fromkeys(FIELD_NAMES.get(n, n) for n in names)) or "—"
        return error_response(request, 422, msg("security.error.invalid_fields", fields=fields))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(4)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        logger.error("%s %s reference=%s", request.method, request.url.path, reference, exc_info=exc)
        response = error_response(request, 500, msg("security.error.unexpected", reference=reference))
        # this answer leaves through Starlette's outermost middleware, outside the headers middleware
        for key, value in security_headers(request.scope, settings):
            response.headers[key.decode()] = value.decode()
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """The web app answers; "flows": the flow service is up, starting, down, or not connected (none)."""
        service = app.state.service
        flows = service.state if service is not None else ("up" if app.state.launcher is not None else "none")
        return {"status": "ok", "flows": flows}

    return app

