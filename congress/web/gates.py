"""The human gates as forms: party approval, attendance, tallies and election counts.

A form is written to a file in the upload folder (kept as entered) and goes through the same loader
and operation as the CLI, so the errors and the rules are the same. The check endpoints run the same
validation without storing anything, and add each rule's title and article for the live display.

Every value is bounded before any of that (congress/web/security.py FormBounds): numbers by the roster,
rounds and candidates by congress/limits.py, texts and dates by their columns; a value out of bounds is
a problem on its field, like the loader's, and nothing is computed or stored.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from congress import limits, rules
from congress.errors import InputError, Problem
from congress.inputs import ROUND_KINDS, load_attendance, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.context import ROUND_KIND_CN
from congress.messages import msg
from congress.models import Attendance, CongressSession, Election, PartyApproval, Vote
from congress.rules import Check
from congress.web import render, views
from congress.web.deps import DB, CheckedViewer, CurrentViewer, Key, Viewer, settings_of, visible_session
from congress.web.launcher import continue_after_input
from congress.web.security import FormBounds
from congress.web.sessions import problem_rows, staging_dir

router = APIRouter()
SUBJECTS = ("plan", "resolutions")
STATUSES = ("present", "leave", "absent")


def rule_item(check: Check, field: str, *, level: str | None = None) -> dict[str, Any]:
    """A rule check as the page shows it: the outcome, the rule's title and its article."""
    return {"field": field, "level": level or ("ok" if check.ok else "error"), "text": check.message,
            "rule": check.title, "citation": check.citation.label}


# --- party approval ----------------------------------------------------------------------


def _open_request(db: Session, session: CongressSession, subject: str) -> PartyApproval | None:
    """The request (请示) waiting for a decision: made by the session's own step, never by the form."""
    latest = ops.latest_party_approval(db, session, subject)
    return latest if latest is not None and latest.decision is None else None


def _approval_page(request: Request, db: Session, who: Viewer, session: CongressSession, subject: str, *,
                   status_code: int = 200, error: str | None = None, form: dict[str, str] | None = None) -> Response:
    """The approver's page: what is asked, the documents to read (page images, text while the PDF is on
    its way), the earlier decisions, and the form — only while a request waits for a decision."""
    pending = _open_request(db, session, subject)
    return render.page(request, "approval.html", status_code=status_code, who=who, session=session, subject=subject,
                       history=views.approvals(db, session).get(subject, []), error=error, pending=pending,
                       documents=views.approval_documents(db, session, subject, settings_of(request)),
                       form=form or {},
                       default_day=_default_day(session, subject), names=views.people(db))


@router.get("/sessions/{key}/approval/{subject}")
def approval_form(key: Key, subject: str, request: Request, who: CurrentViewer,
                  db: DB) -> Response:
    session = visible_session(db, who, key)
    if subject not in SUBJECTS:
        raise HTTPException(404)
    return _approval_page(request, db, who, session, subject)


def _default_day(session: CongressSession, subject: str) -> date:
    return session.plan_date if subject == "plan" else session.opening_date


@router.post("/sessions/{key}/approval/{subject}")
async def approval_submit(key: Key, subject: str, request: Request, who: CheckedViewer,
                          db: DB) -> Response:
    """The decision of the logged-in approver (their own name is recorded: nobody signs for another)."""
    who.require("approve")
    session = visible_session(db, who, key)
    if subject not in SUBJECTS:
        raise HTTPException(404)
    form = await request.form()
    bounds = FormBounds("approval")
    decision = bounds.text(form, "decision", max_chars=16, label="审批结果")
    comments = bounds.text(form, "comments", label="意见")
    decided_on = bounds.day(form.get("decided_on"), "decided_on", label="审批日期")
    error = bounds.first
    status = 422
    if decided_on is None:
        decided_on = _default_day(session, subject)
    if error is not None:
        pass  # a value out of bounds: shown first
    elif _open_request(db, session, subject) is None:
        # nothing can be decided before it was submitted (or once it was decided)
        error, status = msg(f"dashboard.approval.not_requested.{subject}"), 409
    elif decision not in ("approved", "returned"):
        error = msg("web.approval.choose")
    elif decision == "returned" and not comments:
        error = msg("web.approval.comments_required")
    if error:
        return _approval_page(request, db, who, session, subject, status_code=status, error=error,
                              form={"decision": decision, "comments": comments, "decided_on": decided_on.isoformat()})
    ops.record_party_decision(db, session, subject=subject, decision=decision, approver=who.user.display_name[:64],
                              comments=comments, decided_on=decided_on, actor=who.name)
    # in a worker thread: the launcher's client blocks, and would block this async route's event loop
    await run_in_threadpool(continue_after_input, db, session, launcher=request.app.state.launcher, actor=who.name,
                            trigger=f"approval-{subject}")
    return RedirectResponse(f"/sessions/{key}?notice=approval", status_code=303)


# --- attendance --------------------------------------------------------------------------


@dataclass
class AttendanceForm:
    """The attendance form as submitted: each deputy's status (blank: not marked yet), leave approvals,
    and the problems, each on its deputy's row."""

    statuses: dict[str, str]
    approved: set[str]
    row_errors: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # not about one deputy
    unmarked: list[str] = field(default_factory=list)  # the deputies not marked yet, by name

    def counts(self) -> dict[str, int]:
        counts = {s: sum(1 for v in self.statuses.values() if v == s) for s in STATUSES}
        counts["unmarked"] = sum(1 for v in self.statuses.values() if v not in STATUSES)
        return counts


def _attendance_form(db: Session, session: CongressSession, form: FormData) -> AttendanceForm:
    """Read the form; every value bounded, every deputy marked with one of the three statuses."""
    bounds = FormBounds("attendance")
    deputies = ops.active_deputies(db, session)
    read = AttendanceForm({}, set())
    for d in deputies:
        status = bounds.text(form, f"status.{d.code}", max_chars=16, label=f"{d.name}（{d.code}）的出席情况")
        read.statuses[d.code] = status
        if form.get(f"approved.{d.code}"):
            read.approved.add(d.code)
        if status and status not in STATUSES:
            read.row_errors.setdefault(d.code, []).append(msg("dashboard.attendance.bad_status"))
    for problem in bounds.problems:
        code = next((d.code for d in deputies if f"status.{d.code}" == problem.field), None)
        if code is None:
            read.errors.append(problem.problem)
        else:
            read.row_errors.setdefault(code, []).append(problem.problem)
    read.unmarked = [d.name for d in deputies if not read.statuses[d.code]]
    return read


def _refuse_unmarked(db: Session, session: CongressSession, read: AttendanceForm) -> None:
    """On submit, every deputy must be marked: the rows left blank are shown, and how many."""
    names = read.unmarked
    if not names:
        return
    for d in ops.active_deputies(db, session):
        if not read.statuses[d.code]:
            read.row_errors.setdefault(d.code, []).append(msg("dashboard.attendance.unmarked_row"))
    read.errors.append(msg("dashboard.attendance.unmarked", count=len(names), total=len(read.statuses),
                           names="、".join(names[:5]) + ("等" if len(names) > 5 else "")))


def _attendance_rows(db: Session, session: CongressSession, read: AttendanceForm, folder: Path) -> list[Any]:
    """The form as an attendance CSV (the format of the CLI, kept in the upload folder) through its loader;
    a problem the loader finds is put on its deputy's row."""
    codes = [d.code for d in ops.active_deputies(db, session)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["代表编号", "出席情况", "请假批准"])
    for code in codes:
        writer.writerow([code, read.statuses[code], "是" if code in read.approved else ""])
    path = folder / "attendance.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        return load_attendance(path, {d.code: d.name for d in ops.active_deputies(db, session)})
    except InputError as exc:
        for problem in exc.problems:
            # line 1 is the header, line n the (n-1)-th deputy written
            line = problem.line if isinstance(problem.line, int) else None
            if line is not None and 2 <= line <= len(codes) + 1:
                read.row_errors.setdefault(codes[line - 2], []).append(problem.problem)
            else:
                read.errors.append(problem.problem)
        raise


def _attendance_page(request: Request, db: Session, who: Viewer, session: CongressSession, *,
                     read: AttendanceForm | None = None, status_code: int = 200) -> Response:
    recorded = {a.deputy_id: a for a in db.scalars(select(Attendance).where(Attendance.session_id == session.id))}
    deputies = views.deputies(db, session)
    if read is None:  # as recorded, or nobody marked yet: each deputy is marked by a person, not by default
        by_id = {d.id: d.code for d in deputies}
        read = AttendanceForm({by_id[a.deputy_id]: a.status for a in recorded.values() if a.deputy_id in by_id},
                              {by_id[a.deputy_id] for a in recorded.values() if a.leave_approved and a.deputy_id in by_id})
    profile = ops.profile_of(session)
    return render.page(request, "attendance.html", status_code=status_code, who=who, session=session,
                       deputies=deputies, form=read, recorded=bool(recorded), errors=[],
                       required=rules.quorum_required(profile, len(deputies)), quorum_rule=profile.rule("quorum"))


@router.get("/sessions/{key}/attendance")
def attendance_form(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    return _attendance_page(request, db, who, visible_session(db, who, key))


@router.post("/sessions/{key}/attendance/check")
async def attendance_check(key: Key, request: Request, who: CheckedViewer,
                           db: DB) -> JSONResponse:
    """The live check: counts against the roster, the unmarked, and the quorum rule with its article."""
    session = visible_session(db, who, key)
    read = _attendance_form(db, session, await request.form())
    counts = read.counts()
    total = len(read.statuses)
    # a row not marked yet is not an error while the form is being filled: the count says how many are left
    problems = [{"field": f"attendance.{code}", "problem": text, "line": None, "file": "", "text": text}
                for code, texts in read.row_errors.items() for text in texts]
    check = rules.quorum(ops.profile_of(session), total=total, present=counts["present"])
    return JSONResponse({"ok": not read.row_errors and not read.errors and not read.unmarked, "problems": problems,
                         "summary": read.errors,
                         "counts": counts, "total": total, "items": [rule_item(check, "quorum")]})


@router.post("/sessions/{key}/attendance")
async def attendance_submit(key: Key, request: Request, who: CheckedViewer,
                            db: DB) -> Response:
    who.require("attendance")
    session = visible_session(db, who, key)
    read = _attendance_form(db, session, await request.form())
    _refuse_unmarked(db, session, read)
    if read.errors or read.row_errors:
        return _attendance_page(request, db, who, session, read=read, status_code=422)
    folder = staging_dir(request, f"attendance-{session.key}")
    try:
        rows = _attendance_rows(db, session, read, folder)
    except InputError:
        return _attendance_page(request, db, who, session, read=read, status_code=422)
    ops.record_attendance(db, session, rows, actor=who.name, source=str(folder / "attendance.csv"))
    # in a worker thread: the launcher's client blocks, and would block this async route's event loop
    await run_in_threadpool(continue_after_input, db, session, launcher=request.app.state.launcher, actor=who.name,
                            trigger="attendance")
    return RedirectResponse(f"/sessions/{key}?notice=attendance", status_code=303)


# --- tallies -----------------------------------------------------------------------------


def _tallies_data(db: Session, session: CongressSession, form: FormData) -> tuple[dict[str, Any], list[Problem]]:
    """The form as a tallies file (docs/formats.md); blank votes and rounds are left out. Every number
    is bounded first — counts by the roster, rounds and write-ins by congress/limits.py — and the
    problems come back instead of data that would cost work."""
    bounds = FormBounds("tallies.yaml")
    high = len(ops.active_deputies(db, session))

    def number(name: str, field: str) -> int | None:
        return bounds.count(form.get(name), field, high=high)

    votes: dict[str, Any] = {}
    for v in db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position)):
        given = [p for p in ("yes", "no", "abstain") if str(form.get(f"vote.{v.key}.{p}", "") or "").strip()]
        parts = {p: number(f"vote.{v.key}.{p}", f"votes.{v.key}.{p}") for p in ("yes", "no", "abstain")}
        if given:
            votes[v.key] = {p: (0 if x is None else x) for p, x in parts.items()}
    elections: dict[str, Any] = {}
    for e in db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)):
        count = bounds.count(form.get(f"el.{e.key}.rounds", "0"), f"elections.{e.key}.rounds",
                             high=limits.MAX_ELECTION_ROUNDS) or 0
        rounds = []
        for i in range(count):
            p, field = f"el.{e.key}.{i}", f"elections.{e.key}.rounds.{i}"
            if not str(form.get(f"{p}.ballots_issued", "") or "").strip():
                continue
            numbers = {k: number(f"{p}.{k}", f"{field}.{k}")
                       for k in ("ballots_issued", "ballots_returned", "ballots_void")}
            cast = {c.name: number(f"{p}.votes.{j}", f"{field}.votes.{c.name}") for j, c in enumerate(e.candidates)}
            # each candidate's 反对 and 弃权 marks are optional (docs/formats.md): a blank one is left out
            marks = {part: {c.name: number(f"{p}.{part}.{j}", f"{field}.{part}.{c.name}")
                            for j, c in enumerate(e.candidates)
                            if str(form.get(f"{p}.{part}.{j}", "") or "").strip()}
                     for part in ("against", "abstain")}
            lines = [line for line in bounds.text(form, f"{p}.write_ins", field=f"{field}.write_ins",
                                                  label="另选他人").splitlines() if line.strip()]
            if len(lines) > limits.MAX_CANDIDATES:
                bounds.add(f"{field}.write_ins", msg("security.form.too_many", field="另选他人", n=limits.MAX_CANDIDATES))
                lines = []
            write_ins = {}
            for line in lines:
                name, _, n = line.replace("：", ":").partition(":")
                if len(name.strip()) > 64:
                    bounds.add(f"{field}.write_ins", msg("security.form.too_long", field="姓名", n=64))
                elif name.strip():
                    write_ins[name.strip()] = bounds.count(n, f"{field}.write_ins.{name.strip()}", high=high)
            rounds.append({"kind": bounds.text(form, f"{p}.kind", max_chars=16, field=f"{field}.kind",
                                               label="轮次") or "formal",
                           **{k: (0 if x is None else x) for k, x in numbers.items()},
                           "votes": {n: (0 if x is None else x) for n, x in cast.items()},
                           "write_ins": {n: (0 if x is None else x) for n, x in write_ins.items()},
                           **{part: {n: (0 if x is None else x) for n, x in given.items()}
                              for part, given in marks.items() if given}})
        if rounds:
            elections[e.key] = {"rounds": rounds}
            if form.get(f"el.{e.key}.defer_unfilled"):
                elections[e.key]["defer_unfilled"] = True
    return {"votes": votes, "elections": elections}, bounds.problems


def _write_tallies(data: dict[str, Any], folder: Path) -> Path:
    path = folder / "tallies.yaml"
    # yes/no as quoted keys: the loader reads YAML 1.1, where bare yes/no are booleans
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _rule_items(db: Session, session: CongressSession, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each number against the rules it falls under, with the rule and its article."""
    profile = ops.profile_of(session)
    total = len(ops.active_deputies(db, session))
    present = ops.present_count(db, session)
    votes = {v.key: v for v in db.scalars(select(Vote).where(Vote.session_id == session.id))}
    items = []
    for key, t in data["votes"].items():
        if key not in votes or not all(isinstance(t[p], int) for p in ("yes", "no", "abstain")):
            continue
        subject = votes[key].subject
        fits = rules.tally_fits(profile, subject=subject, total=total, present=present, yes=t["yes"], no=t["no"],
                                abstain=t["abstain"])
        if not fits.ok:
            items.append(rule_item(fits, f"votes.{key}"))
            continue
        passes = rules.vote_passes(profile, subject=subject, total=total, yes=t["yes"])
        items.append(rule_item(passes, f"votes.{key}", level="ok" if passes.ok else "warn"))
    elections = {e.key: e for e in db.scalars(select(Election).where(Election.session_id == session.id))}
    for key, et in data["elections"].items():
        election = elections[key]
        seats = election.seats
        for i, rnd in enumerate(et["rounds"]):
            field = f"elections.{key}.rounds.{i}"
            numbers = [rnd[k] for k in ("ballots_issued", "ballots_returned")]
            if not all(isinstance(n, int) for n in numbers):
                continue
            valid = rules.ballots_valid(profile, subject=election.title, round_number=i + 1, issued=numbers[0],
                                        returned=numbers[1])
            if not valid.ok:
                items.append(rule_item(valid, field))
                continue
            cast = {n: v for n, v in {**rnd["votes"], **rnd["write_ins"]}.items() if isinstance(v, int)}
            if rnd["kind"] not in ROUND_KINDS or not cast:
                continue
            outcome = rules.count_round(profile, subject=election.title, kind=rnd["kind"], total=total, seats=seats,
                                        votes=cast)
            if rnd["kind"] == "preliminary":
                text = msg("web.tallies.preliminary", names="、".join(outcome.listed) or "—")
            elif outcome.elected and not outcome.tied and not outcome.unfilled:
                text = msg("web.tallies.elected", names="、".join(outcome.elected), required=outcome.required)
            else:
                text = outcome.check.message or msg("web.tallies.none_elected", required=outcome.required)
            items.append(rule_item(outcome.check, field, level="ok" if outcome.check.ok else "warn") | {"text": text})
            if rnd["kind"] != "preliminary":
                seats -= len(outcome.elected)
    return items


def _dry_run(db: Session, session: CongressSession, path: Path) -> list[dict[str, Any]]:
    """The problems `record_tallies` would raise, found by running it in a savepoint that is rolled back."""
    nested = db.begin_nested()
    try:
        ops.record_tallies(db, session, load_tallies(path), actor="check")
        return []
    except InputError as exc:
        return problem_rows(exc.problems, path.parent)
    finally:
        if nested.is_active:
            nested.rollback()


# a tally field's last part as the form labels it (the problem is shown beside its row, with this label)
TALLY_PARTS = {"yes": "赞成", "no": "反对", "abstain": "弃权", "ballots_issued": "发出选票", "ballots_returned": "收回选票",
               "ballots_void": "作废票", "write_ins": "另选他人", "kind": "轮次", "votes": "得票",
               "against": "反对"}


def _tally_values(db: Session, session: CongressSession, form: FormData | None) -> dict[str, Any]:
    """What the form's fields show: the submitted values (kept when refused), else the recorded ones."""
    votes = list(db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position)))
    elections = list(db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)))

    def shown(value: Any) -> str:
        return "" if value is None else str(value)

    out: dict[str, Any] = {"votes": {}, "elections": {}}
    for v in votes:
        out["votes"][v.key] = {p: (str(form.get(f"vote.{v.key}.{p}", "") or "")[:20] if form is not None
                                   else shown(getattr(v, p))) for p in ("yes", "no", "abstain")}
    for e in elections:
        rounds: list[dict[str, Any]] = []
        if form is not None:
            try:
                count = max(1, min(int(str(form.get(f"el.{e.key}.rounds", "1"))), limits.MAX_ELECTION_ROUNDS))
            except ValueError:
                count = 1
            for i in range(count):
                p = f"el.{e.key}.{i}"
                rounds.append({"kind": str(form.get(f"{p}.kind", "formal") or "formal")[:16],
                               **{k: str(form.get(f"{p}.{k}", "") or "")[:20]
                                  for k in ("ballots_issued", "ballots_returned", "ballots_void")},
                               **{part: [str(form.get(f"{p}.{part}.{j}", "") or "")[:20] for j in range(len(e.candidates))]
                                  for part in ("votes", "against", "abstain")},
                               "write_ins": str(form.get(f"{p}.write_ins", "") or "")[:2000]})
            defer = bool(form.get(f"el.{e.key}.defer_unfilled"))
        else:
            for r in e.rounds:
                got = {c.name: c for c in r.counts}
                rounds.append({"kind": r.kind, "ballots_issued": shown(r.ballots_issued),
                               "ballots_returned": shown(r.ballots_returned), "ballots_void": shown(r.ballots_void),
                               **{part: [shown(getattr(got[c.name], part)) if c.name in got else "" for c in e.candidates]
                                  for part in ("votes", "against", "abstain")},
                               "write_ins": "".join(f"{c.name}:{c.votes}\n" for c in r.counts if c.write_in)})
            defer = e.note == "defer_unfilled"
        out["elections"][e.key] = {"rounds": rounds or [{"kind": "formal", "ballots_issued": "", "ballots_returned": "",
                                                         "ballots_void": "", "votes": ["" for _ in e.candidates],
                                                         "against": ["" for _ in e.candidates],
                                                         "abstain": ["" for _ in e.candidates],
                                                         "write_ins": ""}], "defer": defer}
    return out


def _field_errors(problems: list[Problem], fields: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each problem beside the row it is about (the longest field it falls under), in the form's words:
    the part's label and the problem, never a file and line; the rest for the top of the form."""
    beside: dict[str, list[str]] = {}
    rest: list[str] = []
    for p in problems:
        field_ = p.field or ""
        owner = max((f for f in fields if field_ == f or field_.startswith(f + ".")), key=len, default=None)
        if owner is None:
            rest.append(p.problem)
            continue
        part = field_[len(owner) + 1:].split(".")[0] if field_ != owner else ""
        label = TALLY_PARTS.get(part, "")
        beside.setdefault(owner, []).append(f"{label}：{p.problem}" if label else p.problem)
    return beside, rest


def _tallies_page(request: Request, db: Session, who: Viewer, session: CongressSession, *,
                  problems: list[Problem] | None = None, form: FormData | None = None,
                  status_code: int = 200) -> Response:
    votes = list(db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position)))
    elections = list(db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)))
    profile = ops.profile_of(session)
    total = len(ops.active_deputies(db, session))
    values = _tally_values(db, session, form)
    fields = [f"votes.{v.key}" for v in votes] + [f"elections.{e.key}.rounds.{i}" for e in elections
                                                  for i in range(len(values["elections"][e.key]["rounds"]))]
    beside, rest = _field_errors(problems or [], fields)
    return render.page(request, "tallies.html", status_code=status_code, who=who, session=session, votes=votes,
                       elections=elections, values=values, beside=beside, form_errors=rest,
                       refused=bool(problems), round_kinds=ROUND_KIND_CN, total=total,
                       present=ops.present_count(db, session), required=rules.majority_required(profile, total),
                       majority_rule=profile.rule("majority"))


@router.get("/sessions/{key}/tallies")
def tallies_form(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    return _tallies_page(request, db, who, visible_session(db, who, key))


@router.post("/sessions/{key}/tallies/check")
async def tallies_check(key: Key, request: Request, who: CheckedViewer,
                        db: DB) -> JSONResponse:
    session = visible_session(db, who, key)
    data, bad = _tallies_data(db, session, await request.form())
    if bad:
        return JSONResponse({"ok": False, "problems": problem_rows(bad), "items": []})
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_tallies(data, Path(tmp))
        try:
            problems = _dry_run(db, session, path)
        except InputError as exc:  # shape problems found by the loader itself
            problems = problem_rows(exc.problems, Path(tmp))
    db.rollback()
    return JSONResponse({"ok": not problems, "problems": problems, "items": _rule_items(db, session, data)})


@router.post("/sessions/{key}/tallies")
async def tallies_submit(key: Key, request: Request, who: CheckedViewer,
                         db: DB) -> Response:
    who.require("tallies")
    session = visible_session(db, who, key)
    form = await request.form()
    data, bad = _tallies_data(db, session, form)
    if bad:
        return _tallies_page(request, db, who, session, problems=bad, form=form, status_code=422)
    folder = staging_dir(request, f"tallies-{session.key}")
    path = _write_tallies(data, folder)
    try:
        ops.record_tallies(db, session, load_tallies(path), actor=who.name)
    except InputError as exc:
        db.rollback()
        return _tallies_page(request, db, who, visible_session(db, who, key), problems=exc.problems, form=form,
                             status_code=422)
    # in a worker thread: the launcher's client blocks, and would block this async route's event loop
    await run_in_threadpool(continue_after_input, db, session, launcher=request.app.state.launcher, actor=who.name,
                            trigger="tallies")
    return RedirectResponse(f"/sessions/{key}?notice=tallies", status_code=303)
