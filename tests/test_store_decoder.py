"""The store's compiled decoder makes of every line exactly what lt.ndjson.read_lines makes of it."""

from __future__ import annotations

import io
import json

import pytest

from lt.db.decoder import decoded, read_store_lines
from lt.events import SessionEvent, TranscriptEvent, TranslationEvent, Word, event_id
from lt.ndjson import read_lines

T = '{"type":"transcript","session":"s","id":"i","seg":0,"start":0,"end":1,"text":"x","final":true'


def _good() -> list[bytes]:
    events = [
        SessionEvent(session="s", id=event_id("s", "session", "start"), kind="start", stage="transcribe",
                     params={"big": 10**17, "f": 1.5, "list": [1, None]}, t={"transcribe": 1.0}),
        TranscriptEvent(session="s", id="a", seg=1, rev=2, start=0.5, end=1.0, text="olá 👋", final=True,
                        words=(Word("olá", 0.5, 0.8, 0.9),), flags=("x",), t={"transcribe": 2}),
        TranslationEvent(session="s", id="b", seg=1, source_lang=None, target_lang="pt", text="a", source_text="b",
                         engine="e", model=None, final=True),
    ]
    return [json.dumps(e.to_dict(), ensure_ascii=False).encode() + b"\n" for e in events]


BAD = [
    T + ',"extra":1}', T + ',"unknown":1}', T.replace('"session":"s"', '"session":""') + "}",
    T.replace('"seg":0', '"seg":-1') + "}", T.replace('"start":0', '"start":2') + "}",
    T.replace('"end":1', '"end":1e400') + "}", T.replace('"end":1', '"end":NaN') + "}",
    T.replace('"text":"x"', '"text":"\\ud800"') + "}", T.replace('"final":true', '"final":1') + "}",
    T.replace('"seg":0', '"seg":true') + "}", T + ',"v":2}', T + ',"v":true}',
    T + ',"words":[{"w":"a","start":0}]}', T + ',"words":[{"w":"a","start":0,"end":1,"q":3}]}',
    '{"type":"transcript","type":"other"' + T[len('{"type":"transcript"'):] + "}",
    '{"type":"session","session":"s","id":"i","kind":"middle","stage":"x"}',
    '{"type":"audio","session":"s","id":"i","start":0,"end":1,"sha256":"x","data":"AAAA"}',
    '{"type":"later","session":"s","id":"i"}', "  ", "", "not json", "[1,2]", '{"type":"x"} trailing', "{}",
    T + "}" + " " * 3000,
]


@pytest.mark.parametrize("limit", [None, 2000])
def test_every_line_is_read_as_read_lines_reads_it(limit):
    lines = _good() + [b.encode() + b"\n" for b in BAD] + [b"\xff\xfe\n", b"\xef\xbb\xbf{}\n"]
    data = b"".join(lines) + (T + "}").encode()  # the last line without its newline
    expected = list(read_lines(io.BytesIO(data), max_line=limit))
    got = list(read_store_lines(io.BytesIO(data), max_line=limit))
    assert got == expected
    # repr tells 1 from 1.0 and a tuple from a list, which == does not
    assert [repr(line.event) for line in got] == [repr(line.event) for line in expected]


def test_good_lines_are_decided_by_the_compiled_decoder():
    assert all(decoded(line) is not None for line in _good())
    assert decoded((T + ',"unknown":1}').encode()) is None  # kept in `extra` by from_dict instead


def test_a_library_callers_numpy_floats_are_encoded_in_the_batch_record():
    import numpy as np

    from lt.db.rows import batch_document, item_from_line
    from lt.ndjson import Line

    event = TranscriptEvent(session="s", id="i", seg=0, start=np.float64(1.5), end=np.float64(2.0), text="x",
                            final=True, t={"transcribe": np.float64(3.0)})
    (record,) = json.loads(batch_document([item_from_line(Line(1, event, None, ""), last_session=None, audio_bytes=False)]))
    assert (record["wall_time"], record["audio_start"], record["audio_end"], record["ord"]) == (3.0, 1.5, 2.0, 0)
