"""A synthetic city, measured in one run: the plain-loop floor, the core, the product, and the services.

    .venv/bin/python bench/city.py --quick          # 2 townships of 66 and the 160-deputy one; ~5 min
    .venv/bin/python bench/city.py                  # 8 of the 158 townships and the 160-deputy one; ~20 min
    .venv/bin/python bench/city.py --townships 158  # the whole city (hours on 2 cores)
    options: --no-services (skip gates, dashboard and feeds), --postgresql URL, --keep

The city is 158 townships of 66 deputies plus one of 160 (the Electoral Law's maximum, EL 第十二条): the
sample township (config/sample) under other codes, its roster grown (bench/synthetic.py), every gate input
given, PDFs off (they are measured apart). For each township measured, in this one process and run:

- core: the session loaded, its gate inputs recorded and the ten steps run through `run_step` in a plain
  loop on one SQLite file (no Prefect) — what the product must not cost much more than;
- floor: the same files written with no Prefect and no database: every document rendered from its template
  with the same context and laid out (`render_text` + `markup_to_docx`, the notice's QR code made again),
  every .ics built from the same events (`calendar_bytes` / `invitations_bytes`), each written atomically;
  the contexts and events are recorded while the core runs, so both write exactly the same files;
- product: `congress run` (a new process per township, as staff type it) against a warm Prefect server,
  and the session flow in one warm process against the same server (as a worker runs it), on a fresh
  SQLite file each.

Ratios are taken within this run: the machine is shared and noisy, so absolute figures move together.
The city's totals are extrapolated from the townships measured (158 × the mean of the 66-deputy ones + the
160-deputy one), and the output says so. Then: PDFs per second (one LibreOffice start per batch), peak
memory, and the existing benches run as they are — gate-to-gate latency (bench_gates.py), the dashboard
at 20 concurrent clients while a run renders (bench_dashboard.py, SQLite and PostgreSQL), a deputy's feed
and its 304 path (bench_feeds.py). Figures and the text chart: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from synthetic import township_folder  # noqa: E402

CITY_TOWNSHIPS, CITY_DEPUTIES, MAX_DEPUTIES = 158, 66, 160
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APPROVER = "李国栋（镇党委书记）"


# --- The core, recording what the floor writes again -------------------------------------------


@dataclass
class Recorded:
    """What one step built, in order: documents (template, context, layout arguments) and calendar calls."""

    documents: list[tuple[Any, str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    calendars: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)


class Recorder:
    """Wraps the builders the steps call, so the floor can build the same files without the database."""

    def __init__(self) -> None:
        from congress.calendar import files as cal_files
        from congress.lifecycle import outcome, steps

        self.by_step: dict[str, Recorded] = {}
        self.step = ""
        self._texts: list[tuple[Any, str, dict[str, Any]]] = []
        original_render, original_layout = steps.render_text, steps.markup_to_docx
        original_cal, original_inv = cal_files.calendar_bytes, cal_files.invitations_bytes
        original_steps_cal = steps.calendar_bytes

        def render(env: Any, template: str, context: Any) -> str:
            self._texts.append((env, template, dict(context)))
            return original_render(env, template, context)

        def layout(text: str, **kw: Any) -> bytes:
            env, template, context = self._texts.pop()
            self.current.documents.append((env, template, context, kw))
            return original_layout(text, **kw)

        def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
            def call(*a: Any, **kw: Any) -> Any:
                self.current.calendars.append((fn, a, kw))
                return fn(*a, **kw)
            return call

        steps.render_text, steps.markup_to_docx = render, layout  # type: ignore[assignment]
        outcome.render_text, outcome.markup_to_docx = render, layout  # type: ignore[assignment]
        cal_files.calendar_bytes, cal_files.invitations_bytes = wrap(original_cal), wrap(original_inv)  # type: ignore[assignment]
        steps.calendar_bytes = wrap(original_steps_cal)  # type: ignore[assignment]

    @property
    def current(self) -> Recorded:
        return self.by_step.setdefault(self.step, Recorded())


def give_inputs(db: Any, session: Any, folder: Path) -> None:
    from congress.inputs import load_attendance, load_tallies
    from congress.lifecycle import operations as ops

    ops.record_party_decision(db, session, subject="plan", decision="approved", approver=APPROVER, comments="",
                              decided_on=date(2026, 12, 2), actor="bench")
    roster = {d.code: d.name for d in ops.active_deputies(db, session)}
    ops.record_attendance(db, session, load_attendance(folder / "attendance.csv", roster), actor="bench",
                          source="bench")
    ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver=APPROVER,
                              comments="", decided_on=date(2026, 12, 22), actor="bench")
    ops.record_tallies(db, session, load_tallies(folder / "tallies.yaml"), actor="bench")


def load_township(engine: Any, settings: Any, folder: Path) -> str:
    from congress.db import session_scope
    from congress.inputs import load_session_file
    from congress.lifecycle import operations as ops

    spec = load_session_file(folder / "session.yaml")
    with session_scope(engine) as db:
        session, _ = ops.load_session(db, spec=spec, actor="bench", output_root=settings.output_dir)
        give_inputs(db, session, folder)
        return str(session.key)


def run_core(engine: Any, settings: Any, folder: Path, recorder: Recorder) -> dict[str, float]:
    """Load, record the gate inputs, run the ten steps and the outcome; wall and CPU seconds per phase."""
    from congress.db import session_scope
    from congress.lifecycle.outcome import finalize
    from congress.lifecycle.steps import STEPS, run_step

    times: dict[str, float] = {}
    t, c = time.perf_counter(), time.process_time()
    key = load_township(engine, settings, folder)
    times["load"], times["load cpu"] = time.perf_counter() - t, time.process_time() - c
    for step in STEPS:
        recorder.step = f"{key}/{step}"
        t, c = time.perf_counter(), time.process_time()
        with session_scope(engine) as db:
            status = run_step(db, key, step, actor="bench", settings=settings).status
        times[step], times[f"{step} cpu"] = time.perf_counter() - t, time.process_time() - c
        if status != "done":
            raise SystemExit(f"{key}: step {step} ended {status}")
    recorder.step = f"{key}/finalize"
    t, c = time.perf_counter(), time.process_time()
    with session_scope(engine) as db:  # outcome.json and the audit report, as the flow's last task
        state = finalize(db, key, actor="bench", settings=settings)["session"]["state"]
    times["finalize"], times["finalize cpu"] = time.perf_counter() - t, time.process_time() - c
    if state != "completed":
        raise SystemExit(f"{key}: ended {state}")
    return times


def run_floor(recorded: Recorded, out: Path) -> tuple[float, float]:
    """Write the recorded documents and calendars again with no database: wall and CPU seconds."""
    from congress.deputies.links import qr_png
    from congress.documents import builder

    t, c = time.perf_counter(), time.process_time()
    n = 0
    for env, template, context, kw in recorded.documents:
        images = kw.get("images")
        if images and "deputy_link_qr" in images:  # the notice's QR code is made again, as the step makes it
            kw = {**kw, "images": {**images, "deputy_link_qr": qr_png(context["deputy_link"])}}
        data = builder.markup_to_docx(builder.render_text(env, template, context), **kw)
        builder.write_bytes_atomic(out / f"{n:05d}.docx", data)
        n += 1
    for fn, a, kw in recorded.calendars:
        result = fn(*a, **kw)
        for data in result if isinstance(result, list) else [result]:
            builder.write_bytes_atomic(out / f"{n:05d}.ics", data)
            n += 1
    return time.perf_counter() - t, time.process_time() - c


# --- The product ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc: a figure other load hardly moves."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flow_worker(api: str) -> None:
    """A warm worker: imports the flows once, then runs the session flow for each job read on stdin
    (database URL|output folder|session key), printing wall and CPU seconds per job as JSON."""
    os.environ["PREFECT_API_URL"] = api
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from congress.settings import get_settings
    from flows.session import advance_session

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        url, output, key = line.strip().split("|")
        os.environ["CONGRESS_DATABASE_URL"], os.environ["CONGRESS_OUTPUT_DIR"] = url, output
        get_settings.cache_clear()
        t, c = time.perf_counter(), time.process_time()
        result = advance_session(session_key=key, actor="bench")
        print(json.dumps({"key": key, "seconds": time.perf_counter() - t, "cpu": time.process_time() - c,
                          "stopped": result.get("stopped")}), flush=True)


class Worker:
    """The warm worker process, fed one job at a time."""

    def __init__(self, api: str, root: Path):
        self.proc = subprocess.Popen([sys.executable, __file__, "--flow-worker", api], cwd=REPO, text=True,
                                     env=product_env(api, "", root), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=(root / "worker.log").open("w"))
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while line := self.proc.stdout.readline():
            if line.startswith("{"):
                return dict(json.loads(line))
        raise SystemExit("the flow worker ended; see worker.log (--keep)")

    def run(self, job: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(job + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def product_env(api: str, url: str, output: Path) -> dict[str, str]:
    return {**os.environ, "PREFECT_API_URL": api, "CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(output),
            "CONGRESS_RENDER_PDF": "off", "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}


def congress_run(api: str, root: Path, folder: Path) -> tuple[float, float]:
    """`congress run` with every gate input, as staff type it: wall seconds and the process's CPU seconds."""
    root.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root / 'congress.db'}"
    cmd = [str(REPO / ".venv" / "bin" / "congress"), "run", str(folder / "session.yaml"),
           "--approve-plan", APPROVER, "--attendance", str(folder / "attendance.csv"),
           "--tallies", str(folder / "tallies.yaml"), "--agree-resolutions", APPROVER]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    run = subprocess.run(cmd, env=product_env(api, url, root / "output"), cwd=root, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"congress run failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


# --- Printing -------------------------------------------------------------------------------------


def chart(title: str, xs: list[int], series: dict[str, list[float]], unit: str, width: int = 50) -> list[str]:
    """A text bar chart: one row per x, one bar per series (matplotlib is not a dependency)."""
    top = max(max(v) for v in series.values()) or 1.0
    marks = dict(zip(series, "#=-:", strict=False))
    lines = [title, "  " + ", ".join(f"{marks[name]} {name}" for name in series)]
    for i, x in enumerate(xs):
        for name, values in series.items():
            bar = marks[name] * max(1, round(values[i] / top * width))
            lines.append(f"  {x:>5} {bar:<{width}} {values[i]:,.1f} {unit}")
    return lines


def sub_bench(args: list[str], timeout: float = 1200) -> str:
    run = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    text = run.stdout.strip() or run.stderr.strip()[-1500:]
    return text if run.returncode == 0 else f"(failed, exit {run.returncode})\n{text}\n{run.stderr[-1500:]}"


def main() -> None:  # noqa: C901, PLR0912, PLR0915 — one report, printed in order
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 townships of 66 (and the 160 one), fewer repeats")
    parser.add_argument("--townships", type=int, default=None, help="66-deputy townships measured (of 158)")
    parser.add_argument("--product", type=int, default=None, help="townships also run through the product")
    parser.add_argument("--no-services", action="store_true", help="skip the gates, dashboard and feed benches")
    parser.add_argument("--postgresql", default=PG_DEFAULT, help="PostgreSQL URL for the dashboard bench ('' skips)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--flow-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flow_worker:
        flow_worker(args.flow_worker)
        return
    measured = args.townships or (2 if args.quick else 8)
    in_product = min(measured, args.product or (2 if args.quick else 3))

    from cli.prefect_server import start_prefect_server, stop_prefect_server
    from congress.db import make_engine, migrate
    from congress.documents.pdf import convert_to_pdf, soffice_binary
    from congress.settings import Settings

    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-city-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}; load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"city: {CITY_TOWNSHIPS} townships × {CITY_DEPUTIES} deputies + 1 × {MAX_DEPUTIES}; measured: {measured} "
          f"of the {CITY_TOWNSHIPS} and the {MAX_DEPUTIES}-deputy one (core and floor), {in_product} + the "
          f"{MAX_DEPUTIES}-deputy one through the product; PDFs off (measured apart)")
    towns = [(f"city{i + 1:03d}", CITY_DEPUTIES) for i in range(measured)] + [("citymax", MAX_DEPUTIES)]
    folders = {code: township_folder(root / "input" / code, code=code, deputies=n).parent for code, n in towns}

    # Each township in turn: the core, the floor, the flow in the warm worker, `congress run` — side by side,
    # so the load other work puts on the machine moves them together. CPU seconds (this process, the worker
    # or `congress run`, and the Prefect server's share) are the steadier figure on a shared machine.
    log_dir = root / "prefect"
    os.environ["PREFECT_HOME"] = str(log_dir / "home")
    t = time.perf_counter()
    proc, api = start_prefect_server(log_dir, services=False)
    server_start = time.perf_counter() - t
    recorder = Recorder()
    settings = Settings(database_url=f"sqlite:///{root / 'core.db'}", output_dir=root / "core-output",
                        render_pdf="off")
    engine = make_engine(settings.database_url)
    migrate(engine)
    m: dict[str, dict[str, tuple[float, float]]] = {}  # township -> measure -> (wall, CPU) seconds
    product_codes = {code for code, _n in towns[:in_product]} | {"citymax"}
    try:
        t = time.perf_counter()
        worker = Worker(api, root)
        worker_start = time.perf_counter() - t
        # one session through the worker first, not measured: a worker's first flow run pays one-time costs
        warm_up = township_folder(root / "input" / "city000", code="city000", deputies=CITY_DEPUTIES).parent
        warm_engine = make_engine(f"sqlite:///{root / 'warm-up.db'}")
        migrate(warm_engine)
        warm_settings = Settings(database_url=f"sqlite:///{root / 'warm-up.db'}", output_dir=root / "warm-up",
                                 render_pdf="off")
        t = time.perf_counter()
        worker.run(f"{warm_settings.database_url}|{warm_settings.output_dir}|"
                   f"{load_township(warm_engine, warm_settings, warm_up)}")
        first_flow = time.perf_counter() - t
        warm_engine.dispose()
        for code, n in towns:
            times = run_core(engine, settings, folders[code], recorder)
            key = f"{code}-18-3"
            mine = {s: r for s, r in recorder.by_step.items() if s.startswith(key + "/")}
            every = Recorded([d for r in mine.values() for d in r.documents], [c for r in mine.values() for c in r.calendars])
            wall = sum(v for k, v in times.items() if not k.endswith("cpu"))
            cpu = sum(v for k, v in times.items() if k.endswith("cpu"))
            m[code] = {"core": (wall, cpu), "core run": (wall - times["load"], cpu - times["load cpu"]),
                       "notices": (times["notices"], times["notices cpu"]),
                       "floor": run_floor(every, root / "floor" / code / "all"),
                       "floor notices": run_floor(mine[f"{key}/notices"], root / "floor" / code / "notices")}
            line = (f"  {code} ({n} deputies): core {wall:6.2f} s (CPU {cpu:.2f}; notices {times['notices']:.2f}); "
                    f"floor {m[code]['floor'][0]:6.2f} s (CPU {m[code]['floor'][1]:.2f})")
            if code in product_codes:
                where = root / "product-flow" / code
                url = f"sqlite:///{where / 'congress.db'}"
                flow_settings = Settings(database_url=url, output_dir=where / "output", render_pdf="off")
                flow_engine = make_engine(url)
                migrate(flow_engine)
                job = f"{url}|{flow_settings.output_dir}|{load_township(flow_engine, flow_settings, folders[code])}"
                flow_engine.dispose()
                server_cpu = cpu_seconds(proc.pid)
                figure = worker.run(job)
                if figure.get("stopped"):
                    raise SystemExit(f"{code}: the flow stopped: {figure}")
                m[code]["flow"] = (figure["seconds"], figure["cpu"] + cpu_seconds(proc.pid) - server_cpu)
                server_cpu = cpu_seconds(proc.pid)
                seconds, cli_cpu = congress_run(api, root / "product-cli" / code, folders[code])
                m[code]["congress run"] = (seconds, cli_cpu + cpu_seconds(proc.pid) - server_cpu)
                line += (f"; warm flow {m[code]['flow'][0]:6.2f} s (CPU {m[code]['flow'][1]:.2f}); congress run "
                         f"{seconds:6.2f} s (CPU {m[code]['congress run'][1]:.2f})")
            print(line, flush=True)
        worker.close()
    finally:
        stop_prefect_server(proc)

    # PDFs per second: the 160-deputy township's notices, one LibreOffice start
    pdf_line = "PDFs: skipped (LibreOffice not installed)"
    if soffice_binary() is not None:
        batch = sorted((settings.output_dir / "citymax-18-3").rglob("会议通知-*.docx"))[: 20 if args.quick else 60]
        t = time.perf_counter()
        _, starts = convert_to_pdf(batch)
        seconds = time.perf_counter() - t
        pdf_line = (f"PDFs: {len(batch)} notices in {seconds:.1f} s, {starts} LibreOffice start(s): "
                    f"{len(batch) / seconds:.1f} PDFs per second")

    # the report
    small = [c for c, n in towns if n == CITY_DEPUTIES]
    small_product = [c for c in small if c in product_codes]

    def avg(measure: str, codes: list[str], cpu: bool = False) -> float:
        return statistics.mean(m[c][measure][1 if cpu else 0] for c in codes)

    def both(measure: str, codes: list[str]) -> str:
        return f"{avg(measure, codes):8.2f} {avg(measure, codes, True):7.2f}"

    print()
    print("one session, PDFs off (seconds; 66 deputies: the mean of the townships measured)")
    print(f"{'':38} {'66: wall':>8} {'CPU':>7} {'160: wall':>10} {'CPU':>7}")
    rows = (("floor (no Prefect, no database)", "floor"), ("core: load, inputs, steps, outcome", "core"),
            ("core: the steps and the outcome", "core run"), ("product: flow in a warm worker", "flow"),
            ("product: congress run (new process)", "congress run"))
    for label, measure in rows:
        codes = small_product if measure in ("flow", "congress run") else small
        print(f"{label:38} {both(measure, codes)} {both(measure, ['citymax'])}")

    def ratio(a: str, b: str, codes: list[str]) -> str:
        return f"{avg(a, codes) / avg(b, codes):.2f} (CPU {avg(a, codes, True) / avg(b, codes, True):.2f})"

    print(f"ratios, 66 deputies: warm flow / core steps {ratio('flow', 'core run', small_product)} (target ≤ 1.5); "
          f"congress run / core {ratio('congress run', 'core', small_product)}; core / floor {ratio('core', 'floor', small)}")
    print(f"ratios, 160 deputies: warm flow / core steps {ratio('flow', 'core run', ['citymax'])}; congress run / core "
          f"{ratio('congress run', 'core', ['citymax'])}; core / floor {ratio('core', 'floor', ['citymax'])}")
    for codes, n in ((small, CITY_DEPUTIES), (["citymax"], MAX_DEPUTIES)):
        print(f"notices + calendars, {n} deputies: core {avg('notices', codes):.2f} s, floor "
              f"{avg('floor notices', codes):.2f} s, ratio {ratio('notices', 'floor notices', codes)} (target ≤ 2); "
              f"per deputy {avg('notices', codes) / n * 1000:.1f} ms against {avg('floor notices', codes) / n * 1000:.1f} ms")
    print(f"Prefect server start (API only, a fresh PREFECT_HOME): {server_start:.1f} s; worker start (imports): "
          f"{worker_start:.1f} s; its first flow run (66 deputies, not counted above): {first_flow:.1f} s")
    print(pdf_line)

    def city_total(measure: str, codes: list[str], cpu: bool = False) -> float:
        return CITY_TOWNSHIPS * avg(measure, codes, cpu) + m["citymax"][measure][1 if cpu else 0]

    measures = (("floor", "floor", small), ("core", "core", small), ("warm flow", "flow", small_product),
                ("congress run", "congress run", small_product))
    city = {name: (city_total(measure, codes), city_total(measure, codes, True)) for name, measure, codes in measures}
    note = "measured" if measured >= CITY_TOWNSHIPS else f"extrapolated from {measured} + 1 townships measured"
    print(f"\nthe city ({CITY_TOWNSHIPS} + 1 sessions, one after another on this machine; {note}):")
    for name, (wall, cpu) in city.items():
        print(f"  {name:<14} {wall / 60:7.1f} min wall ({wall / city['floor'][0]:.2f} × the floor), {cpu / 60:7.1f} "
              f"CPU min ({cpu / city['floor'][1]:.2f} × the floor)")
    # the charts in CPU seconds: on a shared machine wall time mostly measures the other work
    xs = [1, 10, 40, 80, 120, CITY_TOWNSHIPS]
    for line in chart("\ncost against townships (66 deputies each; CPU minutes, extrapolated linearly)", xs,
                      {name: [x * avg(measure, codes, True) / 60 for x in xs] for name, measure, codes in measures[:3]},
                      "CPU min"):
        print(line)
    per = {name: [avg(measure, codes, True) / CITY_DEPUTIES * 1000, m["citymax"][measure][1] / MAX_DEPUTIES * 1000]
           for name, measure, codes in measures[:3]}
    for line in chart("\ncost per deputy against deputies (one session; CPU ms per deputy, measured)",
                      [CITY_DEPUTIES, MAX_DEPUTIES], per, "CPU ms"):
        print(line)

    if not args.no_services:
        print("\nfeeds (bench/bench_feeds.py):")
        print(sub_bench(["bench/bench_feeds.py"]))
        print("\ngates (bench/bench_gates.py, PDFs on):")
        print(sub_bench(["bench/bench_gates.py", "--sessions", "1" if args.quick else "3"]))
        print("\ndashboard, 20 clients while a run renders (bench/bench_dashboard.py --clients 20 --think 1.5):")
        print(sub_bench(["bench/bench_dashboard.py", "--clients", "20", "--think", "1.5"]))
        if args.postgresql:
            print(sub_bench(["bench/bench_dashboard.py", "--clients", "20", "--think", "1.5", "--database",
                             args.postgresql]))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak memory: this process {own:.0f} MB, the largest child process {children:.0f} MB")
    print(f"bench time {time.perf_counter() - started:.0f} s; load average at end "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.keep:
        print(f"kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
