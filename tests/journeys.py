"""Whole days of drivers on the running local stack, over HTTP only, and the books checked at the
end from what the drivers themselves saw. bench/soak.py runs it with many drivers and prints
figures; tests/e2e/test_soak.py runs a smaller day as a test.

A driver's journey: find the station nearby, order (the same Idempotency-Key sent twice at once),
pay in the sandbox (some with the payment notification lost: their own reads must still see the
order PAID), the attendant confirms (a third with a shorter fill: the difference is refunded by
itself), some get a manager's refund sent twice at once, some top up the wallet and pay from it,
and half of the WeChat Pay orders ask for an invoice. The next morning's reconciliation is fired
through the schedule endpoint, and every order, station settlement, invoice and wallet ledger is
checked against the drivers' own records. Every wait is bounded (tests.e2e.conftest.eventually).
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests

from tests.e2e.conftest import business_day, driver_token, eventually
from tests.races import all_at_once

# Seeded, open day and night, and ordered at by no other e2e test; their own attendant and
# manager (devstack/seed/staff.json) act on them, so their settlement holds only soak orders.
STATIONS = ("ty-004", "ty-021", "ty-038")
ATTENDANT, MANAGER, HQ = "att-allday", "mgr-allday", "hq-ops"
WAIT_S = 120.0  # for one outcome (a payment, a refund, an invoice) on a loaded machine
CLOSED_OUTCOMES = {"HEALED", "ALREADY_APPLIED"}


class Calls:
    """HTTP calls timed per route, with every 5xx kept (not one is allowed)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.server_errors: list[str] = []

    def __call__(self, route: str, method: str, url: str, **kwargs) -> requests.Response:
        started = time.perf_counter()
        answer = requests.request(method, url, timeout=60, **kwargs)
        elapsed = time.perf_counter() - started
        with self._lock:
            self.latencies[route].append(elapsed)
            if answer.status_code >= 500:
                self.server_errors.append(f"{route} {answer.status_code} {answer.text[:300]}")
        return answer

    def percentiles(self) -> dict[str, tuple[int, float, float]]:
        """route -> (calls, p50 ms, p99 ms)."""
        out = {}
        for route, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
            out[route] = (len(ordered), pick(0.50), pick(0.99))
        return out


@dataclass
class Record:
    """What one driver knows of one order at the end of the journey."""
    order_id: str
    out_trade_no: str
    station_id: str
    user_id: str
    token: str = field(repr=False)  # never printed with a failed check
    pay_method: str
    pay_amount_fen: int
    refunded_fen: int = 0
    status: str = "FUELLED"  # a manager's refund makes it PARTIALLY_REFUNDED; a short fill not
    invoice_id: str | None = None


@dataclass
class Day:
    stack: dict
    calls: Calls = field(default_factory=Calls)
    records: list[Record] = field(default_factory=list)
    wallet_users: dict[str, str] = field(default_factory=dict)  # user id -> token
    topups: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self.api = self.stack["api_url"]
        self.staff = {role: self._staff_login(name) for role, name in
                      (("attendant", ATTENDANT), ("manager", MANAGER), ("hq", HQ))}
        self.nozzle_92 = {}
        for station_id in STATIONS:
            detail = self.calls("GET /v1/stations/{id}", "GET", f"{self.api}/v1/stations/{station_id}")
            assert detail.status_code == 200, detail.text
            self.nozzle_92[station_id] = next(n["no"] for n in detail.json()["nozzles"]
                                              if n["grade"] == "92")

    def _staff_login(self, username: str) -> dict:
        account = next(s for s in self.stack["staff"] if s["username"] == username)
        answer = self.calls("POST /v1/staff/login", "POST", f"{self.api}/v1/staff/login",
                            json={"username": username, "password": account["password"]})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def add(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)


# --- one journey ---------------------------------------------------------------------------------
def journey(day: Day, index: int) -> None:
    """One driver's visit; `index` decides which variations it takes (spread evenly)."""
    api, calls = day.api, day.calls
    openid = f"o-soak-{uuid.uuid4().hex}"
    token = driver_token(day.stack, openid)
    driver = {"Authorization": f"Bearer {token}"}
    user_id = calls("GET /v1/me", "GET", f"{api}/v1/me", headers=driver).json()["id"]
    station_id = STATIONS[index % len(STATIONS)]
    _nearby(day, driver, station_id)
    wallet = index % 4 == 3
    if wallet:
        _top_up(day, driver, 50000)
        with day._lock:
            day.wallet_users[user_id] = token
    order = _order(day, driver, station_id, 20000 + (index % 7) * 1000,
                   "wallet" if wallet else "wechatpay")
    record = Record(order["id"], order["out_trade_no"], station_id, user_id, token,
                    order["pay_method"], order["pay_amount_fen"])
    if not wallet:
        _pay(day, driver, order, silently=index % 5 == 1)
    short = index % 3 == 0
    # A short fill of 5%: an attendant may confirm it (a larger refund needs a manager).
    short_by = order["pump_amount_fen"] // 20
    fuelled = _confirm(day, order["id"], order["pump_amount_fen"] - short_by if short else None)
    record.refunded_fen += fuelled["refund_pending_fen"]
    if not short and index % 4 == 1:
        record.refunded_fen += _double_refund(day, order["id"], 1500)
        record.status = "PARTIALLY_REFUNDED"
    eventually(lambda: _read(day, driver, order["id"]),
               lambda o: o["refunded_fen"] == record.refunded_fen and not o["refund_pending_fen"],
               WAIT_S)
    if not wallet and index % 2 == 0:
        record.invoice_id = _invoice(day, driver, order["id"], openid)
    day.add(record)


def _twice_at_once(day: Day, route: str, url: str, headers: dict, body: dict) -> list:
    key = str(uuid.uuid4())
    answers = all_at_once([lambda: day.calls(route, "POST", url, json=body, headers={
        **headers, "Idempotency-Key": key})] * 2)
    return [a for a in answers if a is not None]


def _nearby(day: Day, driver: dict, station_id: str) -> None:
    detail = day.calls("GET /v1/stations/{id}", "GET", f"{day.api}/v1/stations/{station_id}")
    lat, lng = detail.json()["location"]["lat"], detail.json()["location"]["lng"]
    found = day.calls("GET /v1/stations/nearby", "GET", f"{day.api}/v1/stations/nearby",
                      headers=driver, params={"lat": lat, "lng": lng, "radius_m": 3000,
                                              "limit": 100})
    assert found.status_code == 200, found.text
    assert station_id in [s["id"] for s in found.json()["items"]]


def _order(day: Day, driver: dict, station_id: str, amount_fen: int, pay_method: str) -> dict:
    answers = _twice_at_once(day, "POST /v1/orders", f"{day.api}/v1/orders", driver, {
        "station_id": station_id, "nozzle_no": day.nozzle_92[station_id],
        "amount_fen": amount_fen, "grade": "92", "pay_method": pay_method})
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert len({a.json()["order"]["id"] for a in answers}) == 1
    created = answers[0].json()
    order = dict(created["order"], _payment=created["payment"])
    if pay_method == "wallet":
        assert order["status"] == "PAID", order
    return order


def _read(day: Day, driver: dict, order_id: str) -> dict:
    answer = day.calls("GET /v1/orders/{id}", "GET", f"{day.api}/v1/orders/{order_id}",
                       headers=driver)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _pay_in_sandbox(day: Day, package: str) -> None:
    answer = requests.post(f"{day.stack['wechatpay_url']}/sandbox/pay", timeout=30,
                           json={"prepay_id": package.removeprefix("prepay_id=")})
    assert answer.status_code == 200, answer.text


def _pay(day: Day, driver: dict, order: dict, *, silently: bool) -> None:
    if silently:  # WeChat Pay's notification never arrives: the driver's reads must heal it
        assert requests.post(f"{day.stack['wechatpay_url']}/sandbox/suppress-notifications",
                             json={"out_trade_no": order["out_trade_no"]}, timeout=30).ok
    _pay_in_sandbox(day, order["_payment"]["package"])
    eventually(lambda: _read(day, driver, order["id"]), lambda o: o["status"] == "PAID", WAIT_S)


def _top_up(day: Day, driver: dict, amount_fen: int) -> None:
    answers = _twice_at_once(day, "POST /v1/wallet/topups", f"{day.api}/v1/wallet/topups",
                             driver, {"amount_fen": amount_fen})
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    [topup_id] = {a.json()["topup"]["id"] for a in answers}
    with day._lock:
        day.topups.append(topup_id)
    _pay_in_sandbox(day, answers[0].json()["payment"]["package"])
    eventually(lambda: day.calls("GET /v1/wallet/topups/{id}", "GET",
                                 f"{day.api}/v1/wallet/topups/{topup_id}", headers=driver).json(),
               lambda t: t.get("status") == "PAID", WAIT_S)


def _confirm(day: Day, order_id: str, pump_amount_fen: int | None) -> dict:
    body = {} if pump_amount_fen is None else {"actual_amount_fen": pump_amount_fen}
    answer = day.calls("POST /v1/staff/orders/{id}/confirm", "POST",
                       f"{day.api}/v1/staff/orders/{order_id}/confirm",
                       headers=day.staff["attendant"], json=body)
    assert answer.status_code == 200, answer.text
    fuelled = answer.json()
    assert fuelled["status"] == "FUELLED"
    assert fuelled["refund_pending_fen"] == fuelled["pay_amount_fen"] - fuelled["actual_amount_fen"]
    return fuelled


def _double_refund(day: Day, order_id: str, amount_fen: int) -> int:
    """A manager's double tap: both answers name the one refund made."""
    answers = _twice_at_once(day, "POST /v1/staff/orders/{id}/refund",
                             f"{day.api}/v1/staff/orders/{order_id}/refund",
                             day.staff["manager"], {"amount_fen": amount_fen, "reason": "双击退款"})
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    assert len({a.json()["refund"]["out_refund_no"] for a in answers}) == 1
    return amount_fen


def _invoice(day: Day, driver: dict, order_id: str, openid: str) -> str:
    answer = day.calls("POST /v1/invoices", "POST", f"{day.api}/v1/invoices", headers=driver,
                       json={"order_ids": [order_id], "email": f"{openid}@example.cn",
                             "title": {"type": "personal", "name": "张三"}})
    assert answer.status_code == 202, answer.text
    invoice_id = answer.json()["id"]
    eventually(lambda: day.calls("GET /v1/invoices/{id}", "GET",
                                 f"{day.api}/v1/invoices/{invoice_id}", headers=driver).json(),
               lambda i: i.get("status") == "ISSUED", WAIT_S)
    return invoice_id


# --- the day's end -------------------------------------------------------------------------------
def run_day(stack: dict, drivers: int, journeys_per_driver: int = 1) -> dict:
    """Run the journeys with `drivers` in parallel, then reconcile and check; answers figures.
    Raises AssertionError on the first check that fails."""
    today = business_day(margin=timedelta(minutes=15))
    day = Day(stack)
    failures: list[BaseException] = []

    def driver_loop(n: int) -> None:
        for round_no in range(journeys_per_driver):
            try:
                journey(day, n + round_no * drivers)
            except BaseException as err:  # noqa: BLE001 - reported after every driver is done
                failures.append(err)
                return

    started = time.monotonic()
    threads = [threading.Thread(target=driver_loop, args=(n,)) for n in range(drivers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=1800)
    elapsed = time.monotonic() - started
    if failures:
        raise AssertionError(f"{len(failures)} of {drivers} drivers failed; the first: "
                             f"{failures[0]!r}; 5xx seen: {day.calls.server_errors[:5]}") \
            from failures[0]
    counts = check_books(day, today)
    assert not day.calls.server_errors, day.calls.server_errors[:5]
    return {"journeys": len(day.records), "seconds": elapsed,
            "journeys_per_s": len(day.records) / elapsed, "routes": day.calls.percentiles(),
            "checked": counts}


def check_books(day: Day, today: datetime) -> dict:
    """Fire the next morning's reconciliation and check everything against the drivers' records."""
    counts = {"orders": 0, "stations": 0, "differences": 0, "invoices": 0, "wallets": 0}
    for record in day.records:
        order = _read(day, {"Authorization": f"Bearer {record.token}"}, record.order_id)
        assert (order["status"], order["refunded_fen"], order["refund_pending_fen"]) == (
            record.status, record.refunded_fen, 0), (record, order)
        counts["orders"] += 1
    next_morning = datetime(today.year, today.month, today.day, 2, 30,
                            tzinfo=timezone.utc) + timedelta(days=1)
    pay_url = day.stack["wechatpay_url"]
    assert requests.post(f"{pay_url}/sandbox/settings", json={"bills_available_early": True},
                         timeout=30).ok
    try:
        run = requests.post(f"{day.stack['jobs_url']}/schedules/reconcile_trade_bill/run",
                            json={"time": next_morning.strftime("%Y-%m-%dT%H:%M:%SZ")},
                            timeout=600)
    finally:  # the stack may be shared: leave the sandbox as it was
        requests.post(f"{pay_url}/sandbox/settings", json={"bills_available_early": False},
                      timeout=30)
    assert run.status_code == 200, run.text
    assert run.json()["result"]["status"] == "DONE", run.text
    bill_date = today.date().isoformat()
    for station_id in STATIONS:
        counts["stations"] += _check_station(day, bill_date, station_id)
    whole_day = day.calls("GET /v1/staff/reconciliation/{date}", "GET",
                          f"{day.api}/v1/staff/reconciliation/{bill_date}", headers=day.staff["hq"])
    assert whole_day.status_code == 200, whole_day.text
    ours = {r.out_trade_no for r in day.records} | set(day.topups)
    for difference in whole_day.json()["differences"]:
        if difference["out_trade_no"] in ours:  # none expected: the drivers' reads healed them
            assert difference["outcome"] in CLOSED_OUTCOMES, difference
            counts["differences"] += 1
    for record in (r for r in day.records if r.invoice_id):
        invoice = day.calls("GET /v1/invoices/{id}", "GET", f"{day.api}/v1/invoices/"
                            f"{record.invoice_id}",
                            headers={"Authorization": f"Bearer {record.token}"}).json()
        assert (invoice["status"], invoice["total_fen"]) == (
            "ISSUED", record.pay_amount_fen - record.refunded_fen), (record, invoice)
        counts["invoices"] += 1
    for user_id in day.wallet_users:
        check = day.calls("GET /v1/staff/ledger/{id}/verify", "GET",
                          f"{day.api}/v1/staff/ledger/{user_id}/verify", headers=day.staff["hq"])
        assert check.status_code == 200 and check.json()["ok"], check.text
        counts["wallets"] += 1
    return counts


def _check_station(day: Day, bill_date: str, station_id: str) -> int:
    """The station's settlement holds exactly the WeChat Pay orders the drivers paid there."""
    paid = [r for r in day.records if r.station_id == station_id and r.pay_method == "wechatpay"]
    if not paid:
        return 0
    report = day.calls("GET /v1/staff/reconciliation/{date}", "GET",
                       f"{day.api}/v1/staff/reconciliation/{bill_date}",
                       headers=day.staff["manager"], params={"station_id": station_id})
    assert report.status_code == 200, report.text
    [settlement] = report.json()["settlements"]
    expected = (len(paid), sum(r.pay_amount_fen for r in paid),
                sum(r.refunded_fen for r in paid))
    assert (settlement["orders"], settlement["paid_fen"], settlement["refund_fen"]) == expected, (
        station_id, settlement, expected)
    return 1
