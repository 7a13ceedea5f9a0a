"""The dashboard's suggestions pages through FastAPI's TestClient on SQLite and PostgreSQL: the list by
deadline with overdue rows in red, entering a suggestion, handover (交办) with its letters, the office's
reply and the deputy's rating (不满意 → another round), roles, township scope and CSRF.

The sample session (config/sample) has eight suggestions J001–J008, raised at the session that closes
on 2026-12-23, in Zhejiang: a reply is due 3 months after handover, 6 for complex ones (J002, J004).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from congress.db import session_scope
from congress.models import AuditEvent, FollowupDocument, HandlingRound, Suggestion

# ruff: noqa: F811  (the `web` fixture is imported from tests/test_web.py and taken as an argument)
from tests.test_web import KEY, Web, create_sample, csrf, web  # noqa: F401

HANDOVER = "2027-01-05"


def _sid(web: Web, code: str) -> int:
    with session_scope(web.engine) as db:
        found = db.scalar(select(Suggestion.id).where(Suggestion.code == code))
    assert found is not None
    return found


def _rounds(web: Web, code: str) -> list[tuple[int, str, date, date | None, str | None, str]]:
    with session_scope(web.engine) as db:
        sid = db.scalar(select(Suggestion.id).where(Suggestion.code == code))
        return [(r.number, r.state, r.due_on, r.replied_on, r.rating, r.handed_over_by)
                for r in db.scalars(select(HandlingRound).where(HandlingRound.suggestion_id == sid)
                                    .order_by(HandlingRound.number))]


def _docs(web: Web) -> dict[str, FollowupDocument]:
    with session_scope(web.engine) as db:
        docs = list(db.scalars(select(FollowupDocument)))
        db.expunge_all()
    return {d.path: d for d in docs}


def _row(page: str, code: str) -> str:
    match = re.search(rf'<tr class="[^"]*" data-code="{code}".*?</tr>', page, re.S)
    assert match, code
    return match.group(0)


def _hand_over(client: TestClient, *codes: str, on: str = HANDOVER, back: str = f"/sessions/{KEY}/suggestions"):
    return client.post("/suggestions/handover", data={"csrf_token": csrf(client), "township": "qingshan", "on": on,
                                                      "codes": list(codes), "back": back}, follow_redirects=False)


def test_the_list_is_by_deadline_and_shows_what_the_database_holds(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    page = staff.get(f"/sessions/{KEY}/suggestions").text
    assert page.count('name="codes"') == 8 and "交办所选建议" in page
    assert "登记新的代表建议" in page
    assert "何振东（QS009）、胡建新（QS015）" in _row(page, "J001")  # proposers by name, from the roster
    response = _hand_over(staff, "J001", "J002", "J005")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sessions/{KEY}/suggestions?notice=handed_over"
    page = staff.get(response.headers["location"]).text
    assert "已交办" in page
    # by deadline: J001 and J005 (3 months) before J002 (complex: 6 months), then the five not handed over
    codes = re.findall(r'data-code="(J\d+)"', page)
    assert codes[:3] == ["J001", "J005", "J002"] and sorted(codes[3:]) == ["J003", "J004", "J006", "J007", "J008"]
    assert 'data-due="2027-04-05"' in _row(page, "J001") and 'data-due="2027-07-05"' in _row(page, "J002")
    with session_scope(web.engine) as db:
        due = {s.code: s.due_on for s in db.scalars(select(Suggestion))}
    for code in ("J001", "J002", "J005"):
        row = _row(page, code)
        assert f'data-due="{due[code].isoformat()}"' in row and "第1次" in row and "办理中" in row
        assert 'name="codes"' not in row  # handed over: no longer offered
    assert "待交办" in _row(page, "J003") and "—" in _row(page, "J003")
    # the 交办函: one per office, each link downloads the file the database registered, byte for byte
    docs = _docs(web)
    letters = sorted(p for p in docs if p.startswith(f"交办/{HANDOVER}/") and p.endswith(".docx"))
    assert [Path(p).name for p in letters] == [f"交办函-镇村建办-{KEY}.docx", f"交办函-镇社会事务办-{KEY}.docx"]
    for path in letters:
        link = f'href="/suggestions/files/{docs[path].id}"'
        assert link in page
        body = staff.get(f"/suggestions/files/{docs[path].id}").content
        assert hashlib.sha256(body).hexdigest() == docs[path].sha256
    assert all(r[5] == "staff" for c in ("J001", "J002", "J005") for r in _rounds(web, c))
    with session_scope(web.engine) as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "suggestions_handed_over"))
        assert event is not None and event.actor == "staff" and event.detail["codes"] == ["J001", "J002", "J005"]
    # the township list (/suggestions) shows the same rows and the letters
    everything = staff.get("/suggestions").text
    assert re.findall(r'data-code="(J\d+)"', everything)[:3] == ["J001", "J005", "J002"]
    assert all(f"/suggestions/files/{docs[p].id}" in everything for p in letters)


def test_overdue_rows_are_red_until_the_office_replies(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    assert _hand_over(staff, "J001", "J003").status_code == 303
    on_due = staff.get(f"/sessions/{KEY}/suggestions?today=2027-04-05").text
    assert 'data-overdue="0"' in _row(on_due, "J001")
    late = staff.get(f"/sessions/{KEY}/suggestions?today=2027-04-16").text
    for code in ("J001", "J003"):
        row = _row(late, code)
        assert row.startswith('<tr class="overdue"') and "已逾期11天" in row
    assert 'class="overdue"' not in _row(late, "J002")  # not handed over: no deadline yet
    sid = _sid(web, "J003")
    replied = staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-04-10",
                                                            "text": "已列入2027年灌溉渠道修复计划。"},
                         follow_redirects=False)
    assert replied.status_code == 303
    late = staff.get(f"/sessions/{KEY}/suggestions?today=2027-04-16").text
    assert 'class="overdue"' in _row(late, "J001") and 'class="overdue"' not in _row(late, "J003")
    assert "已答复待测评" in _row(late, "J003")


def test_reply_and_ratings_follow_the_operations_and_unsatisfied_opens_a_round(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    sid = _sid(web, "J001")
    detail = staff.get(f"/suggestions/{sid}").text
    assert "尚未交办" in detail and 'id="handover-form"' in detail and 'id="reply-form"' not in detail
    # handover from the suggestion's own page
    response = _hand_over(staff, "J001", back=f"/suggestions/{sid}")
    assert response.headers["location"] == f"/suggestions/{sid}?notice=handed_over"
    detail = staff.get(response.headers["location"]).text
    assert 'id="reply-form"' in detail and 'id="rating-form"' not in detail
    letter = _docs(web)[f"交办/{HANDOVER}/交办函-镇村建办-{KEY}.docx"]
    assert f"/suggestions/files/{letter.id}" in detail and "依据：《代表法》第五十一条" in detail

    # a rating before any reply, and a reply dated before the handover: refused, nothing written
    early = staff.post(f"/suggestions/{sid}/rating", data={"csrf_token": csrf(staff), "rating": "满意",
                                                           "rated_on": "2027-02-01"})
    assert early.status_code == 422 and "“J001”尚未答复，不能录入测评" in early.text
    before = staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-01-04",
                                                           "text": "已修缮"})
    assert before.status_code == 422 and "“J001”的答复日期早于交办日期2027-01-05" in before.text
    assert "已修缮" in before.text  # what the user typed is kept in the form
    empty = staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-03-01",
                                                          "text": "  "})
    assert empty.status_code == 422 and "答复内容不能为空" in empty.text
    assert _rounds(web, "J001") == [(1, "open", date(2027, 4, 5), None, None, "staff")]
    assert not [p for p in _docs(web) if p.startswith("答复/")]

    ok = staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-03-20",
                                                       "text": "村道修缮已列入2027年农村公路养护计划。"},
                    follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == f"/suggestions/{sid}?notice=replied"
    docs = _docs(web)
    assert {"答复/J001-第1次答复函.docx", "答复/J001-第1次满意度测评表.docx"} <= set(docs)
    detail = staff.get(ok.headers["location"]).text
    for path in ("答复/J001-第1次答复函.docx", "答复/J001-第1次满意度测评表.docx"):
        assert f'href="/suggestions/files/{docs[path].id}"' in detail
    assert 'id="rating-form"' in detail and 'id="reply-form"' not in detail

    bad = staff.post(f"/suggestions/{sid}/rating", data={"csrf_token": csrf(staff), "rating": "还行",
                                                         "rated_on": "2027-03-25"})
    assert bad.status_code == 422 and "应为 满意、基本满意 或 不满意" in bad.text
    unsatisfied = staff.post(f"/suggestions/{sid}/rating", data={"csrf_token": csrf(staff), "rating": "不满意",
                                                                 "rated_on": "2027-03-25", "comment": "进度太慢"},
                             follow_redirects=False)
    assert unsatisfied.headers["location"] == f"/suggestions/{sid}?notice=rehandled"
    # the second round: one month from the rating (suggestion_rehandling), handed to the same office
    rounds = _rounds(web, "J001")
    assert rounds[0][1:5] == ("closed", date(2027, 4, 5), date(2027, 3, 20), "unsatisfied")
    assert rounds[1] == (2, "open", date(2027, 4, 25), None, None, "staff")
    notice_path = "催办/2027-03-25/重新办理通知-J001.docx"
    assert notice_path in _docs(web)
    detail = staff.get(unsatisfied.headers["location"]).text
    assert "不满意（2027年03月25日）：进度太慢" in detail and "第2次" in detail
    assert f'href="/suggestions/files/{_docs(web)[notice_path].id}"' in detail
    page = staff.get(f"/sessions/{KEY}/suggestions").text
    row = _row(page, "J001")
    assert "第2次" in row and "不满意" in row and 'data-due="2027-04-25"' in row and "办理中" in row

    assert staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-04-20",
                                                         "text": "已完成修缮。"}).status_code == 200
    assert staff.post(f"/suggestions/{sid}/rating", data={"csrf_token": csrf(staff), "rating": "基本满意",
                                                          "rated_on": "2027-04-22"}).status_code == 200
    with session_scope(web.engine) as db:
        sg = db.scalar(select(Suggestion).where(Suggestion.code == "J001"))
        assert sg is not None and sg.state == "closed" and sg.closed_on == date(2027, 4, 22)
        actions = {e.action: e.actor for e in db.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(("suggestions_handed_over", "reply_recorded", "rating_recorded"))))}
    assert actions == {"suggestions_handed_over": "staff", "reply_recorded": "staff", "rating_recorded": "staff"}
    row = _row(staff.get(f"/sessions/{KEY}/suggestions").text, "J001")
    assert "已办结" in row and "基本满意" in row


def test_handover_refusals_write_nothing(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    before_closing = _hand_over(staff, "J001", on="2026-12-20")
    assert before_closing.status_code == 422
    assert "建议“J001”的交办日期2026-12-20早于提出日期" in before_closing.text
    none = _hand_over(staff)
    assert none.status_code == 422 and "请勾选要交办的代表建议" in none.text
    bad_day = _hand_over(staff, "J001", on="明天")
    assert bad_day.status_code == 422 and "交办日期格式不正确" in bad_day.text
    assert _rounds(web, "J001") == [] and _docs(web) == {}
    assert not (web.settings.output_dir / "qingshan").exists()
    with session_scope(web.engine) as db:
        assert {s.state for s in db.scalars(select(Suggestion))} == {"registered"}
    # handed over once, it cannot be handed over again
    assert _hand_over(staff, "J001").status_code == 303
    again = _hand_over(staff, "J001")
    assert again.status_code == 422 and "以下编号不是待交办的代表建议：J001" in again.text


def test_staff_enter_a_suggestion_with_proposers_from_the_roster(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    form_page = staff.get("/suggestions/new").text
    assert 'value="QS001"' in form_page and 'value="QS060"' in form_page and "镇村建办" in form_page
    data = {"csrf_token": csrf(staff), "township": "qingshan", "code": "B001", "title": "关于整治集镇占道经营的建议",
            "more_proposers": "QS010、QS999", "category": "城乡建设", "office": "镇综合执法队",
            "text": "集镇主街占道经营严重，建议加强管理。", "raised_on": "2027-02-10"}
    unknown = staff.post("/suggestions/new", data=data)
    assert unknown.status_code == 422 and "提出代表编号不在代表名册中：QS999" in unknown.text
    assert "关于整治集镇占道经营的建议" in unknown.text  # kept as typed
    taken = staff.post("/suggestions/new", data={**data, "code": "J001", "more_proposers": "QS010"})
    assert taken.status_code == 422 and "编号“J001”已被使用" in taken.text
    with session_scope(web.engine) as db:
        assert db.scalar(select(Suggestion).where(Suggestion.code == "B001")) is None
    ok = staff.post("/suggestions/new", data={**data, "more_proposers": "QS011", "proposers": ["QS010", "QS011"],
                                              "complex": "1"}, follow_redirects=False)
    assert ok.status_code == 303
    sid = int(ok.headers["location"].split("/")[2].split("?")[0])
    with session_scope(web.engine) as db:
        sg = db.get(Suggestion, sid)
        assert sg is not None
        assert (sg.code, sg.proposers, sg.office, sg.complex, sg.source, sg.raised_on, sg.state) == (
            "B001", ["QS011", "QS010"], "镇综合执法队", True, "interim", date(2027, 2, 10), "registered")
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "suggestion_registered"))
        assert event is not None and event.actor == "staff" and event.detail["code"] == "B001"
    detail = staff.get(ok.headers["location"]).text
    assert "已登记代表建议" in detail and "闭会期间提出" in detail and "集镇主街占道经营严重" in detail
    # raised between sessions, it is handed over on its own: the interim 交办函, 6 months (complex) from handover
    assert _hand_over(staff, "B001", on="2027-02-20", back=f"/suggestions/{sid}").status_code == 303
    assert _rounds(web, "B001")[0][2] == date(2027, 8, 20)
    assert f"交办/2027-02-20/交办函-镇综合执法队-{KEY}-闭会期间.docx" in _docs(web)


def test_approver_and_auditor_see_but_cannot_change_and_other_townships_get_404(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    _hand_over(staff, "J001")
    sid = _sid(web, "J001")
    posts = {"/suggestions/handover": {"township": "qingshan", "on": HANDOVER, "codes": "J002"},
             f"/suggestions/{sid}/reply": {"replied_on": "2027-02-01", "text": "答复"},
             f"/suggestions/{sid}/rating": {"rating": "满意", "rated_on": "2027-02-01"},
             "/suggestions/new": {"township": "qingshan", "code": "X1", "title": "t", "more_proposers": "QS001",
                                  "office": "o", "text": "x", "raised_on": "2027-02-01"}}
    letter = next(iter(_docs(web).values()))
    for name in ("approver", "auditor"):
        client = web.client(name)
        page = client.get(f"/sessions/{KEY}/suggestions")
        assert page.status_code == 200 and "J001" in page.text
        assert 'name="codes"' not in page.text and "登记新的代表建议" not in page.text
        detail = client.get(f"/suggestions/{sid}").text
        assert "J001" in detail and 'id="reply-form"' not in detail
        assert client.get(f"/suggestions/files/{letter.id}").status_code == 200
        assert client.get("/suggestions/new?township=qingshan").status_code == 403
        for path, data in posts.items():
            assert client.post(path, data={**data, "csrf_token": csrf(client)}).status_code == 403, (name, path)
    auditor = web.client("auditor").get("/suggestions").text
    assert '/suggestions?township=qingshan' in auditor and "J001" in auditor
    other = web.client("other")
    assert "J001" not in other.get("/suggestions").text
    assert other.get(f"/suggestions/{sid}").status_code == 404
    assert other.get(f"/suggestions/files/{letter.id}").status_code == 404
    assert other.get("/suggestions?township=qingshan").status_code == 404
    for path, data in posts.items():
        assert other.post(path, data={**data, "csrf_token": csrf(other)}).status_code == 404, path
    # nothing changed by any of them
    assert _rounds(web, "J001") == [(1, "open", date(2027, 4, 5), None, None, "staff")]
    assert _rounds(web, "J002") == []
    with session_scope(web.engine) as db:
        assert db.scalar(select(Suggestion).where(Suggestion.code == "X1")) is None


def test_every_suggestion_post_needs_the_csrf_token(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    sid = _sid(web, "J001")
    for token in (None, "forged", csrf(web.client("admin"))):
        data = {"township": "qingshan", "on": HANDOVER, "codes": "J001"} | ({"csrf_token": token} if token else {})
        assert staff.post("/suggestions/handover", data=data).status_code == 403
        assert staff.post(f"/suggestions/{sid}/reply", data={"replied_on": "2027-02-01", "text": "x",
                                                             **({"csrf_token": token} if token else {})}
                          ).status_code == 403
    assert _rounds(web, "J001") == []


def test_suggestions_the_session_step_handed_over_are_answered_from_the_dashboard(web: Web) -> None:
    from congress.lifecycle import operations as ops
    from congress.models import Document
    from tests.test_lifecycle import advance, give_all_inputs

    staff = web.client("staff")
    create_sample(staff)
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        assert session is not None
        give_all_inputs(db, session)
        assert advance(db, web.settings)[-1] == ("followup", "done")
    with session_scope(web.engine) as db:
        step_due = db.scalar(select(Suggestion.due_on).where(Suggestion.code == "J001"))
        letter = db.scalar(select(Document).where(Document.kind == "handover_letter",
                                                  Document.path.like("%交办函-镇村建办.docx")))
        assert step_due is not None and letter is not None
        letter_id = letter.id
    # the step set state and deadline but opened no round: the list and page show its handover
    row = _row(staff.get(f"/sessions/{KEY}/suggestions").text, "J001")
    assert "办理中" in row and f'data-due="{step_due.isoformat()}"' in row and 'name="codes"' not in row
    sid = _sid(web, "J001")
    detail = staff.get(f"/suggestions/{sid}").text
    assert f'href="/sessions/{KEY}/files/{letter_id}"' in detail and 'id="reply-form"' in detail
    ok = staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-02-01",
                                                       "text": "已列入养护计划。"}, follow_redirects=False)
    assert ok.status_code == 303
    rounds = _rounds(web, "J001")
    assert rounds[0][:4] == (1, "replied", step_due, date(2027, 2, 1)) and rounds[0][5] == "staff"
