namespace BlueTeam.Storage;

// Migrations 10 on (see StoreMigrations.cs). A shipped migration is never edited.
internal static partial class StoreMigrations
{
    private static StoreMigration[] FromBans() =>
    [
        // Active response (BlueTeam.Response): every ban decision, by a rule or a person; lifting sets lifted_at.
        new(10, "bans decided by the response stage and by people",
            Sqlite: """
                CREATE TABLE bans (
                    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
                    host                 TEXT NOT NULL,
                    target               TEXT NOT NULL,
                    rule                 TEXT,
                    incident_fingerprint TEXT,
                    reason               TEXT NOT NULL,
                    evidence             TEXT NOT NULL,
                    by_whom              TEXT NOT NULL,
                    action               TEXT NOT NULL CHECK (action IN ('enforced', 'dry_run', 'reported')),
                    from_at              TEXT NOT NULL,
                    until_at             TEXT NOT NULL,
                    lifted_at            TEXT,
                    lifted_by            TEXT
                );
                CREATE INDEX ix_bans_target ON bans (target);
                CREATE INDEX ix_bans_active ON bans (until_at) WHERE lifted_at IS NULL;
                """,
            Postgres: """
                CREATE TABLE blueteam.bans (
                    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    host                 text        NOT NULL,
                    target               text        NOT NULL,
                    rule                 text,
                    incident_fingerprint text,
                    reason               text        NOT NULL,
                    evidence             text        NOT NULL,
                    by_whom              text        NOT NULL,
                    action               text        NOT NULL CHECK (action IN ('enforced', 'dry_run', 'reported')),
                    from_at              timestamptz NOT NULL,
                    until_at             timestamptz NOT NULL,
                    lifted_at            timestamptz,
                    lifted_by            text
                );
                CREATE INDEX ix_bans_target ON blueteam.bans (target);
                CREATE INDEX ix_bans_active ON blueteam.bans (until_at) WHERE lifted_at IS NULL;
                """),

        // Forward-secure seals of each host's audit chain (Storage/Sealing): one per epoch of a sealing
        // key, written by the daemon at every start and epoch end. key_id tells the seals of a key
        // re-initialised by `blueteam keys init --force` from those of the key before it.
        new(11, "seals of the audit chain (forward-secure, per host, epoch and sealing key)",
            Sqlite: """
                CREATE TABLE seals (
                    host       TEXT    NOT NULL,
                    key_id     TEXT    NOT NULL,
                    epoch      INTEGER NOT NULL,
                    seq        INTEGER NOT NULL,
                    entry_hash TEXT    NOT NULL,
                    tag        TEXT    NOT NULL,
                    sealed_at  TEXT    NOT NULL,
                    PRIMARY KEY (host, key_id, epoch)
                );
                """,
            Postgres: """
                CREATE TABLE blueteam.seals (
                    host       text        NOT NULL,
                    key_id     text        NOT NULL,
                    epoch      bigint      NOT NULL,
                    seq        bigint      NOT NULL,
                    entry_hash text        NOT NULL,
                    tag        text        NOT NULL,
                    sealed_at  timestamptz NOT NULL,
                    PRIMARY KEY (host, key_id, epoch)
                );
                """),
        // [fleetsec #19] Fleet/FleetRolesSchema.cs: checkpoints keyed by host; PostgreSQL roles, grants and RLS.
        new(12, "checkpoints per host; least privilege per fleet host (roles, grants, row-level security)",
            Sqlite: Fleet.FleetRolesSchema.Sqlite, Postgres: Fleet.FleetRolesSchema.Postgres),
        // Fleet correlation (fleet.enabled, PostgreSQL only; nothing on SQLite, where fleet.enabled is refused):
        // each host's signals (bigserial id: the correlator's cursor), the correlator's durable cursor, and the
        // open fleet incidents, so that a correlator elected after a failover continues where the last stopped.
        new(13, "fleet signals, the fleet correlator's cursor and its open incidents",
            Sqlite: """
                -- fleet correlation needs PostgreSQL: no tables on SQLite
                SELECT 1;
                """,
            Postgres: """
                CREATE TABLE blueteam.fleet_signals (
                    id           bigserial   PRIMARY KEY,
                    host         text        NOT NULL,
                    bucket_start timestamptz NOT NULL,
                    source       text        NOT NULL,
                    user_name    text,
                    failures     integer     NOT NULL CHECK (failures > 0),
                    published_at timestamptz NOT NULL
                );
                CREATE INDEX ix_fleet_signals_bucket ON blueteam.fleet_signals (bucket_start);
                CREATE INDEX ix_fleet_signals_source ON blueteam.fleet_signals (source, bucket_start);

                CREATE TABLE blueteam.fleet_cursor (
                    name       text        PRIMARY KEY,
                    last_id    bigint      NOT NULL,
                    host       text        NOT NULL,
                    updated_at timestamptz NOT NULL
                );

                CREATE TABLE blueteam.fleet_incidents (
                    rule_name   text        NOT NULL,
                    group_key   text        NOT NULL,
                    first_seen  timestamptz NOT NULL,
                    last_seen   timestamptz NOT NULL,
                    fingerprint text        NOT NULL UNIQUE,
                    hosts_json  text        NOT NULL,
                    host        text        NOT NULL,
                    raised      boolean     NOT NULL,
                    updated_by  text        NOT NULL,
                    updated_at  timestamptz NOT NULL,
                    PRIMARY KEY (rule_name, group_key, first_seen)
                );
                CREATE INDEX ix_fleet_incidents_last_seen ON blueteam.fleet_incidents (last_seen);
                """),

        // The daemon keeps silences and acks in memory and, once a batch, asks whether anyone changed them
        // (AdoSilenceStore.GetNoiseControlVersionAsync): the acks' half of that question reads only acknowledged rows.
        // PostgreSQL compresses every incident JSON (about 3 KB) as it stores it; lz4 does so several times
        // faster than the default pglz (≈ 15 against 25-65 µs a row measured, at about the same size), which
        // is much of the server's time per new alert. Rows already stored keep pglz; a server built without
        // lz4 (or older than 14) keeps pglz for all.
        new(14, "index of acknowledged alerts; incident JSON compressed with lz4 on PostgreSQL",
            Sqlite: """
                CREATE INDEX ix_alert_history_acked_at ON alert_history (acked_at) WHERE acked_at IS NOT NULL;
                """,
            Postgres: """
                CREATE INDEX ix_alert_history_acked_at ON blueteam.alert_history (acked_at) WHERE acked_at IS NOT NULL;
                DO $$
                BEGIN
                    IF current_setting('server_version_num')::integer >= 140000 THEN
                        EXECUTE 'ALTER TABLE blueteam.alert_history ALTER COLUMN incident_json SET COMPRESSION lz4';
                    END IF;
                EXCEPTION WHEN feature_not_supported THEN
                    RAISE NOTICE 'lz4 is not available on this server: incident JSON stays compressed with pglz';
                END
                $$;
                """),
        // Retention (Storage/Ado/AdoRetentionStore.cs): one row per prune of a host's chain. The chain entry at `seq`
        // (kind 'pruned') holds the SHA-256 of this row, so the record is as tamper-evident as the history it
        // replaces; `verify` starts the host's walk after `pruned_through` with `through_hash` as the link.
        new(15, "retention prunes of the audit chain",
            Sqlite: """
                CREATE TABLE chain_prunes (
                    host               TEXT    NOT NULL,
                    seq                INTEGER NOT NULL,
                    pruned_through     INTEGER NOT NULL,
                    through_hash       TEXT    NOT NULL,
                    retention_days     INTEGER NOT NULL,
                    cutoff             TEXT    NOT NULL,
                    entries_removed    INTEGER NOT NULL,
                    alerts_removed     INTEGER NOT NULL,
                    deliveries_removed INTEGER NOT NULL,
                    pruned_at          TEXT    NOT NULL,
                    PRIMARY KEY (host, seq)
                );
                """,
            Postgres: """
                CREATE TABLE blueteam.chain_prunes (
                    host               text        NOT NULL,
                    seq                bigint      NOT NULL,
                    pruned_through     bigint      NOT NULL,
                    through_hash       text        NOT NULL,
                    retention_days     integer     NOT NULL,
                    cutoff             timestamptz NOT NULL,
                    entries_removed    bigint      NOT NULL,
                    alerts_removed     bigint      NOT NULL,
                    deliveries_removed bigint      NOT NULL,
                    pruned_at          timestamptz NOT NULL,
                    PRIMARY KEY (host, seq)
                );
                """),
        // [#19] The fleet roles (migration 12) over the tables made after them: hosts and operators read the prune
        // records (verify and the store watcher walk from them) of the hosts they may see; only the owner prunes.
        new(16, "fleet roles: read access to the retention prunes",
            Sqlite: "SELECT 1;",
            Postgres: """
                ALTER TABLE blueteam.chain_prunes ENABLE ROW LEVEL SECURITY;
                GRANT SELECT ON blueteam.chain_prunes TO blueteam_host, blueteam_operator;
                CREATE POLICY own_select ON blueteam.chain_prunes FOR SELECT TO blueteam_host USING (host = (SELECT blueteam.fleet_host()));
                CREATE POLICY operator_select ON blueteam.chain_prunes FOR SELECT TO blueteam_operator USING (true);
                """),
        // [#19] The fleet roles over the fleet correlation's tables (migration 13). Any fleet-enabled host may be elected
        // correlator, so every host role reads every host's signals and keeps the shared cursor and open fleet
        // incidents, each row it writes naming itself. Signals are correlation input, not history: a host may delete
        // only signals over an hour old (the correlator's clean-up). A host that wins the election could still leave
        // fleet correlation undone: that trust the fleet gives each host; its own history it cannot rewrite.
        new(17, "fleet roles: the fleet correlation's signals, cursor and open incidents",
            Sqlite: "SELECT 1;",
            Postgres: """
                ALTER TABLE blueteam.fleet_signals ENABLE ROW LEVEL SECURITY;
                ALTER TABLE blueteam.fleet_cursor ENABLE ROW LEVEL SECURITY;
                ALTER TABLE blueteam.fleet_incidents ENABLE ROW LEVEL SECURITY;
                GRANT SELECT, INSERT, DELETE ON blueteam.fleet_signals TO blueteam_host;
                GRANT USAGE ON SEQUENCE blueteam.fleet_signals_id_seq TO blueteam_host;
                GRANT SELECT, INSERT, UPDATE ON blueteam.fleet_cursor TO blueteam_host;
                GRANT SELECT, INSERT, UPDATE ON blueteam.fleet_incidents TO blueteam_host;
                GRANT SELECT ON blueteam.fleet_signals, blueteam.fleet_cursor, blueteam.fleet_incidents TO blueteam_operator;
                CREATE POLICY host_select ON blueteam.fleet_signals FOR SELECT TO blueteam_host USING (true);
                CREATE POLICY host_insert ON blueteam.fleet_signals FOR INSERT TO blueteam_host WITH CHECK (host = (SELECT blueteam.fleet_host()));
                CREATE POLICY host_delete_old ON blueteam.fleet_signals FOR DELETE TO blueteam_host USING (published_at < now() - interval '1 hour');
                CREATE POLICY host_all ON blueteam.fleet_cursor FOR ALL TO blueteam_host USING (true) WITH CHECK (host = (SELECT blueteam.fleet_host()));
                CREATE POLICY host_select ON blueteam.fleet_incidents FOR SELECT TO blueteam_host USING (true);
                CREATE POLICY host_insert ON blueteam.fleet_incidents FOR INSERT TO blueteam_host
                    WITH CHECK (updated_by = (SELECT blueteam.fleet_host()));
                CREATE POLICY host_update ON blueteam.fleet_incidents FOR UPDATE TO blueteam_host
                    USING (true) WITH CHECK (updated_by = (SELECT blueteam.fleet_host()));
                CREATE POLICY operator_select ON blueteam.fleet_signals FOR SELECT TO blueteam_operator USING (true);
                CREATE POLICY operator_select ON blueteam.fleet_cursor FOR SELECT TO blueteam_operator USING (true);
                CREATE POLICY operator_select ON blueteam.fleet_incidents FOR SELECT TO blueteam_operator USING (true);
                """),
    ];
}
