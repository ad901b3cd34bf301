"""lt export: subtitles that parse back and keep the caption rules; NULL timestamps never crash."""

from __future__ import annotations

import re

import pytest

from conftest import lt
from lt.captions import Caption, TimedWord
from lt.subtitles import SubtitleRules, SubtitleStats, cues, srt
from query_streams import final, fresh_session, json_lines, recorded, store

pytestmark = pytest.mark.slow

RULES = SubtitleRules()
CLOCK = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_subtitles(text: str) -> list[tuple[float, float, list[str]]]:
    """SRT or WebVTT cues as (start, end, lines); fails on anything it does not recognise."""
    blocks = [b for b in re.split(r"\n\n+", text.strip()) if b]
    if blocks and blocks[0] == "WEBVTT":
        blocks = blocks[1:]
    out = []
    for number, block in enumerate(blocks, 1):
        lines = block.split("\n")
        if not text.startswith("WEBVTT"):
            assert lines.pop(0) == str(number), block
        timing = re.fullmatch(f"{CLOCK} --> {CLOCK}", lines.pop(0))
        assert timing, block
        start, end = _seconds(*timing.groups()[:4]), _seconds(*timing.groups()[4:])
        out.append((start, end, lines))
    return out


def assert_caption_rules(parsed, *, reading_speed: bool = True) -> None:
    assert parsed
    for i, (start, end, lines) in enumerate(parsed):
        assert 1 <= len(lines) <= RULES.max_lines
        assert all(0 < len(line) <= RULES.line_chars for line in lines), lines
        assert RULES.reading.min_seconds - 0.001 <= end - start <= RULES.reading.max_seconds + 0.001
        if reading_speed:
            assert len(" ".join(lines)) <= RULES.reading.chars_per_second * (end - start) + 0.5, (start, end, lines)
        if i + 1 < len(parsed):
            assert end <= parsed[i + 1][0], "cues overlap"


def words_of(parsed) -> list[str]:
    return " ".join(line for _, _, lines in parsed for line in lines).split()


@pytest.fixture(scope="module")
def meeting():
    session = fresh_session("export")
    events = recorded(session)
    store(events)
    finals = [e for e in events if e["type"] == "transcript" and e["final"]]
    translated = [e for e in events if e["type"] == "translation" and e["final"]]
    return session, finals, translated


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_of_the_originals_parse_back_and_keep_the_rules(meeting, fmt):
    session, finals, _ = meeting
    result = lt("export", session, "--format", fmt)
    assert result.code == 0, result.stderr
    parsed = parse_subtitles(result.text)
    assert_caption_rules(parsed)
    assert words_of(parsed) == " ".join(e["text"] for e in finals).split()
    assert parsed[0][0] == pytest.approx(finals[0]["start"], abs=0.01)


def test_subtitles_of_a_translation(meeting, tmp_path):
    session, _, translated = meeting
    out = tmp_path / "pt.srt"
    result = lt("export", session, "--format", "srt", "--lang", "pt", "--out", str(out))
    assert result.code == 0 and result.stdout == b"", result.stderr
    parsed = parse_subtitles(out.read_text())
    assert_caption_rules(parsed, reading_speed=False)  # translations keep the speech's times, not their length
    assert words_of(parsed) == " ".join(e["text"] for e in translated).split()


def test_text_and_ndjson(meeting):
    session, finals, translated = meeting
    assert lt("export", session, "--format", "txt").text.splitlines() == [e["text"] for e in finals]
    assert json_lines(lt("export", session, "--format", "ndjson", "--lang", "pt").stdout) == translated


def test_a_language_the_session_lacks_names_the_ones_it_has(meeting):
    result = lt("export", meeting[0], "--lang", "de")
    assert result.code == 1 and "no final translations into de" in result.stderr and "it has: pt" in result.stderr


def test_null_timestamps_export_and_sort_predictably():
    session = fresh_session("nulls")
    store([
        final(session, 0, "First, with times.", start=0.0, end=2.0),
        final(session, 1, "No times at all.", start=None, end=None),
        final(session, 2, "Only an end.", start=None, end=5.0),
        final(session, 3, "Second, with times.", start=3.0, end=4.5),
        final(session, 4, "Only a start.", start=6.0, end=None),
    ])
    srt_result = lt("export", session, "--format", "srt")
    assert srt_result.code == 0, srt_result.stderr
    parsed = parse_subtitles(srt_result.text)
    # Timed captions in audio order, then the untimed ones in segment order, placed after the one before.
    assert [" ".join(lines) for _, _, lines in parsed] == [
        "First, with times.", "Second, with times.", "Only a start.", "No times at all.", "Only an end.",
    ]
    assert_caption_rules(parsed)
    assert "3 caption(s) had no start or end time" in srt_result.stderr
    assert lt("export", session, "--format", "txt").text.splitlines()[3:] == ["No times at all.", "Only an end."]


def test_a_long_caption_is_split_into_cues_timed_by_its_words():
    text = ("The committee reviewed every proposal that arrived before the deadline, and it decided to fund "
            "the three projects that promised the largest benefit for the community.")
    words = tuple(TimedWord(w, i * 0.45, i * 0.45 + 0.4) for i, w in enumerate(text.split()))
    stats = SubtitleStats()
    result = cues([Caption(0.0, words[-1].end, text, words)], RULES, stats)
    assert len(result) >= 2 and stats.fast == 0
    assert result[1].start == pytest.approx(words[len(" ".join(result[0].lines).split())].start)
    assert_caption_rules([(c.start, c.end, list(c.lines)) for c in result])
    assert max(len(line) for c in result for line in c.lines) <= 42


def test_too_fast_speech_keeps_its_pace_and_is_counted():
    stats = SubtitleStats()
    fast = [Caption(i * 1.0, i * 1.0 + 1.0, "Forty characters of speech in one second.") for i in range(3)]
    result = cues(fast, RULES, stats)
    assert stats.fast == 2  # the last one has time to stretch into
    assert result[-1].start == pytest.approx(2.0)  # no drift behind the audio
    assert result[-1].end == pytest.approx(2.0 + 41 / RULES.reading.chars_per_second, abs=0.001)


def test_a_short_caption_stays_up_for_the_minimum_and_pushes_the_next():
    result = cues([Caption(0.0, 0.2, "Yes."), Caption(0.3, 2.0, "Then we agree on it.")], RULES)
    assert result[0].end - result[0].start == pytest.approx(RULES.reading.min_seconds)
    assert result[1].start == pytest.approx(result[0].end)


def test_webvtt_escapes_markup_and_srt_keeps_text():
    from lt.subtitles import vtt

    result = cues([Caption(0.0, 2.0, "a <b> & c --> d")], RULES)
    assert "a &lt;b&gt; &amp; c --&gt; d" in vtt(result)
    assert "a <b> & c --> d" in srt(result)
