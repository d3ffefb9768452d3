"""
The flood guard's sliding window (gateway.ussd.FloodGuard), on a clock the test moves: the limit
counts every hop of the last window, a number is free again once its hops age out of it, and
what it remembers of each number stays small and out of the garbage collector's walk.
"""

from __future__ import annotations

import gc

import pytest

from gateway import ussd
from gateway.ussd import FloodGuard

PHONE = "+6281200000901"
LIMIT = 5
WINDOW_S = 60.0


class Clock:
    """time.monotonic for the guard, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr("gateway.ussd.time.monotonic", moved)
    return moved


@pytest.fixture
def guard(clock: Clock) -> FloodGuard:
    return FloodGuard(LIMIT, WINDOW_S)


def test_the_limit_is_allowed_and_one_more_is_refused(guard: FloodGuard, clock: Clock) -> None:
    answers = []
    for _ in range(LIMIT + 1):
        answers.append(guard.allow(PHONE))
        clock.now += 1
    assert answers == [True] * LIMIT + [False]


def test_hops_older_than_the_window_no_longer_count(guard: FloodGuard, clock: Clock) -> None:
    for _ in range(LIMIT):
        guard.allow(PHONE)
    clock.now += WINDOW_S + 0.001
    assert guard.allow(PHONE)


def test_the_window_slides_rather_than_resets(guard: FloodGuard, clock: Clock) -> None:
    """Hops spread over the window: the first one ageing out frees exactly one hop."""
    for _ in range(LIMIT):
        guard.allow(PHONE)
        clock.now += 10
    clock.now = 1000.0 + WINDOW_S + 0.001  # only the first hop has aged out
    assert [guard.allow(PHONE), guard.allow(PHONE)] == [True, False]


def test_a_number_that_keeps_flooding_stays_refused(guard: FloodGuard, clock: Clock) -> None:
    """Refused hops count too: a script retrying every second never gets back in."""
    answers = []
    for _ in range(300):
        answers.append(guard.allow(PHONE))
        clock.now += 1
    assert answers[LIMIT:] == [False] * (300 - LIMIT)


def test_one_number_does_not_limit_another(guard: FloodGuard) -> None:
    for _ in range(LIMIT + 1):
        guard.allow(PHONE)
    assert guard.allow("+6281200000902")


def test_a_flooding_number_is_remembered_in_limit_plus_one_times(
    guard: FloodGuard, clock: Clock
) -> None:
    """A number that sends thousands of hops a minute costs what one at the limit costs."""
    for _ in range(5000):
        guard.allow(PHONE)
        clock.now += 0.001
    assert len(guard._seen[PHONE]) == (LIMIT + 1) * ussd._TIME.size


def test_what_it_remembers_is_not_walked_by_the_garbage_collector(guard: FloodGuard) -> None:
    """50,000 numbers in memory must not lengthen every full collection (a pause in a hop)."""
    for i in range(100):
        guard.allow(f"+62812000{i:05d}")
    assert not any(gc.is_tracked(times) for times in guard._seen.values())


def test_the_oldest_number_is_forgotten_past_the_tracked_count(clock: Clock) -> None:
    guard = FloodGuard(LIMIT, WINDOW_S, tracked=3)
    for _ in range(LIMIT + 1):
        guard.allow(PHONE)
    for i in range(3):
        guard.allow(f"+62812000{i:05d}")
    assert guard.allow(PHONE)
