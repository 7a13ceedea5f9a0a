"""Fuzzing every input path (issue 9 item 6): random YAML and CSV text and structured mutations of the
sample files go through the loaders and on into a real database. Only the documented input errors come
out — an InputError (or, for follow-up operations, a FollowupError) whose every problem is a Chinese
message naming a file — never another exception; and a rejected input leaves the database as it was.

Examples are derived from a fixed seed (derandomize) so CI sees the same cases each run; ≥ 500 per loader
on SQLite, a shorter pass on PostgreSQL.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from congress.db import Base, make_engine, session_scope
from congress.errors import InputError
from congress.followup import operations as followup_ops
from congress.followup.common import FollowupError
from congress.followup.inputs import PETITION_COLUMNS, VOTER_REPORT_COLUMNS, load_rows
from congress.inputs import load_attendance, load_roster, load_session_file, load_tallies
from congress.lifecycle import operations as ops
from congress.models import CongressSession, Report, Resolution, Vote
from tests.conftest import SAMPLE, new_database

FUZZ = settings(max_examples=500, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FUZZ_PG = settings(FUZZ, max_examples=60)
# attendance and tallies have 500 examples each through their loaders alone; here they go on into the database
FUZZ_DB_SHORT = settings(FUZZ, max_examples=300)
CJK = re.compile(r"[\u4e00-\u9fff]")

SESSION = yaml.safe_load((SAMPLE / "session.yaml").read_text(encoding="utf-8"))
TALLIES = yaml.safe_load((SAMPLE / "tallies.yaml").read_text(encoding="utf-8"))
ROSTER_LINES = (SAMPLE / "roster.csv").read_text(encoding="utf-8").splitlines()
ATTENDANCE_LINES = (SAMPLE / "attendance.csv").read_text(encoding="utf-8").splitlines()
ROSTER = {row.code: row.name for row in load_roster(SAMPLE / "roster.csv").rows}


def documented_error(exc: BaseException) -> None:
    """The exception is one staff are meant to see: every problem Chinese and naming its file."""
    if isinstance(exc, InputError):
        assert exc.problems
        for problem in exc.problems:
            assert problem.file and CJK.search(problem.problem), problem
    else:
        assert isinstance(exc, FollowupError) and CJK.search(str(exc)), repr(exc)


# --- strategies ------------------------------------------------------------------------------------

TRICKY = ["", " ", "QS001", "QS999", "yes", "no", "~", "null", "true", "2026-12-22", "2026-13-45", "09:00", "25:00",
          "{{ cycler.__init__.__globals__ }}", "../roster.csv", "/etc/passwd", "/dev/zero", "roster.csv", "a/b",
          "青" * 300, "x\ny", "\x00", "\t", "regular", "formal", "presidium", "vice_chair", "chair", "1e9",
          "&a", "*a", "!!python/object:os.system", "%", "@", "`", "'", '"', "- ", ": ", "#", "\ufeff"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-5, max_value=70), st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40), st.floats(), st.text(max_size=40),
    st.dates(min_value=date(1, 1, 1)), st.sampled_from(TRICKY),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(TRICKY)),
                                        inner, max_size=4), max_leaves=6)


class _NoAliases(yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        tree = tree[part]
    return tree


def _similar(value: Any) -> st.SearchStrategy[Any]:
    """A value of the same kind as the one it replaces: what gets past type checks into the rules and the database."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(-3, 200), st.integers(-(10**12), 10**12))
    if isinstance(value, date):
        return st.dates(min_value=date(1980, 1, 1), max_value=date(2110, 12, 31))
    if isinstance(value, str):
        return st.one_of(st.just(value + value), st.sampled_from(sorted(ROSTER)), st.text(min_size=1, max_size=20),
                         st.sampled_from(TRICKY))
    if isinstance(value, list):
        return st.lists(st.sampled_from(value), max_size=len(value) + 2) if value else st.just([])
    return values


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> str:
    """The original tree with 1–3 random changes (a value of the same kind, any value, a key deleted or
    added, a list item duplicated), as YAML text, sometimes cut or spliced with random text."""
    tree = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(tree))[1:] or [()]))
        op = draw(st.sampled_from(["similar", "similar", "similar", "replace", "delete", "add", "duplicate"]))
        if not path:
            continue
        parent = _parent(tree, path)
        if op == "similar":
            parent[path[-1]] = draw(_similar(parent[path[-1]]))
        elif op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "delete":
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.one_of(st.text(max_size=12), st.sampled_from(["templates_dir", "roster", "extra"])))] = \
                draw(values)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    text = dump(tree)
    damage = draw(st.sampled_from(["none"] * 8 + ["cut", "splice"]))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.one_of(st.text(max_size=30), st.sampled_from(["&a x", "*a", ": :", "\t", "{", "["])))\
            + text[at:]
    return text


yaml_text = st.one_of(st.text(max_size=300), st.sampled_from(["", "---", "[]", "{}", "- a\n- b", "a: &x 1\nb: *x"]))


def _cell(value: str) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([value])
    return out.getvalue().rstrip("\r\n")


@st.composite
def csv_bytes(draw: st.DrawFn, lines: list[str]) -> bytes:
    """A CSV made from lines with random cells replaced, lines dropped, duplicated or added, in UTF-8, GBK or
    a mix of both, sometimes with random bytes."""
    rows = list(lines)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["cell", "cell", "drop", "dup", "add", "raw"]))
        i = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if op == "cell" and rows:
            cells = rows[i].split(",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = _cell(draw(st.one_of(st.text(max_size=30), st.sampled_from(TRICKY))))
            rows[i] = ",".join(cells)
        elif op == "drop" and rows:
            del rows[i]
        elif op == "dup" and rows:
            rows.insert(i, rows[i])
        elif op == "add":
            rows.insert(i, ",".join(_cell(v) for v in draw(st.lists(st.text(max_size=12), max_size=9))))
        elif op == "raw":
            rows.insert(i, draw(st.text(max_size=60)))
    encoding = draw(st.sampled_from(["utf-8"] * 3 + ["mixed", "utf-8-sig", "gbk"] + ["utf-8"] * 3))
    encoded = []
    for n, row in enumerate(rows):
        enc = ("gbk" if n % 7 == 3 else "utf-8") if encoding == "mixed" else encoding
        enc = "utf-8" if enc == "utf-8-sig" and n else enc
        encoded.append(row.encode(enc, errors="replace") if enc == "gbk" else row.encode(enc))
    data = b"\n".join(encoded) + b"\n"
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=20)) + data[at:]
    return data


# --- loaders alone ---------------------------------------------------------------------------------


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", errors="surrogatepass"))
    return path


def _expect_documented(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (InputError, FollowupError) as exc:
        documented_error(exc)
        return None


@FUZZ
@given(text=st.one_of(mutated(TALLIES), yaml_text))
def test_fuzz_tallies(text):
    with tempfile.TemporaryDirectory() as tmp:
        _expect_documented(lambda: load_tallies(_write(Path(tmp) / "tallies.yaml", text)))


@FUZZ
@given(data=csv_bytes(ROSTER_LINES))
def test_fuzz_roster(data):
    with tempfile.TemporaryDirectory() as tmp:
        _expect_documented(lambda: load_roster(_write(Path(tmp) / "roster.csv", data)))


@FUZZ
@given(data=csv_bytes(ATTENDANCE_LINES))
def test_fuzz_attendance(data):
    with tempfile.TemporaryDirectory() as tmp:
        _expect_documented(lambda: load_attendance(_write(Path(tmp) / "attendance.csv", data), ROSTER))


@FUZZ_DB_SHORT
@given(data=csv_bytes(["编号,收到日期,方式,来信来访人,事由,转办单位,办理结果,办结日期",
                       "X1,2027-02-03,来信,张三,反映村道破损,镇村建办,已修复,2027-03-01"]),
       spec=st.sampled_from([PETITION_COLUMNS, VOTER_REPORT_COLUMNS]))
def test_fuzz_records_csv(data, spec):
    with tempfile.TemporaryDirectory() as tmp:
        _expect_documented(lambda: load_rows(_write(Path(tmp) / "records.csv", data), spec, set(ROSTER)))


# --- through the database ----------------------------------------------------------------------------


_COUNTS = select(*(select(func.count()).select_from(table).scalar_subquery().label(table.name)
                   for table in Base.metadata.sorted_tables))


def _snapshot(db: Session) -> dict[str, int]:
    """Row count of every table (one query): what a rejected input must leave as it was."""
    return dict(db.execute(_COUNTS).one()._mapping)


class Site:
    """A migrated database (one per backend and test module) and a folder for outputs."""

    def __init__(self, engine: Engine, root: Path):
        self.engine, self.root = engine, root

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as db:
            return _snapshot(db)

    def unit(self) -> Any:
        return session_scope(self.engine)


def _site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp(f"fuzz-{backend}")
    url, cleanup = new_database(backend, tmp)
    engine = make_engine(url)
    site = Site(engine, tmp)
    with site.unit() as db:
        ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="fuzz", output_root=tmp / "out")
    yield site
    engine.dispose()
    cleanup()


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def pg_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site("postgresql", tmp_path_factory)


def _through_db(site: Site, operation: Callable[[Session], Any]) -> None:
    """Run operation in one unit of work (as the CLI does); rejected: the database holds what it held."""
    before = site.counts()
    try:
        with site.unit() as db:
            operation(db)
    except (InputError, FollowupError) as exc:
        documented_error(exc)
        assert site.counts() == before
    except ops.OutputMoved:  # pragma: no cover - the sample's folder never moves here
        raise


@st.composite
def session_folder(draw: st.DrawFn) -> tuple[str, bytes]:
    """A session file (mutated, or random) and a roster (mutated or as in the sample)."""
    text = draw(st.one_of(mutated(SESSION), mutated(SESSION), mutated(SESSION), yaml_text))
    roster = draw(st.one_of(st.just((SAMPLE / "roster.csv").read_bytes()), csv_bytes(ROSTER_LINES)))
    return text, roster


def _load_session(site: Site, text: str, roster: bytes) -> None:
    with tempfile.TemporaryDirectory(dir=site.root) as tmp:
        folder = Path(tmp)
        _write(folder / "session.yaml", text)
        _write(folder / "roster.csv", roster)
        _through_db(site, lambda db: ops.load_session(db, spec=load_session_file(folder / "session.yaml"),
                                                       actor="fuzz", output_root=site.root / "out"))


@FUZZ
@given(case=session_folder())
def test_fuzz_session_file_with_roster_into_sqlite(sqlite_site, case):
    _load_session(sqlite_site, *case)


@FUZZ_PG
@given(case=session_folder())
def test_fuzz_session_file_with_roster_into_postgresql(pg_site, case):
    _load_session(pg_site, *case)


def _sample_session(db: Session) -> CongressSession:
    session = db.scalar(select(CongressSession).where(CongressSession.key == "qingshan-18-3"))
    assert session is not None
    return session


def _attendance_and_tallies(site: Site, attendance: bytes, tallies: str) -> None:
    with tempfile.TemporaryDirectory(dir=site.root) as tmp:
        a = _write(Path(tmp) / "attendance.csv", attendance)
        t = _write(Path(tmp) / "tallies.yaml", tallies)

        def record(db: Session) -> None:
            session = _sample_session(db)
            rows = load_attendance(a, {d.code: d.name for d in ops.active_deputies(db, session)})
            ops.record_attendance(db, session, rows, actor="fuzz", source="attendance.csv")
            ops.record_tallies(db, session, load_tallies(t), actor="fuzz")

        _through_db(site, record)


@FUZZ_DB_SHORT
@given(attendance=st.one_of(st.just((SAMPLE / "attendance.csv").read_bytes()), csv_bytes(ATTENDANCE_LINES)),
       tallies=st.one_of(mutated(TALLIES), mutated(TALLIES), yaml_text))
def test_fuzz_attendance_and_tallies_into_sqlite(sqlite_site, attendance, tallies):
    _attendance_and_tallies(sqlite_site, attendance, tallies)


@FUZZ_PG
@given(attendance=st.one_of(st.just((SAMPLE / "attendance.csv").read_bytes()), csv_bytes(ATTENDANCE_LINES)),
       tallies=st.one_of(mutated(TALLIES), mutated(TALLIES), yaml_text))
def test_fuzz_attendance_and_tallies_into_postgresql(pg_site, attendance, tallies):
    _attendance_and_tallies(pg_site, attendance, tallies)


SUGGESTION_LINES = ["编号,标题,提出代表,类别,承办单位,难度较大,内容,提出日期",
                    "B101,关于增设公交站点的建议,QS003,城乡建设,镇村建办,否,建议在溪口村增设公交站点。,2027-03-02"]


def _suggestions(site: Site, data: bytes) -> None:
    with tempfile.TemporaryDirectory(dir=site.root) as tmp:
        path = _write(Path(tmp) / "suggestions.csv", data)

        def load(db: Session) -> None:
            township = _sample_session(db).term.township
            followup_ops.import_suggestions(db, township=township, path=path, actor="fuzz")
            raise _Undo  # accepted: undone so the next example finds the same codes free

        try:
            _through_db(site, load)
        except _Undo:
            pass


class _Undo(Exception):
    """Roll back an accepted example."""


@FUZZ
@given(data=csv_bytes(SUGGESTION_LINES))
def test_fuzz_suggestions_csv_into_sqlite(sqlite_site, data):
    _suggestions(sqlite_site, data)


@FUZZ_PG
@given(data=csv_bytes(SUGGESTION_LINES))
def test_fuzz_suggestions_csv_into_postgresql(pg_site, data):
    _suggestions(pg_site, data)


@pytest.fixture(scope="module")
def adopted(sqlite_site: Site) -> Site:
    """The sample's government work report resolution, adopted, as resolution items need."""
    with sqlite_site.unit() as db:  # the session examples may have reloaded it changed: back to the sample
        ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="fuzz",
                         output_root=sqlite_site.root / "out")
    with sqlite_site.unit() as db:
        session = _sample_session(db)
        report = db.scalar(select(Report).where(Report.session_id == session.id, Report.key == "government-work"))
        vote = db.scalar(select(Vote).where(Vote.session_id == session.id, Vote.key == "resolution-government-work"))
        assert report is not None and vote is not None
        db.add(Resolution(session_id=session.id, position=0, key="resolution-government-work",
                          title=report.resolution_title or "", report_id=report.id, vote_id=vote.id, status="adopted",
                          adopted_on=session.closing_date))
    return sqlite_site


item_text = st.one_of(st.text(max_size=20), st.sampled_from(TRICKY), st.text(min_size=100, max_size=400))


@FUZZ
@given(code=item_text, title=item_text, text=item_text, office=item_text, resolution=st.sampled_from(
    ["government-work", "resolution-government-work", "budget", "", "x" * 200]),
    on=st.dates(), due=st.dates())
def test_fuzz_resolution_items_into_sqlite(adopted, code, title, text, office, resolution, on, due):
    from congress.settings import Settings

    cfg = Settings(database_url=str(adopted.engine.url), output_dir=adopted.root / "out")

    def add(db: Session) -> None:
        followup_ops.add_resolution_item(db, session_key="qingshan-18-3", resolution_key=resolution, code=code,
                                         title=title, text=text, office=office, handed_over_on=on, due_on=due,
                                         actor="fuzz", settings=cfg)
        raise _Undo

    try:
        _through_db(adopted, add)
    except _Undo:
        pass
