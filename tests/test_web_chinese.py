"""Chinese all the way: every page a session shows, crawled at each stage of a whole session and as each
role, holds no ASCII word but the data users typed (names of accounts, codes) and a few words every
office knows (PDF). A CLI command, a file format's name, an English key or a Prefect state in a page
fails this test with the page and the word.

The session is carried through the core (congress.lifecycle.steps.run_step, as the session flow does)
with its inputs given through the dashboard's forms; the crawl follows every link of every page it
finds (pages only: downloads, static files and feeds are not pages). SQLite only: this is about text.
"""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from congress.db import make_engine, session_scope
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import next_step, run_step
from congress.models import Deputy, FeedToken, Suggestion, Township, User
from congress.settings import Settings
from congress.web import accounts
from congress.web.app import create_app
from tests.conftest import SAMPLE, new_database
from tests.sample_tallies import sample_votes
from tests.test_web import KEY, PASSWORD, csrf, login

ROLES = {"staff": ("staff", "qingshan", "李干事"), "approver": ("approver", "qingshan", "张书记"),
         "auditor": ("auditor", None, "县人大审计"), "admin": ("admin", None, "系统管理员")}
# words every township office reads as they are
ALLOWED = {"PDF", "SHA-256"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.:/@+-]*[A-Za-z0-9]|[A-Za-z]")
HEX = re.compile(r"^[0-9a-f]{6,}$")
# ... and addresses (a deputy's personal link and calendar subscription, shown so staff can send them)
IDENTIFIER = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{16,}\b"
                        r"|(?:https?|webcal)://[^\s…<\"']+")
# not pages: files, the page's own JSON, feeds, log-out
NOT_PAGES = re.compile(r"^/(static/|feeds/|logout)|/files/|\.xlsx$|/progress$|/check$|\.ics$")


def visible_text(page: str) -> str:
    """What a reader sees: the text outside tags, scripts and styles (attribute values are not shown)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@dataclass
class Crawl:
    """The pages seen and the ASCII words found on them."""

    data: set[str]
    seen: set[str] = field(default_factory=set)
    found: dict[str, set[str]] = field(default_factory=dict)  # word → pages
    once: set[tuple[str, str]] = field(default_factory=set)

    def allowed(self, word: str) -> bool:
        return word in ALLOWED or word in self.data or bool(HEX.match(word)) or word.upper() in self.data

    def check(self, where: str, page: str) -> None:
        # identifiers shown for cross-checking (a run's id, a file's digest) are not words
        text = IDENTIFIER.sub(" ", visible_text(page))
        for word in WORD.findall(text):
            if not self.allowed(word):
                self.found.setdefault(word, set()).add(where)

    def crawl(self, client: TestClient, starts: list[str], label: str, role: str = "") -> None:
        queue = deque(starts)
        visited: set[str] = set()
        while queue:
            url = queue.popleft()
            if url in visited or (role, url) in self.once:
                continue
            visited.add(url)
            if url.startswith("/law/"):
                self.once.add((role, url))  # the statutes do not change as the session goes on: once per role
            response = client.get(url)
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            self.seen.add(url.split("?")[0])
            self.check(f"{label} {url}", response.text)
            for href in re.findall(r'href="([^"#]+)"', response.text):
                href = html.unescape(href)
                if href.startswith("/") and not NOT_PAGES.search(href.split("?")[0]) and href not in visited:
                    queue.append(href)
        progress = client.get(f"/sessions/{KEY}/progress", headers={"Accept": "application/json"})
        if progress.status_code == 200:
            self.check(f"{label} progress", progress.json()["html"])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Settings, Engine, dict[str, TestClient]]]:
    url, cleanup = new_database("sqlite", tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output", upload_dir=tmp_path / "uploads",
                        render_pdf="off")
    engine = make_engine(url)
    with session_scope(engine) as db:
        for name, (role, township, display) in ROLES.items():
            accounts.create_user(db, username=name, display_name=display, role=role, township_code=township,
                                 password=PASSWORD, actor="test")
    app = create_app(settings)
    clients = {}
    for name in ROLES:
        clients[name] = TestClient(app)
        login(clients[name], name, PASSWORD)
    yield settings, engine, clients
    engine.dispose()
    cleanup()


def _advance(engine: Engine, settings: Settings) -> None:
    """The steps in order until one does not finish, as the session flow runs them."""
    with session_scope(engine) as db:
        while (step := next_step(db, KEY)) is not None:
            if run_step(db, KEY, step, actor="staff", settings=settings).status != "done":
                break


def _data(engine: Engine) -> set[str]:
    """What users typed or the system numbered: account names, codes, keys."""
    with session_scope(engine) as db:
        words = set(db.scalars(select(User.username))) | set(db.scalars(select(Township.code)))
        words |= set(db.scalars(select(Deputy.code))) | set(db.scalars(select(Suggestion.code)))
        words |= {s.key for s in db.scalars(select(ops.CongressSession))}
        words |= set(db.scalars(select(FeedToken.token_hint)))
        words |= {w for key in list(words) for w in WORD.findall(key)}
    return words


def test_every_page_of_a_whole_session_is_chinese(site) -> None:  # type: ignore[no-untyped-def]
    settings, engine, clients = site
    staff, approver = clients["staff"], clients["approver"]
    assert staff.post("/sessions/sample", data={"csrf_token": csrf(staff)}).status_code == 200
    crawl = Crawl(_data(engine))

    def everyone(stage: str) -> None:
        crawl.data |= _data(engine)
        for name, client in clients.items():
            crawl.crawl(client, ["/", "/sessions", f"/sessions/{KEY}"], f"[{stage} · {name}]", name)

    everyone("imported")
    _advance(engine, settings)
    everyone("waiting for approval")
    page = approver.post(f"/sessions/{KEY}/approval/plan", data={"csrf_token": csrf(approver), "decision": "approved",
                                                                  "decided_on": "2026-12-02"})
    assert page.status_code == 200
    _advance(engine, settings)
    everyone("waiting for attendance")
    # a form refused: its own words beside its fields
    crawl.check("[refused attendance]", staff.post(f"/sessions/{KEY}/attendance", data={"csrf_token": csrf(staff)}).text)
    crawl.check("[refused tallies]", staff.post(f"/sessions/{KEY}/tallies", data={
        "csrf_token": csrf(staff), "vote.agenda.yes": "99", "vote.agenda.no": "0", "vote.agenda.abstain": "0"}).text)
    form = {"csrf_token": csrf(staff)}
    for line in (SAMPLE / "attendance.csv").read_text(encoding="utf-8").splitlines()[1:]:
        code, status, approved = line.split(",")
        form[f"status.{code}"] = {"出席": "present", "请假": "leave", "缺席": "absent"}[status]
        if approved == "是":
            form[f"approved.{code}"] = "1"
    assert staff.post(f"/sessions/{KEY}/attendance", data=form).status_code == 200
    tallies = {"csrf_token": csrf(staff), "el.vice-chair.rounds": "1", "el.vice-chair.0.kind": "formal",
               "el.vice-chair.0.ballots_issued": "56", "el.vice-chair.0.ballots_returned": "56",
               "el.vice-chair.0.ballots_void": "1", "el.vice-chair.0.votes.0": "41", "el.vice-chair.0.votes.1": "14"}
    for key, numbers in sample_votes().items():
        tallies.update({f"vote.{key}.{part}": str(n) for part, n in zip(("yes", "no", "abstain"), numbers, strict=True)})
    assert staff.post(f"/sessions/{KEY}/tallies", data=tallies).status_code == 200
    _advance(engine, settings)
    everyone("waiting for the agreement")
    assert approver.post(f"/sessions/{KEY}/approval/resolutions", data={
        "csrf_token": csrf(approver), "decision": "approved", "decided_on": "2026-12-22"}).status_code == 200
    _advance(engine, settings)
    with session_scope(engine) as db:
        assert ops.get_session(db, KEY).state == "completed"
    everyone("completed")
    crawl.crawl(TestClient(staff.app), ["/login", "/sessions/no-such-session"], "[anonymous]")
    crawl.check("[404]", staff.get("/sessions/no-such-session").text)

    expected = {"/", "/sessions", f"/sessions/{KEY}", f"/sessions/{KEY}/audit", f"/sessions/{KEY}/attendance",
                f"/sessions/{KEY}/tallies", f"/sessions/{KEY}/approval/plan", f"/sessions/{KEY}/approval/resolutions",
                f"/sessions/{KEY}/suggestions", "/suggestions", "/county", "/admin", "/login"}
    assert expected <= crawl.seen, sorted(expected - crawl.seen)
    report = "\n".join(f"{word!r} on {', '.join(sorted(pages)[:3])}" for word, pages in sorted(crawl.found.items()))
    assert not crawl.found, f"ASCII words in pages ({len(crawl.found)}):\n{report}"
