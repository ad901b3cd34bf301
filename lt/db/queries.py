"""The read side of the database: every query behind sessions, status, replay, export, search and speakers.

All values are bound parameters, never formatted into SQL. Timelines are
ordered `audio_start NULLS LAST, seg`, so captions without a timestamp come
last, in segment order, and never break a query.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lt.errors import LtError

if TYPE_CHECKING:
    import psycopg

# Private markers around matches in ts_headline output, so a row whose text
# itself contains "<b>" cannot be mistaken for a highlight.
MATCH_START, MATCH_STOP = "\x02", "\x03"

# A language code's base (pt-BR -> pt), the way lt_regconfig reads it.
_BASE_LANG = "lower(split_part(replace({}, '_', '-'), '-', 1))"


def _rows(conn: psycopg.Connection, sql: str, params: Sequence | dict = ()) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def require_session(conn: psycopg.Connection, session: str) -> None:
    """LtError (exit 1) when nothing of `session` was ever stored."""
    found = conn.execute("SELECT 1 FROM sessions WHERE session = %s", (session,)).fetchone()
    if found is None:
        raise LtError(f"no session {session!r} in the database", hint="`lt sessions` lists the stored sessions")


_SESSIONS = """
SELECT s.session,
       coalesce(s.started_at, s.first_received) AS start,
       extract(epoch FROM coalesce(s.ended_at, s.last_received) - coalesce(s.started_at, s.first_received))::float8
           AS duration,
       s.source, s.model,
       (SELECT max(audio_end) FROM transcripts tr WHERE tr.session = s.session) AS audio_seconds,
       array(SELECT DISTINCT lang FROM (
                 SELECT tr.lang FROM transcripts tr WHERE tr.session = s.session
                 UNION SELECT tl.target_lang FROM translations tl WHERE tl.session = s.session) langs
             WHERE lang IS NOT NULL ORDER BY lang) AS languages,
       (SELECT count(*) FROM transcripts tr WHERE tr.session = s.session) AS finals,
       (SELECT count(*) FROM translations tl WHERE tl.session = s.session) AS translations,
       (SELECT count(*) FROM dead_letters d WHERE d.session = s.session) AS dead_letters,
       (SELECT count(DISTINCT lt_speaker_label(tr.session, tr.speaker)) FROM transcripts tr
         WHERE tr.session = s.session AND tr.speaker IS NOT NULL) AS speakers,
       (SELECT coalesce(jsonb_object_agg(label, seconds), '{}'::jsonb) FROM (
            SELECT lt_speaker_label(tr.session, tr.speaker) AS label,
                   round(sum(tr.audio_end - tr.audio_start)::numeric, 2)::float8 AS seconds
            FROM transcripts tr WHERE tr.session = s.session AND tr.speaker IS NOT NULL GROUP BY 1) talk
       ) AS talk_seconds
FROM sessions s
WHERE coalesce(s.started_at, s.first_received) >= coalesce(%(since)s, '-infinity'::timestamptz)
  AND coalesce(s.started_at, s.first_received) < coalesce(%(until)s, 'infinity'::timestamptz)
ORDER BY coalesce(s.started_at, s.first_received) DESC, s.session
LIMIT %(limit)s
"""


def sessions(
    conn: psycopg.Connection, *, since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The most recent sessions that started in [since, until), newest first."""
    return _rows(conn, _SESSIONS, {"since": since, "until": until, "limit": limit})


def session_row(conn: psycopg.Connection, session: str) -> dict[str, Any]:
    require_session(conn, session)
    return _rows(conn, "SELECT * FROM sessions WHERE session = %s", (session,))[0]


def counts_by_type(conn: psycopg.Connection, session: str) -> list[dict[str, Any]]:
    """Events per type, with how many of them are final (NULL for types without `final`)."""
    return _rows(
        conn,
        "SELECT type, count(*) AS events, count(*) FILTER (WHERE final) AS final, "
        "max(received_at) AS last_received, to_timestamp(max(wall_time)) AS last_stamp "
        "FROM events WHERE session = %s GROUP BY type ORDER BY type",
        (session,),
    )


def audio_seconds(conn: psycopg.Connection, session: str) -> float | None:
    """How far into the audio the session's finals reach."""
    (seconds,) = conn.execute("SELECT max(audio_end) FROM transcripts WHERE session = %s", (session,)).fetchone()
    return seconds


def translation_counts(conn: psycopg.Connection, session: str) -> list[dict[str, Any]]:
    return _rows(
        conn,
        "SELECT target_lang, model, count(*) AS finals FROM translations WHERE session = %s "
        "GROUP BY target_lang, model ORDER BY target_lang, model",
        (session,),
    )


_GAPS = """
SELECT * FROM (
    SELECT lag(seg) OVER w AS after_seg, seg AS before_seg,
           lag(audio_end) OVER w AS gap_start, audio_start AS gap_end,
           audio_start - lag(audio_end) OVER w AS seconds
    FROM transcripts WHERE session = %(session)s
    WINDOW w AS (ORDER BY audio_start NULLS LAST, seg)
) g
WHERE seconds >= %(min_gap)s
ORDER BY gap_start
"""


def gaps(conn: psycopg.Connection, session: str, min_gap: float) -> list[dict[str, Any]]:
    """Stretches of audio time of at least `min_gap` s between consecutive finals (untimed finals are skipped)."""
    return _rows(conn, _GAPS, {"session": session, "min_gap": min_gap})


def caption_events(conn: psycopg.Connection, session: str) -> list[dict[str, Any]]:
    """The final transcripts and translations as stored, for the latency trace."""
    return [
        row["body"]
        for row in _rows(
            conn,
            "SELECT body FROM events WHERE session = %s AND type IN ('transcript', 'translation') AND final "
            "ORDER BY seq",
            (session,),
        )
    ]


def iter_events(conn: psycopg.Connection, session: str, types: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """Every stored event body of the session in stored order, streamed row by row (memory stays flat).

    An audio event stored with its bytes (`lt store --audio-bytes`) gets them back as base64 `data`.
    """
    sql = (
        "SELECT e.body, a.data FROM events e LEFT JOIN audio_chunks a ON e.type = 'audio' AND a.event_id = e.id "
        "WHERE e.session = %(session)s AND (cardinality(%(types)s::text[]) = 0 OR e.type = ANY(%(types)s)) "
        "ORDER BY e.seq"
    )
    with conn.cursor() as cur:
        for body, data in cur.stream(sql, {"session": session, "types": list(types)}):
            if data is not None:
                body["data"] = base64.b64encode(data).decode("ascii")
            yield body


def session_events(conn: psycopg.Connection, session: str) -> list[dict[str, Any]]:
    """Every stored event body of the session, in stored order."""
    return list(iter_events(conn, session))


def dead_letters(conn: psycopg.Connection, session: str) -> list[dict[str, Any]]:
    """The session's dead letters in arrival order: line, error, raw, source, received_at."""
    return _rows(
        conn,
        "SELECT line, error, raw, source, received_at FROM dead_letters WHERE session = %s ORDER BY id",
        (session,),
    )


@dataclass(frozen=True)
class Timeline:
    """Which captions to read: the original transcripts, or the translations into `lang` (by `model`)."""

    session: str
    lang: str | None = None
    model: str | None = None


_ORIGINALS = """
SELECT t.seg, t.audio_start AS start, t.audio_end AS "end", t.text, t.lang, t.words, e.body,
       lt_speaker_label(t.session, t.speaker) AS speaker
FROM transcripts t LEFT JOIN events e ON e.id = t.event_id
WHERE t.session = %(session)s
ORDER BY t.audio_start NULLS LAST, t.seg
"""

# One translation per segment: the named model's, else the one stored last.
_TRANSLATED = """
SELECT seg, start, "end", text, lang, words, body, speaker FROM (
    SELECT DISTINCT ON (t.seg) t.seg, t.audio_start AS start, t.audio_end AS "end", t.text,
           t.target_lang AS lang, '[]'::jsonb AS words, e.body,
           (SELECT lt_speaker_label(o.session, o.speaker) FROM transcripts o
             WHERE o.session = t.session AND o.seg = t.seg) AS speaker
    FROM translations t LEFT JOIN events e ON e.id = t.event_id
    WHERE t.session = %(session)s AND t.target_lang = %(lang)s
      AND (%(model)s::text IS NULL OR t.model = %(model)s)
    ORDER BY t.seg, t.received_at DESC, e.seq DESC
) one
ORDER BY start NULLS LAST, seg
"""


def captions(conn: psycopg.Connection, timeline: Timeline) -> list[dict[str, Any]]:
    """Final captions in timeline order: seg, start, end, text, lang, words, body (the stored event),
    speaker (its label: merged and renamed; a translation takes its transcript's)."""
    sql = _ORIGINALS if timeline.lang is None else _TRANSLATED
    return _rows(conn, sql, {"session": timeline.session, "lang": timeline.lang, "model": timeline.model})


def translation_languages(conn: psycopg.Connection, session: str) -> list[str]:
    return [
        lang for (lang,) in conn.execute(
            "SELECT DISTINCT target_lang FROM translations WHERE session = %s ORDER BY 1", (session,)
        )
    ]


def audio_chunks(conn: psycopg.Connection, session: str) -> Iterator[dict[str, Any]]:
    """The session's audio chunks in audio-time order (untimed ones last, in stored order), streamed:
    with their bytes stored, hours of audio need not fit in memory at once."""
    from psycopg.rows import dict_row

    sql = (
        "SELECT a.event_id, a.audio_start AS start, a.audio_end AS \"end\", a.path, a.format, a.sample_rate, "
        "a.sha256, a.data FROM audio_chunks a LEFT JOIN events e ON e.id = a.event_id "
        "WHERE a.session = %s ORDER BY a.audio_start NULLS LAST, e.seq"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        yield from cur.stream(sql, (session,))


@dataclass(frozen=True)
class SearchQuery:
    text: str
    lang: str | None = None
    session: str | None = None
    speaker: str | None = None  # a stored id (S1) or what it is shown as (its merged id, its name)
    limit: int = 20


# Each row is matched with the query stemmed in the row's own language; with
# --lang, only rows of that base language (pt matches pt-BR).
_SEARCH = f"""
WITH hits AS (
    SELECT 'transcript' AS kind, session, seg, lang, audio_start, audio_end, text, received_at,
           websearch_to_tsquery(lt_regconfig(lang), %(q)s) AS query, tsv, speaker
    FROM transcripts
    WHERE (%(session)s::text IS NULL OR session = %(session)s)
      AND (%(lang)s::text IS NULL OR {_BASE_LANG.format("lang")} = {_BASE_LANG.format("%(lang)s")})
    UNION ALL
    SELECT 'translation', tl.session, tl.seg, tl.target_lang, tl.audio_start, tl.audio_end, tl.text, tl.received_at,
           websearch_to_tsquery(lt_regconfig(tl.target_lang), %(q)s), tl.tsv, tr.speaker
    FROM translations tl LEFT JOIN transcripts tr ON tr.session = tl.session AND tr.seg = tl.seg
    WHERE (%(session)s::text IS NULL OR tl.session = %(session)s)
      AND (%(lang)s::text IS NULL OR {_BASE_LANG.format("tl.target_lang")} = {_BASE_LANG.format("%(lang)s")})
), labelled AS (
    SELECT *, lt_speaker_label(session, speaker) AS label FROM hits WHERE tsv @@ query
)
SELECT kind, session, seg, lang, audio_start AS start, audio_end AS "end", text, label AS speaker,
       ts_headline(lt_regconfig(lang), text, query,
                   'StartSel=' || %(start_sel)s || ', StopSel=' || %(stop_sel)s)
           AS snippet,
       ts_rank(tsv, query) AS rank
FROM labelled
WHERE %(speaker)s::text IS NULL OR speaker = %(speaker)s OR label = %(speaker)s
   OR lt_speaker_id(session, speaker) = %(speaker)s
ORDER BY rank DESC, received_at DESC, session, seg, kind
LIMIT %(limit)s
"""


def search(conn: psycopg.Connection, query: SearchQuery) -> list[dict[str, Any]]:
    """Language-aware full-text hits; `snippet` marks matches with MATCH_START / MATCH_STOP."""
    params = {
        "q": query.text, "lang": query.lang, "session": query.session, "speaker": query.speaker, "limit": query.limit,
        "start_sel": MATCH_START, "stop_sel": MATCH_STOP,
    }
    return _rows(conn, _SEARCH, params)


def speaker_talk(conn: psycopg.Connection, session: str) -> list[dict[str, Any]]:
    """Per speaker (as labelled: merged and renamed), in order of first speech: finals, talk seconds,
    the stored ids behind the label, first and last audio time."""
    return _rows(
        conn,
        "SELECT lt_speaker_label(session, speaker) AS speaker, array_agg(DISTINCT speaker ORDER BY speaker) AS ids, "
        "count(*) AS finals, round(sum(audio_end - audio_start)::numeric, 2)::float8 AS talk_seconds, "
        "min(audio_start) AS first, max(audio_end) AS last, avg(speaker_prob) AS mean_prob "
        "FROM transcripts WHERE session = %s AND speaker IS NOT NULL GROUP BY 1 ORDER BY min(audio_start) NULLS LAST",
        (session,),
    )


def speaker_labels(conn: psycopg.Connection, session: str) -> dict[str, str]:
    """Every stored speaker id of the session -> what it is shown as."""
    return {
        speaker: label for speaker, label in conn.execute(
            "SELECT DISTINCT speaker, lt_speaker_label(session, speaker) FROM transcripts "
            "WHERE session = %s AND speaker IS NOT NULL", (session,),
        )
    }


def rename_speaker(conn: psycopg.Connection, session: str, speaker: str, name: str) -> str:
    """Name a session's speaker (by stored id, merged id or current name); the id that was named.

    LtError when the session has no such speaker."""
    row = conn.execute(
        "SELECT lt_speaker_id(session, speaker) FROM transcripts WHERE session = %(s)s AND speaker IS NOT NULL "
        "AND %(k)s IN (speaker, lt_speaker_id(session, speaker), lt_speaker_label(session, speaker)) LIMIT 1",
        {"s": session, "k": speaker},
    ).fetchone()
    if row is None:
        have = sorted(set(speaker_labels(conn, session).values()))
        raise LtError(
            f"session {session!r} has no speaker {speaker!r}",
            hint=f"its speakers: {', '.join(have)}" if have else "it has no speaker labels (transcribe with --speakers auto)",
        )
    with conn.transaction():
        conn.execute(
            "INSERT INTO speaker_names (session, speaker, name) VALUES (%s, %s, %s) "
            "ON CONFLICT (session, speaker) DO UPDATE SET name = excluded.name, renamed_at = now()",
            (session, row[0], name),
        )
    return row[0]
