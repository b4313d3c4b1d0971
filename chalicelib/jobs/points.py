"""The points schedule, wired in app.py; thin like the routes: expired points are written off."""
from __future__ import annotations

from chalicelib.domain import times


def expire_points() -> dict:
    # Imported here: every Lambda of this app imports app.py, and only this one expires points.
    from chalicelib.services.wallet import points_expiry

    return points_expiry.expire_due(times.now())
