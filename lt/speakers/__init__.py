"""Who spoke: speaker embeddings, online tracking and batch diarization (called by `lt.asr`, never the reverse).

Install: `pip install 'lt[speakers]'` (see docs/speakers.md for a CPU-only
torch). The model is CAM++ run by onnxruntime; its one-time conversion is
`lt speakers setup`, or happens on first use (`lt.speakers.model`).

## The API the transcribe stage calls

    from lt.speakers import SpeakerSettings, SpeakerTracker, load_speaker_model, load_voices

    settings = SpeakerSettings.parse(value)       # --speakers auto|N|off; None for off (LtError if bad)
    tracker = SpeakerTracker(load_speaker_model(), settings, load_voices())   # once, before the first final

    # for each final, in order:
    turns = tracker.turns(audio, audio_start, [(w.start, w.end) for w in final.words])

- `audio`: 16 kHz float32 mono samples covering the final's words (at least
  from its first word's start to its last word's end; a little margin either
  side does no harm), beginning at session second `audio_start`. The stage
  must keep that much audio behind its decoding horizon.
- word times are session seconds, as in the transcript event; `None` takes
  the neighbouring word's time.
- the result: `[Turn(speaker, speaker_prob, first_word, start, end), ...]` in
  order, `turns[0].first_word == 0`; an empty final gives `[]`. Where there
  is more than one turn, the stage cuts the final before word
  `turn.first_word` of each later turn and gives each piece its turn's
  `speaker` and `speaker_prob`.
- at the session's end, `tracker.summary()` goes into the end event's
  `stats["speakers"]`: talk time and turns per speaker and `merged`, the ids
  folded into an earlier one when two turned out to be one person (finals
  already sent keep their id; `lt export`, `lt report` and `lt search` apply
  the mapping, see `lt.db.queries.speaker_labels`).

Cost: one batched onnxruntime call per final, over windows of 1.5 s at most
1 s apart (about 15 ms of one core per window here); memory does not grow
with the session (`tracker` keeps one voice print per speaker).

Or, holding the audio too (a bounded buffer of the last two minutes):

    from lt.speakers.live import LiveSpeakers

    speakers = LiveSpeakers(settings)           # loads the model and the enrolled voices
    speakers.add(samples)                       # each block of float32 audio as it arrives, from t = 0
    turns = speakers.turns([(w.start, w.end) for w in final.words])
    stats["speakers"] = speakers.summary()

## Batch mode (a whole file)

    from lt.speakers import diarize, turns_from_labels

    labels = diarize(load_speaker_model(), audio, [(w.start, w.end) for w in all_words], settings, load_voices())
    # one WordSpeaker(speaker, speaker_prob) per word, in order; for one final's words:
    turns = turns_from_labels(labels[first:last], [(w.start, w.end) for w in final_words])

## Enrolled voices

`lt speakers enrol NAME FILE` stores a voice print in `LT_HOME/speakers/voices/`
(or `LT_VOICES`); `load_voices()` reads them. The tracker starts with them, so
a person who was enrolled gets their name instead of `S<n>`, live and in batch.
"""

from __future__ import annotations

from lt.speakers.cluster import WordSpeaker, diarize, turns_from_labels
from lt.speakers.model import CamPlusPlus, Embedder
from lt.speakers.settings import SpeakerSettings
from lt.speakers.tracker import SpeakerTracker, Turn
from lt.speakers.voices import VoicePrint, load_voices


def load_speaker_model(threads: int = 1) -> CamPlusPlus:
    """The CAM++ embedder, converting the model first if this is its first use."""
    return CamPlusPlus(threads=threads)


__all__ = [
    "CamPlusPlus", "Embedder", "SpeakerSettings", "SpeakerTracker", "Turn", "VoicePrint", "WordSpeaker",
    "diarize", "load_speaker_model", "load_voices", "turns_from_labels",
]
