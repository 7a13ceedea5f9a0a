"""The ASGI application. Each area contributes an APIRouter; `create_app` mounts them all."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from congress.settings import Settings, get_settings
from congress.web import render
from congress.web.deps import LoginRequired

# Modules exposing `router` (an APIRouter) and optionally `setup(app, settings)`; one line per area.
ROUTER_MODULES: list[str] = [
    "congress.web.auth",
    "congress.web.sessions",
    "congress.web.gates",
    "congress.web.oversight",
    "congress.web.suggestions",
    "congress.web.feeds",
]

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for the given settings (tests pass their own)."""
    settings = settings or get_settings()
    app = FastAPI(title="乡镇人大会议流程", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    # the flow launcher is injected by `congress serve` (flows/deployments.py); None: starting runs is refused
    app.state.launcher = None
    app.state.jinja = render.environment(settings.templates_dir)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for name in ROUTER_MODULES:
        module = import_module(name)
        if hasattr(module, "setup"):
            module.setup(app, settings)
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and "application/json" not in request.headers.get("accept", ""):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return Response(status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (403, 404) and request.url.path.split("/")[1:2] != ["static"]:
            return render.page(request, "error.html", status_code=exc.status_code, status=exc.status_code,
                               reason=str(exc.detail or ""), who=None)
        return Response(status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
