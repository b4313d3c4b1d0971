"""The local stack binds the API's port before anything else, so a port in use stops the start at
once with a plain reason, and nothing (no JVM, no embedded AWS) is left running."""
from __future__ import annotations

import socket

import pytest

from devstack.stack import LocalStack


def test_an_api_port_in_use_stops_the_start_before_anything_runs(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        stack = LocalStack(tmp_path, api_port=port)
        with pytest.raises(RuntimeError, match=f"the API's port {port} is in use"):
            stack.start()
    assert stack._dynamodb is None and not stack._servers
    assert not (tmp_path / "devstack.json").exists()



def test_the_api_serves_the_listening_socket_it_is_handed(base_environment):
    """As `python -m devstack.api --fd N` does with the socket the stack bound."""
    import threading

    import requests

    from app import app
    from devstack.api import make_server

    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = make_server(app, "127.0.0.1", port, listening)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/v1/me", timeout=30)
        assert answer.status_code == 401 and answer.json()["code"]
        assert server.server.server_port == port
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)
