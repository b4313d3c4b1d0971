"""E2E tier: the local stack started as a subprocess, exactly as the README starts it, and
spoken to over HTTP only."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from devstack.servers import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("devstack")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    log = open(state_dir / "devstack.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--api-port", str(port), "--state-dir", str(state_dir),
         "--schedule-every", "2"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    info_path = state_dir / "devstack.json"
    deadline = time.monotonic() + 120
    info = None
    while time.monotonic() < deadline and process.poll() is None:
        if info_path.exists():
            info = json.loads(info_path.read_text())
            try:
                requests.get(f"{info['api_url']}/v1/me", timeout=1)
                break
            # Not up yet, or still importing the app (a slow first answer under load).
            except (requests.ConnectionError, requests.Timeout):
                pass
        time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("the local stack did not start:\n" +
                           (state_dir / "devstack.log").read_text()[-4000:])
    yield info
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def api(stack):
    return stack["api_url"]


def driver_token(stack, openid: str) -> str:
    code = requests.post(f"{stack['wechat_url']}/sandbox/login-code", json={"openid": openid},
                         timeout=5).json()["code"]
    response = requests.post(f"{stack['api_url']}/v1/auth/login", json={"code": code}, timeout=10)
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
