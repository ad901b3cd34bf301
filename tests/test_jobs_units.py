"""The parts of lt jobs and lt compare that need no database: specs, inputs, the watch table."""

import io
import os

import pytest

from lt.errors import LtError
from lt.jobs.inputs import _like, expand_paths, file_session, rerun_session, slug
from lt.jobs.spec import JobSpec


def test_the_fallback_chain_starts_at_the_jobs_model_and_goes_down():
    chain = ("small", "base", "tiny.en")
    assert JobSpec("file", "a.wav", "s", model="small", fallback=chain).models() == ["small", "base", "tiny.en"]
    assert JobSpec("file", "a.wav", "s", model="base", fallback=chain).models() == ["base", "tiny.en"]
    assert JobSpec("file", "a.wav", "s", model="large-v3", fallback=chain).models() == ["large-v3", "small", "base", "tiny.en"]
    assert JobSpec("file", "a.wav", "s", model="tiny.en", fallback=()).models() == ["tiny.en"]
    assert JobSpec("session", "old", "old", model=None, targets=("pt",)).models() == []


def test_a_spec_travels_as_json_and_comes_back_the_same():
    import json

    spec = JobSpec("file", "/r/a.wav", "s1", model="base", targets=("pt", "es"), translate_models=("en-es=/m",), retries=4)
    assert JobSpec.from_args(json.loads(json.dumps(spec.args()))) == spec


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path.resolve())


def test_inputs_files_directories_globs_and_stdin(tmp_path):
    a = _touch(tmp_path / "a.wav")
    b = _touch(tmp_path / "deep" / "b.MP3")
    notes = _touch(tmp_path / "deep" / "notes.txt")
    c = _touch(tmp_path / "c.flac")
    assert expand_paths([str(tmp_path / "deep")]) == [b]  # a directory: its audio files only, recursively
    assert expand_paths([str(tmp_path / "*.wav"), a]) == [a]  # each path once
    assert expand_paths([str(tmp_path / "**" / "*.*")]) == sorted([a, b, notes, c])
    assert expand_paths([notes]) == [notes]  # named on its own: taken whatever its name
    listed = io.StringIO(f"{a}\n\n# a comment\n{tmp_path / 'deep'}\n")
    assert expand_paths(["-"], listed) == [a, b]
    assert expand_paths(["https://example.org/talk.mp3"]) == ["https://example.org/talk.mp3"]


@pytest.mark.parametrize("item, message", [
    ("missing.wav", "no such file: missing.wav"),
    ("nothing-*.wav", "no file matches"),
])
def test_inputs_that_match_nothing_are_named(tmp_path, monkeypatch, item, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LtError, match=message):
        expand_paths([item])


def test_a_directory_without_audio_is_an_error(tmp_path):
    _touch(tmp_path / "readme.txt")
    with pytest.raises(LtError, match="holds no audio or video files"):
        expand_paths([str(tmp_path)])


def test_session_names():
    assert file_session("/x/Team Meeting (final).wav").endswith("-Team-Meeting-final")
    assert rerun_session("20261121T090000Z-ab12cd-a", "/models/whisper-small", None) == "20261121T090000Z-ab12cd-a-whisper-small"
    assert rerun_session("s", "tiny.en", "en") == "s-tiny.en-en"
    assert rerun_session("s", None, None) == "s"  # translate-only re-runs add to the session itself
    assert slug("a/b c") == "a-b-c"
    assert _like("2026_11*") == "2026\\_11%" and _like("a?%") == "a_\\%"


def test_the_watch_table_shows_state_progress_and_fallbacks():
    from rich.console import Console

    from lt.jobs.watch import table

    job = {
        "id": 7, "state": "running", "kind": "file", "input": "/r/a.wav", "step": "transcribe", "percent": 42.0,
        "attempt": 2, "attempts_allowed": 3, "model": "tiny.en", "fallbacks": [{"model": "small", "error": "missing"}],
        "seconds": 12.0, "error": None, "session": "s-a",
    }
    console = Console(record=True, width=200)
    console.print(table([job]))
    text = console.export_text()
    assert "a.wav" in text and "transcribe" in text and "42.0%" in text and "2/3" in text
    assert "tiny.en (after small)" in text and "1 running" in text


def test_a_job_that_gives_up_on_the_database_removes_the_spill_its_retry_makes_again(tmp_path):
    from lt.db.store import StoreStats
    from lt.jobs.run import _remove_spill

    spill = tmp_path / "store-1.ndjson"
    spill.write_text("{}\n")
    _remove_spill(StoreStats(spilled=1, spill_files=[spill]))
    assert not spill.exists()
    _remove_spill(StoreStats())  # no spill: nothing to do


def test_a_worker_of_this_host_counts_as_alive_while_its_process_runs():
    import socket
    import subprocess
    import sys

    from lt.jobs.queue import _alive_here

    import time

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "lt", "worker"])
    name = f"{socket.gethostname()}:{proc.pid}"
    try:
        deadline = time.monotonic() + 10  # until the child has exec'd, /proc shows the parent's command line
        while not _alive_here(name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive_here(name)
    finally:
        proc.kill()
        proc.wait()
    assert not _alive_here(name)
    assert not _alive_here(f"{socket.gethostname()}:{os.getpid()}")  # a live pid, but not a worker
    assert not _alive_here("another-host:1") and not _alive_here(None)
