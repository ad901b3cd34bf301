"""lt search: language-aware full-text search with highlighted snippets."""

from __future__ import annotations

import json

import pytest

from conftest import lt
from lt.commands.output import seconds
from query_streams import final, fresh_session, recorded, store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sessions():
    english = fresh_session("search")
    store(recorded(english))
    portuguese = fresh_session("busca")
    store([
        final(portuguese, 0, "Tenho uma pergunta sobre o orçamento.", start=1.0, end=3.5, lang="pt"),
        final(portuguese, 1, "Nenhuma palavra procurada aqui.", start=4.0, end=6.0, lang="pt"),
    ])
    return english, portuguese


def search(*args: str) -> list[dict]:
    result = lt("search", *args, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_english_stemming_meetings_finds_meeting(sessions):
    english, _ = sessions
    hits = search("meetings", "--session", english)
    assert [(h["kind"], h["seg"], h["lang"]) for h in hits] == [("transcript", 0, "en")]
    assert "planning <b>meeting</b>." in hits[0]["snippet"]
    assert hits[0]["session"] == english and hits[0]["start"] == 0.0 and hits[0]["end"] > 5


def test_portuguese_stemming_finds_transcripts_and_translations(sessions):
    english, portuguese = sessions
    found = {(h["session"], h["kind"], h["seg"]) for h in search("perguntas", "--lang", "pt")}
    assert (portuguese, "transcript", 0) in found  # "pergunta"
    assert (english, "translation", 8) in found  # "perguntas"
    assert search("perguntas", "--lang", "en", "--session", english) == []


def test_session_and_limit_filters(sessions):
    english, portuguese = sessions
    assert {h["session"] for h in search("orçamento")} >= {english, portuguese}
    assert {h["session"] for h in search("orçamento", "--session", portuguese)} == {portuguese}
    assert len(search("item", "--session", english, "--limit", "2")) == 2


def test_plain_output_in_a_pipe_marks_matches_and_says_where(sessions):
    english, _ = sessions
    result = lt("search", "budget", "--session", english, "--lang", "en")
    assert result.code == 0, result.stderr
    lines = result.text.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(english) and "<b>budget</b>" in line for line in lines)
    (said,) = [e for e in recorded("x") if e["type"] == "transcript" and e["final"] and e["text"] == "The second item is the budget."]
    assert f"{seconds(said['start'])}–{seconds(said['end'])}" in result.text


def test_no_match_and_odd_queries_are_harmless(sessions):
    for query in ("zebra", "'; DROP TABLE transcripts; --", "\"unclosed", "a & | ! (", "the"):
        result = lt("search", query, "--json")
        assert result.code == 0, (query, result.stderr)
        assert isinstance(json.loads(result.stdout), list)
    assert search("budget", "--session", sessions[0])
