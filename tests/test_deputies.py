"""The deputies' own page (/d/<token>) and its staff pages through FastAPI's TestClient on SQLite and
PostgreSQL: the personal link (404 with nothing when wrong or revoked), the sittings, the released
materials, the calendar through the link, suggestions with a photo (type by magic bytes, size cap),
co-signing a motion to the LOL 第二十二条 threshold, rating a reply through the follow-up operation
(不满意 opens another round as staff entry does), the audit naming the deputy, CSRF and the rate limit.

The sample session (config/sample, Zhejiang) closes on 2026-12-23; J001 is QS009's and QS015's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from congress import limits
from congress.db import session_scope
from congress.deputies import links
from congress.deputies import operations as dops
from congress.documents.pdf import soffice_binary
from congress.models import AuditEvent, Deputy, DeputyLink, HandlingRound, MotionDraft, Suggestion, Township

# ruff: noqa: F811  (the `web` fixture is imported from tests/test_web.py and taken as an argument)
from tests.test_web import KEY, Web, create_sample, csrf, web  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
ONE_PAGE_PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] "
                b"/Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
                b"trailer\n<< /Size 4 /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture
def site(web: Web) -> Iterator[tuple[Web, TestClient, dict[str, str]]]:
    """The sample session created by staff, every deputy's link issued from the staff page; tokens by code."""
    staff = web.client("staff")
    create_sample(staff)
    issued = staff.post("/townships/qingshan/deputies/links", data={"csrf_token": csrf(staff), "action": "missing"},
                        follow_redirects=False)
    assert issued.status_code == 303
    with session_scope(web.engine) as db:
        township = db.scalar(select(Township).where(Township.code == "qingshan"))
        assert township is not None
        tokens = {r.deputy.code: r.token for r in links.township_links(db, township, web.settings) if r.token}
    assert len(tokens) == 60
    yield web, staff, tokens


def phone(web: Web, today: date) -> TestClient:
    client = web.client()
    client.app.state.clock = lambda: today  # type: ignore[attr-defined]
    return client


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def audit_actions(web: Web, action: str) -> list[AuditEvent]:
    with session_scope(web.engine) as db:
        events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        db.expunge_all()
    return events


def test_the_page_shows_the_sittings_and_subscription_and_a_bad_link_shows_nothing(site) -> None:  # type: ignore[no-untyped-def]
    web, staff, tokens = site
    client = phone(web, date(2026, 12, 10))
    page = client.get(f"/d/{tokens['QS009']}")
    assert page.status_code == 200
    text = page.text
    assert "何振东代表" in text and "青山镇第十八届人民代表大会第三次会议" in text
    assert "预备会议" in text and "三楼大会议室" in text and "2026年12月22日" in text
    assert f'href="webcal://testserver/d/{tokens["QS009"]}/calendar.ics"' not in text  # the setting, not the request
    assert re.search(r'href="webcal://127\.0\.0\.1:8000/d/[^"]+/calendar\.ics"', text)
    assert 'src="data:image/png;base64,' in text
    assert "<script" not in text and "style=" not in text
    # the calendar through the link is the deputy's feed
    feed = client.get(f"/d/{tokens['QS009']}/calendar.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    # (the session's entries are written by its notices step; before it the feed is the deputy's, empty)
    assert b"BEGIN:VCALENDAR" in feed.content and "何振东".encode() in feed.content
    # wrong, truncated or revoked: a bare 404, whatever follows
    for bad in ("x" * 43, tokens["QS009"][:-1], tokens["QS009"] + "A", "y" * 500):
        for path in ("", "/calendar.ics", "/materials/1", "/suggestions/1/reply.pdf"):
            answer = client.get(f"/d/{bad}{path}")
            assert answer.status_code == 404 and answer.content == b"", (bad, path)
    revoked = staff.post("/townships/qingshan/deputies/links",
                         data={"csrf_token": csrf(staff), "deputy": "QS009", "action": "revoke"}, follow_redirects=False)
    assert revoked.status_code == 303
    for path in ("", "/calendar.ics"):
        gone = client.get(f"/d/{tokens['QS009']}{path}")
        assert gone.status_code == 404 and gone.content == b""
    assert [e.detail["deputy"] for e in audit_actions(web, "deputy_link_revoked")] == ["QS009"]
    # re-issued: a new token; the staff page lists it by its first characters only
    staff.post("/townships/qingshan/deputies/links",
               data={"csrf_token": csrf(staff), "deputy": "QS009", "action": "reissue"}, follow_redirects=False)
    with session_scope(web.engine) as db:
        deputy = db.scalar(select(Deputy).where(Deputy.code == "QS009"))
        link = links.current_link(db, deputy)  # type: ignore[arg-type]
        assert link is not None
        new = links.token_of(link, web.settings)
    assert new and new != tokens["QS009"]
    assert client.get(f"/d/{new}").status_code == 200


def test_a_suggestion_from_the_phone_is_registered_with_the_deputy_and_audited(site) -> None:  # type: ignore[no-untyped-def]
    web, staff, tokens = site
    client = phone(web, date(2027, 1, 8))
    url = f"/d/{tokens['QS022']}"
    token = form_token(client.get(url).text)
    fields = {"title": "关于整修村口桥梁的建议", "text": "村口石桥栏杆松动，雨季行人有安全隐患。", "category": "城乡建设"}
    # without the form token: refused, nothing stored
    assert client.post(f"{url}/suggestions", data=fields, follow_redirects=False).status_code == 403
    # a text file named .jpg is not a photo
    fake = client.post(f"{url}/suggestions", data={**fields, "csrf_token": token},
                       files={"photo": ("稿子.jpg", b"not an image", "image/jpeg")}, follow_redirects=False)
    assert fake.status_code == 422 and "常见图片" in fake.text
    big = client.post(f"{url}/suggestions", data={**fields, "csrf_token": token},
                      files={"photo": ("稿子.jpg", JPEG + b"\0" * limits.MAX_FILE_BYTES["photo"], "image/jpeg")},
                      follow_redirects=False)
    assert big.status_code == 413
    bad_category = client.post(f"{url}/suggestions", data={**fields, "category": "随便", "csrf_token": token},
                               follow_redirects=False)
    assert bad_category.status_code == 422
    with session_scope(web.engine) as db:
        assert db.scalar(select(Suggestion).where(Suggestion.title == fields["title"])) is None
    ok = client.post(f"{url}/suggestions", data={**fields, "csrf_token": token},
                     files={"photo": ("稿子.png", PNG, "image/png")}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].endswith("?notice=submitted#mine")
    with session_scope(web.engine) as db:
        sg = db.scalar(select(Suggestion).where(Suggestion.title == fields["title"]))
        assert sg is not None
        assert sg.proposers == ["QS022"] and sg.category == "城乡建设" and sg.source == "interim"
        assert sg.code == "D2027001" and sg.office == "镇村建办"  # the office last given this category
        code = sg.code
    events = audit_actions(web, "suggestion_registered")
    assert events[-1].actor == "代表：祝海燕（链接）" or events[-1].actor.startswith("代表：")
    submitted = audit_actions(web, "deputy_suggestion_submitted")[-1]
    assert submitted.detail["deputy"] == "QS022" and submitted.detail["photo_sha256"]
    page = client.get(url).text
    assert code in page and "关于整修村口桥梁的建议" in page and "镇村建办" in page
    # only the deputy's own suggestions: another deputy's page does not list it
    assert code not in client.get(f"/d/{tokens['QS023']}").text
    # staff see it with the others and can change its office before handover
    changed = staff.post("/townships/qingshan/deputies/office",
                         data={"csrf_token": csrf(staff), "code": code, "office": "镇交通办"}, follow_redirects=False)
    assert changed.status_code == 303
    with session_scope(web.engine) as db:
        assert db.scalar(select(Suggestion.office).where(Suggestion.code == code)) == "镇交通办"
    # a photo of exactly the cap is taken
    full = JPEG + b"\0" * (limits.MAX_FILE_BYTES["photo"] - len(JPEG))
    assert client.post(f"{url}/suggestions", data={**fields, "title": "关于村口路灯的建议", "csrf_token": token},
                       files={"photo": ("稿子.jpg", full, "image/jpeg")}, follow_redirects=False).status_code == 303
    listing = staff.get("/townships/qingshan/deputies").text
    photos = re.findall(r'href="(/townships/qingshan/deputies/photos/\d+)"', listing)
    assert len(photos) == 2 and f'data-code="{code}"' in listing
    shown = {staff.get(p).content: staff.get(p).headers["content-type"] for p in photos}
    assert shown == {PNG: "image/png", full: "image/jpeg"}
    assert web.client("other").get(photos[0]).status_code == 404


def test_a_motion_reaches_staff_at_five_sponsors_counted_live(site) -> None:  # type: ignore[no-untyped-def]
    web, staff, tokens = site
    client = phone(web, date(2026, 12, 10))
    starter = f"/d/{tokens['QS001']}"
    page = client.get(starter).text
    started = client.post(f"{starter}/motions", data={"csrf_token": form_token(page), "title": "关于设立村级养老基金的议案",
                                                      "text": "建议设立村级养老互助基金。"}, follow_redirects=False)
    assert started.status_code == 303
    with session_scope(web.engine) as db:
        motion = db.scalar(select(MotionDraft))
        assert motion is not None and motion.sponsors == ["QS001"] and motion.state == "collecting"
        motion_id = motion.id
    for n, code in enumerate(("QS002", "QS003", "QS004"), start=2):
        url = f"/d/{tokens[code]}"
        answer = client.post(f"{url}/motions/{motion_id}/cosign", data={"csrf_token": form_token(client.get(url).text)},
                             follow_redirects=False)
        assert answer.status_code == 303
        with session_scope(web.engine) as db:
            motion = db.get(MotionDraft, motion_id)
            assert motion is not None and len(motion.sponsors) == n and motion.state == "collecting"
    assert not audit_actions(web, "deputy_motion_submitted")
    assert "代表联名议案" in staff.get("/townships/qingshan/deputies").text
    # twice by the same deputy: refused
    url = f"/d/{tokens['QS004']}"
    again = client.post(f"{url}/motions/{motion_id}/cosign", data={"csrf_token": form_token(client.get(url).text)})
    assert again.status_code == 422 and "已联名" in again.text
    url = f"/d/{tokens['QS005']}"
    fifth = client.post(f"{url}/motions/{motion_id}/cosign", data={"csrf_token": form_token(client.get(url).text)},
                        follow_redirects=False)
    assert fifth.status_code == 303
    with session_scope(web.engine) as db:
        motion = db.get(MotionDraft, motion_id)
        assert motion is not None and motion.state == "submitted"
    [event] = audit_actions(web, "deputy_motion_submitted")
    assert event.detail["required"] == 5 and "第二十二条" in event.detail["citation"]
    assert event.actor.startswith("代表：") and event.detail["sponsors"] == ["QS001", "QS002", "QS003", "QS004", "QS005"]
    assert 'data-state="submitted"' in staff.get("/townships/qingshan/deputies").text


def test_a_deputy_with_an_ended_mandate_is_not_counted(site) -> None:  # type: ignore[no-untyped-def]
    web, _staff, tokens = site
    with session_scope(web.engine) as db:
        township = db.scalar(select(Township).where(Township.code == "qingshan"))
        links_by_code = {r.deputy.code: r.link for r in links.township_links(db, township, web.settings)}  # type: ignore[arg-type]
        from congress.lifecycle import operations as ops

        session = ops.get_session(db, KEY)
        assert session is not None
        motion = dops.start_motion(db, link=links_by_code["QS001"], session=session, title="关于某事的议案", text="内容")  # type: ignore[arg-type]
        for code in ("QS002", "QS003", "QS004"):
            dops.cosign(db, link=links_by_code[code], motion_id=motion.id)  # type: ignore[arg-type]
        ended = db.scalar(select(Deputy).where(Deputy.code == "QS002"))
        assert ended is not None
        ended.status = "ended"
        dops.cosign(db, link=links_by_code["QS005"], motion_id=motion.id)  # type: ignore[arg-type]
        assert motion.state == "collecting"  # five names, four mandates standing
        dops.cosign(db, link=links_by_code["QS006"], motion_id=motion.id)  # type: ignore[arg-type]
        assert motion.state == "submitted"


def test_rating_from_the_phone_drives_rehandling_as_staff_entry_does(site) -> None:  # type: ignore[no-untyped-def]
    web, staff, tokens = site
    handed = staff.post("/suggestions/handover", data={"csrf_token": csrf(staff), "township": "qingshan",
                                                      "on": "2027-01-05", "codes": ["J001"], "back": "/suggestions"},
                        follow_redirects=False)
    assert handed.status_code == 303
    with session_scope(web.engine) as db:
        sid = db.scalar(select(Suggestion.id).where(Suggestion.code == "J001"))
    replied = staff.post(f"/suggestions/{sid}/reply", data={"csrf_token": csrf(staff), "replied_on": "2027-03-20",
                                                            "text": "已列入明年村道修缮计划。"}, follow_redirects=False)
    assert replied.status_code == 303
    mine = f"/d/{tokens['QS009']}"
    # another proposer's page shows it; a deputy who is not a proposer cannot rate it (404, nothing)
    late = phone(web, date(2027, 4, 20))  # 31 days after the reply: the window (30 days) has passed
    page = late.get(mine).text
    assert "已列入明年村道修缮计划" in page and "提交测评" not in page
    refused = late.post(f"{mine}/suggestions/{sid}/rating", data={"csrf_token": form_token(page), "rating": "满意"})
    assert refused.status_code == 422 and "届满" in refused.text
    client = phone(web, date(2027, 3, 25))
    other = f"/d/{tokens['QS010']}"
    stranger = client.post(f"{other}/suggestions/{sid}/rating",
                           data={"csrf_token": form_token(client.get(other).text), "rating": "满意"})
    assert stranger.status_code == 404 and stranger.content == b""
    page = client.get(mine).text
    assert "提交测评" in page and "2027年4月19日前" in page
    if soffice_binary():
        letter = client.get(f"{mine}/suggestions/{sid}/reply.pdf")
        assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
        assert client.get(f"/d/{tokens['QS010']}/suggestions/{sid}/reply.pdf").status_code == 404
    rated = client.post(f"{mine}/suggestions/{sid}/rating",
                        data={"csrf_token": form_token(page), "rating": "不满意", "comment": "没有说明开工时间"},
                        follow_redirects=False)
    assert rated.status_code == 303 and "notice=rehandled" in rated.headers["location"]
    with session_scope(web.engine) as db:
        rounds = list(db.scalars(select(HandlingRound).where(HandlingRound.suggestion_id == sid)
                                 .order_by(HandlingRound.number)))
        assert [(r.number, r.state, r.rating) for r in rounds] == [(1, "closed", "unsatisfied"), (2, "open", None)]
        assert rounds[0].rating_comment == "没有说明开工时间" and rounds[0].rated_on == date(2027, 3, 25)
        assert rounds[1].due_on == date(2027, 4, 25)  # suggestion_rehandling: one month, as staff entry gives
        assert rounds[1].handed_over_by == "代表：何振东（链接）"
    [event] = audit_actions(web, "rating_recorded")
    assert event.actor == "代表：何振东（链接）" and event.detail["rehandled"] is True
    assert audit_actions(web, "deputy_rating_entered")[0].detail["deputy"] == "QS009"
    # the staff register shows the rating as entered
    assert "不满意" in staff.get(f"/suggestions/{sid}").text
    assert "第2次办理" in client.get(mine).text


def test_materials_are_seen_only_once_released(site) -> None:  # type: ignore[no-untyped-def]
    web, staff, tokens = site
    url = f"/sessions/{KEY}/materials"
    wrong = staff.post(url, data={"csrf_token": csrf(staff), "title": "政府工作报告"},
                       files={"file": ("报告.pdf", b"PK\x03\x04 a docx", "application/pdf")})
    assert wrong.status_code == 422 and "PDF" in wrong.text
    added = staff.post(url, data={"csrf_token": csrf(staff), "title": "政府工作报告"},
                       files={"file": ("报告.pdf", ONE_PAGE_PDF, "application/pdf")}, follow_redirects=False)
    assert added.status_code == 303
    client = phone(web, date(2026, 12, 20))
    page = client.get(f"/d/{tokens['QS001']}").text
    assert "政府工作报告" not in page
    with session_scope(web.engine) as db:
        from congress.models import DeputyMaterial

        material_id = db.scalar(select(DeputyMaterial.id))
    assert client.get(f"/d/{tokens['QS001']}/materials/{material_id}").status_code == 404
    released = staff.post(f"{url}/release", data={"csrf_token": csrf(staff)}, follow_redirects=False)
    assert released.status_code == 303
    page = client.get(f"/d/{tokens['QS001']}").text
    assert "政府工作报告（PDF）" in page
    pdf = client.get(f"/d/{tokens['QS001']}/materials/{material_id}")
    assert pdf.status_code == 200 and pdf.content == ONE_PAGE_PDF
    [event] = audit_actions(web, "deputy_materials_released")
    assert event.actor == "staff" and event.detail["materials"][0]["title"] == "政府工作报告"
    again = staff.post(f"{url}/release", data={"csrf_token": csrf(staff)})
    assert again.status_code == 422


def test_writes_per_link_are_rate_limited(site) -> None:  # type: ignore[no-untyped-def]
    web, _staff, tokens = site
    client = phone(web, date(2027, 1, 8))
    url = f"/d/{tokens['QS030']}"
    token = form_token(client.get(url).text)
    for n in range(dops.WRITES_PER_HOUR):
        answer = client.post(f"{url}/suggestions", data={"csrf_token": token, "title": f"建议{n}", "text": "内容",
                                                         "category": "其他"}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
    over = client.post(f"{url}/suggestions", data={"csrf_token": token, "title": "再一条", "text": "内容",
                                                   "category": "其他"})
    assert over.status_code == 429 and "提交过于频繁" in over.text
    # another deputy's link is not limited by this one's
    other = f"/d/{tokens['QS031']}"
    assert client.post(f"{other}/suggestions", data={"csrf_token": form_token(client.get(other).text), "title": "建议",
                                                     "text": "内容", "category": "其他"},
                       follow_redirects=False).status_code == 303


def test_links_are_hashed_revocable_and_the_same_token_comes_back(web: Web) -> None:
    staff = web.client("staff")
    create_sample(staff)
    with session_scope(web.engine) as db:
        deputy = db.scalar(select(Deputy).where(Deputy.code == "QS001"))
        assert deputy is not None
        link, token = links.ensure(db, deputy=deputy, actor="test", settings=web.settings)
        again, same = links.ensure(db, deputy=deputy, actor="test", settings=web.settings)
        assert again.id == link.id and same == token
        row = db.scalar(select(DeputyLink))
        assert row is not None and token not in repr([getattr(row, c.key) for c in DeputyLink.__table__.columns])
        assert links.resolve(db, token) is not None and links.resolve(db, token + "x") is None
        # another secret key: the stored link can no longer be shown, so ensure issues a new one
        from congress.settings import Settings

        other = Settings(database_url=web.settings.database_url, secret_key="another-secret-key-" + "x" * 20)
        assert links.token_of(link, other) is None
        fresh, new = links.ensure(db, deputy=deputy, actor="test", settings=other)
        assert fresh.id != link.id and link.revoked_at is not None and links.resolve(db, token) is None
        assert links.qr_png("https://x/d/" + new) == links.qr_png("https://x/d/" + new)


def test_staff_pages_need_the_township(site) -> None:  # type: ignore[no-untyped-def]
    web, _staff, _tokens = site
    other = web.client("other")
    assert other.get("/townships/qingshan/deputies").status_code == 404
    assert other.get(f"/sessions/{KEY}/materials").status_code == 404
    approver = web.client("approver")
    assert approver.get("/townships/qingshan/deputies").status_code == 200
    refused = approver.post("/townships/qingshan/deputies/links",
                            data={"csrf_token": csrf(approver), "action": "missing"})
    assert refused.status_code == 403


def test_the_notice_carries_the_deputys_link_as_a_qr_code_the_same_on_every_run(web: Web) -> None:
    import io
    import subprocess
    import zipfile

    from docx import Document as Docx

    from congress.documents import pdf as pdfs
    from congress.documents.builder import markup_to_docx
    from congress.lifecycle import operations as ops
    from congress.lifecycle.steps import run_step

    staff = web.client("staff")
    create_sample(staff)
    settings = web.settings.model_copy(update={"deputy_base_url": "https://rd.qingshan.gov.cn"})
    with session_scope(web.engine) as db:
        session = ops.get_session(db, KEY)
        ops.record_party_decision(db, session, subject="plan", decision="approved", approver="党委书记",  # type: ignore[arg-type]
                                  comments="", decided_on=date(2026, 12, 2), actor="approver")
    for step in ("plan", "party_approval", "presidium_decision", "notices"):
        with session_scope(web.engine) as db:
            assert run_step(db, KEY, step, actor="test", settings=settings).status == "done", step
    with session_scope(web.engine) as db:
        deputy = db.scalar(select(Deputy).where(Deputy.code == "QS001"))
        assert deputy is not None
        link, token = links.ensure(db, deputy=deputy, actor="test", settings=settings)
        assert len(list(db.scalars(select(DeputyLink)))) == 60  # one per deputy, issued by the step
        root = Path(ops.get_session(db, KEY).output_dir)  # type: ignore[union-attr]
    path = root / "04-notices" / "会议通知-QS001-王建华.docx"
    expected = links.qr_png(f"https://rd.qingshan.gov.cn/d/{token}")
    with zipfile.ZipFile(path) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert [z.read(n) for n in media] == [expected]
    text = "\n".join(p.text for p in Docx(str(path)).paragraphs)
    assert "扫码查看会议安排、材料，提交建议" in text and token not in text
    # the same inputs give the same bytes (the step's own guarantee), the picture included
    markup = "# 标题\n正文\n@@ qr 说明\n"
    created = datetime(2026, 12, 8, 1, tzinfo=UTC)
    one = markup_to_docx(markup, title="t", author="a", created=created, images={"qr": expected})
    assert one == markup_to_docx(markup, title="t", author="a", created=created, images={"qr": expected})
    assert b"word/media/" not in markup_to_docx(markup, title="t", author="a", created=created)
    assert zipfile.ZipFile(io.BytesIO(one)).namelist().count("word/media/image1.png") == 1
    # the PDF is made from the .docx, so it carries the code too
    if pdfs.soffice_binary():
        made, _ = pdfs.convert_to_pdf([path])
        pdf_file = path.with_suffix(".test.pdf")
        pdf_file.write_bytes(made[path])
        listing = subprocess.run(["pdfimages", "-list", str(pdf_file)], capture_output=True, text=True, check=True)
        assert len(listing.stdout.strip().splitlines()) == 3  # two header lines and one image
        assert "扫码查看会议安排" in subprocess.run(["pdftotext", str(pdf_file), "-"], capture_output=True, text=True,
                                                  check=True).stdout
    assert link.revoked_at is None


def test_the_cli_lists_and_reissues_links(tmp_path: Path) -> None:
    from tests.test_cli import congress

    assert congress("load", str(Path(__file__).parents[1] / "config" / "sample" / "session.yaml"),
                    cwd=tmp_path).returncode == 0
    empty = congress("deputies", "links", "qingshan", cwd=tmp_path)
    assert empty.returncode == 0 and "青山镇第十八届代表个人链接（60名）" in empty.stdout
    assert "无有效链接" in empty.stdout
    env = {"CONGRESS_DEPUTY_BASE_URL": "https://rd.qingshan.gov.cn"}
    one = congress("deputies", "links", "qingshan-18-3", "--reissue", "QS001", cwd=tmp_path, env=env)
    assert one.returncode == 0 and "已为1名代表重新生成" in one.stdout
    url = re.search(r"QS001\s+王建华\s+(https://rd\.qingshan\.gov\.cn/d/\S+)", one.stdout)
    assert url
    listed = congress("deputies", "links", "qingshan", cwd=tmp_path, env=env)
    assert url.group(1) in listed.stdout  # shown again: the same link
    again = congress("deputies", "links", "qingshan", "--reissue", "QS001", cwd=tmp_path, env=env)
    assert url.group(1) not in again.stdout
    assert congress("deputies", "links", "qingshan", "--reissue", "QS999", cwd=tmp_path).returncode == 1
    assert congress("deputies", "links", "qingshan", "--reissue", "QS001", "--all", cwd=tmp_path).returncode == 2
    everyone = congress("deputies", "links", "qingshan", "--all", cwd=tmp_path)
    assert everyone.returncode == 0 and "已为60名代表重新生成" in everyone.stdout


def test_a_new_term_reissues_the_persons_link(web: Web) -> None:
    """The same person (name and phone) in the next term gets a new link; the old term's stops working."""
    from congress.inputs import load_session_file
    from congress.lifecycle import operations as ops

    staff = web.client("staff")
    create_sample(staff)
    with session_scope(web.engine) as db:
        old = db.scalar(select(Deputy).where(Deputy.code == "QS001"))
        assert old is not None
        _, old_token = links.ensure(db, deputy=old, actor="test", settings=web.settings)
        ops.load_session(db, spec=load_session_file(Path(__file__).parents[1] / "config" / "sample-first-term"
                                                    / "session.yaml"),
                         actor="test", output_root=web.settings.output_dir)
    with session_scope(web.engine) as db:
        new = db.scalar(select(Deputy).where(Deputy.code == "QS001", Deputy.term_id != old.term_id))
        assert new is not None and new.name == old.name
        _, new_token = links.ensure(db, deputy=new, actor="test", settings=web.settings)
        assert new_token != old_token
        assert links.resolve(db, old_token) is None
        assert links.resolve(db, new_token).deputy_id == new.id  # type: ignore[union-attr]
