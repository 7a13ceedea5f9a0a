"""The administrator's page in the browser, on SQLite and PostgreSQL: townships, accounts (created with a
temporary password changed at the first log-in, disabled, reset, given another role), calendar feed
addresses (issued once, revoked), every change audited with the administrator as the actor."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from congress.db import session_scope
from congress.models import AuditEvent, Township, User
from tests.test_web import PASSWORD, Web, create_sample, csrf, login, web  # noqa: F401  (the fixture)

NEW_PASSWORD = "Xiangzhen-renda-2027"


def _actions(web: Web, actor: str = "admin") -> list[str]:  # noqa: F811
    with session_scope(web.engine) as db:
        return list(db.scalars(select(AuditEvent.action).where(AuditEvent.actor == actor).order_by(AuditEvent.id)))


def _temporary(page: str) -> str:
    found = re.search(r'id="temporary-password">[^<]*<code>([^<]+)</code>', page)
    assert found, page[:3000]
    return found.group(1)


def test_a_new_township_and_an_account_that_chooses_its_own_password(web: Web) -> None:  # noqa: F811
    admin = web.client("admin")
    token = csrf(admin)
    refused = admin.post("/admin/townships", data={"csrf_token": token, "code": "Bai Shi", "name": "白石镇",
                                                   "profile": "zhejiang"})
    assert refused.status_code == 422 and "乡镇代码用小写拼音" in refused.text and 'value="白石镇"' in refused.text
    made = admin.post("/admin/townships", data={"csrf_token": token, "code": "baishi2", "name": "白石镇",
                                                "county": "云溪县", "profile": "zhejiang"}, follow_redirects=False)
    assert made.status_code == 303
    with session_scope(web.engine) as db:
        township = db.scalar(select(Township).where(Township.code == "baishi2"))
        assert township is not None and township.party_committee == "中共白石镇委员会"
    changed = admin.post("/admin/townships/baishi2", data={"csrf_token": token, "name": "白石乡", "county": "云溪县",
                                                           "profile": "national"}, follow_redirects=False)
    assert changed.status_code == 303

    page = admin.post("/admin/users", data={"csrf_token": token, "username": "wangxs", "display_name": "王晓舒",
                                            "role": "staff", "township": "baishi2"})
    assert page.status_code == 200 and "只显示这一次" in page.text
    temporary = _temporary(page.text)
    assert temporary not in admin.get("/admin").text  # shown once
    with session_scope(web.engine) as db:
        user = db.scalar(select(User).where(User.username == "wangxs"))
        assert user is not None and user.must_change_password and user.township_code == "baishi2"

    # the first log-in leads to the password form; nothing else is reachable until it is changed
    staff = TestClient(web.client().app)
    assert login(staff, "wangxs", temporary).status_code == 303
    assert staff.get("/sessions", follow_redirects=False).headers["location"] == "/account/password"
    form = staff.get("/account/password").text
    assert 'id="must-change"' in form
    token = re.search(r'name="csrf-token" content="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert staff.post("/sessions/sample", data={"csrf_token": token}).status_code == 403
    weak = staff.post("/account/password", data={"csrf_token": token, "current": temporary, "new": "1234567890",
                                                 "again": "1234567890"})
    assert weak.status_code == 422 and 'id="password-error"' in weak.text  # the password policy, in Chinese
    done = staff.post("/account/password", data={"csrf_token": token, "current": temporary, "new": NEW_PASSWORD,
                                                 "again": NEW_PASSWORD}, follow_redirects=False)
    assert done.status_code == 303
    assert staff.get("/sessions").status_code == 200
    assert "白石乡" in staff.get("/sessions").text  # the header names the township
    assert {"township_saved", "user_created", "password_reset"} <= set(_actions(web))
    assert "password_changed" in _actions(web, "wangxs")


def test_disable_reset_and_change_role(web: Web) -> None:  # noqa: F811
    admin, staff = web.client("admin"), web.client("staff")
    create_sample(staff)
    token = csrf(admin)
    assert admin.post("/admin/users/staff/active", data={"csrf_token": token, "active": "0"},
                      follow_redirects=False).status_code == 303
    assert staff.get("/sessions", follow_redirects=False).status_code == 303  # its log-in ended
    assert login(TestClient(staff.app), "staff", PASSWORD).status_code == 401
    assert admin.post("/admin/users/staff/active", data={"csrf_token": token, "active": "1"},
                      follow_redirects=False).status_code == 303

    reset = admin.post("/admin/users/staff/password", data={"csrf_token": token, "confirm": "1"})
    temporary = _temporary(reset.text)
    fresh = TestClient(staff.app)
    assert login(fresh, "staff", PASSWORD).status_code == 401  # the old password is gone
    assert login(fresh, "staff", temporary).status_code == 303
    assert fresh.get("/sessions", follow_redirects=False).headers["location"] == "/account/password"

    moved = admin.post("/admin/users/approver", data={"csrf_token": token, "display_name": "张书记", "role": "auditor",
                                                      "township": ""}, follow_redirects=False)
    assert moved.status_code == 303
    with session_scope(web.engine) as db:
        approver = db.scalar(select(User).where(User.username == "approver"))
        assert approver is not None and (approver.role, approver.township_code) == ("auditor", None)
    # the last administrator cannot take their own rights away
    last = admin.post("/admin/users/admin", data={"csrf_token": token, "display_name": "管理员", "role": "staff",
                                                  "township": "qingshan"})
    assert last.status_code == 422 and "最后一个" in last.text
    assert {"user_disabled", "user_enabled", "password_reset", "user_updated"} <= set(_actions(web))


def test_feed_addresses_are_shown_once_and_revoked(web: Web) -> None:  # noqa: F811
    admin = web.client("admin")
    create_sample(web.client("staff"))
    token = csrf(admin)
    page = admin.post("/admin/feeds", data={"csrf_token": token, "township": "qingshan", "kind": "deputy",
                                            "deputy": "QS001"})
    url = re.search(r'id="feed-url">[^<]*<code>([^<]+)</code>', page.text).group(1)  # type: ignore[union-attr]
    path = url.split("127.0.0.1:8000")[1]
    assert admin.get(path).status_code == 200 and b"BEGIN:VCALENDAR" in admin.get(path).content
    assert url not in admin.get("/admin").text
    missing = admin.post("/admin/feeds", data={"csrf_token": token, "township": "qingshan", "kind": "deputy",
                                               "deputy": "QS999"})
    assert missing.status_code == 422 and "QS999" in missing.text
    listing = admin.get("/admin").text
    revoke = re.search(r'action="(/admin/feeds/\d+/revoke)"', listing).group(1)  # type: ignore[union-attr]
    assert admin.post(revoke, data={"csrf_token": token, "confirm": "1"}, follow_redirects=False).status_code == 303
    assert admin.get(path).status_code == 404
    assert {"feed_token_issued", "feed_token_revoked"} <= set(_actions(web))
