"""The stand-ins' HTTP servers: werkzeug's closes each connection, the kept-alive one (waitress)
answers a client's requests over one, and both stop for good."""
from __future__ import annotations

import pytest
import requests
from flask import Flask, request

from devstack.servers import serve


def _peer_app() -> Flask:
    app = Flask("peer")

    @app.get("/")
    def peer():
        return str(request.environ["REMOTE_PORT"])   # the client's end of the connection

    return app


@pytest.mark.parametrize("keep_alive, connections", [(True, 1), (False, 3)])
def test_a_client_s_requests_share_a_connection_only_when_kept_alive(keep_alive, connections):
    running = serve(_peer_app(), keep_alive=keep_alive)
    try:
        with requests.Session() as session:
            ports = [session.get(running.url, timeout=30).text for _ in range(3)]
    finally:
        running.stop()
    assert len(set(ports)) == connections


def test_a_kept_alive_server_stops_with_a_connection_still_open():
    running = serve(_peer_app(), keep_alive=True)
    session = requests.Session()
    assert session.get(running.url, timeout=30).status_code == 200

    running.stop()

    assert not running.thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(running.url, timeout=30)
    session.close()
