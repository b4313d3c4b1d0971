"""The points schedule, wired in app.py; thin like the routes: expired points are written off."""
from __future__ import annotations

from chalicelib.domain import times
from chalicelib.needs import Needs


def expire_points() -> dict:
    # Imported here: every Lambda of this app imports app.py, and only this one expires points.
    from chalicelib.services.wallet import points_expiry

    return points_expiry.expire_due(times.now())


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "expire_points": Needs(
        tables={
            "accounts": "RP", "ledger": "RP",
        },
        ledger_key=("sign",),
    ),
}
