"""The station console (console/) on the local stack, as attendants and managers use it.

Each test works at a station of its own, so the orders of other tests never land on its board."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS_DIR
from tests.browser.console_flows import (
    paid_order, short_no, sign_in, staff_headers, station)
from tests.local_stack import eventually


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def test_attendant_confirms_a_shorter_fill_and_sees_the_refund(stack, page):
    sign_in(page, stack, "att-ty002")
    earlier = paid_order(stack, "ty-002", 20000)
    order = paid_order(stack, "ty-002", 30000)

    # The paid order appears by itself: the board polls.
    tickets = page.get_by_test_id("ticket")
    ticket = tickets.filter(has_text=short_no(order))
    expect(ticket).to_contain_text(_yuan(order["pay_amount_fen"]))
    expect(tickets.first).to_contain_text(short_no(order))  # newest first
    expect(tickets.filter(has_text=short_no(earlier))).to_contain_text("1号枪")
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "console_board_with_waiting_orders.png")
    ticket.click()
    page.get_by_role("button", name="清除").click()
    for key in "280":
        page.locator(".pad").get_by_role("button", name=key, exact=True).click()
    expect(page.get_by_test_id("pump-amount")).to_have_text("280")
    charge = (order["pay_amount_fen"] * 28000 * 2 + 30000) // (2 * 30000)
    refund = order["pay_amount_fen"] - charge
    expect(page.get_by_test_id("refund-preview")).to_contain_text(_yuan(refund))
    page.screenshot(path=ARTIFACTS_DIR / "console_pad_before_confirming.png")
    page.get_by_role("button", name=f"确认并退款 {_yuan(refund)}").click()

    row = page.get_by_test_id("confirmed-row").filter(has_text=short_no(order))
    expect(row).to_contain_text(_yuan(28000))
    expect(row).to_contain_text("已退款")  # the sandbox settles the refund within seconds
    expect(row).to_contain_text(_yuan(refund))
    expect(ticket).to_have_count(0)


def test_manager_double_clicks_refund_and_exactly_one_refund_happens(stack, page):
    order = paid_order(stack, "ty-023", 20000)
    confirmed = requests.post(f"{stack['api_url']}/v1/staff/orders/{order['id']}/confirm",
                              headers=staff_headers(stack, "att-ty023"), json={}, timeout=30)
    assert confirmed.status_code == 200, confirmed.text
    sign_in(page, stack, "mgr-ty023")

    row = page.get_by_test_id("confirmed-row").filter(has_text=short_no(order))
    row.get_by_role("button", name="退款").click()
    dialog = page.get_by_role("dialog", name="退款")
    dialog.get_by_label("退款金额（元）").fill("50.00")
    dialog.get_by_label("退款原因").fill("油品质量投诉，部分退款")
    dialog.get_by_role("button", name=re.compile("^退款")).dblclick()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text(_yuan(5000))

    manager = staff_headers(stack, "mgr-ty023")
    history = requests.get(f"{stack['api_url']}/v1/staff/orders/{order['id']}/history",
                           headers=manager, timeout=10).json()["items"]
    manual = [e for e in history if e["type"] == "REFUND_REQUESTED"]
    assert len(manual) == 1 and manual[0]["reason"] == "油品质量投诉，部分退款"


def test_manager_changes_a_price_and_the_nearby_search_shows_it(stack, page):
    sign_in(page, stack, "mgr-ty031")
    page.get_by_role("link", name="油价管理").click()
    row = page.get_by_test_id("price-92")
    pump = row.get_by_label("92#汽油挂牌价")
    expect(pump).not_to_have_value("")
    new_fen = round(float(pump.input_value()) * 100) - 7
    pump.fill(f"{new_fen / 100:.2f}")
    row.get_by_role("button", name="保存").click()
    expect(row.get_by_role("status")).to_have_text("已生效")

    where = station("ty-031")

    def offer():
        items = requests.get(f"{stack['api_url']}/v1/stations/nearby", timeout=10, params={
            "lat": where["lat"], "lng": where["lng"], "radius_m": 2000}).json()["items"]
        found = next((s for s in items if s["id"] == "ty-031"), {"grades": []})
        return next((g for g in found["grades"] if g["grade"] == "92"), {})

    assert eventually(offer, lambda g: g.get("pump_price_fen") == new_fen)["pump_price_fen"] == new_fen


def test_a_price_above_the_guide_is_refused_next_to_the_price(stack, page):
    sign_in(page, stack, "mgr-ty031")
    page.goto(stack["console_url"] + "/#/prices")
    row = page.get_by_test_id("price-95")
    expect(row.get_by_label("95#汽油挂牌价")).not_to_have_value("")
    guide_fen = round(float(row.locator(".guide").inner_text().lstrip("¥")) * 100)
    row.get_by_label("95#汽油挂牌价").fill(f"{(guide_fen + 10) / 100:.2f}")
    row.get_by_role("button", name="保存").click()
    expect(row.get_by_role("alert")).to_have_text("挂牌价不能高于指导价")


def test_an_attendant_is_refused_the_prices_page(stack, page):
    sign_in(page, stack, "att-ty001")
    expect(page.get_by_role("link", name="油价管理")).to_have_count(0)
    page.goto(stack["console_url"] + "/#/prices")
    expect(page.get_by_test_id("refused")).to_contain_text("无权访问此页面")


def test_a_401_signs_out(stack, page):
    sign_in(page, stack, "att-ty047")
    # As if the token expired or was revoked: the board's next poll answers 401.
    page.evaluate("""() => {
        const key = "fuel-console-session";
        const session = JSON.parse(sessionStorage.getItem(key));
        sessionStorage.setItem(key, JSON.stringify({...session, token: "expired"}));
    }""")
    expect(page.get_by_test_id("signed-out")).to_have_text("登录已失效，请重新登录")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('fuel-console-session')") is None


def test_a_manager_of_two_stations_switches_between_their_boards(stack, page):
    order = paid_order(stack, "ty-017", 15000)
    sign_in(page, stack, "mgr-north")
    switcher = page.get_by_label("油站")
    expect(switcher.locator("option")).to_have_text(["ty-013", "ty-017"])
    expect(page.get_by_text("暂无待确认的订单").or_(page.get_by_test_id("ticket").first)).to_be_visible()
    expect(page.get_by_test_id("ticket").filter(has_text=short_no(order))).to_have_count(0)

    switcher.select_option("ty-017")
    expect(page.get_by_test_id("ticket").filter(has_text=short_no(order))).to_contain_text("¥150.00")
