"""The streaming policy, pinned down exactly with an honest fake recogniser.

The fake "hears" synthetic audio: each word is a run of samples holding its
code in the vocabulary (silence is 0), so it transcribes whatever audio the
policy hands it, with times relative to that audio, like Whisper does. A word
cut off at the end of the audio comes out as its first half, the way a real
decoder guesses at a word it has only partly heard. Like Whisper given a
forced prefix, it returns only the words after the prefix's words, and it
writes a full stop after the last word it heard when the audio ends in silence.
"""

from __future__ import annotations

import numpy as np
import pytest

from lt.asr.engine import Decoded, Segment, Word
from lt.asr.language import LanguageSettings
from lt.asr.sentences import FinalRules
from lt.asr.streaming import StreamingPolicy, StreamSettings
from lt.asr.style_prompt import in_style, style_prompt
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

    def __init__(self, vocab: list[str], languages: dict[str, float] | None = None, stop_in_silence: bool = False, p: float = 0.8):
        self.vocab = vocab
        self.p = p  # by default sure enough to commit on agreement, not on one slow decode (lt.asr.agreement.SURE)
        self.languages = languages or {"en": 0.98, "de": 0.02}
        self.stop_in_silence = stop_in_silence
        self.calls: list[dict] = []

    def heard(self, audio) -> list[Word]:
        words = []
        for code, start, end in _runs(audio):
            if code == 0:
                continue
            text = self.vocab[code - 1]
            if end == len(audio):
                text = text[: max(1, len(text) // 2)]
            words.append(Word(" " + text, start / SR, end / SR, self.p))
        return words

    def transcribe(self, audio, *, prompt="", prefix=(), language=None, choose=None, cheap=False) -> Decoded:
        self.calls.append({"seconds": len(audio) / SR, "prompt": prompt, "prefix": list(prefix), "language": language})
        words = self.heard(audio)
        heard_prefix = [w.text.strip().rstrip(".") for w in words[: len(prefix)]]
        assert heard_prefix == [p.strip().rstrip(".") for p in prefix], "the forced prefix is what the audio starts with"
        words = words[len(prefix):]
        if self.stop_in_silence and words and audio[-1] == 0:
            last = words[-1]
            words[-1] = Word(last.text + ".", last.start, last.end, last.p)
        probability, probs = 1.0, {}
        if language is None:
            probs = dict(self.languages)
            language, probability = choose(probs) if choose else max(probs.items(), key=lambda kv: kv[1])
        return Decoded((Segment(tuple(words), -0.2, 0.01),), language, probability, probs)


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


SENTENCES = StreamSettings(min_chunk=1.0, finals=FinalRules(max_hold=60))


def run(speech: Speech, settings: StreamSettings = SENTENCES, chunk: float = 1.0, recogniser=None, vad=None):
    """Feed the audio chunk by chunk; return the recogniser, the policy and every (time, output)."""
    recogniser = recogniser or FakeRecogniser(speech.vocab)
    policy = StreamingPolicy(recogniser, vad or FakeVad(), settings)
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


def partials(outputs) -> list[tuple[str, str]]:
    """(stable, tentative) text of every partial."""
    out = []
    for _, o in outputs:
        if o.partial:
            words = [w.text for w in o.partial.words]
            out.append(("".join(words[: o.partial.stable]).strip(), "".join(words[o.partial.stable :]).strip()))
    return out


def test_a_word_is_committed_once_two_decodes_agree():
    speech = Speech().say("one two three four five six seven eight").pause(0.1)
    _, _, outputs = run(speech)
    shown = partials(outputs)
    assert shown[0] == ("", "one two th")  # "three" is cut off at 1.0 s and guessed from its start
    assert shown[1] == ("one two", "three four fi")
    assert shown[2] == ("one two three four", "five six seven ei")
    assert finals(outputs) == ["one two three four five six seven eight"]


def test_when_decodes_come_slowly_a_word_the_decoder_is_sure_of_is_committed_without_waiting_for_agreement():
    """Decodes a second apart (a busy machine): waiting for a second opinion costs a whole decode.
    Not for the session's first words, which no earlier text prompts, nor for a word cut off at the
    end of the audio."""
    speech = Speech().say("one two three four five six seven eight nine ten eleven twelve").pause(0.1)
    _, _, unsure = run(speech)
    _, _, sure = run(speech, recogniser=FakeRecogniser(speech.vocab, p=0.95))
    assert partials(unsure)[1:3] == [("one two", "three four fi"), ("one two three four", "five six seven ei")]
    assert partials(sure)[1:3] == [("one two", "three four fi"), ("one two three four five six seven", "ei")]
    assert finals(sure) == finals(unsure) == ["one two three four five six seven eight nine ten eleven twelve"]


def test_a_decode_comes_every_min_chunk_of_audio_however_the_blocks_add_up():
    """0.1 s blocks add up to a hair under each 0.3 s step in floating point (1.2 - 0.9): still a
    decode every step."""
    speech = Speech().say("one two three four five six seven eight nine ten eleven twelve", 0.4)
    recogniser, _, _ = run(speech, StreamSettings(min_chunk=0.3, finals=FinalRules(max_hold=60)), chunk=0.1)
    assert len(recogniser.calls) == 16  # one per 0.3 s of the 4.8 s


def test_committed_words_are_forced_into_the_next_decode_and_never_decoded_again():
    speech = Speech().say("one two three four five six").pause(2)
    recogniser, _, _ = run(speech)
    assert [c["prefix"] for c in recogniser.calls[:3]] == [[], [], [" one", " two"]]


def test_stable_words_never_change_and_only_grow_within_a_segment():
    speech = Speech().say("alpha bravo charlie delta echo foxtrot golf hotel india juliet").pause(2)
    _, _, outputs = run(speech, chunk=0.5)
    stable = [s for s, _ in partials(outputs)]
    for before, after in zip(stable, stable[1:]):
        assert after.startswith(before)
    assert finals(outputs) == ["alpha bravo charlie delta echo foxtrot golf hotel india juliet"]


def test_words_before_a_silence_are_committed_by_the_first_decode_that_heard_it():
    speech = Speech().say("an earlier sentence.").pause(2).say("short phrase here").pause(0.5).say("and more words after").pause(2)
    _, _, outputs = run(speech, StreamSettings(min_chunk=0.5), chunk=0.5)
    times = [t for t, o in outputs if o.partial]
    first = next(t for t, (stable, _) in zip(times, partials(outputs)) if stable.startswith("short phrase here"))
    assert first <= 4.4 + 0.3 + 0.5  # the phrase ends at 4.4 s: heard whole once 0.3 s of silence followed it


def test_the_first_words_of_a_session_wait_for_enough_speech():
    """With no earlier text to prompt it, Whisper guesses badly from a second of audio."""
    speech = Speech().say("short phrase here").pause(0.5).say("and more words after this").pause(2)
    _, _, outputs = run(speech, StreamSettings(min_chunk=0.5, cold_start=2.0), chunk=0.5)
    first_stable = next(t for t, o in outputs if o.partial and o.partial.stable)
    assert first_stable >= 2.0
    assert finals(outputs) == ["short phrase here and more words after this"]


def test_a_full_stop_before_a_short_pause_waits_for_what_follows():
    speech = Speech().say("we have enough money for three engineers").pause(0.5).say("until the year ends").pause(2)
    recogniser = FakeRecogniser(speech.vocab, stop_in_silence=True)
    _, _, outputs = run(speech, chunk=0.5, recogniser=recogniser)
    assert finals(outputs) == ["we have enough money for three engineers until the year ends."]


def test_finals_are_whole_sentences_cut_as_soon_as_they_are_committed():
    speech = Speech().say("good morning everyone. the first item is the budget.").pause(2)
    _, _, outputs = run(speech)
    first_final_at = next(t for t, out in outputs if out.finals)
    assert finals(outputs) == ["good morning everyone.", "the first item is the budget."]
    assert first_final_at < 4.0  # the first sentence ends at 1.2 s; it does not wait for the second


def test_the_sentence_before_stays_in_the_buffer_as_forced_left_context():
    """A new sentence is decoded after the one before it, its words forced (as batch mode decodes
    it), not afresh from its first words; the sentence before that goes."""
    speech = Speech().say("good morning everyone. the first item is the budget. we have enough money for three engineers.").pause(2)
    recogniser, _, outputs = run(speech)
    assert finals(outputs) == ["good morning everyone.", "the first item is the budget.", "we have enough money for three engineers."]
    prefixes = [c["prefix"] for c in recogniser.calls]
    second = next(p for p in prefixes if " the" in p)
    assert second[:3] == [" good", " morning", " everyone."]
    third = next(p for p in prefixes if " we" in p)
    assert third[0] == " the" and " good" not in third


def test_without_context_each_sentence_is_decoded_afresh():
    speech = Speech().say("good morning everyone. the first item is the budget. we have enough money for three engineers.").pause(2)
    recogniser, _, outputs = run(speech, StreamSettings(min_chunk=1.0, context=0.0, finals=FinalRules(max_hold=60)))
    assert finals(outputs) == ["good morning everyone.", "the first item is the budget.", "we have enough money for three engineers."]
    second = [c["prefix"] for c in recogniser.calls if " first" in c["prefix"]]
    assert second and all(p[0] == " the" for p in second)


def test_a_one_word_sentence_joins_its_neighbour_unless_a_pause_sets_it_apart():
    speech = Speech().say("good. morning everyone. there. we go.").pause(0.5).say("yes.").pause(2).say("indeed.").pause(2)
    _, _, outputs = run(speech)
    assert finals(outputs) == ["good. morning everyone.", "there. we go.", "yes.", "indeed."]


def test_a_one_word_sentence_said_straight_after_a_sentence_and_then_a_pause_ends_that_final():
    speech = Speech().say("two people will present our results. there.").pause(1.5).say("please send your questions.").pause(2)
    _, _, outputs = run(speech)
    assert finals(outputs) == ["two people will present our results. there.", "please send your questions."]


def test_a_sentence_committed_while_its_run_on_one_word_sentence_is_tentative_waits_for_it():
    # Decodes every 0.2 s: "results." is agreed while "there." (heard whole, but at the end of the
    # audio) is still tentative; the sentence's final waits for it rather than leave it alone.
    speech = Speech().say("two people will present our results. there.").pause(1.5).say("please send your questions.").pause(2)
    settings = StreamSettings(min_chunk=0.2, finals=SENTENCES.finals)
    _, _, outputs = run(speech, settings, chunk=0.2)
    assert finals(outputs) == ["two people will present our results. there.", "please send your questions."]


def test_a_pause_ends_the_final_and_the_utterance():
    speech = Speech().say("no punctuation here at all").pause(3).say("then more").pause(3)
    _, _, outputs = run(speech)
    final_times = [t for t, out in outputs if out.finals]
    assert finals(outputs) == ["no punctuation here at all", "then more"]
    assert final_times[0] <= 2.0 + 0.8 + 1.0  # speech ends at 2.0 s; the pause is 0.8 s; one chunk late at most


def test_a_long_sentence_is_cut_at_a_clause_or_the_length_limit():
    words = " ".join(f"word{i}" for i in range(40))
    speech = Speech().say("first, second third fourth fifth sixth seventh eighth ninth, tenth " + words).pause(2)
    _, _, outputs = run(speech, StreamSettings(min_chunk=1.0, finals=FinalRules(max_chars=80, max_hold=60)))
    texts = finals(outputs)
    assert texts[0] == "first, second third fourth fifth sixth seventh eighth ninth,"
    assert all(len(t) <= 80 + 10 for t in texts)
    assert " ".join(texts).split() == ("first, second third fourth fifth sixth seventh eighth ninth, tenth " + words).split()


def test_committed_words_wait_at_most_max_hold_for_their_sentence():
    speech = Speech().say("a long sentence that goes on, and on for quite a while without ending at all.").pause(1)
    _, _, outputs = run(speech, StreamSettings(min_chunk=1.0, finals=FinalRules(max_hold=2.0)))
    texts = finals(outputs)
    assert len(texts) > 1 and " ".join(texts) == "a long sentence that goes on, and on for quite a while without ending at all."
    for when, out in outputs[:-1]:
        for phrase in out.finals:
            assert when - phrase.words[0].committed_at <= 2.0 + 1.0


def test_no_word_is_dropped_or_doubled_where_the_buffer_is_cut():
    text = " ".join(f"w{i}" for i in range(120))
    speech = Speech().say(text, seconds_per_word=0.3).pause(2)
    recogniser, policy, outputs = run(speech, StreamSettings(min_chunk=0.5, trim_after=2.0, finals=FinalRules(max_hold=60)), chunk=0.5)
    assert " ".join(finals(outputs)).split() == text.split()
    assert max(c["seconds"] for c in recogniser.calls) < 2.0 + 1.5
    assert policy.stats.forced_trims == 0


def test_silence_is_never_decoded_and_leaves_no_buffer_behind():
    speech = Speech().pause(20)
    recogniser, policy, outputs = run(speech)
    assert recogniser.calls == []
    assert finals(outputs) == []
    assert len(policy.buffer) / SR <= policy.settings.lead_in + 1e-6
    assert policy.stats.skipped_silence >= 20 - policy.settings.lead_in - 1e-6


def test_a_decoder_that_never_agrees_is_bounded_by_max_buffer():
    class Unstable(FakeRecogniser):
        def transcribe(self, audio, **kw):
            self.calls.append({"seconds": len(audio) / SR})
            n = len(self.calls)
            words = tuple(Word(f" {w.text.strip()}{n}", w.start, w.end, w.p) for w in self.heard(audio))
            return Decoded((Segment(words),), "en", 0.9)

    speech = Speech().say(" ".join(f"w{i}" for i in range(100)), seconds_per_word=0.4)
    policy = StreamingPolicy(Unstable(speech.vocab), FakeVad(), StreamSettings(min_chunk=1.0, max_buffer=10, finals=FinalRules(max_hold=60)))
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

    speech = Speech().say("we have enough money for three engineers.").pause(1)
    _, _, outputs = run(speech, recogniser=Looping(speech.vocab))
    assert finals(outputs) == ["we have enough money for three engineers."]


class Echoing(FakeRecogniser):
    """Whisper given a buffer that starts in silence: it writes its prompt's last sentence again,
    spread over that silence (`squeeze` None) or squeezed into `squeeze` seconds at its start, and
    with `unfinished` only its first words, so that they are no echo of the sentence's end."""

    def __init__(self, vocab, squeeze: float | None = None, unfinished: bool = False):
        super().__init__(vocab)
        self.squeeze = squeeze
        self.unfinished = unfinished

    def transcribe(self, audio, *, prompt="", prefix=(), **kw):
        decoded = super().transcribe(audio, prompt=prompt, prefix=prefix, **kw)
        silence = np.flatnonzero(audio)[0] / SR if audio.any() else len(audio) / SR
        last = [s for s in prompt.split(".") if s.strip()][-1:]
        if prefix or not silence or not last or prompt == style_prompt("en"):
            return decoded
        said = last[0].split()[: -1 if self.unfinished else None]
        each = (self.squeeze or silence) / len(said)
        echo = tuple(Word(f" {w}", i * each, (i + 1) * each, 0.9) for i, w in enumerate(said))
        segment = decoded.segments[0]
        return Decoded((Segment(echo + segment.words, -0.2, 0.01),), decoded.language, decoded.language_prob, decoded.language_probs)


def test_a_whole_sentence_written_again_from_the_prompt_is_dropped_as_an_echo():
    speech = Speech().say("one two three four five six seven.").pause(0.6).say("eight nine ten.").pause(1)
    _, _, outputs = run(speech, chunk=0.5, recogniser=Echoing(speech.vocab))
    assert finals(outputs) == ["one two three four five six seven.", "eight nine ten."]


def test_words_squeezed_faster_than_anyone_speaks_are_not_taken_for_speech():
    speech = Speech().say("we have enough money for them.").pause(1.2).say("three engineers.").pause(1)
    _, _, outputs = run(speech, chunk=0.5, recogniser=Echoing(speech.vocab, squeeze=0.05, unfinished=True))
    assert finals(outputs) == ["we have enough money for them.", "three engineers."]


def test_a_looping_hypothesis_is_never_committed():
    class Stuck(FakeRecogniser):
        def transcribe(self, audio, **kw):
            self.calls.append({"seconds": len(audio) / SR})
            loop = tuple(Word(" again", w.start, w.end, 0.9) for w in self.heard(audio))
            return Decoded((Segment(loop * 2),), "en", 0.9)

    speech = Speech().say("one two three four five six").pause(0.2)
    policy = StreamingPolicy(Stuck(speech.vocab), FakeVad(), SENTENCES)
    audio = speech.audio()
    for i in range(0, len(audio), SR):
        policy.insert_audio_chunk(audio[i : i + SR])
        out = policy.process_iter()
        assert out.partial is None or out.partial.stable == 0


def test_the_prompt_carries_released_text_and_is_bounded():
    speech = Speech()
    for i in range(20):
        speech.say(f"sentence number {i} ends here.")
    recogniser, _, _ = run(speech.pause(1), StreamSettings(min_chunk=1.0, trim_after=3.0))
    prompts = [c["prompt"] for c in recogniser.calls]
    assert prompts[0] == ""
    assert "sentence number 0 ends here." in next(p for p in prompts if "ends here." in p)
    assert max(len(p) for p in prompts) <= 200


def test_a_decode_without_earlier_text_in_its_language_gets_a_line_that_sets_whisper_s_style():
    speech = Speech().say("one two three four five six seven eight.").pause(2).say("nine ten eleven twelve.").pause(2)
    speech.say("thirteen fourteen fifteen.").pause(2)
    recogniser, _, _ = run(speech)
    prompts = [c["prompt"] for c in recogniser.calls]
    assert prompts[0] == ""  # no language before the first detection
    assert prompts[1] == style_prompt("en") == "Well, let's begin."
    # Then the session's own text, in sentence case: Whisper would carry on a lower-case style.
    assert "one two three four five six seven eight." in prompts
    assert prompts[-1] == "one two three four five six seven eight. Nine ten eleven twelve."
    french = Speech().say("bonjour tout le monde.").pause(2)
    recogniser, _, _ = run(french, StreamSettings(min_chunk=1.0, languages=LanguageSettings(fixed="fr")))
    assert recogniser.calls[0]["prompt"] == "Bon, commençons."
    assert style_prompt("ja") == "" and style_prompt(None) == ""


def test_earlier_text_is_prompted_in_sentence_case_with_shouting_lowered_and_acronyms_kept():
    text = "do for you. ask what you can do. ASK WHAT YOU CAN DO FOR YOUR country. located at DGM in order. OK?"
    assert in_style(text) == (
        "do for you. Ask what you can do. Ask what you can do for your country. Located at DGM in order. OK?"
    )


def test_finish_flushes_the_tail_that_never_got_a_second_decode():
    speech = Speech().say("cut short at the very end").pause(0.3)
    _, _, outputs = run(speech, chunk=1.0)
    assert finals(outputs) == ["cut short at the very end"]


def test_a_blank_decode_does_not_lose_the_words_heard_before_it():
    class Blanking(FakeRecogniser):
        def transcribe(self, audio, **kw):
            decoded = super().transcribe(audio, **kw)
            return Decoded((Segment(()),), "en", 0.9) if len(self.calls) >= 3 else decoded

    speech = Speech().say("words that were heard before the decoder went blank")
    policy = StreamingPolicy(Blanking(speech.vocab), FakeVad(), SENTENCES)
    audio = speech.audio()
    for i in range(0, len(audio), SR):
        policy.insert_audio_chunk(audio[i : i + SR])
        policy.process_iter()
    assert " ".join(c.text for c in policy.flush().finals).startswith("words that were heard")


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


def test_language_is_detected_per_utterance_and_pinned_once_words_are_committed():
    speech = Speech().say("hola a todos que tal estais.").pause(2).say("hello everyone how are you.").pause(2)
    recogniser, _, outputs = run(speech)
    languages = [c["language"] for c in recogniser.calls]
    assert languages[0] is None and languages[3] is None  # detect at the start of each utterance
    assert languages[2] == "en"  # then decode in the language found


def test_nothing_is_committed_before_the_first_language_is_settled():
    speech = Speech().say("a b c d e f", seconds_per_word=0.1).pause(0.05).say("then more words follow here.").pause(2)
    _, _, outputs = run(speech, StreamSettings(min_chunk=0.3, languages=LanguageSettings(first_speech=1.5)), chunk=0.3)
    first_stable = next(t for t, o in outputs if o.partial and o.partial.stable)
    assert first_stable >= 1.5


def test_a_fixed_language_skips_detection():
    speech = Speech().say("bonjour tout le monde.").pause(2)
    recogniser, _, outputs = run(speech, StreamSettings(min_chunk=1.0, languages=LanguageSettings(fixed="fr")))
    assert {c["language"] for c in recogniser.calls} == {"fr"}
    assert [c.language for _, out in outputs for c in out.finals] == ["fr"]


def test_words_are_in_session_time_after_trimming():
    speech = Speech().pause(5).say("late start.").pause(2).say("and more.").pause(2)
    _, _, outputs = run(speech)
    phrases = [c for _, out in outputs for c in out.finals]
    assert [c.text for c in phrases] == ["late start.", "and more."]
    assert phrases[0].start == pytest.approx(5.0, abs=1e-3)
    assert phrases[1].start == pytest.approx(5.8 + 2.0, abs=1e-3)
    assert all(c.speech_overlap == 1.0 for c in phrases)


def test_simulation_is_deterministic():
    speech = Speech().say("same input same output every time.").pause(1).say("yes indeed")
    assert finals(run(speech)[2]) == finals(run(speech)[2])


def test_a_word_or_two_said_alone_waits_for_what_follows_and_is_decoded_with_it():
    """"ask not", a pause, "what your country can do": Whisper mishears two words decoded on their
    own, so the first pause after them does not end the utterance; a longer one does."""
    speech = Speech().say("ask not").pause(1.0).say("what your country can do for you").pause(1.0).say("yes").pause(3)
    _, _, outputs = run(speech, StreamSettings(min_chunk=0.5, finals=SENTENCES.finals), chunk=0.5)
    phrases = [f for _, out in outputs for f in out.finals]
    assert [f.text for f in phrases] == ["ask not", "what your country can do for you", "yes"]
    assert phrases[0].words[0].committed_at >= 1.8 + 0.5  # once a decode had heard "what" (from 1.8 s) too
    final_at = next(t for t, out in outputs if any(f.text == "yes" for f in out.finals))
    assert final_at <= 5.6 + 0.4 + 2.0 + 0.5  # "yes" ends at 6.0 s: out once two seconds of silence followed


class ShortSpanVad(FakeVad):
    """Like Silero: a stretch of speech shorter than `min_speech` is dropped once silence closes it,
    though it counted while the audio still ended in it."""

    def __init__(self, min_speech: float):
        self.min_speech = min_speech

    def speech(self, audio):
        end = len(audio) / SR
        return [s for s in super().speech(audio) if s.end - s.start >= self.min_speech or s.end >= end - 1e-9]


def test_a_short_word_the_vad_takes_back_does_not_end_the_utterance_half_heard():
    """"ask" (0.2 s), a short silence, "not what ...": a decode that heard half of "ask" must not send
    that half out as a final when the VAD no longer counts "ask" as speech; it waits for a real pause."""
    speech = Speech().say("we are done here today.").pause(1.5).say("ask", 0.2).pause(0.4).say("not what your country can do").pause(2)
    settings = StreamSettings(min_chunk=0.1, finals=SENTENCES.finals)
    _, _, outputs = run(speech, settings, chunk=0.1, vad=ShortSpanVad(min_speech=0.3))
    assert ("", "a") in partials(outputs)  # a decode heard the first half of "ask"
    assert " ".join(finals(outputs)).split() == "we are done here today. ask not what your country can do".split()


def test_a_word_is_shown_stable_only_once_the_decoder_heard_lookahead_past_it():
    speech = Speech().say("one two three four five six seven eight nine ten eleven twelve", 0.4).pause(2)

    def waits(lookahead: float) -> list[float]:
        """How long after its end each word was first shown stable; the words whose lookahead ends in
        speech (the ones before the final silence are committed once it is heard)."""
        settings = StreamSettings(min_chunk=0.3, lookahead=lookahead, cold_start=0.0, finals=FinalRules(max_hold=60))
        _, _, outputs = run(speech, settings, chunk=0.3)
        first: dict[float, float] = {}
        for now, out in outputs:
            for w in out.partial.words[: out.partial.stable] if out.partial else ():
                if w.end + lookahead <= 4.8:
                    first.setdefault(w.end, now - w.end)
        return list(first.values())

    assert min(waits(1.5)) >= 1.5
    assert min(waits(0.2)) < 1.0
