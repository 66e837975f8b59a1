namespace BlueTeam.Storage;

/// <summary>One schema change, written once per dialect. Versions only ever grow; a shipped migration is never edited.</summary>
internal sealed record StoreMigration(int Version, string Description, string Sqlite, string Postgres);

/// <summary>The ordered list of schema changes; <see cref="AdoStore.MigrateAsync"/> applies the missing ones.</summary>
internal static class StoreMigrations
{
    public static readonly IReadOnlyList<StoreMigration> All =
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
    ];
}
