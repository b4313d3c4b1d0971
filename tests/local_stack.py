"""The local stack started as a subprocess, exactly as the README starts it, and helpers to act
on it over HTTP as a driver or a staff member would. Shared by the e2e and browser tiers: the
`stack` fixture is offered to every tier by tests/conftest.py, so one session starts one stack.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

PROJECT_DIR = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def running_stack(state_dir: Path, start_timeout_s: float = 120):
    """The local stack as a subprocess on free ports, as the README starts it; yields its
    devstack.json once the API answers, and stops it with Ctrl-C's signal at the end. The stack
    binds every port itself (--api-port 0) and writes what it got to devstack.json, which it
    writes only once the API's socket is listening."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    # Each line reaches the log as it is written (the functions' EMF metrics are read from it).
    env["PYTHONUNBUFFERED"] = "1"
    # A process of the stack that crashes (a signal, not an exception) leaves every thread's
    # Python stack in the log instead of only "exited with -11".
    env["PYTHONFAULTHANDLER"] = "1"
    log = open(state_dir / "devstack.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--api-port", "0", "--state-dir", str(state_dir),
         "--schedule-every", "2"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    info_path = state_dir / "devstack.json"
    deadline = time.monotonic() + start_timeout_s
    info = None
    while time.monotonic() < deadline and process.poll() is None:
        if info_path.exists():
            info = json.loads(info_path.read_text())
            try:
                requests.get(f"{info['api_url']}/v1/me", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up, or busy starting
                pass
        time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("the local stack did not start:\n" +
                           (state_dir / "devstack.log").read_text()[-4000:])
    # The stack's output: what the functions (API and worker) log, as CloudWatch Logs would hold.
    info["log_path"] = str(state_dir / "devstack.log")
    try:
        yield info
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("devstack")) as info:
        yield info


def driver_token(stack, openid: str) -> str:
    code = requests.post(f"{stack['wechat_url']}/sandbox/login-code", json={"openid": openid},
                         timeout=30).json()["code"]
    response = requests.post(f"{stack['api_url']}/v1/auth/login", json={"code": code}, timeout=60)
    response.raise_for_status()
    return response.json()["token"]


def staff_token(stack, role: str) -> tuple[str, dict]:
    account = next(s for s in stack["staff"] if s["role"] == role)
    response = requests.post(f"{stack['api_url']}/v1/staff/login",
                             json={"username": account["username"],
                                   "password": account["password"]}, timeout=10)
    response.raise_for_status()
    return response.json()["token"], account


def eventually(fetch, accept, timeout_s=30.0):
    """fetch() until accept(value), polling; fails with the last value after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if accept(value):
            return value
        assert time.monotonic() < deadline, f"not reached in time; last: {value}"
        time.sleep(0.25)
