"""The 交办函 gives a reply deadline as the step table and the calendar have it: a last day on a statutory
rest day moves to the day after, with the reason (民法典 第二百零三条); in a year whose rest days are not
known yet the date is marked and the rule printed."""

from __future__ import annotations

from datetime import date

import pytest
from docx import Document as Docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.lifecycle import steps
from congress.models import Suggestion
from congress.settings import Settings
from tests.test_lifecycle import KEY, advance, give_all_inputs

QINGMING = date(2027, 4, 5)


def letter_text(settings: Settings, office: str) -> str:
    doc = Docx(str(settings.output_dir / KEY / "10-followup" / f"交办函-{office}.docx"))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def test_a_deadline_on_qingming_is_given_as_extended_with_its_reason(db: Session, load_sample, settings,  # type: ignore[no-untyped-def]
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # 2027's rest days as the State Council would publish them: 清明 on Monday 5 April
    monkeypatch.setattr(steps, "is_rest_day", lambda d: d.weekday() >= 5 or d == QINGMING)
    session = load_sample()
    give_all_inputs(db, session)
    assert advance(db, settings)[-1] == ("followup", "done")
    due = {s.code: s.due_on for s in db.scalars(select(Suggestion).where(Suggestion.session_id == session.id))}
    assert due["J007"] == date(2027, 4, 6)  # handed over 2027-01-05 + 3 months = 4月5日, 清明 → 4月6日
    text = letter_text(settings, "镇财政所")
    assert "2027年4月6日（2027年4月5日为法定休假日，顺延）" in text
    assert "以法定休假日结束的次日为期限的最后一日（《中华人民共和国民法典》第二百零三条）" in text
    assert "*" not in text


def test_a_deadline_in_a_year_not_yet_known_carries_the_rule(db: Session, load_sample, settings,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "is_rest_day", lambda d: None if d.year == 2027 else d.weekday() >= 5)
    session = load_sample()
    give_all_inputs(db, session)
    assert advance(db, settings)[-1] == ("followup", "done")
    text = letter_text(settings, "镇财政所")
    assert "2027年4月5日*" in text
    assert "标“*”的期限所在年度的法定节假日安排尚未公布" in text
