"""Headers and HTTPS (issue 9, item 5): a strict Content-Security-Policy and the other security headers
on pages, documents and errors; no inline script or style anywhere (checked in the HTML and in Chromium,
whose console reports every CSP violation); production refuses to serve a non-loopback address over
plain HTTP, in one Chinese line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from congress.lifecycle import operations as ops
from congress.models import Document, Suggestion
from congress.settings import Settings
from congress.web.app import create_app
from congress.web.security import CONTENT_SECURITY_POLICY, serve_refusal
from tests.security.conftest import KEY, PASSWORDS, Site, create_sample
from tests.servers import background_server, free_port

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.problems.append("a <style> element")
        if tag == "script" and not names.get("src"):
            self.problems.append("an inline <script>")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'style="{value}" on <{tag}>')
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    """What in a page the Content-Security-Policy would block: inline scripts, styles, handlers."""
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


def test_the_policy_is_the_one_the_issue_asks_for() -> None:
    assert CONTENT_SECURITY_POLICY == CSP


def _document(site: Site) -> int:
    with site.db() as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        root = Path(session.output_dir)
        (root / "01-plan").mkdir(parents=True, exist_ok=True)
        (root / "01-plan" / "会议方案.docx").write_bytes(b"PK docx")
        doc = Document(session_id=session.id, step="plan", kind="plan", path="01-plan/会议方案.docx", sha256="0" * 64)
        db.add(doc)
        db.flush()
        return doc.id


def _assert_security_headers(response, *, no_store: bool = True) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["content-security-policy"] == CSP, response.url
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("same-origin", "no-referrer")
    if no_store:
        assert headers["cache-control"] == "no-store", response.url


def test_pages_documents_and_errors_carry_the_headers(sqlite_site: Site) -> None:
    site = sqlite_site
    staff = site.client("staff_a", raise_server_exceptions=False)
    create_sample(staff)
    doc_id = _document(site)
    for path in ("/login", "/sessions", f"/sessions/{KEY}", f"/sessions/{KEY}/progress", f"/sessions/{KEY}/tallies",
                 f"/sessions/{KEY}/files/{doc_id}", f"/sessions/{KEY}/files/999999", "/county", "/no-such-page"):
        response = staff.get(path, follow_redirects=False)
        assert response.status_code in (200, 403, 404), (path, response.status_code)
        _assert_security_headers(response)
    download = staff.get(f"/sessions/{KEY}/files/{doc_id}")
    assert download.content == b"PK docx" and "strict-transport-security" not in download.headers
    # errors a user provokes: CSRF (403), validation (422), a body over the cap (413), a wrong method (405)
    for response in (staff.post("/sessions/sample", data={}), staff.post("/login", data={}),
                     staff.post(f"/sessions/{KEY}/tallies", content=b"x" * (3 * 1024 * 1024),
                                headers={"Content-Type": "application/x-www-form-urlencoded"}),
                     staff.delete("/sessions")):
        assert response.status_code in (403, 405, 413, 422), response.status_code
        _assert_security_headers(response)
        assert re.search(r"[\u4e00-\u9fff]", response.text), response.text


def test_static_files_and_feeds_keep_their_own_caching(sqlite_site: Site) -> None:
    site = sqlite_site
    client = site.client()
    css = client.get("/static/app.css")
    _assert_security_headers(css, no_store=False)
    assert "no-store" not in css.headers.get("cache-control", "") and css.headers.get("etag")


def test_hsts_only_over_https(sqlite_site: Site) -> None:
    site = sqlite_site
    plain = site.client().get("/login")
    assert "strict-transport-security" not in plain.headers
    secure = TestClient(create_app(site.settings), base_url="https://testserver").get("/login")
    assert secure.headers["strict-transport-security"].startswith("max-age=")
    proxied = Settings(**{**site.settings.model_dump(), "behind_https_proxy": True})
    assert TestClient(create_app(proxied)).get("/login").headers["strict-transport-security"]


def test_suggestion_pages_have_no_inline_style(sqlite_site: Site) -> None:
    site = sqlite_site
    staff = site.client("staff_a")
    create_sample(staff)
    with site.db() as db:
        sid = db.scalar(select(Suggestion.id).where(Suggestion.code == "J001"))
    for path in ("/suggestions", "/suggestions/new?township=qingshan", f"/suggestions/{sid}",
                 f"/sessions/{KEY}/suggestions"):
        page = staff.get(path)
        assert page.status_code == 200
        assert inline_code(page.text) == [], path  # suggestions_new.html and _detail.html had style="…"


# --- in Chromium: the console reports every CSP violation ---------------------------------------------


def test_no_csp_violations_in_chromium(sqlite_site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.walkthrough import launch_browser

    site = sqlite_site
    create_sample(site.client("staff_a"))
    doc_id = _document(site)
    with site.db() as db:
        sid = db.scalar(select(Suggestion.id).where(Suggestion.code == "J001"))
    port = free_port()
    env = {**os.environ, "CONGRESS_DATABASE_URL": site.settings.database_url,
           "CONGRESS_UPLOAD_DIR": str(site.settings.upload_dir), "CONGRESS_LOG_DIR": str(site.settings.log_dir),
           "CONGRESS_OUTPUT_DIR": str(site.settings.output_dir), "CONGRESS_RENDER_PDF": "off",
           "CONGRESS_TEMPLATE_OVERRIDES_DIR": str(site.settings.template_overrides_dir)}
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "congress.web.app:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]
    pages = {
        "staff_a": ["/sessions", f"/sessions/{KEY}", f"/sessions/{KEY}/attendance", f"/sessions/{KEY}/tallies",
                    f"/sessions/{KEY}/approval/plan", f"/sessions/{KEY}/audit", "/suggestions",
                    "/suggestions/new?township=qingshan", f"/suggestions/{sid}", "/sessions/no-such-session"],
        "admin": ["/county", "/admin"],
    }
    problems: list[str] = []
    with background_server(cmd, log_path=tmp_path / "uvicorn.log", ready_url=f"{base}/healthz", env=env), \
            sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for user, paths in pages.items():
                page = browser.new_page()
                page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                        else None)
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                                     "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
                page.goto(f"{base}/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORDS[user])
                page.click("button[type=submit]")
                page.wait_for_url(re.compile(r".*/(sessions|county)$"))
                for path in paths:
                    response = page.goto(base + path)
                    assert response is not None and response.headers["content-security-policy"] == CSP
                    page.wait_for_load_state("networkidle")
                    # the styles of app.css applied: the stylesheet was allowed
                    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex"
                # a document opens as a download, with the same headers
                with page.expect_download() as download:
                    page.evaluate(f"window.location.href = '/sessions/{KEY}/files/{doc_id}'")
                assert download.value.suggested_filename == "会议方案.docx"
                page.close()
        finally:
            browser.close()
    # a 404 page logs its own status as a console error: that one is expected
    problems = [p for p in problems if "404" not in p]
    assert problems == []


# --- production refuses plain HTTP on a non-loopback address ------------------------------------------


@pytest.mark.parametrize(("host", "extra", "refused"), [
    ("0.0.0.0", {}, True),
    ("192.168.1.10", {}, True),
    ("::", {}, True),
    ("127.0.0.1", {}, False),
    ("localhost", {}, False),
    ("::1", {}, False),
    ("0.0.0.0", {"behind_https_proxy": True}, False),
])
def test_serve_refusal(host: str, extra: dict[str, object], refused: bool) -> None:
    settings = Settings(environment="production", secret_key="k" * 40, **extra)  # type: ignore[arg-type]
    reason = serve_refusal(settings, host)
    assert (reason is not None) == refused
    if refused:
        assert reason is not None and "HTTPS" in reason and host in reason
    assert serve_refusal(Settings(), host) is None  # development serves anywhere


def test_serve_refusal_needs_both_tls_files(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x")
    base = {"environment": "production", "secret_key": "k" * 40}
    assert "CONGRESS_TLS_KEYFILE" in (serve_refusal(Settings(**base, tls_certfile=cert), "0.0.0.0") or "")
    assert "key.pem" in (serve_refusal(Settings(**base, tls_certfile=cert, tls_keyfile=key), "0.0.0.0") or "")
    key.write_text("x")
    assert serve_refusal(Settings(**base, tls_certfile=cert, tls_keyfile=key), "0.0.0.0") is None


def test_congress_serve_refuses_in_one_chinese_line(tmp_path: Path) -> None:
    env = {**os.environ, "CONGRESS_ENVIRONMENT": "production", "CONGRESS_SECRET_KEY": "s" * 40,
           "CONGRESS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "COLUMNS": "200"}
    env.pop("CONGRESS_BEHIND_HTTPS_PROXY", None)
    result = subprocess.run([sys.executable, "-m", "cli.main", "serve", "--host", "0.0.0.0", "--port", "1"],
                            cwd=tmp_path, env=env, text=True, capture_output=True, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(r"[\u4e00-\u9fff]", lines[0]) and "HTTPS" in lines[0], lines
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "c.db").exists()  # refused before anything started

