"""Teach chalice's local gateway API Gateway's greedy path variables (`/{proxy+}`).

API Gateway sends a path that no resource claims to a greedy `{name+}` resource; chalice's local
route matcher only matches paths of equal length, so locally (devstack and chalice.test.Client)
unknown paths would get a 403 instead of the app's JSON 404. `install()` makes the local matcher
fall back to greedy routes exactly where API Gateway would.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from chalice import local

_original_match = local.RouteMatcher.match_route


def _match_with_greedy(self, url: str):
    try:
        return _original_match(self, url)
    except ValueError:
        parsed = urlparse(url)
        path = parsed.path.rstrip("/") or "/"
        for route_url in self.route_urls:
            prefix, _, last = route_url.rpartition("/")
            if not (last.startswith("{") and last.endswith("+}")):
                continue
            if path.startswith(prefix + "/") and len(path) > len(prefix) + 1:
                captured = {last[1:-2]: path[len(prefix) + 1:]}
                return local.MatchResult(route_url, captured,
                                         parse_qs(parsed.query, keep_blank_values=True))
        raise


def install() -> None:
    local.RouteMatcher.match_route = _match_with_greedy
