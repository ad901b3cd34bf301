"""lt replay: stored events back exactly as they came, paced or not, and the stored audio as PCM."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
import soundfile as sf

from conftest import lt
from lt.events import AudioEvent, event_id
from lt.replay import Pacer, audio_time, stage_time
from query_streams import final, fresh_session, json_lines, recorded, store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def meeting():
    session = fresh_session("replay")
    events = recorded(session)
    store(events)
    return session, events


def test_a_recorded_stream_stored_then_replayed_gives_identical_events(meeting):
    session, events = meeting
    result = lt("replay", session)
    assert result.code == 0, result.stderr
    assert json_lines(result.stdout) == events
    assert f"replayed {len(events)} events" in result.stderr


def test_type_filter_keeps_stored_order(meeting):
    session, events = meeting
    result = lt("replay", session, "--type", "transcript,translation")
    wanted = [e for e in events if e["type"] in ("transcript", "translation")]
    assert json_lines(result.stdout) == wanted


def test_replay_into_store_again_duplicates_nothing(meeting, db_conn):
    session, _ = meeting
    before = db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (session,)).fetchone()
    replayed = lt("replay", session)
    again = lt("store", input=replayed.stdout)
    assert again.code == 0, again.stderr
    assert db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (session,)).fetchone() == before


def test_a_missing_session_is_one_line_with_a_hint():
    result = lt("replay", "no-such-session")
    assert result.code == 1
    assert result.stdout == b""
    assert "no session 'no-such-session'" in result.stderr and "lt sessions" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("speed", ["0", "-1", "fast"])
def test_a_bad_speed_is_refused(meeting, speed):
    result = lt("replay", meeting[0], "--speed", speed)
    assert result.code == 1 and "--speed" in result.stderr


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.mark.parametrize("speed, expected", [(1.0, [0.5, 1.5]), (2.0, [0.25, 0.75]), (None, [])])
def test_pacer_keeps_the_recorded_spacing_scaled_by_speed(speed, expected):
    clock = FakeClock()
    pacer = Pacer(speed, clock=clock, sleep=clock.sleep)
    for moment in (10.0, 10.5, None, 12.0):  # an event without a time is not delayed
        pacer.wait(moment)
    assert clock.slept == expected


def test_pacer_never_sleeps_for_time_already_spent():
    clock = FakeClock()
    pacer = Pacer(1.0, clock=clock, sleep=clock.sleep)
    pacer.wait(0.0)
    clock.now += 5.0  # the reader was slow
    pacer.wait(2.0)
    assert clock.slept == []


def test_pacing_clock_is_the_last_stage_stamp_before_the_store_else_audio_time():
    assert stage_time({"t": {"capture": 1.0, "transcribe": 2.5, "store": 9.0}}) == 2.5
    assert stage_time({"t": {}}) is None
    assert audio_time({"start": 1.0, "end": 2.0}) == 2.0
    assert audio_time({"start": 1.0, "end": None}) == 1.0


def _flac(samples: np.ndarray) -> bytes:
    out = io.BytesIO()
    sf.write(out, samples, 16000, format="FLAC", subtype="PCM_16")
    return out.getvalue()


def _audio_event(session: str, index: int, start: float, end: float, content: bytes, **where) -> dict:
    return AudioEvent(
        session=session, id=event_id(session, "audio", index), start=start, end=end,
        sha256=hashlib.sha256(content).hexdigest(), **where,
    ).to_dict()


def test_audio_comes_back_as_pcm_with_silence_in_the_gaps(tmp_path):
    session = fresh_session("audio")
    rng = np.random.default_rng(5)
    first = rng.integers(-20000, 20000, 8000).astype(np.int16)  # 0.0-0.5 s
    second = rng.integers(-20000, 20000, 4000).astype(np.int16)  # 1.0-1.25 s
    events = []
    for index, (samples, start) in enumerate([(first, 0.0), (second, 1.0)]):
        data = _flac(samples)
        path = tmp_path / f"{index}.flac"
        path.write_bytes(data)
        events.append(_audio_event(session, index, start, start + len(samples) / 16000, data, path=str(path)))
    store(events)
    result = lt("replay", session, "--audio")
    assert result.code == 0, result.stderr
    expected = np.concatenate([first, np.zeros(8000, dtype=np.int16), second])
    assert result.stdout == expected.astype("<i2").tobytes()


def test_audio_stored_as_bytes_needs_no_file_and_comes_back_in_the_event(tmp_path):
    import base64

    session = fresh_session("bytes")
    samples = np.arange(-1600, 1600, dtype=np.int16)
    data = _flac(samples)
    event = _audio_event(session, 0, 0.0, 0.2, data, data=base64.b64encode(data).decode())
    store([event], "--audio-bytes")
    assert lt("replay", session, "--audio").stdout == samples.astype("<i2").tobytes()
    assert json_lines(lt("replay", session).stdout) == [event]


def test_audio_of_a_session_without_audio_is_a_clear_error():
    session = fresh_session("noaudio")
    store([final(session, 0, "Hello.", start=0.0, end=1.0)])
    result = lt("replay", session, "--audio")
    assert result.code == 1 and "no stored audio" in result.stderr
