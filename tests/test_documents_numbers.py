"""The 发文字号 register (congress/documents/numbers.py) on SQLite and PostgreSQL: per township, per organ
series and per year of the document's date, given once, unique when two transactions allocate at once,
in the audit trail; the session's documents and the follow-up letters take their numbers from it."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from congress.db import make_engine, session_scope
from congress.documents import numbers
from congress.followup.common import TownshipOutputs
from congress.lifecycle.steps import run_step
from congress.models import AuditEvent, DocNumber, Township
from congress.settings import Settings
from tests.conftest import new_database
from tests.test_lifecycle import KEY, give_all_inputs


def _township(db: Session, code: str = "numbers") -> Township:
    township = Township(code=code, name="青山镇", county="云溪县", profile="zhejiang", party_committee="中共青山镇委员会",
                        presidium_name="青山镇人民代表大会主席团", government_name="青山镇人民政府", doc_prefix="青人")
    db.add(township)
    db.flush()
    numbers.store_township_settings(db, township=township, values={"government_doc_prefix": "青政",
                                                                   "party_doc_prefix": "青党"})
    return township


def test_numbers_follow_organ_series_and_the_year_of_the_documents_date(db: Session) -> None:
    t = _township(db)

    def give(subject: str, organ: str = "congress", on: date = date(2026, 12, 1), series: str = "") -> str:
        return numbers.allocate(db, township=t, organ=organ, subject=subject, issued_on=on, actor="test",
                                series=series)

    assert give("a") == "青人〔2026〕1号"
    assert give("b") == "青人〔2026〕2号"
    assert give("a") == "青人〔2026〕1号"  # asked again: the number it was given
    assert give("c", organ="government") == "青政〔2026〕1号"
    assert give("d", organ="party") == "青党〔2026〕1号"
    assert give("e", on=date(2027, 3, 2)) == "青人〔2027〕1号"  # the year of its own date
    assert give("f", series="交", on=date(2027, 3, 2)) == "青人交〔2027〕1号"
    assert give("g", series="交", on=date(2027, 3, 2)) == "青人交〔2027〕2号"
    assert [r.serial for r in numbers.numbers_of(db, t, year=2026)] == [1, 2, 1, 1]
    with pytest.raises(ValueError):
        give("h", organ="county")


def test_every_number_given_is_audited_once_with_its_values(db: Session) -> None:
    t = _township(db, "numbers-audit")
    for _ in range(2):
        numbers.allocate(db, township=t, organ="congress", subject="x", issued_on=date(2026, 12, 8), actor="staff")
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == numbers.AUDIT_ACTION,
                                                 AuditEvent.township_id == t.id)).all()
    assert len(events) == 1
    assert events[0].actor == "staff"
    assert events[0].detail == {"number": "青人〔2026〕1号", "organ": "congress", "prefix": "青人", "year": 2026,
                                "serial": 1, "subject": "x", "issued_on": "2026-12-08"}


def test_a_prefix_falls_back_to_the_congress_one_when_the_organ_has_none(db: Session) -> None:
    t = Township(code="no-prefixes", name="白水乡", county="云溪县", profile="national", party_committee="中共白水乡委员会",
                 presidium_name="白水乡人民代表大会主席团", government_name="白水乡人民政府", doc_prefix="白人")
    db.add(t)
    db.flush()
    assert numbers.organ_prefix(db, t, "government") == "白人"
    settings = numbers.township_settings(db, t)
    assert settings.letterhead == list(numbers.DEFAULT_LETTERHEAD)
    assert numbers.letterhead_kinds(settings) >= {"party_request", "notice", "presidium_decision", "announcement"}


def test_two_transactions_allocating_at_once_get_different_numbers(backend: str, tmp_path: Path) -> None:
    """One transaction holds a new number uncommitted while another asks for the next: the second waits
    (SQLite: for the write lock; PostgreSQL: on the unique key), then takes the number after it."""
    url, cleanup = new_database(backend, tmp_path)
    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            township_id = _township(db, "race").id
        results: dict[str, str] = {}
        failures: list[BaseException] = []
        first_holds = threading.Event()

        def second() -> None:
            try:
                first_holds.wait(10)
                with session_scope(engine) as db:
                    t = db.get(Township, township_id)
                    results["second"] = numbers.allocate(db, township=t, organ="congress", subject="second",
                                                         issued_on=date(2026, 12, 1), actor="test")
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        with session_scope(engine) as db:
            t = db.get(Township, township_id)
            results["first"] = numbers.allocate(db, township=t, organ="congress", subject="first",
                                                issued_on=date(2026, 12, 1), actor="test")
            first_holds.set()
            if backend == "postgresql":  # commit only once the second is waiting on our number
                _wait_for_a_lock_wait(engine)
        worker.join(30)
        assert not failures, failures
        assert results == {"first": "青人〔2026〕1号", "second": "青人〔2026〕2号"}
        with session_scope(engine) as db:
            assert sorted(r.serial for r in db.scalars(select(DocNumber).where(DocNumber.township_id == township_id))
                          ) == [1, 2]
    finally:
        engine.dispose()
        cleanup()


def _wait_for_a_lock_wait(engine) -> None:  # type: ignore[no-untyped-def]
    """Until another backend waits on a lock (the second allocation blocked on our uncommitted row)."""
    watcher = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        for _ in range(2000):
            with watcher.connect() as conn:
                if conn.execute(text("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")
                                ).scalar():
                    return
        raise AssertionError("the second allocation never waited")
    finally:
        watcher.dispose()


def test_many_concurrent_allocations_are_unique_and_without_gaps(backend: str, tmp_path: Path) -> None:
    url, cleanup = new_database(backend, tmp_path)
    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            township_id = _township(db, "many").id
        got: list[str] = []
        failures: list[BaseException] = []

        def allocate(worker: int) -> None:
            try:
                for i in range(5):
                    with session_scope(engine) as db:
                        t = db.get(Township, township_id)
                        got.append(numbers.allocate(db, township=t, organ="congress", subject=f"{worker}-{i}",
                                                    issued_on=date(2026, 12, 1), actor="test"))
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=allocate, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failures, failures
        assert sorted(got, key=lambda n: int(n.split("〕")[1][:-1])) == [f"青人〔2026〕{n}号" for n in range(1, 21)]
    finally:
        engine.dispose()
        cleanup()


def test_follow_up_letters_number_from_the_same_register(db: Session, settings: Settings) -> None:
    t = _township(db, "followup-numbers")
    out = TownshipOutputs(db, t, settings)
    first = out.number("reminder_letter", 2027)
    second = out.number("overdue_list", 2027)  # the same 督 series
    assert (first, second) == ("青人督〔2027〕1号", "青人督〔2027〕2号")
    assert out.number("handover_letter", 2027) == "青人交〔2027〕1号"
    named = out.number("handover_letter", 2027, subject="交办函-镇财政所", on=date(2027, 3, 2))
    assert out.number("handover_letter", 2027, subject="交办函-镇财政所") == named == "青人交〔2027〕2号"


def test_the_sessions_documents_take_their_numbers_once(db: Session, load_sample, settings: Settings) -> None:
    session = load_sample()
    give_all_inputs(db, session)
    for step in ("plan", "party_approval", "presidium_decision", "notices"):
        assert run_step(db, KEY, step, actor="test", settings=settings).status == "done"
    township = session.term.township
    given = {r.subject: numbers.format_number(r.prefix, r.year, r.serial) for r in numbers.numbers_of(db, township)}
    assert given == {f"{KEY}/party_request": "青人〔2026〕1号", f"{KEY}/presidium_decision": "青人〔2026〕2号",
                     f"{KEY}/notice": "青人〔2026〕3号"}  # one number for the notice sent to every deputy
    # building a document again (a step run again) gives it the number it has
    from congress.lifecycle.steps import Outputs

    out = Outputs(db, session, "notices", settings)
    assert out.number("notice", on=session.notice_date) == "青人〔2026〕3号"
    assert len(numbers.numbers_of(db, township)) == 3


def test_the_session_file_names_prefixes_signatory_contact_and_letterhead_types(tmp_path: Path) -> None:
    import shutil

    from congress.errors import InputError
    from congress.inputs import load_session_file
    from tests.conftest import SAMPLE

    spec = load_session_file(SAMPLE / "session.yaml")
    assert {k: spec.township[k] for k in ("doc_prefix", "government_doc_prefix", "party_doc_prefix", "issuer")} == {
        "doc_prefix": "青人", "government_doc_prefix": "青政", "party_doc_prefix": "青党", "issuer": "王建华"}
    assert spec.township["contact"] == {"name": "林晓红", "phone": "0570-8612345"}
    assert spec.township["letterhead"] == ["请示", "通知", "决定", "公告"]
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    session = folder / "session.yaml"
    text = session.read_text(encoding="utf-8")
    session.write_text(text.replace("letterhead: [请示, 通知, 决定, 公告]", "letterhead: [请示, 红头]"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_session_file(session)
    [problem] = info.value.problems
    assert problem.field == "township.letterhead.1" and "红头" in problem.problem and "请示" in problem.problem
