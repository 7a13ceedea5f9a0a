"""CalDAV publishing against a real Radicale server that these tests start on a free loopback port,
read back over plain HTTP (PROPFIND / GET) and parsed with vobject. Also the file publisher, the
Prefect task via .fn(), and a feed's round trip through Radicale."""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import vobject
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.calendar import feeds
from congress.calendar import operations as cal_ops
from congress.calendar.publish import CalDAVPublisher, FilePublisher, deputy_calendar_id, publish_session
from congress.lifecycle import operations as ops
from congress.models import AuditEvent, Township
from tests.servers import background_server, free_port
from tests.test_calendar import advance, approve_plan

DAV = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"
EVENTS = 60 * 5 + 9  # every deputy's five session events, and the presidium meeting for its nine members


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Radicale server on loopback, storing into a temporary folder; stopped after the module."""
    folder = tmp_path_factory.mktemp("radicale")
    port = free_port()
    # Radicale fsyncs every PUT; on tmpfs (when the machine has one) that costs nothing
    shm = Path("/dev/shm")
    store = Path(tempfile.mkdtemp(prefix="radicale-", dir=shm if shm.is_dir() else folder))
    cmd = [sys.executable, "-m", "radicale", "--config", "", f"--storage-filesystem-folder={store}",
           f"--server-hosts=127.0.0.1:{port}", "--auth-type", "none", "--logging-level", "warning"]
    url = f"http://127.0.0.1:{port}/"
    with background_server(cmd, log_path=folder / "radicale.log", ready_url=url, seconds=30, any_status=True):
        yield url
    shutil.rmtree(store, ignore_errors=True)


@pytest.fixture
def account() -> str:
    """A fresh account per test, so both database backends can share the server."""
    return f"township-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def notified(db: Session, load_sample, settings):  # type: ignore[no-untyped-def]
    session = load_sample()
    approve_plan(db, session)
    assert advance(db, settings)[-1] == ("checkin_quorum", "waiting")
    return session


def propfind(url: str, user: str, depth: str, props: str) -> ET.Element:
    body = f'<?xml version="1.0"?><propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop>{props}</prop></propfind>'
    r = httpx.request("PROPFIND", url, headers={"Depth": depth}, content=body, auth=(user, "x"))
    assert r.status_code == 207, r.text
    return ET.fromstring(r.content)


def objects(base: str, user: str, cal_id: str) -> dict[str, tuple[str, str]]:
    """href → (etag, data) of every object in one calendar, read over plain HTTP."""
    url = f"{base}{user}/{cal_id}/"
    tree = propfind(url, user, "1", "<getetag/>")
    out = {}
    for response in tree.iter(f"{DAV}response"):
        href = response.findtext(f"{DAV}href")
        etag = response.findtext(f".//{DAV}getetag")
        if href and href.endswith(".ics"):
            data = httpx.get(f"{base.rstrip('/')}{href}", auth=(user, "x")).text
            out[href] = (etag, data)
    return out


def ctag(base: str, user: str, cal_id: str) -> str:
    return propfind(f"{base}{user}/{cal_id}/", user, "0", "<CS:getctag/>").findtext(f".//{CS}getctag")


def by_uid(objs: dict[str, tuple[str, str]]) -> dict[str, tuple[str, object]]:
    out = {}
    for href, (_, data) in objs.items():
        (ev,) = vobject.readOne(data).vevent_list
        out[ev.uid.value] = (href, ev)
    return out


@pytest.mark.flow  # slow tier: ~350 PUTs and read-backs against a real server
def test_publish_reschedule_cancel_and_rerun_on_radicale(db: Session, notified, settings, radicale, account) -> None:  # type: ignore[no-untyped-def]
    publisher = CalDAVPublisher(radicale, account, "secret")
    first = publish_session(db, notified, publisher, actor="staff")
    assert (first.created, first.updated, first.unchanged, first.calendars) == (EVENTS, 0, 0, 60)

    qs001 = deputy_calendar_id("qingshan", "QS001")
    landed = by_uid(objects(radicale, account, qs001))
    assert len(landed) == 6  # QS001 is in the presidium
    for _href, ev in landed.values():
        assert ev.sequence.value == "0" and ev.status.value == "CONFIRMED"
        assert sorted(str(a.trigger.value) for a in ev.valarm_list) == ["-1 day, 0:00:00", "-1 day, 22:00:00",
                                                                        "-7 days, 0:00:00"]
        assert ev.dtstart.params.get("TZID") == ["Asia/Shanghai"] or ev.dtstart.value.utcoffset().seconds == 8 * 3600
        assert ev.attendee.params["CN"] == ["王建华"]
    assert len(by_uid(objects(radicale, account, deputy_calendar_id("qingshan", "QS004")))) == 5

    # a re-run sends nothing: no collection changes
    tags = {code: ctag(radicale, account, deputy_calendar_id("qingshan", code)) for code in ("QS001", "QS004", "QS060")}
    again = publish_session(db, notified, publisher, actor="staff")
    assert (again.created, again.updated, again.unchanged) == (0, 0, EVENTS)
    assert tags == {code: ctag(radicale, account, deputy_calendar_id("qingshan", code)) for code in tags}
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "calendars_published")).all().__len__() == 1

    # a reschedule replaces the same object in place
    sitting = next(s for s in notified.sittings if s.key == "plenary-2")
    uid = f"congress-sitting-{sitting.id}@{settings.calendar_host}"
    cal_ops.reschedule_sitting(db, session=notified, sitting_key="plenary-2", day=date(2026, 12, 24), start="09:30",
                               end="11:30", place="二楼会议室", actor="staff", settings=settings, today=date(2026, 12, 10))
    moved = publish_session(db, notified, publisher, actor="staff")
    assert (moved.created, moved.updated) == (0, 60)
    after = by_uid(objects(radicale, account, qs001))
    assert len(after) == 6 and after[uid][0] == landed[uid][0]  # same href
    ev = after[uid][1]
    assert ev.sequence.value == "1" and ev.dtstart.value.isoformat() == "2026-12-24T09:30:00+08:00"
    assert ev.location.value == "二楼会议室"

    # a cancellation is reflected
    cal_ops.cancel(db, session=notified, sitting_key="plenary-2", reason="", actor="staff", settings=settings)
    cancelled = publish_session(db, notified, publisher, actor="staff")
    assert (cancelled.created, cancelled.updated) == (0, 60)
    ev = by_uid(objects(radicale, account, qs001))[uid][1]
    assert ev.status.value == "CANCELLED" and ev.sequence.value == "2" and "valarm" not in ev.contents
    assert publish_session(db, notified, publisher, actor="staff").changed == 0

    # the whole session cancelled: every object on the server is updated in place, CANCELLED, no alarms
    cal_ops.cancel(db, session=notified, sitting_key=None, reason="防汛", actor="staff", settings=settings)
    whole = publish_session(db, notified, publisher, actor="staff")
    assert (whole.created, whole.updated, whole.unchanged) == (0, EVENTS - 60, 60)
    for code in ("QS001", "QS004"):
        for _href, ev in by_uid(objects(radicale, account, deputy_calendar_id("qingshan", code))).values():
            assert ev.status.value == "CANCELLED" and "valarm" not in ev.contents
    # and a re-run changes nothing on the server
    tags = {code: ctag(radicale, account, deputy_calendar_id("qingshan", code)) for code in ("QS001", "QS004")}
    assert publish_session(db, notified, publisher, actor="staff").changed == 0
    assert tags == {code: ctag(radicale, account, deputy_calendar_id("qingshan", code)) for code in tags}


def test_feed_round_trips_through_radicale(db: Session, notified, radicale, account) -> None:  # type: ignore[no-untyped-def]
    township = db.scalar(select(Township).where(Township.code == "qingshan"))
    token, _ = feeds.issue_token(db, township=township, kind="office", actor="staff")
    feed = vobject.readOne(feeds.build_feed(db, token, use_cache=False).body.decode("utf-8"))
    url = f"{radicale}{account}/office-feed/"
    assert httpx.request("MKCALENDAR", url, auth=(account, "x")).status_code == 201
    original = {}
    for i, ev in enumerate(feed.vevent_list):
        one = vobject.iCalendar()
        one.add(feed.vtimezone)
        one.add(ev)
        r = httpx.put(f"{url}{i}.ics", content=one.serialize().encode(), auth=(account, "x"),
                      headers={"Content-Type": "text/calendar; charset=utf-8"})
        assert r.status_code == 201, r.text
        original[ev.uid.value] = ev
    back = by_uid(objects(radicale, account, "office-feed"))
    assert set(back) == set(original) and len(back) == 6
    for uid, (_, ev) in back.items():
        src = original[uid]
        for name in ("summary", "sequence", "status", "location", "description", "dtstart", "dtend"):
            assert getattr(ev, name).value == getattr(src, name).value, (uid, name)
        assert [a.trigger.value for a in ev.valarm_list] == [a.trigger.value for a in src.valarm_list]


def test_file_publisher_is_idempotent(db: Session, notified, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    publisher = FilePublisher(tmp_path / "published")
    assert publish_session(db, notified, publisher, actor="staff").created == EVENTS
    files = sorted((tmp_path / "published" / "qingshan-qs001").glob("*.ics"))
    assert len(files) == 6
    stamps = {f: f.stat().st_mtime_ns for f in files}
    for f in files:
        (ev,) = vobject.readOne(f.read_text(encoding="utf-8")).vevent_list
        assert len(ev.valarm_list) == 3 and not hasattr(ev, "method")
    assert publish_session(db, notified, publisher, actor="staff").unchanged == EVENTS
    assert stamps == {f: f.stat().st_mtime_ns for f in files}


@pytest.mark.flow
def test_publish_task_and_flow_use_the_settings(tmp_path: Path, radicale, account, monkeypatch,  # type: ignore[no-untyped-def]
                                                prefect_harness) -> None:
    """The Prefect task (via .fn) and the flow on a committed SQLite database, CalDAV chosen by
    CONGRESS_CALDAV_URL; the flow's re-run publishes nothing and leaves an artifact."""
    import asyncio

    from congress.db import make_engine, session_scope
    from congress.inputs import load_session_file
    from congress.lifecycle.steps import next_step, run_step
    from congress.settings import Settings, get_settings
    from flows.calendar import publish_session_calendars
    from tasks.calendar import publish_calendars
    from tests.conftest import SAMPLE, new_database

    url, cleanup = new_database("sqlite", tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output")
    engine = make_engine(url)
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="t",
                                      output_root=settings.output_dir)
        approve_plan(db, session)
        while (step := next_step(db, session.key)) is not None:
            if run_step(db, session.key, step, actor="t", settings=settings).status != "done":
                break
    for name, value in {"CONGRESS_DATABASE_URL": url, "CONGRESS_CALDAV_URL": radicale,
                        "CONGRESS_CALDAV_USER": account, "CONGRESS_CALDAV_PASSWORD": "x"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert publish_calendars.fn("qingshan-18-3") == {"created": EVENTS, "updated": 0, "unchanged": 0,
                                                          "calendars": 60}
        assert publish_session_calendars(session_key="qingshan-18-3")["unchanged"] == EVENTS
        assert "calendars-qingshan-18-3" in asyncio.run(_artifact_keys())
    finally:
        get_settings.cache_clear()
        engine.dispose()
        cleanup()


async def _artifact_keys() -> set[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return {a.key for a in await client.read_artifacts(limit=200) if a.key}
