"""Small helpers to run WSGI apps on loopback ports in background threads.

werkzeug's server closes every connection after its answer, so each request costs a new
connection and a new thread on both sides. `serve(app, keep_alive=True)` serves with waitress
instead, which keeps HTTP/1.1 connections open between requests as the services the stand-ins
stand for do (S3, SQS, the invoice platform); for the invoice worker that was about a sixth of
the CPU of the worker and of the local stack (docs/decisions.md, 2026-12-06).
"""
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


def serve(app, host: str = "127.0.0.1", port: int = 0, *,
          keep_alive: bool = False) -> RunningServer:
    """Serve a WSGI app (threaded) until stop(); port 0 picks a free one."""
    if keep_alive:
        return _serve_kept_alive(app, host, port)
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{server.port}", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.port}", server=server, thread=thread)


# waitress answers with a pool of threads; more than a queue worker's batch (ten at once) and the
# API's requests meanwhile, so none waits for a thread.
KEPT_ALIVE_THREADS = 24


class _KeptAlive:
    """waitress's server, stopped like werkzeug's: its own loop thread closes the listening
    socket and every open connection (the loop ends when none is left), then the threads go."""

    def __init__(self, server):
        self._server = server

    def shutdown(self) -> None:
        server = self._server

        def close_all() -> None:
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_all)
        server.task_dispatcher.shutdown(timeout=5)


def _serve_kept_alive(app, host: str, port: int) -> RunningServer:
    from waitress.server import create_server

    server = create_server(app, host=host, port=port, threads=KEPT_ALIVE_THREADS)
    thread = threading.Thread(target=server.run, name=f"waitress-{server.effective_port}",
                              daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.effective_port}", server=_KeptAlive(server),
                         thread=thread)
