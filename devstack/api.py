"""Serve the Chalice app over HTTP the way `chalice local` does, with the devstack's environment.

Run: python -m devstack.api --port 8000 (the devstack starts it with the local environment, on
a listening socket it bound itself and hands over with --fd, so the port is never free between
the stack choosing it and the API serving it).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def make_server(app, host: str, port: int, listening: socket.socket | None = None):
    """chalice's local server for `app`, as `chalice local` builds it, plus fixes:
    a thread-local `current_request` (chalice's create_local_server does that by swapping the
    app's class), a listen backlog that survives bursts of concurrent webhooks, greedy routes
    and CORS preflights answered by the app (devstack/greedy_routes.py, devstack/preflight.py),
    and every HTTP method handed to the app, as API Gateway does. Given a `listening` socket,
    it serves that one; otherwise it binds host:port (port 0 picks a free one: read
    `.server.server_port`)."""
    from chalice.config import Config
    from chalice.local import (
        ChaliceRequestHandler, LocalChalice, LocalDevServer, ThreadedHTTPServer,
        create_local_server)

    from devstack import greedy_routes, preflight

    class ManyConnections(ThreadedHTTPServer):
        request_queue_size = 256  # the default 5 resets connections under load

        def __init__(self, address, handler):
            super().__init__(address, handler, bind_and_activate=listening is None)
            if listening is not None:  # what server_bind and server_activate would have set up
                self.socket.close()
                self.socket = listening
                self.server_address = listening.getsockname()
                self.server_name, self.server_port = self.server_address[:2]
                listening.listen(self.request_queue_size)

        def handle_error(self, request, client_address):
            # A caller that gave up (WeChat Pay's sandbox times a notification out and retries
            # it) is no fault of ours: a warning line, not a traceback on the console.
            error = sys.exc_info()[1]
            if isinstance(error, (BrokenPipeError, ConnectionResetError)):
                print(f"devstack api: {client_address[0]}:{client_address[1]} went away before "
                      "its answer", file=sys.stderr)
                return
            super().handle_error(request, client_address)

    class AnyMethod(ChaliceRequestHandler):
        # http.server answers a method without a do_<METHOD> (TRACE, CONNECT, made-up ones)
        # with an HTML 501; handed to the app instead, it gets the JSON 405 of a wrong method.
        def __getattr__(self, name: str):
            if name.startswith("do_"):
                return self._generic_handle
            raise AttributeError(name)

    greedy_routes.install()
    preflight.install()
    config_from_disk = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    config = Config.create(chalice_stage="local", project_dir=str(PROJECT_DIR),
                           config_from_disk=config_from_disk)
    # What the devstack passed in wins over the stage's defaults, as with `chalice local`.
    for key, value in config.environment_variables.items():
        os.environ.setdefault(key, value)
    if not isinstance(app, LocalChalice):
        create_local_server(app, config, host, 0).server.server_close()
    return LocalDevServer(app, config, host, port, handler_cls=AnyMethod,
                          server_cls=ManyConnections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fd", type=int, help="serve this inherited listening socket instead")
    args = parser.parse_args()
    listening = None if args.fd is None else socket.socket(fileno=args.fd)
    port = args.port if listening is None else listening.getsockname()[1]
    server = make_server(importlib.import_module("app").app, args.host, port, listening)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
