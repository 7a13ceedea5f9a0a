"""Speed of the daily follow-up sweep: one township with the sample session and 200 more suggestions,
swept every day for a year (SQLite file). Prints figures; asserts nothing.

    python bench/bench_followup.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from congress.db import make_engine, migrate, session_scope  # noqa: E402
from congress.followup import operations as fo  # noqa: E402
from congress.followup import sweeper  # noqa: E402
from congress.followup.common import township_by_code  # noqa: E402
from congress.inputs import load_session_file  # noqa: E402
from congress.lifecycle import operations as ops  # noqa: E402
from congress.settings import REPO_ROOT, Settings  # noqa: E402

EXTRA = 200


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        migrate(engine)
        settings = Settings(database_url=url, output_dir=Path(tmp) / "out")
        spec = load_session_file(REPO_ROOT / "config" / "sample" / "session.yaml")
        with session_scope(engine) as db:
            session, _ = ops.load_session(db, spec=spec, actor="bench", output_root=settings.output_dir)
            township = session.term.township
            offices = ["镇村建办", "镇农业农村办", "镇社会事务办", "镇财政所"]
            for i in range(EXTRA):
                fo.enter_suggestion(db, township=township, code=f"B{i:03d}", title=f"建议{i}", text="内容",
                                    proposers=["QS010"], category="其他", office=offices[i % 4],
                                    complex_case=i % 5 == 0, raised_on=date(2027, 1, 2), actor="bench")
            started = time.perf_counter()
            fo.hand_over(db, township=township, on=date(2027, 1, 5), actor="bench", settings=settings)
            handover = time.perf_counter() - started
        idle, busy, letters = [], [], 0
        day = date(2027, 1, 6)
        while day <= date(2027, 12, 31):
            with session_scope(engine) as db:
                started = time.perf_counter()
                result = sweeper.sweep_township(db, township=township_by_code(db, "qingshan"), today=day,
                                                actor="bench", settings=settings)
                elapsed = time.perf_counter() - started
            (busy if result.documents else idle).append(elapsed)
            letters += sum(1 for d in result.documents if d["kind"] == "reminder_letter")
            day += timedelta(days=1)
        print(f"handover of {EXTRA + 8} suggestions (交办函 per office, calendar): {handover * 1000:.0f} ms")
        print(f"sweep, quiet day:   median {statistics.median(idle) * 1000:.1f} ms over {len(idle)} days")
        print(f"sweep, letter day:  median {statistics.median(busy) * 1000:.1f} ms, max {max(busy) * 1000:.0f} ms "
              f"over {len(busy)} days ({letters} 催办函 in the year)")
        print(f"a year of daily sweeps: {(sum(idle) + sum(busy)):.1f} s")


if __name__ == "__main__":
    main()
