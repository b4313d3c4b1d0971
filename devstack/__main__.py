"""The whole local stack in one command: python -m devstack (see README).

Starts DynamoDB Local with every table of infra/ (in memory, or kept under the state dir with
--keep), an embedded AWS (moto server) with its queues, bucket and secrets, the sandboxes of the
outside systems, seeds Taiyuan stations and staff, then runs the API on :8000 and the worker that
delivers SQS messages and schedules. Writes .local/devstack.json. Ctrl-C stops everything.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from devstack.stack import LocalStack, PROJECT_DIR


def quiet_console(verbose: bool) -> None:
    """By default the console shows the banner, the API's request lines and warnings: the
    embedded AWS and the sandboxes (werkzeug servers in this process) log requests at INFO."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(name)s: %(message)s")
    for name in ("werkzeug", "moto", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(level)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the fuel backend locally.")
    parser.add_argument("--api-port", type=int, default=8000,
                        help="the API's port; 0 picks a free one (written to devstack.json)")
    parser.add_argument("--state-dir", default=str(PROJECT_DIR / ".local"))
    parser.add_argument("--schedule-every", type=float, default=5.0,
                        help="fire every schedule at least this often, in seconds")
    parser.add_argument("--notify-time-scale", type=float, default=0.01,
                        help="scale of WeChat Pay's notification retry schedule")
    parser.add_argument("--keep", action="store_true",
                        help="keep the tables under the state dir between runs (default: memory)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print the access logs of the embedded AWS and the sandboxes, "
                             "and the app's INFO logs")
    args = parser.parse_args()
    quiet_console(args.verbose)

    stack = LocalStack(Path(args.state_dir), api_port=args.api_port,
                       notify_time_scale=args.notify_time_scale, keep_data=args.keep,
                       log_level="INFO" if args.verbose else "WARNING")
    stopping = threading.Event()
    children: list[subprocess.Popen] = []

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        try:
            info = stack.start()
        except RuntimeError as error:  # a port in use, an engine that did not start: said plainly
            print(f"devstack: {error}", file=sys.stderr)
            return 1
        env = {**os.environ, **stack.environment()}
        python = sys.executable
        api_fd = stack.hand_over_api_socket()
        children.append(subprocess.Popen(
            [python, "-m", "devstack.api", "--fd", str(api_fd)], cwd=PROJECT_DIR, env=env,
            pass_fds=(api_fd,)))
        stack.release_api_socket()
        children.append(subprocess.Popen(
            [python, "-m", "devstack.worker", "--schedule-every", str(args.schedule_every)],
            cwd=PROJECT_DIR, env=env))
        stack.wait_for_api()
        stack.print_summary(info)
        while not stopping.wait(0.5):
            for child in children:
                if child.poll() is not None:
                    print(f"devstack: {child.args[2]} exited with {child.returncode}; stopping",
                          file=sys.stderr)
                    stopping.set()
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        stack.stop()
        print("devstack: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
