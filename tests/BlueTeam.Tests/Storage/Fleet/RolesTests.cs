using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Response;
using BlueTeam.Sources;
using BlueTeam.Storage;
using BlueTeam.Storage.Fleet;
using BlueTeam.Storage.Sealing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>
/// Least privilege per host on a real PostgreSQL (issue #19): hosts A and B and an operator, each
/// with the role `fleet add-host` / `add-operator` creates, over a schema the owner migrated.
/// </summary>
public sealed class RolesTests : IAsyncLifetime
{
    private const string PermissionDenied = "42501";

    private readonly FakeTimeProvider _time = new(T0);
    private RolesDatabase? _db;
    private FleetCredentials? _a;
    private FleetCredentials? _b;
    private FleetCredentials? _operator;

    private RolesDatabase Db => _db ?? throw new InvalidOperationException("not initialized");
    private FleetCredentials A => _a ?? throw new InvalidOperationException("not initialized");
    private FleetCredentials B => _b ?? throw new InvalidOperationException("not initialized");
    private FleetCredentials Operator => _operator ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        _db = await RolesDatabase.CreateAsync();
        _a = await Db.AddAsync(FleetRoleKind.Host, RolesDatabase.UniqueName("a"));
        _b = await Db.AddAsync(FleetRoleKind.Host, RolesDatabase.UniqueName("b"));
        _operator = await Db.AddAsync(FleetRoleKind.Operator, RolesDatabase.UniqueName("ops"));
    }

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }

    private static SecurityIncident IncidentOf(FleetCredentials host, string fingerprint, int eventCount = 5) =>
        Incident($"{fingerprint}-{host.Name}", host: host.Name, eventCount: eventCount);

    /// <summary>A's daemon has written: an alert (chain entries created and updated) and a seal.</summary>
    private async Task<long> SeedAsync(FleetCredentials host)
    {
        await using var store = RolesDatabase.StoreAs(host, _time);
        var saved = await store.SaveAlertAsync(IncidentOf(host, "fp-seed"), host.Name, ["syslog"], CancellationToken.None);
        await store.SaveAlertAsync(IncidentOf(host, "fp-seed", eventCount: 9), host.Name, ["syslog"], CancellationToken.None);
        var head = await store.GetChainHeadAsync(host.Name, CancellationToken.None);
        await store.AddSealAsync(new SealRecord(host.Name, "k1", 0, head!.Seq, head.Hash, "tag", T0), CancellationToken.None);
        return saved.AlertId;
    }

    public static TheoryData<string, string> ChangesToHistory() => new()
    {
        { "own", "UPDATE blueteam.alert_chain SET title = 'nothing happened' WHERE host = '{host}'" },
        { "own", "DELETE FROM blueteam.alert_chain WHERE host = '{host}'" },
        { "own", "UPDATE blueteam.seals SET tag = 'forged' WHERE host = '{host}'" },
        { "own", "DELETE FROM blueteam.seals WHERE host = '{host}'" },
        { "own", "DELETE FROM blueteam.alert_history WHERE host = '{host}'" },
        { "own", "TRUNCATE blueteam.alert_chain" },
        { "other", "UPDATE blueteam.alert_chain SET title = 'nothing happened' WHERE host = '{host}'" },
        { "other", "DELETE FROM blueteam.alert_chain WHERE host = '{host}'" },
        { "other", "UPDATE blueteam.seals SET tag = 'forged' WHERE host = '{host}'" },
        { "other", "DELETE FROM blueteam.seals WHERE host = '{host}'" },
        { "other", "DELETE FROM blueteam.alert_history WHERE host = '{host}'" },
        { "other", "DELETE FROM blueteam.alert_deliveries" },
    };

    [Theory]
    [MemberData(nameof(ChangesToHistory))]
    public async Task HostRole_ChangingOrDeletingHistory_PermissionDenied(string whose, string statement)
    {
        await SeedAsync(A);
        await SeedAsync(B);
        var target = whose == "own" ? A : B;

        var error = await RolesDatabase.TryExecuteAsAsync(A, statement.Replace("{host}", target.Name, StringComparison.Ordinal));

        Assert.NotNull(error);
        Assert.Equal(PermissionDenied, error.SqlState);
        Assert.StartsWith("permission denied for table", error.MessageText, StringComparison.Ordinal);
        // Nothing changed: both chains still verify, as the owner sees them.
        await using var owner = Db.OwnerStore();
        Assert.All(await owner.VerifyChainAsync(null, CancellationToken.None), v => Assert.True(v.IsIntact, v.FirstBreak?.Detail));
        Assert.Equal(2, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "SELECT count(*) FROM blueteam.seals"));
    }

    public static TheoryData<string> RowsForAnotherHost() => new()
    {
        """
        INSERT INTO blueteam.alert_chain (host, seq, alert_id, kind, fingerprint, rule_id, rule_name, severity, title, event_count,
            first_seen, last_seen, created_at, updated_at, incident_sha256, prev_hash, entry_hash)
        VALUES ('{host}', 99, 1, 'created', 'fp', 'r', 'r', 'low', 't', 1, now(), now(), now(), now(), 'x', 'p', 'e')
        """,
        """
        INSERT INTO blueteam.alert_history (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
            nist_controls, cui_involved, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
        VALUES ('fp-forged', '{host}', 'r', 'r', 'low', 't', 'd', 'x', '', false, 1, now(), now(), now(), now(), '{}')
        """,
        """
        INSERT INTO blueteam.heartbeats (host, version, started_at, last_beat, uptime_ms, counters_json, sources_json, outbox_backlog)
        VALUES ('{host}', '0.3.0', now(), now(), 1, '{}', '{}', 0)
        """,
        "INSERT INTO blueteam.seals (host, key_id, epoch, seq, entry_hash, tag, sealed_at) VALUES ('{host}', 'k', 9, 1, 'e', 't', now())",
        """
        INSERT INTO blueteam.checkpoints (host, collector, path, device, inode, head_hash, "offset", updated_at)
        VALUES ('{host}', 'auth_log', '/var/log/auth.log', 1, 2, 'h', 0, now())
        """,
        """
        INSERT INTO blueteam.bans (host, target, reason, by_whom, action, from_at, until_at)
        VALUES ('{host}', '203.0.113.7', 'r', 'x', 'enforced', now(), now() + interval '1 hour')
        """,
    };

    [Theory]
    [MemberData(nameof(RowsForAnotherHost))]
    public async Task HostRole_InsertingARowForHostB_RowLevelSecurityViolation(string insert)
    {
        var error = await RolesDatabase.TryExecuteAsAsync(A, insert.Replace("{host}", B.Name, StringComparison.Ordinal));

        Assert.NotNull(error);
        Assert.Equal(PermissionDenied, error.SqlState);
        Assert.StartsWith("new row violates row-level security policy", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostRole_StoreApiSavingForHostB_FailsAndStoresNothing()
    {
        await using var store = RolesDatabase.StoreAs(A, _time);

        var save = await Assert.ThrowsAsync<StoreException>(() => store.SaveAlertAsync(IncidentOf(B, "fp-forged"), B.Name, ["syslog"], CancellationToken.None));
        var beat = await Assert.ThrowsAsync<StoreException>(() => store.UpsertHeartbeatAsync(new Heartbeat { Host = B.Name, Version = "0.3.0", StartedAt = T0, LastBeat = T0 }, CancellationToken.None));

        Assert.Contains("row-level security", save.InnerException?.Message, StringComparison.Ordinal);
        Assert.Contains("row-level security", beat.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(0, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "SELECT count(*) FROM blueteam.alert_history"));
        Assert.Equal(0, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "SELECT count(*) FROM blueteam.alert_chain"));
    }

    [Fact]
    public async Task HostRole_DaemonPath_WorksEndToEndAndVerifies()
    {
        // The operator adds a silence first (hosts may only read silences).
        await using var ops = RolesDatabase.StoreAs(Operator, _time);
        var silence = await ops.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);

        await using var a = RolesDatabase.StoreAs(A, _time);
        Assert.Empty(await a.MigrateAsync(CancellationToken.None)); // the owner migrated; a host's start finds nothing to do

        // Incidents: a batch with a new alert and a repeat (insert, then update), then a single update.
        var batch = await a.SaveAlertsAsync([
            new AlertSaveRequest(IncidentOf(A, "fp-1"), A.Name, ["email", "syslog"]),
            new AlertSaveRequest(IncidentOf(A, "fp-2"), A.Name, ["syslog"]),
            new AlertSaveRequest(IncidentOf(A, "fp-1", eventCount: 7), A.Name, ["email", "syslog"]),
        ], CancellationToken.None);
        Assert.Equal([true, true, false], batch.Select(r => r.IsNew));
        _time.Advance(TimeSpan.FromMinutes(1));
        var updated = await a.SaveAlertAsync(IncidentOf(A, "fp-1", eventCount: 9), A.Name, ["email", "syslog"], CancellationToken.None);
        Assert.Equal((batch[0].AlertId, false), (updated.AlertId, updated.IsNew));

        // Outbox: due rows, an attempt, a deferral, a re-send queued.
        var due = await a.GetDueDeliveriesAsync(_time.GetUtcNow(), 10, CancellationToken.None);
        Assert.Equal(3, due.Count);
        await a.RecordDeliveryAttemptAsync(due[0].Delivery.Id, DeliveryStatus.Delivered, null, _time.GetUtcNow(), null, CancellationToken.None);
        Assert.Equal(1, await a.DeferAsync([due[1].Delivery.Id], _time.GetUtcNow().AddMinutes(5), CancellationToken.None));
        await a.EnqueueDeliveriesAsync(batch[0].AlertId, ["email"], NotifyReason.CountGrew, Severity.High, 9, _time.GetUtcNow(), CancellationToken.None);
        Assert.NotEmpty(await a.GetLastNotificationsAsync(batch[0].AlertId, CancellationToken.None));

        // Noise control: the daemon links the silence it applied; reads acks.
        var silences = await a.GetActiveSilencesAsync(T0.AddMinutes(2), CancellationToken.None);
        Assert.Equal([silence.Id], silences.Select(s => s.Id));
        Assert.True(await a.MarkSilencedAsync(batch[1].AlertId, silence.Id, CancellationToken.None));
        Assert.Null(await a.GetAckAsync(batch[0].AlertId, CancellationToken.None));

        // Checkpoints, heartbeats, silent-host claims, first-seen memory, bans, seals.
        var checkpoints = HostCheckpointStore.For(a, A.Name);
        var checkpoint = new Checkpoint("auth_log", "/var/log/auth.log", new FileIdentity(8, 1234, "abcd"), 4096, T0) { ReplayFrom = 1024 };
        await checkpoints.SaveCheckpointsAsync([checkpoint], CancellationToken.None);
        await checkpoints.SaveCheckpointsAsync([checkpoint with { Offset = 8192 }], CancellationToken.None);
        Assert.Equal(8192, Assert.Single(await checkpoints.GetCheckpointsAsync("auth_log", CancellationToken.None)).Offset);
        await a.UpsertHeartbeatAsync(new Heartbeat { Host = A.Name, Version = "0.3.0", StartedAt = T0, LastBeat = T0 }, CancellationToken.None);
        await a.UpsertHeartbeatAsync(new Heartbeat { Host = A.Name, Version = "0.3.0", StartedAt = T0, LastBeat = T0.AddMinutes(1) }, CancellationToken.None);
        await using (var b = RolesDatabase.StoreAs(B, _time))
            await b.UpsertHeartbeatAsync(new Heartbeat { Host = B.Name, Version = "0.3.0", StartedAt = T0, LastBeat = T0 }, CancellationToken.None);
        Assert.Equal([B.Name], (await a.ClaimSilentHostsAsync(T0.AddSeconds(30), A.Name, A.Name, CancellationToken.None)).Select(h => h.Host));
        await using (var b = RolesDatabase.StoreAs(B, _time))
            await b.UpsertHeartbeatAsync(new Heartbeat { Host = B.Name, Version = "0.3.0", StartedAt = T0, LastBeat = T0.AddMinutes(2) }, CancellationToken.None);
        Assert.Empty(await a.ClaimSilentHostsAsync(T0.AddSeconds(30), A.Name, A.Name, CancellationToken.None)); // prunes B's old claim
        await a.SaveFirstSeenAsync([new FirstSeenPair("new_login_source", "user", "root", T0)], CancellationToken.None);
        await a.SaveFirstSeenAsync([new FirstSeenPair("new_login_source", "user", "root", T0)], CancellationToken.None);
        Assert.Single(await a.GetFirstSeenAsync("new_login_source", "user", CancellationToken.None));
        var ban = await a.AddBanAsync(new NewBan { Host = A.Name, Target = "203.0.113.7/32", Reason = "brute force", By = "ssh_brute_force", Action = BanAction.DryRun, From = T0, Until = T0.AddHours(1) }, CancellationToken.None);
        Assert.Equal([ban.Id], (await a.ListBansAsync(true, A.Name, T0, CancellationToken.None)).Select(x => x.Id));
        var head = await a.GetChainHeadAsync(A.Name, CancellationToken.None);
        await a.AddSealAsync(new SealRecord(A.Name, "k1", 0, head!.Seq, head.Hash, "tag", T0), CancellationToken.None);
        Assert.Single(await a.GetSealsAsync(A.Name, CancellationToken.None));
        Assert.Single(await a.GetEntryHashesAsync(A.Name, [head.Seq], CancellationToken.None));

        // A verifies its own chain; so does the owner, for every host.
        Assert.True(Assert.Single(await a.VerifyChainAsync(null, CancellationToken.None)).IsIntact);
        await using var owner = Db.OwnerStore();
        var all = await owner.VerifyChainAsync(null, CancellationToken.None);
        Assert.Equal([A.Name], all.Select(v => v.Host));
        Assert.All(all, v => Assert.True(v.IsIntact, v.FirstBreak?.Detail));
    }

    [Fact]
    public async Task HostRole_HostBsRows_InvisibleToA()
    {
        await SeedAsync(A);
        var bAlert = await SeedAsync(B);
        await using var a = RolesDatabase.StoreAs(A, _time);
        await using (var b = RolesDatabase.StoreAs(B, _time))
            await HostCheckpointStore.For(b, B.Name).SaveCheckpointsAsync([new Checkpoint("auth_log", "/var/log/auth.log", new FileIdentity(1, 2, "h"), 77, T0)], CancellationToken.None);

        Assert.Equal([A.Name], (await a.ListAlertsAsync(new AlertQuery(), CancellationToken.None)).Select(x => x.Host));
        Assert.Empty(await a.ListAlertsAsync(new AlertQuery { Host = B.Name }, CancellationToken.None));
        Assert.Null(await a.GetAlertAsync(bAlert, CancellationToken.None));
        Assert.Empty(await a.GetDeliveriesAsync(bAlert, CancellationToken.None));
        Assert.Empty(await a.GetAlertChainAsync(bAlert, CancellationToken.None));
        Assert.Null(await a.GetChainHeadAsync(B.Name, CancellationToken.None));
        Assert.Empty(await a.GetSealsAsync(B.Name, CancellationToken.None));
        Assert.All(await a.GetDueDeliveriesAsync(T0.AddDays(1), 100, CancellationToken.None), d => Assert.Equal(A.Name, d.Alert.Host));
        Assert.Equal([A.Name], (await a.VerifyChainAsync(null, CancellationToken.None)).Select(v => v.Host));
        Assert.Empty(await HostCheckpointStore.For(a, A.Name).GetCheckpointsAsync("auth_log", CancellationToken.None));
        // An update aimed at B's row finds nothing to update (its row is not there for A).
        Assert.Null(await RolesDatabase.TryExecuteAsAsync(A, $"UPDATE blueteam.alert_history SET title = 'x' WHERE id = {bAlert}"));
        await using var owner = Db.OwnerStore();
        Assert.Equal("SSH brute force from 203.0.113.7", (await owner.GetAlertAsync(bAlert, CancellationToken.None))!.Incident.Title);
    }

    [Fact]
    public async Task HostRole_AckOrSilence_PermissionDenied()
    {
        var alert = await SeedAsync(A);
        await using var a = RolesDatabase.StoreAs(A, _time);

        var ack = await Assert.ThrowsAsync<StoreException>(() => a.AckAlertAsync(alert, "mallory", "nothing to see", CancellationToken.None));
        var silence = await Assert.ThrowsAsync<StoreException>(() => a.AddSilenceAsync(
            new NewSilence { StartsAt = T0, EndsAt = T0.AddDays(30), CreatedBy = "mallory", Reason = "quiet" }, CancellationToken.None));
        var lift = await Assert.ThrowsAsync<StoreException>(() => a.LiftBansAsync("203.0.113.7/32", "mallory", T0, CancellationToken.None));

        Assert.All(new[] { ack, silence, lift }, e => Assert.Equal(PermissionDenied, Assert.IsType<PostgresException>(e.InnerException).SqlState));
        Assert.Null(await a.GetAckAsync(alert, CancellationToken.None));
    }

    [Fact]
    public async Task OperatorRole_AcksAnyHostsAlertAddsAndExpiresSilencesLiftsBans_AndHistoryStillVerifies()
    {
        var alertA = await SeedAsync(A);
        var alertB = await SeedAsync(B);
        await using (var a = RolesDatabase.StoreAs(A, _time))
            await a.AddBanAsync(new NewBan { Host = A.Name, Target = "203.0.113.7/32", Reason = "r", By = "ssh_brute_force", Action = BanAction.Enforced, From = T0, Until = T0.AddHours(1) }, CancellationToken.None);
        await using var ops = RolesDatabase.StoreAs(Operator, _time);

        var triageA = await ops.AckAlertAsync(alertA, "alice", "known scanner", CancellationToken.None);
        var triageB = await ops.AckAlertAsync(alertB, "alice", null, CancellationToken.None);
        var silence = await ops.AddSilenceAsync(new NewSilence { StartsAt = T0, EndsAt = T0.AddHours(2), CreatedBy = "alice", Reason = "maintenance" }, CancellationToken.None);
        var expiry = await ops.ExpireSilenceAsync(silence.Id, CancellationToken.None);
        var lifted = await ops.LiftBansAsync("203.0.113.7/32", "alice", T0.AddMinutes(1), CancellationToken.None);
        // The operator's own audit incident (what `bans remove` stores) goes into its own chain.
        await ops.SaveAlertAsync(IncidentOf(Operator, "fp-ban-lifted"), Operator.Name, [], CancellationToken.None);

        Assert.Equal("alice", triageA?.AckedBy);
        Assert.Equal("alice", triageB?.AckedBy);
        Assert.Equal(SilenceExpiry.Expired, expiry);
        Assert.Equal("alice", Assert.Single(lifted).LiftedBy);
        await using var owner = Db.OwnerStore();
        var chains = await owner.VerifyChainAsync(null, CancellationToken.None);
        Assert.Equal(new[] { A.Name, B.Name, Operator.Name }.Order(StringComparer.Ordinal), chains.Select(v => v.Host));
        Assert.All(chains, v => Assert.True(v.IsIntact, v.FirstBreak?.Detail));
        Assert.Equal("acked", (await owner.GetAlertChainAsync(alertA, CancellationToken.None))[^1].Kind);
    }

    public static TheoryData<string> OperatorOverreach() => new()
    {
        "UPDATE blueteam.alert_history SET title = 'nothing happened' WHERE host = '{host}'",
        "UPDATE blueteam.alert_history SET event_count = 1, acked_by = 'alice' WHERE host = '{host}'",
        "DELETE FROM blueteam.alert_history WHERE host = '{host}'",
        "UPDATE blueteam.alert_chain SET acked_by = 'alice' WHERE host = '{host}'",
        "DELETE FROM blueteam.alert_chain WHERE host = '{host}'",
        """
        INSERT INTO blueteam.alert_chain (host, seq, alert_id, kind, fingerprint, rule_id, rule_name, severity, title, event_count,
            first_seen, last_seen, created_at, updated_at, incident_sha256, prev_hash, entry_hash)
        VALUES ('{host}', 99, 1, 'updated', 'fp', 'r', 'r', 'low', 't', 1, now(), now(), now(), now(), 'x', 'p', 'e')
        """,
        "UPDATE blueteam.heartbeats SET last_beat = now() WHERE host = '{host}'",
    };

    [Theory]
    [MemberData(nameof(OperatorOverreach))]
    public async Task OperatorRole_ChangingMoreThanTheAckOfAHostsAlert_Refused(string statement)
    {
        await SeedAsync(A);
        await using (var a = RolesDatabase.StoreAs(A, _time))
            await a.UpsertHeartbeatAsync(new Heartbeat { Host = A.Name, Version = "0.3.0", StartedAt = T0, LastBeat = T0 }, CancellationToken.None);

        var error = await RolesDatabase.TryExecuteAsAsync(Operator, statement.Replace("{host}", A.Name, StringComparison.Ordinal));

        Assert.NotNull(error);
        Assert.Equal(PermissionDenied, error.SqlState);
    }

    [Fact]
    public async Task OperatorGroupMemberWithoutAMapping_ChangingAHostsAlert_Refused()
    {
        var alert = await SeedAsync(A);
        var role = "blueteam_test_unmapped_" + Guid.NewGuid().ToString("N")[..8];
        var grant = $"CREATE ROLE {role} LOGIN; GRANT blueteam_operator TO {role}";
        Assert.Equal(0, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"DO $$ BEGIN EXECUTE '{grant.Replace("'", "''", StringComparison.Ordinal)}'; END $$; SELECT 0"));
        try
        {
            var unmapped = new FleetCredentials(FleetRoleKind.Operator, "unmapped", role, null, true,
                new NpgsqlConnectionStringBuilder(Db.OwnerConnectionString) { Username = role }.ToString());

            var error = await RolesDatabase.TryExecuteAsAsync(unmapped, $"UPDATE blueteam.alert_history SET title = 'nothing happened' WHERE id = {alert}");

            Assert.Equal(PermissionDenied, error?.SqlState);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"DROP ROLE {role}; SELECT 0");
        }
    }

    [Fact]
    public async Task Retention_TheOwnerPrunes_HostsCannot_AndEachHostsHistoryStillVerifiesAsThatHost()
    {
        await SeedAsync(A);
        await SeedAsync(B);
        _time.Advance(TimeSpan.FromDays(40));
        await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "UPDATE blueteam.alert_deliveries SET status = 'delivered'; SELECT 0");
        await using (var a = RolesDatabase.StoreAs(A, _time))
        {
            var denied = await Assert.ThrowsAsync<StoreException>(() => a.PruneAsync(A.Name, 30, _time.GetUtcNow(), dryRun: false, CancellationToken.None));
            Assert.Contains("permission denied", denied.Message, StringComparison.Ordinal);
        }

        await using var owner = Db.OwnerStore(_time);
        foreach (var host in new[] { A, B })
            Assert.Equal(2, (await owner.PruneAsync(host.Name, 30, _time.GetUtcNow(), dryRun: false, CancellationToken.None)).EntriesRemoved);

        foreach (var host in new[] { A, B })
        {
            await using var store = RolesDatabase.StoreAs(host, _time);
            var verified = Assert.Single(await store.VerifyChainAsync(host.Name, CancellationToken.None));
            Assert.True(verified.IsIntact, verified.FirstBreak?.Detail);
            Assert.Equal(2, verified.Pruned?.PrunedThrough);
            Assert.Equal(verified.Pruned, await store.GetLatestPruneAsync(host.Name, CancellationToken.None));
        }
        await using var aStore = RolesDatabase.StoreAs(A, _time);
        Assert.Null(await aStore.GetLatestPruneAsync(B.Name, CancellationToken.None)); // B's prune record is B's
    }

    [Fact]
    public async Task FleetCorrelation_AsHostRoles_EachPublishesOnlyItsOwnSignals_AndEitherCanLeadOverAll()
    {
        // Real time here: the clean-up policy compares a signal's publication with the server's clock.
        var bucket = DateTimeOffset.UtcNow;
        await using (var signalsA = new SignalsStore(A.ConnectionString, TimeProvider.System))
        await using (var signalsB = new SignalsStore(B.ConnectionString, TimeProvider.System))
        {
            await signalsA.PublishAsync([new BlueTeam.Correlation.Fleet.FleetSignal(0, A.Name, bucket, "198.51.100.7", "root", 3)], CancellationToken.None);
            await signalsB.PublishAsync([new BlueTeam.Correlation.Fleet.FleetSignal(0, B.Name, bucket, "198.51.100.7", "root", 3)], CancellationToken.None);
            var forged = await Assert.ThrowsAnyAsync<Exception>(() =>
                signalsA.PublishAsync([new BlueTeam.Correlation.Fleet.FleetSignal(0, B.Name, bucket, "198.51.100.8", "root", 9)], CancellationToken.None));
            Assert.Contains("row-level security", forged.ToString(), StringComparison.Ordinal);
        }
        // A young signal of another host cannot be deleted by a host; only the correlator's clean-up of old ones can.
        var deleted = await RolesDatabase.TryExecuteAsAsync(A, "DELETE FROM blueteam.fleet_signals");
        Assert.Null(deleted);
        Assert.Equal(2L, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "SELECT count(*) FROM blueteam.fleet_signals"));

        await using var leaderStore = new SignalsStore(B.ConnectionString, TimeProvider.System);
        await using var leader = await leaderStore.TryLeadAsync(B.Name, CancellationToken.None);
        Assert.NotNull(leader);
        var read = await leader.ReadAfterAsync(await leader.ReadCursorAsync(CancellationToken.None), 100, CancellationToken.None);
        Assert.Equal([A.Name, B.Name], read.Select(s => s.Host).Order(StringComparer.Ordinal));
        var episode = new BlueTeam.Correlation.Fleet.FleetEpisode("fleet_ssh_spray", "198.51.100.7", bucket, bucket, "fp-fleet-roles",
            new Dictionary<string, long> { [A.Name] = 3, [B.Name] = 3 }, B.Name, Raised: false);
        await leader.CommitAsync(read.Max(s => s.Id), [episode], CancellationToken.None);
        await leader.MarkRaisedAsync(["fp-fleet-roles"], CancellationToken.None);
        Assert.Equal(read.Max(s => s.Id), await leader.ReadCursorAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HostRole_SchemaBehind_MigrateSaysTheOwnerMustMigrate()
    {
        await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "DELETE FROM blueteam.schema_migrations WHERE version = 12; SELECT 0");
        await using var a = RolesDatabase.StoreAs(A, _time);

        var e = await Assert.ThrowsAsync<StoreException>(() => a.MigrateAsync(CancellationToken.None));

        Assert.Contains("the schema lacks version(s) 12, and this fleet role may not migrate it", e.Message, StringComparison.Ordinal);
        Assert.Contains("blueteam db migrate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnerConnection_UnchangedByRowLevelSecurity_SeesAndWritesEveryHost()
    {
        await SeedAsync(A);
        await SeedAsync(B);
        await using var owner = Db.OwnerStore(_time);

        await owner.SaveAlertAsync(Incident("fp-owner-c", host: "c-host"), "c-host", ["syslog"], CancellationToken.None);

        Assert.Equal(3, (await owner.ListAlertsAsync(new AlertQuery(), CancellationToken.None)).Count);
        Assert.All(await owner.VerifyChainAsync(null, CancellationToken.None), v => Assert.True(v.IsIntact, v.FirstBreak?.Detail));
    }
}
