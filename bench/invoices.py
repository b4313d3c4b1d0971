"""Invoices through the queue and the worker on the local stack, with the issuer answering at once.

Starts the local stack in a child process (moto server, issuer sandbox, SMTP sink, as
`python -m devstack` runs them apart from its worker), sets the
sandbox issuer's delay to 0, requests N invoices for fuelled orders (each puts a message on the
queue), then runs ONE worker (the app's SQS handler, fed batches of 10 exactly as the devstack
worker and Lambda feed it) until every invoice is issued, stored and mailed. Prints invoices per
second for that worker, its CPU and the local stack's per invoice, and the cold import time of
the worker compared with the API handler and a bare Chalice app (fresh interpreters).

Run: .venv/bin/python bench/invoices.py [--invoices 500] [--samples 7] [--profile DIR]
(--profile writes CPU profiles, see bench/thread_profile.py: DIR/worker.pstats of the worker
while it runs, DIR/stack.pstats of the local stack's Python process for its whole life, since
its servers' threads start with it: start-up and the requests before the worker run are in it
too, under their own functions.)
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

BARE = "import chalice, boto3; app = chalice.Chalice(app_name='bare')"
API = "import app"
# What the worker has loaded once it handled its first record: the app plus the modules its
# path imports on first use (issuer client, S3/SQS, SMTP); the invoice files are the
# platform's, downloaded, so no PDF renderer loads in the worker.
WORKER = ("import app; import chalicelib.services.invoices.work;"
          " import chalicelib.services.invoices.sweeper;"
          " import boto3, requests, smtplib")


def cold_ms(code: str) -> float:
    timed = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    result = subprocess.run([sys.executable, "-c", timed], cwd=PROJECT_DIR, check=True,
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    return float(result.stdout.strip().splitlines()[-1]) * 1000


def cold_imports(samples: int) -> dict[str, float]:
    times: dict[str, list[float]] = {"bare": [], "api": [], "worker": []}
    for _ in range(samples):   # interleaved, so machine noise hits all alike
        for name, code in (("bare", BARE), ("api", API), ("worker", WORKER)):
            times[name].append(cold_ms(code))
    return {name: statistics.median(values) for name, values in times.items()}


def fuelled_orders(user_id: str, station: dict, count: int) -> list[str]:
    from chalicelib.domain.orders.orders import Order
    from chalicelib.store.orders.orders import to_model

    now = datetime.now(timezone.utc)
    ids = []
    for _ in range(count):
        order_id = f"ob{uuid.uuid4().hex[:20]}"
        to_model(Order(
            id=order_id, user_id=user_id, openid="o-bench", station_id=station["id"],
            station_name=station["name"], grade="92", nozzle_no=1, price_fen=718,
            list_price_fen=718, pump_amount_fen=21626, discount_fen=0, pay_amount_fen=21626,
            liters_ml=30120, pay_method="wechatpay", description="bench", request_hash="bench",
            created_at=now, expires_at=now + timedelta(minutes=15), status="FUELLED",
            transaction_id=f"4200{uuid.uuid4().hex[:24]}", paid_at=now, fuelled_at=now,
            actual_amount_fen=21626, version=2)).save()
        ids.append(order_id)
    return ids


def tree_cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of a process and its descendants, from /proc: (the Python
    processes, the JVM of DynamoDB Local)."""
    import os

    parents, cpu, java = {}, {}, set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, fields = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue   # gone meanwhile
        fields = fields.split()
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if name.endswith("(java"):
            java.add(int(entry.name))
    tree, grown = {pid}, True
    while grown:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree, grown = tree | more, bool(more)
    return (sum(cpu.get(p, 0.0) for p in tree - java),
            sum(cpu.get(p, 0.0) for p in tree & java))


def run_worker(app, expected: int, stack_pid: int) -> tuple[float, float, tuple, int]:
    """Feed the queue to the worker until it is empty; returns (wall seconds, CPU seconds of
    the worker process, CPU seconds of the local stack meanwhile: (its Python process: moto,
    the issuer sandbox drawing the platform's files, the SMTP sink; DynamoDB Local's JVM),
    messages handled)."""
    import boto3

    from chalice.app import SQSEventConfig

    from chalicelib.settings import get_settings
    from devstack import worker

    settings = get_settings()
    sqs = boto3.client("sqs", region_name=settings.aws_region,
                       endpoint_url=settings.endpoint_for("sqs"))
    source = next(s for s in app.event_sources if isinstance(s, SQSEventConfig))
    url = settings.invoice_queue_url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    stack_cpu = tree_cpu_s(stack_pid)
    handled, start, cpu = 0, time.perf_counter(), time.process_time()
    while handled < expected:
        done = worker.deliver_once(sqs, source, url, arn, settings.aws_region, wait_s=0)
        if not done and handled:
            break
        handled += done
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    stack_cpu = tuple(after - before for after, before in zip(tree_cpu_s(stack_pid), stack_cpu))
    return elapsed, cpu, stack_cpu, handled


def serve_stack(state_dir: Path, profile: Path | None) -> None:
    """The child: the local stack's AWS and sandboxes, until the parent closes our stdin;
    profiled into `profile` if given."""
    from bench.thread_profile import profiling
    from devstack.stack import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with profiling(profile):
        stack = LocalStack(state_dir, api_port=0)
        try:
            stack.start()
            print("ready", flush=True)
            sys.stdin.read()
        finally:
            stack.stop()


def start_stack(profile: Path | None) -> tuple[subprocess.Popen, dict]:
    import json
    import os

    state_dir = Path(tempfile.mkdtemp(prefix="bench-invoices-"))
    profiling = ["--profile", str(profile.resolve())] if profile else []
    child = subprocess.Popen([sys.executable, __file__, "--serve-stack", str(state_dir),
                              *profiling],
                             cwd=PROJECT_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"})
    if child.stdout.readline().strip() != "ready":
        child.kill()
        raise RuntimeError("the local stack did not start")
    info = json.loads((state_dir / "devstack.json").read_text())
    os.environ.update(info["environment"])
    return child, info


def main() -> None:
    from devstack.offline import refuse_outside_hosts

    refuse_outside_hosts()  # a client left pointing at a real service fails at once
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--samples", type=int, default=7, help="fresh interpreters per import")
    parser.add_argument("--profile", type=Path, help="write CPU profiles of the worker run here")
    parser.add_argument("--serve-stack", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_stack:
        serve_stack(args.serve_stack, args.profile)
        return

    import requests

    from bench.thread_profile import profiling
    from devstack import seed

    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    child, info = start_stack(args.profile / "stack.pstats" if args.profile else None)
    try:
        requests.post(f"{info['invoice_url']}/sandbox/config", json={"delay_s": 0},
                      timeout=5).raise_for_status()
        from app import app
        from chalicelib.services.invoices import requests as invoices
        from chalicelib.store.invoices import invoices as store

        station = next(s for s in seed.load_stations() if s["id"] == "ty-001")
        user_id = f"u_bench_{uuid.uuid4().hex[:8]}"
        orders = fuelled_orders(user_id, station, args.invoices)
        title = {"type": "personal", "name": "基准测试"}
        started = time.perf_counter()
        ids = [invoices.request_invoice(user_id, [order_id], title, "bench@example.com").id
               for order_id in orders]
        request_s = time.perf_counter() - started

        with profiling(args.profile / "worker.pstats" if args.profile else None):
            elapsed, cpu_s, stack_s, handled = run_worker(app, len(ids), child.pid)
        statuses = [store.get_invoice(invoice_id) for invoice_id in ids]
        issued = sum(1 for i in statuses if i.status == "ISSUED")
        mailed = sum(1 for i in statuses if i.mails_sent == 1)
        numbers = {i.number for i in statuses if i.number}
        outbox = requests.get(info["mail_outbox_url"], params={"to": "bench@example.com"},
                              timeout=30).json()["items"]
    finally:
        child.stdin.close()
        child.wait(timeout=300 if args.profile else 30)   # merging the profiles takes a while

    cold = cold_imports(args.samples)
    print(f"requests: {len(ids)} invoices requested in {request_s:.1f} s "
          f"({len(ids) / request_s:.0f}/s through the use case)")
    print(f"worker: {handled} messages, {issued} issued, {mailed} mailed, {len(numbers)} distinct "
          f"numbers, {len(outbox)} mails in the outbox, in {elapsed:.1f} s")
    print(f"throughput: {issued / elapsed:.1f} invoices/s for one worker, end to end on the "
          f"local stack (goal >= 50)")
    print(f"worker CPU: {cpu_s / max(issued, 1) * 1000:.1f} ms per invoice, so one worker core "
          f"sustains {issued / cpu_s:.0f} invoices/s when its services answer; the rest of the "
          f"wall time ({1 - cpu_s / elapsed:.0%}) is waiting on moto, the sandboxes and SMTP")
    per = 1000 / max(issued, 1)
    print(f"local stack CPU: {sum(stack_s) * per:.1f} ms per invoice ({stack_s[0] * per:.1f} in "
          f"its Python process: moto, the issuer sandbox drawing the platform's files, the SMTP "
          f"sink; {stack_s[1] * per:.1f} in DynamoDB Local); with "
          f"the worker's, {(cpu_s + sum(stack_s)) / elapsed:.2f} of this machine's "
          f"{os.cpu_count()} cores busy on the bench (the rest: other load, waits)")
    print(f"cold import (median of {args.samples}): bare chalice+boto3 {cold['bare']:.0f} ms, "
          f"API handler {cold['api']:.0f} ms ({cold['api'] / cold['bare']:.2f}x), "
          f"worker incl. first-use imports {cold['worker']:.0f} ms "
          f"({cold['worker'] / cold['api']:.2f}x the API handler)")


if __name__ == "__main__":
    main()
