"""hq in the station console (console/) on the local stack: home popups and banners.

Popups are chain-wide, so each test names its own (a title of its own) and only the popup test
that a driver's home must show is live now, at the highest priority."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import requests
from playwright.sync_api import expect

from devstack import seed

from tests.browser.conftest import ARTIFACTS_DIR
from tests.browser.console_flows import driver_headers, sign_in, staff_headers
from tests.local_stack import driver_token, eventually

IMAGE = "https://img.example.com/popups/winter.png"  # never fetched: the list shows no image


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_hq_creates_a_popup_and_a_drivers_home_shows_it(stack, page):
    title = f"冬季加油礼 {uuid.uuid4().hex[:6]}"
    sign_in(page, stack, "hq-ops")
    page.get_by_role("link", name="弹窗广告").click()
    form = page.get_by_role("form", name="新建弹窗")
    form.get_by_label("标题").fill(title)
    form.get_by_label("图片地址").fill(IMAGE)
    form.get_by_label("优先级（0–1000，大者先展示）").fill("1000")
    form.get_by_label("每人展示上限").select_option(label="每人每天最多一次")
    form.get_by_role("checkbox", name="限新用户").check()
    form.get_by_role("button", name="创建").click()

    row = page.get_by_test_id("popup-row").filter(has_text=title)
    expect(row).to_contain_text("投放中")  # starts now by default
    expect(row).to_contain_text("注册 7 天内的新用户")
    expect(row.get_by_test_id("shown")).to_have_text("0")

    # A new driver, signed in through the WeChat sandbox, opens the mini-program's home.
    driver = {"Authorization": f"Bearer {driver_token(stack, f'o-popup-{uuid.uuid4().hex}')}"}
    api = stack["api_url"]
    # Live popups are cached per Lambda for up to home_popup_cache_s (30 s): wait for it.
    home = eventually(lambda: requests.get(f"{api}/v1/home", headers=driver, timeout=10).json(),
                      lambda h: (h.get("popup") or {}).get("title") == title, timeout_s=90)
    assert home["popup"]["image_url"] == IMAGE and home["popup"]["placement"] == "popup"
    popup_id = home["popup"]["id"]
    for event in ("seen", "clicked"):
        answer = requests.post(f"{api}/v1/home/popups/{popup_id}/{event}", headers=driver, timeout=10)
        assert answer.status_code == 200, answer.text

    # hq sees the view and the click counted (once the counters read them: then refresh).
    hq = staff_headers(stack, "hq-ops")
    eventually(lambda: next(p for p in requests.get(
        f"{api}/v1/staff/marketing/popups?limit=100", headers=hq, timeout=10).json()["items"]
        if p["id"] == popup_id)["stats"], lambda stats: stats == {"shown": 1, "clicked": 1})
    page.get_by_role("button", name="刷新统计").click()
    expect(row.get_by_test_id("shown")).to_have_text("1")
    expect(row.get_by_test_id("clicked")).to_have_text("1")
    expect(row).to_contain_text("100.0%")
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_hq_popups.png", full_page=True)


def test_hq_pauses_resumes_and_ends_a_popup(stack, page):
    title = f"周末横幅 {uuid.uuid4().hex[:6]}"
    start = datetime.now(timezone.utc) + timedelta(days=2)  # scheduled: no driver sees it
    created = requests.post(f"{stack['api_url']}/v1/staff/marketing/popups", timeout=10,
                            headers=staff_headers(stack, "hq-pricing"), json={
                                "title": title, "image_url": IMAGE, "placement": "banner",
                                "starts_at": _iso(start), "ends_at": _iso(start + timedelta(days=1))})
    assert created.status_code == 201, created.text
    sign_in(page, stack, "hq-ops")
    page.goto(stack["console_url"] + "/#/popups")
    row = page.get_by_test_id("popup-row").filter(has_text=title)
    expect(row).to_contain_text("未开始")

    row.get_by_role("button", name="暂停").click()
    expect(row).to_contain_text("已暂停")
    row.get_by_role("button", name="恢复").click()
    expect(row).to_contain_text("未开始")
    row.get_by_role("button", name="结束").click()
    expect(row).to_contain_text("已结束")
    expect(row.get_by_role("button")).to_have_count(0)

    listed = requests.get(f"{stack['api_url']}/v1/staff/marketing/popups?limit=100", timeout=10,
                          headers=staff_headers(stack, "hq-ops")).json()["items"]
    assert next(p for p in listed if p["title"] == title)["status"] == "ended"


def test_a_popup_the_api_refuses_shows_why_next_to_the_targeting(stack, page):
    title = f"未知油站 {uuid.uuid4().hex[:6]}"
    sign_in(page, stack, "hq-ops")
    page.goto(stack["console_url"] + "/#/popups")
    form = page.get_by_role("form", name="新建弹窗")
    form.get_by_label("标题").fill(title)
    form.get_by_label("图片地址").fill("http://img.example.com/a.png")
    form.get_by_role("button", name="创建").click()
    expect(form.get_by_role("alert")).to_have_text("图片地址须以 https:// 开头")  # before sending

    form.get_by_label("图片地址").fill(IMAGE)
    form.get_by_role("checkbox", name="限油站周边").check()
    form.get_by_label("周边油站编号").fill("ty-999")
    form.get_by_role("button", name="创建").click()
    expect(form.locator("fieldset").get_by_role("alert")).to_have_text("找不到该油站")
    expect(page.get_by_test_id("popup-row").filter(has_text=title)).to_have_count(0)


def test_a_manager_is_refused_the_popups_page(stack, page):
    sign_in(page, stack, "mgr-ty031")
    expect(page.get_by_role("link", name="弹窗广告")).to_have_count(0)
    page.goto(stack["console_url"] + "/#/popups")
    expect(page.get_by_test_id("refused")).to_contain_text("无权访问此页面")


def _driver(stack) -> tuple[dict, str]:
    headers = driver_headers(stack)
    me = requests.get(f"{stack['api_url']}/v1/me", headers=headers, timeout=10).json()
    return headers, me["id"]


def test_hq_creates_a_coupon_and_grants_it_to_drivers_with_progress(stack, page):
    title = f"满100减10 {uuid.uuid4().hex[:6]}"
    (first, first_id), (second, second_id) = _driver(stack), _driver(stack)
    sign_in(page, stack, "hq-ops")
    page.get_by_role("link", name="优惠券").click()
    form = page.get_by_role("form", name="新建优惠券")
    form.get_by_label("名称").fill(title)
    form.get_by_label("减免金额（元）").fill("10")
    form.get_by_label("使用门槛（元，0 或不填为无门槛）").fill("5")
    form.get_by_role("button", name="创建").click()
    expect(form.get_by_role("alert")).to_have_text("门槛须高于减免金额（或填 0 表示无门槛）")
    form.get_by_label("使用门槛（元，0 或不填为无门槛）").fill("100")
    form.get_by_label("发放方式").select_option(label="仅定向发放")
    form.get_by_role("button", name="创建").click()

    row = page.get_by_test_id("template-row").filter(has_text=title)
    expect(row).to_contain_text("可领取")
    expect(row.get_by_test_id("issued")).to_contain_text("0")
    row.get_by_role("button", name="定向发放").click()
    grant = page.get_by_role("form", name="定向发放")
    grant.get_by_label("给这些用户").fill(f"{first_id}\n{second_id}, u_nobody_{uuid.uuid4().hex[:8]}")
    grant.get_by_role("button", name="发放给 3 位用户").click()
    expect(page.get_by_test_id("campaign-figures")).to_contain_text("已处理 3/3 · 成功 2 张 · 跳过 1")
    expect(page.get_by_test_id("campaign-figures")).to_contain_text("用户不存在 1")

    page.get_by_role("button", name="刷新数据").click()
    expect(row.get_by_test_id("issued")).to_contain_text("2")
    # A 1024 px wide window (a tablet on its side, a small laptop): every header stays on one
    # line, and the table fits the page (nothing to scroll sideways to reach the actions).
    page.set_viewport_size({"width": 1024, "height": 900})
    expect(row.get_by_role("button", name="定向发放")).to_be_visible()
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_hq_coupons.png", full_page=True)
    lines = page.eval_on_selector_all(".coupons table.list th", """(cells) => cells.map((th) => {
        const range = document.createRange(); range.selectNodeContents(th);
        return [th.textContent, new Set([...range.getClientRects()].map((r) => r.top)).size];
    })""")
    assert [text for text, count in lines if count > 1] == [], lines
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert page.eval_on_selector(".coupons .table-scroll", "(box) => box.scrollWidth <= box.clientWidth")
    for driver in (first, second):
        held = requests.get(f"{stack['api_url']}/v1/coupons", headers=driver, timeout=10).json()
        assert [c["title"] for c in held["items"]] == [title]


def test_hq_checks_a_drivers_wallet_ledger(stack, page):
    _, user_id = _driver(stack)
    sign_in(page, stack, "hq-ops")
    page.get_by_role("link", name="钱包核对").click()
    page.get_by_label("用户编号").fill("not a user!")
    page.get_by_role("button", name="核对钱包账本").click()
    expect(page.get_by_role("alert")).to_have_text("用户编号格式无效")
    page.get_by_label("用户编号").fill(user_id)
    page.get_by_role("button", name="核对钱包账本").click()
    expect(page.get_by_test_id("ledger-result")).to_have_text(f"用户 {user_id}：余额与积分账本均核对无误")
    expect(page.get_by_test_id("chain-balance")).to_contain_text("校验通过")


def test_hq_disables_a_staff_account_and_it_can_no_longer_sign_in(stack, page):
    """att-ty031 is an account no other test signs in with: it stays disabled for the session."""
    sign_in(page, stack, "hq-ops")
    page.get_by_role("link", name="员工账号").click()
    rows = page.get_by_test_id("account-row")
    expect(rows).to_have_count(len(stack["staff"]))
    expect(rows.filter(has_text="hq-ops")).to_contain_text("当前账号")
    row = rows.filter(has_text="att-ty031")
    expect(row).to_contain_text("加油员")
    expect(row).to_contain_text("ty-031")
    row.get_by_role("button", name="停用").click()
    row.get_by_role("button", name="确认停用").click()
    expect(row).to_contain_text("已停用")
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_hq_accounts.png", full_page=True)

    password = next(s for s in stack["staff"] if s["username"] == "att-ty031")["password"]
    login = requests.post(f"{stack['api_url']}/v1/staff/login", timeout=10,
                          json={"username": "att-ty031", "password": password})
    assert (login.status_code, login.json()["code"]) == (401, "INVALID_CREDENTIALS")


def test_log_out_everywhere_ends_this_tab_and_every_other_session(stack, page):
    other_device = staff_headers(stack, "hq-pricing")
    sign_in(page, stack, "hq-pricing")
    page.get_by_role("link", name="员工账号").click()
    page.get_by_role("button", name="在所有设备上退出").click()
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    refused = requests.get(f"{stack['api_url']}/v1/staff/accounts", headers=other_device,
                           timeout=10)
    assert refused.status_code == 401


def test_hq_lists_every_station_and_opens_one_s_board(stack, page):
    sign_in(page, stack, "hq-ops")
    page.get_by_role("link", name="全部油站").click()
    rows = page.get_by_test_id("station-row")
    expect(rows).to_have_count(len(seed.load_stations()))
    row = rows.filter(has_text="ty-013")
    expect(row).to_contain_text("92#汽油")
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_hq_stations.png")
    row.get_by_role("button", name="加油确认").click()
    expect(page.get_by_label("油站编号")).to_have_value("ty-013")
    expect(page.get_by_role("link", name="加油确认")).to_have_class("active")
