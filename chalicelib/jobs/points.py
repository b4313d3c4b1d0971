"""The points schedule, wired in app.py; thin like the routes: expired points are written off."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.services import points_expiry


def expire_points() -> dict:
    return points_expiry.expire_due(datetime.now(timezone.utc))
