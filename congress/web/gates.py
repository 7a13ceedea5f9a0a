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
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from congress import limits, rules
from congress.errors import InputError, Problem
from congress.inputs import ROUND_KINDS, load_attendance, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.context import ROUND_KIND_CN
from congress.messages import msg
from congress.models import Attendance, CongressSession, Election, Vote
from congress.rules import Check
from congress.web import render, views
from congress.web.deps import DB, CheckedViewer, CurrentViewer, Key, Viewer, visible_session
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


@router.get("/sessions/{key}/approval/{subject}")
def approval_form(key: Key, subject: str, request: Request, who: CurrentViewer,
                  db: DB) -> Response:
    session = visible_session(db, who, key)
    if subject not in SUBJECTS:
        raise HTTPException(404)
    return render.page(request, "approval.html", who=who, session=session, subject=subject,
                       history=views.approvals(db, session).get(subject, []), error=None,
                       default_day=_default_day(session, subject))


def _default_day(session: CongressSession, subject: str) -> date:
    return session.plan_date if subject == "plan" else session.opening_date


@router.post("/sessions/{key}/approval/{subject}")
async def approval_submit(key: Key, subject: str, request: Request, who: CheckedViewer,
                          db: DB) -> Response:
    who.require("approve")
    session = visible_session(db, who, key)
    if subject not in SUBJECTS:
        raise HTTPException(404)
    form = await request.form()
    bounds = FormBounds("approval")
    decision = bounds.text(form, "decision", max_chars=16, label="审批结果")
    comments = bounds.text(form, "comments", label="意见")
    approver = bounds.text(form, "approver", max_chars=64, label="审批人") or who.user.display_name
    decided_on = bounds.day(form.get("decided_on"), "decided_on", label="审批日期")
    error = bounds.first
    if decided_on is None:
        decided_on = _default_day(session, subject)
    if error is not None:
        pass  # a value out of bounds: shown first
    elif decision not in ("approved", "returned"):
        error = msg("web.approval.choose")
    elif decision == "returned" and not comments:
        error = msg("web.approval.comments_required")
    if error:
        return render.page(request, "approval.html", status_code=422, who=who, session=session, subject=subject,
                           history=views.approvals(db, session).get(subject, []), error=error,
                           default_day=decided_on, comments=comments)
    ops.record_party_decision(db, session, subject=subject, decision=decision, approver=approver[:64],
                              comments=comments, decided_on=decided_on, actor=who.name)
    return RedirectResponse(f"/sessions/{key}?notice=approval", status_code=303)


# --- attendance --------------------------------------------------------------------------


def _attendance_csv(session: CongressSession, db: Session, form: FormData) -> str:
    """The form as an attendance CSV; a status too long to be one raises InputError on its field."""
    bounds = FormBounds("attendance.csv")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["代表编号", "出席情况", "请假批准"])
    for d in ops.active_deputies(db, session):
        status = bounds.text(form, f"status.{d.code}", max_chars=16, label=f"{d.name}（{d.code}）的出席情况")
        if not status:
            continue  # left out, so the loader names the deputy as missing, as it does for a CSV
        writer.writerow([d.code, status, "是" if form.get(f"approved.{d.code}") else ""])
    if bounds.problems:
        raise InputError(bounds.problems)
    return out.getvalue()


def _attendance_rows(db: Session, session: CongressSession, text: str, folder: Path) -> list[Any]:
    path = folder / "attendance.csv"
    path.write_text(text, encoding="utf-8")
    return load_attendance(path, {d.code: d.name for d in ops.active_deputies(db, session)})


@router.get("/sessions/{key}/attendance")
def attendance_form(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    session = visible_session(db, who, key)
    recorded = {a.deputy_id: a for a in db.scalars(select(Attendance).where(Attendance.session_id == session.id))}
    profile = ops.profile_of(session)
    total = len(ops.active_deputies(db, session))
    return render.page(request, "attendance.html", who=who, session=session, deputies=views.deputies(db, session),
                       recorded=recorded, errors=[], required=rules.quorum_required(profile, total),
                       quorum_rule=profile.rule("quorum"))


@router.post("/sessions/{key}/attendance/check")
async def attendance_check(key: Key, request: Request, who: CheckedViewer,
                           db: DB) -> JSONResponse:
    session = visible_session(db, who, key)
    form = await request.form()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rows = _attendance_rows(db, session, _attendance_csv(session, db, form), Path(tmp))
        except InputError as exc:
            return JSONResponse({"ok": False, "problems": problem_rows(exc.problems, Path(tmp)), "items": []})
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUSES}
    total = len(rows)
    check = rules.quorum(ops.profile_of(session), total=total, present=counts["present"])
    return JSONResponse({"ok": True, "problems": [], "counts": counts, "total": total,
                         "items": [rule_item(check, "quorum")]})


@router.post("/sessions/{key}/attendance")
async def attendance_submit(key: Key, request: Request, who: CheckedViewer,
                            db: DB) -> Response:
    who.require("attendance")
    session = visible_session(db, who, key)
    form = await request.form()
    folder = None
    try:
        text = _attendance_csv(session, db, form)
        folder = staging_dir(request, f"attendance-{session.key}")
        rows = _attendance_rows(db, session, text, folder)
    except InputError as exc:  # out of bounds (no folder yet) or refused by the loader
        profile = ops.profile_of(session)
        total = len(ops.active_deputies(db, session))
        return render.page(request, "attendance.html", status_code=422, who=who, session=session,
                           deputies=views.deputies(db, session), recorded={}, errors=problem_rows(exc.problems, folder),
                           required=rules.quorum_required(profile, total), quorum_rule=profile.rule("quorum"))
    assert folder is not None
    ops.record_attendance(db, session, rows, actor=who.name, source=str(folder / "attendance.csv"))
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
                           "write_ins": {n: (0 if x is None else x) for n, x in write_ins.items()}})
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


def _tallies_page(request: Request, db: Session, who: Viewer, session: CongressSession, *, errors: list[Any],
                  status_code: int = 200) -> Response:
    votes = list(db.scalars(select(Vote).where(Vote.session_id == session.id).order_by(Vote.position)))
    elections = list(db.scalars(select(Election).where(Election.session_id == session.id).order_by(Election.position)))
    profile = ops.profile_of(session)
    total = len(ops.active_deputies(db, session))
    return render.page(request, "tallies.html", status_code=status_code, who=who, session=session, votes=votes,
                       elections=elections, errors=errors, round_kinds=ROUND_KIND_CN, total=total,
                       present=ops.present_count(db, session), required=rules.majority_required(profile, total),
                       majority_rule=profile.rule("majority"))


@router.get("/sessions/{key}/tallies")
def tallies_form(key: Key, request: Request, who: CurrentViewer, db: DB) -> Response:
    return _tallies_page(request, db, who, visible_session(db, who, key), errors=[])


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
    data, bad = _tallies_data(db, session, await request.form())
    if bad:
        return _tallies_page(request, db, who, session, errors=problem_rows(bad), status_code=422)
    folder = staging_dir(request, f"tallies-{session.key}")
    path = _write_tallies(data, folder)
    try:
        ops.record_tallies(db, session, load_tallies(path), actor=who.name)
    except InputError as exc:
        db.rollback()
        return _tallies_page(request, db, who, session, errors=problem_rows(exc.problems, folder), status_code=422)
    return RedirectResponse(f"/sessions/{key}?notice=tallies", status_code=303)
