"""The caption board (what is up, for how long) and wrapping (what fits)."""

from __future__ import annotations

import pytest
from overlay_events import transcript, translation

from lt.events import SessionEvent
from lt.overlay.captions import CaptionBoard, Timing
from lt.overlay.layout import ELLIPSIS, load_font, wrap


def texts(board: CaptionBoard, now: float) -> dict[str, str]:
    return {caption.lang: caption.text for _, caption in board.visible(now)}


def test_reading_time_follows_the_text_length_within_bounds():
    timing = Timing(chars_per_second=17, min_seconds=1.5, max_seconds=7)
    assert timing.reading_seconds("Hi.") == 1.5
    assert timing.reading_seconds("x" * 68) == pytest.approx(4.0)
    assert timing.reading_seconds("x" * 1000) == 7


def test_caption_clears_after_its_reading_time():
    board = CaptionBoard(Timing(min_seconds=1.5))
    board.apply(transcript(0, "Hello there.", 0, 1), now=10.0)
    assert texts(board, 11.4) == {"en": "Hello there."}
    assert texts(board, 11.5) == {}
    assert board.clear_at() == 11.5


def test_the_next_caption_of_a_language_replaces_it_at_once():
    board = CaptionBoard()
    board.apply(transcript(0, "First sentence.", 0, 1), now=0)
    board.apply(translation(0, "Primeira frase.", 0, 1), now=0)
    board.apply(transcript(1, "Second sentence.", 1, 2), now=0.2)
    assert texts(board, 0.3) == {"en": "Second sentence.", "pt": "Primeira frase."}


def test_partial_is_replaced_in_place_by_its_final_and_never_undoes_it():
    board = CaptionBoard()
    board.apply(transcript(3, "the quarterly", 5, 6, final=False), now=5)
    board.apply(transcript(3, "the quarterly report", 5, 6, final=False, rev=1), now=5.5)
    assert [(c.text, c.final) for _, c in board.visible(5.6)] == [("the quarterly report", False)]
    board.apply(transcript(3, "The quarterly report is late.", 5, 7), now=6)
    board.apply(transcript(3, "the quarterly rep", 5, 6, final=False, rev=2), now=6.1)
    assert [(c.text, c.final) for _, c in board.visible(6.2)] == [("The quarterly report is late.", True)]


def test_an_older_segment_does_not_replace_a_newer_one():
    board = CaptionBoard()
    board.apply(transcript(5, "Newer.", 5, 6), now=0)
    assert board.apply(transcript(4, "Older.", 4, 5), now=0.1) is None
    assert texts(board, 0.2) == {"en": "Newer."}


def test_events_clock_keeps_a_caption_up_while_it_is_being_spoken():
    board = CaptionBoard(Timing(min_seconds=1.0))
    board.apply(transcript(0, "Short.", 0, 9), now=0, hold_until=9)
    assert texts(board, 8.9) == {"en": "Short."}


def test_default_order_is_the_original_then_translations_as_they_arrive():
    board = CaptionBoard()
    board.apply(translation(0, "Hola.", 0, 1, target="es"), now=0)
    board.apply(translation(0, "Olá.", 0, 1, target="pt"), now=0)
    board.apply(transcript(0, "Hello.", 0, 1), now=0)
    assert [lang for lang in board.order] == ["en", "es", "pt"]


def test_langs_choose_and_order_the_lines():
    board = CaptionBoard(langs=("pt", "en"))
    for event in (transcript(0, "Hello.", 0, 1), translation(0, "Hola.", 0, 1, target="es"), translation(0, "Olá.", 0, 1)):
        board.apply(event, now=0)
    assert [(slot, c.lang) for slot, c in board.visible(0.1)] == [(0, "pt"), (1, "en")]


def test_original_in_langs_stands_for_the_transcript_whatever_its_language():
    board = CaptionBoard(langs=("original", "en"))
    board.apply(transcript(0, "Olá a todos.", 0, 1, lang="pt"), now=0)
    board.apply(translation(0, "Hello everyone.", 0, 1, target="en"), now=0)
    assert [(c.lang, c.text) for _, c in board.visible(0.1)] == [("original", "Olá a todos."), ("en", "Hello everyone.")]


def test_translation_borrows_the_speaker_of_its_transcript_and_other_events_are_ignored():
    board = CaptionBoard()
    board.apply(SessionEvent(session="s", id="x", kind="start", stage="transcribe"), now=0)
    board.apply(transcript(0, "Hello.", 0, 1, speaker="Alice"), now=0)
    board.apply(translation(0, "Olá.", 0, 1), now=0)
    assert {c.lang: c.speaker for _, c in board.visible(0.1)} == {"en": "Alice", "pt": "Alice"}


LONG = " ".join(f"word{i}" for i in range(200)) + " the very end"


def test_long_text_keeps_two_lines_ending_with_the_newest_words():
    font = load_font(None, 36)
    lines = wrap(LONG, font, 1000, max_lines=2)
    assert len(lines) == 2
    assert all(font.getlength(line) <= 1000 for line in lines)
    assert lines[0].startswith(ELLIPSIS + " word")
    assert lines[1].endswith("the very end")


def test_a_huge_caption_is_cut_to_its_end_quickly():
    font = load_font(None, 36)
    lines = wrap("blah " * 200_000 + "final words", font, 1000)
    assert len(lines) == 2 and lines[0].startswith(ELLIPSIS + " blah") and lines[1].endswith("blah final words")


def test_short_text_is_one_line_and_words_are_never_split():
    font = load_font(None, 36)
    assert wrap("Good morning.", font, 1000) == ["Good morning."]
    lines = wrap("alpha beta gamma delta epsilon zeta eta theta", font, 300, max_lines=5)
    assert " ".join(lines).split() == "alpha beta gamma delta epsilon zeta eta theta".split()
    assert all(font.getlength(line) <= 300 for line in lines)


def test_two_lines_are_balanced_instead_of_leaving_a_stray_word():
    font = load_font(None, 54)
    text = "A equipe de design precisa de mais semanas para terminar o protótipo."
    lines = wrap(text, font, 1728)
    assert " ".join(lines) == text
    widths = sorted(font.getlength(line) for line in lines)
    assert widths[0] > 0.8 * widths[1]


def test_a_word_wider_than_the_line_breaks_between_characters():
    font = load_font(None, 36)
    lines = wrap("x" * 200, font, 400, max_lines=2)
    assert len(lines) == 2 and lines[0].startswith(ELLIPSIS)
    assert all(font.getlength(line) <= 400 for line in lines)
