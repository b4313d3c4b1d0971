"""Append-only ledger of an account's balance and points movements, each hash-chained to the last.

One chain per (account_id, kind): 'balance' (fen; every entry also carries paid_after and
bonus_after), 'points' (points held) and 'points_debt' (points a refund took back that were no
longer there; paid_after and bonus_after are None on both). seq runs 1, 2, 3 ... without
gaps; entry 1 chains to GENESIS_HASH (64 zeros). amount is signed: reasons that add are
positive, reasons that take are negative, and zero moves nothing so it is never an entry.

Hash. entry_hash(fields, prev_hash) is the lowercase hex SHA-256 of the UTF-8 bytes of
json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False), where payload
holds exactly the keys of HASHED_FIELDS (the entry's fields with prev_hash set to the argument,
never `hash` itself); values are str, int or null. `at` is the UTC time as stored,
"YYYY-MM-DDTHH:MM:SS.ffffffZ". So entry n's hash covers its fields and entry n-1's hash.

verify_chain recomputes every hash, link and running balance and names the first broken seq:
an edited field (its own hash no longer matches), a rewritten hash (the next entry no longer
links to it), a deleted or reordered entry (the seq found is not the one expected), a wrong
balance_after. A truncated tail or a fully rewritten suffix shows only against what the account
holds, so the caller passes the account's last seq, head hash and stored balance when it has them.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from chalicelib.domain.times import iso_z
from chalicelib.domain.errors import RuleViolation

GENESIS_HASH = "0" * 64
BALANCE, POINTS, POINTS_DEBT = "balance", "points", "points_debt"
KINDS = (BALANCE, POINTS, POINTS_DEBT)
REASONS = {  # reason -> (kind, sign of amount)
    "topup": (BALANCE, 1), "bonus": (BALANCE, 1), "order": (BALANCE, -1), "refund": (BALANCE, 1),
    "points_earned": (POINTS, 1), "points_redeemed": (POINTS, -1),
    "points_expired": (POINTS, -1), "points_returned": (POINTS, 1),
    # A refund after confirmation takes back its share of the points the order earned; what is
    # no longer held becomes debt, which the next earnings pay off (domain/wallet/points_debt.py).
    "points_taken_back": (POINTS, -1), "points_debt_paid": (POINTS, -1),
    "debt_incurred": (POINTS_DEBT, 1), "debt_repaid": (POINTS_DEBT, -1),
}
HASHED_FIELDS = ("account_id", "seq", "kind", "reason", "amount", "balance_after", "paid_after",
                 "bonus_after", "ref", "at", "prev_hash")


@dataclass(frozen=True)
class Entry:
    account_id: str
    seq: int
    kind: str
    reason: str
    amount: int
    balance_after: int
    paid_after: int | None
    bonus_after: int | None
    ref: str  # the order, top-up or expiry run it belongs to
    at: str
    prev_hash: str
    hash: str
    # A head's seal by its writer (ledger_keys.py): about the entry, not part of it (never hashed
    # nor compared).
    mac: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    first_broken_seq: int | None
    reason: str | None
    balance: int  # running balance of the entries that verified
    last_seq: int  # seq of the last entry that verified
    paid_fen: int | None = None  # balance chains only
    bonus_fen: int | None = None


def entry_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    payload = {name: fields[name] for name in HASHED_FIELDS if name != "prev_hash"}
    payload["prev_hash"] = prev_hash
    for name, value in payload.items():
        if not (value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))):
            raise ValueError(f"{name} must be a str, an int or None to be hashed")
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_text(at: datetime) -> str:
    if at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    return iso_z(at, micro=True)


def next_entry(prev: Entry | None, *, account_id: str, reason: str, amount: int, ref: str, at: datetime,
               bonus_part: int = 0) -> Entry:
    """Entry n from entry n-1 (None for the first). For a balance entry, bonus_part is the part of
    amount that is bonus money (same sign; all of it for reason 'bonus', none for 'topup')."""
    if reason not in REASONS:
        raise ValueError(f"unknown ledger reason {reason!r}")
    kind, sign = REASONS[reason]
    if prev is not None and (prev.account_id, prev.kind) != (account_id, kind):
        raise ValueError("an entry follows the last entry of its own account and kind")
    if not (account_id and ref) or not _moves(amount, sign) or not _bonus_part_fits(reason, amount, bonus_part):
        raise ValueError(f"a {reason} entry needs an account, a ref and a {'+' if sign > 0 else '-'} amount")
    balance = (prev.balance_after if prev else 0) + amount
    paid = bonus = None
    if kind == BALANCE:
        bonus = (prev.bonus_after if prev else 0) + bonus_part
        paid = balance - bonus
    if balance < 0 or (paid or 0) < 0 or (bonus or 0) < 0:
        code = "INSUFFICIENT_BALANCE" if kind == BALANCE else "POINTS_INSUFFICIENT"
        raise RuleViolation(f"the {kind} would go below zero", code=code)
    fields = dict(account_id=account_id, seq=(prev.seq if prev else 0) + 1, kind=kind, reason=reason,
                  amount=amount, balance_after=balance, paid_after=paid, bonus_after=bonus, ref=ref,
                  at=utc_text(at), prev_hash=prev.hash if prev else GENESIS_HASH)
    return Entry(**fields, hash=entry_hash(fields, fields["prev_hash"]))


def _moves(amount: object, sign: int) -> bool:
    return isinstance(amount, int) and not isinstance(amount, bool) and amount * sign > 0


def _bonus_part_fits(reason: str, amount: int, bonus_part: object) -> bool:
    if not isinstance(bonus_part, int) or isinstance(bonus_part, bool):
        return False
    if REASONS[reason][0] != BALANCE or reason == "topup":
        return bonus_part == 0
    if reason == "bonus":
        return bonus_part == amount
    return 0 <= bonus_part * REASONS[reason][1] <= abs(amount)  # order, refund: a share of the amount


def _hash_or_none(entry: Entry) -> str | None:
    # The hashed fields read straight off the entry: asdict() deep-copies every value, which was
    # most of the time verifying a chain took.
    try:
        return entry_hash({name: getattr(entry, name) for name in HASHED_FIELDS}, entry.prev_hash)
    except (ValueError, TypeError):
        return None


def _movement_error(entry: Entry, kind: str, prev: tuple[int, int, int]) -> str | None:
    """Why this entry's reason, amount or balances do not follow from the running figures."""
    if REASONS.get(entry.reason, (None,))[0] != kind or not _moves(entry.amount, REASONS[entry.reason][1]):
        return f"reason {entry.reason!r} does not fit a {kind} entry of {entry.amount}"
    if entry.balance_after != prev[0] + entry.amount or entry.balance_after < 0:
        return f"balance_after {entry.balance_after} is not {prev[0]} + {entry.amount}"
    if kind != BALANCE:
        return None if entry.paid_after is None and entry.bonus_after is None else f"a {kind} entry has paid/bonus"
    paid, bonus = entry.paid_after, entry.bonus_after
    if not (isinstance(paid, int) and isinstance(bonus, int) and paid >= 0 and bonus >= 0
            and paid + bonus == entry.balance_after and _bonus_part_fits(entry.reason, entry.amount, bonus - prev[2])):
        return f"paid_after {paid} / bonus_after {bonus} do not follow from the entry before"
    return None


def verify_chain(entries: Sequence[Entry], *, account_id: str | None = None, kind: str | None = None,
                 expected_last_seq: int | None = None, expected_head_hash: str | None = None,
                 expected_balance: int | None = None) -> ChainCheck:
    """Check one (account, kind) chain as stored (in seq order); report the first broken link.

    account_id and kind default to those of the first entry; pass them to also catch a chain
    that is wholly another account's.
    """
    kind = kind or (entries[0].kind if entries else None)
    account = account_id or (entries[0].account_id if entries else None)
    figures = [(0, 0, 0)]  # (balance, paid, bonus) before entry 1, then after each verified entry

    def broken(seq: int, why: str) -> ChainCheck:
        balance, paid, bonus = figures[seq - 1]
        return ChainCheck(False, seq, why, balance, seq - 1, *((paid, bonus) if kind == BALANCE else (None, None)))

    for index, entry in enumerate(entries):
        expected = index + 1
        if entry.seq != expected:
            later = any(e.seq == expected for e in entries[index + 1:])
            return broken(expected, f"entry {expected} is {'out of order' if later else 'missing'}")
        if _hash_or_none(entry) != entry.hash:
            return broken(expected, f"entry {expected} does not match its hash (edited)")
        if (entry.account_id, entry.kind) != (account, kind):
            return broken(expected, f"entry {expected} belongs to another account or kind")
        if entry.prev_hash != (entries[index - 1].hash if index else GENESIS_HASH):
            if index:  # this entry is intact, so the one before it was rewritten with a new hash
                return broken(expected - 1, f"entry {expected - 1}'s hash was rewritten: entry {expected} "
                                            "links to another")
            return broken(expected, "entry 1 does not start from the genesis hash")
        why = _movement_error(entry, kind, figures[-1])
        if why:
            return broken(expected, why)
        figures.append((entry.balance_after, entry.paid_after or 0, entry.bonus_after or 0))
    last = len(entries)
    if expected_last_seq is not None and expected_last_seq > last:
        return broken(last + 1, f"entries {last + 1}..{expected_last_seq} are missing")
    if expected_last_seq is not None and expected_last_seq < last:
        return broken(expected_last_seq + 1, f"entries after {expected_last_seq} are not the account's")
    if expected_head_hash is not None and entries and entries[-1].hash != expected_head_hash:
        return broken(last, f"entry {last}'s hash is not the head the account holds (rewritten)")
    if expected_balance is not None and expected_balance != figures[-1][0]:
        return broken(last + 1, f"the account holds {expected_balance}, the ledger sums to {figures[-1][0]}")
    balance, paid, bonus = figures[-1]
    return ChainCheck(True, None, None, balance, last, *((paid, bonus) if kind == BALANCE else (None, None)))
