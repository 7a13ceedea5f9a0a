"""The deputies' own page in Debian's Chromium at a phone's viewport (360×740, touch): the page a deputy
opens by scanning the QR code on their 会议通知 (here: its address), the calendar subscription link, a
suggestion with a photo of the paper draft, a motion co-signed by five deputies on five phones (it reaches
staff at the fifth, LOL 第二十二条), and a rating of 不满意 that opens another round — which the staff's
follow-up pages then show. The dashboard is served by uvicorn (tests/e2e/deputy_app.py fixes the server's
day). Screenshots go to the test's tmp folder (printed); with CONGRESS_SCREENSHOTS=docs
docs/screenshots/deputy-*.png are refreshed as well.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from congress.db import make_engine, session_scope
from congress.deputies import links
from congress.followup import operations as fops
from congress.inputs import load_session_file
from congress.lifecycle import operations as ops
from congress.models import Deputy, Suggestion, Township
from congress.settings import REPO_ROOT, Settings
from congress.web import accounts
from tests.conftest import SAMPLE, new_database
from tests.servers import background_server, free_port
from tests.test_web import PASSWORD

pytestmark = pytest.mark.flow
CHROMIUM = Path("/usr/bin/chromium")
KEY = "qingshan-18-3"
TODAY = "2027-03-25"  # five days after the office's reply to J001
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a7c3bd0000000049454e44ae426082")


@dataclass
class Served:
    base: str
    tokens: dict[str, str]
    sid: int
    url: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The sample session, J001 handed over and replied to, every deputy's link; the dashboard on a port."""
    url, cleanup = new_database("sqlite", tmp_path)
    settings = Settings(database_url=url, output_dir=tmp_path / "output", upload_dir=tmp_path / "uploads")
    engine = make_engine(url)
    with session_scope(engine) as db:
        accounts.create_user(db, username="staff", display_name="李干事", role="staff", township_code="qingshan",
                             password=PASSWORD, actor="test")
        ops.load_session(db, spec=load_session_file(SAMPLE / "session.yaml"), actor="staff",
                         output_root=settings.output_dir)
    with session_scope(engine) as db:
        township = db.scalar(select(Township).where(Township.code == "qingshan"))
        assert township is not None
        fops.hand_over(db, township=township, on=date(2027, 1, 5), actor="staff", settings=settings, codes=["J001"])
        fops.record_reply(db, township=township, code="J001", replied_on=date(2027, 3, 20), actor="staff",
                          text="村道修缮已列入2027年农村公路养护计划，预计二季度开工。", settings=settings)
        tokens = {}
        for deputy in db.scalars(select(Deputy).order_by(Deputy.position)):
            tokens[deputy.code] = links.ensure(db, deputy=deputy, actor="staff", settings=settings)[1]
        sid = db.scalar(select(Suggestion.id).where(Suggestion.code == "J001"))
        assert sid is not None
    engine.dispose()
    port = free_port()
    env = {**os.environ, "CONGRESS_DATABASE_URL": url, "CONGRESS_OUTPUT_DIR": str(tmp_path / "output"),
           "CONGRESS_UPLOAD_DIR": str(tmp_path / "uploads"), "CONGRESS_TEST_TODAY": TODAY,
           "CONGRESS_FEED_BASE_URL": f"http://127.0.0.1:{port}"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "tests.e2e.deputy_app:create_app", "--host", "127.0.0.1",
           "--port", str(port)]
    try:
        with background_server(cmd, cwd=REPO_ROOT, env=env, log_path=tmp_path / "web.log",
                               ready_url=f"http://127.0.0.1:{port}/healthz"):
            yield Served(f"http://127.0.0.1:{port}", tokens, sid, url)
    finally:
        cleanup()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/system-packages.txt)")
def test_a_deputy_uses_their_page_on_a_phone(served: Served, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.walkthrough import launch_browser, log_in

    shots = tmp_path / "screenshots"
    shots.mkdir()
    photo = tmp_path / "草稿.png"
    photo.write_bytes(PNG)
    base, tokens = served.base, served.tokens
    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            phone = browser.new_context(**PHONE)
            page = phone.new_page()
            # what the QR code on QS001's notice opens
            page.goto(f"{base}/d/{tokens['QS001']}")
            expect(page.locator(".dp-who")).to_have_text("王建华代表")
            expect(page.locator("#sittings")).to_contain_text("青山镇第十八届人民代表大会第三次会议")
            expect(page.locator("#sittings")).to_contain_text("预备会议")
            subscribe = page.locator("#subscribe")
            expect(subscribe).to_have_attribute("href", f"webcal://{base.split('://')[1]}/d/{tokens['QS001']}/calendar.ics")
            expect(page.locator("#calendar img")).to_be_visible()
            # nothing is wider than the phone
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=str(shots / "deputy-page.png"), full_page=False)

            # a suggestion with a photo of the paper draft
            page.fill("#suggest input[name=title]", "关于在上坪村增设路灯的建议")
            page.select_option("#suggest select[name=category]", "城乡建设")
            page.fill("#suggest textarea[name=text]", "上坪村至桐坞村村道夜间无照明，群众出行不便，建议增设路灯。")
            page.set_input_files("#suggest input[name=photo]", str(photo))
            page.click("#suggest button[type=submit]")
            page.wait_for_url("**notice=submitted*")
            expect(page.locator("#notice")).to_contain_text("建议已提交")
            expect(page.locator("#mine")).to_contain_text("关于在上坪村增设路灯的建议")
            expect(page.locator("#mine")).to_contain_text("待交办")
            page.screenshot(path=str(shots / "deputy-submitted.png"), full_page=True)

            # QS001 starts a motion; four more deputies co-sign it on their phones
            page.click("#motions summary")
            page.fill("#motions input[name=title]", "关于设立村级养老互助基金的议案")
            page.fill("#motions textarea[name=text]", "建议由镇人民政府牵头设立村级养老互助基金。")
            page.click("#motions details button[type=submit]")
            page.wait_for_url("**notice=started*")
            expect(page.locator("#motions .dp-count")).to_have_text("1")
            for n, code in enumerate(("QS002", "QS003", "QS004", "QS005"), start=2):
                other = phone.new_page()
                other.goto(f"{base}/d/{tokens[code]}#motions")
                card = other.locator("#motions .dp-card").first
                expect(card).to_contain_text("王建华代表")
                card.locator("button").click()
                other.wait_for_url("**notice=cosigned*")
                expect(other.locator("#motions .dp-count").first).to_have_text(str(n))
                if n == 5:
                    expect(other.locator("#motions .dp-ok")).to_have_text("已送交")
                    other.locator("#motions").screenshot(path=str(shots / "deputy-motion.png"))
                other.close()

            # QS009 rates the office's reply to J001: not satisfied
            page.goto(f"{base}/d/{tokens['QS009']}#mine")
            card = page.locator(f"#s{served.sid}")
            expect(card).to_contain_text("已答复待测评")
            expect(card.locator("a.dp-file")).to_have_text("答复函（PDF）")
            card.locator("input[value=不满意]").check()
            card.locator("textarea[name=comment]").fill("没有说明开工时间")
            card.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "deputy-rating.png"), full_page=False)
            card.locator("button[type=submit]").click()
            page.wait_for_url("**notice=rehandled*")
            card = page.locator(f"#s{served.sid}")
            expect(card).to_contain_text("不满意")
            expect(card).to_contain_text("第2次办理")
            expect(card).to_contain_text("2027年4月25日")  # the new deadline, one month from the rating
            card.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "deputy-rated.png"), full_page=False)
            phone.close()

            # the staff's follow-up pages show the rating as the deputy entered it, and the motion
            desk = browser.new_context(locale="zh-CN").new_page()
            desk.set_viewport_size({"width": 1366, "height": 900})
            log_in(desk, base, "staff", PASSWORD)
            desk.goto(f"{base}/sessions/{KEY}/suggestions")
            expect(desk.locator("tr[data-code=J001] td.rating")).to_have_text("不满意")
            expect(desk.locator("tr[data-code=J001] td.round")).to_have_text("第2次")
            desk.goto(f"{base}/townships/qingshan/deputies")
            expect(desk.locator("#motion-list tr[data-state=submitted]")).to_contain_text("关于设立村级养老互助基金的议案")
            expect(desk.locator("#pending")).to_contain_text("关于在上坪村增设路灯的建议")
            desk.screenshot(path=str(shots / "deputy-staff.png"), full_page=False)
        finally:
            print(f"screenshots: {shots}")
            browser.close()
    if os.environ.get("CONGRESS_SCREENSHOTS") == "docs":
        for name in ("deputy-page", "deputy-motion", "deputy-rating", "deputy-rated", "deputy-staff"):
            shutil.copyfile(shots / f"{name}.png", REPO_ROOT / "docs" / "screenshots" / f"{name}.png")
