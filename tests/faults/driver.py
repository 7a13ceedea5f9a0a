"""A small driver that runs the lifecycle through the core (no Prefect) in a process of its own, for the
concurrency and fault-injection tests: they start it as a process of its own, release several at once, or kill it.

    python -m tests.faults.driver prepare --url URL --output DIR
    python -m tests.faults.driver run     --url URL --output DIR [--pdf on|off] [--wait S] [--start-file F]
                                          [--pause POINT --marker FILE]
    python -m tests.faults.driver step    --url URL --output DIR --step STEP [--wait S] [--start-file F]
    python -m tests.faults.driver migrate --url URL [--start-file F]
    python -m tests.faults.driver load    --url URL --output DIR [--start-file F]

The tests fork it from a multiprocessing fork server that has imported it once (`child`), so a process
starts in milliseconds rather than the ~0.7 s of importing the core; `python -m` runs it the same way.

`run` does what the parent flow does (flows/session.py): the steps in order until one does not finish,
then the PDFs, then outcome.json (and, once complete, the audit report's PDF and outcome.json again).
Each unit opens its own database session, as the Prefect tasks do.

`--start-file`: everything is imported and connected first, then the driver waits for that file to
appear, so several processes start their work within a millisecond or two of each other.

`--pause POINT`: the driver stops at a named point (writes --marker, then sleeps) so the test can SIGKILL
it exactly there; nothing else is changed. Points: before:<step> (between steps: the previous one is
finished, this one not started), body:<step> (the step is marked running, the claim is held, the
step's transaction is open), document:<n> (at the n-th document the process builds, rows flushed and
not committed), write:<n> (before the n-th file a step writes after its transaction committed),
finish:<step> (files written, the step not yet marked done), pdfwrite:<n> (LibreOffice has converted,
n-1 PDFs are on disk, none registered), finalize (PDFs done, outcome.json not written).

Prints one JSON line (what happened) and exits 0, or 6 when another run held the session
(SessionBusy), 5 when the session is halted, 8 on any other error (traceback on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from congress.db import engine_for, migrate, session_scope
from congress.documents import pdf
from congress.errors import OutputWriteError, SessionBusy, SessionHalted
from congress.inputs import load_attendance, load_session_file, load_tallies
from congress.lifecycle import claim, steps
from congress.lifecycle import operations as ops
from congress.lifecycle import outcome as outcome_mod
from congress.settings import REPO_ROOT, Settings

SAMPLE = REPO_ROOT / "config" / "sample"
KEY = "qingshan-18-3"
ACTOR = "driver"


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(database_url=args.url, output_dir=Path(args.output) if getattr(args, "output", None) else "output",
                    render_pdf=getattr(args, "pdf", "off"), run_wait_seconds=getattr(args, "wait", 0.0))


def _wait_for_start(path: str | None) -> None:
    if not path:
        return
    Path(f"{path}.ready.{os.getpid()}").touch()  # imported and connected: the test releases us all at once
    while not os.path.exists(path):
        time.sleep(0.001)


# --- pause points ----------------------------------------------------------------------------------


def _pause(marker: str) -> None:
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while True:  # until the test kills us
        time.sleep(60)


def _install_pause(point: str | None, marker: str | None) -> None:
    if not point:
        return
    assert marker, "--pause needs --marker"
    kind, _, arg = point.partition(":")
    if kind == "body":
        body = steps.BODIES[arg]

        def paused_body(c):  # type: ignore[no-untyped-def]
            _pause(marker)
            return body(c)

        steps.BODIES[arg] = paused_body
    elif kind == "document":
        document, count = steps.Outputs.document, [0]

        def counted_document(self, *a, **kw):  # type: ignore[no-untyped-def]
            count[0] += 1
            if count[0] == int(arg):
                self.db.flush()
                _pause(marker)
            return document(self, *a, **kw)

        steps.Outputs.document = counted_document  # type: ignore[method-assign]
    elif kind == "write":  # a step's files go to disk through the file store (congress/storage.py)
        from congress import storage

        put, put_count = storage.FileStore.put, [0]

        def counted_put(self, rel: str, data: bytes) -> str:  # type: ignore[no-untyped-def]
            put_count[0] += 1
            if put_count[0] == int(arg):
                _pause(marker)
            return put(self, rel, data)

        storage.FileStore.put = counted_put  # type: ignore[method-assign]
    elif kind == "pdfwrite":  # the PDFs LibreOffice made go to the store in one batch (put_many → put)
        from congress import storage

        put_pdf, pdf_count = storage.FileStore.put, [0]

        def counted_pdf_put(self, rel: str, data: bytes) -> str:  # type: ignore[no-untyped-def]
            if rel.endswith(".pdf"):
                pdf_count[0] += 1
                if pdf_count[0] == int(arg):
                    _pause(marker)
            return put_pdf(self, rel, data)

        storage.FileStore.put = counted_pdf_put  # type: ignore[method-assign]
    elif kind == "finish":
        finish = ops.finish_step

        def paused_finish(db, session, run, **kw):  # type: ignore[no-untyped-def]
            if run.step == arg and kw.get("status") == "done":
                db.flush()
                _pause(marker)
            return finish(db, session, run, **kw)

        ops.finish_step = paused_finish  # type: ignore[assignment]
    elif kind not in ("before", "finalize"):
        raise SystemExit(f"unknown pause point {point}")


# --- commands --------------------------------------------------------------------------------------


def give_all_inputs(db: Any, session: Any) -> None:
    """Every human-gate input of the sample, as `congress run --approve-plan … --tallies …` records them."""
    ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",
                              comments="", decided_on=date(2026, 12, 2), actor="approver")
    rows = load_attendance(SAMPLE / "attendance.csv", {d.code: d.name for d in ops.active_deputies(db, session)})
    ops.record_attendance(db, session, rows, actor="staff", source="attendance.csv")
    ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                              comments="", decided_on=date(2026, 12, 22), actor="approver")
    ops.record_tallies(db, session, load_tallies(SAMPLE / "tallies.yaml"), actor="staff")


def prepare(settings: Settings) -> dict[str, Any]:
    engine = engine_for(settings.database_url)
    migrate(engine)
    spec = load_session_file(SAMPLE / "session.yaml")
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=spec, actor=ACTOR, output_root=settings.output_dir)
        give_all_inputs(db, session)
    return {"prepared": KEY}


def run_one(settings: Settings, step: str, start_file: str | None) -> dict[str, Any]:
    engine = engine_for(settings.database_url)
    with session_scope(engine) as db:  # connect before the start
        ops.get_session(db, KEY)
    _wait_for_start(start_file)
    with session_scope(engine) as db:
        result = steps.run_step(db, KEY, step, actor=ACTOR, settings=settings)
    return {"step": step, "status": result.status}


def run_all(settings: Settings, start_file: str | None, pause: str | None, marker: str | None) -> dict[str, Any]:
    engine = engine_for(settings.database_url)
    with session_scope(engine) as db:
        ops.get_session(db, KEY)
    _wait_for_start(start_file)
    statuses: list[tuple[str, str]] = []
    while True:
        with session_scope(engine) as db:
            step = steps.next_step(db, KEY)
        if step is None:
            break
        if pause == f"before:{step}":
            _pause(marker or "")
        with session_scope(engine) as db:
            result = steps.run_step(db, KEY, step, actor=ACTOR, settings=settings)
        statuses.append((step, result.status))
        if result.status not in ("done", "skipped"):
            break
    state = _render_and_finalize(settings, pause, marker)
    if state == "completed":
        state = _render_and_finalize(settings, None, None)
    return {"steps": statuses, "state": state}


def _render_and_finalize(settings: Settings, pause: str | None, marker: str | None) -> str:
    engine = engine_for(settings.database_url)
    with session_scope(engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        pdf.render_missing(db, session, settings, actor=ACTOR)
    if pause == "finalize":
        _pause(marker or "")
    # finalize claims the session as a step does, so two runs never write outcome.json at once
    with claim.claim_session(engine, KEY, wait_seconds=settings.run_wait_seconds), session_scope(engine) as db:
        return str(outcome_mod.finalize(db, KEY, actor=ACTOR, settings=settings)["session"]["state"])


def load(settings: Settings, start_file: str | None) -> dict[str, Any]:
    engine = engine_for(settings.database_url)
    spec = load_session_file(SAMPLE / "session.yaml")
    with session_scope(engine) as db:
        ops.get_session(db, KEY)
    _wait_for_start(start_file)
    with session_scope(engine) as db:
        _, changed = ops.load_session(db, spec=spec, actor=ACTOR, output_root=settings.output_dir)
    return {"loaded": KEY, "changed": changed}


def migrate_only(url: str, start_file: str | None) -> dict[str, Any]:
    engine = engine_for(url)
    _wait_for_start(start_file)
    migrate(engine)
    return {"migrated": url}


def _pin_link_nonces(settings: Settings) -> None:
    """The deputies' personal links (the QR code on each notice) come from random nonces. Pinned here so a run
    killed and run again can be compared byte for byte with a clean run: links are issued in roster order, so
    the n-th link gets nonce n in both, counting the links an interrupted run already committed."""
    import itertools
    from unittest import mock

    from sqlalchemy import func, inspect, select

    from congress.models.deputy_page import DeputyLink

    engine = engine_for(settings.database_url)
    issued = 0
    if inspect(engine).has_table(DeputyLink.__tablename__):
        with engine.connect() as conn:
            issued = conn.execute(select(func.count()).select_from(DeputyLink)).scalar_one()
    engine.dispose()
    counter = itertools.count(issued)
    mock.patch("congress.deputies.links.secrets.token_hex", lambda n=16: f"{next(counter):0{2 * n}x}").start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="driver")
    parser.add_argument("command", choices=("prepare", "run", "step", "migrate", "load"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--output")
    parser.add_argument("--pdf", default="off", choices=("on", "off", "auto"))
    parser.add_argument("--wait", type=float, default=0.0)
    parser.add_argument("--step")
    parser.add_argument("--start-file")
    parser.add_argument("--pause")
    parser.add_argument("--marker")
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            result = migrate_only(args.url, args.start_file)
        else:
            settings = _settings(args)
            _pin_link_nonces(settings)
            _install_pause(args.pause, args.marker)
            if args.command == "prepare":
                result = prepare(settings)
            elif args.command == "run":
                result = run_all(settings, args.start_file, args.pause, args.marker)
            elif args.command == "step":
                result = run_one(settings, args.step, args.start_file)
            else:
                result = load(settings, args.start_file)
    except SessionBusy as exc:
        print(json.dumps({"busy": str(exc)}, ensure_ascii=False), flush=True)
        return 6
    except SessionHalted as exc:
        print(json.dumps({"halted": str(exc)}, ensure_ascii=False), flush=True)
        return 5
    except OutputWriteError as exc:
        print(json.dumps({"write_failed": str(exc)}, ensure_ascii=False), flush=True)
        return 1
    except Exception as exc:
        traceback.print_exc()
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False), flush=True)
        return 8
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def child(argv: list[str], result: str) -> None:
    """A driver forked from the tests' fork server (already imported): main() with its output in `result`."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    Path(result).write_text(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}),
                            encoding="utf-8")
    sys.exit(code)


if __name__ == "__main__":
    sys.exit(main())
