"""The streaming policy, pinned down exactly with an honest fake recogniser.

The fake "hears" synthetic audio: each word is a run of samples holding its
code in the vocabulary (silence is 0), so it transcribes whatever audio the
policy hands it, with times relative to that audio, like Whisper does. A word
cut off at the end of the audio comes out as its first half, the way a real
decoder guesses at a word it has only partly heard.
"""

from __future__ import annotations

import numpy as np
import pytest

from lt.asr.captions import CaptionRules, caption_size, clause_size
from lt.asr.engine import Decoded, Segment, Word
from lt.asr.streaming import StreamingPolicy, StreamSettings
from lt.asr.vad import Span

SR = 16000
STEP = 0.001  # the sample value of vocabulary code 1


class Speech:
    """Synthetic audio and its vocabulary: words with durations, and pauses."""

    def __init__(self):
        self.vocab: list[str] = []
        self.parts: list[np.ndarray] = []

    def say(self, text: str, seconds_per_word: float = 0.4) -> Speech:
        for word in text.split():
            if word not in self.vocab:
                self.vocab.append(word)
            code = self.vocab.index(word) + 1
            self.parts.append(np.full(int(seconds_per_word * SR), code * STEP, dtype=np.float32))
        return self

    def pause(self, seconds: float) -> Speech:
        self.parts.append(np.zeros(int(seconds * SR), dtype=np.float32))
        return self

    def audio(self) -> np.ndarray:
        return np.concatenate(self.parts)


def _runs(audio: np.ndarray) -> list[tuple[int, int, int]]:
    """(code, first sample, end sample) of each run of one value."""
    codes = np.rint(audio / STEP).astype(int)
    edges = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(codes)]])
    return [(int(codes[s]), int(s), int(e)) for s, e in zip(starts, ends)]


class FakeRecogniser:
    """Implements the Transcriber Protocol on the synthetic audio."""

    def __init__(self, vocab: list[str], language: str = "en"):
        self.vocab = vocab
        self.language = language
        self.calls: list[dict] = []

    def transcribe(self, audio, *, prompt="", language=None, cheap=False) -> Decoded:
        self.calls.append({"seconds": len(audio) / SR, "prompt": prompt, "language": language})
        words = []
        for code, start, end in _runs(audio):
            if code == 0:
                continue
            text = self.vocab[code - 1]
            if end == len(audio):
                text = text[: max(1, len(text) // 2)]
            words.append(Word(" " + text, start / SR, end / SR, 0.9))
        detected = language or self.language
        return Decoded((Segment(tuple(words), -0.2, 0.01, 1.2),), detected, 0.98)


class FakeVad:
    """Speech wherever the audio is not silent."""

    def speech(self, audio):
        spans = [Span(s / SR, e / SR) for code, s, e in _runs(audio) if code != 0]
        merged: list[Span] = []
        for span in spans:
            if merged and span.start - merged[-1].end < 1e-9:
                merged[-1] = Span(merged[-1].start, span.end)
            else:
                merged.append(span)
        return merged


SENTENCES = StreamSettings(max_hold=60)  # finals only at sentence, clause and length limits, and pauses


def run(speech: Speech, settings: StreamSettings = SENTENCES, chunk: float = 1.0):
    """Feed the audio chunk by chunk; return the recogniser and every (time, output)."""
    recogniser = FakeRecogniser(speech.vocab)
    policy = StreamingPolicy(recogniser, FakeVad(), settings)
    audio = speech.audio()
    step = int(chunk * SR)
    outputs = []
    for i in range(0, len(audio), step):
        policy.insert_audio_chunk(audio[i : i + step])
        outputs.append((policy.audio_time, policy.process_iter()))
    outputs.append((policy.audio_time, policy.finish()))
    return recogniser, policy, outputs


def finals(outputs) -> list[str]:
    return [c.text for _, out in outputs for c in out.finals]


def test_a_word_is_committed_only_once_two_decodes_agree():
    speech = Speech().say("one two three four five six seven eight").pause(0.1)
    _, _, outputs = run(speech, StreamSettings(max_hold=60, captions=CaptionRules(caption_chars=1000)))
    partials = [out.partial.text for _, out in outputs if out.partial]
    assert partials[0] == "one two th"  # "three" is cut off at 1.0 s and guessed from its start
    assert partials[1] == "one two three four fi"
    assert finals(outputs) == ["one two three four five six seven eight"]


def test_commits_are_the_common_prefix_of_consecutive_hypotheses():
    speech = Speech().say("one two three four five six seven eight nine ten")
    policy = StreamingPolicy(FakeRecogniser(speech.vocab), FakeVad(), SENTENCES)
    audio = speech.audio()
    committed = []
    for i in range(0, len(audio), SR):
        policy.insert_audio_chunk(audio[i : i + SR])
        policy.process_iter()
        committed.append([w.text.strip() for w in policy.pending])
    # 1 s: no previous hypothesis; 2 s: "one two" agree ("th" vs "three" does not);
    # then "three four" once "fi" became "five" twice over
    assert committed[0] == []
    assert committed[1] == ["one", "two"]
    assert committed[2] == ["one", "two", "three", "four"]


def test_cut_off_words_never_reach_a_final():
    speech = Speech().say("alpha bravo charlie delta echo foxtrot.", seconds_per_word=0.7).pause(2)
    _, _, outputs = run(speech)
    assert finals(outputs) == ["alpha bravo charlie delta echo foxtrot."]
    for _, out in outputs:
        for caption in out.finals:
            assert all(w.text.strip() in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot.") for w in caption.words)


def test_finals_are_cut_at_sentence_ends_as_soon_as_they_are_committed():
    speech = Speech().say("good morning everyone. the first item is the budget.").pause(2)
    _, _, outputs = run(speech)
    first_final_at = next(t for t, out in outputs if out.finals)
    assert finals(outputs) == ["good morning everyone.", "the first item is the budget."]
    assert first_final_at < 4.0  # the first sentence ends at 1.2 s; it does not wait for the second


def test_a_committed_word_waits_at_most_max_hold_for_its_sentence_to_end():
    """Counted from its commit, not from its end in the audio: a slow decoder must not
    turn every commit into a final of its own."""
    speech = Speech().say("a long sentence that goes on, and on for quite a while without ending.").pause(1)
    _, _, outputs = run(speech, StreamSettings(max_hold=1.5))
    texts = finals(outputs)
    assert len(texts) > 1 and " ".join(texts) == "a long sentence that goes on, and on for quite a while without ending."
    for when, out in outputs[:-1]:
        for caption in out.finals:
            # held up to max_hold (at least two 1 s steps) after its commit, plus the step that noticed
            assert when - caption.words[0].committed_at <= max(1.5, 2 * 1.0) + 1.0


def test_an_early_cut_prefers_the_last_clause_boundary():
    assert clause_size([" and", " so,", " we", " went", " on"]) == 2
    assert clause_size([" no", " boundary"]) is None
    assert caption_size([" a", " sentence.", " next"], CaptionRules()) == 2
    assert caption_size([" short,", " clause"], CaptionRules(clause_chars=40)) is None
    assert caption_size([" x" * 10 for _ in range(10)], CaptionRules(caption_chars=84)) == 5


def test_the_audio_of_finals_is_kept_until_the_sentence_ends():
    speech = Speech().say("part one, part two, part three, part four, part five, part six.").pause(1)
    recogniser, _, outputs = run(speech, StreamSettings(max_hold=0.5))
    assert len(finals(outputs)) >= 2
    # no decode started inside the sentence: the buffer kept its beginning as context
    sentence_decodes = [c for c in recogniser.calls if c["prompt"] == ""]
    assert [round(c["seconds"]) for c in sentence_decodes[:5]] == [1, 2, 3, 4, 5]


def test_a_pause_ends_the_utterance_and_commits_the_tentative_tail():
    speech = Speech().say("no punctuation here at all").pause(3)
    recogniser, _, outputs = run(speech)
    final_times = [t for t, out in outputs if out.finals]
    assert finals(outputs) == ["no punctuation here at all"]
    assert final_times[0] <= 2.0 + 0.8 + 1.0  # speech ends at 2.0 s; the pause is 0.8 s; one chunk late at most


def test_silence_is_never_decoded_and_leaves_no_buffer_behind():
    speech = Speech().pause(20)
    recogniser, policy, outputs = run(speech)
    assert recogniser.calls == []
    assert finals(outputs) == []
    assert len(policy.buffer) / SR <= policy.settings.lead_in + 1e-6
    assert policy.stats.skipped_silence > 19


def test_long_captions_are_cut_at_a_clause_or_the_length_limit():
    words = " ".join(f"word{i}" for i in range(40))
    speech = Speech().say("first, second third fourth fifth sixth seventh eighth ninth, tenth").say(words).pause(2)
    _, _, outputs = run(speech)
    texts = finals(outputs)
    assert texts[0] == "first, second third fourth fifth sixth seventh eighth ninth,"
    assert all(len(t) <= 84 + 10 for t in texts)
    assert " ".join(texts).split() == (speech_text := ("first, second third fourth fifth sixth seventh eighth ninth, tenth " + words).split())
    assert len(speech_text) == 50


def test_the_buffer_is_trimmed_at_finals_and_stays_bounded():
    sentence = "the quick brown fox jumps over the lazy dog."
    speech = Speech()
    for _ in range(30):
        speech.say(sentence, seconds_per_word=0.35).pause(0.2)
    recogniser, policy, outputs = run(speech)
    assert len(finals(outputs)) == 30
    assert max(c["seconds"] for c in recogniser.calls) < 7.0
    assert policy.stats.forced_trims == 0


def test_a_decoder_that_never_agrees_is_bounded_by_max_buffer():
    class Unstable(FakeRecogniser):
        def transcribe(self, audio, **kw):
            decoded = super().transcribe(audio, **kw)
            n = len(self.calls)
            words = tuple(Word(f" {w.text.strip()}{n}", w.start, w.end, w.p) for w in decoded.words)
            return Decoded((Segment(words),), "en", 0.9)

    speech = Speech().say(" ".join(f"w{i}" for i in range(100)), seconds_per_word=0.4)
    policy = StreamingPolicy(Unstable(speech.vocab), FakeVad(), StreamSettings(max_hold=60, max_buffer=10))
    audio = speech.audio()
    longest = 0.0
    for i in range(0, len(audio), SR):
        policy.insert_audio_chunk(audio[i : i + SR])
        policy.process_iter()
        longest = max(longest, len(policy.buffer) / SR)
    assert longest <= 10 + 1.0
    assert policy.stats.forced_trims >= 3


def test_a_decoder_loop_squeezed_into_the_end_of_the_audio_is_cut_off():
    class Looping(FakeRecogniser):
        def transcribe(self, audio, **kw):
            decoded = super().transcribe(audio, **kw)
            end = len(audio) / SR
            loop = tuple(Word(w.text, end, end, 0.99) for w in decoded.words) * 3
            return Decoded((Segment(tuple(decoded.words) + loop),), "en", 0.9)

    speech = Speech().say("we have enough money for three engineers.").pause(0.5)
    policy = StreamingPolicy(Looping(speech.vocab), FakeVad(), SENTENCES)
    audio = speech.audio()
    texts = []
    for i in range(0, len(audio), SR):
        policy.insert_audio_chunk(audio[i : i + SR])
        texts += [c.text for c in policy.process_iter().finals]
    texts += [c.text for c in policy.finish().finals]
    assert texts == ["we have enough money for three engineers."]


def test_the_prompt_carries_finalised_text_and_is_bounded():
    speech = Speech()
    for i in range(20):
        speech.say(f"sentence number {i} ends here.")
    recogniser, _, _ = run(speech.pause(1))
    prompts = [c["prompt"] for c in recogniser.calls]
    assert prompts[0] == ""
    assert "sentence number 0 ends here." in next(p for p in prompts if p)
    assert max(len(p) for p in prompts) <= 200


def test_finish_flushes_the_tail_that_never_got_a_second_decode():
    speech = Speech().say("cut short at the very end").pause(0.3)
    _, _, outputs = run(speech, chunk=1.0)
    assert finals(outputs) == ["cut short at the very end"]


def test_finish_right_after_a_decode_commits_its_tentative_words():
    speech = Speech().say("ends exactly on a step.", seconds_per_word=0.4).pause(1.0)  # 3.0 s of audio
    _, _, outputs = run(speech, StreamSettings(pause=2.0, max_hold=60))
    assert finals(outputs) == ["ends exactly on a step."]


def test_flush_commits_pending_text_without_decoding():
    speech = Speech().say("interrupted in the middle of")
    recogniser = FakeRecogniser(speech.vocab)
    policy = StreamingPolicy(recogniser, FakeVad(), SENTENCES)
    audio = speech.audio()
    for i in range(0, len(audio), SR):
        policy.insert_audio_chunk(audio[i : i + SR])
        policy.process_iter()
    calls = len(recogniser.calls)
    out = policy.flush()
    assert len(recogniser.calls) == calls
    assert [c.text for c in out.finals] and out.finals[0].text.startswith("interrupted in the")


def test_language_is_detected_per_utterance_and_then_pinned():
    speech = Speech().say("hola a todos.").pause(2).say("hello everyone.").pause(2)
    recogniser, _, outputs = run(speech)
    languages = [c["language"] for c in recogniser.calls]
    assert languages[0] is None  # detect at the start of an utterance
    assert "en" in languages  # then decode in the language found


def test_a_fixed_language_skips_detection():
    speech = Speech().say("bonjour tout le monde.").pause(2)
    recogniser, _, outputs = run(speech, StreamSettings(language="fr", max_hold=60))
    assert {c["language"] for c in recogniser.calls} == {"fr"}
    assert [c.language for _, out in outputs for c in out.finals] == ["fr"]


def test_words_are_in_session_time_after_trimming():
    speech = Speech().pause(5).say("late start.").pause(2).say("and more.").pause(2)
    _, _, outputs = run(speech)
    captions = [c for _, out in outputs for c in out.finals]
    assert [c.text for c in captions] == ["late start.", "and more."]
    assert captions[0].start == pytest.approx(5.0, abs=1e-3)
    assert captions[1].start == pytest.approx(5.8 + 2.0, abs=1e-3)
    assert all(c.speech_overlap == 1.0 for c in captions)


def test_simulation_is_deterministic():
    speech = Speech().say("same input same output every time.").pause(1).say("yes indeed")
    assert finals(run(speech)[2]) == finals(run(speech)[2])
