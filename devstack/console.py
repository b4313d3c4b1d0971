"""The station console (console/, built into console/dist by bin/setup) served on its own port,
with the config.json that tells the page where the API is (in AWS the deploy writes it next to
the page). The API answers CORS for this server's origin (CONSOLE_ORIGINS, set by stack.py)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, jsonify, send_from_directory

DIST = Path(__file__).resolve().parent.parent / "console" / "dist"


def create_app(api_url: str, dist: Path = DIST) -> Flask:
    app = Flask("console", static_folder=None)

    @app.get("/config.json")
    def config():
        return jsonify(api_url=api_url)

    @app.get("/")
    @app.get("/<path:name>")
    def static_file(name: str = "index.html"):
        if not (dist / "index.html").exists():
            abort(503, "console/dist is missing: bin/setup builds it")
        response = send_from_directory(dist, name)
        # Hashed asset names may be cached for good; the page itself must be fetched fresh.
        response.headers["Cache-Control"] = ("public, max-age=31536000, immutable"
                                             if name.startswith("assets/") else "no-cache")
        return response

    return app
