"""The caption board (what is up, for how long) and the roll-up layout (what fits, and what never moves)."""

from __future__ import annotations

import pytest
from overlay_events import transcript, translation

from lt.captions import ReadingTime
from lt.events import SessionEvent
from lt.overlay.captions import CaptionBoard
from lt.overlay.layout import STABLE, TENTATIVE, load_font, rollup


def texts(board: CaptionBoard, now: float) -> dict[str, str]:
    return {caption.lang: caption.text for _, caption in board.visible(now)}


def test_reading_time_follows_the_text_length_within_bounds():
    timing = ReadingTime(chars_per_second=17, min_seconds=1.5, max_seconds=7)
    assert timing.seconds(3) == 1.5
    assert timing.seconds(68) == pytest.approx(4.0)
    assert timing.seconds(1000) == 7


def test_caption_clears_after_its_reading_time():
    board = CaptionBoard(ReadingTime(min_seconds=1.5))
    board.apply(transcript(0, "Hello there.", 0, 1), now=10.0)
    assert texts(board, 11.4) == {"en": "Hello there."}
    assert texts(board, 11.5) == {}
    assert board.clear_at() == 11.5


def test_a_partial_shows_its_stable_words_apart_from_its_tentative_tail():
    board = CaptionBoard()
    board.apply(transcript(0, "we have enough money for", 0, 2, final=False, stable=3), now=0)
    (_, caption), = board.visible(0.1)
    assert (caption.stable, caption.tentative, caption.final) == ("we have enough", "money for", False)


def test_the_next_sentence_rolls_up_under_the_one_before_while_it_can_be_read():
    board = CaptionBoard(ReadingTime(min_seconds=1.0))
    board.apply(transcript(0, "First sentence.", 0, 1), now=0)
    board.apply(translation(0, "Primeira frase.", 0, 1), now=0)
    board.apply(transcript(1, "and then", 1, 2, final=False), now=0.2)
    shown = {c.lang: c for _, c in board.visible(0.3)}
    assert (shown["en"].earlier, shown["en"].text) == ("First sentence.", "and then")
    assert shown["pt"].text == "Primeira frase."
    assert {c.lang: c.earlier for _, c in board.visible(1.1)}["en"] == ""  # its reading time is over
    board.apply(transcript(1, "And then the second.", 1, 2), now=1.2)
    assert {c.lang: (c.earlier, c.text) for _, c in board.visible(1.3)}["en"] == ("", "And then the second.")


def test_partial_is_replaced_in_place_by_its_final_and_never_undoes_it():
    board = CaptionBoard()
    board.apply(transcript(3, "the quarterly", 5, 6, final=False), now=5)
    board.apply(transcript(3, "the quarterly report", 5, 6, final=False, rev=1), now=5.5)
    assert [(c.text, c.final) for _, c in board.visible(5.6)] == [("the quarterly report", False)]
    board.apply(transcript(3, "the quarterly rep", 5, 6, final=False, rev=0), now=5.7)  # an older revision
    assert [c.text for _, c in board.visible(5.8)] == ["the quarterly report"]
    board.apply(transcript(3, "The quarterly report is late.", 5, 7), now=6)
    board.apply(transcript(3, "the quarterly rep", 5, 6, final=False, rev=2), now=6.1)
    assert [(c.text, c.final) for _, c in board.visible(6.2)] == [("The quarterly report is late.", True)]


def test_an_older_segment_does_not_replace_a_newer_one():
    board = CaptionBoard()
    board.apply(transcript(5, "Newer.", 5, 6), now=0)
    assert board.apply(transcript(4, "Older.", 4, 5), now=0.1) is None
    assert texts(board, 0.2) == {"en": "Newer."}


def test_a_speculative_translation_is_tentative_until_the_final_one():
    board = CaptionBoard()
    board.apply(translation(2, "Temos dinheiro", 0, 1, final=False), now=0)
    (_, caption), = board.visible(0.1)
    assert (caption.stable, caption.tentative) == ("", "Temos dinheiro")
    board.apply(translation(2, "Temos dinheiro suficiente.", 0, 2), now=0.5)
    (_, caption), = board.visible(0.6)
    assert (caption.stable, caption.tentative) == ("Temos dinheiro suficiente.", "")


def test_events_clock_keeps_a_caption_up_while_it_is_being_spoken():
    board = CaptionBoard(ReadingTime(min_seconds=1.0))
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


def line_texts(lines) -> list[str]:
    return ["".join(run.text for run in line) for line in lines]


def positions(lines: list[str]) -> list[tuple[int, int]]:
    """(line, character offset) of every word."""
    out = []
    for row, line in enumerate(lines):
        offset = 0
        for word in line.split():
            offset = line.index(word, offset)
            out.append((row, offset))
            offset += len(word)
    return out


def test_words_already_on_screen_never_move_as_the_caption_grows():
    font = load_font(None, 36)
    words = "we have enough money for three engineers until the end of the year and then some more".split()
    before: list[tuple[int, int]] = []
    for n in range(1, len(words) + 1):
        lines = line_texts(rollup("", " ".join(words[:n]), "", font, 600, max_lines=10))
        assert " ".join(lines).split() == words[:n]
        now = positions(lines)
        assert now[: len(before)] == before
        before = now
    assert len({row for row, _ in before}) > 2  # it did wrap, more than once


def test_stable_words_are_solid_and_the_tail_tentative_on_the_same_line():
    font = load_font(None, 36)
    (line,) = rollup("", "stable words", "tentative tail", font, 1000)
    assert [(run.text, run.kind) for run in line] == [("stable words", STABLE), (" tentative tail", TENTATIVE)]


def test_long_text_keeps_its_newest_lines_and_older_ones_roll_off_the_top():
    font = load_font(None, 36)
    text = " ".join(f"word{i}" for i in range(200)) + " the very end"
    lines = line_texts(rollup("Earlier sentence.", text, "", font, 1000, max_lines=2))
    assert len(lines) == 2
    assert all(font.getlength(line) <= 1000 for line in lines)
    assert lines[1].endswith("the very end") and "Earlier" not in " ".join(lines)


def test_the_earlier_final_sits_above_the_current_text_on_its_own_lines():
    font = load_font(None, 36)
    lines = line_texts(rollup("Good morning.", "The first item", "is", font, 1000, max_lines=2))
    assert lines == ["Good morning.", "The first item is"]


def test_a_huge_caption_is_cut_to_its_end_quickly():
    font = load_font(None, 36)
    lines = line_texts(rollup("", "blah " * 200_000 + "final words", "", font, 1000))
    assert len(lines) == 2 and lines[1].endswith("blah final words")


def test_a_word_wider_than_the_line_breaks_between_characters():
    font = load_font(None, 36)
    lines = line_texts(rollup("", "x" * 200, "", font, 400, max_lines=2))
    assert len(lines) == 2
    assert all(font.getlength(line) <= 400 for line in lines)
