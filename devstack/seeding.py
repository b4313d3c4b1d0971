"""Write the seed data (devstack/seed/) into the local tables through the store, as the app would.

Staff passwords are generated at every start and returned so the devstack can print them and
write them to .local/devstack.json; only their scrypt hashes are stored.
"""
from __future__ import annotations

import secrets
import uuid

from chalicelib.domain.passwords import hash_password
from chalicelib.store import staff as staff_store
from devstack import seed


def seed_staff() -> list[dict]:
    created = []
    for entry in seed.load_staff():
        password = secrets.token_urlsafe(9)
        staff_id = f"s_{uuid.uuid5(uuid.NAMESPACE_DNS, entry['username']).hex[:16]}"
        staff_store.put_staff(staff_store.StaffAccount(
            username=entry["username"], staff_id=staff_id, role=entry["role"],
            station_ids=frozenset(entry.get("station_ids", [])),
            password_hash=hash_password(password), display_name=entry.get("display_name")))
        created.append({"username": entry["username"], "password": password,
                        "role": entry["role"], "station_ids": entry.get("station_ids", [])})
    return created


def seed_all() -> list[dict]:
    """Seed everything; returns the staff logins."""
    return seed_staff()
