"""A whole day on the local stack: N drivers at once through whole journeys (tests/journeys.py),
then the next morning's reconciliation and every order, settlement, invoice and wallet checked.

    .venv/bin/python bench/soak.py                      # starts its own stack, 40 drivers
    .venv/bin/python bench/soak.py --drivers 12 --journeys-per-driver 2
    .venv/bin/python bench/soak.py --stack .local/devstack.json   # a stack bin/dev started

A stack given with --stack must not have had orders at the soak's stations today (their
settlement is checked to hold the soak's orders exactly): start it afresh. Prints journeys per
second, p50/p99 per route and the counts checked; exits 1 if any check failed. Figures taken on
a shared machine are noisy: compare runs made back to back.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import running_stack  # noqa: E402
from tests.journeys import run_day  # noqa: E402


@contextlib.contextmanager
def _stack(path: str | None):
    if path:
        yield json.loads(Path(path).read_text())
        return
    state_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    with running_stack(state_dir) as info:
        yield info
    print(f"  the stack's log: {state_dir / 'devstack.log'}")


def main() -> int:
    from devstack.offline import refuse_outside_hosts

    refuse_outside_hosts()  # a client left pointing at a real service fails at once
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=40)
    parser.add_argument("--journeys-per-driver", type=int, default=1)
    parser.add_argument("--stack", help="devstack.json of a running stack (default: start one)")
    args = parser.parse_args()
    with _stack(args.stack) as stack:
        try:
            figures = run_day(stack, args.drivers, args.journeys_per_driver)
        except AssertionError as err:
            print(f"soak FAILED: {err}"[:3000], file=sys.stderr)
            return 1
    print(f"soak passed: {figures['journeys']} journeys by {args.drivers} drivers in "
          f"{figures['seconds']:.1f} s = {figures['journeys_per_s']:.2f} journeys/s")
    print(f"  {'route':<40} {'calls':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for route, (calls, p50, p99) in figures["routes"].items():
        print(f"  {route:<40} {calls:>6} {p50:>8.0f} {p99:>8.0f}")
    print("  checked: " + ", ".join(f"{n} {what}" for what, n in figures["checked"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
