"""lt.wer: the one normalisation and error rate, checked against jiwer on texts that mostly agree."""

import pytest

from lt.wer import cer, differences, errors, normal, wer, words


@pytest.mark.parametrize("reference, hypothesis", [
    ("the cat sat on the mat", "the cat sat on the mat"),
    ("the cat sat on the mat", "the cat sat on a mat"),
    ("please send your questions before friday", "please send the questions by friday afternoon"),
    ("one two three four five", "two three four five six"),
    ("a b c d e f g", "a x c y e z g"),
])
def test_error_rates_match_jiwer_on_texts_that_mostly_agree(reference, hypothesis):
    jiwer = pytest.importorskip("jiwer")
    assert wer(reference, hypothesis) == pytest.approx(jiwer.wer(reference, hypothesis))
    # Characters are aligned greedily too: the same as jiwer where the words mostly agree, never lower.
    assert cer(reference, hypothesis) >= jiwer.cer(reference, hypothesis) - 1e-9
    if wer(reference, hypothesis) <= 0.2:
        assert cer(reference, hypothesis) == pytest.approx(jiwer.cer(reference, hypothesis))


def test_an_empty_reference_has_no_rate_unless_the_hypothesis_is_empty_too():
    counted = errors(words(""), words("an insertion"))
    assert counted.insertions == 2 and counted.rate is None
    assert wer("", "") == 0.0


def test_words_ignore_case_punctuation_quotes_and_line_breaks():
    assert words("Hello, World! It's 5 o'clock.") == ["hello", "world", "it's", "5", "o'clock"]
    assert normal("Good morning,\neveryone. 'Quoted' words") == "good morning everyone quoted words"
    assert wer("Good morning, everyone. Thank you.", "good morning everyone\nthank you\n") == 0.0


def test_differences_name_each_stretch_that_differs():
    assert differences(words("the third item is here"), words("the free item here")) == [("third", "free"), ("is", "")]
    assert errors(words("a b"), words("a b")).counts("words") == {
        "substitutions": 0, "deletions": 0, "insertions": 0, "reference_words": 2,
    }


def test_numbers_in_words_count_as_their_digits():
    assert normal("Two people, twenty-five years, thirty five days") == "2 people 25 years 35 days"
    assert wer("The design team needs two more weeks.", "The design team needs 2 more weeks.") == 0.0
    assert words("one of the twenty") == ["1", "of", "the", "20"]
