"""Seal the heads of ledger chains written before heads were sealed (chain version 1), once per
stage after keyed writing is deployed (docs/decisions.md, 2026-12-06, the keyed ledger). Then
`LEDGER_UNKEYED_BEFORE` can be unset, and no chain verifies without a seal any more.

A head is sealed only if its chain verifies as it stands (hashes, links, sums against the
account); a broken chain is listed for a person instead, never blessed. Run by an operator whose
credentials may Scan the accounts, UpdateItem the ledger and GenerateMac with the ledger key (no
Lambda may): STAGE=prod LEDGER_KEY_ID=alias/fuel-prod-ledger bin/seal-legacy-ledgers
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from chalicelib.domain.wallet.ledger import BALANCE, POINTS
from chalicelib.domain.wallet.ledger_audits import chain_audit
from chalicelib.domain.wallet.ledger_keys import mac_message
from chalicelib.providers import ledger_key
from chalicelib.store.wallet import accounts as store
from chalicelib.store.wallet import ledger_seals


def seal_legacy_heads(user_ids: Iterable[str] | None = None) -> dict:
    counts = {"sealed": 0, "already_sealed": 0, "empty": 0, "moved_meanwhile": 0, "broken": []}
    for user_id in ledger_seals.account_ids() if user_ids is None else user_ids:
        account = store.get_account(user_id)
        for kind in (BALANCE, POINTS):
            entries = store.read_chain(user_id, kind)
            if not entries:
                counts["empty"] += 1
            elif any(entry.mac for entry in entries):
                counts["already_sealed"] += 1
            elif not chain_audit(account, kind, entries).ok:
                counts["broken"].append(f"{user_id}#{kind}")
            else:
                counts[_seal(entries[-1])] += 1
    return counts


def _seal(head) -> str:
    mac = ledger_key.sign(mac_message(head))
    if mac is None:
        raise ledger_key.LedgerKeyMissing("set LEDGER_KEY_ID to seal heads")
    return "sealed" if ledger_seals.seal_head(head, mac) else "moved_meanwhile"


if __name__ == "__main__":
    print(json.dumps(seal_legacy_heads(), indent=2))
