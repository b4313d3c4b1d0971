"""Cold import time of the API handler against a bare Chalice app (chalice + boto3 only).

Each sample is a fresh interpreter, so nothing is cached between samples; the samples of the two
alternate so machine noise hits both alike. Prints medians and their ratio (goal: <= 1.5x).

Run: .venv/bin/python bench/cold_start.py [--samples 15] [--module app]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BARE = "import chalice, boto3; app = chalice.Chalice(app_name='bare')"


def sample(code: str) -> float:
    timed = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    result = subprocess.run([sys.executable, "-c", timed], cwd=PROJECT_DIR, check=True,
                            capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "",
                                                                 "PATH": "/usr/bin:/bin"})
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--module", default="app", help="module to import (e.g. app)")
    args = parser.parse_args()
    ours, bare = [], []
    for _ in range(args.samples):
        ours.append(sample(f"import {args.module}"))
        bare.append(sample(BARE))
    ours_ms, bare_ms = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    print(f"import {args.module}: median {ours_ms:.1f} ms over {args.samples} fresh interpreters")
    print(f"bare chalice+boto3 app: median {bare_ms:.1f} ms")
    print(f"ratio: {ours_ms / bare_ms:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
