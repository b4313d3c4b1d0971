"""The conditional writes a batch's records make at the same step, committed together: one
TransactWriteItems for the batch instead of one write per record; and their reads of one item
each, one BatchGetItem (strongly consistent) instead of one GetItem per record.

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
A batch read that fails is made one read at a time in the same way.
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
    write: Write | None = None
    read: object | None = None   # a store.batch.Read, answered by one BatchGetItem
    alone: Callable[[], Any] | None = None
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
        return self._wait(_Slot(write=write, alone=write.alone))

    def read(self, read, alone: Callable[[], Any]):
        """Wait for the others, then answer `read` (a store.batch.Read: its converted item) from
        the batch's one BatchGetItem, or as `alone()` does if that fails."""
        return self._wait(_Slot(read=read, alone=alone))

    def _wait(self, slot: _Slot):
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
        reads = [slot for slot in slots if slot.read is not None]
        writes = [slot for slot in slots if slot.write is not None]
        keys = [slot.write.key for slot in writes]
        if len(reads) > 1 and self._read_together(reads):
            reads = []
        if len(writes) > 1 and len(set(keys)) == len(keys) and self._together(writes):
            for slot in writes:
                slot.answer = slot.write.committed
            writes = []
        for slot in reads + writes:
            try:
                slot.answer = slot.alone()
            except BaseException as err:  # noqa: BLE001 - raised in the record's own thread
                slot.error = err
        for slot in slots:
            slot.done.set()

    def _read_together(self, slots: list[_Slot]) -> bool:
        from chalicelib.store.batch import read_all

        try:
            found = read_all({str(index): slot.read for index, slot in enumerate(slots)})
        except Exception as err:  # noqa: BLE001 - each read goes alone
            get_logger().info("group read failed; reading each alone",
                              extra={"reads": len(slots), "error": type(err).__name__})
            return False
        for index, slot in enumerate(slots):
            slot.answer = found[str(index)]
        return True

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
