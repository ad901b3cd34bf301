"""The store's compiled decoder: most input lines decoded and validated in one pass by msgspec.

Parsing and validating each line in Python (json.loads, then lt.events.from_dict)
was most of what `lt store` spent per event. Here msgspec decodes a line
straight into typed records that are derived, when this module is imported,
from lt.events' dataclasses (their fields, types and defaults): lt.events stays
the one schema. A line is decided here only when the result is certain to be
what from_dict would build: a known type, of this schema version, no field
outside the dataclass (from_dict would keep it in `extra`), every value of its
field's type, and the same semantic checks (lt.events._check_semantics). Any
other line (bad JSON, a wrong type, an unknown field or event type, a surrogate
escape, a very long number) is left to lt.ndjson.read_lines, whose hook this is (it also splits the
input, bounds its lines and stops on a signal), so what it makes of it, and
every error message, is exactly as before.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterator
from typing import Annotated, BinaryIO

import msgspec

from lt.events import EVENT_TYPES, SCHEMA_VERSION, Event, EventError, _check_semantics
from lt.ndjson import Line, read_lines


def _record(cls: type[Event]) -> type[msgspec.Struct]:
    """A msgspec record with `cls`'s fields (but `extra`), tagged by `type`, refusing unknown fields."""
    hints = typing.get_type_hints(cls)
    fields: list[tuple] = []
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        # Only this schema version is decided here; from_dict words the error for any other.
        tp = Annotated[int, msgspec.Meta(ge=SCHEMA_VERSION, le=SCHEMA_VERSION)] if f.name == "v" else hints[f.name]
        if f.default is not dataclasses.MISSING:
            fields.append((f.name, tp, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            fields.append((f.name, tp, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, tp))
    return msgspec.defstruct(
        f"Decoded{cls.__name__}", fields, kw_only=True, tag_field="type", tag=cls.TYPE, forbid_unknown_fields=True,
    )


_RECORDS = {_record(cls): cls for cls in EVENT_TYPES.values()}
_DECODER = msgspec.json.Decoder(typing.Union[tuple(_RECORDS)])  # type: ignore[misc]


# Left to read_lines: a surrogate escape (it looks for a lone one) and a run of 19 digits or more
# (it bounds integers to 64 bits; msgspec would take a 400-digit one).
_UNSURE = re.compile(rb"\\u[dD][89a-fA-F]|\d{19}")


def decoded(chunk: bytes) -> Event | None:
    """The event of one input line, or None when this decoder cannot decide it (read_lines then does)."""
    if _UNSURE.search(chunk):
        return None
    try:
        record = _DECODER.decode(chunk)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    event = _RECORDS[type(record)](**msgspec.structs.asdict(record))
    try:
        _check_semantics(event)
    except EventError:
        return None
    return event


def read_store_lines(stream: BinaryIO, *, max_line: int | None = None) -> Iterator[Line]:
    """The lines lt.ndjson.read_lines yields for `stream`, the same in every respect, faster."""
    return read_lines(stream, max_line=max_line, decode=decoded)
