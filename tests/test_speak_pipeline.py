"""The issue's done-when, through real pipes with the bundled models, offline:

    lt capture examples/meeting.wav | lt transcribe | lt translate --to pt | lt speak --lang pt > dub.pcm

gives Portuguese speech at each caption's time, as long as the recording; and
`... | lt speak --lang en` re-speaks the English finals with the Piper voice so
that lt's own Whisper reads them back with WER <= 0.15."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chain import Chain
from conftest import lt
from lt.pcm import SAMPLE_RATE
from lt.wer import wer
from test_speak_cli import onsets, pcm
from test_speak_engines import needs_espeak

pytestmark = pytest.mark.slow
FRONT = (["capture", "examples/meeting.wav"], ["transcribe", "--model", "tiny.en"], ["translate", "--to", "pt"])


def run_chain(tmp_path, *stages, name: str) -> bytes:
    out = tmp_path / name
    chain = Chain(*stages, stdout_path=out).start()
    codes = chain.wait(timeout=300)
    assert codes == [0] * len(stages), [s.stderr() for s in chain.stages]
    return out.read_bytes()


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    data = run_chain(tmp_path_factory.mktemp("speak-e2e"), *FRONT, name="events.ndjson")
    return [json.loads(line) for line in data.splitlines()]


def seconds_in(path) -> float:
    import soundfile as sf

    return sf.info(path).duration


@needs_espeak
def test_portuguese_dub_is_aligned_with_the_recording(tmp_path, events, example_wav):
    dub = pcm(run_chain(tmp_path, *FRONT, ["speak", "--lang", "pt"], name="dub.pcm"))
    assert len(dub) / SAMPLE_RATE == pytest.approx(seconds_in(example_wav), abs=0.1)
    starts = [e["start"] for e in events if e["type"] == "translation"]
    assert len(starts) >= 8
    frames = dub[: len(dub) // 320 * 320].reshape(-1, 320)
    voiced = np.sqrt((frames ** 2).mean(axis=1)) > 0.01
    speech_onsets = onsets(dub)
    for start in starts:
        began_here = any(start - 0.05 <= onset <= start + 0.3 for onset in speech_onsets)
        still_speaking = voiced[max(0, int(start / 0.02) - 2) : int(start / 0.02) + 2].any()  # pushed back by the one before
        assert began_here or still_speaking, f"no speech at the caption starting {start}"
    assert all(any(onset >= start - 0.05 for start in starts) for onset in speech_onsets)


def test_english_finals_are_re_spoken_intelligibly(tmp_path, events):
    stream = "".join(json.dumps(e) + "\n" for e in events).encode()
    spoken = lt("speak", "--lang", "en", input=stream)
    assert spoken.code == 0, spoken.stderr
    heard = lt("transcribe", "--model", "tiny.en", "--mode", "batch", "--language", "en", input=spoken.stdout)
    assert heard.code == 0, heard.stderr
    said = " ".join(e["text"] for e in events if e["type"] == "transcript" and e["final"])
    back = " ".join(json.loads(line)["text"] for line in heard.lines() if '"type":"transcript"' in line and '"final":true' in line)
    rate = wer(said, back)
    assert rate <= 0.15, (rate, said, back)
