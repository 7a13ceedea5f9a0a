"""Issue 12 as a county clerk reads it: a person who acts in an office is named by it in every document
(主持人, 执行主席, who presides over the presidium's meetings), and the three 纪要 follow the township's 版头
setting like every other kind (congress/documents/numbers.py LETTERHEAD_TYPES); the sample session run
through the core on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.documents import numbers
from congress.documents.builder import markup_to_docx, render_text, template_environment
from congress.lifecycle.steps import STEPS
from congress.models import Document
from tests.doc_context import context_for
from tests.rendered_session import docx_text
from tests.test_lifecycle import advance, give_all_inputs

MINUTES = ("presidium_minutes", "presidium_first_meeting", "presidium_second_meeting")


def _text(db: Session, session, kind: str) -> str:  # type: ignore[no-untyped-def]
    [row] = db.scalars(select(Document).where(Document.session_id == session.id, Document.kind == kind)).all()
    return docx_text(Path(session.output_dir) / row.path)


def test_people_acting_in_an_office_are_named_by_it(db: Session, load_sample, settings) -> None:  # type: ignore[no-untyped-def]
    session = load_sample()
    give_all_inputs(db, session)
    assert advance(db, settings) == [(s, "done") for s in STEPS]
    # 王建华 is the township congress's chair (the roster's 职务), 徐国平 the party committee's secretary
    assert "（主持人：镇人大主席王建华）" in _text(db, session, "preparatory_script")
    script = _text(db, session, "plenary_script")
    assert "（执行主席：镇人大主席王建华）" in script and "（执行主席：镇党委书记徐国平）" in script
    assert "执行主席：王建华" not in script
    assert "会议由镇人大主席王建华同志主持" in _text(db, session, "presidium_minutes")
    first = _text(db, session, "presidium_first_meeting")
    assert "会议由镇人大主席王建华同志主持" in first
    assert "会议推选镇人大主席王建华为第一次全体会议（2026年12月22日）执行主席，镇党委书记徐国平为第二次全体会议" in first
    second = _text(db, session, "presidium_second_meeting")
    assert "会议由镇人大主席王建华同志主持" in second and "由执行主席镇党委书记徐国平主持" in second
    for kind in MINUTES:  # the sample's letterhead types leave out 纪要: no 版头
        assert "会议纪要" in _text(db, session, kind).split("（")[0]


def test_every_minutes_kind_is_a_纪要_for_the_letterhead_setting() -> None:
    settings = numbers.DocumentSettings(letterhead=["纪要"])
    assert numbers.letterhead_kinds(settings) == frozenset(MINUTES)


@pytest.mark.parametrize("kind", MINUTES)
def test_a_纪要_prints_its_mark_when_the_township_asks_for_a_letterhead(kind: str) -> None:
    env = template_environment()
    name = f"{kind}.md.j2"
    styles = {}
    for letterhead in (True, False):
        text = render_text(env, name, {**context_for(name), "letterhead": letterhead})
        doc = Docx(io.BytesIO(markup_to_docx(text, title="t", author="a", created=datetime(2026, 12, 22, 1, tzinfo=UTC))))
        styles[letterhead] = [(p.style.style_id, p.text) for p in doc.paragraphs[:3]]
    mark, title = styles[True][0], styles[True][1]
    assert mark[0] == "GwMark" and mark[1].endswith("会议纪要"), styles[True]
    assert title[0] == "GwTitle" and title[1].replace("\n", "") in ("第一次会议", "第二次会议", "关于筹备青山镇第十八届人民代表大会第三次会议的纪要")
    assert all(style != "GwMark" for style, _ in styles[False])
    assert styles[False][0][0] == "GwTitle"
