"""msgspec types made ready before threads use them.

msgspec builds a type's decoding plan (for a Struct, its field table) on the type's first use
and keeps it on the type. Two threads making that first use at once can crash the interpreter:
the builder runs Python code (resolving the annotations) and lets the other thread in, which
then reads the half-built plan. Seen as SIGSEGV with two threads in `msgspec.convert` of
Settings, when a batch's threads built their first connections together; a queue batch decoded
in threads on a cold Lambda, or the local API serving its first requests at once, meets the
same. `planned(T)` builds T's plan, and the plans of the types inside it, once, under a lock;
every later use only reads it.
"""
from __future__ import annotations

import threading
from typing import TypeVar

import msgspec

T = TypeVar("T")

_ready: set = set()
_building = threading.Lock()


def planned(kind: T) -> T:
    """`kind` itself, once its plan is built (a Decoder's construction builds it)."""
    if kind not in _ready:
        with _building:
            if kind not in _ready:
                msgspec.json.Decoder(kind)
                _ready.add(kind)
    return kind
