"""Contention: whether other work takes the CPU from the decoder, from the kernel's run and wait times."""

from __future__ import annotations

import sys

import pytest

from lt.asr.contention import BUSY, QUIET, Contention, cpu_times


class Clock:
    """Cumulative (ran, waited) seconds, advanced by hand."""

    def __init__(self):
        self.ran = self.waited = 0.0
        self.known = True

    def __call__(self):
        return (self.ran, self.waited) if self.known else None

    def decode(self, ran: float, waited: float) -> None:
        self.ran += ran
        self.waited += waited


def test_a_quiet_machine_stays_quiet():
    clock = Clock()
    load = Contention(clock)
    for _ in range(50):
        clock.decode(0.3, 0.003)
        assert not load.update()
    assert load.share < QUIET


def test_two_busy_loops_make_it_busy_within_a_few_decodes_and_it_clears_once_they_stop():
    clock = Clock()
    load = Contention(clock)
    busy_after = None
    for decode in range(10):
        clock.decode(0.3, 0.2)  # 40 % of the runnable time spent waiting, as two busy loops on two cores
        if load.update() and busy_after is None:
            busy_after = decode + 1
    assert busy_after is not None and busy_after <= 3
    quiet_after = None
    for decode in range(20):
        clock.decode(0.3, 0.0)
        if not load.update() and quiet_after is None:
            quiet_after = decode + 1
    assert quiet_after is not None and quiet_after <= 5


def test_one_slow_decode_or_a_share_between_the_thresholds_does_not_flip_it():
    clock = Clock()
    load = Contention(clock)
    clock.decode(0.3, 0.15)  # one decode that waited a third of its time
    assert not load.update()
    for _ in range(30):
        clock.decode(0.3, 0.3 * 0.15 / 0.85)  # 15 %: between QUIET and BUSY
        assert not load.update()
    for _ in range(10):
        clock.decode(0.3, 0.3)
        load.update()
    assert load.busy
    for _ in range(30):
        clock.decode(0.3, 0.3 * 0.15 / 0.85)
        assert load.update()  # still busy: it clears only under QUIET


def test_no_count_means_quiet_and_a_count_that_goes_back_is_skipped():
    clock = Clock()
    clock.known = False
    load = Contention(clock)
    clock.decode(0.1, 1.0)
    assert not load.update()
    clock.known = True
    assert not load.update()  # the first reading is only a baseline
    clock.ran -= 5  # a thread ended, taking its count with it
    assert not load.update() and load.share == 0.0
    clock.decode(0.2, 0.2)
    assert load.update() is (load.share >= BUSY)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's count is Linux's")
def test_the_kernel_counts_this_process_s_cpu_time():
    before = cpu_times()
    assert before is not None
    sum(i * i for i in range(300_000))
    after = cpu_times()
    assert after[0] > before[0] and after[1] >= before[1] >= 0
