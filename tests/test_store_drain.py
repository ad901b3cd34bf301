"""Everything lt store read is stored or spilled, whenever it stops; what it holds is bounded in bytes.

In-process: a source that always has more lines (like a busy pipe) records what it handed over,
and the history checker compares that with the database and the spill files.
"""

from __future__ import annotations

import io
import json

import pytest
from db_fixtures import ndjson, stream
from history import History, assert_kept

from lt.db.connect import Target
from lt.db.rows import ITEM_OVERHEAD, item_from_line
from lt.db.store import Store, StoreSettings, StoreStats, held_size
from lt.errors import ExitCode, LtError
from lt.ndjson import read_lines

UNREACHABLE = Target("postgresql://lt@127.0.0.1:1/lt")


class Source:
    """Lines of `segments` segments, more than a store reads ahead; records each one handed over."""

    def __init__(self, session: str, segments: int = 3000, watch=None):
        self.data = ndjson(stream(session, segments))
        self.history = History()
        self.watch = watch

    def __iter__(self):
        for line in read_lines(io.BytesIO(self.data)):
            if self.watch is not None:
                self.watch()
            self.history.add_line(line.data)
            yield line


@pytest.mark.parametrize("trial", range(3))
def test_an_interrupt_stores_everything_read_ahead(db_conn, db_target, session_id, trial):
    source = Source(f"{session_id}-{trial}")
    store = Store(db_target, StoreSettings(batch_size=50, flush_ms=5), StoreStats())
    with pytest.raises(KeyboardInterrupt):
        for _ in store.run(source):
            raise KeyboardInterrupt  # after the first commit, with the read-ahead full
    store.finish()
    report = assert_kept(source.history, db_conn)
    assert 50 < report.found < len(source.data.splitlines()), "the test did not stop the store mid-input"


@pytest.mark.parametrize("trial", range(3))
def test_giving_up_spills_everything_read(session_id, trial, tmp_path, monkeypatch):
    monkeypatch.setenv("LT_HOME", str(tmp_path))
    source = Source(f"{session_id}-{trial}")
    stats = StoreStats()
    store = Store(UNREACHABLE, StoreSettings(retry_for=0.3, buffer_bytes=2 << 20), stats)
    with pytest.raises(LtError) as raised:
        for _ in store.run(source):
            pass
    store.finish()
    assert raised.value.code == ExitCode.UNAVAILABLE
    assert f"{stats.spilled} events not stored were written to {stats.spill_files[0]}" in raised.value.message
    report = assert_kept(source.history, files=stats.spill_files)
    assert report.found == stats.spilled > 0


def test_what_is_held_stays_within_the_byte_bound(session_id, tmp_path, monkeypatch):
    monkeypatch.setenv("LT_HOME", str(tmp_path))
    bound = 300_000
    held: list[int] = []
    store = Store(UNREACHABLE, StoreSettings(retry_for=1.0, buffer_bytes=bound), StoreStats())
    source = Source(session_id, watch=lambda: held.append(store.read_ahead_bytes + store.buffered_bytes))
    with pytest.raises(LtError):
        for _ in store.run(source):
            pass
    store.finish()
    largest = max(len(line) for line in source.data.splitlines(keepends=True)) + ITEM_OVERHEAD
    assert held and max(held) <= bound + largest
    assert len(source.history) < 3000, "the store read everything: no bound"


def test_sizes_count_encoded_bytes_so_emoji_count_four():
    event = stream("emoji", 1)[2] | {"text": "🎉" * 1000}
    data = json.dumps(event, ensure_ascii=False).encode() + b"\n"
    (line,) = read_lines(io.BytesIO(data))
    item = item_from_line(line, last_session=None, audio_bytes=False)
    assert item.size == len(data) - 1 + ITEM_OVERHEAD >= 4000
    assert held_size(line) == len(data) + ITEM_OVERHEAD
