"""The history checker itself: it must see a loss, a duplicate and a changed body, and pass a faithful copy."""

from __future__ import annotations

import json

import pytest
from db_fixtures import ndjson, stream
from history import History, assert_kept, check, stream_events


def _history(session: str) -> tuple[History, list[bytes]]:
    lines = ndjson(stream(session, 5)).splitlines(keepends=True)
    return History().add_lines(lines + [b"not json\n"]), lines


def test_a_faithful_copy_passes_and_each_fault_is_named(session_id):
    history, lines = _history(session_id)
    assert len(history) == len(lines) and len(history.bad) == 1
    copy = stream_events(lines)
    assert check(history, found={"tee": copy}).ok

    changed = json.loads(lines[3])
    changed["text"] = "something else"
    faulty = copy[:2] + [copy[2], copy[2]] + [(changed["id"], changed)] + copy[5:-1]
    report = check(history, found={"tee": faulty})
    assert report.lost == [copy[4][0], copy[-1][0]]
    assert report.duplicated == {f"tee: {copy[2][0]}": 2}
    assert list(report.changed) == [changed["id"]]
    with pytest.raises(AssertionError, match=r"2 lost: .*1 duplicated: .*1 changed"):
        assert_kept(history, found={"tee": faulty})


def test_added_stamps_are_not_changes_and_an_unread_tail_is_not_a_loss(session_id):
    history, lines = _history(session_id)
    copy = [(i, {**body, "t": {**body["t"], "store": 1.0}}) for i, body in stream_events(lines)]
    report = check(history, found={"tee": copy[:-4]}, unread_tail=True)
    assert report.ok and len(report.unread) == 4
    gap = copy[:3] + copy[4:-4]
    assert check(history, found={"tee": gap}, unread_tail=True).lost == [copy[3][0]]


def test_the_database_and_a_spill_file_together(db_conn, run_lt, session_id, tmp_path):
    history, lines = _history(session_id)
    assert run_lt("store", input=b"".join(lines[:10])).code == 0
    spill = tmp_path / "spill.ndjson"
    spill.write_bytes(b"".join(lines[8:]))
    report = assert_kept(history, db_conn, files=[spill])
    assert report.where == {"database": 10, str(spill): len(lines) - 8}
    assert check(history, db_conn).lost == [json.loads(line)["id"] for line in lines[10:]]
