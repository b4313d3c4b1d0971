"""The life of an invoice request: its states, the moves between them, and the retry schedule.

    REQUESTED -> ISSUING -> ISSUED -> REVERSED
         \\           \\
          +-> FAILED <-+

REQUESTED waits for the worker; ISSUING has been (or is being) submitted to the issuer under
the serial stored at creation; ISSUED has its number; REVERSED was cancelled by a red-letter
invoice with a number of its own; FAILED was refused or gave up after MAX_ATTEMPTS, with a
reason. Every move is a conditional write in store/invoices/invoices.py; this module only says which
moves exist and when to try again.
"""
from __future__ import annotations

import zlib
from enum import StrEnum


class InvoiceStatus(StrEnum):
    REQUESTED = "REQUESTED"
    ISSUING = "ISSUING"
    ISSUED = "ISSUED"
    FAILED = "FAILED"
    REVERSED = "REVERSED"


REQUESTED, ISSUING, ISSUED, FAILED, REVERSED = tuple(InvoiceStatus)
STATUSES = tuple(InvoiceStatus)
TRANSITIONS: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({ISSUING, FAILED}),
    ISSUING: frozenset({ISSUED, FAILED}),
    ISSUED: frozenset({REVERSED}),
    FAILED: frozenset(),
    REVERSED: frozenset(),
}
# The orders of an invoice in these states are free to be invoiced again.
RELEASES_ORDERS = frozenset({FAILED, REVERSED})

MAX_ORDERS = 50
# Attempts to reach ISSUED (submissions, polls, re-drives), to send one mail, to reverse.
MAX_ATTEMPTS = 10
MAX_MAIL_ATTEMPTS = 6
MAX_REVERSAL_ATTEMPTS = 10
MAX_MAILS = 10                 # the first mail and up to nine resends
FIRST_POLL_S = 5
BACKOFF_CAP_S = 15 * 60
REDRIVE_AFTER_S = 120          # a REQUESTED invoice untouched this long lost its message
MAIL_LEASE_S = 120             # a claimed mail not confirmed by then may be claimed again
WORK_SHARDS = 4                # partitions of the in-flight index, to spread its writes


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def backoff_s(attempts: int) -> int:
    """Seconds until the next try after `attempts` tries: 5, 15, 45, ... capped at 15 minutes."""
    return min(FIRST_POLL_S * 3 ** max(attempts - 1, 0), BACKOFF_CAP_S)


def redrive_delay_s(attempts: int) -> int:
    return max(REDRIVE_AFTER_S, backoff_s(attempts))


def work_shard(invoice_id: str) -> str:
    """The in-flight index partition of an invoice: stable, spread evenly."""
    return str(zlib.crc32(invoice_id.encode()) % WORK_SHARDS)


# Nuonuo's documented limits (requestBillingNew field table: orderNo at most 20; the red-letter
# confirmation's billId at most 32).
MAX_ORDER_NO = 20
MAX_BILL_ID = 32
_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford's: no I, L, O, U
_SERIAL_BODY = 19


def _serial_body(invoice_id: str) -> str:
    """19 base-32 characters (95 bits) of the invoice id's random hex: the same invoice always
    gives the same body, two invoices practically never share one (see docs/decisions.md)."""
    value = int(invoice_id.removeprefix("inv_")[:24] or "0", 16) >> 1
    chars = []
    for _ in range(_SERIAL_BODY):
        value, digit = divmod(value, 32)
        chars.append(_BASE32[digit])
    return "".join(reversed(chars))


def issuer_serial(invoice_id: str) -> str:
    """The request serial (Nuonuo orderNo, at most 20 characters) of an invoice; fixed at
    creation so that every resubmission names the same request and can never be issued twice."""
    return "F" + _serial_body(invoice_id)


def reversal_serial(invoice_id: str, attempt: int = 1) -> str:
    """The red-letter application serial (billId, at most 32); a new one only after a refused
    application, numbered by the attempt."""
    return f"R{attempt:02d}{_serial_body(invoice_id)}"
