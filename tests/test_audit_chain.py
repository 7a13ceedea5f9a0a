"""The audit trail as hash chains: the format, one chain per township and a global one, the state the
events carry, no duplicate events on identical re-recording, files registered with their hash, the chain
head in outcome.json and the report, concurrent appends on PostgreSQL, and the migration of old events."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, date
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from congress.audit import chain
from congress.audit.verify import verify, walk
from congress.db import make_engine, migrate, session_scope
from congress.inputs import load_attendance, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.outcome import REPORT, finalize
from congress.lifecycle.steps import STEPS, run_step
from congress.models import AuditEvent, Document, FollowupDocument, PartyApproval, Township
from tests.audit_support import KEY, Built, built_fixture, forge_fixture  # noqa: F401  (fixtures)
from tests.conftest import SAMPLE, new_database


def events_of(db: Session, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.scalars(query))


def give_inputs(db: Session, session) -> None:  # type: ignore[no-untyped-def]
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记", comments="",
                              decided_on=date(2026, 12, 2), actor="approver")
    rows = load_attendance(SAMPLE / "attendance.csv", {d.code: d.name for d in ops.active_deputies(db, session)})
    ops.record_attendance(db, session, rows, actor="staff", source="attendance.csv")
    ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                              comments="", decided_on=date(2026, 12, 22), actor="approver")
    ops.record_tallies(db, session, load_tallies(SAMPLE / "tallies.yaml"), actor="staff")


def test_event_hash_is_sha256_of_the_documented_canonical_json(db: Session, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    event = ops.audit(db, actor="张三", action="test_event", session=session, step="plan", note="说明",
                      values=[1, 2], 名称="青山")
    expected = json.dumps({
        "chain": session.term.township_id, "seq": event.seq, "prev_hash": event.prev_hash, "actor": "张三",
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"), "action": "test_event",
        "township": session.term.township_id, "session": KEY, "step": "plan",
        "detail": {"values": [1, 2], "名称": "青山"}, "note": "说明",
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert event.hash == hashlib.sha256(expected.encode("utf-8")).hexdigest()
    assert event.chain == session.term.township_id
    previous = db.scalar(select(AuditEvent).where(AuditEvent.chain == event.chain, AuditEvent.seq == event.seq - 1))
    assert previous is not None and event.prev_hash == previous.hash


def test_events_without_a_township_go_to_the_global_chain(db: Session) -> None:
    first = ops.audit(db, actor="admin", action="user_created", username="a")
    second = ops.audit(db, actor="a", action="logged_in", township_id=None)
    assert (first.chain, first.seq, first.prev_hash) == (chain.GLOBAL_CHAIN, 1, chain.GENESIS)
    assert (second.chain, second.seq, second.prev_hash) == (0, 2, first.hash)
    report = walk(events_of(db), key=0, label="global", session_keys={})
    assert report.ok and report.events == 2


def test_state_values_are_in_the_events(forge: Session) -> None:
    decision = events_of(forge, "party_decision_recorded")[0].detail
    assert decision == {"subject": "plan", "attempt": 1, "decision": "approved", "approver": "党委书记",
                        "comments": "", "decided_on": "2026-12-02"}
    attendance = events_of(forge, "attendance_recorded")[0].detail
    assert len(attendance["attendance"]) == 60 and attendance["present"] == 56
    assert {"status", "leave_approved"} == set(next(iter(attendance["attendance"].values())))
    tallies = events_of(forge, "tallies_recorded")[0].detail
    budget = tallies["votes"]["resolution-budget"]
    assert set(budget) == {"yes", "no", "abstain", "total", "required", "passed"} and budget["required"] == 31
    (rnd,) = tallies["elections"]["vice-chair"]["rounds"]
    assert rnd["votes"]["陈晓梅"] == 41 and rnd["ballots_issued"] == 56
    decided = next(e for e in events_of(forge, "step_done") if e.step == "votes_elections").detail
    vice = decided["elections"]["vice-chair"]
    assert {k: vice[k] for k in ("elected", "status")} == {"elected": ["陈晓梅"], "status": "decided"}
    # what decided it: the candidates with their nominations (docs/rules.md, LOL 第二十六条)
    assert [(c["name"], c["code"], c["nominated_by"], len(c["nominators"])) for c in vice["candidates"]] == [
        ("陈晓梅", "QS004", "presidium", 0), ("刘志强", "QS014", "deputies", 10)]


def test_identical_rerun_adds_no_event(forge: Session, built: Built) -> None:
    count = forge.scalar(select(func.count()).select_from(AuditEvent))
    session = ops.get_session(forge, KEY)
    give_inputs(forge, session)  # the same decisions, attendance and tallies again
    for step in STEPS:
        assert run_step(forge, KEY, step, actor="staff", settings=built.settings).status == "skipped"
    finalize(forge, KEY, actor="staff", settings=built.settings)
    assert forge.scalar(select(func.count()).select_from(AuditEvent)) == count
    assert len(events_of(forge, "outcome_written")) == 1
    assert forge.scalar(select(func.count()).select_from(PartyApproval)) == 2
    # a different decision is a new attempt, audited
    ops.record_party_decision(forge, session, subject="plan", decision="approved", approver="党委书记",
                              comments="同意", decided_on=date(2026, 12, 2), actor="approver")
    assert len(events_of(forge, "party_decision_recorded")) == 3


def test_outcome_and_report_carry_the_chain_head_and_are_audited(forge: Session, built: Built) -> None:
    (written,) = events_of(forge, "outcome_written")
    outcome = json.loads((built.output / "outcome.json").read_text(encoding="utf-8"))
    head = outcome["audit_chain"]
    assert head == written.detail["chain_head"] and written.seq == head["seq"] + 1
    assert written.prev_hash == head["hash"]
    files = written.detail["files"]
    assert files["outcome.json"] == hashlib.sha256((built.output / "outcome.json").read_bytes()).hexdigest()
    assert files[REPORT] == hashlib.sha256((built.output / REPORT).read_bytes()).hexdigest()
    from docx import Document as Docx

    report = "\n".join(p.text for p in Docx(str(built.output / REPORT)).paragraphs)
    assert head["hash"] in report and f"共有{head['seq']}条记录" in report


def test_every_step_event_carries_the_hashes_of_its_files(forge: Session) -> None:
    audited: dict[str, str] = {}
    for event in events_of(forge):
        audited.update({d["path"]: d["sha256"] for d in event.detail.get("documents", [])})
        audited.update(event.detail.get("files", {}))
    docs = forge.scalars(select(Document)).all()
    assert len(docs) > 300 and {d.path: d.sha256 for d in docs} == {p: audited[p] for p in (d.path for d in docs)}


def test_files_registered_outside_a_step_are_attached_to_the_next_event(db: Session, load_sample) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    township = db.get(Township, session.term.township_id)
    assert township is not None
    db.add(Document(session_id=session.id, step="resolutions", kind="x_pdf", path="09-resolutions/x.pdf",
                    sha256="a" * 64))
    db.add(FollowupDocument(township_id=township.id, kind="register", path="registers/x.docx", sha256="b" * 64,
                            made_on=date(2027, 1, 5)))
    event = ops.audit(db, actor="staff", action="pdf_rendered", session=session, count=1)
    assert event.detail["files"] == {"09-resolutions/x.pdf": "a" * 64}
    assert event.detail["township_files"] == {"registers/x.docx": "b" * 64}
    # registered again with the same bytes: nothing new to attach
    doc = db.scalar(select(Document).where(Document.path == "09-resolutions/x.pdf"))
    assert doc is not None
    doc.sha256 = "a" * 64
    assert "files" not in ops.audit(db, actor="staff", action="pdf_rendered", session=session, count=0).detail


def test_concurrent_appends_to_one_chain_leave_no_gap_and_no_fork(tmp_path: Path) -> None:
    url, cleanup = new_database("postgresql", tmp_path)
    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            township = Township(code="t1", name="镇", profile="national", party_committee="党委",
                                presidium_name="主席团", government_name="政府", doc_prefix="X")
            db.add(township)
            db.flush()
            township_id = township.id
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                barrier.wait()
                for i in range(15):
                    with session_scope(engine) as db:
                        ops.audit(db, actor=f"w{n}", action="concurrent", township_id=township_id, i=i)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        with session_scope(engine) as db:
            events = [e for e in events_of(db) if e.chain == township_id]
            assert [e.seq for e in events] == list(range(1, 61))
            assert walk(events, key=township_id, label="t1", session_keys={}).ok
    finally:
        engine.dispose()
        cleanup()


def test_migration_chains_existing_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(chain.__file__).parents[1] / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
        connection.execute(text("INSERT INTO township (id, code, name, county, profile, party_committee, "
                                "presidium_name, government_name, doc_prefix) VALUES "
                                "(1, 't', '镇', '', 'national', '党委', '主席团', '政府', 'X')"))
        for i, township in enumerate((1, None, 1)):
            connection.execute(text("INSERT INTO audit_event (township_id, at, actor, action, detail, note) "
                                    "VALUES (:t, :at, 'old', :a, :d, '')"),
                               {"t": township, "at": f"2026-11-0{i + 1} 08:00:00.000000", "a": f"old_{i}",
                                "d": json.dumps({"n": i})})
    migrate(engine)
    with session_scope(engine) as db:
        events = events_of(db)
        assert [(e.chain, e.seq) for e in events] == [(0, 1), (1, 1), (1, 2)]
        assert walk([e for e in events if e.chain == 1], key=1, label="t", session_keys={}).ok
        assert ops.audit(db, actor="new", action="after", township_id=1).seq == 3
        assert verify(db, everything=True).ok
    engine.dispose()


def test_a_chain_walked_from_the_middle_checks_from_there_on(forge: Session) -> None:
    events = [e for e in events_of(forge) if e.chain != chain.GLOBAL_CHAIN]
    part = walk(events[5:], key=events[0].chain, label="t", session_keys={e.session_id: KEY for e in events},
                partial=True)
    assert part.ok and part.first_seq == 6 and "自本次会议" in part.summary()
    events[10].actor = "forged"  # in memory only (rolled back): the walk recomputes the hash
    part = walk(events[5:], key=events[0].chain, label="t", session_keys={e.session_id: KEY for e in events},
                partial=True)
    assert part.first_break is not None and f"第{events[10].seq}条记录" in part.first_break
