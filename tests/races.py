"""Start calls at the same instant (threads behind one barrier) and collect what each answered."""
from __future__ import annotations

import threading


def all_at_once(calls, *, timeout_s: float = 120, keep_errors: bool = False) -> list:
    """Each call's result, in order. With keep_errors an exception is that call's result (the
    race's losers are part of the outcome); without, it surfaces as a thread error and None."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as err:  # noqa: BLE001 - kept or re-raised below, per keep_errors
            if not keep_errors:
                raise
            results[index] = err

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout_s)
    return results
