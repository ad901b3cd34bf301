"""lt score: a session's finals against the text that was said, from the store or a stream; exit 5 over a limit."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, lt
from lt.errors import ExitCode
from query_streams import RECORDED, fresh_session, recorded, store

REFERENCE = EXAMPLES / "meeting.txt"


def test_a_stream_of_events_scores_its_finals_normalised():
    result = lt("score", str(RECORDED), str(REFERENCE), "--json")
    assert result.code == 0, result.stderr
    scored = json.loads(result.stdout)
    # The recorded tiny.en stream heard "three" as "free": one word of 100.
    assert scored["wer"] == 0.01 and scored["words"]["reference_words"] == 100
    assert scored["differences"] == [{"reference": "3", "hypothesis": "free"}]  # numbers compare as digits
    assert 0 < scored["cer"] < scored["wer"] and scored["captions"] == 10


def test_over_the_limit_exits_5_after_printing_the_score():
    result = lt("score", "-", str(REFERENCE), "--max-wer", "0.005", input=RECORDED.read_bytes())
    assert result.code == ExitCode.CHECK_FAILED == 5
    assert result.text.startswith("WER 1.0% (1 substituted")
    assert "WER 1.0% is above the limit of 0.5% (--max-wer)" in result.stderr
    assert lt("score", "-", str(REFERENCE), "--max-wer", "0.02", "--max-cer", "0.01", input=RECORDED.read_bytes()).code == 0


def test_translations_are_scored_with_lang(tmp_path):
    events = [json.loads(line) for line in RECORDED.read_text().splitlines() if line.strip()]
    said = [e["text"] for e in events if e["type"] == "translation" and e["final"] and e["target_lang"] == "pt"]
    (tmp_path / "pt.txt").write_text("\n".join(said))
    result = lt("score", str(RECORDED), str(tmp_path / "pt.txt"), "--lang", "pt", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["wer"] == 0.0


def test_bad_arguments_and_input_are_one_line_errors(tmp_path):
    both = lt("score", "-", "-", input=b"")
    assert both.code == ExitCode.USAGE and "cannot both be stdin" in both.stderr
    missing = lt("score", str(RECORDED), str(tmp_path / "nothing.txt"))
    assert missing.code == 1 and "cannot read the reference" in missing.stderr
    garbage = lt("score", "-", str(REFERENCE), input=b'{"v":1,"type":"transcript"}\nnot json\n')
    assert garbage.code == ExitCode.REJECTED_INPUT and "input line 1" in garbage.stderr  # --on-bad fail, as everywhere


@pytest.mark.slow
def test_a_stored_session_scores_like_its_stream():
    session = fresh_session("score")
    store(recorded(session))
    result = lt("score", session, str(REFERENCE), "--max-wer", "0.10", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["wer"] == 0.01
    unknown = lt("score", "no-such-session", str(REFERENCE))
    assert unknown.code == 1 and "no session 'no-such-session'" in unknown.stderr
