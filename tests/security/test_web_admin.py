"""The admin page (issue 9, item 1, its dashboard side): a township's template folder is chosen from the
folders under the configured root — never typed — checked when it is set (errors name the file and
line), and audited; log-ins refused for too many failures are listed with an unlock button."""

from __future__ import annotations

import shutil

from sqlalchemy import select

from congress.models import AuditEvent, Township
from congress.settings import REPO_ROOT
from congress.web import accounts
from tests.security.conftest import TOWNSHIP_A, Site, create_sample, csrf


def _township(site: Site) -> Township:
    with site.db() as db:
        township = db.scalar(select(Township).where(Township.code == TOWNSHIP_A))
        assert township is not None
        db.expunge(township)
    return township


def test_admin_sets_checks_and_clears_a_township_template_folder(sqlite_site: Site) -> None:
    site = sqlite_site
    create_sample(site.client("staff_a"))
    root = site.settings.template_overrides_dir
    (root / "qingshan-2026").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "templates" / "documents" / "notice.md.j2", root / "qingshan-2026" / "notice.md.j2")
    (root / "broken").mkdir()
    (root / "broken" / "notice.md.j2").write_text("第一行\n{{ deputy.name \n", encoding="utf-8")
    admin = site.client("admin")
    page = admin.get("/admin")
    assert page.status_code == 200
    assert '<option value="qingshan-2026">' in page.text and '<option value="broken">' in page.text
    token = csrf(admin)
    url = f"/admin/townships/{TOWNSHIP_A}/templates"

    broken = admin.post(url, data={"csrf_token": token, "folder": "broken"})
    assert broken.status_code == 422 and "broken/notice.md.j2" in broken.text and "模板语法错误" in broken.text
    assert _township(site).templates_dir is None

    forged = admin.post(url, data={"csrf_token": token, "folder": "../../etc"})
    assert forged.status_code == 422 and "请从列表中选择" in forged.text
    assert _township(site).templates_dir is None

    good = admin.post(url, data={"csrf_token": token, "folder": "qingshan-2026"}, follow_redirects=False)
    assert good.status_code == 303 and _township(site).templates_dir == "qingshan-2026"
    assert '<option value="qingshan-2026" selected>' in admin.get("/admin").text
    cleared = admin.post(url, data={"csrf_token": token, "folder": ""}, follow_redirects=False)
    assert cleared.status_code == 303 and _township(site).templates_dir is None
    with site.db() as db:
        actions = [(e.action, e.actor) for e in db.scalars(select(AuditEvent).where(
            AuditEvent.action.like("township_templates_%")).order_by(AuditEvent.id))]
    assert actions == [("township_templates_set", "admin"), ("township_templates_cleared", "admin")]


def test_admin_page_lists_locked_accounts_and_addresses_and_unlocks_an_address(sqlite_site: Site) -> None:
    site = sqlite_site
    admin = site.client("admin")
    with site.db() as db:
        for _ in range(10):
            accounts.record_login_failure(db, username="approver_a", address="192.0.2.50")
    page = admin.get("/admin").text
    assert "approver_a名" in page and "已锁定" in page and "192.0.2.50" in page
    response = admin.post("/admin/unlock", data={"csrf_token": csrf(admin), "address": "192.0.2.50"},
                          follow_redirects=False)
    assert response.status_code == 303
    with site.db() as db:
        assert accounts.login_throttle(db, username="nobody", address="192.0.2.50") is None
        # clearing the address cleared those rows: the account is free too
        assert accounts.login_throttle(db, username="approver_a", address="elsewhere") is None
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "login_unlocked"))
        assert event is not None and event.actor == "admin" and event.detail["address"] == "192.0.2.50"
    assert admin.post("/admin/unlock", data={"csrf_token": csrf(admin)}).status_code == 422
