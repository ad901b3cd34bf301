"""The speak stage with an honest fake engine: what is spoken, where it goes on audio time, the track,
ducking, and the live queue's bound."""

from __future__ import annotations

import io

import numpy as np
import pytest

from lt.pcm import SAMPLE_RATE
from lt.events import ErrorEvent, SessionEvent, event_id
from lt.tts.assemble import Assembler, RawOut
from lt.tts.live import SpeechQueue
from lt.tts.outputs import TrackOutput, drive
from lt.tts.stage import SpeakSettings, SpeakStats, Spoken, Tail, Utterance, speak
from lt.tts.timing import Timeline, TimingSettings
from overlay_events import SESSION, transcript, translation
from speak_fakes import ToneSynth, seconds_of


def spoken(out) -> list[Spoken]:
    return [item for item in out if isinstance(item, Spoken)]


def session_end(seconds: float) -> SessionEvent:
    return SessionEvent(session=SESSION, id=event_id(SESSION, "session", "end"), kind="end", stage="transcribe", stats={"audio_seconds": seconds})


# the policy on audio time


def test_speech_starts_at_its_caption_and_never_on_top_of_the_one_before():
    timeline = Timeline(TimingSettings(max_speedup=1.3, gap=0.2))
    first = timeline.place(1.0, 3.0, 1.5)
    assert (first.at, first.rate, first.delay) == (1.0, 1.0, 0.0)
    timeline.occupy(first.at, 1.5)
    second = timeline.place(2.0, 5.0, 1.0)  # its caption starts while the first still speaks
    assert second.at == pytest.approx(2.7) and second.delay == pytest.approx(0.7)


def test_speech_longer_than_its_room_is_sped_up_within_the_bound_then_runs_on():
    timeline = Timeline(TimingSettings(max_speedup=1.3, gap=0.1))
    assert timeline.place(0.0, 2.0, 2.4).rate == pytest.approx(1.2)
    much_too_long = timeline.place(0.0, 2.0, 6.0)
    assert much_too_long.rate == 1.3
    timeline.occupy(0.0, 6.0 / 1.3)
    pushed = timeline.place(3.0, 6.0, 2.0)  # pushed back past its start: less room, so faster
    assert pushed.at == pytest.approx(6.0 / 1.3 + 0.1) and pushed.rate > 1.0


def test_a_caption_without_times_follows_the_speech_before():
    timeline = Timeline(TimingSettings(gap=0.25))
    assert timeline.place(None, None, 1.0).at == 0.0
    timeline.occupy(0.0, 1.0)
    assert timeline.place(None, None, 1.0).at == 1.25


# what is spoken


def test_translations_into_the_language_are_spoken_once_each_and_everything_passes_through():
    synth = ToneSynth("pt")
    events = [
        transcript(0, "Good morning.", 0.0, 2.0),
        translation(0, "Bom dia.", 0.0, 2.0),
        translation(0, "Bom dia!", 0.0, 2.0),  # the same segment again (another model): said once
        translation(1, "Guten Tag.", 2.0, 4.0, target="de"),
        translation(2, "Ainda não", 4.0, 5.0, final=False),
        translation(2, "Ainda não sei.", 4.0, 6.0),
    ]
    out = list(speak(events, synth, SpeakSettings(lang="pt")))
    assert [e for e in out if not isinstance(e, (Spoken, Tail))] == events
    assert synth.said == ["Bom dia.", "Ainda não sei."]
    assert isinstance(out[-1], Tail) and out[-1].end == 6.0


def test_without_translations_into_it_the_transcripts_in_the_language_are_spoken():
    synth = ToneSynth("en")
    events = [
        transcript(0, "Hello there.", 0.0, 1.5),
        transcript(1, "Hello the", 1.5, 2.0, final=False),
        transcript(1, "Hello there again.", 1.5, 3.0),
        transcript(2, "Olá.", 3.0, 4.0, lang="pt"),
        translation(2, "Hello.", 3.0, 4.0, target="en"),
    ]
    list(speak(events, synth, SpeakSettings(lang="en")))
    assert synth.said == ["Hello there.", "Hello there again.", "Hello."]


def test_a_suspected_hallucination_is_not_read_out():
    synth, stats = ToneSynth("pt"), SpeakStats()
    suspect = transcript(0, "Thanks for watching!", 0.0, 2.0)
    suspect = type(suspect)(**{**suspect.__dict__, "flags": ("suspect_hallucination",)})
    list(speak([suspect, translation(0, "Obrigado por assistir!", 0.0, 2.0)], synth, SpeakSettings(lang="pt"), stats))
    assert synth.said == [] and stats.suspects == 1


def test_a_caption_the_engine_cannot_speak_becomes_an_error_event_and_the_rest_goes_on():
    synth = ToneSynth("pt")
    out = list(speak([translation(0, "boom", 0.0, 1.0), translation(1, "Tudo bem.", 1.0, 2.0)], synth, SpeakSettings(lang="pt")))
    errors = [e for e in out if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and errors[0].seg == 0 and "the engine broke" in errors[0].message
    assert synth.said == ["Tudo bem."]


def test_each_utterance_may_use_the_silence_up_to_the_next_caption():
    synth = ToneSynth("pt")
    long_text = "x" * 60  # 3 s of speech for a 2 s caption, with 2 s of silence after it
    out = spoken(speak([translation(0, long_text, 0.0, 2.0), translation(1, "curto", 4.0, 5.0)], synth, SpeakSettings(lang="pt")))
    assert out[0].placement.rate == 1.0 and out[0].seconds == pytest.approx(3.0)
    assert out[1].placement.at == 4.0


def test_speech_too_long_for_its_room_is_sped_up_with_pitch_kept():
    synth = ToneSynth("pt")
    text = "x" * 50  # 2.5 s of speech, 2.0 s of room
    out = spoken(speak([translation(0, text, 0.0, 2.0), translation(1, "curto", 2.15, 3.0)], synth, SpeakSettings(lang="pt")))
    first = out[0]
    assert first.placement.rate == pytest.approx(1.25, abs=0.01)
    assert first.seconds == pytest.approx(2.0, abs=0.02)
    spectrum = np.abs(np.fft.rfft(first.samples))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(first.samples) == pytest.approx(440, abs=5)  # same pitch
    assert out[1].placement.at >= first.placement.at + first.seconds


def test_the_tail_is_the_session_length_from_the_transcribe_end_event():
    out = list(speak([translation(0, "Oi.", 0.0, 1.0), session_end(42.5)], ToneSynth("pt"), SpeakSettings(lang="pt")))
    assert out[-1] == Tail(42.5)


# the track


def track_of(events, synth=None, original=None, duck_db=18.0) -> np.ndarray:
    buffer = io.BytesIO()
    synth = synth or ToneSynth("pt")
    drive(speak(events, synth, SpeakSettings(lang="pt")), TrackOutput(Assembler(RawOut(buffer), original, duck_db)))
    return np.frombuffer(buffer.getvalue(), dtype="<i2").astype(np.float32) / 32768


def test_the_track_has_each_caption_at_its_sample_and_silence_between_to_the_session_end():
    audio = track_of([translation(0, "um dois", 1.0, 2.0), translation(1, "tres", 3.0, 4.0), session_end(6.0)])
    assert len(audio) == 6 * SAMPLE_RATE
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    assert loud[0] == pytest.approx(SAMPLE_RATE * 1.0, abs=2)
    second = loud[loud > 2.5 * SAMPLE_RATE][0]
    assert second == pytest.approx(SAMPLE_RATE * 3.0, abs=2)
    assert not np.any(np.abs(audio[int(SAMPLE_RATE * (1 + seconds_of("um dois"))) + 1 : int(SAMPLE_RATE * 3.0) - 1]) > 0)


class FakeOriginal:
    """A recording of constant level, read as the track advances (the Original interface)."""

    def __init__(self, seconds: float, level: float = 0.2):
        self.left = int(seconds * SAMPLE_RATE)
        self.level = level
        self.exhausted = False

    def take(self, count: int, pad: bool = True) -> np.ndarray:
        real = min(count, self.left)
        self.left -= real
        self.exhausted = self.left == 0
        out = np.full(real, self.level, dtype=np.float32)
        return np.pad(out, (0, count - real)) if pad else out


def test_duck_lowers_the_original_under_the_dub_and_keeps_it_between():
    quiet_synth = ToneSynth("pt")
    audio = track_of([translation(0, "x" * 20, 2.0, 3.0)], quiet_synth, FakeOriginal(8.0), duck_db=20)
    assert len(audio) == 8 * SAMPLE_RATE  # as long as the original
    assert np.median(audio[: SAMPLE_RATE]) == pytest.approx(0.2, abs=0.001)  # before: the original as it is
    under = audio[int(2.5 * SAMPLE_RATE) : int(2.9 * SAMPLE_RATE)] - (0.5 * np.sin(2 * np.pi * 440 * np.arange(int(0.5 * SAMPLE_RATE), int(0.9 * SAMPLE_RATE)) / SAMPLE_RATE))
    assert np.median(under) == pytest.approx(0.02, abs=0.002)  # 20 dB down under the speech
    assert np.median(audio[6 * SAMPLE_RATE :]) == pytest.approx(0.2, abs=0.001)  # back after it
    steps = np.abs(np.diff(audio[int(3.0 * SAMPLE_RATE) : int(3.5 * SAMPLE_RATE)]))
    assert steps.max() < 0.01  # ramped back up, not switched: no click


# live


def utterance(seg: int) -> Utterance:
    event = translation(seg, "x", 0.0, 1.0)
    return Utterance(SESSION, seg, 0.0, 1.0, "x", event, arrived=0.0)


def live_spoken(seg: int, seconds: float) -> Spoken:
    return Spoken(utterance(seg), np.full(int(seconds * SAMPLE_RATE), 0.1, dtype=np.float32), None)


def test_the_live_queue_never_holds_more_than_the_delay_and_drops_the_oldest_waiting():
    stats = SpeakStats()
    queue = SpeechQueue(max_delay=3.0, max_speedup=1.0, stats=stats, gap=0.0)
    for seg in range(5):
        queue.push(live_spoken(seg, 1.5))
        assert queue.waiting() <= 3.0 + 1.5
    assert stats.dropped == 2  # each push may find at most 3 s waiting before it
    played = queue.pull(10 * SAMPLE_RATE)
    assert np.count_nonzero(played) == int(4.5 * SAMPLE_RATE)  # the three newest, 1.5 s each; silence after


def test_the_live_queue_speeds_up_when_behind_and_cuts_the_playing_one_last():
    stats = SpeakStats()
    queue = SpeechQueue(max_delay=2.0, max_speedup=1.5, stats=stats, gap=0.0)
    queue.push(live_spoken(0, 4.0))  # nothing waiting: as it is
    queue.pull(SAMPLE_RATE // 2)  # it is playing
    queue.push(live_spoken(1, 1.0))  # 3.5 s behind: sped up, and the playing one cut to the delay
    assert stats.sped_up == 1 and stats.max_rate == pytest.approx(1.5)
    assert queue.waiting() == pytest.approx(2.0 + 1.0 / 1.5, abs=0.01)
    assert len(stats.latencies) == 1
    queue.pull(int(2.7 * SAMPLE_RATE))
    assert queue.empty() and len(stats.latencies) == 2


def test_the_live_queue_keeps_a_pause_between_two_captions():
    queue = SpeechQueue(max_delay=10.0, max_speedup=1.0, gap=0.25)
    queue.push(live_spoken(0, 1.0))
    queue.push(live_spoken(1, 1.0))
    played = queue.pull(3 * SAMPLE_RATE)
    assert np.count_nonzero(played[SAMPLE_RATE : int(1.25 * SAMPLE_RATE)]) == 0
    assert np.count_nonzero(played) == 2 * SAMPLE_RATE
