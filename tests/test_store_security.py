"""SQL injection attempts are stored verbatim and harm nothing; a database password never reaches any output."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from db_fixtures import ndjson, stream

ATTACKS = [
    "'; DROP TABLE events; --",
    "x'); DELETE FROM sessions WHERE ('1'='1",
    "\"; TRUNCATE transcripts CASCADE; --",
    "$$; DROP TABLE translations; $$",
    "1 OR 1=1; SELECT pg_sleep(10)",
    "\\'; COPY events TO '/tmp/pwned'; --",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_injection_attempts_are_stored_verbatim(db_conn, run_lt, attack):
    session = f"{attack}-{uuid.uuid4().hex[:6]}"
    events = stream(session, 1)
    for e in events:
        for field in ("text", "source_text", "lang", "target_lang", "engine", "model", "source", "stage"):
            if isinstance(e.get(field), str):
                e[field] = attack
        if e["type"] == "transcript":
            e["speaker"] = attack
            e["flags"] = [attack]
    result = run_lt("store", input=ndjson(events))
    assert result.code == 0, result.stderr
    assert [r[0] for r in db_conn.execute("SELECT body FROM events WHERE session = %s ORDER BY seq", (session,))] == events
    row = db_conn.execute(
        "SELECT text, lang, speaker, flags FROM transcripts WHERE session = %s", (session,)
    ).fetchone()
    assert row == (attack, attack, attack, [attack])
    assert db_conn.execute("SELECT source, model FROM sessions WHERE session = %s", (session,)).fetchone() == (attack, attack)
    for table in ("events", "sessions", "transcripts", "translations"):
        assert db_conn.execute(f"SELECT count(*) > 0 FROM {table}").fetchone() == (True,)


PASSWORD = "Pw-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def url_with_password(db_conn, db_target):
    from psycopg.conninfo import conninfo_to_dict

    role = f"lt_secret_{uuid.uuid4().hex[:6]}"
    db_conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    host = conninfo_to_dict(db_target.url)["host"]
    yield f"postgresql://{role}:{quote(PASSWORD)}@/postgres?host={host}"
    db_conn.execute(f"DROP ROLE {role}")


def test_the_password_never_appears_in_any_output(run_lt, url_with_password, session_id):
    bad_input = ndjson(stream(session_id, 2)) + b"not json\n"
    unreachable = url_with_password.replace("host=", "host=/nonexistent")
    runs = [
        run_lt("store", "-vv", "--tee", "--db", url_with_password, input=bad_input),
        run_lt("store", "-v", input=bad_input, env={"LT_DATABASE_URL": url_with_password}),
        run_lt("store", "-v", "--retry-for", "0.3", "--db", unreachable, input=bad_input),
        run_lt("store", "--retry-for", "0.3", "--db", unreachable, input=bad_input, env={"LT_DEBUG": "1"}),
        run_lt("db", "url", "--db", url_with_password),
        run_lt("db", "url", "--db", f"host=/tmp user=u password={PASSWORD} dbname=x"),
        run_lt("db", "migrate", "-v", "--db", url_with_password),
        run_lt("db", "migrate", "--db", unreachable),
    ]
    assert [r.code for r in runs] == [3, 3, 4, 4, 0, 0, 0, 4]
    for result in runs:
        assert PASSWORD not in result.text + result.stderr
        assert quote(PASSWORD) not in result.text + result.stderr
    assert "***" in runs[4].text
    shown = run_lt("db", "url", "--show-password", "--db", url_with_password)
    assert PASSWORD in shown.text


SPACED = "s3cret PW-" + uuid.uuid4().hex[:6]


@pytest.mark.parametrize("args", [
    ("sessions",),
    ("store", "-vv", "--retry-for", "0.3"),
    ("store", "--retry-for", "0.3"),
    ("db", "migrate"),
])
@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_malformed_url_is_unreachable_and_its_password_never_shown(run_lt, session_id, args, debug):
    url = f"postgresql://user:{SPACED}@127.0.0.1:1/db"
    result = run_lt(*args, input=ndjson(stream(session_id, 1)), env={"LT_DATABASE_URL": url, "LT_DEBUG": debug})
    output = result.text + result.stderr
    assert result.code == 4, output
    assert "cannot reach the database" in output and "refused a batch" not in output
    for secret in (SPACED, "s3cret", quote(SPACED)):
        assert secret not in output
