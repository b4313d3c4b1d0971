"""Membership money paths on DynamoDB Local: DynamoDB round trips and latency, printed section
by section (each section is a function; main runs them in order on one engine).

Coupons:
- one claim: the claim use case (services.coupons.claim_coupon) by a new driver each time, on a
  template with plenty of stock: round trips, p50/p99, warm (the template's definition cached,
  as in a running Lambda) and cold (cache emptied: one read first). Baseline: one GetItem of the
  template, so the ratio says what the transaction costs against the cheapest round trip.
  Goal: one transaction per claim, p99 < 30 ms.
- hot template: 300 claims at once (50 threads) on one template with stock 100 and a per-user
  limit of 3, 50 drivers asking 6 times each: claims per second, time until sold out,
  transaction conflicts retried (counted at the back-off), and what each claim answered.

Wallet orders:
- one wallet order: POST /v1/orders' use case (services.orders.create_order) with
  pay_method=wallet by a funded driver: priced, the balance debited and the order PAID in one
  TransactWriteItems (order, its two events, the account, the ledger entry); the reads before it
  (station, user, account) and the queue counter after it are counted too. Baseline: one
  GetItem. Goal: one transaction per order, p99 < 30 ms.

Round trips are counted with botocore hooks on every DynamoDB client (bench/order_flow.py).
Figures only: nothing here asserts a time. The machine is shared; the load average is printed.

Run: .venv/bin/python bench/wallet.py [--claims 200] [--warmup 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from bench.local_aws import start_local_aws  # noqa: E402
from bench.order_flow import RoundTrips, _percentile  # noqa: E402

TRIPS = RoundTrips()


def start_engine():
    """DynamoDB Local with the tables of infra/, and this process's settings pointed at it."""
    from devstack import infra
    from devstack.dynamodb_local import DynamoDBLocal

    TRIPS.install()
    engine = DynamoDBLocal().start()
    infra.create_tables(engine.client(), "local", "cn-north-1")
    os.environ.update({"STAGE": "local", "AWS_REGION": "cn-north-1",
                       "AWS_DEFAULT_REGION": "cn-north-1", "AWS_ACCESS_KEY_ID": "local",
                       "AWS_SECRET_ACCESS_KEY": "local", "POWERTOOLS_LOG_LEVEL": "ERROR",
                       "DYNAMODB_ENDPOINT_URL": engine.endpoint_url})
    return engine


def _template(total_stock: int, per_user_limit: int):
    from chalicelib.domain.marketing.coupons import AMOUNT_OFF, CouponTemplate
    from chalicelib.store.marketing import coupon_templates

    now = datetime.now(timezone.utc)
    template = CouponTemplate(id=f"ct_{uuid.uuid4().hex[:20]}", kind=AMOUNT_OFF, title="满200减10",
                              starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
                              total_stock=total_stock, per_user_limit=per_user_limit,
                              amount_off_fen=1_000, min_spend_fen=20_000)
    coupon_templates.put_template(template, "bench", now)
    return template


def _timed(action) -> tuple[float, int, Counter]:
    TRIPS.reset()
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000, TRIPS.sent, Counter(TRIPS.calls)


def coupon_claim(claims: int, warmup: int) -> dict:
    """Claims by new drivers, interleaved so drift (the engine's JIT, the shared machine) hits
    every case alike: warm (definition cached), cold (cache emptied first), GetItem baseline."""
    from chalicelib.services.marketing import coupons
    from chalicelib.store.marketing import coupon_templates

    template = _template(total_stock=10 * (claims + warmup), per_user_limit=1)

    def claim():
        coupons.claim_coupon(f"u_{uuid.uuid4().hex}", template.id)

    def cold_claim():
        coupons.clear_cache()
        return _timed(claim)
    cases = {"claim, definition cached": lambda: _timed(claim),
             "claim, cache empty": cold_claim,
             "baseline GetItem": lambda: _timed(lambda: coupon_templates.get_template(template.id))}
    figures = {label: [] for label in cases}
    for i in range(warmup + claims):
        for label, run in cases.items():
            sample = run()
            if i >= warmup:
                figures[label].append(sample)
    return figures


def report_coupon_claim(figures: dict,
                        goal: str = "goal: one transaction per claim, p99 < 30 ms") -> None:
    base = _percentile([ms for ms, _, _ in figures["baseline GetItem"]], .5)
    print(f"{'':<26}{'round trips':>12}{'p50 ms':>9}{'p99 ms':>9}{'p50 / GetItem':>15}")
    for label, samples in figures.items():
        ms, trips = [s[0] for s in samples], [s[1] for s in samples]
        shown = f"{min(trips)}" if min(trips) == max(trips) else f"{min(trips)}-{max(trips)}"
        print(f"{label:<26}{shown:>12}{_percentile(ms, .5):>9.1f}{_percentile(ms, .99):>9.1f}"
              f"{_percentile(ms, .5) / base:>15.1f}")
    for label, samples in figures.items():
        calls = sum((s[2] for s in samples), Counter())
        print(f"  {label}: " + ", ".join(f"{call} x{n / len(samples):.2g}"
                                         for call, n in sorted(calls.items())))
    print(goal)


def hot_template(claims: int = 300, stock: int = 100, drivers: int = 50, threads: int = 50) -> dict:
    """`claims` claims at once on one template; returns counts, times and retries."""
    from chalicelib.domain.errors import Conflict, RuleViolation
    from chalicelib.services.marketing import coupons
    from chalicelib.store import retries as retry_module
    from chalicelib.store.marketing import coupon_templates

    template = _template(total_stock=stock, per_user_limit=max(1, -(-claims // drivers) // 2))
    users = [f"u_{uuid.uuid4().hex}" for _ in range(drivers)]
    retries, lock = Counter(), threading.Lock()
    original_backoff = retry_module.backoff

    def counted_backoff(retry: int) -> float:
        with lock:
            retries[retry] += 1
        return original_backoff(retry)
    retry_module.backoff = counted_backoff
    coupons.claim_coupon(users[0], template.id)  # warm the definition cache, as a live Lambda
    gate = threading.Barrier(threads)
    started = time.perf_counter()
    done_at: list[float] = []

    def claim(i: int) -> tuple[str, float]:
        if i < threads:
            gate.wait()
        t0 = time.perf_counter()
        try:
            coupons.claim_coupon(users[i % drivers], template.id)
            outcome = "granted"
            with lock:
                done_at.append(time.perf_counter() - started)
        except (RuleViolation, Conflict) as refused:
            outcome = refused.code
        return outcome, (time.perf_counter() - t0) * 1000
    TRIPS.reset()
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(claim, range(claims - 1)))
    finally:
        retry_module.backoff = original_backoff
    wall = time.perf_counter() - started
    outcomes = Counter(o for o, _ in results)
    outcomes["granted"] += 1  # the warm-up claim
    return {"claims": claims, "stock": stock, "drivers": drivers, "threads": threads,
            "limit": template.per_user_limit, "wall_s": wall, "outcomes": outcomes,
            "sold_out_s": max(done_at) if done_at else None,
            "retries": sum(retries.values()), "retries_by_attempt": dict(sorted(retries.items())),
            "transactions": TRIPS.calls, "ms": [m for o, m in results if o == "granted"],
            "refused_ms": [m for o, m in results if o != "granted"],
            "issued": coupon_templates.get_template(template.id).template.issued}


def report_hot_template(f: dict) -> None:
    granted = f["outcomes"]["granted"]
    print(f"{f['claims']} claims, {f['threads']} threads, {f['drivers']} drivers x "
          f"{f['claims'] // f['drivers']}, stock {f['stock']}, per-user limit {f['limit']}")
    print(f"  answers: " + ", ".join(f"{k} {v}" for k, v in f["outcomes"].most_common()))
    print(f"  issued {f['issued']} (stock {f['stock']}); wall {f['wall_s'] * 1000:.0f} ms; "
          f"sold out after {f['sold_out_s'] * 1000:.0f} ms" if f["sold_out_s"] else "")
    print(f"  {granted / f['sold_out_s']:.0f} successful claims/s until sold out; "
          f"{f['claims'] / f['wall_s']:.0f} answered claims/s overall")
    print(f"  transaction conflicts retried: {f['retries']} (by attempt {f['retries_by_attempt']})")
    calls = sorted(f["transactions"].items())
    print("  DynamoDB calls: " + ", ".join(f"{c} {n}" for c, n in calls))
    for label, ms in (("granted", f["ms"]), ("refused", f["refused_ms"])):
        print(f"  {label} claims under contention: p50 {_percentile(ms, .5):.1f} ms, "
              f"p99 {_percentile(ms, .99):.1f} ms")
    print("  (a Lambda that saw SOLD_OUT refuses later claims without a round trip; DynamoDB "
          "Local serializes transactions, so conflicts show on real DynamoDB only)")


def wallet_order(orders: int, warmup: int) -> dict:
    """Wallet orders by funded drivers, interleaved with a GetItem baseline."""
    from chalicelib.domain.wallet import changes
    from chalicelib.services.wallet import accounts
    from chalicelib.services.orders import drivers as order_service
    from chalicelib.store.stations import stations as station_store
    from tests import paystack

    local_aws = start_local_aws(os.environ.get("DYNAMODB_ENDPOINT_URL"))
    station = paystack.seed_station()
    now = datetime.now(timezone.utc)

    def funded_driver():
        driver = paystack.seed_driver()
        accounts.change_account(driver.id, lambda a: changes.for_topup(
            a, f"T{uuid.uuid4().hex[:20]}", 100_000, None, now))
        return driver

    def order(driver):
        request = order_service.OrderRequest(station_id=station.id, nozzle_no=1,
                                             amount_fen=20_000, pay_method="wallet")
        return lambda: order_service.create_order(driver.id, request, uuid.uuid4().hex,
                                                  now=datetime.now(timezone.utc))
    figures = {"wallet order": [], "baseline GetItem": []}
    for i in range(warmup + orders):
        driver = funded_driver()
        samples = {"wallet order": _timed(order(driver)),
                   "baseline GetItem": _timed(lambda: station_store.get_station(station.id))}
        if i >= warmup:
            for label, sample in samples.items():
                figures[label].append(sample)
    local_aws.stop()
    return figures


def report_wallet_order(figures: dict) -> None:
    report_coupon_claim(figures, goal="goal: one transaction per wallet order, p99 < 30 ms")


def main() -> None:
    from devstack.offline import refuse_outside_hosts

    refuse_outside_hosts()  # a client left pointing at a real service fails at once
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    engine = start_engine()
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"DynamoDB Local; load average {load} on {os.cpu_count()} CPUs\n")
        print(f"== coupon claim ({args.claims} claims after {args.warmup} warm-up)")
        report_coupon_claim(coupon_claim(args.claims, args.warmup))
        print("\n== 300 concurrent claims on one hot template")
        report_hot_template(hot_template())
        print(f"\n== wallet order ({args.claims} orders after {args.warmup} warm-up)")
        report_wallet_order(wallet_order(args.claims, args.warmup))
    finally:
        engine.stop()


if __name__ == "__main__":
    main()
