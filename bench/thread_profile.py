"""CPU profiles of every thread of a process, for the benchmarks (py-spy is not installed).

cProfile sees only the thread that enabled it; the worker runs a batch's records on a thread
pool and the local stack answers each request on a thread of its own. While `profiling(path)`
is open, each thread started (and the calling one) gets its own profiler timed by
`time.thread_time`, so a call waiting on a socket costs nothing and the figures are CPU; at the
end they are merged into one pstats file at `path` (read it with `python -m pstats`).
"""
from __future__ import annotations

import cProfile
import contextlib
import pstats
import threading
import time
from pathlib import Path


@contextlib.contextmanager
def profiling(path: Path | None):
    if path is None:
        yield
        return
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    original_run = threading.Thread.run

    def profiled_run(thread):
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.runcall(original_run, thread)

    main = cProfile.Profile(time.thread_time)
    threading.Thread.run = profiled_run
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.Thread.run = original_run
        stats = pstats.Stats(main)
        with lock:
            for profile in profiles:
                with contextlib.suppress(TypeError):   # a thread still running: no stats yet
                    stats.add(profile)
        stats.dump_stats(str(path))
