"""The database schema, as numbered migrations applied on first use.

Tables (PostgreSQL 14 or newer):

- `events`: the append-only log. Every stored event as JSONB `body`, keyed by
  its `id`; `seq` is arrival order; `wall_time` (earliest `t` stamp, Unix
  seconds), `audio_start`, `audio_end`, `seg`, `final` are copied out of the
  body for timeline queries and are NULL when the event has none.
- `sessions`: one row per session seen, with first/last arrival and what its
  `session` events said (start/end wall time, source, model, language).
- `transcripts`: final transcripts by (session, seg), the latest `rev` wins.
- `translations`: final translations by (session, seg, target_lang, model);
  `model` is the event's engine when it names no model.
- `audio_chunks`: audio metadata by event id; the bytes only with
  `lt store --audio-bytes`.
- `dead_letters`: input that could not be stored: the raw line (its first
  1000 bytes), the error, line number and source.
- `speaker_names`: names given to a session's speakers after the fact
  (`lt speakers SESSION rename S1 Ana`); `lt_speaker_label(session, speaker)`
  is what a stored speaker id is shown as: the id it was merged into by the
  tracker, renamed if it was.
- `job_runs`: what each `lt jobs` job did, by the queue's job id: the
  session it stores into (and the session a re-run reads), the step it is
  at, its progress, the model that ran and the ones it fell back from, step
  timings, attempts and the last error. Events a worker stores carry the job
  id as `job` in their body (indexed).

`lt_regconfig(lang)` maps a language code or name (`en`, `pt-BR`,
`portuguese`) to its text search configuration, `simple` when unknown;
transcripts and translations keep a generated `tsv` column built with it, so
each row is stemmed in its own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lt.errors import LtError

if TYPE_CHECKING:
    import psycopg

MIGRATIONS_TABLE = "lt_schema_migrations"
# Serialises migrations when several lt processes meet a fresh database at once.
MIGRATION_LOCK = 0x6C74_6462


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


_V1 = """
CREATE FUNCTION lt_regconfig(lang text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE lower(split_part(replace(coalesce(lang, ''), '_', '-'), '-', 1))
    WHEN 'ar' THEN 'arabic'::regconfig WHEN 'arabic' THEN 'arabic'::regconfig
    WHEN 'hy' THEN 'armenian'::regconfig WHEN 'armenian' THEN 'armenian'::regconfig
    WHEN 'eu' THEN 'basque'::regconfig WHEN 'basque' THEN 'basque'::regconfig
    WHEN 'ca' THEN 'catalan'::regconfig WHEN 'catalan' THEN 'catalan'::regconfig
    WHEN 'da' THEN 'danish'::regconfig WHEN 'danish' THEN 'danish'::regconfig
    WHEN 'nl' THEN 'dutch'::regconfig WHEN 'dutch' THEN 'dutch'::regconfig
    WHEN 'en' THEN 'english'::regconfig WHEN 'english' THEN 'english'::regconfig
    WHEN 'fi' THEN 'finnish'::regconfig WHEN 'finnish' THEN 'finnish'::regconfig
    WHEN 'fr' THEN 'french'::regconfig WHEN 'french' THEN 'french'::regconfig
    WHEN 'de' THEN 'german'::regconfig WHEN 'german' THEN 'german'::regconfig
    WHEN 'el' THEN 'greek'::regconfig WHEN 'greek' THEN 'greek'::regconfig
    WHEN 'hi' THEN 'hindi'::regconfig WHEN 'hindi' THEN 'hindi'::regconfig
    WHEN 'hu' THEN 'hungarian'::regconfig WHEN 'hungarian' THEN 'hungarian'::regconfig
    WHEN 'id' THEN 'indonesian'::regconfig WHEN 'indonesian' THEN 'indonesian'::regconfig
    WHEN 'ga' THEN 'irish'::regconfig WHEN 'irish' THEN 'irish'::regconfig
    WHEN 'it' THEN 'italian'::regconfig WHEN 'italian' THEN 'italian'::regconfig
    WHEN 'lt' THEN 'lithuanian'::regconfig WHEN 'lithuanian' THEN 'lithuanian'::regconfig
    WHEN 'ne' THEN 'nepali'::regconfig WHEN 'nepali' THEN 'nepali'::regconfig
    WHEN 'no' THEN 'norwegian'::regconfig WHEN 'nb' THEN 'norwegian'::regconfig
    WHEN 'nn' THEN 'norwegian'::regconfig WHEN 'norwegian' THEN 'norwegian'::regconfig
    WHEN 'pt' THEN 'portuguese'::regconfig WHEN 'portuguese' THEN 'portuguese'::regconfig
    WHEN 'ro' THEN 'romanian'::regconfig WHEN 'romanian' THEN 'romanian'::regconfig
    WHEN 'ru' THEN 'russian'::regconfig WHEN 'russian' THEN 'russian'::regconfig
    WHEN 'sr' THEN 'serbian'::regconfig WHEN 'serbian' THEN 'serbian'::regconfig
    WHEN 'es' THEN 'spanish'::regconfig WHEN 'spanish' THEN 'spanish'::regconfig
    WHEN 'sv' THEN 'swedish'::regconfig WHEN 'swedish' THEN 'swedish'::regconfig
    WHEN 'ta' THEN 'tamil'::regconfig WHEN 'tamil' THEN 'tamil'::regconfig
    WHEN 'tr' THEN 'turkish'::regconfig WHEN 'turkish' THEN 'turkish'::regconfig
    WHEN 'yi' THEN 'yiddish'::regconfig WHEN 'yiddish' THEN 'yiddish'::regconfig
    ELSE 'simple'::regconfig
END;

CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 256),
    session text NOT NULL CHECK (char_length(session) BETWEEN 1 AND 256),
    type text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 64),
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    wall_time double precision,
    audio_start double precision,
    audio_end double precision,
    seg integer,
    final boolean
);
CREATE INDEX events_timeline ON events (session, seq);
CREATE INDEX events_by_type ON events (session, type, seg);

CREATE TABLE sessions (
    session text PRIMARY KEY,
    first_received timestamptz NOT NULL,
    last_received timestamptz NOT NULL,
    started_at timestamptz,
    ended_at timestamptz,
    source text,
    model text,
    language text
);
CREATE INDEX sessions_recent ON sessions (first_received DESC);

CREATE TABLE transcripts (
    session text NOT NULL,
    seg integer NOT NULL CHECK (seg >= 0),
    rev integer NOT NULL CHECK (rev >= 0),
    event_id text NOT NULL,
    audio_start double precision,
    audio_end double precision,
    text text NOT NULL,
    lang text,
    lang_prob double precision,
    words jsonb NOT NULL DEFAULT '[]',
    confidence double precision,
    no_speech_prob double precision,
    speaker text,
    flags text[] NOT NULL DEFAULT '{}',
    t jsonb NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now(),
    tsv tsvector GENERATED ALWAYS AS (to_tsvector(lt_regconfig(lang), text)) STORED,
    PRIMARY KEY (session, seg)
);
CREATE INDEX transcripts_timeline ON transcripts (session, audio_start NULLS LAST, seg);
CREATE INDEX transcripts_search ON transcripts USING gin (tsv);

CREATE TABLE translations (
    session text NOT NULL,
    seg integer NOT NULL CHECK (seg >= 0),
    target_lang text NOT NULL,
    model text NOT NULL,
    rev integer NOT NULL CHECK (rev >= 0),
    event_id text NOT NULL,
    engine text NOT NULL,
    source_lang text,
    text text NOT NULL,
    source_text text NOT NULL,
    audio_start double precision,
    audio_end double precision,
    t jsonb NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now(),
    tsv tsvector GENERATED ALWAYS AS (to_tsvector(lt_regconfig(target_lang), text)) STORED,
    PRIMARY KEY (session, seg, target_lang, model)
);
CREATE INDEX translations_timeline ON translations (session, target_lang, audio_start NULLS LAST, seg);
CREATE INDEX translations_search ON translations USING gin (tsv);

CREATE TABLE audio_chunks (
    event_id text PRIMARY KEY,
    session text NOT NULL,
    audio_start double precision,
    audio_end double precision,
    sha256 text NOT NULL,
    path text,
    format text NOT NULL,
    sample_rate integer NOT NULL,
    data bytea,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audio_chunks_timeline ON audio_chunks (session, audio_start NULLS LAST);

CREATE TABLE dead_letters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL DEFAULT now(),
    source text NOT NULL,
    line bigint,
    session text,
    event_id text,
    error text NOT NULL,
    raw text NOT NULL
);
CREATE INDEX dead_letters_session ON dead_letters (session, id);
"""

# Speakers: how sure the tracker was, searchable by speaker, names given after the fact
# (`lt speakers SESSION rename`), and each stored id's label: the id it was merged into (the
# transcribe stage's end event, stats.speakers.merged), named if it was renamed.
_V2 = """
ALTER TABLE transcripts ADD COLUMN speaker_prob double precision;
CREATE INDEX transcripts_by_speaker ON transcripts (session, speaker);

CREATE TABLE speaker_names (
    session text NOT NULL,
    speaker text NOT NULL CHECK (char_length(speaker) BETWEEN 1 AND 64),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    renamed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session, speaker)
);

CREATE FUNCTION lt_speaker_id(sess text, spk text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce((
    SELECT m.value #>> '{}' FROM events e,
        jsonb_each(CASE WHEN jsonb_typeof(e.body #> '{stats,speakers,merged}') = 'object'
                        THEN e.body #> '{stats,speakers,merged}' ELSE '{}'::jsonb END) m
    WHERE e.session = sess AND e.type = 'session' AND e.body->>'kind' = 'end' AND m.key = spk
    LIMIT 1), spk);

CREATE FUNCTION lt_speaker_label(sess text, spk text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN spk IS NULL THEN NULL ELSE coalesce(
    (SELECT n.name FROM speaker_names n WHERE n.session = sess AND n.speaker = lt_speaker_id(sess, spk)),
    lt_speaker_id(sess, spk)) END;
"""

_V3 = """
CREATE TABLE job_runs (
    job_id bigint PRIMARY KEY,
    kind text NOT NULL,
    input text NOT NULL,
    session text NOT NULL,
    source_session text,
    step text NOT NULL DEFAULT 'queued',
    percent real NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    model text,
    fallbacks jsonb NOT NULL DEFAULT '[]',
    steps jsonb NOT NULL DEFAULT '{}',
    counts jsonb NOT NULL DEFAULT '{}',
    attempt integer NOT NULL DEFAULT 0,
    worker text,
    error text,
    started_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_runs_session ON job_runs (session);
CREATE INDEX events_by_job ON events ((body->>'job')) WHERE body ? 'job';
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "event log, typed tables, language-aware search", _V1),
    Migration(2, "speakers: speaker_prob, speaker_names, lt_speaker_label()", _V2),
    Migration(3, "job runs of lt jobs, events by job", _V3),
)
LATEST = MIGRATIONS[-1].version


def schema_version(conn: psycopg.Connection) -> int:
    """The version the database is at; 0 for a database lt has never touched."""
    (table,) = conn.execute("SELECT to_regclass(%s)", (MIGRATIONS_TABLE,)).fetchone()
    if table is None:
        return 0
    (version,) = conn.execute(f"SELECT coalesce(max(version), 0) FROM {MIGRATIONS_TABLE}").fetchone()
    return version


def migrate(conn: psycopg.Connection) -> list[int]:
    """Apply the migrations the database lacks, in one transaction; the versions applied."""
    if _checked(schema_version(conn)) == LATEST:
        return []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
            "version integer PRIMARY KEY, description text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = _checked(schema_version(conn))
        applied = []
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            conn.execute(migration.sql)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, description) VALUES (%s, %s)",
                (migration.version, migration.description),
            )
            applied.append(migration.version)
    return applied


def _checked(version: int) -> int:
    if version > LATEST:
        raise LtError(
            f"the database schema is at version {version}, newer than this lt understands ({LATEST})",
            hint="upgrade lt (pip install -U lt), or point --db / LT_DATABASE_URL at another database",
        )
    return version
