"""The authorization matrix, generated from the application's own route table.

Every route of `create_app(settings).routes` × every method it answers × {anonymous, staff of A, staff
of B, approver of A, auditor, admin}, with its path parameters filled with objects of township A. What
each route requires comes from EXPECTED below: a route added later without a line there fails this
test, so nobody has to remember to cover it.

Asserted for every cell: nobody gets a 5xx; anonymous never gets a 2xx on a protected route (a redirect
to the log-in page or 401); a role without the route's permission gets 403; staff of township B get
404 on township A's objects; a role with the permission is not refused (no 401/403/404). Every answer
carries the security headers, and no page has inline script or style (the CSP would block it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount

from congress.calendar import feeds
from congress.deputies import links as deputy_links
from congress.deputies import operations as deputy_ops
from congress.followup import operations as fops
from congress.lifecycle import operations as ops
from congress.models import DeputyEntry, Document, FollowupDocument, Suggestion, Township
from congress.web.deps import PERMISSIONS
from tests.security.conftest import KEY, SAMPLE, TOWNSHIP_A, USERS, Site, create_sample, csrf, make_site
from tests.security.test_headers import inline_code

# a valid one-page PDF (blank), for the route that shows a document's pages as images
ONE_PAGE_PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] "
                b"/Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
                b"trailer\n<< /Size 4 /Root 1 0 R >>\n%%EOF\n")
PUBLIC = "public"  # no log-in needed (the log-in page, static files, feeds by their secret token)
LOGGED_IN = "logged_in"  # any role


@dataclass(frozen=True)
class Rule:
    """What a route requires, and what to send it."""

    permission: str  # a key of congress.web.deps.PERMISSIONS, PUBLIC or LOGGED_IN
    scoped: bool = False  # the path names an object of one township: other townships' staff get 404
    query: str = ""
    form: dict[str, str] = field(default_factory=dict)
    upload: bool = False  # multipart: the sample session file and roster


# (method, path template) → Rule. A route missing here fails test_every_route_is_in_the_table.
EXPECTED: dict[tuple[str, str], Rule] = {
    ("GET", "/static/{path:path}"): Rule(PUBLIC),
    ("GET", "/healthz"): Rule(PUBLIC),
    ("GET", "/login"): Rule(PUBLIC),
    ("POST", "/login"): Rule(PUBLIC, form={"username": "staff_a", "password": "not-the-password"}),
    ("POST", "/logout"): Rule(LOGGED_IN),
    ("GET", "/"): Rule(PUBLIC),
    ("GET", "/sessions"): Rule("view"),
    ("POST", "/sessions/sample"): Rule("create_session"),
    ("POST", "/sessions/upload"): Rule("create_session", upload=True),
    ("GET", "/sessions/{key}"): Rule("view", scoped=True),
    ("GET", "/sessions/{key}/progress"): Rule("view", scoped=True),
    ("POST", "/sessions/{key}/launch"): Rule("launch", scoped=True),
    ("POST", "/sessions/{key}/resubmit"): Rule("create_session", scoped=True, upload=True),
    ("GET", "/sessions/{key}/files/{doc_id}"): Rule("view", scoped=True),
    ("GET", "/sessions/{key}/files/{doc_id}/pages/{number}"): Rule("view", scoped=True),
    ("GET", "/sessions/{key}/approval/{subject}"): Rule("view", scoped=True),
    ("POST", "/sessions/{key}/approval/{subject}"): Rule("approve", scoped=True, form={"decision": "maybe"}),
    ("GET", "/sessions/{key}/attendance"): Rule("view", scoped=True),
    ("POST", "/sessions/{key}/attendance/check"): Rule("view", scoped=True),
    ("POST", "/sessions/{key}/attendance"): Rule("attendance", scoped=True),
    ("GET", "/sessions/{key}/tallies"): Rule("view", scoped=True),
    ("POST", "/sessions/{key}/tallies/check"): Rule("view", scoped=True, form={"vote.agenda.yes": "abc"}),
    ("POST", "/sessions/{key}/tallies"): Rule("tallies", scoped=True, form={"vote.agenda.yes": "abc"}),
    ("GET", "/sessions/{key}/audit"): Rule("view", scoped=True),
    ("GET", "/sessions/{key}/suggestions"): Rule("view", scoped=True),
    ("GET", "/county"): Rule("county"),
    ("GET", "/suggestions"): Rule("view", scoped=True, query=f"?township={TOWNSHIP_A}"),
    ("GET", "/suggestions/new"): Rule("suggestions", scoped=True, query=f"?township={TOWNSHIP_A}"),
    ("POST", "/suggestions/new"): Rule("suggestions", scoped=True, form={"township": TOWNSHIP_A}),
    ("POST", "/suggestions/handover"): Rule("suggestions", scoped=True, form={"township": TOWNSHIP_A}),
    ("GET", "/suggestions/{sid:int}"): Rule("view", scoped=True),
    ("POST", "/suggestions/{sid:int}/reply"): Rule("suggestions", scoped=True),
    ("POST", "/suggestions/{sid:int}/rating"): Rule("suggestions", scoped=True),
    ("GET", "/suggestions/files/{doc_id:int}"): Rule("view", scoped=True),
    ("GET", "/feeds/{token}.ics"): Rule(PUBLIC),
    ("HEAD", "/feeds/{token}.ics"): Rule(PUBLIC),
    ("GET", "/admin"): Rule("admin"),
    ("POST", "/admin/townships/{code}/templates"): Rule("admin", form={"folder": ""}),
    ("POST", "/admin/unlock"): Rule("admin", form={"username": "staff_b"}),
    # the forms below are sent incomplete: allowed means refused on the form (422), nothing changes
    ("POST", "/admin/townships"): Rule("admin"),
    ("POST", "/admin/townships/{code}"): Rule("admin"),
    ("POST", "/admin/users"): Rule("admin"),
    ("POST", "/admin/users/{username}"): Rule("admin"),
    ("POST", "/admin/users/{username}/active"): Rule("admin"),
    ("POST", "/admin/users/{username}/password"): Rule("admin"),
    ("POST", "/admin/feeds"): Rule("admin"),
    ("POST", "/admin/feeds/{token_id}/revoke"): Rule("admin"),
    ("GET", "/account/password"): Rule(LOGGED_IN),
    ("POST", "/account/password"): Rule(LOGGED_IN, form={"current": "not-the-password", "new": "x", "again": "y"}),
    ("GET", "/templates/{kind}.xlsx"): Rule(LOGGED_IN),
    ("GET", "/sessions/{key}/templates/{kind}.xlsx"): Rule("view", scoped=True),
    ("GET", "/county.xlsx"): Rule("county"),
    ("GET", "/townships/{code}/overdue.xlsx"): Rule("view", scoped=True),
    ("GET", "/holidays/{year}"): Rule(LOGGED_IN),
    ("GET", "/law/{file}"): Rule(LOGGED_IN),
    ("GET", "/law/{file}/{article}"): Rule(LOGGED_IN),
    # the deputies' own page: the token in the path is the credential (a wrong one is a bare 404)
    ("GET", "/d/{link}"): Rule(PUBLIC),
    ("GET", "/d/{link}/calendar.ics"): Rule(PUBLIC),
    ("HEAD", "/d/{link}/calendar.ics"): Rule(PUBLIC),
    ("GET", "/d/{link}/materials/{material_id}"): Rule(PUBLIC),
    ("GET", "/d/{link}/suggestions/{sid}/reply.pdf"): Rule(PUBLIC),
    ("POST", "/d/{link}/suggestions"): Rule(PUBLIC),
    ("POST", "/d/{link}/motions"): Rule(PUBLIC),
    ("POST", "/d/{link}/motions/{motion_id}/cosign"): Rule(PUBLIC),
    ("POST", "/d/{link}/suggestions/{sid}/rating"): Rule(PUBLIC),
    ("GET", "/townships/{code}/deputies"): Rule("view", scoped=True),
    ("GET", "/townships/{code}/deputies/photos/{entry_id}"): Rule("view", scoped=True),
    ("POST", "/townships/{code}/deputies/links"): Rule("suggestions", scoped=True),
    ("POST", "/townships/{code}/deputies/office"): Rule("suggestions", scoped=True),
    ("GET", "/sessions/{key}/materials"): Rule("view", scoped=True),
    ("POST", "/sessions/{key}/materials"): Rule("suggestions", scoped=True),
    ("POST", "/sessions/{key}/materials/release"): Rule("suggestions", scoped=True),
    ("GET", "/sessions/{key}/materials/{material_id}"): Rule("view", scoped=True),
}

ROLES: dict[str | None, tuple[str | None, str | None]] = {  # client → (role, township)
    None: (None, None), **{name: role for name, role in USERS.items()}}


@dataclass
class World:
    """Township A's objects, and one logged-in client per role (anonymous: None)."""

    site: Site
    objects: dict[str, Any]
    clients: dict[str | None, TestClient]
    tokens: dict[str | None, str]


# path parameter name → its value for a path template (the same name can mean different objects)
RESOLVERS: dict[str, Callable[[World, str], str]] = {
    "key": lambda w, path: KEY,
    "subject": lambda w, path: "plan",
    "doc_id": lambda w, path: str(w.objects["followup_document" if path.startswith("/suggestions") else "document"]),
    "sid": lambda w, path: str(w.objects["suggestion"]),
    "token": lambda w, path: w.objects["feed_token"],
    "code": lambda w, path: TOWNSHIP_A,
    "path": lambda w, path: "app.css",
    "number": lambda w, path: "1",
    "username": lambda w, path: "staff_b",
    "token_id": lambda w, path: str(w.objects["feed_token_id"]),
    "kind": lambda w, path: "attendance",
    "file": lambda w, path: "local-organic-law-2022.md",
    "article": lambda w, path: "第二十五条",
    "year": lambda w, path: "2027",
    "link": lambda w, path: w.objects["deputy_link"],
    "material_id": lambda w, path: str(w.objects["material"]),
    "motion_id": lambda w, path: "1",
    "entry_id": lambda w, path: str(w.objects["deputy_entry"]),
}


def route_table(app: Any) -> Iterator[tuple[str, str, Any]]:
    """(method, path template, param names) of every route, routers included through FastAPI's contexts."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                real = context.starlette_route or context.original_route
                for method in sorted(real.methods):
                    yield method, context.path, real.param_convertors.keys()
        elif isinstance(route, Mount):
            yield "GET", f"{route.path}/{{path:path}}", ["path"]
        else:
            for method in sorted(route.methods):
                yield method, route.path, route.param_convertors.keys()


def fill(world: World, path: str, names: Any) -> str:
    import re

    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name not in RESOLVERS:
            pytest.fail(f"path parameter {name!r} of {path} has no resolver: add one to RESOLVERS in {__file__}")
        return RESOLVERS[name](world, path)

    return re.sub(r"\{([^}]+)\}", one, path)


@pytest.fixture(scope="module")
def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    site, cleanup = make_site(backend, tmp_path_factory.mktemp(f"matrix-{backend}"))
    clients: dict[str | None, TestClient] = {None: site.client(raise_server_exceptions=False)}
    for name in USERS:
        clients[name] = site.client(name, raise_server_exceptions=False)
    create_sample(clients["staff_a"])
    with site.db() as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        township = db.scalar(select(Township).where(Township.code == TOWNSHIP_A))
        assert township is not None
        root = Path(session.output_dir)
        (root / "01-plan").mkdir(parents=True, exist_ok=True)
        (root / "01-plan" / "会议方案.docx").write_bytes(b"PK docx")
        (root / "01-plan" / "会议方案.pdf").write_bytes(ONE_PAGE_PDF)  # its pages are shown as images
        document = Document(session_id=session.id, step="plan", kind="plan", path="01-plan/会议方案.docx",
                            sha256="0" * 64)
        db.add(document)
        fops.hand_over(db, township=township, on=date(2026, 12, 24), codes=["J001"], actor="staff_a",
                       settings=site.settings)
        followup_document = db.scalar(select(FollowupDocument).where(FollowupDocument.township_id == township.id))
        suggestion = db.scalar(select(Suggestion).where(Suggestion.code == "J002"))
        token, secret = feeds.issue_token(db, township=township, kind="office", actor="staff_a")
        deputy = session.term.deputies[0]
        _link, deputy_link = deputy_links.issue(db, deputy=deputy, actor="staff_a", settings=site.settings)
        material = deputy_ops.add_material(db, session=session, title="政府工作报告", data=ONE_PAGE_PDF,
                                           actor="staff_a", settings=site.settings)
        photo = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
        entered = deputy_ops.submit_suggestion(db, link=_link, today=date(2027, 1, 8), settings=site.settings,
                                               data=deputy_ops.NewSuggestion("关于整修村口桥梁的建议", "内容", "城乡建设", photo))
        entry = db.scalar(select(DeputyEntry).where(DeputyEntry.suggestion_id == entered.id))
        db.flush()
        assert followup_document is not None and suggestion is not None
        objects = {"document": document.id, "followup_document": followup_document.id,
                   "suggestion": suggestion.id, "feed_token": secret, "feed_token_id": token.id,
                   "deputy_link": deputy_link, "material": material.id, "deputy_entry": entry.id}
    tokens = {name: csrf(client) for name, client in clients.items() if name}
    yield World(site, objects, clients, tokens)
    site.engine.dispose()
    cleanup()  # type: ignore[operator]


def test_every_route_is_in_the_table(world: World) -> None:
    found = {(m, p) for m, p, _ in route_table(world.site.app())}
    missing = sorted(found - set(EXPECTED))
    assert not missing, ("routes without an expectation — add each to EXPECTED in tests/security/test_matrix.py "
                         f"with the permission it needs: {missing}")
    stale = sorted(set(EXPECTED) - found)
    assert not stale, f"EXPECTED names routes the application no longer has: {stale}"


def _send(world: World, who: str | None, method: str, url: str, rule: Rule) -> Any:
    client = world.clients[who]
    if method in ("GET", "HEAD"):
        return client.request(method, url, follow_redirects=False)
    data = {**rule.form, **({"csrf_token": world.tokens[who]} if who else {})}
    files = None
    if rule.upload:
        files = {"session_file": ("session.yaml", (SAMPLE / "session.yaml").read_bytes(), "application/x-yaml"),
                 "roster_file": ("roster.csv", (SAMPLE / "roster.csv").read_bytes(), "text/csv")}
    return client.request(method, url, data=data, files=files, follow_redirects=False)


def _expected(rule: Rule, who: str | None) -> str:
    """'any' (public), 'login' (anonymous on a protected route), 403, 404 or 'allowed'."""
    role, township = ROLES[who]
    if rule.permission == PUBLIC:
        return "any"
    if role is None:
        return "login"
    if rule.permission != LOGGED_IN and role not in PERMISSIONS[rule.permission]:
        return "403"
    if rule.scoped and township is not None and township != TOWNSHIP_A:
        return "404"
    return "allowed"


def test_authorization_matrix(world: World) -> None:
    cells = []
    for method, path, names in route_table(world.site.app()):
        rule = EXPECTED.get((method, path))
        if rule is None:
            continue  # reported by test_every_route_is_in_the_table
        url = fill(world, path, names) + rule.query
        # log-out last: it ends the client's log-in
        cells += [(path == "/logout", method, path, url, rule, who) for who in ROLES]
    failures = []
    for _, method, path, url, rule, who in sorted(cells, key=lambda c: c[0]):
        response = _send(world, who, method, url, rule)
        status, expected = response.status_code, _expected(rule, who)
        where = f"{method} {path} as {who or 'anonymous'}: {status}"
        if status >= 500:
            failures.append(f"{where} (server error)")
        elif expected == "login":
            location = response.headers.get("location", "")
            if not (status == 401 or (status == 303 and location.startswith("/login"))):
                failures.append(f"{where}, expected a log-in (401 or 303 → /login)")
        elif expected in ("403", "404") and status != int(expected):
            failures.append(f"{where}, expected {expected}")
        elif expected == "allowed" and status in (401, 403, 404):
            failures.append(f"{where}, expected to be allowed")
        if "content-security-policy" not in response.headers or "x-content-type-options" not in response.headers:
            failures.append(f"{where} without the security headers")
        if response.headers.get("content-type", "").startswith("text/html"):
            failures += [f"{where}: {problem}" for problem in inline_code(response.text)]
    assert not failures, "\n".join(failures)
