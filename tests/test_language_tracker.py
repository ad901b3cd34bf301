"""Language that does not flip on one short segment: evidence within an utterance, hysteresis across them."""

from __future__ import annotations

from lt.asr.language import LanguageSettings, LanguageTracker


def utterance(tracker: LanguageTracker, *detections: dict[str, float]) -> str:
    for probs in detections:
        language, prob = tracker.choose(probs)
    tracker.pin(language, prob)
    tracker.end_utterance()
    return language


def test_the_first_utterance_takes_what_is_detected():
    assert utterance(LanguageTracker(), {"pt": 0.8, "en": 0.2}) == "pt"


def test_one_short_unsure_segment_in_another_language_does_not_switch_the_session():
    tracker = LanguageTracker()
    assert utterance(tracker, {"en": 0.9, "la": 0.1}) == "en"
    assert utterance(tracker, {"la": 0.6, "en": 0.3}) == "en"  # the Latin misfire
    assert utterance(tracker, {"en": 0.7, "la": 0.3}) == "en"


def test_a_sure_detection_or_two_in_a_row_switch_it():
    tracker = LanguageTracker()
    utterance(tracker, {"en": 0.9})
    assert utterance(tracker, {"de": 0.95, "en": 0.05}) == "de"  # sure at once
    assert utterance(tracker, {"en": 0.6, "de": 0.4}) == "de"  # unsure: stays
    assert utterance(tracker, {"en": 0.7, "de": 0.3}) == "en"  # the second in a row


def test_a_language_far_likelier_than_the_sessions_switches_it_at_once():
    tracker = LanguageTracker()
    utterance(tracker, {"en": 0.99})
    assert utterance(tracker, {"es": 0.87, "en": 0.1}) == "es"


def test_within_an_utterance_the_latest_detection_made_on_the_most_audio_decides():
    tracker = LanguageTracker()
    assert utterance(tracker, {"la": 0.55, "en": 0.45}, {"en": 0.9, "la": 0.1}, {"en": 0.8, "la": 0.2}) == "en"


def test_candidates_restrict_detection_to_a_subset():
    tracker = LanguageTracker(LanguageSettings(candidates=("en", "pt")))
    language, prob = tracker.choose({"la": 0.6, "pt": 0.3, "en": 0.1})
    assert (language, round(prob, 2)) == ("pt", 0.75)


def test_a_fixed_language_is_always_pinned():
    tracker = LanguageTracker(LanguageSettings(fixed="es"))
    assert tracker.pinned == "es"
    tracker.end_utterance()
    assert tracker.pinned == "es" and tracker.settled(0.0)


def test_a_new_language_is_settled_only_with_enough_speech_or_a_sure_detection():
    tracker = LanguageTracker(LanguageSettings(first_speech=1.0, undecided=3.0))
    tracker.choose({"en": 0.9})
    assert not tracker.settled(0.4) and tracker.settled(1.0)
    utterance(tracker, {"en": 0.9})
    tracker.choose({"en": 0.6})
    assert tracker.settled(0.1)  # the session's language: at once
    tracker.end_utterance()
    tracker.choose({"lv": 0.42, "es": 0.3})
    assert not tracker.settled(1.5) and tracker.settled(3.0)  # unsure of another: wait
