"""The one write a ledger entry may take after it is put: a seal added to the head of a chain
written before heads were sealed (services/wallet/ledger_sealing.py, run once per stage by an
operator; no Lambda imports this module, so no function's role may update the ledger)."""
from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import UpdateError

from chalicelib.domain.wallet.ledger import Entry
from chalicelib.store.base import error_code
from chalicelib.store.wallet.accounts import AccountModel
from chalicelib.store.wallet.ledger import LedgerModel, chain_key


def account_ids(page_size: int = 500) -> Iterator[str]:
    """Every account's user id (a Scan of the keys: for this one-off run only)."""
    for model in AccountModel.scan(attributes_to_get=["user_id"], page_size=page_size):
        yield model.user_id


def seal_head(head: Entry, mac: str) -> bool:
    """Add `mac` to the stored head, only while it is still that entry (same hash) and unsealed;
    False when it no longer is (a change sealed it meanwhile, or it was rewritten)."""
    try:
        LedgerModel(chain_key(head.account_id, head.kind), head.seq).update(
            actions=[LedgerModel.mac.set(mac)],
            condition=LedgerModel.mac.does_not_exist() & (LedgerModel.entry_hash == head.hash))
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True
