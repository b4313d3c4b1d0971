"""The API reference page of the local stack: Swagger UI (from the swagger-ui-bundle-v2 package,
no CDN) showing the API's own /v1/openapi.json, fetched server-side so the page is same-origin.

"Try it out" calls the API itself: the document names the API's URL as its server, and the
API answers CORS for this page's origin (DOCS_ORIGIN, set by devstack/stack.py).
"""
from __future__ import annotations

import requests
import swagger_ui_bundle
from flask import Flask, Response, send_from_directory

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Fuel API</title>
<link rel="stylesheet" href="/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});</script>
</body></html>"""


def create_app(api_url: str) -> Flask:
    app = Flask("api-docs", static_folder=None)  # our own /static serves the package's files

    @app.get("/")
    def index():
        return Response(PAGE, mimetype="text/html")

    @app.get("/static/<path:name>")
    def static_file(name):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, name)

    @app.get("/openapi.json")
    def document():
        upstream = requests.get(f"{api_url}/v1/openapi.json", timeout=5)
        return Response(upstream.content, status=upstream.status_code,
                        mimetype="application/json")

    return app
