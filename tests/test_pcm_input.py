"""How `lt transcribe --mode auto` tells a live source from a file: by the rate audio arrives at."""

import time

import pytest

from lt.asr.pcm_input import PcmInput
from lt.pcm import BYTES_PER_SECOND


def source(*, backlog: float = 0.0, every: float = 0.01, rate: float = 1.0, seconds: float = 4.0):
    """Raw PCM chunks: `backlog` seconds at once, then a chunk every `every` seconds at `rate` times real time."""
    if backlog:
        yield bytes(int(backlog * BYTES_PER_SECOND))
    chunk = bytes(int(every * rate * BYTES_PER_SECOND) // 2 * 2)
    began = time.monotonic()
    for n in range(int(seconds / every)):
        time.sleep(max(0.0, began + (n + 1) * every - time.monotonic()))
        yield chunk


@pytest.mark.parametrize("every", [0.005, 0.01, 0.1])
def test_a_source_that_writes_in_real_time_is_live_however_small_its_blocks(every):
    """A source writing every 10 ms never paused for long, and was taken for a file."""
    audio = PcmInput(source(every=every))
    began = time.monotonic()
    assert audio.probe_live()
    assert time.monotonic() - began < 3.0  # about a second; the source itself lasts four


def test_a_backlog_then_real_time_arrival_is_live_and_nothing_read_is_lost():
    audio = PcmInput(source(backlog=6.0, seconds=3.0))
    assert audio.probe_live()
    blocks = list(audio.blocks())
    assert sum(len(b.samples) for b in blocks) == audio.samples
    assert audio.seconds == pytest.approx(9.0, abs=0.02)


def test_a_file_that_ends_is_a_file():
    assert not PcmInput([bytes(10 * BYTES_PER_SECOND)]).probe_live()


def test_more_than_the_backlog_at_once_is_a_file():
    audio = PcmInput(bytes(BYTES_PER_SECOND) for _ in range(200))
    assert not audio.probe_live(backlog=120.0)
    assert audio.seconds > 120.0


def test_audio_that_keeps_coming_several_times_faster_than_real_time_is_a_file():
    audio = PcmInput(source(every=0.01, rate=10.0, seconds=20.0))
    began = time.monotonic()
    assert not audio.probe_live()
    assert time.monotonic() - began < 6.0  # by its rate, after two seconds: not at 120 s of audio (12 s) or its end (20 s)


def test_a_source_that_sends_nothing_yet_is_live():
    assert PcmInput(source(backlog=0.0, every=3.0, seconds=3.0)).probe_live()
