"""The ten lifecycle steps. Each runs against the database, writes its documents and calendar files,
and ends done, waiting (a human gate), or blocked (a rule). A finished step is never run again.

`run_step` is the one entry point; Prefect tasks call it, one task per step per township.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import rules, storage
from congress.calendar import entries as cal
from congress.calendar.files import write_session_calendars
from congress.deputies import links as deputy_links
from congress.documents import numbers
from congress.documents.builder import markup_to_docx, render_text, write_bytes_atomic
from congress.documents.overrides import township_environment
from congress.errors import InputError, OutputWriteError, SessionHalted
from congress.holidays import is_rest_day
from congress.ical.builder import TZ, calendar_bytes
from congress.lifecycle import elections as election_rules
from congress.lifecycle import operations as ops
from congress.lifecycle import papers
from congress.lifecycle import presidium_documents as presidium_docs
from congress.lifecycle.claim import claim_session
from congress.lifecycle.context import (
    ELECTION_KIND_CN,
    ROUND_KIND_CN,
    STATUS_CN,
    common_context,
    deputy_dict,
    election_dict,
    election_file_names,
    report_dict,
    report_file_names,
    session_elections,
    session_title,
    sitting_day,
    vote_dict,
)
from congress.messages import msg
from congress.models import (
    Attendance,
    CalendarEntry,
    CongressSession,
    Document,
    Election,
    NoticeDelivery,
    PresidiumDecision,
    Resolution,
    StepRun,
    Suggestion,
    Vote,
)
from congress.profiles import Profile
from congress.settings import Settings
from congress.strokes import by_strokes, stroke_key

log = logging.getLogger(__name__)

STEPS: tuple[str, ...] = (
    "plan", "party_approval", "presidium_decision", "notices", "checkin_quorum",
    "preparatory_meeting", "reports", "votes_elections", "resolutions", "followup",
)
# The document kinds with a 发文字号, from the township's register (congress/documents/numbers.py): the
# issuing organ, the series (交 for 交办函, shared with the follow-up area's), and whether the kind has
# one number for the session (the 会议通知 sent to every deputy is one document) or one per file (a
# 交办函 to each office). 公告 have no 发文字号: they are numbered （第1号）, （第2号） within the session.
DOC_SERIALS: dict[str, tuple[str, str, str]] = {
    "party_request": ("congress", "", "session"),
    "presidium_decision": ("congress", "", "session"),
    "notice": ("congress", "", "session"),
    "handover_letter": ("congress", "交", "file"),
    "resolutions_request": ("congress", "", "session"),  # the 请示 on the draft resolutions (papers.py)
    "election_report": ("congress", "", "session"),  # the election results reported to the county
}
ANNOUNCEMENT_KINDS = ("election_announcement", "announcement")


@dataclass
class StepResult:
    step: str
    status: str  # done | waiting | blocked | skipped
    message: str | None = None
    gate: str | None = None
    documents: list[dict[str, str]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


class Gate(Exception):
    """The step needs a human input before it can finish."""

    def __init__(self, gate: str, message: str):
        super().__init__(message)
        self.gate, self.message = gate, message


class Outputs:
    """Builds a step's files in memory and registers them with their hash; `write_files` then writes them.

    The step's transaction registers the documents (rows, hashes) and commits before any file is written,
    so no transaction is open while files go to disk. Constructed with ``deferred=False`` (the calendar
    operations' reissue) each file is written as soon as it is built.
    """

    def __init__(self, db: Session, session: CongressSession, step: str, settings: Settings, *,
                 deferred: bool = False):
        self.db, self.session, self.step = db, session, step
        self.root = ops.output_folder(db, session, settings)
        self.store = storage.session_store(settings, session)  # the output folder, or the shared database
        self.env = township_environment(session.term.township, settings)
        self.author = session.term.township.presidium_name
        self.written: list[dict[str, str]] = []
        self.deferred = deferred
        self.pending: dict[str, bytes] = {}  # relative path -> bytes not yet on disk
        self.actor = "system"  # who the register's audit events name; the step's context sets it
        self.letterhead = numbers.letterhead_kinds(numbers.township_settings(db, session.term.township))
        self._registered: dict[str, Document] | None = None  # path -> row, read once (not a query per file)

    def folder(self) -> str:
        return f"{STEPS.index(self.step) + 1:02d}-{self.step.replace('_', '-')}"

    def document(self, kind: str, template: str, name: str, context: dict[str, Any], *, title: str,
                 on: date, images: dict[str, bytes] | None = None) -> Document:
        rel = f"{self.folder()}/{name}.docx"
        created = datetime.combine(on, time(9, 0), tzinfo=TZ).astimezone(UTC)
        context = {**context, **self.form(kind, name, on)}
        data = markup_to_docx(render_text(self.env, template, context), title=title, author=self.author,
                              created=created, images=images)
        return self._register(kind, rel, data)

    def report_name(self, key: str) -> str:
        """A report's short Chinese name in file names: 审议意见-预算."""
        return report_file_names(list(self.session.reports)).get(key, key)

    def election_name(self, key: str) -> str:
        """An election's short Chinese name in file names: 选票-补选副主席-第1轮."""
        elections = session_elections(self.db, self.session)
        return election_file_names(elections, self.session.term.township.name).get(key, key)

    def form(self, kind: str, name: str, on: date) -> dict[str, Any]:
        """What the 公文 form of one document needs: its 版头, its 发文字号 or its 公告 number."""
        form: dict[str, Any] = {"letterhead": kind in self.letterhead}
        if kind in DOC_SERIALS:
            form["doc_number"] = self.number(kind, on=on, name=name)
        if kind in ANNOUNCEMENT_KINDS:
            form["announcement_number"] = numbers.announcement_number(
                self.db, session=self.session, subject=f"{self.session.key}/{name}", issued_on=on, actor=self.actor)
        return form

    def number(self, kind: str, *, on: date, name: str | None = None) -> str:
        """The document's 发文字号 from the register, numbered in the year of its date."""
        organ, series, per = DOC_SERIALS[kind]
        subject = f"{self.session.key}/{kind}" + (f"/{name}" if per == "file" and name else "")
        return numbers.allocate(self.db, township=self.session.term.township, organ=organ, series=series,
                                subject=subject, issued_on=on, actor=self.actor, session=self.session)

    def calendar(self, kind: str, name: str, data: bytes) -> Document:
        return self._register(kind, f"calendar/{name}.ics", data)

    def _register(self, kind: str, rel: str, data: bytes) -> Document:
        sha = hashlib.sha256(data).hexdigest()
        if self.deferred:
            self.pending[rel] = data
        elif isinstance(self.store, storage.FileStore):
            self.store.put(rel, data)
        else:  # the database store writes on its own connection: once this transaction has committed
            storage.after_commit(self.db, self.store, rel, data)
        if self._registered is None:
            self._registered = {d.path: d for d in self.db.scalars(
                select(Document).where(Document.session_id == self.session.id))}
        doc = self._registered.get(rel)
        if doc is None or sa_inspect(doc).was_deleted:
            doc = Document(session_id=self.session.id, step=self.step, kind=kind, path=rel, sha256=sha)
            self.db.add(doc)
            self._registered[rel] = doc
        else:
            doc.sha256, doc.step, doc.kind = sha, self.step, kind
        self.db.flush()
        self.written.append({"kind": kind, "path": rel, "sha256": sha})
        return doc

    def write_files(self) -> None:
        """Write every pending file atomically (whole or not at all); call with no transaction open."""
        self.store.put_many(self.pending)
        self.pending.clear()


def write_output(path: Path, data: bytes) -> str:
    """Write a file atomically; a disk that is full, read-only or forbidden becomes one line for staff."""
    try:
        return write_bytes_atomic(path, data)
    except OSError as exc:
        raise OutputWriteError(path, exc) from exc


@dataclass
class StepContext:
    db: Session
    session: CongressSession
    profile: Profile
    out: Outputs
    actor: str
    settings: Settings

    def common(self, **extra: Any) -> dict[str, Any]:
        ctx = common_context(self.db, self.session, self.profile)
        ctx.update(extra)
        return ctx

    def __post_init__(self) -> None:
        self.out.actor = self.actor

    def number(self, kind: str) -> str:
        """The 发文字号 of a kind numbered once per session ("" for a kind numbered per file or not at all:
        `Outputs.document` gives each file its own)."""
        if kind not in DOC_SERIALS or DOC_SERIALS[kind][2] != "session":
            return ""
        s = self.session
        on = {"party_request": s.plan_date, "presidium_decision": s.presidium_meeting_date,
              "notice": s.notice_date}[kind]
        return self.out.number(kind, on=on)


def run_step(db: Session, session_key: str, step: str, *, actor: str, settings: Settings,
             flow_run_id: str | None = None) -> StepResult:
    """Run one step if it is not done yet; record its step run, audit events and outputs.

    The session is claimed for the step (`claim_session`; SessionBusy when another run holds it). Three
    short transactions: mark the step running; run its body, building the documents in memory, and commit
    with the step still running; then, with no transaction open, write the files; and mark it finished.
    A crash in between leaves the step "running" with no claim (interrupted): running it again redoes it
    and writes the same bytes.
    """
    # Never wait for the claim inside a transaction: on SQLite that transaction would hold the write lock
    # the run we wait for needs.
    db.commit()
    with claim_session(db, session_key, wait_seconds=settings.run_wait_seconds):
        return _run_claimed(db, session_key, step, actor=actor, settings=settings, flow_run_id=flow_run_id)


def _run_claimed(db: Session, session_key: str, step: str, *, actor: str, settings: Settings,
                 flow_run_id: str | None) -> StepResult:
    db.expire_all()  # what another run committed before we got the claim is read afresh
    session = ops.get_session(db, session_key)
    if session is None:
        raise LookupError(msg("cli.unknown_session", key=session_key))
    if session.state in ops.HALTED_STATES:
        db.rollback()
        raise SessionHalted(msg(f"runs.halted.{session.state}", key=session_key))
    run = ops.step_run(db, session, step, STEPS.index(step))
    if run.status == "done":  # done by an earlier (or a concurrent, now finished) run
        db.commit()
        return StepResult(step, "skipped", run.message, documents=run.evidence.get("documents", []))
    try:
        ops.output_folder(db, session, settings)  # refuses (OutputMoved) before the step is marked as running
    except ops.OutputMoved:
        db.rollback()  # nothing recorded, not even the step's row
        raise
    ops.start_step(db, session, run, actor=actor, flow_run_id=flow_run_id)
    attempt = run.attempts
    db.commit()  # let watchers see the step as running
    try:
        out = Outputs(db, session, step, settings, deferred=True)
        ctx = StepContext(db, session, ops.profile_of(session), out, actor, settings)
        status, gate_name, message = "done", None, None
        try:
            evidence = BODIES[step](ctx) or {}
            message = evidence.pop("message", None)
        except Gate as gate:
            status, gate_name, message = "waiting", gate.gate, gate.message
            evidence = {}
        except rules.RuleViolation as violation:
            check = violation.check
            status, gate_name, message = "blocked", check.rule, str(violation)
            evidence = {"rule": check.rule, "citation": str(check.citation)}
        evidence = {"documents": out.written, **evidence} if status != "done" else {**evidence,
                                                                                    "documents": out.written}
        db.commit()  # the step's rows, the step still running
        out.write_files()  # no transaction open: a slow or full disk holds up no one else
        db.expire_all()
        session = ops.get_session(db, session_key)
        assert session is not None
        run = ops.step_run(db, session, step, STEPS.index(step))
        ops.finish_step(db, session, run, status=status, actor=actor, message=message, evidence=evidence,
                        gate=gate_name)
        if status == "done" and step == STEPS[-1]:
            ops.complete_session(db, session, actor=actor)
        db.commit()
    except Exception as exc:
        db.rollback()
        _mark_failed(db, session_key, step, attempt=attempt, actor=actor, exc=exc)
        raise
    return StepResult(step, status, message, gate_name, out.written, evidence)


def failure_text(exc: BaseException) -> str:
    """What staff read about a failed step: the error's own Chinese line (bad input, a full disk, a rule),
    otherwise one line saying where the details are (the traceback goes to the log, never to the page)."""
    text = str(exc)
    if isinstance(exc, (OutputWriteError, InputError)) or any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    log.error("step failed", exc_info=exc)
    return msg("runs.step_failed_internal")


def _mark_failed(db: Session, session_key: str, step: str, *, attempt: int, actor: str, exc: Exception) -> None:
    """Mark the step failed, but only if it is still the run this attempt started (never a finished one)."""
    db.expire_all()
    session = ops.get_session(db, session_key)
    run = db.scalar(select(StepRun).where(StepRun.session_id == session.id, StepRun.step == step)) if session else None
    if session is None or run is None or run.status != "running" or run.attempts != attempt:
        db.rollback()
        return
    text = failure_text(exc)
    ops.finish_step(db, session, run, status="failed", actor=actor, message=text, evidence={})
    db.commit()


def next_step(db: Session, session_key: str) -> str | None:
    """The first step of the session that is not done, or None when all are."""
    session = ops.get_session(db, session_key)
    if session is None:
        raise LookupError(msg("cli.unknown_session", key=session_key))
    done = set(db.scalars(select(StepRun.step).where(StepRun.session_id == session.id,
                                                     StepRun.status == "done")))
    return next((s for s in STEPS if s not in done), None)


# --- step bodies -------------------------------------------------------------------------


def _plan(c: StepContext) -> dict[str, Any]:
    ctx = c.common()
    c.out.document("plan", "plan.md.j2", "会议方案", ctx, title=f"{ctx['session']['title']}会议方案",
                   on=c.session.plan_date)
    return {"kind": c.session.kind, "opening_date": c.session.opening_date.isoformat()}


def _party_approval(c: StepContext) -> dict[str, Any]:
    spec = c.profile.rule("party_approval")
    if not spec["value"]:
        ops.audit(c.db, actor=c.actor, action="rule_override", session=c.session, step="party_approval",
                  rule="party_approval", citation=str(spec.citation), profile=c.profile.name,
                  note="profile turns the party-committee approval step off")
        return {"skipped_by_profile": c.profile.name}
    approval = ops.request_party_approval(c.db, c.session, subject="plan", requested_on=c.session.plan_date,
                                          actor=c.actor)
    ctx = c.common(doc_number=c.number("party_request"), sign_date=c.session.plan_date)
    title = f"关于召开{ctx['session']['title']}的请示"
    c.out.document("party_request", "party_request.md.j2", "请示", ctx, title=title, on=c.session.plan_date)
    if approval.decision is None:
        raise Gate("party_approval_plan", msg("cli.run.waiting", gate=msg("gate.party_approval_plan")))
    decided_on = approval.decided_on or c.session.plan_date
    reply = {"decision": approval.decision, "decision_cn": msg(f"decision.{approval.decision}"),
             "approver": approval.approver or "", "comments": approval.comments or "", "decided_on": decided_on}
    c.out.document("party_reply", "party_reply.md.j2", f"批复记录-第{approval.attempt}次",
                   c.common(approval=reply, sign_date=decided_on), title=f"{title}的批复", on=decided_on)
    if approval.decision == "returned":
        raise Gate("plan_returned", msg("gate.plan_returned", comments=approval.comments or "（无）"))
    return {"approver": approval.approver, "decided_on": decided_on.isoformat(), "attempt": approval.attempt}


def _presidium_decision(c: StepContext) -> dict[str, Any]:
    s = c.session
    decision = c.db.scalar(select(PresidiumDecision).where(PresidiumDecision.session_id == s.id))
    if decision is None:
        decision = PresidiumDecision(session_id=s.id, meeting_date=s.presidium_meeting_date,
                                     opening_date=s.opening_date, agenda=[a.title for a in s.agenda_items],
                                     presidium_codes=list(s.presidium_codes), decided_by=s.term.township.presidium_name)
        c.db.add(decision)
        c.db.flush()
    ctx = c.common(doc_number=c.number("presidium_decision"), sign_date=s.presidium_meeting_date)
    ctx["decision"] = {"meeting_date": s.presidium_meeting_date, "time": s.presidium_meeting_time,
                       "place": s.presidium_meeting_place, "members": ctx["presidium"]}
    c.out.document("presidium_decision", "presidium_decision.md.j2", "主席团会议决定", ctx,
                   title=f"关于召开{ctx['session']['title']}的决定", on=s.presidium_meeting_date)
    c.out.document("presidium_minutes", "presidium_minutes.md.j2", "主席团会议纪要", ctx,
                   title=f"{ctx['township']['presidium_name']}会议纪要", on=s.presidium_meeting_date)
    presidium_docs.attendee_list(c, ctx)
    return {"meeting_date": s.presidium_meeting_date.isoformat(), "opening_date": s.opening_date.isoformat()}


def _sitting_entries(c: StepContext, ctx: dict[str, Any]) -> list[cal.EntrySpec]:
    """The session's events (presidium meeting, check-in, every sitting), stored with UIDs from row ids
    and, when new, a DTSTAMP from the notice date."""
    s = c.session
    presidium = set(s.presidium_codes)
    specs = cal.session_event_specs(
        s, host=c.settings.calendar_host, title=ctx["session"]["title"], agenda=[a["title"] for a in ctx["agenda"]],
        materials=ctx["materials"], presidium_ids=[d.id for d in s.term.deputies if d.code in presidium])
    for spec in specs:
        _upsert_entry(c, spec, stamp=cal.notice_stamp(s))
    return specs


def _upsert_entry(c: StepContext, spec: cal.EntrySpec, *, stamp: datetime) -> CalendarEntry:
    """Keep UID; raise SEQUENCE and DTSTAMP only when what the reader sees has changed."""
    return cal.upsert(c.db, c.session, c.out.step, spec, stamp=stamp)


def _alarms(c: StepContext) -> list[timedelta]:
    return cal.alarms(c.profile)


def _deadline_calendar(c: StepContext, specs: list[cal.EntrySpec], stamp: datetime, title: str) -> list[str]:
    """Store the follow-up deadlines (suggestion replies, budget publication, next session) and write
    the deadline calendar; returns the notes on holidays and unknown years."""
    plan = cal.session_deadline_specs(c.db, c.session, c.profile, host=c.settings.calendar_host, title=title)
    entries = [cal.spec_entry(spec, _upsert_entry(c, spec, stamp=stamp)) for spec in specs + plan.specs]
    if entries:
        c.out.calendar("deadlines", "督办期限", calendar_bytes(
            entries, method="PUBLISH", organizer=cal.organizer(c.session), alarms=_alarms(c),
            name=msg("calendar.name.deadlines", title=title)))
    return plan.notes


def _notices(c: StepContext) -> dict[str, Any]:
    s = c.session
    for check in rules.notice_timing(c.profile, kind=s.kind, notice_date=s.notice_date,
                                     materials_date=s.materials_date, opening_date=s.opening_date):
        rules.require(check)
    ctx = c.common(doc_number=c.number("notice"), sign_date=s.notice_date)
    specs = _sitting_entries(c, ctx)
    deputies = ops.active_deputies(c.db, s)
    invitations = write_session_calendars(c.db, s, c.out, profile=c.profile, deputies=deputies,
                                          title=ctx["session"]["title"])
    deliveries = 0
    for deputy in deputies:
        d = deputy_dict(deputy)
        # the deputy's personal link as a QR code: the same link (and bytes) on every re-run
        _link, token = deputy_links.ensure(c.db, deputy=deputy, actor=c.actor, settings=c.settings)
        url = deputy_links.page_url(c.settings, token)
        doc = c.out.document("notice", "notice.md.j2", f"会议通知-{deputy.code}-{deputy.name}",
                             {**ctx, "deputy": d, "deputy_link": url}, title=f"{ctx['session']['title']}通知",
                             on=s.notice_date, images={"deputy_link_qr": deputy_links.qr_png(url)})
        ics = invitations[deputy.id]
        delivery = c.db.scalar(select(NoticeDelivery).where(NoticeDelivery.session_id == s.id,
                                                            NoticeDelivery.deputy_id == deputy.id))
        if delivery is None:
            delivery = NoticeDelivery(session_id=s.id, deputy_id=deputy.id, notice_on=s.notice_date,
                                      materials_on=s.materials_date)
            c.db.add(delivery)
        delivery.document_id, delivery.calendar_document_id = doc.id, ics.id
        deliveries += 1
    presidium_docs.materials(c, ctx)  # 代表须知, 候选人基本情况: the materials the notice promises
    c.db.flush()
    return {"deliveries": deliveries, "notice_date": s.notice_date.isoformat(),
            "materials_date": s.materials_date.isoformat(), "sittings": len(s.sittings),
            "calendar_entries": len(specs), "holiday_warnings": cal.holiday_warnings(specs)}


def _attendance_summary(c: StepContext) -> dict[str, int]:
    rows = c.db.scalars(select(Attendance).where(Attendance.session_id == c.session.id)).all()
    total = len(ops.active_deputies(c.db, c.session))
    counts = {k: sum(1 for r in rows if r.status == k) for k in ("present", "leave", "absent")}
    return {"total": total, **counts}


def _checkin_quorum(c: StepContext) -> dict[str, Any]:
    presidium_docs.checkin_sheets(c)  # 代表名单 and 签到表: printed before anyone checks in
    rows = c.db.scalars(select(Attendance).where(Attendance.session_id == c.session.id)).all()
    if not rows:
        raise Gate("attendance", msg("cli.run.waiting", gate=msg("gate.attendance")))
    summary = _attendance_summary(c)
    check = rules.quorum(c.profile, total=summary["total"], present=summary["present"])
    quorum = {**summary, "required": check.detail["required"], "met": check.ok, "citation": check.citation.label}
    order = {d.id: i for i, d in enumerate(c.session.term.deputies)}
    attendance = [{"deputy": deputy_dict(r.deputy), "status": r.status, "status_cn": STATUS_CN[r.status],
                   "leave_approved": r.leave_approved} for r in sorted(rows, key=lambda r: order[r.deputy_id])]
    c.out.document("attendance_register", "attendance_register.md.j2", "代表报到出席登记",
                   c.common(attendance=attendance, quorum=quorum, sign_date=c.session.checkin_date),
                   title="代表报到出席登记", on=c.session.opening_date)
    rules.require(check)
    return {"quorum": quorum, "message": check.message}


def _votes(c: StepContext, stage: str) -> list[Vote]:
    return list(c.db.scalars(select(Vote).where(Vote.session_id == c.session.id, Vote.stage == stage)
                             .order_by(Vote.position)))


def _require_tallies(votes: list[Vote]) -> None:
    missing = [v.subject for v in votes if v.yes is None]
    if missing:
        raise Gate("tallies", msg("cli.run.waiting", gate=msg("gate.tallies")) + "（" + "、".join(missing) + "）")


def _first_term_documents(c: StepContext) -> dict[str, Any]:
    """The first session of a term, before its preparatory meeting: the two-month rule (LOL 第二十条), the
    credentials report and the presidium's confirmation of the deputies (EL 第四十七条), the credentials
    committee proposed for adoption (LOL 第三十七条). Checked again here: a rule that fails blocks the step."""
    s, term = c.session, c.session.term
    first = s.first_term or {}
    if s.kind != "first_of_term" or not first:
        return {}
    if term.election_date is None:
        raise rules.RuleViolation(rules.failed(c.profile, "first_session_within", msg("rules.input.election_date_required")))
    timing = rules.require(rules.first_session_timing(c.profile, election_date=term.election_date,
                                                      opening_date=s.opening_date, is_rest_day=is_rest_day))
    report_on = date.fromisoformat(first["credentials_report"]["date"])
    confirmed_on = date.fromisoformat(first["confirmed_on"])
    rules.require(rules.credentials_timing(c.profile, election_date=term.election_date, report_date=report_on,
                                           confirmed_on=confirmed_on, opening_date=s.opening_date))
    by_code = {d.code: d for d in term.deputies}
    committee = first.get("credentials_committee") or {}
    rules.require(rules.credentials_committee(c.profile, chair=(committee.get("chair") or [None])[0],
                                              vice_chairs=committee.get("vice_chairs", []),
                                              members=committee.get("members", []), presidium=s.presidium_codes))

    def people(codes: list[str]) -> list[dict[str, Any]]:
        return [deputy_dict(by_code[x]) for x in by_strokes_codes(codes, by_code)]

    view = {"election_date": term.election_date, "election_committee": first["election_committee"],
            "credentials_report": {"date": report_on, "by": first["credentials_report"]["by"]},
            "confirmed_on": confirmed_on, "deputy_quota": term.deputy_quota, "population": term.population,
            "due": date.fromisoformat(timing.detail["due"]),
            "committee_citation": str(c.profile.rule("credentials_committee").citation),
            "credentials_committee": {"chair": people(committee.get("chair", [])),
                                      "vice_chairs": people(committee.get("vice_chairs", [])),
                                      "members": people(committee.get("members", []))}}
    title = c.common()["session"]["title"]
    c.out.document("credentials_report", "credentials_report.md.j2", "代表资格审查报告",
                   c.common(first_term=view, sign_date=report_on), title="代表资格审查报告", on=report_on)
    c.out.document("deputy_list", "deputy_list.md.j2", "代表名单公告",
                   c.common(first_term=view, sign_date=confirmed_on), title="代表名单公告", on=confirmed_on)
    if committee:
        c.out.document("credentials_committee", "credentials_committee.md.j2", "代表资格审查委员会组成人员名单",
                       c.common(first_term=view, sign_date=s.opening_date),
                       title=f"{title}代表资格审查委员会组成人员名单", on=s.opening_date)
    return {"first_term": {"election_date": term.election_date.isoformat(), "due": timing.detail["due"],
                           "credentials_report": report_on.isoformat(), "confirmed_on": confirmed_on.isoformat(),
                           "credentials_committee": committee}}


def by_strokes_codes(codes: list[str], by_code: dict[str, Any]) -> list[str]:
    """Roster codes in 姓氏笔画 order of the deputies' names (unknown codes dropped)."""
    known = [x for x in codes if x in by_code]
    order = by_strokes([by_code[x].name for x in known])
    return sorted(known, key=lambda x: order.index(by_code[x].name))


def _preparatory_meeting(c: StepContext) -> dict[str, Any]:
    votes = _votes(c, "preparatory")
    first_term = _first_term_documents(c)  # before the gate: the deputies are confirmed before the meeting
    _require_tallies(votes)
    s = c.session
    ctx = c.common(sign_date=s.opening_date, attendance_summary=_attendance_summary(c),
                   votes={v.key: vote_dict(v) for v in votes})
    c.out.document("preparatory_agenda", "preparatory_agenda.md.j2", "预备会议议程", ctx,
                   title=f"{ctx['session']['title']}预备会议议程", on=s.opening_date)
    c.out.document("preparatory_script", "preparatory_script.md.j2", "预备会议主持词", ctx,
                   title=f"{ctx['session']['title']}预备会议主持词", on=s.opening_date)
    presidium_docs.preparatory_lists(c, ctx, ctx["votes"])  # 主席团名单, 秘书长名单, its first meeting
    for v in votes:
        rules.require(rules.vote_passes(c.profile, subject=v.subject, total=v.total or 0, yes=v.yes or 0))
    return {"votes": {v.key: vote_dict(v) for v in votes}, **first_term}


def _reports(c: StepContext) -> dict[str, Any]:
    s = c.session
    ctx = c.common(sign_date=s.opening_date)
    c.out.document("agenda", "agenda.md.j2", "会议议程", ctx, title=f"{ctx['session']['title']}议程",
                   on=s.opening_date)
    c.out.document("schedule", "schedule.md.j2", "会议日程", ctx, title=f"{ctx['session']['title']}日程",
                   on=s.opening_date)
    for report in s.reports:
        c.out.document("deliberation", "deliberation.md.j2", f"审议意见-{c.out.report_name(report.key)}",
                       {**ctx, "report": report_dict(report)}, title=f"关于{report.title}的审议意见",
                       on=s.opening_date)
    drafts = [r for r in s.reports if r.resolution_title]
    if drafts:
        # the draft resolutions go to the party committee for agreement in principle before the vote
        ops.request_party_approval(c.db, s, subject="resolutions", requested_on=s.opening_date, actor=c.actor)
    # the motions' register and the presidium's report on them, the drafts and the 请示 asking for agreement
    papers_evidence = papers.reports_documents(c, ctx)
    return {"reports": [r.key for r in s.reports], "draft_resolutions": [r.resolution_title for r in drafts],
            **papers_evidence}


def _round_dict(election: Election, rnd: Any, total: int, required: int) -> dict[str, Any]:
    valid_ballots = max(rnd.ballots_returned - rnd.ballots_void, 0)
    return {
        "number": rnd.number, "kind": rnd.kind, "kind_cn": ROUND_KIND_CN[rnd.kind],
        "ballots_issued": rnd.ballots_issued, "ballots_returned": rnd.ballots_returned,
        "ballots_void": rnd.ballots_void, "ballots_valid": valid_ballots, "valid": rnd.valid,
        # the candidates in 姓氏笔画 order, as the 计票报告 says it lists them; 反对/弃权 None when not counted
        "votes": [{"name": x.name, "votes": x.votes, "against": x.against, "abstain": x.abstain,
                   "elected": x.name in rnd.elected, "reason": rnd.reasons.get(x.name, "")}
                  for x in sorted((x for x in rnd.counts if not x.write_in), key=lambda x: stroke_key(x.name))],
        "marks": any(x.against is not None or x.abstain is not None for x in rnd.counts),
        "write_ins": [{"name": x.name, "votes": x.votes} for x in rnd.counts if x.write_in],
        "elected": list(rnd.elected), "required": required, "total": total,
        "candidates": by_strokes(list(rnd.candidates)),
        "seats": rnd.seats,  # the seats this round fills: what is left in another election (LOL 第二十九条)
    }


def decide_election(c: StepContext, election: Election, total: int) -> tuple[Gate | None, dict[str, Any] | None]:
    """Apply the rules to the recorded rounds (congress/lifecycle/elections.py) and store each round's
    outcome and the elected; the gate still open (None when decided) and the ballot it needs next."""
    decision = election_rules.decide(c.profile, election_rules.spec_of(election),
                                     election_rules.rounds_of(election), total=total)
    for rnd, outcome in zip(election.rounds, decision.rounds, strict=True):
        rnd.valid, rnd.seats, rnd.elected, rnd.tied, rnd.reasons = (
            outcome.valid, outcome.seats, outcome.elected, outcome.tied, outcome.reasons)
    election.elected, election.status = decision.elected, decision.status
    c.db.flush()
    if decision.violation is not None:  # a recorded round breaks a rule: nothing is decided from it
        raise rules.RuleViolation(decision.violation)
    return (Gate(*decision.gate) if decision.gate else None), decision.next_round


def _measures_adopted(c: StepContext, election: Election, votes: dict[str, Vote]) -> Vote | None:
    """The vote that adopted the election's 选举办法, or None when it was rejected (the election is not held).

    The congress decides the 选举办法 before the ballot (LOL 第三十条): ballots recorded for an election whose
    measures were rejected, or an election without a measures vote, block the step."""
    key = ops.measures_key(election.key)
    vote = votes.get(key)
    if vote is None:
        raise rules.RuleViolation(rules.failed(c.profile, "election_measures", msg(
            "elections.measures.missing", election=election.title, key=key)))
    if vote.passed:
        return vote
    held = f"{ELECTION_KIND_CN[election.kind]}{election.title}"
    if election.rounds:
        raise rules.RuleViolation(rules.failed(c.profile, "election_measures", msg(
            "elections.measures.rounds", subject=vote.subject, election=held, rounds=len(election.rounds))))
    return None


def _votes_elections(c: StepContext) -> dict[str, Any]:
    s = c.session
    drafts = [r for r in s.reports if r.resolution_title]
    if drafts:
        agreement = ops.latest_party_approval(c.db, s, "resolutions")
        if agreement is None or agreement.decision != "approved":
            raise Gate("party_approval_resolutions",
                       msg("cli.run.waiting", gate=msg("gate.party_approval_resolutions")))
    votes = _votes(c, "plenary")
    elections = session_elections(c.db, s)
    total = len(ops.active_deputies(c.db, s))
    required = rules.majority_required(c.profile, total)
    ctx = c.common(sign_date=s.opening_date, attendance_summary=_attendance_summary(c), total=total,
                   required=required)
    # the draft measures and the first ballot are needed before anyone votes: write them before the gate
    for election in elections:
        e = election_dict(election)
        held_on = sitting_day(s, election.sitting_key)
        c.out.document("election_measures", "election_measures.md.j2",
                       f"选举办法（草案）-{c.out.election_name(election.key)}", {**ctx, "election": e},
                       title=f"{ctx['session']['title']}{e['kind_cn']}{e['title']}的办法（草案）", on=s.opening_date)
        # more nominees than the formal list: the first ballot is the 预选's (LOL 第二十七条)
        kind = "preliminary" if e["preliminary"] else "formal"
        first = {"number": 1, "kind": kind, "kind_cn": ROUND_KIND_CN[kind],
                 "candidates": [x["name"] for x in e["candidates"]],
                 "seats": e["formal_count"] if e["preliminary"] else e["seats"]}
        nominated_on = s.nomination_deadline or s.opening_date
        c.out.document("candidate_list", "candidate_list.md.j2", f"候选人名单-{c.out.election_name(election.key)}",
                       {**ctx, "election": e, "sign_date": nominated_on},
                       title=f"{e['title']}{e['kind_cn']}候选人名单", on=nominated_on)
        for n in e["joint_nominations"]:
            c.out.document("joint_nomination", "joint_nomination.md.j2",
                           f"代表联名提名-{c.out.election_name(election.key)}-第{n['number']}号",
                           {**ctx, "election": e, "nomination": n, "sign_date": nominated_on},
                           title=f"代表联名提名{e['title']}候选人", on=nominated_on)
        c.out.document("ballot", "ballot.md.j2", f"选票-{c.out.election_name(election.key)}-第1轮",
                       {**ctx, "election": e, "round": first, "sign_date": held_on},
                       title=f"{e['title']}{e['kind_cn']}选票", on=held_on)
    papers.ballot_documents(c, ctx, votes, sitting_day(s))  # the 表决票 of the votes by secret ballot
    presidium_docs.second_meeting(c, ctx)  # the presidium fixes the candidates and puts the drafts to the vote
    _require_tallies(votes)
    # an election is held only under measures the congress adopted (LOL 第三十条)
    by_key = {v.key: v for v in votes}
    measures = {e.key: _measures_adopted(c, e, by_key) for e in elections}
    not_held = []
    for election in elections:
        if measures[election.key] is None:
            election.status, election.elected = "not_held", []
            vote = by_key[ops.measures_key(election.key)]
            not_held.append(msg("elections.measures.not_held", subject=vote.subject, yes=vote.yes,
                                required=vote.required,
                                election=f"{ELECTION_KIND_CN[election.kind]}{election.title}"))
    c.db.flush()
    decided = [(e, *decide_election(c, e, total)) for e in elections if measures[e.key] is not None]
    for election, gate, upcoming in decided:
        if gate is None or not upcoming:
            continue
        # the ballot of the round the gate waits for: a re-vote among the tied, the formal list after a 预选,
        # another election for the seats left (LOL 第二十七、二十九条)
        e = election_dict(election)
        number = len(election.rounds) + 1
        kind = upcoming["kind"]
        held_on = sitting_day(s, election.sitting_key)
        rd = {"number": number, "kind": kind, "kind_cn": ROUND_KIND_CN[kind], "seats": upcoming["seats"],
              "candidates": by_strokes(list(upcoming["candidates"]))}
        c.out.document("ballot", "ballot.md.j2", f"选票-{c.out.election_name(election.key)}-第{number}轮",
                       {**ctx, "election": e, "round": rd, "sign_date": held_on},
                       title=f"{e['title']}{e['kind_cn']}选票", on=held_on)
    gates = [gate for _, gate, _ in decided if gate is not None]
    if gates:
        raise gates[0]
    election_views = []
    for election in elections:
        e = election_dict(election)
        adopted = measures[election.key]
        # every document of the election bears the day of the sitting that holds it (and adopts its measures)
        held_on = sitting_day(s, election.sitting_key)
        ectx = {**ctx, "sign_date": held_on}
        if adopted is None:
            election_views.append({**e, "rounds": [], "elected": [], "held": False,
                                   "measures": vote_dict(by_key[ops.measures_key(election.key)])})
            continue
        c.out.document("election_measures", "election_measures.md.j2", f"选举办法-{c.out.election_name(election.key)}",
                       {**ectx, "election": e, "adopted_on": held_on},
                       title=f"{ctx['session']['title']}{e['kind_cn']}{e['title']}的办法", on=held_on)
        rounds = [_round_dict(election, r, total, required) for r in election.rounds]
        for rd in rounds:
            if rd["number"] > 1:
                c.out.document("ballot", "ballot.md.j2", f"选票-{c.out.election_name(election.key)}-第{rd['number']}轮",
                               {**ectx, "election": e, "round": rd}, title=f"{e['title']}{e['kind_cn']}选票",
                               on=held_on)
            c.out.document("count_report", "count_report.md.j2", f"计票报告-{c.out.election_name(election.key)}-第{rd['number']}轮",
                           {**ectx, "election": e, "round": rd}, title=f"{e['title']}{e['kind_cn']}计票报告",
                           on=held_on)
        if election.elected:
            last = rounds[-1]
            votes_of = {x["name"]: x["votes"] for r in rounds for x in r["votes"] + r["write_ins"]}
            c.out.document("election_announcement", "election_announcement.md.j2", f"当选公告-{c.out.election_name(election.key)}",
                           {**ectx, "election": e, "round": last,
                            "elected": [{"name": n, "votes": votes_of.get(n, 0)} for n in election.elected]},
                           title=f"{e['title']}当选公告", on=held_on)
        election_views.append({**e, "rounds": rounds, "elected": list(election.elected), "held": True,
                               "measures": vote_dict(adopted)})
    papers.oath_documents(c, ctx, election_views)  # those elected take the constitutional oath
    # the plenary votes are taken at the last plenary sitting: the table bears its day
    voted_on = sitting_day(s)
    vote_views = [vote_dict(v) for v in _votes(c, "preparatory") + votes]
    c.out.document("vote_results", "vote_results.md.j2", "表决结果", {**ctx, "votes": vote_views, "sign_date": voted_on},
                   title=f"{ctx['session']['title']}表决结果", on=voted_on)
    c.out.document("plenary_script", "plenary_script.md.j2", "大会主持词",
                   {**ctx, "votes": [papers.vote_view(v) for v in votes], "elections": election_views},
                   title=f"{ctx['session']['title']}大会主持词", on=s.opening_date)
    return {"votes": {v.key: vote_dict(v) for v in votes},
            # what decided each outcome: the candidates with their nominations (verify compares them)
            "elections": {e["key"]: {"elected": e["elected"], "status": el.status,
                                     "candidates": election_rules.candidate_values(el)}
                          for e, el in zip(election_views, elections, strict=True)},
            **({"message": "；".join(not_held)} if not_held else {})}


def _resolutions(c: StepContext) -> dict[str, Any]:
    s = c.session
    agreement = ops.latest_party_approval(c.db, s, "resolutions")
    votes = {v.key: v for v in _votes(c, "plenary")}
    ctx = c.common(sign_date=s.closing_date)
    adopted, rejected = [], []
    for i, report in enumerate(r for r in s.reports if r.resolution_title):
        vote = votes[f"resolution-{report.key}"]
        res = c.db.scalar(select(Resolution).where(Resolution.session_id == s.id,
                                                   Resolution.key == f"resolution-{report.key}"))
        if res is None:
            res = Resolution(session_id=s.id, position=i, key=f"resolution-{report.key}",
                             title=report.resolution_title or "", report_id=report.id, vote_id=vote.id)
            c.db.add(res)
        res.party_approval_id = agreement.id if agreement else None
        res.status = "adopted" if vote.passed else "rejected"
        res.adopted_on = s.closing_date if vote.passed else None
        if vote.passed:
            c.out.document("resolution", "resolution.md.j2", res.title,
                           {**ctx, "resolution": {"key": res.key, "title": res.title, "report": report_dict(report),
                                                  "vote": vote_dict(vote), "adopted_on": s.closing_date}},
                           title=res.title, on=s.closing_date)
            adopted.append({"title": res.title, "vote": vote_dict(vote)})
        else:
            rejected.append(res.title)
    elected = [{"office_title": e.title, "name": n} for e in session_elections(c.db, s) for n in e.elected]
    c.out.document("announcement", "announcement.md.j2", "公告",
                   {**ctx, "doc_number": c.number("announcement"), "resolutions": adopted, "elected": elected},
                   title=f"{ctx['session']['title']}公告", on=s.closing_date)
    suggestions = c.db.scalars(select(Suggestion.id).where(Suggestion.session_id == s.id)).all()
    decided = papers.motion_decisions(c, ctx, votes)  # the motions' report and each motion on the agenda
    c.out.document("communique", "communique.md.j2", "会议公报",
                   {**ctx, "attendance_summary": _attendance_summary(c), "resolutions": adopted,
                    "rejected": rejected, "elected": elected, "suggestion_count": len(suggestions), **decided},
                   title=f"{ctx['session']['title']}公报", on=s.closing_date)
    papers.resolutions_documents(c, ctx)  # the suggestions' register, the election results to the county
    c.db.flush()
    return {"adopted": [a["title"] for a in adopted], "rejected": rejected}


def _followup(c: StepContext) -> dict[str, Any]:
    s = c.session
    papers.refer_motions(c)  # the motions referred to the government, tracked as suggestions from here on
    suggestions = list(c.db.scalars(select(Suggestion).where(Suggestion.session_id == s.id)
                                    .order_by(Suggestion.position)))
    if not suggestions:
        title = session_title(s.term.township.name, s.term.ordinal, s.ordinal)
        notes = _deadline_calendar(c, [], cal.notice_stamp(s), title)
        return {"suggestions": 0, "deadline_notes": notes, "message": "；".join(notes) or None}
    handover = s.handover_date or s.closing_date
    spec = c.profile.rule("suggestion_reply")
    by_code = {d.code: deputy_dict(d) for d in s.term.deputies}
    notes: list[str] = []
    offices: dict[str, list[dict[str, Any]]] = {}
    deadline_specs: list[cal.EntrySpec] = []
    deputy_ids = {d.code: d.id for d in s.term.deputies}
    stamp = datetime.combine(handover, time(9, 0), tzinfo=TZ).astimezone(UTC)
    unverified: dict[int, set[date]] = {}
    for sg in suggestions:
        deadline = rules.suggestion_reply_due(c.profile, handover=handover, closing=s.closing_date,
                                              complex_case=sg.complex, is_rest_day=is_rest_day)
        if sg.state == "registered":
            sg.state, sg.handed_over_on, sg.due_on = "handed_over", handover, deadline.due
        if deadline.year_unknown:  # said once per year below, with every such date
            unverified.setdefault(deadline.due.year, set()).add(deadline.due)
        elif deadline.note and deadline.note not in notes:
            notes.append(deadline.note)
        offices.setdefault(sg.office, []).append({
            "code": sg.code, "title": sg.title, "category": sg.category, "complex": sg.complex,
            "proposers": [by_code[p] for p in sg.proposers if p in by_code], "due_date": sg.due_on,
            "text": sg.text,
            # as the step's notes and the calendar have it: a last day on a statutory rest day moves to the day
            # after (民法典 第二百零三条); in a year whose rest days are not known yet the letter says the rule
            "due_last_day": deadline.last_day, "due_extended": deadline.extended and deadline.due == sg.due_on,
            "due_unverified": deadline.year_unknown,
        })
        deadline_specs.append(cal.suggestion_spec(
            sg, host=c.settings.calendar_host, due=sg.due_on or deadline.due, citation_label=spec.citation.label,
            proposer_ids=[deputy_ids[p] for p in sg.proposers if p in deputy_ids]))
    ctx = c.common(doc_number=c.number("handover_letter"), sign_date=handover, handover_date=handover,
                   reply_months={"normal": spec["months"], "complex": spec["complex_months"]},
                   citation=spec.citation.label, rest_day_citation="civil-code-periods.md 第二百零三条")
    notes[:0] = [msg("rule.deadline.unknown_year_dates", year=year,
                     dates="、".join(f"{d.year}年{d.month}月{d.day}日" for d in sorted(days)),
                     hint=msg("rule.deadline.add_year_hint", year=year)) for year, days in sorted(unverified.items())]
    for office, items in offices.items():
        c.out.document("handover_letter", "handover_letter.md.j2", f"交办函-{office}",
                       {**ctx, "office": office, "suggestions": items}, title=f"代表建议交办函（{office}）",
                       on=handover)
    notes += [n for n in _deadline_calendar(c, deadline_specs, stamp, ctx["session"]["title"]) if n not in notes]
    c.db.flush()
    return {"suggestions": len(suggestions), "offices": sorted(offices), "deadline_notes": notes,
            "message": "；".join(notes) or None}


BODIES: dict[str, Callable[[StepContext], dict[str, Any] | None]] = {
    "plan": _plan,
    "party_approval": _party_approval,
    "presidium_decision": _presidium_decision,
    "notices": _notices,
    "checkin_quorum": _checkin_quorum,
    "preparatory_meeting": _preparatory_meeting,
    "reports": _reports,
    "votes_elections": _votes_elections,
    "resolutions": _resolutions,
    "followup": _followup,
}
