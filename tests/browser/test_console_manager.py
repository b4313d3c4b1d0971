"""A station manager in the station console (console/) on the local stack: the day's
reconciliation and settlement.

The reconciliation test works at ty-047, where no other test pays an order, so the station's
settlement holds exactly the orders it pays; and on a stack of its own, because a day is
reconciled once (the schedule skips a DONE day) and tests/e2e/test_reconciliation.py reconciles
today on the session's stack."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS_DIR
from tests.browser.console_flows import (
    driver_headers, paid_order, short_no, sign_in, staff_headers, station)
from tests.e2e.conftest import business_day, fire_schedule
from tests.local_stack import driver_token, eventually, running_stack

STATION = "ty-047"


@pytest.fixture(scope="module")
def day_stack(tmp_path_factory):
    """A stack whose today no other test reconciles."""
    with running_stack(tmp_path_factory.mktemp("reconciled-day")) as info:
        yield info


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def _silently_paid_order(stack, amount_fen: int) -> dict:
    """An order paid while WeChat Pay's notification never arrives: only the bill tells."""
    api = stack["api_url"]
    driver = {"Authorization": f"Bearer {driver_token(stack, f'o-recon-{uuid.uuid4().hex}')}"}
    nozzle = next(n["no"] for n in station(STATION)["nozzles"] if n["grade"] == "92")
    created = requests.post(f"{api}/v1/orders", timeout=30,
                            headers={**driver, "Idempotency-Key": str(uuid.uuid4())},
                            json={"station_id": STATION, "nozzle_no": nozzle,
                                  "amount_fen": amount_fen, "grade": "92"}).json()
    pay = stack["wechatpay_url"]
    assert requests.post(f"{pay}/sandbox/suppress-notifications", timeout=10, json={
        "out_trade_no": created["order"]["out_trade_no"]}).ok
    requests.post(f"{pay}/sandbox/pay", timeout=10, json={
        "prepay_id": created["payment"]["package"].split("=", 1)[1]}).raise_for_status()
    return created["order"]


def _reconcile_today(stack) -> str:
    """Reconcile today's bill as the schedule would at 10:30 tomorrow morning."""
    today = business_day()
    tomorrow_morning = datetime(today.year, today.month, today.day, 2, 30,
                                tzinfo=timezone.utc) + timedelta(days=1)
    pay = stack["wechatpay_url"]
    assert requests.post(f"{pay}/sandbox/settings", json={"bills_available_early": True},
                         timeout=10).ok
    try:
        run = fire_schedule(stack, "reconcile_trade_bill", at=tomorrow_morning)
    finally:  # the stack is shared by the session: leave the sandbox as it was
        requests.post(f"{pay}/sandbox/settings", json={"bills_available_early": False}, timeout=10)
    assert run["status"] == "DONE", run
    return run["bill_date"]


def test_manager_reads_the_days_reconciliation_and_downloads_the_settlement(day_stack, page):
    stack = day_stack
    api = stack["api_url"]
    manager = staff_headers(stack, f"mgr-{STATION.replace('-', '')}")
    plain = paid_order(stack, STATION, 30000)
    shorter = paid_order(stack, STATION, 20000, grade="95")
    confirmed = requests.post(f"{api}/v1/staff/orders/{shorter['id']}/confirm", timeout=30,
                              headers=staff_headers(stack, "att-ty047"),
                              json={"actual_amount_fen": 19000})
    assert confirmed.status_code == 200, confirmed.text
    silent = _silently_paid_order(stack, 15000)
    # The shorter fill's refund settles in the sandbox before the day is reconciled.
    eventually(lambda: requests.get(f"{api}/v1/staff/orders/{shorter['id']}/history",
                                    headers=manager, timeout=10).json()["order"],
               lambda o: o["refunded_fen"] > 0 and not o["refund_pending_fen"])
    day = _reconcile_today(stack)
    report = requests.get(f"{api}/v1/staff/reconciliation/{day}", headers=manager, timeout=30,
                          params={"station_id": STATION}).json()
    [settlement] = report["settlements"]
    assert settlement["orders"] == 3
    assert settlement["paid_fen"] == sum(o["pay_amount_fen"] for o in (plain, shorter, silent))

    sign_in(page, stack, "mgr-ty047")
    page.get_by_role("link", name="对账结算").click()
    page.get_by_label("对账日期").fill(day)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("run-status")).to_contain_text(f"{day} · 已完成对账")
    difference = page.get_by_test_id("difference")
    expect(difference).to_have_count(1)
    expect(difference).to_contain_text("微信已收款，订单未记为已支付")
    expect(difference).to_contain_text(f"#{silent['id'][-6:].upper()}")
    expect(difference).to_contain_text("已自动修复")
    shown = page.get_by_test_id("settlement")
    expect(shown).to_contain_text("3 笔")
    expect(shown).to_contain_text(_yuan(settlement["paid_fen"]))
    expect(shown).to_contain_text(f"{settlement['refunds']} 笔 {_yuan(settlement['refund_fen'])}")
    expect(shown.get_by_test_id("net")).to_have_text(_yuan(settlement["net_fen"]))
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_reconciliation.png", full_page=True)

    with page.expect_download() as downloading:
        page.get_by_role("button", name="下载结算单 CSV").click()
    download = downloading.value
    assert download.suggested_filename == f"结算单-{STATION}-{day}.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    total = next(r for r in rows if r["grade"] == "TOTAL")
    assert {k: total[k] for k in ("bill_date", "station_id", "orders", "paid_yuan", "refunds",
                                  "refund_yuan", "fee_yuan", "net_yuan")} == {
        "bill_date": day, "station_id": STATION, "orders": "3",
        "paid_yuan": _yuan(settlement["paid_fen"])[1:], "refunds": str(settlement["refunds"]),
        "refund_yuan": _yuan(settlement["refund_fen"])[1:],
        "fee_yuan": _yuan(settlement["fee_fen"])[1:], "net_yuan": _yuan(settlement["net_fen"])[1:]}
    assert sorted((r["grade"], r["orders"]) for r in rows if r["grade"] != "TOTAL") == [
        ("92", "2"), ("95", "1")]


def test_a_day_not_yet_reconciled_says_so_in_chinese(stack, page):
    sign_in(page, stack, "mgr-ty031")
    page.goto(stack["console_url"] + "/#/reconciliation")
    page.get_by_label("对账日期").fill("2026-01-02")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("reconciliation-error")).to_have_text(
        "该日尚未对账（每天上午对前一天的账单）")
    expect(page.get_by_role("button", name="下载结算单 CSV")).to_have_count(0)


def _request_refund(stack, driver: dict, order: dict, reason: str) -> None:
    answer = requests.post(f"{stack['api_url']}/v1/orders/{order['id']}/refund-request",
                           headers=driver, json={"reason": reason}, timeout=10)
    assert answer.status_code == 200, answer.text


def test_manager_answers_drivers_refund_requests_from_the_board(stack, page):
    driver = driver_headers(stack)
    kept = paid_order(stack, "ty-001", 18800, driver=driver)
    returned = paid_order(stack, "ty-001", 25000, driver=driver)
    _request_refund(stack, driver, returned, "油枪故障，没加上油")
    _request_refund(stack, driver, kept, "排队太久，不想加了")

    sign_in(page, stack, "mgr-ty001")
    cards = page.get_by_test_id("refund-request")
    approve = cards.filter(has_text=short_no(returned))
    expect(approve).to_contain_text("司机说明：油枪故障，没加上油")
    # A ticket with an open request cannot be confirmed until the request is answered.
    expect(page.get_by_test_id("ticket").filter(has_text=short_no(kept))).to_be_disabled()
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_board_refund_requests.png")

    approve.get_by_role("button", name="同意并全额退款 ¥250.00").click()
    expect(approve).to_have_count(0)
    decline = cards.filter(has_text=short_no(kept))
    decline.get_by_role("button", name="拒绝").click()
    decline.get_by_label("拒绝原因（司机可见）").fill("监控显示已在 1 号枪加油")
    decline.get_by_role("button", name="确认拒绝").click()
    expect(cards).to_have_count(0)
    expect(page.get_by_test_id("ticket").filter(has_text=short_no(kept))).to_be_enabled()

    def mine(order):
        return requests.get(f"{stack['api_url']}/v1/orders/{order['id']}", headers=driver,
                            timeout=10).json()
    refunded = eventually(lambda: mine(returned), lambda o: o["status"] == "REFUNDED")
    assert refunded["refunded_fen"] == returned["pay_amount_fen"]
    assert refunded["refund_request"]["status"] == "APPROVED"
    declined = mine(kept)
    assert (declined["status"], declined["refund_request"]["status"],
            declined["refund_request"]["answer"]) == ("PAID", "DECLINED", "监控显示已在 1 号枪加油")


def test_manager_finds_an_order_and_reads_its_full_history(stack, page):
    order = paid_order(stack, "ty-002", 26600)
    confirmed = requests.post(f"{stack['api_url']}/v1/staff/orders/{order['id']}/confirm",
                              headers=staff_headers(stack, "att-ty002"),
                              json={"actual_amount_fen": 25000}, timeout=30)
    assert confirmed.status_code == 200, confirmed.text
    manager = staff_headers(stack, "mgr-ty002")

    def history():
        return requests.get(f"{stack['api_url']}/v1/staff/orders/{order['id']}/history",
                            headers=manager, timeout=10).json()
    # The shorter fill's refund settles in the sandbox: the history is final once it has.
    settled = eventually(history, lambda h: h["order"]["refunded_fen"] > 0
                         and not h["order"]["refund_pending_fen"])["items"]
    sign_in(page, stack, "mgr-ty002")
    page.get_by_role("link", name="订单查询").click()
    # The whole short number: a shorter tail can be all digits and then also matches the amounts
    # of the day's other orders at this station (the search reads digits as an amount too).
    # Exactly "查找": the board still shown for a moment has its own "查找订单" box, and typing
    # there is lost when the orders page replaces it.
    page.get_by_label("查找", exact=True).fill(short_no(order).lower())
    row = page.get_by_test_id("order-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"#{short_no(order)}")
    row.get_by_role("button", name="历史").click()

    dialog = page.get_by_role("dialog", name="订单历史")
    events = dialog.get_by_test_id("history-event")
    expect(events.filter(has_text="确认加油")).to_contain_text("员工（加油员）")
    expect(events.filter(has_text="确认加油")).to_contain_text(f"实收 — → {_yuan(confirmed.json()['actual_amount_fen'])}")
    # Each line shows its own change only: the refund line, not the confirmation's charge again.
    expect(events.filter(has_text="发起退款")).to_contain_text("预留退款 ¥0.00 → ")
    expect(events.filter(has_text="发起退款")).not_to_contain_text("实收")
    expect(events.filter(has_text="确认加油")).not_to_contain_text("预留退款")
    expect(events.first).to_contain_text("下单")
    expect(events.nth(1)).to_contain_text("支付成功")
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_order_history.png")
    expect(events).to_have_count(len(settled))
    expect(events.last).to_contain_text("退款成功")


def test_manager_updates_stock_and_runs_a_promotion_drivers_see(stack, page):
    api = stack["api_url"]
    title = f"周末直降 {uuid.uuid4().hex[:4]}"
    sign_in(page, stack, "mgr-ty002")
    page.get_by_role("link", name="库存与促销").click()
    stock = page.get_by_test_id("stock-92")
    stock.get_by_label("92#汽油新读数").fill("12000.5")
    page.get_by_role("button", name="更新库存").click()
    expect(stock).to_contain_text("12000.5 升")
    read = requests.get(f"{api}/v1/staff/stations/ty-002/inventory", timeout=10,
                        headers=staff_headers(stack, "att-ty002")).json()
    assert {g["grade"]: g["liters_ml"] for g in read["grades"]}["92"] == 12_000_500

    form = page.get_by_role("form", name="新建促销")
    form.get_by_label("促销名称").fill(title)
    form.get_by_label("每升减（元）").fill("0.30")
    form.get_by_role("checkbox", name="92#汽油").check()
    form.get_by_role("button", name="创建促销").click()
    row = page.get_by_test_id("promotion-row").filter(has_text=title)
    expect(row).to_contain_text("直降0.30元/升")
    expect(row).to_contain_text("进行中")

    def promotions():
        return [p["title"] for p in requests.get(f"{api}/v1/stations/ty-002", timeout=10)
                .json()["promotions"]]
    eventually(promotions, lambda titles: title in titles)
    page.screenshot(path=ARTIFACTS_DIR / "console_stock_and_promotions.png", full_page=True)
    row.get_by_role("button", name="结束").click()
    expect(row).to_have_count(0)
    eventually(promotions, lambda titles: title not in titles)


def test_manager_adds_member_prices_to_a_grade_without_and_sees_the_change_in_history(stack, page):
    manager = staff_headers(stack, "mgr-ty047")
    prices = requests.get(f"{stack['api_url']}/v1/staff/stations/ty-047/prices", headers=manager,
                          timeout=10).json()["grades"]
    grade = next(g for g in prices if not g["member_prices"])
    name = {"92": "92#汽油", "95": "95#汽油", "98": "98#汽油", "0": "0#柴油"}[grade["grade"]]
    member_fen = grade["pump_price_fen"] - 12
    sign_in(page, stack, "mgr-ty047")
    page.get_by_role("link", name="油价管理").click()
    row = page.get_by_test_id(f"price-{grade['grade']}")
    row.get_by_label(f"{name}添加会员价").select_option(label="黄金会员")
    row.get_by_label(f"{name}黄金会员价").fill(f"{member_fen / 100:.2f}")
    row.get_by_role("button", name="保存").click()
    expect(row.get_by_role("status")).to_have_text("已生效")

    change = page.get_by_test_id("price-change").first
    expect(change).to_contain_text(f"黄金会员价 — → {_yuan(member_fen)}")
    expect(change).to_contain_text("站长 郝丽萍")  # the name the manager had, not the staff id
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_prices_with_history.png", full_page=True)
    after = requests.get(f"{stack['api_url']}/v1/staff/stations/ty-047/prices", headers=manager,
                         timeout=10).json()["grades"]
    assert next(g for g in after if g["grade"] == grade["grade"])["member_prices"] == {"gold": member_fen}
