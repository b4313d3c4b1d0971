"""Small helpers to run WSGI apps on loopback ports in background threads."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now, for a server that cannot be handed a bound socket (DynamoDB Local's JVM).
    Another process may take it before that server binds it: check who listens (see
    devstack/dynamodb_local.py). Every other server here binds port 0 itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def serve(app, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve a WSGI app (threaded) until stop(); port 0 picks a free one."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{server.port}", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.port}", server=server, thread=thread)
