"""The README's recipes and the scripts in examples/, run as a user types them: `bash -c` on the
text of each recipe taken from the README (or the script itself), `lt` on the PATH, in a folder
of its own, against the real embedded database and the bundled models.

What a user's machine has and this one lacks is left out: the microphone and the virtual camera
(the live meeting and system audio recipes), and a German model (the cron recipe runs its script,
whose language is an argument, into Portuguese). To stay within seconds, `examples/` in that
folder holds the example's first two sentences (12 s) and their text, `recordings/` and
`talk.mp3` the same clip, and LT_MODEL picks tiny.en wherever a recipe leaves the model open.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import EXAMPLES, ROOT, lt
from query_streams import fresh_session, recorded, store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("jq") is None, reason="the recipes use jq (apt-get install jq)"),
]

README = (ROOT / "README.md").read_text()
CLIP_SECONDS = 12.0  # the first two sentences of the example


def readme_recipe(title: str) -> str:
    """The sh block under the recipe whose bold title starts with `title`."""
    section = README.split("\n## Recipes", 1)[1].split("\n## ", 1)[0]
    after = section.split(f"**{title}", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def home(tmp_path_factory, example_wav, example_text) -> Path:
    """A user's folder: `lt` on the PATH (this checkout's), a short examples/, recordings/ and talk.mp3."""
    folder = tmp_path_factory.mktemp("user")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lt"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m lt "$@"\n')
    shim.chmod(0o755)
    audio, rate = sf.read(example_wav, dtype="int16")
    clip = audio[: int(CLIP_SECONDS * rate)]
    (folder / "examples").mkdir()
    sf.write(folder / "examples" / "meeting.wav", clip, rate, subtype="PCM_16")
    sentences = example_text.split(". ")
    (folder / "examples" / "meeting.txt").write_text(". ".join(sentences[:2]) + ".\n")
    (folder / "recordings").mkdir()
    sf.write(folder / "recordings" / "standup.wav", clip, rate, subtype="PCM_16")
    _mp3(folder / "talk.mp3", clip, rate)
    return folder


def _mp3(path: Path, samples: np.ndarray, rate: int) -> None:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mp3", rate=rate, layout="mono")
        audio = samples.astype(np.float32) / 32768
        for i in range(0, len(audio), 1152):
            frame = av.AudioFrame.from_ndarray(audio[None, i:i + 1152], format="flt", layout="mono")
            frame.sample_rate = rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def run(home: Path, script: str, *, strict: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
    """`bash -c SCRIPT` in the user's folder; `strict`: any failing stage of a pipeline fails it."""
    env = {
        **os.environ, "PATH": f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1", "LT_MODEL": "tiny.en", "LT_QUEUE": f"recipes-{uuid.uuid4().hex[:8]}",
    }
    prelude = "set -eo pipefail\n" if strict else "set -e\n"
    proc = subprocess.run(["bash", "-c", prelude + script], cwd=home, env=env, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def ndjson(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# The CI recipe's limits are for a machine that keeps up: here tiny.en streams live on a shared
# 2-core CPU, where the first words of a cold start can come out wrong, and latency is no test's
# business. So its two numbers are loosened; every command runs as written.
LOOSE_LIMITS = (("--max-wer 0.10", "--max-wer 0.5"), (".p50 < 5'", ".p50 < 600'"))


def test_the_ci_recipe_passes_on_the_example(home):
    text = readme_recipe("A CI job")
    for strict, loose in LOOSE_LIMITS:
        assert strict in text
        text = text.replace(strict, loose)
    proc = run(home, text)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("WER ") and proc.stdout.rstrip().endswith("true")


def test_the_ci_script_passes_within_its_limits(home):
    proc = run(home, f"{EXAMPLES / 'ci-regression.sh'} examples/meeting.wav examples/meeting.txt 0.5 600")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("WER ") and proc.stdout.rstrip().endswith("true")


def test_the_debugging_recipe(home):
    proc = run(home, readme_recipe("Debugging a stage"), strict=False)
    assert proc.returncode == 0, proc.stderr
    transcribed, translated = ndjson(home / "transcribe.ndjson"), ndjson(home / "translate.ndjson")
    assert any(e["type"] == "transcript" and e["final"] for e in transcribed)
    assert any(e["type"] == "translation" and e["target_lang"] == "pt" for e in translated)
    printed = [json.loads(line) for line in proc.stdout.splitlines()]
    assert any("latency" in p and p["text"] for p in printed), "jq prints the finals with their latency"
    assert [p.get("type") for p in printed[-3:]] == ["session", "transcript", "transcript"], "head -3 had enough"
    assert "Error" not in proc.stderr, proc.stderr


def test_the_cron_script_retranslates_yesterdays_sessions_once(home):
    session = fresh_session("cron")
    noon = dt.datetime.combine(dt.date.today() - dt.timedelta(days=1), dt.time(12)).timestamp()
    events = [e for e in recorded(session) if e["type"] != "translation"]
    first = min(min(e["t"].values()) for e in events if e["t"])
    for event in events:
        event["t"] = {stage: stamp - first + noon for stage, stamp in event["t"].items()}
    store(events)
    script = EXAMPLES / "cron-retranslate.sh"
    for _ in range(2):  # event ids are deterministic: the second run stores nothing new
        proc = run(home, f"{script} pt")
        assert proc.returncode == 0, proc.stderr
        assert f"re-translated {session} into pt" in proc.stdout
    stored = lt("replay", session, "--type", "translation")
    translations = [t for t in map(json.loads, stored.lines()) if t["final"]]
    assert len(translations) == 10 and {t["target_lang"] for t in translations} == {"pt"}


def test_the_backfill_recipe(home):
    proc = run(home, readme_recipe("A backfill"), timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (home / "jobs.tsv").read_text().count("\n") == 1
    assert "WER of B against A" in proc.stdout


def test_the_video_recipes_subtitled_then_dubbed(home):
    proc = run(home, readme_recipe("A subtitled video"))
    assert proc.returncode == 0, proc.stderr
    assert (home / "talk.mp4").stat().st_size > 10_000
    proc = run(home, readme_recipe("A dubbed video"), timeout=400)
    assert proc.returncode == 0, proc.stderr
    import av

    with av.open(str(home / "talk.pt.mp4")) as video:
        assert video.streams.video and len(video.streams.audio) >= 1
    assert ndjson(home / "events.ndjson") and (home / "dub.wav").exists()


@pytest.mark.parametrize("script, args, made", [
    ("subtitled-video.sh", "talk.mp3", "captions.mp4"),
    ("dubbed-video.sh", "talk.mp3", "dubbed.mp4"),
    ("backfill.sh", "recordings", "jobs.tsv"),
    ("debug-with-jq.sh", "", "translate.ndjson"),
])
def test_the_example_scripts_run(home, script, args, made):
    proc = run(home, f"{EXAMPLES / script} {args}", timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (home / made).stat().st_size > 0
