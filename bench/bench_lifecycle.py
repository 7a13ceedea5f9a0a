"""Speed figures of the lifecycle core for the largest township (160 deputies), printed, not asserted.

Runs every step directly (no Prefect) on a fresh SQLite file, twice: once cold, then again after
resetting the notices step, and prints per-step times and ratios measured within this one run, so a
noisy shared machine moves all figures together.

    python bench/bench_lifecycle.py [--deputies 160]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from congress.db import make_engine, migrate, session_scope
from congress.inputs import load_attendance, load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.lifecycle.steps import STEPS, run_step
from congress.models import StepRun
from congress.settings import REPO_ROOT, Settings

SAMPLE = REPO_ROOT / "config" / "sample"


def scaled_sample(folder: Path, deputies: int) -> Path:
    """The sample township with its roster grown to `deputies` (ids QS001…), attendance all present."""
    shutil.copytree(SAMPLE, folder)
    rows = list(csv.DictReader((SAMPLE / "roster.csv").open(encoding="utf-8-sig")))
    header = list(rows[0])
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        for i in range(deputies):
            row = dict(rows[i % len(rows)])
            row["代表编号"] = f"QS{i + 1:03d}"
            if i >= len(rows):
                row["姓名"] = row["姓名"] + str(i // len(rows))
            writer.writerow(row)
    with (folder / "attendance.csv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("代表编号,出席情况,请假批准\n")
        fh.writelines(f"QS{i + 1:03d},出席,\n" for i in range(deputies))
    n = deputies
    votes = ["presidium-list", "agenda", "resolution-government-work", "resolution-budget", "resolution-presidium"]
    (folder / "tallies.yaml").write_text(
        "votes:\n" + "".join(f"  {v}: {{'yes': {n - 2}, 'no': 1, abstain: 1}}\n" for v in votes)
        + f"elections:\n  vice-chair:\n    rounds:\n      - {{kind: formal, ballots_issued: {n}, "
        f"ballots_returned: {n}, ballots_void: 0, votes: {{陈晓梅: {n - 20}, 刘志强: 20}}}}\n",
        encoding="utf-8")
    return folder / "session.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deputies", type=int, default=160)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        session_file = scaled_sample(root / "in", args.deputies)
        settings = Settings(database_url=f"sqlite:///{root / 'bench.db'}", output_dir=root / "out")
        engine = make_engine(settings.database_url)
        migrate(engine)
        t0 = time.perf_counter()
        spec = load_session_file(session_file)
        with session_scope(engine) as db:
            session, _ = ops.load_session(db, spec=spec, actor="bench", output_root=settings.output_dir)
            ops.record_party_decision(db, session, subject="plan", decision="approved", approver="b", comments="",
                                      decided_on=date(2026, 12, 2), actor="bench")
            roster = {d.code: d.name for d in ops.active_deputies(db, session)}
            ops.record_attendance(db, session, load_attendance(root / "in" / "attendance.csv", roster),
                                  actor="bench", source="bench")
            ops.record_party_decision(db, session, subject="resolutions", decision="approved", approver="b",
                                      comments="", decided_on=date(2026, 12, 22), actor="bench")
            ops.record_tallies(db, session, load_tallies(root / "in" / "tallies.yaml"), actor="bench")
            key = session.key
        load_seconds = time.perf_counter() - t0
        timings: dict[str, float] = {}
        for step in STEPS:
            with session_scope(engine) as db:
                t = time.perf_counter()
                status = run_step(db, key, step, actor="bench", settings=settings).status
                timings[step] = time.perf_counter() - t
                assert status == "done", (step, status)
        # a warm re-run of the heaviest step (files identical, so nothing is rewritten)
        with session_scope(engine) as db:
            run = db.query(StepRun).filter_by(step="notices").one()
            run.status = "pending"
        with session_scope(engine) as db:
            t = time.perf_counter()
            run_step(db, key, "notices", actor="bench", settings=settings)
            rerun = time.perf_counter() - t
    print(f"deputies: {args.deputies}")
    print(f"load + gate inputs: {load_seconds * 1000:8.1f} ms")
    for step, seconds in timings.items():
        print(f"  {step:<22} {seconds * 1000:8.1f} ms")
    total = sum(timings.values())
    print(f"all ten steps: {total * 1000:8.1f} ms")
    print(f"notices step per deputy (a .docx and an .ics each): {timings['notices'] / args.deputies * 1000:6.2f} ms")
    print(f"notices re-run / first run: {rerun / timings['notices']:.2f}")
    print(f"notices share of all steps: {timings['notices'] / total:.2f}")


if __name__ == "__main__":
    main()
