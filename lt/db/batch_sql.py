"""The SQL that writes a batch: one statement for the log and the typed tables.

The batch travels as one JSON document (rows.batch_document: each event's
input line spliced in as it came) and is read back with `jsonb_to_recordset`.
The typed rows are taken from each event's body on the server, so the client
encodes nothing twice. (A COPY into a temporary staging table instead was
measured 10 % slower here: COPY cannot share the pipeline's single round trip.)

Rows are written in the order of their keys (the log by id, the typed tables
by their natural keys, sessions by name), so concurrent writers of
overlapping batches take their row locks in one order and do not deadlock
each other; `seq` is still numbered in input order.

- `events` keeps the first body for an id, only adding the stamps of stages
  it had not been through (`t`);
- `sessions` note an arrival only for events that were new;
- `transcripts` and `translations` keep the highest `rev` per natural key
  (the later event on a tie); the same revision again rewrites nothing.

So writing a batch twice leaves every row as it was.
"""

from __future__ import annotations

# Column name -> SQL type of the records that rows.batch_document() builds.
EVENT_COLUMNS = {
    "ord": "integer", "id": "text", "session": "text", "type": "text", "body": "jsonb",
    "wall_time": "float8", "audio_start": "float8", "audio_end": "float8", "seg": "integer", "final": "boolean",
}

_LOGGED = [c for c in EVENT_COLUMNS if c != "ord"]
_REV = "(body->>'rev')::integer"
_MODEL = "coalesce(body->>'model', body->>'engine')"

# Column -> how it is read from a final transcript's row in the batch.
_TRANSCRIPT = {
    "session": "session", "seg": "seg", "rev": _REV, "event_id": "id",
    "audio_start": "audio_start", "audio_end": "audio_end", "text": "body->>'text'", "lang": "body->>'lang'",
    "lang_prob": "(body->>'lang_prob')::float8", "words": "coalesce(body->'words', '[]')",
    "confidence": "(body->>'confidence')::float8", "no_speech_prob": "(body->>'no_speech_prob')::float8",
    "speaker": "body->>'speaker'", "speaker_prob": "(body->>'speaker_prob')::float8", "flags": "ARRAY(SELECT jsonb_array_elements_text(coalesce(body->'flags', '[]')))",
    "t": "coalesce(body->'t', '{}')",
}
_TRANSLATION = {
    "session": "session", "seg": "seg", "target_lang": "body->>'target_lang'", "model": _MODEL, "rev": _REV,
    "event_id": "id", "engine": "body->>'engine'", "source_lang": "body->>'source_lang'", "text": "body->>'text'",
    "source_text": "body->>'source_text'", "audio_start": "audio_start", "audio_end": "audio_end",
    "t": "coalesce(body->'t', '{}')",
}


def _upsert(table: str, columns: dict[str, str], key: tuple[str, ...], kind: str) -> str:
    distinct = ", ".join(columns[k] for k in key)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return f"""
    INSERT INTO {table} AS x ({", ".join(columns)})
    SELECT DISTINCT ON ({distinct}) {", ".join(columns.values())}
    FROM batch WHERE type = '{kind}' AND final
    ORDER BY {distinct}, {_REV} DESC, ord DESC
    ON CONFLICT ({", ".join(key)}) DO UPDATE SET {updates}, received_at = now()
    WHERE x.rev < excluded.rev OR (x.rev = excluded.rev AND x.event_id <> excluded.event_id)"""


def _stamps(row: str) -> str:
    return f"CASE jsonb_typeof({row}.body->'t') WHEN 'object' THEN {row}.body->'t' ELSE '{{}}'::jsonb END"


# An event already in the log keeps its body, except that stamps of stages it had not been through
# yet are added to its `t` (the overlay's trace brings the first-frame time of stored captions).
# `numbered` draws seq values in input order (the subquery's order, kept by OFFSET 0); the insert
# then goes in id order.
WRITE_BATCH = f"""
WITH batch AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({", ".join(f"{c} {t}" for c, t in EVENT_COLUMNS.items())})
), numbered AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq, *
    FROM (SELECT * FROM (SELECT DISTINCT ON (id) * FROM batch ORDER BY id, ord) once ORDER BY ord OFFSET 0) ordered
), written AS (
    INSERT INTO events AS e (seq, {", ".join(_LOGGED)}) OVERRIDING SYSTEM VALUE
    SELECT seq, {", ".join(_LOGGED)} FROM numbered ORDER BY id
    ON CONFLICT (id) DO UPDATE SET body = jsonb_set(e.body, '{{t}}', {_stamps("excluded")} || {_stamps("e")})
    WHERE NOT {_stamps("e")} ?& ARRAY(SELECT jsonb_object_keys({_stamps("excluded")}))
    RETURNING session, xmax = 0 AS inserted
), new AS (
    SELECT session FROM written WHERE inserted
), arrived AS (
    INSERT INTO sessions AS s (session, first_received, last_received)
    SELECT session, now(), now() FROM new GROUP BY session ORDER BY session
    ON CONFLICT (session) DO UPDATE SET last_received = excluded.last_received
), transcribed AS ({_upsert("transcripts", _TRANSCRIPT, ("session", "seg"), "transcript")}
), translated AS ({_upsert("translations", _TRANSLATION, ("session", "seg", "target_lang", "model"), "translation")}
)
SELECT count(*) FROM new
"""

UPSERT_SESSION = """
INSERT INTO sessions AS s (session, first_received, last_received, started_at, ended_at, source, model, language)
VALUES (%s, now(), now(), to_timestamp(%s), to_timestamp(%s), %s, %s, %s)
ON CONFLICT (session) DO UPDATE SET
    started_at = least(s.started_at, excluded.started_at),
    ended_at = greatest(s.ended_at, excluded.ended_at),
    source = coalesce(s.source, excluded.source),
    model = coalesce(s.model, excluded.model),
    language = coalesce(s.language, excluded.language)
"""

AUDIO_COLUMNS = ("event_id", "session", "audio_start", "audio_end", "sha256", "path", "format", "sample_rate", "data")

UPSERT_AUDIO = f"""
INSERT INTO audio_chunks AS a ({", ".join(AUDIO_COLUMNS)})
VALUES ({", ".join(["%s"] * len(AUDIO_COLUMNS))})
ON CONFLICT (event_id) DO UPDATE SET data = coalesce(a.data, excluded.data)
"""

INSERT_DEAD_LETTER = """
INSERT INTO dead_letters (fingerprint, source, line, session, event_id, error, raw)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (fingerprint) DO NOTHING
"""
