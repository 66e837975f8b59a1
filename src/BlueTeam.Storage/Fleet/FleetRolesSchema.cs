namespace BlueTeam.Storage.Fleet;

/// <summary>
/// Migration 12: checkpoints per host, and on PostgreSQL least privilege per host: two group roles,
/// the map from a login role to the host name it may write for, grants and row-level security on
/// every table. docs/SECURITY.md "Fleet roles" has the same rules as a table.
/// </summary>
/// <remarks>
/// RLS binds only the two groups' members: the owner of the tables (what migrates, and what a
/// single-host setup and the tests connect as) bypasses it, as PostgreSQL does for owners without
/// FORCE ROW LEVEL SECURITY, so nothing changes for it. A table added by a later migration must
/// grant its own rights to blueteam_host and blueteam_operator (RLS on, a policy per role), or
/// fleet hosts cannot touch it.
/// </remarks>
internal static class FleetRolesSchema
{
    /// <summary>The group of every host's login role.</summary>
    public const string HostGroup = "blueteam_host";

    /// <summary>The group of the people's roles: acks, silences, lifting bans.</summary>
    public const string OperatorGroup = "blueteam_operator";

    // SQLite has no roles: one file, one host. Checkpoints get the host column and the key the
    // PostgreSQL table gets, so both dialects run the same checkpoint SQL. SQLite cannot change a
    // primary key, so the table is rebuilt; rows from before are the one host's, taken over under
    // its name the first time it reads them (host '' until then, see AdoCheckpointStore.GetCheckpointsAsync).
    // The new table repeats migration 1's columns on purpose: a shipped migration is never edited, so
    // neither can refer to the other.
    public const string Sqlite = """
        CREATE TABLE checkpoints_v12 (
            host        TEXT    NOT NULL,
            collector   TEXT    NOT NULL,
            path        TEXT    NOT NULL,
            device      INTEGER NOT NULL,
            inode       INTEGER NOT NULL,
            head_hash   TEXT    NOT NULL,
            "offset"    INTEGER NOT NULL,
            updated_at  TEXT    NOT NULL,
            replay_from INTEGER,
            cursor      TEXT,
            PRIMARY KEY (host, collector, path)
        );
        INSERT INTO checkpoints_v12 (host, collector, path, device, inode, head_hash, "offset", updated_at, replay_from, cursor)
        SELECT '', collector, path, device, inode, head_hash, "offset", updated_at, replay_from, cursor FROM checkpoints;
        DROP TABLE checkpoints;
        ALTER TABLE checkpoints_v12 RENAME TO checkpoints;
        """;

    // The group roles belong to the cluster, not to the database: several databases (or several
    // daemons, although the migration lock already orders those) may create them at the same time,
    // so "already there" is not an error. Creating them needs CREATEROLE; without it the migration
    // stops and says what an administrator can run instead.
    //
    // fleet_host() is SECURITY INVOKER on purpose: current_user must be the caller's role. Hosts
    // may read the whole map (host names are no secret: every host reads every heartbeat).
    //
    // Operators are mapped too, to a name of their own: `bans add/remove` store an audit incident
    // under the operator's host name, so operators write their own alerts and chain like hosts.
    // On other hosts' alerts they may change only the acknowledgement, which column privileges
    // cannot say for one row and not another (they are per table), hence the trigger. Its WHEN
    // keeps it off every other role's updates: a plpgsql call per row made the owner's updates
    // six times slower (15,000 rows: 1.1 s against 0.18 s).
    //
    // Policies read the mapped name as (SELECT blueteam.fleet_host()): a subquery is evaluated
    // once per statement, the bare call once per row (a host's 15,000-row update: 0.33 s bare,
    // 0.2 s as a subquery; the owner's 0.18 s).
    public const string Postgres = """
        ALTER TABLE blueteam.checkpoints ADD COLUMN host text NOT NULL DEFAULT '';
        ALTER TABLE blueteam.checkpoints ALTER COLUMN host DROP DEFAULT;
        ALTER TABLE blueteam.checkpoints DROP CONSTRAINT checkpoints_pkey, ADD PRIMARY KEY (host, collector, path);

        DO $roles$
        DECLARE
            missing text[] := ARRAY(SELECT wanted.name FROM unnest(ARRAY['blueteam_host', 'blueteam_operator']) AS wanted (name)
                                    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted.name));
            group_role text;
        BEGIN
            IF cardinality(missing) > 0 AND NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
                RAISE EXCEPTION 'schema version 12 needs the group roles blueteam_host and blueteam_operator, and role % may not create roles', current_user
                    USING ERRCODE = '42501',
                          HINT = 'run "blueteam db migrate" once as a role with CREATEROLE, or have an administrator run: CREATE ROLE blueteam_host NOLOGIN; CREATE ROLE blueteam_operator NOLOGIN;';
            END IF;
            FOREACH group_role IN ARRAY missing LOOP
                BEGIN
                    EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL; -- created meanwhile by a migration of another database on the same server
                END;
            END LOOP;
        END
        $roles$;

        CREATE TABLE blueteam.fleet_hosts (
            role_name  name        PRIMARY KEY,
            host       text        NOT NULL UNIQUE,
            kind       text        NOT NULL CHECK (kind IN ('host', 'operator')),
            created_at timestamptz NOT NULL
        );

        CREATE FUNCTION blueteam.fleet_host() RETURNS text
            LANGUAGE sql STABLE SECURITY INVOKER PARALLEL SAFE
            AS $$ SELECT host FROM blueteam.fleet_hosts WHERE role_name = current_user $$;

        CREATE FUNCTION blueteam.operator_acks_only() RETURNS trigger
            LANGUAGE plpgsql SECURITY INVOKER
            AS $$
            BEGIN
                -- Called for members of blueteam_operator only (the trigger's WHEN).
                IF OLD.host IS DISTINCT FROM blueteam.fleet_host()
                   AND to_jsonb(NEW) - ARRAY['acked_at', 'acked_by', 'ack_note', 'acked_severity']
                       IS DISTINCT FROM to_jsonb(OLD) - ARRAY['acked_at', 'acked_by', 'ack_note', 'acked_severity'] THEN
                    RAISE EXCEPTION 'permission denied: an operator changes only the acknowledgement of another host''s alert (alert %)', OLD.id
                        USING ERRCODE = '42501';
                END IF;
                RETURN NEW;
            END
            $$;
        CREATE TRIGGER operator_acks_only BEFORE UPDATE ON blueteam.alert_history
            FOR EACH ROW WHEN (current_setting('is_superuser') = 'off' AND pg_has_role(current_user, 'blueteam_operator', 'MEMBER'))
            EXECUTE FUNCTION blueteam.operator_acks_only();

        GRANT USAGE ON SCHEMA blueteam TO blueteam_host, blueteam_operator;
        GRANT SELECT ON blueteam.schema_migrations, blueteam.fleet_hosts TO blueteam_host, blueteam_operator;

        -- alert_history: the current state of each incident. Inserted and updated by its own host
        -- (the columns a save and the chain link write, and silence_id: the daemon links the silence
        -- it applies); acknowledged by operators; deleted by nobody.
        ALTER TABLE blueteam.alert_history ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.alert_history TO blueteam_host, blueteam_operator;
        GRANT INSERT (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by, nist_controls, cui_involved,
                      source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
            ON blueteam.alert_history TO blueteam_host, blueteam_operator;
        GRANT UPDATE (event_count, last_seen, severity, title, description, incident_json, updated_at, silence_id,
                      chain_seq, prev_hash, row_hash)
            ON blueteam.alert_history TO blueteam_host, blueteam_operator;
        GRANT UPDATE (acked_at, acked_by, ack_note, acked_severity) ON blueteam.alert_history TO blueteam_operator;
        CREATE POLICY own_select ON blueteam.alert_history FOR SELECT TO blueteam_host USING (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY own_insert ON blueteam.alert_history FOR INSERT TO blueteam_host, blueteam_operator WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY own_update ON blueteam.alert_history FOR UPDATE TO blueteam_host, blueteam_operator
            USING (host = (SELECT blueteam.fleet_host())) WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY operator_select ON blueteam.alert_history FOR SELECT TO blueteam_operator USING (true);
        CREATE POLICY operator_ack ON blueteam.alert_history FOR UPDATE TO blueteam_operator USING (true) WITH CHECK (true);

        -- alert_chain and seals: the sealed record, append-only for everyone but the owner. A host
        -- appends to its own chain; an operator to its own and the ack entries of any host's.
        ALTER TABLE blueteam.alert_chain ENABLE ROW LEVEL SECURITY;
        GRANT SELECT, INSERT ON blueteam.alert_chain TO blueteam_host, blueteam_operator;
        CREATE POLICY own_select ON blueteam.alert_chain FOR SELECT TO blueteam_host USING (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY own_insert ON blueteam.alert_chain FOR INSERT TO blueteam_host, blueteam_operator WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY operator_select ON blueteam.alert_chain FOR SELECT TO blueteam_operator USING (true);
        CREATE POLICY operator_ack ON blueteam.alert_chain FOR INSERT TO blueteam_operator WITH CHECK (kind = 'acked');

        ALTER TABLE blueteam.seals ENABLE ROW LEVEL SECURITY;
        GRANT SELECT, INSERT ON blueteam.seals TO blueteam_host, blueteam_operator;
        CREATE POLICY own_select ON blueteam.seals FOR SELECT TO blueteam_host USING (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY own_insert ON blueteam.seals FOR INSERT TO blueteam_host, blueteam_operator WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY operator_select ON blueteam.seals FOR SELECT TO blueteam_operator USING (true);

        -- alert_deliveries: the outbox of one's own alerts (each daemon delivers its own); no DELETE.
        ALTER TABLE blueteam.alert_deliveries ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.alert_deliveries TO blueteam_host, blueteam_operator;
        GRANT INSERT (alert_id, channel, status, attempts, next_attempt_at, created_at, queued_at, severity, event_count, reason)
            ON blueteam.alert_deliveries TO blueteam_host, blueteam_operator;
        GRANT UPDATE (status, attempts, last_error, next_attempt_at, delivered_at) ON blueteam.alert_deliveries TO blueteam_host, blueteam_operator;
        CREATE POLICY own_alerts ON blueteam.alert_deliveries FOR ALL TO blueteam_host, blueteam_operator
            USING (EXISTS (SELECT 1 FROM blueteam.alert_history a WHERE a.id = alert_deliveries.alert_id AND a.host = (SELECT blueteam.fleet_host())))
            WITH CHECK (EXISTS (SELECT 1 FROM blueteam.alert_history a WHERE a.id = alert_deliveries.alert_id AND a.host = (SELECT blueteam.fleet_host())));
        CREATE POLICY operator_select ON blueteam.alert_deliveries FOR SELECT TO blueteam_operator USING (true);

        -- checkpoints: each host's own read positions (host is granted for the takeover of rows
        -- from before this migration, which RLS keeps invisible to host roles anyway).
        ALTER TABLE blueteam.checkpoints ENABLE ROW LEVEL SECURITY;
        GRANT SELECT, INSERT, UPDATE ON blueteam.checkpoints TO blueteam_host;
        GRANT SELECT ON blueteam.checkpoints TO blueteam_operator;
        CREATE POLICY own_rows ON blueteam.checkpoints FOR ALL TO blueteam_host
            USING (host = (SELECT blueteam.fleet_host())) WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY operator_select ON blueteam.checkpoints FOR SELECT TO blueteam_operator USING (true);

        -- heartbeats: everyone reads all (host_silent, status --all); a host beats for itself only.
        ALTER TABLE blueteam.heartbeats ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.heartbeats TO blueteam_host, blueteam_operator;
        GRANT INSERT, UPDATE ON blueteam.heartbeats TO blueteam_host;
        CREATE POLICY all_select ON blueteam.heartbeats FOR SELECT TO blueteam_host, blueteam_operator USING (true);
        CREATE POLICY own_insert ON blueteam.heartbeats FOR INSERT TO blueteam_host WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY own_update ON blueteam.heartbeats FOR UPDATE TO blueteam_host
            USING (host = (SELECT blueteam.fleet_host())) WITH CHECK (host = (SELECT blueteam.fleet_host()));

        -- host_silence_claims: a host claims other hosts' silence episodes in its own name, and
        -- prunes only the claims whose host has beaten since (what ClaimSilentHostsAsync prunes).
        ALTER TABLE blueteam.host_silence_claims ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.host_silence_claims TO blueteam_host, blueteam_operator;
        GRANT INSERT, DELETE ON blueteam.host_silence_claims TO blueteam_host;
        CREATE POLICY all_select ON blueteam.host_silence_claims FOR SELECT TO blueteam_host, blueteam_operator USING (true);
        CREATE POLICY own_claim ON blueteam.host_silence_claims FOR INSERT TO blueteam_host WITH CHECK (claimed_by = (SELECT blueteam.fleet_host()));
        CREATE POLICY ended_episode ON blueteam.host_silence_claims FOR DELETE TO blueteam_host
            USING (EXISTS (SELECT 1 FROM blueteam.heartbeats h WHERE h.host = host_silence_claims.host AND h.last_beat > host_silence_claims.last_beat));

        -- bans: all read (response.share: fleet enforces every host's); a host records its own
        -- decisions; operators record theirs for any host and lift bans.
        ALTER TABLE blueteam.bans ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.bans TO blueteam_host, blueteam_operator;
        GRANT INSERT (host, target, rule, incident_fingerprint, reason, evidence, by_whom, action, from_at, until_at)
            ON blueteam.bans TO blueteam_host, blueteam_operator;
        GRANT UPDATE (lifted_at, lifted_by) ON blueteam.bans TO blueteam_operator;
        CREATE POLICY all_select ON blueteam.bans FOR SELECT TO blueteam_host, blueteam_operator USING (true);
        CREATE POLICY own_insert ON blueteam.bans FOR INSERT TO blueteam_host WITH CHECK (host = (SELECT blueteam.fleet_host()));
        CREATE POLICY operator_insert ON blueteam.bans FOR INSERT TO blueteam_operator WITH CHECK (true);
        CREATE POLICY operator_lift ON blueteam.bans FOR UPDATE TO blueteam_operator USING (true) WITH CHECK (true);

        -- silences: hosts read them; operators add and expire them.
        ALTER TABLE blueteam.silences ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.silences TO blueteam_host, blueteam_operator;
        GRANT INSERT (rule_name, matchers_json, starts_at, ends_at, created_by, reason, created_at) ON blueteam.silences TO blueteam_operator;
        GRANT UPDATE (expired_at) ON blueteam.silences TO blueteam_operator;
        CREATE POLICY all_select ON blueteam.silences FOR SELECT TO blueteam_host, blueteam_operator USING (true);
        CREATE POLICY operator_write ON blueteam.silences FOR INSERT TO blueteam_operator WITH CHECK (true);
        CREATE POLICY operator_expire ON blueteam.silences FOR UPDATE TO blueteam_operator USING (true) WITH CHECK (true);

        -- first_seen: the fleet's shared memory of first_seen rules (no host column): read and
        -- added to by hosts, never changed.
        ALTER TABLE blueteam.first_seen ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON blueteam.first_seen TO blueteam_host, blueteam_operator;
        GRANT INSERT ON blueteam.first_seen TO blueteam_host;
        CREATE POLICY all_select ON blueteam.first_seen FOR SELECT TO blueteam_host, blueteam_operator USING (true);
        CREATE POLICY host_insert ON blueteam.first_seen FOR INSERT TO blueteam_host WITH CHECK (true);
        """;
}
