"""The keyed ledger (chain version 2): every chain head is sealed with an HMAC only its writers
can make, so write access to the ledger table alone no longer makes a rewritten chain verify.

The SHA-256 chain of domain/wallet/ledger.py is unchanged: entry n's hash covers its fields and
entry n-1's hash. On top of it, the last entry of each chain that a change writes carries `mac`,
the HMAC-SHA-256 of `mac_message(entry)` under the ledger's KMS key (providers/ledger_key.py),
which never leaves KMS: the functions that write entries may only generate MACs with it and
hq's audit may only verify them (infra/roles.py). Because the head's hash covers every entry
before it, one valid MAC on the head authenticates the whole chain; so the audit checks the
chain as before and then the head's MAC (one KMS call per chain), and names:
- a head whose MAC does not verify (entries or the head rewritten by someone without the key),
- a head without a MAC in a chain that holds one (MACs stripped, or entries forged after them),
- a head without a MAC written after keyed writing began (`unkeyed_before`).
Chains written before keyed writing began (version 1: no MAC anywhere, head older than
`unkeyed_before`) still verify, reported as not keyed; their next change seals them.
What a MAC cannot show is a chain cut back to an earlier sealed head: that needs a deleted
entry, which no function's role may do (docs/decisions.md, 2026-12-06).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.wallet.ledger import Entry

MAC_VERSION = "v2"


def mac_message(entry: Entry) -> bytes:
    """What the writer seals: the entry's place and hash (KMS takes up to 4096 bytes)."""
    return f"fuel-ledger:{MAC_VERSION}:{entry.account_id}:{entry.kind}:{entry.seq}:{entry.hash}" \
        .encode("utf-8")


def heads_of(entries: Sequence[Entry]) -> set[int]:
    """Indexes of the entries a change seals: the last one of each chain among them."""
    return set({entry.kind: index for index, entry in enumerate(entries)}.values())


@dataclass(frozen=True)
class HeadSeal:
    """What is left to check of a chain whose hashes verified: the head whose MAC must verify
    (None: nothing), or why the chain fails without asking KMS; keyed is False for a version 1
    chain."""
    head: Entry | None
    problem: str | None
    keyed: bool


def head_seal(entries: Sequence[Entry], unkeyed_before: str | None) -> HeadSeal:
    if not entries:
        return HeadSeal(None, None, True)
    head = entries[-1]
    if head.mac:
        return HeadSeal(head, None, True)
    sealed = [e.seq for e in entries if e.mac]
    if sealed:
        return HeadSeal(None, f"entry {head.seq}, the head, is not sealed though entry "
                              f"{sealed[-1]} is (seals stripped or entries forged)", True)
    if unkeyed_before and _moment(head.at) < _moment(unkeyed_before):
        return HeadSeal(None, None, False)
    return HeadSeal(None, f"entry {head.seq}, the head, is not sealed", True)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
