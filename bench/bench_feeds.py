"""Feed speed for a large township: 160 deputies, 10 years with two sessions a year (two terms, the same
people re-elected), each session with its presidium meeting, check-in, four sittings and 20
suggestion deadlines. Prints the build time of a deputy's and the office's feed, and the cost of the
HTTP 200 and 304 paths, as ratios within this run.

    python bench/bench_feeds.py [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from congress.calendar import entries as cal  # noqa: E402
from congress.calendar import feeds  # noqa: E402
from congress.db import make_engine, migrate, session_scope  # noqa: E402
from congress.models import CongressSession, Deputy, Sitting, Suggestion, Term, Township  # noqa: E402
from congress.settings import Settings  # noqa: E402
from congress.web.app import create_app  # noqa: E402

DEPUTIES, YEARS, SUGGESTIONS = 160, 10, 20
HOST = "bench.local"


def _timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def populate(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The township's history through the core's entry functions; returns (entries, sessions)."""
    township = Township(code="bench", name="长河镇", profile="zhejiang", party_committee="中共长河镇委员会",
                        presidium_name="长河镇人民代表大会主席团", government_name="长河镇人民政府", doc_prefix="长人")
    db.add(township)
    db.flush()
    count = sessions = 0
    for t, start_year in enumerate((2016, 2021)):
        term = Term(township_id=township.id, ordinal=17 + t, start_year=start_year)
        db.add(term)
        db.flush()
        deputies = [Deputy(term_id=term.id, position=i, code=f"CH{i + 1:03d}", name=f"代表{i + 1:03d}",
                           group_name=f"第{i % 8 + 1}代表小组", contact=f"139{i + 1:08d}") for i in range(DEPUTIES)]
        db.add_all(deputies)
        db.flush()
        for year in range(start_year, start_year + YEARS // 2):
            for half, month in enumerate((3, 9)):
                opening = date(year, month, 10)
                s = CongressSession(
                    key=f"bench-{term.ordinal}-{year}-{half}", term_id=term.id, kind="regular",
                    ordinal=(year - start_year) * 2 + half + 1, venue="大会议室", plan_date=opening - timedelta(30),
                    presidium_meeting_date=opening - timedelta(20), presidium_meeting_time="09:00",
                    presidium_meeting_place="主席团办公室", notice_date=opening - timedelta(14),
                    materials_date=opening - timedelta(3), checkin_date=opening - timedelta(1), checkin_time="14:00",
                    checkin_place="一楼大厅", opening_date=opening, closing_date=opening + timedelta(1),
                    presidium_codes=[d.code for d in deputies[:11]], output_dir="/nonexistent", source_sha256="0",
                    source_path="/nonexistent")
                db.add(s)
                db.flush()
                for i, (kind, day, start, end) in enumerate((("preparatory", 0, "08:30", "09:00"),
                                                             ("plenary", 0, "09:00", "11:30"),
                                                             ("group", 0, "14:30", "17:30"),
                                                             ("plenary", 1, "09:00", "11:30"))):
                    db.add(Sitting(session_id=s.id, position=i, key=f"s{i}", kind=kind, day=opening + timedelta(day),
                                   start=start, end=end, title=f"第{i + 1}场", place="三楼大会议室"))
                db.flush()
                db.refresh(s)
                title = f"长河镇第{term.ordinal}届人民代表大会第{s.ordinal}次会议"
                specs = cal.session_event_specs(s, host=HOST, title=title, agenda=["听取和审议政府工作报告"] * 4,
                                                materials=["政府工作报告"] * 6,
                                                presidium_ids=[d.id for d in deputies[:11]])
                for j in range(SUGGESTIONS):
                    sg = Suggestion(session_id=s.id, position=j, code=f"J{j + 1:03d}", title=f"建议{j + 1}",
                                    office=f"承办单位{j % 6 + 1}", proposers=[deputies[(j * 7) % DEPUTIES].code])
                    db.add(sg)
                    db.flush()
                    specs.append(cal.suggestion_spec(sg, host=HOST, due=opening + timedelta(days=95),
                                                     citation_label="《代表法》第五十一条",
                                                     proposer_ids=[deputies[(j * 7) % DEPUTIES].id]))
                for spec in specs:
                    cal.upsert(db, s, "notices", spec, stamp=cal.notice_stamp(s))
                count += len(specs)
                sessions += 1
    return count, sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    if args.backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        base = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        with make_engine(base).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    t0 = time.perf_counter()
    with session_scope(engine) as db:
        entries, sessions = populate(db)
        township = db.query(Township).one()
        deputy = db.query(Deputy).filter(Deputy.code == "CH001").order_by(Deputy.id).first()
        deputy_token, deputy_secret = feeds.issue_token(db, township=township, kind="deputy", deputy=deputy,
                                                        actor="bench")
        office_token, office_secret = feeds.issue_token(db, township=township, kind="office", actor="bench")
    print(f"backend {args.backend}: {DEPUTIES} deputies, {sessions} sessions over {YEARS} years, "
          f"{entries} calendar entries (populated in {time.perf_counter() - t0:.1f} s)")

    with session_scope(engine) as db:
        d_tok, o_tok = db.merge(deputy_token), db.merge(office_token)
        d_feed = feeds.build_feed(db, d_tok, use_cache=False)
        o_feed = feeds.build_feed(db, o_tok, use_cache=False)
        d_cold = _timed(lambda: feeds.build_feed(db, d_tok, use_cache=False), 10)
        o_cold = _timed(lambda: feeds.build_feed(db, o_tok, use_cache=False), 5)
        feeds.build_feed(db, d_tok)
        d_hit = _timed(lambda: feeds.build_feed(db, d_tok), 50)
    print(f"deputy feed (CH001, presidium member, both terms): {d_feed.body.count(b'BEGIN:VEVENT')} events, "
          f"{len(d_feed.body) / 1024:.0f} KiB, built in {d_cold * 1000:.1f} ms; unchanged (cached) {d_hit * 1000:.2f} ms")
    print(f"office feed: {o_feed.body.count(b'BEGIN:VEVENT')} events, {len(o_feed.body) / 1024:.0f} KiB, "
          f"built in {o_cold * 1000:.1f} ms")

    app = create_app(Settings(database_url=url, output_dir=tmp / "output"))
    with TestClient(app) as client:
        path = f"/feeds/{deputy_secret}.ics"
        first = client.get(path)
        etag = first.headers["etag"]

        def cold() -> None:
            feeds.CACHE.clear()
            assert client.get(path).status_code == 200

        full = _timed(cold, 10)
        warm = _timed(lambda: client.get(path), 20)
        not_modified = _timed(lambda: client.get(path, headers={"If-None-Match": etag}), 50)
        missing = _timed(lambda: client.get(f"/feeds/{'x' * 43}.ics"), 50)
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    print(f"HTTP deputy feed: 200 rebuilt {full * 1000:.1f} ms, 200 unchanged {warm * 1000:.1f} ms, "
          f"304 {not_modified * 1000:.1f} ms, unknown token 404 {missing * 1000:.1f} ms")
    print(f"ratios: 304 / rebuilt 200 = {not_modified / full:.2f}; office / deputy build = {o_cold / d_cold:.1f}")
    engine.dispose()


if __name__ == "__main__":
    main()
