"""What the station console's browser tests do outside the browser: a driver pays at a pump,
staff sign in on the console page, and the API is asked what really happened."""
from __future__ import annotations

import uuid

import requests
from playwright.sync_api import Page, expect

from devstack import seed
from tests.local_stack import driver_token, eventually

TABLET = {"width": 1024, "height": 768}


def account(stack, username: str) -> dict:
    return next(s for s in stack["staff"] if s["username"] == username)


def staff_headers(stack, username: str) -> dict:
    login = account(stack, username)
    answer = requests.post(f"{stack['api_url']}/v1/staff/login", timeout=10,
                           json={"username": login["username"], "password": login["password"]})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


ALL_DAY = {"open": "00:00", "close": "24:00"}


def station(station_id: str) -> dict:
    return next(s for s in seed.load_stations() if s["id"] == station_id)


def driver_headers(stack, openid: str | None = None) -> dict:
    """A driver signed in through the WeChat sandbox (a new one unless `openid` is given)."""
    openid = openid or f"o-console-{uuid.uuid4().hex}"
    return {"Authorization": f"Bearer {driver_token(stack, openid)}"}


def paid_order(stack, station_id: str, amount_fen: int, grade: str = "92",
               driver: dict | None = None) -> dict:
    """A driver's order (a new driver's unless `driver` headers are given) at the station's first
    nozzle of the grade, paid in the sandbox."""
    api = stack["api_url"]
    driver = driver or driver_headers(stack)
    # A station that closes refuses orders (STATION_CLOSED): these tests order only where the
    # seed opens around the clock, so they pass whatever the hour in Beijing.
    assert station(station_id)["hours"] == ALL_DAY, f"{station_id} closes at night"
    nozzle = next(n["no"] for n in station(station_id)["nozzles"] if n["grade"] == grade)
    created = requests.post(f"{api}/v1/orders", timeout=30,
                            headers={**driver, "Idempotency-Key": str(uuid.uuid4())},
                            json={"station_id": station_id, "nozzle_no": nozzle,
                                  "amount_fen": amount_fen, "grade": grade})
    assert created.status_code == 201, created.text
    body = created.json()
    requests.post(f"{stack['wechatpay_url']}/sandbox/pay", timeout=10,
                  json={"prepay_id": body["payment"]["package"].split("=", 1)[1]}
                  ).raise_for_status()
    return eventually(
        lambda: requests.get(f"{api}/v1/orders/{body['order']['id']}", headers=driver,
                             timeout=10).json(),
        lambda o: o.get("status") == "PAID")


def short_no(order: dict) -> str:
    """As the console shows it (console/src/format.js)."""
    return order["id"][-6:].upper()


def sign_in(page: Page, stack, username: str) -> None:
    page.set_viewport_size(TABLET)
    page.goto(stack["console_url"])
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(account(stack, username)["password"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
