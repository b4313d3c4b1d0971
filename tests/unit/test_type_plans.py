"""A msgspec type's plan is built once, by one thread, however many threads first use it at
once (chalicelib/type_plans.py: two threads building it together crashed the interpreter)."""
from __future__ import annotations

import threading
import time

import msgspec

from chalicelib.type_plans import planned


class _Fresh(msgspec.Struct):
    litres_ml: int
    grade: str


def test_threads_that_first_use_a_type_together_build_its_plan_once(monkeypatch):
    built, real_decoder = [], msgspec.json.Decoder

    def slow_build(kind):
        built.append(kind)
        time.sleep(0.05)  # a build long enough for every other thread to arrive meanwhile
        return real_decoder(kind)

    monkeypatch.setattr(msgspec.json, "Decoder", slow_build)
    start, answers = threading.Barrier(8), []

    def first_use():
        start.wait()
        answers.append(msgspec.convert({"litres_ml": 30000, "grade": "92"}, planned(_Fresh)))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert built == [_Fresh]
    assert answers == [_Fresh(litres_ml=30000, grade="92")] * 8


def test_a_planned_type_is_the_type_itself():
    assert planned(list[_Fresh]) == list[_Fresh]
    assert msgspec.json.decode(b'[{"litres_ml":1,"grade":"95"}]', type=planned(list[_Fresh])) \
        == [_Fresh(litres_ml=1, grade="95")]
