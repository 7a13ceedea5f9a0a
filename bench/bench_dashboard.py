"""Dashboard latency while a session's run writes its documents and PDFs (the dashboard must not wait).

    .venv/bin/python bench/bench_dashboard.py                       # SQLite in a temporary folder
    .venv/bin/python bench/bench_dashboard.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    options: --clients 16 (threads), --think 0 (seconds a client waits between requests; 0: as fast as
             the server answers; the timeline page itself polls every 1.5 s), --pdf on|off, --keep

Prepares a fresh database (a SQLite file, or a new schema on the PostgreSQL server named), loads the
sample township (60 deputies) with every human-gate input, starts the dashboard with uvicorn on
loopback and logs in. Then it starts the session's run in a subprocess — the ten steps through the
core, every PDF through LibreOffice, outcome.json, as the session flow does but without Prefect — and,
while that runs, the client threads request the timeline, the progress JSON, the sessions list and the
audit page in turn. Prints per page: requests, errors (a status other than 200, or no answer within
30 s), p50/p95/p99/max in ms; and how long the run took. Figures measured here: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from cli.web import free_port  # noqa: E402
from congress.db import engine_for, make_engine, migrate, session_scope  # noqa: E402
from congress.documents import pdf  # noqa: E402
from congress.inputs import load_attendance, load_session_file, load_tallies  # noqa: E402
from congress.lifecycle import claim, steps  # noqa: E402
from congress.lifecycle import operations as ops  # noqa: E402
from congress.lifecycle import outcome as outcome_mod  # noqa: E402
from congress.settings import REPO_ROOT, Settings  # noqa: E402
from congress.web import accounts  # noqa: E402
from congress.web.deps import COOKIE, LOGIN_COOKIE  # noqa: E402

SAMPLE = REPO_ROOT / "config" / "sample"
KEY = "qingshan-18-3"
USER, PASSWORD = "bench-admin", "Bench-dashboard-2026-pw!"
PAGES = {
    "timeline": f"/sessions/{KEY}",
    "progress": f"/sessions/{KEY}/progress",
    "sessions": "/sessions",
    "audit": f"/sessions/{KEY}/audit",
}


def prepare(url: str, output: Path) -> None:
    """Schema, the sample session with every gate input, and an account to log in with."""
    engine = make_engine(url)
    migrate(engine)
    spec = load_session_file(SAMPLE / "session.yaml")
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=spec, actor="bench", output_root=output)
        ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",
                                  comments="", decided_on=date(2026, 12, 2), actor="bench")
        rows = load_attendance(SAMPLE / "attendance.csv", {d.code: d.name for d in ops.active_deputies(db, session)})
        ops.record_attendance(db, session, rows, actor="bench", source="attendance.csv")
        ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="党委书记",
                                  comments="", decided_on=date(2026, 12, 22), actor="bench")
        ops.record_tallies(db, session, load_tallies(SAMPLE / "tallies.yaml"), actor="bench")
        accounts.create_user(db, username=USER, display_name=USER, role="admin", township_code=None,
                             password=PASSWORD, actor="bench")
    engine.dispose()


def worker(url: str, output: Path, render: str) -> None:
    """The session's run, as flows/session.py does it (each unit in its own database session)."""
    settings = Settings(database_url=url, output_dir=output, render_pdf=render)  # type: ignore[arg-type]
    engine = engine_for(url)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    while True:
        with session_scope(engine) as db:
            step = steps.next_step(db, KEY)
        if step is None:
            break
        with session_scope(engine) as db:
            if steps.run_step(db, KEY, step, actor="bench", settings=settings).status != "done":
                break
    timings["steps_s"] = time.perf_counter() - started
    for round_ in (1, 2):  # the second pass renders the audit report finalize wrote
        mark = time.perf_counter()
        with session_scope(engine) as db:
            session = ops.get_session(db, KEY)
            assert session is not None
            report = pdf.render_missing(db, session, settings, actor="bench")
        timings[f"pdf{round_}_s"] = time.perf_counter() - mark
        timings[f"pdf{round_}_count"] = len(report.rendered)
        with claim.claim_session(engine, KEY), session_scope(engine) as db:
            state = outcome_mod.finalize(db, KEY, actor="bench", settings=settings)["session"]["state"]
    timings["total_s"] = time.perf_counter() - started
    print(json.dumps({"state": state, **{k: round(v, 2) for k, v in timings.items()}}), flush=True)


def _login(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login")
        token = client.cookies.get(LOGIN_COOKIE)
        answer = client.post("/login", data={"username": USER, "password": PASSWORD, "login_csrf": token,
                                             "next": "/sessions"})
        if answer.status_code != 303 or COOKIE not in client.cookies:
            raise SystemExit(f"log-in failed: {answer.status_code} {answer.text[:300]}")
        return client.cookies[COOKIE]


def _client(base: str, cookie: str, stop: threading.Event, offset: int, think: float,
            results: dict[str, list[float]], errors: dict[str, list[str]], lock: threading.Lock) -> None:
    names = list(PAGES)
    i = offset
    pause = random.Random(offset)
    with httpx.Client(base_url=base, cookies={COOKIE: cookie}, timeout=30) as client:
        while not stop.is_set():
            name = names[i % len(names)]
            i += 1
            started = time.perf_counter()
            try:
                answer = client.get(PAGES[name], headers={"accept": "application/json"} if name == "progress"
                                    else {})
                problem = None if answer.status_code == 200 else f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                results[name].append(elapsed)
                if problem:
                    errors[name].append(problem)
            if think:
                stop.wait(think * pause.uniform(0.5, 1.5))  # jittered, so clients don't march in step


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def _database(args: argparse.Namespace, folder: Path) -> tuple[str, object]:
    if not args.database:
        return f"sqlite:///{folder / 'congress.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.database)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in args.database else "?"
    return f"{args.database}{separator}options=-csearch_path%3D{schema}", (admin, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a PostgreSQL URL (a schema is created and dropped); default SQLite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--pdf", default="on", choices=("on", "off"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("URL", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.pdf)
        return

    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url, pg = _database(args, folder)
    output = folder / "output"
    prepare(url, output)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(output),
           "PYTHONPATH": str(REPO_ROOT)}
    server_log = (folder / "uvicorn.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "congress.web.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              cwd=REPO_ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"the dashboard did not start; see {folder / 'uvicorn.log'}")
            time.sleep(0.2)
        cookie = _login(base)
        with httpx.Client(base_url=base, cookies={COOKIE: cookie}, timeout=30) as warm:
            for path in PAGES.values():  # templates compiled and caches filled before anything is measured
                warm.get(path)
        results: dict[str, list[float]] = {name: [] for name in PAGES}
        errors: dict[str, list[str]] = {name: [] for name in PAGES}
        lock, stop = threading.Lock(), threading.Event()
        clients = [threading.Thread(target=_client,
                                    args=(base, cookie, stop, i, args.think, results, errors, lock))
                   for i in range(args.clients)]
        for thread in clients:
            thread.start()
        run = subprocess.run([sys.executable, __file__, "--pdf", args.pdf, "--worker", url, str(output)],
                             cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        stop.set()
        for thread in clients:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=20)
        server_log.close()
    if run.returncode != 0:
        raise SystemExit(f"the run failed:\n{run.stderr[-3000:]}")
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    backend = "PostgreSQL" if pg else "SQLite"
    print(f"{backend}, {args.clients} clients, think {args.think} s, PDFs {args.pdf}; machine: {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"run: state {figures.pop('state')}; " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print(f"{'page':<10} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in results.items():
        print(f"{name:<10} {len(values):>8} {len(errors[name]):>6} {_percentile(values, 0.5):>8.0f} "
              f"{_percentile(values, 0.95):>8.0f} {_percentile(values, 0.99):>8.0f} {max(values, default=0):>8.0f}")
        if errors[name]:
            print(f"  errors: {sorted(set(errors[name]))}")
    if pg:
        admin, schema = pg  # type: ignore[misc]
        with admin.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    if args.keep:
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
