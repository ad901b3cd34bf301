"""guards.invented: words a decoder wrote into silence, told apart from words it heard."""

from lt.asr import guards
from lt.asr.engine import Word


def test_unlikely_words_squeezed_into_no_time_are_invented():
    # A fresh decode of the silence left after a sentence, as base wrote it on tests/data/human/english.wav.
    words = [Word(" All", 27.38, 27.38, 0.01), Word(" right,", 27.38, 27.64, 0.09), Word(" let's", 27.64, 27.64, 0.5)]
    assert guards.invented(words)


def test_words_heard_are_not_invented_even_when_the_decoder_is_unsure_of_one():
    words = [Word(" Two", 31.43, 31.66, 0.09), Word(" people", 31.66, 32.12, 0.97), Word(" from", 32.12, 32.48, 0.93)]
    assert not guards.invented(words)
    assert not guards.invented([Word(" Please", 36.53, 36.85, 0.29), Word(" send.", 36.85, 37.35, 0.53)])


def test_a_word_stretched_over_seconds_counts_against_it_and_punctuation_does_not_count():
    assert guards.invented([Word(" take", 27.6, 32.0, 0.05), Word(" -", 32.0, 32.0, 0.01)])
    assert not guards.invented([Word(" -", 1.0, 1.0, 0.01)])
    assert not guards.invented([])
