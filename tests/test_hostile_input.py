"""Hostile input into every stage that reads events: each bad line is named with its number,
the policy applies, exit code 3, and every good line around it comes through."""

from __future__ import annotations

import io
import json
import random
import shutil

import pytest
from history import History, check, stored_events

from lt.events import from_dict
from lt.ndjson import read_lines


def _final(session: str, n: int, text: str = "Please send your questions before Friday.") -> dict:
    """With every field written out, as stages write events, so stored bodies compare equal."""
    return from_dict({"v": 1, "type": "transcript", "session": session, "id": f"{session}-good-{n}", "seg": n,
                      "start": float(n), "end": n + 0.9, "text": text, "lang": "en", "final": True}).to_dict()


def _long_text(words: int) -> str:
    rng = random.Random(7)
    nouns = "budget team report schedule project office plan question customer market garden river city".split()
    out: list[str] = []
    while len(out) < words:
        out += f"We will review the {rng.choice(nouns)} of the {rng.choice(nouns)} on day {rng.randint(1, 99)}.".split()
    return " ".join(out[:words])


def corpus(session: str) -> dict[str, bytes]:
    """Each hostile line by name. Valid-looking ones carry ids, so a stage that let one through would show it."""
    def bad(n: int, old: bytes, new: bytes, **fields) -> bytes:
        """A good event but for one hostile spot, `old` made `new` in its JSON text."""
        raw = json.dumps({**_final(session, 100 + n), "id": f"{session}-bad-{n}", **fields}).encode()
        assert old in raw
        return raw.replace(old, new)

    return {
        "5,000-digit integer": b'{"v":1,"type":"transcript","seg":' + b"9" * 5000 + b"}",
        "400-digit integer in start": bad(1, b'"start": 101.0', b'"start": ' + b"9" * 400),
        "400-digit integer in seg": bad(2, b'"seg": 102', b'"seg": ' + b"9" * 400),
        "lone high surrogate in text": bad(3, b'"text": "x"', b'"text": "a\\ud800b"', text="x"),
        "lone low surrogate in a key": bad(4, b'"lang"', b'"\\udfff"'),
        "NaN": bad(5, b'"start": 105.0', b'"start": NaN'),
        "Infinity in an unknown field": bad(6, b'"final": true', b'"final": true, "x": -Infinity'),
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
        "deep nesting in an unknown field": bad(7, b'"final": true', b'"final": true, "x": ' + b"[" * 40 + b"]" * 40),
        "random bytes": bytes(random.Random(1).randrange(256) for _ in range(5000)).replace(b"\n", b" "),
        "invalid UTF-8": bad(8, b"Please", b"Pl\xc3\x28ase"),
        "10 MB line": b'{"type":"transcript","text":"' + b"a" * (10 << 20) + b'"}',
        "not an object": b"[1, 2, 3]",
    }


def hostile_stream(session: str, long_words: int = 0) -> tuple[bytes, list[dict], dict[int, str]]:
    """Good finals with one hostile line between each two; the good events, and the bad lines by number."""
    lines: list[bytes] = []
    good: list[dict] = []
    bad_at: dict[int, str] = {}
    for n, (name, raw) in enumerate(corpus(session).items()):
        event = _final(session, n, _long_text(long_words) if long_words and n == 3 else "Please send your questions before Friday.")
        good.append(event)
        lines.append(json.dumps(event).encode())
        lines.append(raw)
        bad_at[len(lines)] = name
    good.append(_final(session, 99, "Thank you, and see you next week."))
    lines.append(json.dumps(good[-1]).encode())
    return b"\n".join(lines) + b"\n", good, bad_at


def _names_every_bad_line(stderr: str, bad_at: dict[int, str]) -> None:
    for number, name in bad_at.items():
        assert f"input line {number}:" in stderr, f"{name} (line {number}) not named in: {stderr[-3000:]}"
    assert "Traceback" not in stderr and "unexpected" not in stderr and "Fatal Python error" not in stderr


def test_the_reader_rejects_each_hostile_line_and_keeps_the_rest(session_id):
    data, good, bad_at = hostile_stream(session_id)
    lines = list(read_lines(io.BytesIO(data)))
    assert {line.number for line in lines if line.event is None} == set(bad_at)
    assert [line.event.id for line in lines if line.event is not None] == [e["id"] for e in good]
    for line in lines:
        assert line.raw.encode("utf-8") and len(line.raw) <= 1000  # what error events and dead letters keep


def test_translate(run_lt, session_id):
    data, good, bad_at = hostile_stream(session_id, long_words=5000)
    done = run_lt("translate", "--to", "pt", input=data)
    assert done.code == 3, done.stderr
    _names_every_bad_line(done.stderr, bad_at)
    out = [json.loads(line) for line in done.lines()]
    assert [e["id"] for e in out if e["type"] == "transcript"] == [e["id"] for e in good]
    translated = {e["seg"]: e["text"] for e in out if e["type"] == "translation"}
    assert set(translated) == {e["seg"] for e in good}
    assert len(translated[3]) > 10_000  # the 5,000-word final, translated whole
    assert sorted(e["line"] for e in out if e["type"] == "error") == sorted(bad_at)


def test_translate_fail_policy_stops_at_the_first_with_3(run_lt, session_id):
    data, good, bad_at = hostile_stream(session_id)
    done = run_lt("translate", "--to", "pt", "--on-bad", "fail", input=data)
    assert done.code == 3
    assert f"input line {min(bad_at)}:" in done.stderr and "Traceback" not in done.stderr
    assert [json.loads(line)["id"] for line in done.lines() if '"transcript"' in line] == [good[0]["id"]]


def test_store(db_conn, run_lt, session_id):
    data, good, bad_at = hostile_stream(session_id)
    done = run_lt("store", input=data)
    assert done.code == 3, done.stderr
    _names_every_bad_line(done.stderr, bad_at)
    report = check(History.of(good), found={"database": stored_events(db_conn, [session_id])})
    assert report.ok, str(report)
    letters = db_conn.execute("SELECT line FROM dead_letters WHERE source = 'stdin' AND line = ANY(%s) AND session = %s",
                              (list(bad_at), session_id)).fetchall()
    assert {n for (n,) in letters} == set(bad_at)


def test_store_skip_policy_drops_bad_lines_with_a_warning(db_conn, run_lt, session_id):
    data, good, bad_at = hostile_stream(session_id)
    done = run_lt("store", "--on-bad", "skip", input=data)
    assert done.code == 3
    assert all(f"skipped input line {n}:" in done.stderr for n in bad_at)
    assert check(History.of(good), found={"database": stored_events(db_conn, [session_id])}).ok
    assert db_conn.execute("SELECT count(*) FROM dead_letters WHERE session = %s", (session_id,)).fetchone() == (0,)


def test_overlay(run_lt, session_id, tmp_path):
    data, good, bad_at = hostile_stream(session_id, long_words=5000)
    trace = tmp_path / "trace.ndjson"
    done = run_lt("overlay", "--sink", "null", "--clock", "events", "--size", "320x180", "--trace", str(trace), input=data)
    assert done.code == 3, done.stderr
    _names_every_bad_line(done.stderr, bad_at)
    shown = {json.loads(line)["id"] for line in trace.read_text().splitlines()}
    assert shown == {e["id"] for e in good}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_speak(run_lt, session_id):
    data, good, bad_at = hostile_stream(session_id)
    translations = b"".join(
        json.dumps({"v": 1, "type": "translation", "session": session_id, "id": f"{e['id']}-pt", "seg": e["seg"],
                    "source_lang": "en", "target_lang": "pt", "text": "Obrigado.", "source_text": e["text"],
                    "engine": "x", "model": None, "final": True, "start": e["start"], "end": e["end"]}).encode() + b"\n"
        for e in good
    )
    done = run_lt("speak", "--lang", "pt", input=data + translations)
    assert done.code == 3, done.stderr
    _names_every_bad_line(done.stderr, bad_at)
    assert done.stdout  # the good lines were spoken
