namespace BlueTeam.Storage;

/// <summary>One schema change, written once per dialect. Versions only ever grow; a shipped migration is never edited.</summary>
/// <param name="AfterSql">Work done in C#, in the migration's transaction, after its SQL (what SQL alone cannot do).</param>
internal sealed record StoreMigration(int Version, string Description, string Sqlite, string Postgres, MigrationStep AfterSql = MigrationStep.None);

internal enum MigrationStep
{
    None,
    /// <summary>Chains the alerts stored before the audit chain existed, in id order (see <see cref="Ado.AdoAuditChain.ChainExistingAlertsAsync"/>).</summary>
    ChainExistingAlerts,
}

/// <summary>The ordered list of schema changes; <see cref="AdoStore.MigrateAsync"/> applies the missing ones.</summary>
internal static partial class StoreMigrations
{
    // In two files by size only (this one: 1 to 9, StoreMigrations.Later.cs: 10 on); each part is built when
    // All is, so the order of the files' static initializers does not matter.
    public static readonly IReadOnlyList<StoreMigration> All = [.. UpToJournalCursor(), .. FromBans()];

    private static StoreMigration[] UpToJournalCursor() =>
    [
        new(1, "alert history, deliveries (outbox), checkpoints",
            Sqlite: """
                CREATE TABLE alert_history (
                    id            INTEGER PRIMARY KEY AUTOINCREMENT,
                    fingerprint   TEXT    NOT NULL UNIQUE,
                    host          TEXT    NOT NULL,
                    rule_id       TEXT    NOT NULL,
                    rule_name     TEXT    NOT NULL,
                    severity      TEXT    NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    title         TEXT    NOT NULL,
                    description   TEXT    NOT NULL,
                    detected_by   TEXT    NOT NULL,
                    nist_controls TEXT    NOT NULL,
                    cui_involved  INTEGER NOT NULL CHECK (cui_involved IN (0, 1)),
                    source_ip     TEXT,
                    user_name     TEXT,
                    event_count   INTEGER NOT NULL,
                    first_seen    TEXT    NOT NULL,
                    last_seen     TEXT    NOT NULL,
                    created_at    TEXT    NOT NULL,
                    updated_at    TEXT    NOT NULL,
                    incident_json TEXT    NOT NULL
                );
                CREATE INDEX ix_alert_history_last_seen ON alert_history (last_seen);
                CREATE INDEX ix_alert_history_rule_name ON alert_history (rule_name);

                CREATE TABLE alert_deliveries (
                    id              INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id        INTEGER NOT NULL REFERENCES alert_history (id) ON DELETE CASCADE,
                    channel         TEXT    NOT NULL,
                    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts        INTEGER NOT NULL DEFAULT 0,
                    last_error      TEXT,
                    next_attempt_at TEXT,
                    delivered_at    TEXT,
                    created_at      TEXT    NOT NULL,
                    UNIQUE (alert_id, channel)
                );
                CREATE INDEX ix_alert_deliveries_due ON alert_deliveries (status, next_attempt_at);

                CREATE TABLE checkpoints (
                    collector  TEXT    NOT NULL,
                    path       TEXT    NOT NULL,
                    device     INTEGER NOT NULL,
                    inode      INTEGER NOT NULL,
                    head_hash  TEXT    NOT NULL,
                    "offset"   INTEGER NOT NULL,
                    updated_at TEXT    NOT NULL,
                    PRIMARY KEY (collector, path)
                );
                """,
            Postgres: """
                CREATE SCHEMA IF NOT EXISTS blueteam;

                CREATE TABLE blueteam.alert_history (
                    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    fingerprint   text        NOT NULL UNIQUE,
                    host          text        NOT NULL,
                    rule_id       text        NOT NULL,
                    rule_name     text        NOT NULL,
                    severity      text        NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    title         text        NOT NULL,
                    description   text        NOT NULL,
                    detected_by   text        NOT NULL,
                    nist_controls text        NOT NULL,
                    cui_involved  boolean     NOT NULL,
                    source_ip     text,
                    user_name     text,
                    event_count   integer     NOT NULL,
                    first_seen    timestamptz NOT NULL,
                    last_seen     timestamptz NOT NULL,
                    created_at    timestamptz NOT NULL,
                    updated_at    timestamptz NOT NULL,
                    incident_json text        NOT NULL
                );
                CREATE INDEX ix_alert_history_last_seen ON blueteam.alert_history (last_seen);
                CREATE INDEX ix_alert_history_rule_name ON blueteam.alert_history (rule_name);

                CREATE TABLE blueteam.alert_deliveries (
                    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    alert_id        bigint      NOT NULL REFERENCES blueteam.alert_history (id) ON DELETE CASCADE,
                    channel         text        NOT NULL,
                    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts        integer     NOT NULL DEFAULT 0,
                    last_error      text,
                    next_attempt_at timestamptz,
                    delivered_at    timestamptz,
                    created_at      timestamptz NOT NULL,
                    UNIQUE (alert_id, channel)
                );
                CREATE INDEX ix_alert_deliveries_due ON blueteam.alert_deliveries (status, next_attempt_at);

                CREATE TABLE blueteam.checkpoints (
                    collector  text        NOT NULL,
                    path       text        NOT NULL,
                    device     bigint      NOT NULL,
                    inode      bigint      NOT NULL,
                    head_hash  text        NOT NULL,
                    "offset"   bigint      NOT NULL,
                    updated_at timestamptz NOT NULL,
                    PRIMARY KEY (collector, path)
                );
                """),

        new(2, "heartbeats per host",
            Sqlite: """
                CREATE TABLE heartbeats (
                    host           TEXT    NOT NULL PRIMARY KEY,
                    version        TEXT    NOT NULL,
                    started_at     TEXT    NOT NULL,
                    last_beat      TEXT    NOT NULL,
                    uptime_ms      INTEGER NOT NULL,
                    counters_json  TEXT    NOT NULL,
                    sources_json   TEXT    NOT NULL,
                    outbox_backlog INTEGER NOT NULL
                );
                """,
            Postgres: """
                CREATE TABLE blueteam.heartbeats (
                    host           text        NOT NULL PRIMARY KEY,
                    version        text        NOT NULL,
                    started_at     timestamptz NOT NULL,
                    last_beat      timestamptz NOT NULL,
                    uptime_ms      bigint      NOT NULL,
                    counters_json  text        NOT NULL,
                    sources_json   text        NOT NULL,
                    outbox_backlog integer     NOT NULL
                );
                """),

        new(3, "silences; alert acknowledgement and silenced mark",
            Sqlite: """
                CREATE TABLE silences (
                    id            INTEGER PRIMARY KEY AUTOINCREMENT,
                    rule_name     TEXT,
                    matchers_json TEXT    NOT NULL,
                    starts_at     TEXT    NOT NULL,
                    ends_at       TEXT    NOT NULL,
                    created_by    TEXT    NOT NULL,
                    reason        TEXT    NOT NULL,
                    created_at    TEXT    NOT NULL,
                    expired_at    TEXT,
                    CHECK (ends_at > starts_at)
                );
                CREATE INDEX ix_silences_ends_at ON silences (ends_at);

                ALTER TABLE alert_history ADD COLUMN acked_at TEXT;
                ALTER TABLE alert_history ADD COLUMN acked_by TEXT;
                ALTER TABLE alert_history ADD COLUMN ack_note TEXT;
                ALTER TABLE alert_history ADD COLUMN acked_severity TEXT CHECK (acked_severity IN ('info', 'low', 'medium', 'high', 'critical'));
                ALTER TABLE alert_history ADD COLUMN silence_id INTEGER REFERENCES silences (id);
                """,
            Postgres: """
                CREATE TABLE blueteam.silences (
                    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    rule_name     text,
                    matchers_json text        NOT NULL,
                    starts_at     timestamptz NOT NULL,
                    ends_at       timestamptz NOT NULL,
                    created_by    text        NOT NULL,
                    reason        text        NOT NULL,
                    created_at    timestamptz NOT NULL,
                    expired_at    timestamptz,
                    CHECK (ends_at > starts_at)
                );
                CREATE INDEX ix_silences_ends_at ON blueteam.silences (ends_at);

                ALTER TABLE blueteam.alert_history
                    ADD COLUMN acked_at       timestamptz,
                    ADD COLUMN acked_by       text,
                    ADD COLUMN ack_note       text,
                    ADD COLUMN acked_severity text CHECK (acked_severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    ADD COLUMN silence_id     bigint REFERENCES blueteam.silences (id);
                """),

        // The chain log has no foreign key to alert_history on purpose: a deleted alert row must
        // leave its chain entries behind, so that the verifier can say which alert went missing.
        new(4, "tamper-evident alert chain (NIST 3.3.8)",
            Sqlite: """
                ALTER TABLE alert_history ADD COLUMN chain_seq INTEGER;
                ALTER TABLE alert_history ADD COLUMN prev_hash TEXT;
                ALTER TABLE alert_history ADD COLUMN row_hash  TEXT;

                CREATE TABLE alert_chain (
                    host            TEXT    NOT NULL,
                    seq             INTEGER NOT NULL,
                    alert_id        INTEGER NOT NULL,
                    kind            TEXT    NOT NULL,
                    fingerprint     TEXT    NOT NULL,
                    rule_id         TEXT    NOT NULL,
                    rule_name       TEXT    NOT NULL,
                    severity        TEXT    NOT NULL,
                    title           TEXT    NOT NULL,
                    event_count     INTEGER NOT NULL,
                    first_seen      TEXT    NOT NULL,
                    last_seen       TEXT    NOT NULL,
                    created_at      TEXT    NOT NULL,
                    updated_at      TEXT    NOT NULL,
                    incident_sha256 TEXT    NOT NULL,
                    acked_at        TEXT,
                    acked_by        TEXT,
                    ack_note        TEXT,
                    acked_severity  TEXT,
                    silence_id      INTEGER,
                    prev_hash       TEXT    NOT NULL,
                    entry_hash      TEXT    NOT NULL,
                    PRIMARY KEY (host, seq)
                );
                CREATE INDEX ix_alert_chain_alert ON alert_chain (alert_id, seq);
                """,
            Postgres: """
                ALTER TABLE blueteam.alert_history
                    ADD COLUMN chain_seq bigint,
                    ADD COLUMN prev_hash text,
                    ADD COLUMN row_hash  text;

                CREATE TABLE blueteam.alert_chain (
                    host            text        NOT NULL,
                    seq             bigint      NOT NULL,
                    alert_id        bigint      NOT NULL,
                    kind            text        NOT NULL,
                    fingerprint     text        NOT NULL,
                    rule_id         text        NOT NULL,
                    rule_name       text        NOT NULL,
                    severity        text        NOT NULL,
                    title           text        NOT NULL,
                    event_count     integer     NOT NULL,
                    first_seen      timestamptz NOT NULL,
                    last_seen       timestamptz NOT NULL,
                    created_at      timestamptz NOT NULL,
                    updated_at      timestamptz NOT NULL,
                    incident_sha256 text        NOT NULL,
                    acked_at        timestamptz,
                    acked_by        text,
                    ack_note        text,
                    acked_severity  text,
                    silence_id      bigint,
                    prev_hash       text        NOT NULL,
                    entry_hash      text        NOT NULL,
                    PRIMARY KEY (host, seq)
                );
                CREATE INDEX ix_alert_chain_alert ON blueteam.alert_chain (alert_id, seq);
                """,
            AfterSql: MigrationStep.ChainExistingAlerts),

        // An alert may now be sent to a channel again (severity rose, count grew, repeat), so the
        // outbox keeps one row per send instead of one per (alert, channel), and each row records
        // what it was sent for. Rows from before: queued when created, for the alert as it is now
        // (so the next re-send is measured from today's count, not a burst right after upgrading).
        // SQLite cannot drop a UNIQUE constraint, so its table is rebuilt, ids and sequence kept. The new table repeats
        // migration 1's columns on purpose: a shipped migration is never edited, so neither can refer to the other.
        new(5, "deliveries record what they were queued for; several per alert and channel",
            Sqlite: """
                CREATE TABLE alert_deliveries_v5 (
                    id              INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id        INTEGER NOT NULL REFERENCES alert_history (id) ON DELETE CASCADE,
                    channel         TEXT    NOT NULL,
                    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts        INTEGER NOT NULL DEFAULT 0,
                    last_error      TEXT,
                    next_attempt_at TEXT,
                    delivered_at    TEXT,
                    created_at      TEXT    NOT NULL,
                    queued_at       TEXT    NOT NULL,
                    severity        TEXT    NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    event_count     INTEGER NOT NULL,
                    reason          TEXT    NOT NULL CHECK (reason IN ('new', 'severity_rose', 'count_grew', 'repeat'))
                );
                INSERT INTO alert_deliveries_v5 (id, alert_id, channel, status, attempts, last_error, next_attempt_at, delivered_at,
                    created_at, queued_at, severity, event_count, reason)
                SELECT d.id, d.alert_id, d.channel, d.status, d.attempts, d.last_error, d.next_attempt_at, d.delivered_at,
                    d.created_at, d.created_at, a.severity, a.event_count, 'new'
                FROM alert_deliveries d JOIN alert_history a ON a.id = d.alert_id;
                DELETE FROM sqlite_sequence WHERE name = 'alert_deliveries_v5';
                INSERT INTO sqlite_sequence (name, seq)
                    SELECT 'alert_deliveries_v5', MAX(seq) FROM sqlite_sequence WHERE name = 'alert_deliveries' HAVING COUNT(*) > 0;
                DROP TABLE alert_deliveries;
                ALTER TABLE alert_deliveries_v5 RENAME TO alert_deliveries;
                CREATE INDEX ix_alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
                CREATE INDEX ix_alert_deliveries_alert_channel ON alert_deliveries (alert_id, channel, id);
                """,
            Postgres: """
                ALTER TABLE blueteam.alert_deliveries
                    DROP CONSTRAINT alert_deliveries_alert_id_channel_key,
                    ADD COLUMN queued_at   timestamptz,
                    ADD COLUMN severity    text CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    ADD COLUMN event_count integer,
                    ADD COLUMN reason      text CHECK (reason IN ('new', 'severity_rose', 'count_grew', 'repeat'));
                UPDATE blueteam.alert_deliveries d
                SET queued_at = d.created_at, severity = a.severity, event_count = a.event_count, reason = 'new'
                FROM blueteam.alert_history a
                WHERE a.id = d.alert_id;
                ALTER TABLE blueteam.alert_deliveries
                    ALTER COLUMN queued_at SET NOT NULL,
                    ALTER COLUMN severity SET NOT NULL,
                    ALTER COLUMN event_count SET NOT NULL,
                    ALTER COLUMN reason SET NOT NULL;
                CREATE INDEX ix_alert_deliveries_alert_channel ON blueteam.alert_deliveries (alert_id, channel, id);
                """),

        // Null only for rows written before: read as the offset (nothing before it is needed).
        new(6, "checkpoint replay position",
            Sqlite: """
                ALTER TABLE checkpoints ADD COLUMN replay_from INTEGER;
                UPDATE checkpoints SET replay_from = "offset";
                """,
            Postgres: """
                ALTER TABLE blueteam.checkpoints ADD COLUMN replay_from bigint;
                UPDATE blueteam.checkpoints SET replay_from = "offset";
                """),

        new(7, "first-seen memory of first_seen rules",
            Sqlite: """
                CREATE TABLE first_seen (
                    rule          TEXT NOT NULL,
                    key           TEXT NOT NULL,
                    value         TEXT NOT NULL,
                    first_seen_at TEXT NOT NULL,
                    PRIMARY KEY (rule, key, value)
                );
                CREATE INDEX ix_first_seen_at ON first_seen (first_seen_at);
                """,
            Postgres: """
                CREATE TABLE blueteam.first_seen (
                    rule          text        NOT NULL,
                    key           text        NOT NULL,
                    value         text        NOT NULL,
                    first_seen_at timestamptz NOT NULL,
                    PRIMARY KEY (rule, key, value)
                );
                CREATE INDEX ix_first_seen_at ON blueteam.first_seen (first_seen_at);
                """),

        // One row per silence episode of a host (its last beat before it went quiet): the primary
        // key is what lets exactly one daemon of a fleet claim raising host_silent for it.
        new(8, "claims on silent hosts (host_silent raised once across a fleet)",
            Sqlite: """
                CREATE TABLE host_silence_claims (
                    host       TEXT NOT NULL,
                    last_beat  TEXT NOT NULL,
                    claimed_by TEXT NOT NULL,
                    claimed_at TEXT NOT NULL,
                    PRIMARY KEY (host, last_beat)
                );
                """,
            Postgres: """
                CREATE TABLE blueteam.host_silence_claims (
                    host       text        NOT NULL,
                    last_beat  timestamptz NOT NULL,
                    claimed_by text        NOT NULL,
                    claimed_at timestamptz NOT NULL,
                    PRIMARY KEY (host, last_beat)
                );
                """),

        // journald is read by cursor, not by offset: the cursor is the checkpoint of a journal collector.
        new(9, "journal cursor in checkpoints",
            Sqlite: "ALTER TABLE checkpoints ADD COLUMN cursor TEXT;",
            Postgres: "ALTER TABLE blueteam.checkpoints ADD COLUMN cursor text;"),
    ];
}
