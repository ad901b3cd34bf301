import io
import json
import os
import tracemalloc

import pytest

from lt.errors import LtError
from lt.events import ErrorEvent, TranscriptEvent, UnknownEvent
from lt.ndjson import EventWriter, OnBad, ReadStats, read_events, read_lines

GOOD = {"v": 1, "type": "transcript", "session": "s", "id": "a", "seg": 0, "start": 0.0, "end": 1.0,
        "text": "hi", "final": True}


def stream(*lines: bytes | str | dict) -> io.BytesIO:
    out = b""
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line)
        out += (line.encode() if isinstance(line, str) else line) + b"\n"
    return io.BytesIO(out)


BAD_LINES = {
    "malformed json": ('{"type": "transcript", ', "not valid JSON"),
    "wrong type": (json.dumps({**GOOD, "seg": "zero"}), "field 'seg': expected an integer"),
    "null field": (json.dumps({**GOOD, "text": None}), "field 'text': expected a string, got null"),
    "binary garbage": (bytes(b for b in range(256) if b != 10) * 4, "not UTF-8"),
    "not an object": ("[1, 2, 3]", "expected a JSON object"),
}


@pytest.mark.parametrize("name", BAD_LINES)
def test_emit_policy_replaces_a_bad_line_with_an_error_event(name):
    bad, message = BAD_LINES[name]
    stats = ReadStats()
    events = list(read_events(stream(GOOD, bad, GOOD), stage="test", on_bad=OnBad.emit, stats=stats))
    assert [type(e) for e in events] == [TranscriptEvent, ErrorEvent, TranscriptEvent]
    error = events[1]
    assert error.line == 2 and message in error.message and error.message.startswith("input line 2:")
    assert error.session == "s" and error.stage == "test"
    assert stats.rejected == 1 and stats.events == 2


@pytest.mark.parametrize("name", BAD_LINES)
def test_skip_policy_warns_and_goes_on(name, caplog):
    bad, message = BAD_LINES[name]
    events = list(read_events(stream(GOOD, bad, GOOD), stage="test", on_bad=OnBad.skip))
    assert len(events) == 2
    assert any("skipped input line 2" in r.getMessage() and message in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name", BAD_LINES)
def test_fail_policy_stops_naming_the_line(name):
    bad, message = BAD_LINES[name]
    events = read_events(stream(GOOD, GOOD, bad, GOOD), stage="test", on_bad=OnBad.fail)
    assert next(events).type == "transcript"
    assert next(events).type == "transcript"
    with pytest.raises(LtError, match=r"input line 3: .*") as info:
        next(events)
    assert message in info.value.message


def test_a_ten_megabyte_line_is_rejected_without_holding_it(monkeypatch):
    huge = b'{"type": "transcript", "text": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    data = stream(GOOD, huge, GOOD)
    tracemalloc.start()
    lines = list(read_lines(data, max_line=1 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [line.event is not None for line in lines] == [True, False, True]
    assert "longer than the limit" in lines[1].error and lines[1].number == 2
    assert lines[2].number == 3
    assert peak < 4 * 1024 * 1024, f"reading a 10 MB line peaked at {peak} bytes"


def test_random_bytes_never_raise():
    data = io.BytesIO(os.urandom(200_000))
    lines = list(read_lines(data, max_line=4096))
    assert lines and all(line.event is None and line.error for line in lines)


def test_line_numbers_count_blank_lines():
    lines = list(read_lines(stream(GOOD, "", "  ", "{oops")))
    assert [line.number for line in lines] == [1, 4]


def test_unknown_types_and_fields_pass_through_unchanged():
    other = {"type": "speaker_change", "session": "s", "id": "x", "who": "Ana"}
    extended = {**GOOD, "new_field": [1, {"a": None}]}
    out = io.BytesIO()
    EventWriter(out).write_all(read_events(stream(other, extended), stage="test"))
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert written[0] == other
    assert written[1]["new_field"] == [1, {"a": None}]
    assert isinstance(next(read_events(stream(other), stage="t")), UnknownEvent)


def test_writer_flushes_every_event():
    class Recorder(io.BytesIO):
        flushes = 0

        def flush(self):
            Recorder.flushes += 1

    out = Recorder()
    writer = EventWriter(out)
    for event in read_events(stream(GOOD, GOOD, GOOD), stage="t"):
        writer.write(event)
    assert Recorder.flushes == 3 and writer.count == 3
    assert out.getvalue().count(b"\n") == 3
