"""Benchmark: parse and reconcile a 100,000-row trade bill against its orders on DynamoDB Local.

    .venv/bin/python bench/reconcile.py [--rows 100000] [--stations 50]

Seeds the orders of one day (all paid, spread over stations and grades), builds that day's bill in
the real format, then measures, each on its own:
- baseline: parse_trade_bill alone;
- full: parse + load our orders and refunds of the day (index query and batch reads) +
  reconcile + settle + store the settlements (services/reconciliation._reconcile_day).
Prints rows per second and peak memory (tracemalloc: Python heap, measured in a second pass
because tracing slows Python down; ru_maxrss: the whole process). Goal: < 30 s, < 300 MB.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BILL_DATE = date(2026, 1, 15)
HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
          "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
          "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
GRADES = (("92", 718), ("95", 768), ("0", 695))


def _env(endpoint: str) -> None:
    os.environ.update({"STAGE": "local", "AWS_REGION": "cn-north-1",
                       "AWS_DEFAULT_REGION": "cn-north-1",
                       "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "DYNAMODB_ENDPOINT_URL": endpoint, "POWERTOOLS_LOG_LEVEL": "WARNING"})


def _yuan(fen: int, places: int = 2) -> str:
    scale = 10 ** places
    return f"{fen // scale}.{fen % scale:0{places}d}"


def _orders(rows: int, stations: int):
    from chalicelib.domain.orders.orders import PAID, WECHATPAY, Order

    start = datetime(2026, 1, 15, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)
    for i in range(rows):
        grade, price = GRADES[i % len(GRADES)]
        pump = 10_000 + (i * 37) % 50_000
        discount = pump // 50
        paid_at = start + timedelta(seconds=i * 86_000 // rows)
        yield Order(id=f"FO{i:026d}", user_id=f"u{i % 5000}", openid=f"o{i % 5000}",
                    station_id=f"st-{i % stations:03d}", station_name="站", grade=grade, nozzle_no=1,
                    price_fen=price, list_price_fen=price, pump_amount_fen=pump,
                    discount_fen=discount, pay_amount_fen=pump - discount,
                    liters_ml=pump * 1000 // price, pay_method=WECHATPAY, description="油费",
                    request_hash="h", created_at=paid_at - timedelta(minutes=1),
                    expires_at=paid_at + timedelta(minutes=14), status=PAID,
                    transaction_id=f"4200{i:024d}", paid_at=paid_at)


def seed(rows: int, stations: int) -> list:
    from chalicelib.store.orders.orders import OrderModel, to_model

    orders = list(_orders(rows, stations))

    def write(chunk):
        with OrderModel.batch_write() as batch:
            for order in chunk:
                batch.save(to_model(order))
    step = 2_000
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, [orders[i:i + step] for i in range(0, len(orders), step)]))
    return orders


def bill_text(orders) -> str:
    lines, fee_total, total = [HEADER], 0, 0
    for order in orders:
        local = order.paid_at.astimezone(timezone(timedelta(hours=8)))
        fee = order.pay_amount_fen * 6
        fee_total, total = fee_total + fee, total + order.pay_amount_fen
        fields = (f"{local:%Y-%m-%d %H:%M:%S}", "wxbench", "1900000109", "0", "",
                  order.transaction_id, order.id, order.openid, "JSAPI", "SUCCESS", "OTHERS", "CNY",
                  _yuan(order.pay_amount_fen), "0.00", "0", "0", "0.00", "0.00", "", "",
                  "油费", "", _yuan(fee, 5), "0.60%", _yuan(order.pay_amount_fen), "0.00", "")
        lines.append(",".join("`" + f for f in fields))
    lines += [SUMMARY, ",".join("`" + f for f in (str(len(orders)), _yuan(total), "0.00", "0.00",
                                                  _yuan(fee_total, 5), _yuan(total), "0.00"))]
    return "\ufeff" + "\n".join(lines) + "\n"


def measure(label: str, rows: int, work, traced: bool):
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return result, elapsed, peak


def main() -> None:
    from devstack.offline import refuse_outside_hosts

    refuse_outside_hosts()  # a client left pointing at a real service fails at once
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stations", type=int, default=50)
    args = parser.parse_args()
    from devstack.dynamodb_local import DynamoDBLocal

    engine = DynamoDBLocal().start()
    try:
        _env(engine.endpoint_url)
        from devstack import infra
        infra.create_tables(engine.client(), "local", "cn-north-1")
        from chalicelib.domain.reconciliation.tradebill import parse_trade_bill
        from chalicelib.services.reconciliation import daily as reconciliation

        t0 = time.perf_counter()
        orders = seed(args.rows, args.stations)
        text = bill_text(orders)
        del orders
        print(f"seeded {args.rows} orders over {args.stations} stations in "
              f"{time.perf_counter() - t0:.1f} s; bill {len(text.encode()) / 1e6:.1f} MB")
        now = datetime.now(timezone.utc)

        def full():
            bill = parse_trade_bill(text)
            return reconciliation._reconcile_day(BILL_DATE, bill, now)

        figures = {}
        for label, work in (("parse only (baseline)", lambda: parse_trade_bill(text)),
                            ("parse + reconcile", full)):
            result, elapsed, _ = measure(label, args.rows, work, traced=False)
            _, _, peak = measure(label, args.rows, work, traced=True)
            figures[label] = (elapsed, peak)
            print(f"{label:24s} {elapsed:6.2f} s  {args.rows / elapsed:9,.0f} rows/s  "
                  f"peak Python heap {peak / 2**20:6.1f} MiB")
        summary = result["summary"]
        print(f"matched {summary['matched_count']} of {summary['bill_rows']} rows, "
              f"{summary['differences']} differences")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak RSS {rss:.0f} MiB (includes seeding and the bill text)")
        elapsed, peak = figures["parse + reconcile"]
        verdict = "met" if elapsed < 30 and peak < 300 * 2**20 else "NOT met"
        print(f"goal < 30 s and < 300 MB: {verdict}")
    finally:
        engine.stop()


if __name__ == "__main__":
    main()
