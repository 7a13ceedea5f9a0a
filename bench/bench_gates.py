"""How live the dashboard feels: a real `congress serve`, driven through its HTTP endpoints as the
browser drives it, from start to each gate and from each gate's submit to the next gate shown.

    .venv/bin/python bench/bench_gates.py                  # 3 sessions, SQLite, PDFs as configured (auto)
    options: --sessions N, --pdf on|off|auto, --database URL (a PostgreSQL server: a new schema),
             --prefect-api URL (use a Prefect server that is already up instead of serve's own),
             --after-idle (submit each gate once the previous run has ended, as a person filling the
             form does; default: at once), --press-continue (also press 继续办理 after each gate: the
             path before gates continued by themselves), --keep (leave the temporary folder)

Starts `congress serve` on a fresh database in a temporary folder (its own Prefect server, unless
--prefect-api names one) and times how long until the dashboard answers and until the flow service is
ready (/healthz says so; before that the timeline offers no button). Then, for each session (the
sample township under another code each time, uploaded through /sessions/upload), it logs in, starts
the flow and answers every gate by posting the forms the pages post — the plan's approval, the
attendance of the sample (56 present), its tallies, the agreement to the draft resolutions — and polls
/sessions/<key>/progress (as the page does) until the next gate is shown. Prints every interval, their
p50 and max, and when the last PDF of each session arrived. Figures measured here: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import yaml  # noqa: E402

from cli.prefect_server import free_port  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "config" / "sample"
USER, PASSWORD = "bench-admin", "Bench-gates-2026-pw!"
POLL = 0.2  # seconds between progress polls (the page polls every 1.5 s; finer here to time precisely)
GATE_TIMEOUT = 300.0


def _say(text: str) -> None:
    print(text, flush=True)


class Dashboard:
    """One logged-in browser, as far as the server can tell: cookies, the CSRF token, form posts."""

    def __init__(self, base: str):
        self.http = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
        page = self.http.get("/login").text
        token = re.search(r'name="login_csrf" value="([^"]+)"', page)
        assert token, page[:500]
        answer = self.http.post("/login", data={"username": USER, "password": PASSWORD,
                                                "login_csrf": token.group(1), "next": "/sessions"})
        assert answer.status_code == 303, answer.text[:500]
        meta = re.search(r'name="csrf-token" content="([^"]+)"', self.http.get("/sessions").text)
        assert meta
        self.csrf = meta.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, files: Any = None) -> httpx.Response:
        answer = self.http.post(path, data={**(data or {}), "csrf_token": self.csrf}, files=files)
        if answer.status_code not in (200, 303):
            raise SystemExit(f"POST {path}: {answer.status_code}\n{answer.text[:2000]}")
        return answer

    def progress(self, key: str) -> dict[str, Any]:
        return self.http.get(f"/sessions/{key}/progress", headers={"Accept": "application/json"}).json()

    def wait_for(self, key: str, gate: str | None, since: float) -> float:
        """Seconds from `since` until the session shows `gate` (None: completed)."""
        deadline = time.monotonic() + GATE_TIMEOUT
        while time.monotonic() < deadline:
            state = self.progress(key)
            if gate is None and state["state"] == "completed":
                return time.monotonic() - since
            if gate is not None and state["state"] == "waiting" and state["waiting_for"] == gate:
                return time.monotonic() - since
            if state["state"] in ("blocked", "failed"):
                raise SystemExit(f"{key}: {state['state']}: {state.get('message')}")
            time.sleep(POLL)
        raise SystemExit(f"{key}: no {gate or 'completion'} within {GATE_TIMEOUT:g} s: {self.progress(key)}")

    def wait_idle(self, key: str, since: float) -> float:
        """Seconds from `since` until no run of the session is active (the last PDFs are in)."""
        deadline = time.monotonic() + GATE_TIMEOUT
        while time.monotonic() < deadline:
            state = self.progress(key)
            if not state["active"] and not state.get("queued"):
                return time.monotonic() - since
            time.sleep(POLL)
        raise SystemExit(f"{key}: still running after {GATE_TIMEOUT:g} s")


def _session_files(folder: Path, code: str) -> tuple[bytes, bytes, str]:
    """The sample session under township `code` (so each session has a key of its own)."""
    text = (SAMPLE / "session.yaml").read_text(encoding="utf-8").replace("code: qingshan", f"code: {code}")
    data = yaml.safe_load(text)
    key = f"{code}-{data['term']['ordinal']}-{data['session']['ordinal']}"
    return text.encode(), (SAMPLE / "roster.csv").read_bytes(), key


def _attendance_form() -> dict[str, str]:
    form = {}
    with (SAMPLE / "attendance.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            form[f"status.{row['代表编号']}"] = {"出席": "present", "请假": "leave", "缺席": "absent"}[row["出席情况"]]
            if row["请假批准"] == "是":
                form[f"approved.{row['代表编号']}"] = "1"
    return form


def _tallies_form() -> dict[str, str]:
    data = yaml.safe_load((SAMPLE / "tallies.yaml").read_text(encoding="utf-8"))
    form: dict[str, str] = {}
    for key, tally in data["votes"].items():
        for part, value in tally.items():
            form[f"vote.{key}.{ {True: 'yes', False: 'no'}.get(part, part)}"] = str(value)
    for key, election in data["elections"].items():
        form[f"el.{key}.rounds"] = str(len(election["rounds"]))
        for i, rnd in enumerate(election["rounds"]):
            form[f"el.{key}.{i}.kind"] = rnd["kind"]
            for name in ("ballots_issued", "ballots_returned", "ballots_void"):
                form[f"el.{key}.{i}.{name}"] = str(rnd[name])
            for j, votes in enumerate(rnd["votes"].values()):
                form[f"el.{key}.{i}.votes.{j}"] = str(votes)
    return form


def _approval(day: str) -> dict[str, str]:
    return {"decision": "approved", "comments": "", "decided_on": day}


def one_session(web: Dashboard, folder: Path, code: str, press_continue: bool, after_idle: bool) -> dict[str, float]:
    session_bytes, roster_bytes, key = _session_files(folder, code)
    web.post("/sessions/upload", files={"session_file": ("session.yaml", session_bytes, "application/x-yaml"),
                                         "roster_file": ("roster.csv", roster_bytes, "text/csv")})
    times: dict[str, float] = {}
    began = time.monotonic()
    web.post(f"/sessions/{key}/launch")
    times["start → 党委审批"] = web.wait_for(key, "party_approval_plan", began)
    gates: list[tuple[str, str, dict[str, str], str | None]] = [
        ("党委审批 → 出席情况", f"/sessions/{key}/approval/plan", _approval("2026-12-02"), "attendance"),
        ("出席情况 → 计票", f"/sessions/{key}/attendance", _attendance_form(), "tallies"),
        ("计票 → 决议草案同意", f"/sessions/{key}/tallies", _tallies_form(), "party_approval_resolutions"),
        ("决议草案同意 → 完成", f"/sessions/{key}/approval/resolutions", _approval("2026-12-22"), None),
    ]
    for label, path, form, gate in gates:
        if after_idle:  # as a person does: the form is filled after the previous run's PDFs are in
            web.wait_idle(key, time.monotonic())
        submitted = time.monotonic()
        web.post(path, form)
        if press_continue:  # as soon as the page offers the button: once the previous run has ended
            web.wait_idle(key, submitted)
            web.post(f"/sessions/{key}/launch")
        times[label] = web.wait_for(key, gate, submitted)
    times["PDF 全部生成（自完成起）"] = web.wait_idle(key, time.monotonic())
    return times


def _create_admin(env: dict[str, str], folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "cli.main", "users", "add", USER, "--role", "admin", "--password-stdin"],
                   input=f"{PASSWORD}\n".encode(), env=env, cwd=folder, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--pdf", default=os.environ.get("CONGRESS_RENDER_PDF", "auto"))
    parser.add_argument("--database", default=None)
    parser.add_argument("--prefect-api", default=None)
    parser.add_argument("--press-continue", action="store_true")
    parser.add_argument("--after-idle", action="store_true",
                        help="submit each gate only once the previous run has ended (its PDFs are in), as a "
                             "person filling the form does; default: at once, while the run still renders")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-gates-"))
    env = {**os.environ, "CONGRESS_OUTPUT_DIR": str(folder / "output"), "CONGRESS_UPLOAD_DIR": str(folder / "uploads"),
           "CONGRESS_LOG_DIR": str(folder / "logs"), "CONGRESS_RENDER_PDF": args.pdf,
           "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}
    env.pop("PREFECT_API_URL", None)
    if args.prefect_api:
        env["PREFECT_API_URL"] = args.prefect_api
    drop = None
    if args.database:
        from sqlalchemy import text

        from congress.db import make_engine

        schema = f"bench_gates_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.database)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["CONGRESS_DATABASE_URL"] = f"{args.database}?options=-csearch_path%3D{schema}"

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    else:
        env["CONGRESS_DATABASE_URL"] = f"sqlite:///{folder / 'congress.db'}"
    _create_admin(env, folder)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "serve.log").open("wb")
    started = time.monotonic()
    serve = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--poll-seconds", "1"],
                             cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    figures: dict[str, list[float]] = {}
    try:
        web_ready = flows_ready = None
        while time.monotonic() - started < 300 and serve.poll() is None:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2).json()
                web_ready = web_ready or time.monotonic() - started
                # an older serve has no "flows" entry: it answered once everything was up
                if health.get("flows", "up") == "up":
                    flows_ready = time.monotonic() - started
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        if flows_ready is None:
            raise SystemExit(f"congress serve did not get ready:\n{(folder / 'serve.log').read_text(errors='replace')}")
        _say(f"congress serve: 页面可用 {web_ready:.1f} s，流程服务就绪 {flows_ready:.1f} s")
        web = Dashboard(base)
        for i in range(args.sessions):
            code = f"bench{i + 1}"
            times = one_session(web, folder, code, args.press_continue, args.after_idle)
            _say(f"{code}: " + "；".join(f"{k} {v:.1f} s" for k, v in times.items()))
            for label, seconds in times.items():
                figures.setdefault(label, []).append(seconds)
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()
        if drop is not None:
            drop()
        if args.keep:
            _say(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    load = os.getloadavg()[0]
    _say(f"\n{os.cpu_count()} CPU, load average {load:.1f}, PDF {args.pdf}, "
         f"{'PostgreSQL' if args.database else 'SQLite'}, {args.sessions} sessions"
         f"{', pressing 继续办理' if args.press_continue else ''}"
         f"{', each gate submitted once the previous run ended' if args.after_idle else ', each gate submitted at once'}")
    _say("| interval | n | p50 s | max s |\n| --- | ---: | ---: | ---: |")
    gate_intervals: list[float] = []
    for label, values in figures.items():
        _say(f"| {label} | {len(values)} | {statistics.median(values):.1f} | {max(values):.1f} |")
        if "→" in label and not label.startswith("start"):
            gate_intervals += values
    if gate_intervals:
        _say(f"| every gate → next gate | {len(gate_intervals)} | {statistics.median(gate_intervals):.1f} | "
             f"{max(gate_intervals):.1f} |")


if __name__ == "__main__":
    main()
