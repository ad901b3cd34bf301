"""The agreement buffer on its own: which words it commits, and in which spelling."""

from __future__ import annotations

from lt.asr.agreement import HypothesisBuffer
from lt.asr.engine import Segment, Word
from lt.asr.hypothesis import HypWord

SEGMENT = Segment(())


def words(*spoken: tuple[str, float, float, float]) -> list[HypWord]:
    return [HypWord(Word(" " + text, start, end, p), SEGMENT, "en", 1.0) for text, start, end, p in spoken]


def texts(hypothesis: list[HypWord]) -> list[str]:
    return [w.text.strip() for w in hypothesis]


OLDER = words(("the", 0.0, 0.3, 0.9), ("schedule.", 0.3, 1.0, 0.6))
PAUSE = [(1.1, 1.4)]  # the VAD heard the speaker stop after "schedule"


def test_the_decode_one_step_before_is_the_reference_however_the_blocks_add_up():
    """Live decodes come one `--min-chunk` (0.3 s) apart, and 1.2 - 0.9 is a hair under 0.3."""
    buffer = HypothesisBuffer()
    buffer.insert(words(("we", 0.0, 0.2, 0.9), ("have", 0.2, 0.5, 0.9), ("en", 0.5, 0.9, 0.5)), 0.9)
    newer = words(("we", 0.0, 0.2, 0.9), ("have", 0.2, 0.5, 0.9), ("enough", 0.5, 1.0, 0.8), ("mo", 1.0, 1.2, 0.4))
    assert texts(buffer.insert(newer, 1.2)) == ["we", "have"]


def test_the_newer_spelling_wins_where_the_speaker_went_straight_on():
    buffer = HypothesisBuffer()
    buffer.insert(OLDER, 1.6)
    newer = words(("the", 0.0, 0.3, 0.9), ("schedule", 0.3, 1.0, 0.9), ("design.", 1.0, 2.0, 0.2))
    assert texts(buffer.insert(newer, 2.2)) == ["the", "schedule"]


def test_a_full_stop_at_a_pause_stays_when_the_newer_hypothesis_runs_into_an_unsure_word():
    buffer = HypothesisBuffer()
    buffer.insert(OLDER, 1.6)
    newer = words(("the", 0.0, 0.3, 0.9), ("schedule", 0.3, 1.0, 0.9), ("design.", 1.0, 2.0, 0.2))
    assert texts(buffer.insert(newer, 2.2, pauses=PAUSE)) == ["the", "schedule."]


def test_a_full_stop_stays_where_the_older_hypothesis_aligned_its_word_at_the_pause():
    """The newer decode aligned "meeting" into the pause after it (5.9 s for 5.5 s): the older one's
    timing says where the word ended."""
    buffer = HypothesisBuffer()
    buffer.insert(words(("planning", 4.4, 5.0, 0.9), ("meeting.", 5.0, 5.52, 0.99)), 5.55)
    newer = words(("planning", 4.4, 5.0, 0.9), ("meeting", 5.8, 5.9, 0.99), ("today.", 6.0, 6.12, 0.37))
    assert texts(buffer.insert(newer, 6.15, pauses=[(5.54, 5.82)])) == ["planning", "meeting."]


def test_a_guessed_full_stop_goes_when_the_newer_hypothesis_is_sure_the_sentence_goes_on():
    buffer = HypothesisBuffer()
    older = words(("enough", 0.0, 0.3, 0.9), ("money", 0.3, 0.6, 0.9), ("for.", 0.6, 1.0, 0.6))
    buffer.insert(older, 1.9)
    newer = words(("enough", 0.0, 0.3, 0.9), ("money", 0.3, 0.6, 0.9), ("for", 0.6, 1.0, 0.9), ("three", 1.4, 2.1, 0.95))  # heard too little past
    assert texts(buffer.insert(newer, 2.2, pauses=[(1.0, 1.4)])) == ["enough", "money", "for"]


def test_more_lookahead_waits_for_the_words_that_tell_a_word_apart():
    """"a budget" and "the budget for" sound alike until "for" is heard: with a second of lookahead
    the word waits for it; with the default 0.2 s the guess heard first is committed."""
    decodes = [
        (8.2, (("review", 6.8, 7.14), ("a", 7.14, 7.56), ("budget.", 7.56, 7.9))),
        (8.5, (("review", 6.8, 7.14), ("a", 7.14, 7.56), ("budget", 7.56, 7.9), ("for", 7.9, 8.2))),
        (8.8, (("review", 6.8, 7.14), ("the", 7.14, 7.56), ("budget", 7.56, 7.9), ("for", 7.9, 8.2), ("the", 8.2, 8.4))),
        (9.1, (("review", 6.8, 7.14), ("the", 7.14, 7.56), ("budget", 7.56, 7.9), ("for", 7.9, 8.2), ("the", 8.2, 8.4), ("new", 8.4, 8.7))),
    ]

    def committed(lookahead: float | None) -> list[str]:
        buffer = HypothesisBuffer() if lookahead is None else HypothesisBuffer(lookahead)
        out: list[str] = []
        for now, spoken in decodes:
            out += texts(buffer.insert(words(*(w + (0.9,) for w in spoken))[len(out):], now))
        return out

    assert committed(None)[:3] == ["review", "a", "budget"]
    assert committed(1.0) == ["review", "the", "budget"]


def test_a_word_the_decoder_is_unsure_of_waits_for_the_words_that_settle_it():
    """Two decodes that heard 0.3 s past "free" both guess it (p 0.6, then 0.27); the one that hears
    "engineers" too writes "three". A sure word beside it is committed as soon as before."""
    decodes = [
        (24.75, (("money", 23.6, 24.1, 0.99), ("for", 24.1, 24.4, 0.98), ("free", 24.4, 24.5, 0.6))),
        (25.08, (("money", 23.6, 24.1, 0.99), ("for", 24.1, 24.4, 0.98), ("free", 24.4, 24.5, 0.27), ("engine.", 24.5, 24.9, 0.7))),
        (25.41, (("money", 23.6, 24.1, 0.99), ("for", 24.1, 24.4, 0.98), ("three", 24.4, 24.5, 0.9), ("engineers.", 24.5, 25.0, 0.95))),
        (25.74, (("money", 23.6, 24.1, 0.99), ("for", 24.1, 24.4, 0.98), ("three", 24.4, 24.5, 0.9), ("engineers", 24.5, 25.0, 0.97), ("until", 25.1, 25.4, 0.8))),
    ]
    buffer = HypothesisBuffer()
    out: list[str] = []
    for now, spoken in decodes:
        out += texts(buffer.insert(words(*spoken)[len(out):], now))
        if now == 25.08:
            assert out == ["money", "for"]
    assert out == ["money", "for", "three", "engineers"]


def test_a_word_agreed_at_little_over_even_odds_still_waits():
    """Live, two decodes agreed on "free" at 0.65 and 0.55, and the caption said "free engineers":
    under 0.6 a word waits for 0.8 s of what follows."""
    buffer = HypothesisBuffer()
    buffer.insert(words(("for", 24.1, 24.25, 0.98), ("free.", 24.3, 24.49, 0.65)), 24.75)
    assert texts(buffer.insert(words(("for", 24.1, 24.25, 0.98), ("free", 24.3, 24.63, 0.55), ("and", 24.7, 24.93, 0.53)), 25.08)) == ["for"]


def test_an_unsure_word_is_committed_once_heard_far_enough_past():
    buffer = HypothesisBuffer()
    buffer.insert(words(("agree", 4.0, 4.34, 0.07), ("on", 4.34, 4.6, 0.97)), 4.74)
    assert texts(buffer.insert(words(("agree", 4.0, 4.34, 0.04), ("on", 4.34, 4.62, 0.98)), 5.07)) == []
    assert texts(buffer.insert(words(("agree", 4.0, 4.34, 0.05), ("on", 4.34, 4.62, 0.98)), 5.4)) == ["agree", "on"]


def test_a_sure_word_heard_past_the_lookahead_is_committed_on_one_decode():
    """A word the newest decode is sure of needs no second opinion once the lookahead has been
    heard past it; an unsure one still does, and so does one cut off at the end of the audio."""
    buffer = HypothesisBuffer()
    buffer.insert(words(("we", 0.0, 0.2, 0.9), ("have", 0.2, 0.5, 0.9)), 1.05)
    newer = words(("we", 0.0, 0.2, 0.9), ("have", 0.2, 0.5, 0.9), ("enough", 0.5, 0.9, 0.95), ("money", 0.9, 1.1, 0.6), ("fo", 1.2, 1.35, 0.95))
    assert texts(buffer.insert(newer, 1.35)) == ["we", "have", "enough"]


def test_a_sure_sentence_start_waits_for_agreement_unless_decodes_come_slowly():
    """Whisper is sure of a sentence's first word from the sentence before as much as from its
    sound ("Oliver representatives" for "All of our representatives"), so it waits for a second
    decode; when decodes come 0.35 s apart or more (a machine with both cores taken), that wait
    costs a whole slow decode and the sure word is committed on one."""
    older = words(("enough", 0.0, 0.3, 0.9), ("money.", 0.3, 0.6, 0.9))
    newer = words(("enough", 0.0, 0.3, 0.9), ("money.", 0.3, 0.6, 0.9), ("Three", 0.7, 0.9, 0.95), ("engineers", 0.9, 1.1, 0.95))
    usual, slow, slower = HypothesisBuffer(), HypothesisBuffer(), HypothesisBuffer()
    usual.insert(older, 1.05)
    slow.insert(older, 1.0)
    slower.insert(older, 0.9)
    assert texts(usual.insert(newer, 1.35)) == ["enough", "money."]
    assert texts(slow.insert(newer, 1.35)) == texts(slower.insert(newer, 1.35)) == ["enough", "money.", "Three", "engineers"]
