"""The conditional writes a batch's records make at the same step, committed together: one
TransactWriteItems for the batch instead of one write per record.

A queue worker runs the records of a batch side by side, one thread each (jobs/batches.py).
A record's thread hands its write to the batch's `GroupCommit` and waits; once every record
still running is waiting there (the others have finished), the last one to arrive commits all
the waiting writes in one transaction, each item under its own condition, and each thread goes
on with the answer of its own write.

A transaction is all or nothing. When it does not commit (one item's condition did not hold, a
concurrent transaction on an item, an item twice, too many items, DynamoDB unreachable),
nothing of it was written and each write is then made alone, exactly as without the group: each
record gets the answer it would have had alone, and a write that fails raises in its own
record's thread only, so the batch reports that record alone as failed. A transaction that
committed although its answer was lost leaves the writes alone finding their conditions no
longer hold: the answer of a lost race, which every caller already handles by reading again.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.observability import get_logger


@dataclass
class Write:
    """One record's conditional write: `key` names the item it changes (DynamoDB refuses two
    actions on one item in a transaction), `stage(tx)` adds it to a TransactWrite, `committed`
    is its answer when that transaction commits, `alone()` makes it on its own and answers."""
    key: str
    stage: Callable[[Any], None]
    committed: Any
    alone: Callable[[], Any]


@dataclass
class _Slot:
    write: Write
    done: threading.Event = field(default_factory=threading.Event)
    answer: Any = None
    error: BaseException | None = None


class GroupCommit:
    """The writes of `members` records running side by side. Every record's thread must call
    `leave()` when its record is done with (also when it failed), or the others would wait for
    it; the group must only be used when every record has a thread of its own."""

    def __init__(self, members: int):
        self._members = members
        self._waiting: list[_Slot] = []
        self._lock = threading.Lock()
        self.transactions = 0   # committed group transactions, for the tests and the bench

    def write(self, write: Write):
        """Wait for the others, then answer as `write.alone()` would (or raise as it would)."""
        slot = _Slot(write)
        with self._lock:
            self._waiting.append(slot)
            ready = self._take_ready()
        if ready:
            self._commit(ready)
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.answer

    def leave(self) -> None:
        """This record is done with: the others no longer wait for it."""
        with self._lock:
            self._members -= 1
            ready = self._take_ready()
        if ready:
            self._commit(ready)

    def _take_ready(self) -> list[_Slot]:
        """Under the lock: the waiting writes, once every running record waits."""
        if not self._waiting or len(self._waiting) < self._members:
            return []
        ready, self._waiting = self._waiting, []
        return ready

    def _commit(self, slots: list[_Slot]) -> None:
        keys = [slot.write.key for slot in slots]
        if len(slots) > 1 and len(set(keys)) == len(keys) and self._together(slots):
            for slot in slots:
                slot.answer = slot.write.committed
                slot.done.set()
            return
        for slot in slots:
            try:
                slot.answer = slot.write.alone()
            except BaseException as err:  # noqa: BLE001 - raised in the record's own thread
                slot.error = err
            slot.done.set()

    def _together(self, slots: list[_Slot]) -> bool:
        from pynamodb.transactions import TransactWrite

        from chalicelib.store.base import get_connection

        try:
            with TransactWrite(connection=get_connection()) as tx:
                for slot in slots:
                    slot.write.stage(tx)
        except Exception as err:  # noqa: BLE001 - nothing was written: each write goes alone
            get_logger().info("group transaction not committed; writing each alone",
                              extra={"writes": len(slots), "error": type(err).__name__})
            return False
        self.transactions += 1
        return True
