"""The dashboard's defences that sit around every route: request body caps enforced while the body
streams, security headers on every answer, the client's address, and bounds on what a form carries.

Both middlewares are plain ASGI (no BaseHTTPMiddleware): the body cap has to see each chunk before
Starlette or python-multipart buffers it, and the headers have to reach error pages and file downloads.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congress import limits
from congress.errors import Problem
from congress.messages import msg
from congress.settings import Settings
from congress.web import render

# --- request body caps ----------------------------------------------------------------------------

# room for a multipart body's boundaries, part headers and the small fields beside the files
MULTIPART_OVERHEAD = 16 * limits.KIB
# (method, path) → cap of the whole request body; every other request gets MAX_REQUEST_BYTES
ROUTE_CAPS: dict[tuple[str, str], int] = {
    ("POST", "/sessions/upload"): min(limits.MAX_REQUEST_BYTES,
                                      limits.MAX_FILE_BYTES["session"] + limits.MAX_FILE_BYTES["roster"]
                                      + MULTIPART_OVERHEAD),
}


def body_cap(method: str, path: str) -> int:
    """The most bytes a request to this route may carry."""
    return ROUTE_CAPS.get((method, path.rstrip("/") or "/"), limits.MAX_REQUEST_BYTES)


class BodyTooLarge(Exception):
    """Raised from `receive` once a body passes its cap; the middleware answers 413."""


Refuse = Callable[[Scope, int], Awaitable[tuple[int, list[tuple[bytes, bytes]], bytes]]]


class BodyLimitMiddleware:
    """Refuse a request body over its route's cap with 413, before the application reads past the cap.

    A Content-Length over the cap is refused without reading anything; without one (chunked) or when
    it lies, the chunks are counted as they arrive and the request is cut off at the first one past
    the cap. Whatever the application was about to answer to a body it could not read is dropped.
    """

    def __init__(self, app: ASGIApp, *, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = body_cap(scope["method"], scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > cap
            except ValueError:
                too_big = True  # not a number: no honest client sends that
            if too_big:
                await self._answer(scope, send, cap)
                return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the application's answer to a body it could not read
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # BodyTooLarge itself, or whatever a parser turned it into; anything else is not ours
            if not exceeded:
                raise
        if exceeded and not started:
            await self._answer(scope, send, cap)

    async def _answer(self, scope: Scope, send: Send, cap: int) -> None:
        status, headers, body = await self.refuse(scope, cap)
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# --- security headers -------------------------------------------------------------------------------

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def https_in_use(scope: Scope, settings: Settings) -> bool:
    """The browser reached us over HTTPS: uvicorn's own TLS, or the configured HTTPS proxy."""
    return scope.get("scheme") == "https" or settings.behind_https_proxy


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP answer, and `Cache-Control: no-store` to pages and
    documents that set no caching of their own (the calendar feeds keep their `private, no-cache`;
    static files keep their validators)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope, self.settings)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in extra if k.lower() not in present]]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(scope: Scope, settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every answer to this request carries (unless the route set its own)."""
    headers = {**HEADERS}
    if not scope.get("path", "").startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if https_in_use(scope, settings):
        headers["Strict-Transport-Security"] = HSTS
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


# --- error answers ---------------------------------------------------------------------------------

# statuses with a message of their own; any other error status gets the generic (400) one
ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503)


def wants_json(request: Request) -> bool:
    """The page's own scripts (fetch with Accept: application/json) get JSON; browsers get pages."""
    return "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, message: str | None = None, *,
                   headers: dict[str, str] | None = None) -> Response:
    """An error as the user sees it: a Chinese page, or JSON shaped like a check's problems."""
    text = message or msg(f"security.error.{status if status in ERROR_STATUSES else 400}")
    if wants_json(request):
        return JSONResponse({"ok": False, "error": text, "items": [],
                             "problems": [{"file": "", "line": None, "field": None, "problem": text, "text": text}]},
                            status_code=status, headers=headers)
    try:
        return error_page(request, status, message=text, headers=headers)
    except Exception:  # the page itself failed: still one Chinese line, never a traceback
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><p>{text}</p>", status_code=status, headers=headers)


def error_page(request: Request, status: int, *, message: str | None = None, reason: str = "",
               headers: dict[str, str] | None = None) -> Response:
    """templates/web/error.html for this status (403/404 have their own wording)."""
    response = render.page(request, "error.html", status_code=status, status=status, message=message, reason=reason,
                           who=None)
    response.headers.update(headers or {})
    return response


def megabytes(size: int) -> str:
    """A byte count as staff read it (KB below a megabyte)."""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def safe_path(target: object, default: str) -> str:
    """A redirect target on this site only: a path, never `//host`, `/\\host` (browsers read the
    backslash as a slash) or anything with control characters."""
    text = str(target or "")
    if (not text.startswith("/") or text.startswith("//") or "\\" in text
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)):
        return default
    return text


# --- the client's address ---------------------------------------------------------------------------


def client_address(request: Request, settings: Settings) -> str:
    """The address log-ins are throttled and audited by: the socket peer, or behind the configured
    HTTPS proxy the address that proxy appended last to X-Forwarded-For (earlier entries come from the
    client and can be forged)."""
    peer = request.client.host if request.client else ""
    if settings.behind_https_proxy:
        forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
        if forwarded:
            candidate = forwarded[-1]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return candidate[:64]
    return peer[:64]


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_refusal(settings: Settings, host: str) -> str | None:
    """Why `congress serve` must not start on this host with these settings (one Chinese line), or None.

    In production a non-loopback address is served only over HTTPS: uvicorn's own TLS (certificate and
    key) or behind an HTTPS proxy. A half-given or missing TLS pair is refused in any environment.
    """
    cert, key = settings.tls_certfile, settings.tls_keyfile
    if cert is not None or key is not None:
        missing = [str(p) for p in (cert, key) if p is None or not Path(p).is_file()]
        if cert is None or key is None or missing:
            return msg("security.serve.tls_pair", path="、".join(missing) or "—")
    if settings.environment != "production" or is_loopback(host):
        return None
    if (cert is not None and key is not None) or settings.behind_https_proxy:
        return None
    return msg("security.serve.needs_https", host=host)


# --- bounds on form values --------------------------------------------------------------------------

# dates a form may carry: those a file may carry (far from the calendar's edges, where deadline
# arithmetic would overflow)
EARLIEST_DAY, LATEST_DAY = limits.DATE_RANGE


class FormBounds:
    """Collects the problems of a form's values checked against their bounds, before any work."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, field: str, problem: str) -> None:
        self.problems.append(Problem(self.file, problem, None, field))

    def text(self, form: FormData | dict[str, Any], name: str, *, max_chars: int = limits.MAX_TEXT_CHARS,
             label: str | None = None, field: str | None = None) -> str:
        """A text field, stripped; too long: a problem, and "" comes back."""
        value = str(form.get(name, "") or "").strip()
        if len(value) > max_chars:
            self.add(field or name, msg("security.form.too_long", field=label or name, n=max_chars))
            return ""
        return value

    def count(self, text: Any, field: str, *, high: int, low: int = 0) -> int | None:
        """A whole number in low..high; blank gives None; anything else is a problem (and None)."""
        value = str(text or "").strip()
        if not value:
            return None
        if len(value) > 12 or not re.fullmatch(r"-?\d+", value):
            self.add(field, msg("security.form.not_a_number", value=value[:20]))
            return None
        number = int(value)
        if not low <= number <= high:
            self.add(field, msg("security.form.out_of_range", low=low, high=high))
            return None
        return number

    def day(self, text: Any, field: str, *, label: str) -> date | None:
        """An ISO date within EARLIEST_DAY..LATEST_DAY; otherwise a problem (and None)."""
        value = str(text or "").strip()
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.add(field, msg("security.form.bad_date", field=label))
            return None
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            self.add(field, msg("security.form.day_out_of_range", field=label, low=EARLIEST_DAY.isoformat(),
                                high=LATEST_DAY.isoformat()))
            return None
        return day

    def items(self, values: Iterable[str], field: str, *, most: int, max_chars: int, label: str) -> list[str]:
        """A list of short values (codes): at most `most`, each at most `max_chars`."""
        out = list(values)
        if len(out) > most:
            self.add(field, msg("security.form.too_many", field=label, n=most))
            return []
        if any(len(v) > max_chars for v in out):
            self.add(field, msg("security.form.too_long", field=label, n=max_chars))
            return []
        return out

    @property
    def first(self) -> str | None:
        """The first problem as one line (for forms that show one error)."""
        return self.problems[0].problem if self.problems else None
