"""Feeds: tokens (hash only, revoke, re-issue), who sees what across sessions and terms, and the HTTP
route of the web process with its validators. Feeds are read back with vobject (not icalendar)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from email.utils import format_datetime
from pathlib import Path

import pytest
import vobject
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.calendar import feeds
from congress.calendar import operations as cal_ops
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.models import AuditEvent, Deputy, FeedToken, Township
from congress.web.app import create_app
from congress.web.feeds import feed_db
from tests.conftest import SAMPLE
from tests.test_calendar import approve_plan
from tests.test_lifecycle import give_all_inputs

KEY = "qingshan-18-3"


def run_all(db: Session, key: str, settings) -> None:  # type: ignore[no-untyped-def]
    from congress.lifecycle.steps import next_step, run_step

    while (step := next_step(db, key)) is not None:
        if run_step(db, key, step, actor="test", settings=settings).status != "done":
            break


@pytest.fixture
def client(db: Session, settings):  # type: ignore[no-untyped-def]
    app = create_app(settings)
    app.dependency_overrides[feed_db] = lambda: db
    feeds.CACHE.clear()
    with TestClient(app) as c:
        yield c


def issue(db: Session, kind: str, deputy_code: str | None = None, handler: str | None = None) -> str:
    township = db.scalar(select(Township).where(Township.code == "qingshan"))
    deputy = db.scalar(select(Deputy).where(Deputy.code == deputy_code).order_by(Deputy.id)) if deputy_code else None
    _, secret = feeds.issue_token(db, township=township, kind=kind, deputy=deputy, handler=handler, actor="staff")
    return secret


def parse(body: bytes):  # type: ignore[no-untyped-def]
    return vobject.readOne(body.decode("utf-8"))


def test_token_is_stored_only_as_a_hash_and_reissue_revokes(db: Session, load_sample) -> None:  # type: ignore[no-untyped-def]
    load_sample()
    secret = issue(db, "deputy", "QS004")
    assert len(secret) >= 43  # 32 random bytes, URL-safe
    token = db.scalar(select(FeedToken))
    assert token.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr([getattr(token, c.key) for c in FeedToken.__table__.columns])
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("feed_token%"))).all()
    assert events and all(secret not in str(e.detail) + e.note for e in events)
    assert feeds.active_token(db, secret).id == token.id
    again = issue(db, "deputy", "QS004")
    assert feeds.active_token(db, secret) is None and feeds.active_token(db, again) is not None
    assert feeds.revoke_token(db, token=feeds.active_token(db, again), actor="staff")
    assert feeds.active_token(db, again) is None
    assert feeds.active_token(db, "") is None and feeds.active_token(db, "x" * 500) is None


def test_feed_over_http_with_validators(db: Session, load_sample, settings, client) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    approve_plan(db, session)
    run_all(db, KEY, settings)
    secret = issue(db, "deputy", "QS001")
    url = f"/feeds/{secret}.ics"
    r = client.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert etag == f'"{hashlib.sha256(r.content).hexdigest()[:40]}"'
    cal = parse(r.content)
    assert cal.method.value == "PUBLISH" and cal.vtimezone.tzid.value == "Asia/Shanghai"
    summaries = [ev.summary.value for ev in cal.vevent_list]
    assert "青山镇人大主席团会议" in summaries and "青山镇人代会：代表报到" in summaries and len(summaries) == 6
    for ev in cal.vevent_list:
        # a PUBLISH feed lists events, never attendees (clients would take it for an invitation)
        assert len(ev.valarm_list) == 3 and "attendee" not in ev.contents
    # conditional requests
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}).status_code == 200
    # HEAD: the headers GET sends, the real Content-Length included, and no body
    head = client.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-length"] == str(len(r.content)) == r.headers["content-length"]
    assert {k: v for k, v in head.headers.items() if k != "date"} == \
        {k: v for k, v in r.headers.items() if k != "date"}
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304
    # a reschedule changes the feed: new ETag, same UID with a higher SEQUENCE
    cal_ops.reschedule_sitting(db, session=session, sitting_key="plenary-2", day=date(2026, 12, 24), start="09:00",
                               end="11:30", place=None, actor="staff", settings=settings, today=date(2026, 12, 10))
    r2 = client.get(url, headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["etag"] != etag
    moved = [ev for ev in parse(r2.content).vevent_list if ev.summary.value.endswith("第二次全体会议")]
    assert moved[0].sequence.value == "1" and moved[0].dtstart.value.day == 24
    # a cancelled event stays in the feed as CANCELLED, without alarms
    cal_ops.cancel(db, session=session, sitting_key="plenary-2", reason="", actor="staff", settings=settings)
    gone = [ev for ev in parse(client.get(url).content).vevent_list if ev.summary.value.endswith("第二次全体会议")]
    assert gone[0].status.value == "CANCELLED" and gone[0].sequence.value == "2" and "valarm" not in gone[0].contents
    # revoked and unknown tokens: a bare 404 with nothing in it
    token = feeds.active_token(db, secret)
    feeds.revoke_token(db, token=token, actor="staff")
    for path in (url, f"/feeds/{'A' * 43}.ics"):
        gone = client.get(path)
        assert gone.status_code == 404 and gone.content == b"" and "etag" not in gone.headers


def test_who_sees_what(db: Session, load_sample, settings, client) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    run_all(db, KEY, settings)

    def uids(secret: str) -> dict[str, str]:
        r = client.get(f"/feeds/{secret}.ics")
        assert r.status_code == 200
        return {ev.uid.value: ev.summary.value for ev in parse(r.content).vevent_list}

    office = uids(issue(db, "office"))
    assert len(office) == 6 + 9 + 2  # events, suggestion replies (8, and the motion referred as one), budget and next session
    handler = uids(issue(db, "handler", handler="镇村建办"))
    assert sorted(handler.values()) == ["代表建议J001答复期限（镇村建办）", "代表建议J002答复期限（镇村建办）"]
    government = uids(issue(db, "handler", handler="青山镇人民政府"))
    # the budget's publication, and the motion the presidium referred to the government as a suggestion
    assert sorted(government.values()) == ["代表建议YA001答复期限（青山镇人民政府）", "财政预算报告公开期限（批准后20日内）"]
    # QS009 is in the presidium and proposed J001: six events and one deadline; QS004 five events
    qs009 = uids(issue(db, "deputy", "QS009"))
    assert len(qs009) == 7 and "代表建议J001答复期限（镇村建办）" in qs009.values()
    qs004 = uids(issue(db, "deputy", "QS004"))
    assert len(qs004) == 5 and not any(v.startswith("代表建议") for v in qs004.values())


def test_deputy_feed_spans_sessions_and_terms(db: Session, load_sample, settings, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = load_sample()
    approve_plan(db, first)
    run_all(db, KEY, settings)
    # the next term's first session, same township and roster: the same people re-elected
    folder = tmp_path / "next"
    shutil.copytree(SAMPLE, folder)
    text = (folder / "session.yaml").read_text(encoding="utf-8")
    text = text.replace("ordinal: 18", "ordinal: 19").replace("start_year: 2021", "start_year: 2026")
    (folder / "session.yaml").write_text(text, encoding="utf-8")
    spec = load_session_file(folder / "session.yaml")
    second, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    approve_plan(db, second)
    run_all(db, second.key, settings)
    assert second.key != KEY and second.term_id != first.term_id

    secret = issue(db, "deputy", "QS004")  # the token names the first term's row
    r = client.get(f"/feeds/{secret}.ics")
    uids = {ev.uid.value for ev in parse(r.content).vevent_list}
    assert len(uids) == 10  # five events in each session
    assert any(f"checkin-{first.id}@" in u for u in uids) and any(f"checkin-{second.id}@" in u for u in uids)


def test_last_modified_is_never_in_the_future(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    approve_plan(db, session)
    run_all(db, KEY, settings)
    token = feeds.active_token(db, issue(db, "office"))
    built = feeds.build_feed(db, token, use_cache=False)
    assert built.last_modified <= ops.now()
    assert format_datetime(built.last_modified, usegmt=True).endswith("GMT")
    # the cache returns the same bytes while nothing changed
    assert feeds.build_feed(db, token).body == built.body
