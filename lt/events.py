"""The event protocol: one frozen dataclass per event type, and their JSON form.

Every line after `lt capture` is one JSON object with `v` (schema version),
`type`, `session`, a deterministic `id` and `t` (wall-clock stamps, one per
stage that touched the event). The dataclasses below are the source of truth;
`lt schema` prints the JSON Schema generated from them.

Unknown event types and unknown fields are kept and written back unchanged,
so a newer producer can talk through an older stage.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import secrets
import time
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

SCHEMA_VERSION = 1
# Values of fields without a schema (params, unknown fields and types) may nest this deep;
# events themselves nest 3 deep, and a stack-deep line would break whoever parses it next.
MAX_DEPTH = 32
# Integers that fit 64 bits: the database's widest, and every JSON reader's.
INT_RANGE = range(-(2**63), 2**63)

# The stages that stamp `t`, in pipeline order: the names the latency trace (lt.latency) reads.
CAPTURE, TRANSCRIBE, TRANSLATE, STORE, FRAME = "capture", "transcribe", "translate", "store", "frame"
TRACE_STAGES = (CAPTURE, TRANSCRIBE, TRANSLATE, STORE, FRAME)


class EventError(ValueError):
    """An event that does not match the protocol; the message names the field."""


def event_id(session: str, kind: str, *parts: object) -> str:
    """A deterministic id: the same session, type and key always give the same id."""
    key = "\x1f".join([session, kind, *map(str, parts)])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def new_session_id() -> str:
    """Sortable by start time, unique enough for concurrent pipelines."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class Word:
    w: str
    start: float | None
    end: float | None
    p: float | None = None


@dataclass(frozen=True, kw_only=True)
class Event:
    TYPE: ClassVar[str] = ""

    session: str
    id: str
    v: int = SCHEMA_VERSION
    t: dict[str, float] = field(default_factory=dict)
    # Fields this version does not know, written back untouched.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.TYPE

    def stamped(self, stage: str, when: float | None = None) -> typing.Self:
        return dataclasses.replace(self, t={**self.t, stage: time.time() if when is None else when})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": self.v, "type": self.TYPE, "session": self.session, "id": self.id}
        for f in dataclasses.fields(self):
            if f.name in out or f.name in ("t", "extra"):
                continue
            out[f.name] = _plain(getattr(self, f.name))
        out["t"] = dict(self.t)
        out.update(self.extra)
        return out


@dataclass(frozen=True, kw_only=True)
class SessionEvent(Event):
    """Start and end of a stage's session, with its source, model and parameters."""

    TYPE: ClassVar[str] = "session"
    kind: Literal["start", "end"]
    stage: str
    source: str | None = None
    model: str | None = None
    language: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    audio: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TranscriptEvent(Event):
    """Recognised speech: a partial (`final: false`, may change) or a committed final.

    `stable`: how many of the leading `words` are committed and will never change (all of a
    final's); a partial's tail after them is tentative."""

    TYPE: ClassVar[str] = "transcript"
    seg: int
    rev: int = 0
    start: float | None
    end: float | None
    text: str
    lang: str | None = None
    lang_prob: float | None = None
    final: bool
    stable: int = 0
    words: tuple[Word, ...] = ()
    confidence: float | None = None
    no_speech_prob: float | None = None
    speaker: str | None = None  # S1, S2, ... per session, or an enrolled name; null when not tracked
    speaker_prob: float | None = None  # how sure the tracker was of `speaker`, 0..1
    flags: tuple[str, ...] = ()

    def split_stable(self) -> tuple[str, str]:
        """The text of the stable words, and of the tentative tail after them."""
        if self.final or self.stable >= len(self.words):
            return self.text, ""
        position = 0
        for word in self.words[: self.stable]:
            found = self.text.find(word.w, position)
            if found < 0:  # words that do not spell the text: nothing can be shown as stable
                return "", self.text
            position = found + len(word.w)
        return self.text[:position].rstrip(), self.text[position:].strip()


@dataclass(frozen=True, kw_only=True)
class TranslationEvent(Event):
    """The translation of transcript `seg` into `target_lang`; start/end copy the transcript's."""

    TYPE: ClassVar[str] = "translation"
    seg: int
    rev: int = 0
    source_lang: str | None
    target_lang: str
    text: str
    source_text: str
    engine: str
    model: str | None
    final: bool
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, kw_only=True)
class AudioEvent(Event):
    """A stored chunk of the session's audio, by path (or inline base64 `data`)."""

    TYPE: ClassVar[str] = "audio"
    start: float | None
    end: float | None
    sha256: str
    path: str | None = None
    data: str | None = None
    format: str = "flac"
    sample_rate: int = 16000


@dataclass(frozen=True, kw_only=True)
class ErrorEvent(Event):
    """A stage's non-fatal problem; `line` is the offending input line where there is one."""

    TYPE: ClassVar[str] = "error"
    stage: str
    message: str
    line: int | None = None
    seg: int | None = None
    raw: str | None = None


@dataclass(frozen=True)
class UnknownEvent:
    """An event of a type this version does not know: passed through as it came."""

    data: dict[str, Any]

    @property
    def type(self) -> str:
        return self.data["type"]

    @property
    def session(self) -> str | None:
        return self.data.get("session")

    @property
    def id(self) -> str | None:
        return self.data.get("id")

    def to_dict(self) -> dict[str, Any]:
        return self.data


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls for cls in (SessionEvent, TranscriptEvent, TranslationEvent, AudioEvent, ErrorEvent)
}

AnyEvent = Union[Event, UnknownEvent]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):  # most values: skip the slower checks
        return value
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def from_dict(data: Any) -> AnyEvent:
    """Validate a decoded JSON value and build its event; EventError names what is wrong."""
    if not isinstance(data, dict):
        raise EventError(f"expected a JSON object, got {_json_type(data)}")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise EventError("field 'type': expected a non-empty string" + ("" if "type" in data else " (missing)"))
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        _free(data, kind, 0)
        return UnknownEvent(data)
    version = data.get("v", SCHEMA_VERSION)
    if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:
        raise EventError(f"{kind}: field 'v': schema version {version!r} is not supported (this lt knows {SCHEMA_VERSION})")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for name, required, fast, tp, where in _plan(cls):
        if name not in data:
            if required:
                raise EventError(f"{kind}: missing field {name!r}")
            continue
        value = fast(data[name])
        values[name] = _convert(data[name], tp, where) if value is _SLOW else value
    values["extra"] = {k: v for k, v in data.items() if k not in hints and k != "type"}
    _free(values["extra"], kind, 0)
    event = cls(**values)
    _check_semantics(event)
    return event


def _check_semantics(event: Event) -> None:
    where = event.TYPE
    if not event.session:
        raise EventError(f"{where}: field 'session' must not be empty")
    if not event.id:
        raise EventError(f"{where}: field 'id' must not be empty")
    for name in ("seg", "rev", "stable"):
        value = getattr(event, name, None)
        if isinstance(value, int) and value < 0:
            raise EventError(f"{where}: field {name!r} must be >= 0, got {value}")
    start, end = getattr(event, "start", None), getattr(event, "end", None)
    if start is not None and end is not None and end < start:
        raise EventError(f"{where}: field 'end' ({end}) is before 'start' ({start})")


@functools.cache  # get_type_hints re-evaluates every annotation: most of the cost of parsing an event
@typing.no_type_check
def _hints(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {k: v for k, v in hints.items() if k not in ("TYPE", "extra")}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@functools.cache
def _shape(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    return typing.get_origin(tp), typing.get_args(tp)


def _convert(value: Any, tp: Any, where: str) -> Any:
    origin, args = _shape(tp)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, where)
    if tp is Any:
        return _free(value, where, 1)
    if origin is Literal:
        if value not in args:
            raise EventError(f"{where}: expected one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise EventError(f"{where}: expected an array, got {_json_type(value)}")
        return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise EventError(f"{where}: expected an object, got {_json_type(value)}")
        return {k: _convert(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if tp is Word:
        if not isinstance(value, dict):
            raise EventError(f"{where}: expected a word object, got {_json_type(value)}")
        return Word(**{
            f.name: _convert(value.get(f.name), _hints(Word)[f.name], f"{where}.{f.name}")
            for f in dataclasses.fields(Word)
        })
    return _scalar(value, tp, where)


# What a fast converter returns for a value it does not handle: _convert decides (and words the error).
_SLOW = object()


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, bool, Any, Any, str], ...]:
    """Per field of `cls`: name, required, its fast converter, its type and where an error points."""
    hints = _hints(cls)
    return tuple(
        (f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
         _fast(hints[f.name]), hints[f.name], f"{cls.TYPE}: field {f.name!r}")
        for f in dataclasses.fields(cls) if f.name != "extra"
    )


def _fast(tp: Any) -> Any:
    """A converter for the values of `tp` that need no conversion (nearly all of them), built once:
    it returns such a value as _convert would, and _SLOW for anything else, which _convert handles.
    Parsing an event is most of what a stage spends per line, so this is the common path."""
    origin, args = _shape(tp)
    if origin in (Union, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        fast = _fast(inner)
        return lambda v: None if v is None else fast(v)
    if tp is Any:  # a container may nest without bound: _convert checks how deep
        return lambda v: _SLOW if isinstance(v, (dict, list)) else v
    if origin is Literal:
        return lambda v: v if v in args else _SLOW
    if tp is int:
        return lambda v: v if type(v) is int and v in INT_RANGE else _SLOW
    if tp in (str, bool):
        return lambda v: v if type(v) is tp else _SLOW
    if tp is float:
        return lambda v: v if type(v) is float and v - v == 0 else _SLOW  # finite: inf - inf is nan
    if origin is tuple:
        fast = _fast(args[0])

        def sequence(v: Any) -> Any:
            if type(v) is not list:
                return _SLOW
            out = tuple(map(fast, v))
            return _SLOW if any(x is _SLOW for x in out) else out
        return sequence
    if origin is dict:
        if args[1] is Any:
            return lambda v: dict(v) if type(v) is dict and not any(isinstance(x, (dict, list)) for x in v.values()) else _SLOW
        fast = _fast(args[1])

        def mapping(v: Any) -> Any:
            if type(v) is not dict:
                return _SLOW
            out = {k: fast(x) for k, x in v.items()}
            return _SLOW if any(x is _SLOW for x in out.values()) else out
        return mapping
    if tp is Word:
        fields = [(f.name, _fast(_hints(Word)[f.name])) for f in dataclasses.fields(Word)]

        def word(v: Any) -> Any:
            if type(v) is not dict:
                return _SLOW
            out = [fast(v.get(name)) for name, fast in fields]
            return _SLOW if any(x is _SLOW for x in out) else Word(*out)
        return word
    return lambda v: _SLOW


def _scalar(value: Any, tp: Any, where: str) -> Any:
    if type(value) is tp and _ordinary(value):  # the common case, cheaply
        return value
    ok = {
        str: isinstance(value, str),
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
    }[tp]
    if not ok:
        expected = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}[tp]
        raise EventError(f"{where}: expected {expected}, got {_json_type(value)} {_short(value)}")
    if tp is float:
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            raise EventError(f"{where}: expected a number, got an integer of {len(str(value))} digits") from None
        if not math.isfinite(number):
            raise EventError(f"{where}: expected a finite number, got {value}")
        return number
    if tp is int and value not in INT_RANGE:
        raise EventError(f"{where}: expected an integer of at most 64 bits, got {len(str(abs(value)))} digits")
    return value


def _ordinary(value: str | bool | int | float) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, int) or value in INT_RANGE


def _free(value: Any, where: str, depth: int) -> Any:
    """A value without a schema, as it came, once it is known to nest at most MAX_DEPTH deep."""
    if depth > MAX_DEPTH:
        raise EventError(f"{where}: nested more than {MAX_DEPTH} deep")
    if isinstance(value, dict):
        for item in value.values():
            _free(item, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _free(item, where, depth + 1)
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of every event type, generated from the dataclasses."""
    defs: dict[str, Any] = {"word": _object_schema(Word, {})}
    for kind, cls in EVENT_TYPES.items():
        defs[kind] = _object_schema(cls, {"type": {"const": kind}}, doc=cls.__doc__)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://lt.invalid/events.schema.json",
        "title": f"lt events, schema version {SCHEMA_VERSION}",
        "description": "One JSON object per line. Unknown types and unknown fields are allowed and passed through.",
        "oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in EVENT_TYPES],
        "$defs": defs,
    }


def _object_schema(cls: type, fixed: dict[str, Any], doc: str | None = None) -> dict[str, Any]:
    hints = _hints(cls)
    props = dict(fixed)
    required = list(fixed)
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        props[f.name] = _type_schema(hints[f.name])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    if "v" in props:
        props["v"] = {"type": "integer", "minimum": 1, "maximum": SCHEMA_VERSION}
    schema: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if doc:
        schema["description"] = doc
    return schema


def _type_schema(tp: Any) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return {"anyOf": [_type_schema(inner), {"type": "null"}]}
    if tp is Any:
        return {}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1])}
    if tp is Word:
        return {"$ref": "#/$defs/word"}
    return {"type": {str: "string", bool: "boolean", int: "integer", float: "number"}[tp]}
