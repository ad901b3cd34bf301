"""The schema: applied on first use, idempotent, refused when newer than the code; search and timeline helpers."""

from __future__ import annotations

import stat
import uuid

import pytest
from db_fixtures import ndjson, stream

from lt.db.connect import Target, connect
from lt.db.schema import LATEST, MIGRATIONS_TABLE, migrate, schema_version
from lt.errors import LtError


@pytest.fixture
def fresh_database(db_conn, db_target):
    """An empty database on the same server, dropped afterwards."""
    from psycopg.conninfo import make_conninfo

    name = f"lt_fresh_{uuid.uuid4().hex[:8]}"
    db_conn.execute(f"CREATE DATABASE {name}")
    yield Target(make_conninfo(db_target.url, dbname=name))
    db_conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_migrate_twice_changes_nothing(db_conn):
    assert schema_version(db_conn) == LATEST
    assert migrate(db_conn) == []


def test_first_use_applies_the_schema_and_a_newer_one_is_refused(fresh_database, run_lt):
    session = f"fresh-{uuid.uuid4().hex[:6]}"
    result = run_lt("store", "--db", fresh_database.url, input=ndjson(stream(session, 2)))
    assert result.code == 0, result.stderr
    with connect(fresh_database, migrate=False) as conn:
        assert schema_version(conn) == LATEST
        conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version, description) VALUES (%s, 'from the future')", (LATEST + 1,))
    with pytest.raises(LtError, match="newer than this lt understands"):
        connect(fresh_database)
    result = run_lt("db", "migrate", "--db", fresh_database.url)
    assert result.code == 1
    assert f"version {LATEST + 1}, newer than this lt understands" in result.stderr
    assert "Traceback" not in result.stderr


def test_lt_db_migrate_reports_up_to_date(run_lt):
    result = run_lt("db", "migrate")
    assert result.code == 0, result.stderr
    assert f"up to date (version {LATEST})" in result.stderr


def test_embedded_data_directory_is_private(db_target):
    assert db_target.embedded is not None
    assert stat.S_IMODE(db_target.embedded.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("lang", "config"),
    [("en", "english"), ("pt-BR", "portuguese"), ("PT", "portuguese"), ("es_MX", "spanish"),
     ("german", "german"), ("xx", "simple"), (None, "simple"), ("", "simple")],
)
def test_language_to_text_search_configuration(db_conn, lang, config):
    assert db_conn.execute("SELECT lt_regconfig(%s)::text", (lang,)).fetchone()[0] == config


def test_each_row_is_stemmed_in_its_own_language(db_conn, run_lt, session_id):
    events = stream(session_id, 1, lang="en") + [
        {**e, "session": session_id, "id": e["id"] + "-pt", "seg": 7, "lang": "pt", "text": "as crianças estavam correndo"}
        for e in stream(session_id, 1, lang="pt") if e["type"] == "transcript" and e["final"]
    ]
    assert run_lt("store", input=ndjson(events)).code == 0
    query = """SELECT seg FROM transcripts
               WHERE session = %s AND tsv @@ websearch_to_tsquery(lt_regconfig(lang), %s) ORDER BY seg"""
    assert db_conn.execute(query, (session_id, "runs")).fetchall() == [(0,)]  # english: running -> run
    assert db_conn.execute(query, (session_id, "correr")).fetchall() == [(7,)]  # portuguese: correndo -> corr
    translated = db_conn.execute(
        "SELECT count(*) FROM translations WHERE session = %s AND tsv @@ websearch_to_tsquery(lt_regconfig(target_lang), %s)",
        (session_id, "corredor"),
    ).fetchone()[0]
    assert translated == 1


def test_timeline_columns_are_null_safe(db_conn, run_lt, session_id):
    events = stream(session_id, 2)
    for e in events:
        if e["type"] == "transcript" and e["seg"] == 1:
            e["start"] = e["end"] = None
            e["t"] = {}
    assert run_lt("store", input=ndjson(events)).code == 0
    rows = db_conn.execute(
        "SELECT seg, audio_start, wall_time FROM events WHERE session = %s AND type = 'transcript' "
        "ORDER BY audio_start NULLS LAST, seq",
        (session_id,),
    ).fetchall()
    assert [r[0] for r in rows] == [0, 0, 1, 1]
    assert rows[-1][1:] == (None, None)
    assert db_conn.execute(
        "SELECT audio_start FROM transcripts WHERE session = %s ORDER BY seg", (session_id,)
    ).fetchall() == [(0.0,), (None,)]
