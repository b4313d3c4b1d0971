"""A process that launched DynamoDB Local and then died outright (SIGKILL, a crash: no `stop()`
runs) takes the engine's JVM with it, instead of leaving about 240 MB running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
LAUNCHER = """
import sys, time
from devstack.dynamodb_local import DynamoDBLocal
engine = DynamoDBLocal().launch()
print(engine._process.pid, flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Alive and still a DynamoDB Local JVM (a zombie, or a pid taken again, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and b"DynamoDBLocal" in command


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_engine_dies_when_the_process_that_launched_it_is_killed():
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], cwd=PROJECT_DIR,
                                stdout=subprocess.PIPE, text=True)
    jvm = None
    try:
        jvm = int(launcher.stdout.readline())
        assert _running(jvm)
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=60)
        deadline = time.monotonic() + 120
        while _running(jvm) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(jvm), "the JVM outlived the process that launched it"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(timeout=60)
        if jvm is not None and _running(jvm):
            os.kill(jvm, signal.SIGKILL)
        launcher.stdout.close()
