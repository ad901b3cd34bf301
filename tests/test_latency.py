import math

import pytest

from lt.latency import hops, percentile, stable_words, summarize


def test_hops_follow_the_pipeline_order_and_skip_missing_stages():
    t = {"frame": 13.0, "capture": 10.0, "transcribe": 11.5, "store": 12.0}
    assert hops(t) == {"transcribe": 1.5, "store": 0.5, "frame": 1.0, "total": 3.0}


def test_no_total_without_a_capture_stamp():
    assert hops({"transcribe": 1.0, "translate": 1.25}) == {"translate": 0.25}
    assert hops({}) == {}


@pytest.mark.parametrize("q, expected", [(0, 1.0), (50, 2.5), (95, 3.85), (100, 4.0)])
def test_percentile_interpolates(q, expected):
    assert percentile([4.0, 1.0, 3.0, 2.0], q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


def test_summarize_counts_each_final_caption_once_along_its_longest_path():
    events = [
        {"type": "transcript", "final": True, "seg": 0, "t": {"capture": 0.0, "transcribe": 1.0}},
        {"type": "transcript", "final": True, "seg": 1, "t": {"capture": 0.0, "transcribe": 3.0}},
        {"type": "transcript", "final": False, "seg": 2, "t": {"capture": 0.0, "transcribe": 9.0}},
        {"type": "transcript", "final": True, "seg": 2, "t": {"capture": 0.0, "transcribe": 2.0}},
        {"type": "translation", "final": True, "seg": 2, "t": {"capture": 0.0, "transcribe": 2.0, "translate": 2.5}},
        {"type": "session", "t": {"transcribe": 0.0}},
        {"type": "transcript", "final": True, "seg": 3, "t": None},
    ]
    by_hop = {s.hop: s for s in summarize(events)}
    assert list(by_hop) == ["transcribe", "translate", "total"]
    assert by_hop["transcribe"].count == 3 and by_hop["transcribe"].p50 == 2.0 and by_hop["transcribe"].max == 3.0
    assert by_hop["translate"].count == 1 and by_hop["translate"].p50 == 0.5
    assert by_hop["total"].count == 3 and by_hop["total"].max == 3.0


def test_a_word_is_stable_on_screen_from_the_first_partial_that_showed_it_stable():
    words = [{"w": "Good", "start": 0.0, "end": 0.4}, {"w": "morning.", "start": 0.5, "end": 1.0}]
    partial = {"type": "transcript", "session": "s", "final": False, "stable": 1, "end": 1.0, "words": words,
               "t": {"capture": 101.0, "transcribe": 101.4, "frame": 101.5}}
    final = {"type": "transcript", "session": "s", "final": True, "end": 1.0, "words": words,
             "t": {"capture": 101.0, "transcribe": 102.0, "store": 102.1}}
    # "Good" ended at 100.4 (0.6 s of audio after it had arrived by 101.0): shown stable at 101.5;
    # "morning." only in the final, whose last stage was the store at 102.1.
    assert stable_words([partial, final]) == pytest.approx([1.1, 1.1])
    assert stable_words([final]) == pytest.approx([1.7, 1.1])
