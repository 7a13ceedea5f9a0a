"""Form fuzzing (issue 9, item 6, the dashboard): random values — numbers of any size, non-numbers,
dates out of range, texts of any length and script — posted to the tallies, attendance, approval and
suggestion forms, 500+ examples per form. Only 2xx/3xx/4xx come back, errors are Chinese, and a
refused post leaves the database exactly as it was.

In-process (TestClient) on SQLite, one database per form family; Hypothesis keeps no example database.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from congress.db import Base
from congress.lifecycle import operations as ops
from congress.models import Suggestion, Vote
from tests.security.conftest import KEY, SAMPLE, TOWNSHIP_A, Site, create_sample, csrf, make_site

CJK = re.compile(r"[\u4e00-\u9fff]")
BASE = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fuzz(examples: int) -> settings:
    return settings(BASE, max_examples=examples)

# --- values ------------------------------------------------------------------------------------------

ODD = st.sampled_from(["", " ", "abc", "１２", "٣", "1e3", "0x10", "-0", "+5", "NaN", "9" * 30, "\x00", "1 2",
                       "<script>alert(1)</script>", "{{ 7*7 }}", "' OR 1=1 --", "../../etc/passwd", "改" * 20_001])
NUMBER = st.one_of(st.integers(0, 70).map(str), st.integers(-10**40, 10**40).map(str), ODD)
TEXT = st.one_of(st.text(max_size=60), ODD)
DAY = st.one_of(st.dates().map(str), st.sampled_from(["2026-12-24", "2026-12-30", "2027-01-15"]), ODD,
                st.text(max_size=12))


@dataclass
class Fuzzed:
    site: Site
    client: TestClient
    token: str
    db_file: Path

    def snapshot(self) -> str:
        """Every row of every table, as one string (read with sqlite3: no ORM caches in the way)."""
        with sqlite3.connect(self.db_file) as conn:
            return json.dumps({t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()
                               for t in sorted(Base.metadata.tables)}, default=str)

    def post(self, path: str, form: dict[str, Any], *, json_answer: bool = False) -> None:
        """Post the form; assert the answer's shape; a refusal changed nothing."""
        before = self.snapshot()
        headers = {"Accept": "application/json"} if json_answer else {}
        response = self.client.post(path, data={**form, "csrf_token": self.token}, headers=headers,
                                    follow_redirects=False)
        assert 200 <= response.status_code < 500, (response.status_code, form)
        if json_answer and response.status_code == 200:
            body = response.json()
            assert isinstance(body.get("ok"), bool)
            for problem in body.get("problems", []):
                assert CJK.search(problem["problem"]), problem
        elif 300 <= response.status_code < 400:  # only ever to a page of this site
            location = response.headers["location"]
            assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
        elif response.status_code >= 400:
            assert response.headers["content-type"].startswith("text/html")
            assert CJK.search(response.text) and "Traceback" not in response.text
        if response.status_code >= 400 or json_answer:
            assert self.snapshot() == before, (path, response.status_code, form)


def _fuzzed(tmp: Path, *, attendance: bool) -> Iterator[Fuzzed]:
    site, cleanup = make_site("sqlite", tmp)
    client = site.client("admin")  # may do everything: the forms, not the roles, are under test here
    staff = site.client("staff_a")
    create_sample(staff)
    if attendance:
        import csv

        form = {"csrf_token": csrf(staff)}
        with (SAMPLE / "attendance.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                form[f"status.{row['代表编号']}"] = {"出席": "present", "请假": "leave", "缺席": "absent"}[row["出席情况"]]
        assert staff.post(f"/sessions/{KEY}/attendance", data=form, follow_redirects=False).status_code == 303
    db_file = Path(site.settings.database_url.removeprefix("sqlite:///"))
    yield Fuzzed(site, client, csrf(client), db_file)
    site.engine.dispose()
    cleanup()  # type: ignore[operator]


@pytest.fixture(scope="module")
def gates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    yield from _fuzzed(tmp_path_factory.mktemp("fuzz-gates"), attendance=True)


@pytest.fixture(scope="module")
def followup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    yield from _fuzzed(tmp_path_factory.mktemp("fuzz-followup"), attendance=False)


# --- tallies: 600 examples -----------------------------------------------------------------------------


def _tally_fields(fuzzed: Fuzzed) -> dict[str, st.SearchStrategy[str]]:
    with fuzzed.site.db() as db:
        keys = list(db.scalars(select(Vote.key)))
    fields: dict[str, st.SearchStrategy[str]] = {
        f"vote.{k}.{p}": NUMBER for k in keys for p in ("yes", "no", "abstain")}
    fields["el.vice-chair.rounds"] = st.one_of(st.integers(0, 3).map(str), NUMBER, st.just("1000000"))
    for i in range(3):
        p = f"el.vice-chair.{i}"
        fields.update({f"{p}.ballots_issued": NUMBER, f"{p}.ballots_returned": NUMBER, f"{p}.ballots_void": NUMBER,
                       f"{p}.votes.0": NUMBER, f"{p}.votes.1": NUMBER, f"{p}.votes.7": NUMBER,
                       f"{p}.kind": st.one_of(st.sampled_from(["formal", "preliminary", "revote", "runoff"]), TEXT),
                       f"{p}.write_ins": st.one_of(TEXT, st.lists(st.tuples(TEXT, NUMBER), max_size=60).map(
                           lambda pairs: "\n".join(f"{n}:{v}" for n, v in pairs)))})
    fields["el.vice-chair.defer_unfilled"] = st.sampled_from(["1", "", "yes"])
    fields["el.no-such-election.rounds"] = NUMBER
    return fields


def test_tallies_form(gates: Fuzzed) -> None:
    form = st.fixed_dictionaries({}, optional=_tally_fields(gates))  # type: ignore[arg-type]

    @fuzz(300)
    @given(form)
    def submit(values: dict[str, str]) -> None:
        gates.post(f"/sessions/{KEY}/tallies", values)

    @fuzz(200)
    @given(form)
    def check(values: dict[str, str]) -> None:
        gates.post(f"/sessions/{KEY}/tallies/check", values, json_answer=True)

    submit()
    check()


# --- attendance: 500 examples --------------------------------------------------------------------------


def test_attendance_form(gates: Fuzzed) -> None:
    with gates.site.db() as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        codes = [d.code for d in ops.active_deputies(db, session)]
    status = st.one_of(st.sampled_from(["present", "leave", "absent", "出席", "请假", "缺席", "PRESENT", ""]), TEXT)
    base = {f"status.{c}": "present" for c in codes}
    changes = st.dictionaries(st.sampled_from([*(f"status.{c}" for c in codes), *(f"approved.{c}" for c in codes),
                                               "status.QS999", "status."]), status, max_size=12)

    @fuzz(300)
    @given(changes, st.booleans())
    def submit(change: dict[str, str], drop: bool) -> None:
        form = {**base, **change}
        if drop:
            form.pop(f"status.{codes[0]}", None)
        gates.post(f"/sessions/{KEY}/attendance", form)

    @fuzz(200)
    @given(changes)
    def check(change: dict[str, str]) -> None:
        gates.post(f"/sessions/{KEY}/attendance/check", {**base, **change}, json_answer=True)

    submit()
    check()


# --- party approval: 500 examples ----------------------------------------------------------------------


def test_approval_form(gates: Fuzzed) -> None:
    form = st.fixed_dictionaries({}, optional={  # type: ignore[arg-type]
        "decision": st.one_of(st.sampled_from(["approved", "returned"]), TEXT),
        "decided_on": DAY, "comments": TEXT, "approver": TEXT})

    @fuzz(500)
    @given(form, st.sampled_from(["plan", "resolutions"]))
    def submit(values: dict[str, str], subject: str) -> None:
        gates.post(f"/sessions/{KEY}/approval/{subject}", values)

    submit()


# --- suggestions: 500 examples -------------------------------------------------------------------------


def test_suggestion_forms(followup: Fuzzed) -> None:
    with followup.site.db() as db:
        ids = list(db.scalars(select(Suggestion.id).order_by(Suggestion.id)))
        codes = list(db.scalars(select(Suggestion.code)))
    proposers = st.lists(st.one_of(st.sampled_from(["QS001", "QS002", "QS060", "QS999"]), TEXT), max_size=4)
    new = st.fixed_dictionaries({"township": st.one_of(st.just(TOWNSHIP_A), TEXT)}, optional={  # type: ignore[arg-type]
        "code": st.one_of(st.sampled_from(["J001", "X1", "J100"]), TEXT), "title": TEXT, "category": TEXT,
        "office": TEXT, "text": TEXT, "raised_on": DAY, "more_proposers": TEXT, "complex": st.sampled_from(["1", ""])})

    @fuzz(200)
    @given(new, proposers)
    def enter(values: dict[str, str], ticked: list[str]) -> None:
        followup.post("/suggestions/new", {**values, "proposers": ticked})

    handover = st.fixed_dictionaries({"township": st.one_of(st.just(TOWNSHIP_A), TEXT)}, optional={  # type: ignore[arg-type]
        "on": DAY, "back": st.one_of(st.sampled_from(["/suggestions", f"/suggestions/{ids[0]}", f"/sessions/{KEY}",
                                                      "//evil.example/", "/\\evil.example", "/sessions/"]), TEXT)})

    @fuzz(100)
    @given(handover, st.lists(st.one_of(st.sampled_from(codes), TEXT), max_size=5))
    def hand_over(values: dict[str, str], chosen: list[str]) -> None:
        followup.post("/suggestions/handover", {**values, "codes": chosen})

    reply = st.fixed_dictionaries({}, optional={"replied_on": DAY, "text": TEXT})  # type: ignore[arg-type]

    @fuzz(100)
    @given(reply, st.sampled_from(ids[:4]))
    def answer(values: dict[str, str], sid: int) -> None:
        followup.post(f"/suggestions/{sid}/reply", values)

    rating = st.fixed_dictionaries({}, optional={  # type: ignore[arg-type]
        "rating": st.one_of(st.sampled_from(["满意", "基本满意", "不满意"]), TEXT), "rated_on": DAY, "comment": TEXT})

    @fuzz(100)
    @given(rating, st.sampled_from(ids[:4]))
    def rate(values: dict[str, str], sid: int) -> None:
        followup.post(f"/suggestions/{sid}/rating", values)

    enter()
    hand_over()
    answer()
    rate()
