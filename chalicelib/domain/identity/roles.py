"""The roles of station staff (API.md): what a staff token may do is decided by its role."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ATTENDANT = "attendant"  # confirms fuellings at their stations
    MANAGER = "manager"  # also prices, promotions, refunds and reports of their stations
    HQ = "hq"  # every station, and marketing


# Who may do what, beyond an attendant's confirmations.
MANAGERS = (Role.MANAGER, Role.HQ)
