"""A rule over the rendered documents: every document of a vote or an election is dated by the sitting that
holds it — the election's ballots, its adopted 选举办法, its 计票报告 and 当选公告, and the 表决结果 — not the
opening day. Checked for an election at the last plenary sitting (none named) and at a named earlier one."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.ical.builder import TZ
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.models import Document
from congress.settings import Settings
from tests.conftest import SAMPLE
from tests.test_lifecycle import KEY, advance, give_all_inputs

DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
ELECTION_KINDS = ("ballot", "count_report", "election_announcement", "election_measures")


def dates_in(path: Path) -> tuple[set[date], date]:
    """The dates a .docx prints (paragraphs and tables) and the day its metadata says it was made."""
    doc = Docx(str(path))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    printed = {date(int(y), int(m), int(d)) for y, m, d in DATE.findall(text)}
    return printed, doc.core_properties.created.astimezone(TZ).date()


@pytest.mark.parametrize(("sitting", "held_on"), [(None, date(2026, 12, 23)), ("plenary-1", date(2026, 12, 22))])
def test_every_document_of_an_election_bears_its_sittings_date(db: Session, settings: Settings, tmp_path: Path,
                                                               sitting: str | None, held_on: date) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    if sitting:
        text = (folder / "session.yaml").read_text(encoding="utf-8")
        text = text.replace("    extra_candidates: 1\n", f"    extra_candidates: 1\n    sitting: {sitting}\n", 1)
        (folder / "session.yaml").write_text(text, encoding="utf-8")
    spec = load_session_file(folder / "session.yaml")
    assert spec.elections[0].sitting == sitting
    session, _ = ops.load_session(db, spec=spec, actor="test", output_root=settings.output_dir)
    give_all_inputs(db, session)
    assert ("votes_elections", "done") in advance(db, settings)
    root = settings.output_dir / KEY
    docs = {d.path: d.kind for d in db.scalars(select(Document).where(Document.session_id == session.id))}
    election_docs = [p for p, kind in docs.items() if kind in ELECTION_KINDS and "（草案）" not in p]
    assert {docs[p] for p in election_docs} == set(ELECTION_KINDS)
    for rel in election_docs:
        printed, made = dates_in(root / rel)
        assert made == held_on, rel
        assert printed <= {held_on}, (rel, printed)
        if docs[rel] != "ballot" or "第1轮" in rel:
            assert printed == {held_on}, rel
    # the plenary votes are taken at the last plenary sitting: the table of results bears its day
    (results,) = [p for p, kind in docs.items() if kind == "vote_results"]
    printed, made = dates_in(root / results)
    assert printed == {date(2026, 12, 23)} and made == date(2026, 12, 23)
    # the 主持词 and the 日程 hold the measures vote and the ballot at that sitting
    script = Docx(str(root / "08-votes-elections" / "大会主持词.docx"))
    sittings = "\n".join(p.text for p in script.paragraphs).split("二、第二次全体会议")
    at = sittings[0 if sitting == "plenary-1" else 1]
    assert "表决《补选青山镇人民代表大会副主席的办法（草案）》" in at and "依照大会通过的选举办法" in at
    assert "依照大会通过的选举办法" not in sittings[1 if sitting == "plenary-1" else 0]
    schedule = Docx(str(root / "07-reports" / "会议日程.docx")).tables[0]
    row = next(r for r in schedule.rows if "表决通过补选" in r.cells[2].text)
    assert row.cells[0].text.startswith(f"{held_on.month}月{held_on.day}日")
