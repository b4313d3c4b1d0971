"""Serve the Chalice app over HTTP the way `chalice local` does, with the devstack's environment.

Run: python -m devstack.api --port 8000 (the devstack starts it with the local environment).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def make_server(app, host: str, port: int):
    """chalice's local server for `app`, as `chalice local` builds it, plus fixes:
    a thread-local `current_request` (chalice's create_local_server does that by swapping the
    app's class), a listen backlog that survives bursts of concurrent webhooks, greedy routes
    and CORS preflights answered by the app (devstack/greedy_routes.py, devstack/preflight.py)."""
    from chalice.config import Config
    from chalice.local import LocalChalice, LocalDevServer, ThreadedHTTPServer, create_local_server

    from devstack import greedy_routes, preflight

    class ManyConnections(ThreadedHTTPServer):
        request_queue_size = 256  # the default 5 resets connections under load

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
    return LocalDevServer(app, config, host, port, server_cls=ManyConnections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server = make_server(importlib.import_module("app").app, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
