"""The dashboard's tallies form takes each candidate's 反对 and 弃权 marks (optional, as the tallies file does:
docs/formats.md): bounded like every count, checked by the file loader (a name's 赞成 + 反对 + 弃权 within the
round's valid ballots), refused values kept in their fields with the problem beside the round; SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from congress.db import session_scope
from congress.models import Election, ElectionRound, RoundCount
from tests import test_web
from tests.test_web import KEY, Web, _attendance_form, _tallies_form, create_sample

web = test_web.web  # the fixture: a fresh migrated database with one account per role

ROUND = 'data-field="elections.vice-chair.rounds.0"'


def _round(page: str) -> str:
    return page.split(ROUND)[1].split("</fieldset>")[0]


def _counts(web: Web) -> dict[str, tuple[int, int | None, int | None]]:
    with session_scope(web.engine) as db:
        election = db.scalar(select(Election).where(Election.key == "vice-chair"))
        assert election is not None
        rnd = db.scalar(select(ElectionRound).where(ElectionRound.election_id == election.id))
        if rnd is None:
            return {}
        return {c.name: (c.votes, c.against, c.abstain)
                for c in db.scalars(select(RoundCount).where(RoundCount.round_id == rnd.id))}


def _ready(web: Web):  # type: ignore[no-untyped-def]
    staff = web.client("staff")
    create_sample(staff)
    staff.post(f"/sessions/{KEY}/attendance", data=_attendance_form(staff))
    return staff


def test_the_form_has_optional_against_and_abstain_fields_per_candidate(web: Web) -> None:
    staff = _ready(web)
    fieldset = _round(staff.get(f"/sessions/{KEY}/tallies").text)
    for part, label in (("votes", "得票"), ("against", "反对"), ("abstain", "弃权")):
        for j, name in enumerate(("陈晓梅", "刘志强")):
            assert f'name="el.vice-chair.0.{part}.{j}"' in fieldset
            assert f'aria-label="{name}{label}"' in fieldset
    assert "反对（可不填）" in fieldset and "弃权（可不填）" in fieldset


def test_marks_are_recorded_and_come_back_into_the_form(web: Web) -> None:
    staff = _ready(web)
    # 55 valid ballots: 陈晓梅 41 + 9 + 5, 刘志强 14 + 30 + 11; 刘志强's 弃权 left blank in a second case below
    marks = {"el.vice-chair.0.against.0": "9", "el.vice-chair.0.abstain.0": "5",
             "el.vice-chair.0.against.1": "30", "el.vice-chair.0.abstain.1": ""}
    check = staff.post(f"/sessions/{KEY}/tallies/check", data=_tallies_form(staff, **marks)).json()
    assert check["ok"] and check["problems"] == []
    saved = staff.post(f"/sessions/{KEY}/tallies", data=_tallies_form(staff, **marks), follow_redirects=False)
    assert saved.status_code == 303
    # a blank mark is not counted (None), never a zero
    assert _counts(web) == {"陈晓梅": (41, 9, 5), "刘志强": (14, 30, None)}
    fieldset = _round(staff.get(f"/sessions/{KEY}/tallies").text)
    assert 'name="el.vice-chair.0.against.0" value="9"' in fieldset
    assert 'name="el.vice-chair.0.abstain.0" value="5"' in fieldset
    assert 'name="el.vice-chair.0.against.1" value="30"' in fieldset
    assert 'name="el.vice-chair.0.abstain.1" value=""' in fieldset


def test_marks_over_the_valid_ballots_are_refused_beside_the_round_with_the_values_kept(web: Web) -> None:
    staff = _ready(web)
    over = {"el.vice-chair.0.against.0": "10", "el.vice-chair.0.abstain.0": "5"}  # 41 + 10 + 5 = 56 > 55
    check = staff.post(f"/sessions/{KEY}/tallies/check", data=_tallies_form(staff, **over)).json()
    assert not check["ok"]
    [problem] = check["problems"]
    assert problem["field"].startswith("elections.vice-chair.rounds.0")
    assert "陈晓梅的赞成41票、反对10票、弃权5票合计56票，多于本轮有效票55张" in problem["problem"]
    refused = staff.post(f"/sessions/{KEY}/tallies", data=_tallies_form(staff, **over))
    assert refused.status_code == 422
    fieldset = _round(refused.text)
    assert "合计56票，多于本轮有效票55张" in fieldset and "tallies.yaml" not in fieldset
    assert 'name="el.vice-chair.0.against.0" value="10"' in fieldset
    assert 'name="el.vice-chair.0.abstain.0" value="5"' in fieldset
    assert _counts(web) == {}  # nothing recorded


def test_marks_are_bounded_like_every_count(web: Web) -> None:
    staff = _ready(web)
    for value, problem in (("-1", "必须是 0 到 60 之间的整数"), ("61", "必须是 0 到 60 之间的整数"),
                           ("三", "“三”不是整数")):
        refused = staff.post(f"/sessions/{KEY}/tallies",
                             data=_tallies_form(staff, **{"el.vice-chair.0.abstain.1": value}))
        assert refused.status_code == 422, value
        fieldset = _round(refused.text)
        assert f"弃权：{problem}" in fieldset, (value, fieldset)
        assert f'name="el.vice-chair.0.abstain.1" value="{value}"' in fieldset
    assert _counts(web) == {}
