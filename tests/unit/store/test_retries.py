"""The one retry of a lost optimistic write: how many attempts, when it waits, what it raises."""
from __future__ import annotations

import pytest

from chalicelib.store import retries
from chalicelib.store.retries import retry_lost_writes


class Lost(Exception):
    pass


def losing(times: int, answer: str = "written"):
    """An attempt that loses `times` times, then answers; records the attempt numbers it saw."""
    seen: list[int] = []

    def attempt(n: int) -> str:
        seen.append(n)
        if len(seen) <= times:
            raise Lost(f"lost #{n}")
        return answer
    return attempt, seen


def test_the_first_success_is_answered_without_waiting():
    attempt, seen = losing(0)
    waits: list[float] = []

    assert retry_lost_writes(attempt, Lost, sleep=waits.append) == "written"
    assert seen == [0] and waits == []


def test_a_lost_write_is_tried_again_until_it_gets_through():
    attempt, seen = losing(3)
    waits: list[float] = []

    assert retry_lost_writes(attempt, Lost, attempts=5, sleep=waits.append) == "written"
    assert seen == [0, 1, 2, 3] and len(waits) == 3


def test_after_every_attempt_lost_the_last_loss_is_raised_and_no_wait_follows_it():
    attempt, seen = losing(99)
    waits: list[float] = []

    with pytest.raises(Lost, match="lost #3"):
        retry_lost_writes(attempt, Lost, attempts=4, sleep=waits.append)
    assert seen == [0, 1, 2, 3] and len(waits) == 3


def test_a_busy_error_replaces_the_last_loss_and_keeps_it_as_cause():
    attempt, _ = losing(99)
    busy = RuntimeError("busy")

    with pytest.raises(RuntimeError) as raised:
        retry_lost_writes(attempt, Lost, attempts=2, busy=busy, sleep=lambda s: None)
    assert raised.value is busy and isinstance(raised.value.__cause__, Lost)


def test_any_other_error_is_raised_at_once():
    seen: list[int] = []

    def attempt(n: int) -> None:
        seen.append(n)
        raise KeyError("not a lost write")
    with pytest.raises(KeyError):
        retry_lost_writes(attempt, Lost, sleep=lambda s: None)
    assert seen == [0]


def test_the_default_is_ten_attempts():
    attempt, seen = losing(99)
    with pytest.raises(Lost):
        retry_lost_writes(attempt, Lost, sleep=lambda s: None)
    assert len(seen) == retries.ATTEMPTS == 10


@pytest.mark.parametrize("retry", range(1, 30))
def test_each_wait_is_full_jitter_under_a_growing_cap(retry):
    cap = min(retries.CAP_S, retries.BASE_S * 2 ** retry)
    waits = [retries.backoff(retry) for _ in range(50)]
    assert all(0 <= w <= cap for w in waits) and cap <= retries.CAP_S
