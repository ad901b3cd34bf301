"""Speakers on the stored side: kept in transcripts, merged and renamed labels in export, search,
sessions, status, report; `lt speakers` for a session. Events carry `speaker` as the stage writes them."""

from __future__ import annotations

import json

import pytest

from conftest import lt
from lt.events import event_id
from query_streams import as_written, final, fresh_session, json_lines, store, translation

pytestmark = pytest.mark.slow

TURNS = [  # seg, speaker, prob, start, end, text
    (0, "S1", 0.91, 0.5, 3.0, "Good morning, the budget is ready."),
    (1, "S2", 0.88, 3.5, 6.0, "Thanks, I will read the budget tonight."),
    (2, "S1", 0.93, 6.5, 9.0, "Then we can decide on Friday."),
    (3, "S3", 0.55, 9.5, 11.0, "Friday works for the budget."),  # the tracker later found S3 is S2
]


def session_end(session: str, merged: dict) -> dict:
    return as_written({
        "v": 1, "type": "session", "session": session, "id": event_id(session, "session", "transcribe", "end"),
        "kind": "end", "stage": "transcribe", "t": {},
        "stats": {"speakers": {"speakers": {}, "merged": merged}},
    })


@pytest.fixture(scope="module")
def meeting():
    session = fresh_session("speakers")
    events = [
        final(session, seg, text, start=start, end=end, speaker=speaker, speaker_prob=prob,
              words=[{"w": w, "start": None, "end": None, "p": None} for w in text.split()])
        for seg, speaker, prob, start, end, text in TURNS
    ]
    events.append(translation(session, 1, "Obrigado, vou ler o orçamento hoje à noite.", lang="pt", start=3.5, end=6.0))
    events.append(session_end(session, {"S3": "S2"}))
    store(events)
    return session


def ok(*args: str):
    result = lt(*args)
    assert result.code == 0, result.stderr
    return result


def test_speakers_are_stored_with_their_probability(meeting, db_conn):
    rows = db_conn.execute(
        "SELECT seg, speaker, speaker_prob FROM transcripts WHERE session = %s ORDER BY seg", (meeting,)
    ).fetchall()
    assert rows == [(seg, speaker, prob) for seg, speaker, prob, *_ in TURNS]


def test_export_labels_speakers_in_srt_vtt_and_text(meeting):
    srt = ok("export", meeting, "--format", "srt").text
    assert "S1: Good morning" in srt and "S2: Thanks" in srt and "S1: Then we" in srt
    assert "S3" not in srt and "S2: Friday works" in srt  # S3 was merged into S2
    vtt = ok("export", meeting, "--format", "vtt").text
    assert "<v S1>Good morning, the budget is ready." in vtt and "<v S2>Friday works" in vtt
    txt = ok("export", meeting, "--format", "txt").text.splitlines()  # the words alone, for WER and the like
    assert txt == [text for *_, text in TURNS]
    translated = ok("export", meeting, "--format", "vtt", "--lang", "pt").text
    assert "<v S2>Obrigado" in translated


def test_rename_names_a_speaker_everywhere(meeting):
    result = lt("speakers", meeting, "rename", "S2", "Bea Lopes")
    assert result.code == 0, result.stderr
    assert "<v Bea Lopes>Thanks" in ok("export", meeting, "--format", "vtt").text
    assert "Bea Lopes: Thanks" in ok("export", meeting, "--format", "srt").text
    table = json.loads(ok("speakers", meeting, "--json").stdout)
    assert [(r["speaker"], r["finals"], r["ids"]) for r in table] == [("S1", 2, ["S1"]), ("Bea Lopes", 2, ["S2", "S3"])]
    assert table[0]["talk_seconds"] == 5.0 and table[1]["talk_seconds"] == 4.0
    by_name = json.loads(ok("search", "budget", "--session", meeting, "--speaker", "Bea Lopes", "--json").stdout)
    assert sorted(h["seg"] for h in by_name) == [1, 3] and {h["speaker"] for h in by_name} == {"Bea Lopes"}
    by_id = json.loads(ok("search", "budget", "--session", meeting, "--speaker", "S3", "--json").stdout)
    assert [h["seg"] for h in by_id] == [3]
    assert [h["seg"] for h in json.loads(ok("search", "budget", "--session", meeting, "--speaker", "S1", "--json").stdout)] == [0]
    ok("speakers", meeting, "rename", "Bea Lopes", "Bea")  # a name can be renamed again
    assert "<v Bea>Thanks" in ok("export", meeting, "--format", "vtt").text


def test_rename_of_an_unknown_speaker_or_session_fails_clearly(meeting):
    result = lt("speakers", meeting, "rename", "S9", "Zoe")
    assert result.code == 1 and "has no speaker 'S9'" in result.stderr and "its speakers:" in result.stderr
    result = lt("speakers", "no-such-session", "rename", "S1", "Zoe")
    assert result.code == 1 and "no session 'no-such-session'" in result.stderr
    result = lt("speakers", meeting, "rename", "S1", "S4")
    assert result.code == 1 and "looks like an anonymous id" in result.stderr
    result = lt("speakers", meeting, "rename", "S1")
    assert result.code == 2 and "expected lt speakers SESSION" in result.stderr


def test_sessions_and_status_count_speakers_and_talk_time(meeting):
    rows = json.loads(ok("sessions", "--json", "--limit", "100").stdout)
    row = next(r for r in rows if r["session"] == meeting)
    assert row["speakers"] == 2 and set(row["talk_seconds"]) == {"S1", next(k for k in row["talk_seconds"] if k != "S1")}
    status = json.loads(ok("status", meeting, "--json").stdout)
    assert [s["finals"] for s in status["speakers"]] == [2, 2]
    plain = ok("status", meeting).text
    assert "talk time" in plain and "S1" in plain


def test_report_draws_a_lane_per_speaker(meeting, tmp_path):
    out = tmp_path / "report.html"
    ok("report", meeting, "--out", str(out))
    page = out.read_text()
    assert page.count('class="turn"') == 4
    assert page.count('data-speaker="S1"') == 2 and 'id="timeline"' in page and "<th>speaker</th>" in page


def test_unlabelled_sessions_export_as_before(db_conn):
    session = fresh_session("nospk")
    store([final(session, 0, "No speakers here.", start=0.0, end=1.5)])
    assert ok("export", session, "--format", "vtt").text.endswith("No speakers here.\n")
    assert "no speaker labels" in ok("speakers", session).stderr


def test_voices_listing_and_forgetting(tmp_path):
    env = {"LT_VOICES": str(tmp_path)}
    assert json.loads(lt("speakers", "voices", "--json", env=env).stdout) == []
    (tmp_path / "x.json").write_text(json.dumps({"name": "Ana", "model": "campplus-cn-en-common", "seconds": 4.0, "embedding": [0.1] * 192}))
    assert json.loads(lt("speakers", "voices", "--json", env=env).stdout) == [{"name": "Ana", "seconds": 4.0}]
    result = lt("speakers", "forget", "Zoe", env=env)
    assert result.code == 1 and "no enrolled voice named 'Zoe'" in result.stderr
    (tmp_path / "bad.json").write_text("{")
    result = lt("speakers", "voices", env=env)
    assert result.code == 1 and "cannot read the voice print" in result.stderr
