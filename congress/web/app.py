"""The ASGI application. Each area contributes an APIRouter; `create_app` mounts them all."""

from __future__ import annotations

from importlib import import_module

from fastapi import FastAPI

from congress.settings import Settings, get_settings

# Modules exposing `router` (an APIRouter) and optionally `setup(app, settings)`; one line per area.
ROUTER_MODULES: list[str] = [
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for the given settings (tests pass their own)."""
    settings = settings or get_settings()
    app = FastAPI(title="乡镇人大会议流程", docs_url=None, redoc_url=None)
    app.state.settings = settings
    for name in ROUTER_MODULES:
        module = import_module(name)
        if hasattr(module, "setup"):
            module.setup(app, settings)
        app.include_router(module.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
