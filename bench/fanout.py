"""A price drop at a station with N followers (default 10,000) on the local stack.

Starts the local stack as `python -m devstack` runs it (a subprocess on free ports: moto server,
sandboxes, the API, and the worker that feeds SQS messages to the handlers), then here:
- writes N drivers (user + openid claim), their follows of (station, 92) and each one's alert
  count straight into the tables with batch writes; grants each one price_drop quota through
  the notifier's store and has each accept the template at the WeChat sandbox
  (POST {wechat_url}/sandbox/subscribe), as a phone would;
- as the manager of two stations, over HTTP: times price drops at the station nobody follows
  (the baseline: the same request, the same one SendMessage, an empty fan-out), then the one
  drop at the station with N followers;
- polls the sandbox outbox (GET {wechat_url}/sandbox/messages) until N messages were sent.
In AWS the notifier Lambda scales out with its queue; the local worker is one thread that
drains one queue after the other. So the bench adds its own notifier pollers
(--notifier-pollers, default 4: the same handler, fed by devstack.worker.deliver_once, as
Lambda's pollers would) and says how many it ran. Know what the local figures measure: moto's
SQS checks every waiting message on each send, so a send costs time in proportion to the
queue's depth (in-process: 8 s per 1,000 messages into an empty queue, 80 s per 1,000 at 5,000
waiting), which makes a 10,000-message fan-out quadratic locally and can time requests out
(the record is then redelivered after the queue's visibility timeout). SQS has no such cost.
Prints the request latencies (followed against baseline), the time from the request to the last
message sent and messages per second. Figures only, no assertions. Setup takes a few minutes.

Run: .venv/bin/python bench/fanout.py [--followers 10000] [--notifier-pollers 4] [--timeout 1800]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

MANAGER = "mgr-north"  # manages ty-013 (followed here) and ty-017 (the baseline)
FOLLOWED, BASELINE, GRADE = "ty-013", "ty-017", "92"


def start_stack() -> tuple[subprocess.Popen, dict]:
    state_dir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["POWERTOOLS_LOG_LEVEL"] = "INFO"  # the fan-out's "handled" lines time its stage
    log = open(state_dir / "devstack.log", "w")
    child = subprocess.Popen([sys.executable, "-m", "devstack", "--api-port", "0",
                              "--state-dir", str(state_dir), "--schedule-every", "30"],
                             cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and child.poll() is None:
        info_path = state_dir / "devstack.json"
        if info_path.exists():
            info = json.loads(info_path.read_text())
            try:
                requests.get(f"{info['api_url']}/v1/me", timeout=1)
                os.environ.update(info["environment"])
                # This process prints figures only; the stack's worker logs to devstack.log, and
                # what the bench pollers fail on comes again through the queue like any Lambda's.
                os.environ["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
                info["log_path"] = str(state_dir / "devstack.log")
                return child, info
            except requests.ConnectionError:
                pass
        time.sleep(0.3)
    child.kill()
    raise RuntimeError(f"the local stack did not start; see {state_dir / 'devstack.log'}")


def seed_followers(info: dict, count: int) -> list[str]:
    from chalicelib.domain.notifications.price_alerts import Alert
    from chalicelib.domain.notifications.subscribe_messages import PRICE_DROP
    from chalicelib.store.notifications import alerts as alert_store
    from chalicelib.store.notifications import subscriptions as subs
    from chalicelib.store.identity.users import OpenIdClaimModel, UserModel

    now = datetime.now(timezone.utc)
    run = f"{int(time.time()):x}"
    users = [f"u_bench_{run}_{k:06d}" for k in range(count)]
    with UserModel.batch_write() as users_out, OpenIdClaimModel.batch_write() as claims_out:
        for user_id in users:
            users_out.save(UserModel(user_id, openid=f"o-{user_id}", created_at=now))
            claims_out.save(OpenIdClaimModel(f"o-{user_id}", user_id=user_id))
    with alert_store.AlertModel.batch_write() as follows_out:
        for user_id in users:
            saved = alert_store.SavedAlert(Alert(user_id, FOLLOWED, GRADE), "bench", now, now)
            follows_out.save(alert_store.to_model(saved))
            follows_out.save(alert_store.AlertModel(user_id, alert_store.COUNT, alert_count=1))
    template_id = info["wechat"]["template_ids"][PRICE_DROP]
    session = requests.Session()

    def accept(user_id: str) -> None:
        subs.grant(user_id, template_id, PRICE_DROP, now=now, cap=50)
        session.post(f"{info['wechat_url']}/sandbox/subscribe", timeout=10, json={
            "openid": f"o-{user_id}", "template_ids": [template_id]}).raise_for_status()

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(accept, users))
    return users


def staff_session(info: dict) -> requests.Session:
    account = next(s for s in info["staff"] if s["username"] == MANAGER)
    session = requests.Session()
    token = session.post(f"{info['api_url']}/v1/staff/login", timeout=10, json={
        "username": account["username"], "password": account["password"]}).json()["token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def timed_drop(info: dict, staff: requests.Session, station_id: str, by_fen: int) -> float:
    """Lower the 92 pump price by `by_fen` (restoring first if needed); the request's seconds."""
    station = requests.get(f"{info['api_url']}/v1/stations/{station_id}", timeout=10).json()
    grade = next(g for g in station["grades"] if g["grade"] == GRADE)
    body = {"grades": [{"grade": GRADE, "guide_price_fen": grade["guide_price_fen"],
                        "pump_price_fen": grade["pump_price_fen"] - by_fen}]}
    started = time.perf_counter()
    response = staff.put(f"{info['api_url']}/v1/staff/stations/{station_id}/prices", json=body,
                         timeout=30)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def fanout_stage(log_path: str, station_id: str, since: datetime) -> tuple[int, int, datetime | None]:
    """(fan-out messages, events handed to the notifier, when the last was handled) for the
    station's fan-out, from the worker's log lines."""
    messages, events, last = 0, 0, None
    for line in Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines():
        if '"alert fan-out message handled"' not in line:
            continue
        entry = json.loads(line[line.index("{"):])
        at = datetime.strptime(entry["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z")
        if entry.get("station_id") == station_id and at >= since:
            messages, events, last = messages + 1, events + int(entry.get("events", 0)), at
    return messages, events, last


def start_notifier_pollers(count: int, stop: threading.Event) -> list[threading.Thread]:
    """Extra consumers of the notifier queue in this process (see the module docstring)."""
    import boto3
    from chalice.app import SQSEventConfig

    from app import app
    from chalicelib.settings import get_settings
    from devstack import worker

    settings = get_settings()
    sqs = boto3.client("sqs", region_name=settings.aws_region,
                       endpoint_url=settings.endpoint_for("sqs"))
    source = next(s for s in app.event_sources
                  if isinstance(s, SQSEventConfig) and s.name == "notification_worker")
    url = sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]

    def poll():
        while not stop.is_set():
            worker.deliver_once(sqs, source, url, arn, settings.aws_region, wait_s=1)

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def sent_messages(info: dict, openid: str | None = None) -> list[dict]:
    params = {"openid": openid} if openid else {}
    items = requests.get(f"{info['wechat_url']}/sandbox/messages", params=params,
                         timeout=60).json()["items"]
    return [m for m in items if m["openid"].startswith("o-u_bench_")]


def wait_for_sends(info: dict, users: list[str], timeout_s: float) -> list[dict]:
    """The bench messages the sandbox sent, once all are there or the time is up. Polls the
    last follower's outbox (small answers), and the whole outbox only every 30 s: listing
    10,000 messages every second would load the machine the stack runs on."""
    started = time.monotonic()
    deadline, progress_at = started + timeout_s, started + 60
    while time.monotonic() < deadline and not sent_messages(info, f"o-{users[-1]}"):
        time.sleep(1)
        if time.monotonic() >= progress_at:
            progress_at += 60
            print(f"  ... {len(sent_messages(info))} sent after "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    sent = sent_messages(info)
    while len(sent) < len(users) and time.monotonic() < deadline:
        time.sleep(30)
        sent = sent_messages(info)
    return sent


def report_latency(followers: int, followed_s: float, baseline: list[float]) -> None:
    base_ms = statistics.median(baseline) * 1000
    print(f"price-change request, station with {followers} followers: {followed_s * 1000:.0f} ms")
    print(f"price-change request, station with no followers (median of {len(baseline)}): "
          f"{base_ms:.0f} ms (max {max(baseline) * 1000:.0f} ms); ratio "
          f"{followed_s * 1000 / base_ms:.2f}x (goal: under 100 ms regardless of followers)",
          flush=True)


def report_delivery(args, started_wall: datetime, sent: list[dict], stage) -> None:
    pages, handed, fanned_at = stage
    if fanned_at is not None:
        fanned_s = (fanned_at - started_wall).total_seconds()
        print(f"fan-out stage: {pages} fan-out messages handed {handed} price_drop events to the "
              f"notifier queue, the last {fanned_s:.1f} s after the request "
              f"({handed / fanned_s:.0f} events/s)")
    if not sent:
        print("no message was sent before the timeout")
        return
    times = sorted(datetime.fromisoformat(m["sent_at"]) for m in sent)
    first_s, last_s = ((t - started_wall).total_seconds() for t in (times[0], times[-1]))
    print(f"messages sent: {len(times)} of {args.followers}; first {first_s:.1f} s, last "
          f"{last_s:.1f} s after the request"
          + ("" if len(times) == args.followers else f" (timeout {args.timeout:.0f} s)"))
    print(f"throughput: {len(times) / last_s:.1f} messages/s end to end "
          f"({len(times) / max(last_s - first_s, 1e-3):.1f}/s between the first and the last "
          f"send); notifier consumers: the devstack worker + {args.notifier_pollers} bench pollers")


def main() -> None:
    from devstack.offline import refuse_outside_hosts

    refuse_outside_hosts()  # a client left pointing at a real service fails at once
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--notifier-pollers", type=int, default=4,
                        help="extra consumers of the notifier queue (0: the devstack worker only)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for sends")
    args = parser.parse_args()
    child, info = start_stack()
    stop_pollers, pollers = threading.Event(), []
    try:
        setup_started = time.perf_counter()
        users = seed_followers(info, args.followers)
        print(f"setup: {args.followers} followers with quota in "
              f"{time.perf_counter() - setup_started:.0f} s", flush=True)
        staff = staff_session(info)
        pollers = start_notifier_pollers(args.notifier_pollers, stop_pollers)
        timed_drop(info, staff, BASELINE, 1)  # warm-up: connections, first imports
        baseline = []
        for _ in range(7):
            time.sleep(1)  # each drop's (empty) fan-out passes through the worker meanwhile
            baseline.append(timed_drop(info, staff, BASELINE, 1))
        time.sleep(2)
        started_wall = datetime.now(timezone.utc)
        followed_s = timed_drop(info, staff, FOLLOWED, 10)
        report_latency(args.followers, followed_s, baseline)
        sent = wait_for_sends(info, users, args.timeout)
        report_delivery(args, started_wall, sent,
                        fanout_stage(info["log_path"], FOLLOWED, started_wall))
    finally:
        stop_pollers.set()
        for poller in pollers:  # before the stack goes: a poll in flight needs its SQS
            poller.join(timeout=60)
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    main()
