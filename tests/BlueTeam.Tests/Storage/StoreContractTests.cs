using System.Text;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Sources;
using BlueTeam.Storage;
using Microsoft.Extensions.Time.Testing;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

/// <summary>
/// The one contract both stores meet. Each backend subclasses this with a fresh, empty database
/// per test; the facts below run unchanged against SQLite and PostgreSQL.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    private static readonly string[] Channels = ["email", "syslog", "console"];

    private IBlueTeamStore? _store;

    protected FakeTimeProvider Time { get; } = new(T0);

    /// <summary>The store under test, over an empty database that the test migrates (or not).</summary>
    protected IBlueTeamStore Store => _store ?? throw new InvalidOperationException("the store was not created");

    /// <summary>Creates a fresh, empty database and a store over it.</summary>
    protected abstract Task<IBlueTeamStore> CreateStoreAsync(TimeProvider timeProvider);

    /// <summary>A second store over the same database, as another process would open it.</summary>
    protected abstract IBlueTeamStore OpenSameDatabase(TimeProvider timeProvider);

    /// <summary>Removes the database created by <see cref="CreateStoreAsync"/>.</summary>
    protected abstract Task DropDatabaseAsync();

    /// <summary>Runs SQL on the test database behind the store's back, as someone with file or database access would.</summary>
    protected abstract Task ExecuteSqlAsync(string sql);

    /// <summary>A table's name as hand-written SQL must spell it (schema-qualified on PostgreSQL).</summary>
    protected abstract string Table(string name);

    /// <summary>Makes the database unreachable for <see cref="Store"/> and stores opened with <see cref="OpenSameDatabase"/>.</summary>
    protected abstract Task BreakStoreAsync();

    /// <summary>Undoes <see cref="BreakStoreAsync"/>; the data is as it was.</summary>
    protected abstract Task RestoreStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync(Time);

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        await DropDatabaseAsync();
    }

    private async Task<IBlueTeamStore> MigratedAsync()
    {
        await Store.MigrateAsync(CancellationToken.None);
        return Store;
    }

    [Fact]
    public async Task MigrateAsync_Twice_AppliesEveryVersionOnceThenNothing()
    {
        var first = await Store.MigrateAsync(CancellationToken.None);
        var second = await Store.MigrateAsync(CancellationToken.None);

        Assert.Equal(StoreMigrations.All.Select(m => m.Version), first);
        Assert.Empty(second);
    }

    [Fact]
    public async Task MigrateAsync_TwoProcessesAtOnce_AppliesEachVersionExactlyOnce()
    {
        await using var other = OpenSameDatabase(Time);

        var results = await Task.WhenAll(Store.MigrateAsync(CancellationToken.None), other.MigrateAsync(CancellationToken.None));

        Assert.Equal(StoreMigrations.All.Select(m => m.Version), results.SelectMany(r => r).Order());
        Assert.Empty(await other.MigrateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SaveAlertAsync_BeforeMigrate_ThrowsStoreExceptionNamingOperationAndStore()
    {
        var ex = await Assert.ThrowsAsync<StoreException>(() =>
            Store.SaveAlertAsync(Incident("fp-unmigrated"), "eqmon-web01", Channels, CancellationToken.None));

        Assert.Contains("save alert fp-unmigrated", ex.Message);
        Assert.Contains(Store.Description, ex.Message);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public async Task SaveAlertAsync_NewIncident_StoresItWithOnePendingDeliveryPerChannel()
    {
        var store = await MigratedAsync();
        var incident = Incident("fp-new");

        var saved = await store.SaveAlertAsync(incident, "eqmon-web01", Channels, CancellationToken.None);

        Assert.True(saved.IsNew);
        var alert = await store.GetAlertAsync(saved.AlertId, CancellationToken.None);
        Assert.NotNull(alert);
        Assert.Equal("fp-new", alert.Fingerprint);
        Assert.Equal("eqmon-web01", alert.Host);
        Assert.Equal(T0, alert.CreatedAt);
        Assert.Equal(T0, alert.UpdatedAt);
        Assert.Equal(EcsJson.Serialize(incident), EcsJson.Serialize(alert.Incident));

        var deliveries = await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None);
        Assert.Equal(Channels, deliveries.Select(d => d.Channel));
        Assert.All(deliveries, d =>
        {
            Assert.Equal(saved.AlertId, d.AlertId);
            Assert.Equal(DeliveryStatus.Pending, d.Status);
            Assert.Equal(0, d.Attempts);
            Assert.Null(d.LastError);
            Assert.Null(d.DeliveredAt);
            Assert.Equal(T0, d.NextAttemptAt);
        });
    }

    [Fact]
    public async Task SaveAlertAsync_RepeatedChannelName_CreatesOneDeliveryForIt()
    {
        var store = await MigratedAsync();

        var saved = await store.SaveAlertAsync(Incident("fp-dup-channel"), "eqmon-web01", ["syslog", "syslog", "email"], CancellationToken.None);

        Assert.Equal(["syslog", "email"], (await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None)).Select(d => d.Channel));
    }

    [Fact]
    public async Task SaveAlertAsync_NoChannels_StoresAlertWithoutDeliveries()
    {
        var store = await MigratedAsync();

        var saved = await store.SaveAlertAsync(Incident("fp-info", Severity.Info), "eqmon-web01", [], CancellationToken.None);

        Assert.True(saved.IsNew);
        Assert.NotNull(await store.GetAlertAsync(saved.AlertId, CancellationToken.None));
        Assert.Empty(await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None));
    }

    [Fact]
    public async Task SaveAlertAsync_SameFingerprint_UpdatesCountLastSeenAndTextAndAddsNoDeliveries()
    {
        var store = await MigratedAsync();
        var first = await store.SaveAlertAsync(Incident("fp-burst", eventCount: 5), "eqmon-web01", Channels, CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(2));
        var grown = Incident("fp-burst", eventCount: 42, lastSeen: T0.AddMinutes(2), title: "SSH brute force continues", description: "42 failed logins");

        var second = await store.SaveAlertAsync(grown, "eqmon-web01", ["email", "syslog", "console", "webhook"], CancellationToken.None);

        Assert.Equal(new AlertSaveResult(first.AlertId, IsNew: false), second);
        var alert = await store.GetAlertAsync(first.AlertId, CancellationToken.None);
        Assert.NotNull(alert);
        Assert.Equal(42, alert.Incident.EventCount);
        Assert.Equal(T0.AddMinutes(2), alert.Incident.LastSeen);
        Assert.Equal("SSH brute force continues", alert.Incident.Title);
        Assert.Equal("42 failed logins", alert.Incident.Description);
        Assert.Equal(T0, alert.CreatedAt);
        Assert.Equal(T0.AddMinutes(2), alert.UpdatedAt);
        Assert.Equal(3, (await store.GetDeliveriesAsync(first.AlertId, CancellationToken.None)).Count);
        Assert.Single(await store.ListAlertsAsync(new AlertQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task SaveAlertAsync_UpdateWithLowerSeverity_KeepsTheHigherSeverity()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-sev", Severity.Critical), "eqmon-web01", Channels, CancellationToken.None);

        await store.SaveAlertAsync(Incident("fp-sev", Severity.Medium, eventCount: 9), "eqmon-web01", Channels, CancellationToken.None);

        var alert = await store.GetAlertAsync(saved.AlertId, CancellationToken.None);
        Assert.NotNull(alert);
        Assert.Equal(Severity.Critical, alert.Incident.Severity);
        Assert.Equal(9, alert.Incident.EventCount);
        Assert.Single(await store.ListAlertsAsync(new AlertQuery { MinSeverity = Severity.Critical }, CancellationToken.None));
    }

    [Fact]
    public async Task SaveAlertAsync_UpdateWithHigherSeverity_RaisesTheSeverity()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-raise", Severity.Low), "eqmon-web01", Channels, CancellationToken.None);

        await store.SaveAlertAsync(Incident("fp-raise", Severity.High), "eqmon-web01", Channels, CancellationToken.None);

        var alert = await store.GetAlertAsync(saved.AlertId, CancellationToken.None);
        Assert.Equal(Severity.High, alert?.Incident.Severity);
    }

    [Fact]
    public async Task SaveAlertAsync_SameFingerprintFromTwoProcessesAtOnce_KeepsOneAlertAndOneSetOfDeliveries()
    {
        var store = await MigratedAsync();
        await using var other = OpenSameDatabase(Time);

        var saves = Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? store : other).SaveAlertAsync(Incident("fp-race", eventCount: i + 1), "eqmon-web01", Channels, CancellationToken.None));
        var results = await Task.WhenAll(saves);

        Assert.Single(results, r => r.IsNew);
        Assert.Single(results.Select(r => r.AlertId).Distinct());
        Assert.Equal(3, (await store.GetDeliveriesAsync(results[0].AlertId, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task GetDueDeliveriesAsync_BeforeNextAttempt_ReturnsNothing()
    {
        var store = await MigratedAsync();
        await store.SaveAlertAsync(Incident("fp-due"), "eqmon-web01", Channels, CancellationToken.None);

        Assert.Empty(await store.GetDueDeliveriesAsync(T0.AddSeconds(-1), 10, CancellationToken.None));
        Assert.Equal(3, (await store.GetDueDeliveriesAsync(T0, 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task GetDueDeliveriesAsync_SeveralDue_ReturnsOldestFirstUpToMaxWithTheAlert()
    {
        var store = await MigratedAsync();
        var older = await store.SaveAlertAsync(Incident("fp-older"), "eqmon-web01", ["syslog"], CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(1));
        var newer = await store.SaveAlertAsync(Incident("fp-newer", Severity.Critical), "eqmon-db01", ["email", "syslog"], CancellationToken.None);

        var due = await store.GetDueDeliveriesAsync(T0.AddMinutes(5), 2, CancellationToken.None);

        Assert.Equal(2, due.Count);
        Assert.Equal(older.AlertId, due[0].Alert.Id);
        Assert.Equal(older.AlertId, due[0].Delivery.AlertId);
        Assert.Equal("syslog", due[0].Delivery.Channel);
        Assert.Equal("fp-older", due[0].Alert.Incident.Fingerprint);
        Assert.Equal(newer.AlertId, due[1].Alert.Id);
        Assert.Equal("email", due[1].Delivery.Channel);
        Assert.Equal("eqmon-db01", due[1].Alert.Host);
        Assert.Equal(Severity.Critical, due[1].Alert.Incident.Severity);
    }

    [Fact]
    public async Task RecordDeliveryAttemptAsync_TransientThenDelivered_TracksAttemptsAndTimes()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-attempts"), "eqmon-web01", ["email"], CancellationToken.None);
        var delivery = Assert.Single(await store.GetDueDeliveriesAsync(T0, 10, CancellationToken.None)).Delivery;

        await store.RecordDeliveryAttemptAsync(delivery.Id, DeliveryStatus.Pending, "421 try again later", T0, T0.AddMinutes(1), CancellationToken.None);

        Assert.Empty(await store.GetDueDeliveriesAsync(T0.AddSeconds(59), 10, CancellationToken.None));
        var retry = Assert.Single(await store.GetDueDeliveriesAsync(T0.AddMinutes(1), 10, CancellationToken.None)).Delivery;
        Assert.Equal(DeliveryStatus.Pending, retry.Status);
        Assert.Equal(1, retry.Attempts);
        Assert.Equal("421 try again later", retry.LastError);
        Assert.Equal(T0.AddMinutes(1), retry.NextAttemptAt);
        Assert.Null(retry.DeliveredAt);

        await store.RecordDeliveryAttemptAsync(delivery.Id, DeliveryStatus.Delivered, null, T0.AddMinutes(1), null, CancellationToken.None);

        var done = Assert.Single(await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None));
        Assert.Equal(DeliveryStatus.Delivered, done.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Null(done.LastError);
        Assert.Null(done.NextAttemptAt);
        Assert.Equal(T0.AddMinutes(1), done.DeliveredAt);
        Assert.Empty(await store.GetDueDeliveriesAsync(T0.AddDays(1), 10, CancellationToken.None));
    }

    [Fact]
    public async Task RecordDeliveryAttemptAsync_Failed_IsFinalWithItsError()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-failed"), "eqmon-web01", ["email"], CancellationToken.None);
        var delivery = Assert.Single(await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None));

        await store.RecordDeliveryAttemptAsync(delivery.Id, DeliveryStatus.Failed, "550 mailbox unavailable", T0, T0.AddMinutes(5), CancellationToken.None);

        var failed = Assert.Single(await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None));
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal("550 mailbox unavailable", failed.LastError);
        Assert.Null(failed.NextAttemptAt);
        Assert.Null(failed.DeliveredAt);
        Assert.Empty(await store.GetDueDeliveriesAsync(T0.AddDays(1), 10, CancellationToken.None));
    }

    [Fact]
    public async Task RecordDeliveryAttemptAsync_PendingWithoutNextAttempt_ThrowsArgumentException()
    {
        var store = await MigratedAsync();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            store.RecordDeliveryAttemptAsync(1, DeliveryStatus.Pending, "timeout", T0, null, CancellationToken.None));
    }

    [Fact]
    public async Task RecordDeliveryAttemptAsync_UnknownDelivery_ThrowsStoreException()
    {
        var store = await MigratedAsync();

        var ex = await Assert.ThrowsAsync<StoreException>(() =>
            store.RecordDeliveryAttemptAsync(987654, DeliveryStatus.Delivered, null, T0, null, CancellationToken.None));

        Assert.Contains("record delivery attempt 987654", ex.Message);
        Assert.Contains("no such delivery", ex.Message);
    }

    [Fact]
    public async Task GetAlertAsync_UnknownId_ReturnsNull()
    {
        var store = await MigratedAsync();

        Assert.Null(await store.GetAlertAsync(987654, CancellationToken.None));
    }

    [Fact]
    public async Task ListAlertsAsync_Filters_ReturnMatchingAlertsNewestFirst()
    {
        var store = await MigratedAsync();
        await store.SaveAlertAsync(Incident("fp-a", Severity.Low, "ssh_brute_force", lastSeen: T0.AddMinutes(1)), "web01", [], CancellationToken.None);
        await store.SaveAlertAsync(Incident("fp-b", Severity.High, "sudo_abuse", lastSeen: T0.AddMinutes(3)), "web01", [], CancellationToken.None);
        await store.SaveAlertAsync(Incident("fp-c", Severity.Critical, "ssh_brute_force", lastSeen: T0.AddMinutes(2)), "db01", [], CancellationToken.None);
        await store.SaveAlertAsync(Incident("fp-d", Severity.Medium, "ssh_brute_force", lastSeen: T0.AddMinutes(4)), "web01", [], CancellationToken.None);

        static IEnumerable<string> Fingerprints(IReadOnlyList<AlertRecord> alerts) => alerts.Select(a => a.Fingerprint);
        Task<IReadOnlyList<AlertRecord>> List(AlertQuery q) => store.ListAlertsAsync(q, CancellationToken.None);

        Assert.Equal(["fp-d", "fp-b", "fp-c", "fp-a"], Fingerprints(await List(new AlertQuery())));
        Assert.Equal(["fp-d", "fp-b"], Fingerprints(await List(new AlertQuery { Limit = 2 })));
        Assert.Equal(["fp-b", "fp-c"], Fingerprints(await List(new AlertQuery { MinSeverity = Severity.High })));
        Assert.Equal(["fp-d", "fp-c", "fp-a"], Fingerprints(await List(new AlertQuery { RuleName = "ssh_brute_force" })));
        Assert.Equal(["fp-b"], Fingerprints(await List(new AlertQuery { RuleName = "BT-SUDO_ABUSE" })));
        Assert.Equal(["fp-c"], Fingerprints(await List(new AlertQuery { Host = "db01" })));
        Assert.Equal(["fp-d", "fp-b", "fp-c"], Fingerprints(await List(new AlertQuery { Since = T0.AddMinutes(2) })));
        Assert.Equal(["fp-d"], Fingerprints(await List(new AlertQuery { Host = "web01", RuleName = "ssh_brute_force", MinSeverity = Severity.Medium, Since = T0 })));
        Assert.Empty(await List(new AlertQuery { Host = "nowhere" }));
    }

    [Fact]
    public async Task SaveCheckpointsAsync_ThenGet_RoundTripsAndUpsertsByCollectorAndPath()
    {
        var store = await MigratedAsync();
        var auth = new Checkpoint("auth_log", "/var/log/auth.log", new FileIdentity(2049, 131_077, "9f2c4e"), 18_344, T0) { ReplayFrom = 17_000 };
        var secure = new Checkpoint("auth_log", "/var/log/secure", new FileIdentity(ulong.MaxValue, (ulong)long.MaxValue + 7, "00aa"), 0, T0);
        var other = new Checkpoint("web_access", "/var/log/auth.log", new FileIdentity(1, 2, "ffff"), 5, T0);

        await store.SaveCheckpointsAsync([auth, secure, other], CancellationToken.None);
        // ReplayFrom comes back as the effective replay position: the offset when none was set.
        Assert.Equal([auth, secure with { ReplayFrom = 0 }], await store.GetCheckpointsAsync("auth_log", CancellationToken.None));

        var rotated = auth with { File = new FileIdentity(2049, 140_001, "1b2b3b"), Offset = 512, UpdatedAt = T0.AddHours(1), ReplayFrom = 100 };
        await store.SaveCheckpointsAsync([rotated], CancellationToken.None);

        Assert.Equal([rotated, secure with { ReplayFrom = 0 }], await store.GetCheckpointsAsync("auth_log", CancellationToken.None));
        Assert.Equal([other with { ReplayFrom = 5 }], await store.GetCheckpointsAsync("web_access", CancellationToken.None));
        // A position past the offset is impossible (the record says never greater): the offset is kept.
        await store.SaveCheckpointsAsync([rotated with { ReplayFrom = 9_999 }], CancellationToken.None);
        Assert.Equal(512, (await store.GetCheckpointsAsync("auth_log", CancellationToken.None))[0].ReplayFrom);
        Assert.Empty(await store.GetCheckpointsAsync("journald", CancellationToken.None));
    }

    [Fact]
    public async Task MigrateAsync_FromVersion5WithCheckpoints_ReplaysFromTheirOffset()
    {
        await ((AdoStore)Store).MigrateAsync(5, CancellationToken.None);
        await ExecuteSqlAsync($"""
            INSERT INTO {Table("checkpoints")} (collector, path, device, inode, head_hash, "offset", updated_at)
            VALUES ('auth_log', '/var/log/auth.log', 1, 2, 'abcd', 4096, '2026-03-10T08:30:00.0000000Z')
            """);

        await Store.MigrateAsync(CancellationToken.None);

        var checkpoint = Assert.Single(await Store.GetCheckpointsAsync("auth_log", CancellationToken.None));
        Assert.Equal((4096, 4096), (checkpoint.Offset, checkpoint.ReplayFrom));
    }

    [Fact]
    public async Task SaveCheckpointsAsync_Empty_DoesNothing()
    {
        var store = await MigratedAsync();

        await store.SaveCheckpointsAsync([], CancellationToken.None);

        Assert.Empty(await store.GetCheckpointsAsync("auth_log", CancellationToken.None));
    }

    public static TheoryData<string> HostileTexts() => new()
    {
        "O'Brien \"quoted\" `back` \\ backslash",
        "x'; DROP TABLE alert_history; --",
        "root\r\nMar 10 08:30:00 eqmon-web01 sshd[1]: Accepted password for root",
        "tab\there\u001b[31mred\u001b[0m\u0007bell",
        "ünïcödé 日本語 עברית \u202Eevil\u202C 🛡️ e\u0301 \uFEFF",
        "%s %n {0} $1 @host :name ?",
    };

    [Theory]
    [MemberData(nameof(HostileTexts), MemberType = typeof(StoreContractTests))]
    public async Task SaveAlertAsync_HostileText_IsStoredAndReadBackByteIdentical(string text)
    {
        var store = await MigratedAsync();
        var incident = Incident("fp-" + text, ruleName: text, title: text, description: text, sourceIp: text, userName: text);

        var saved = await store.SaveAlertAsync(incident, text, [text, "syslog"], CancellationToken.None);

        var alert = await store.GetAlertAsync(saved.AlertId, CancellationToken.None);
        Assert.NotNull(alert);
        AssertSameBytes(text, alert.Host);
        AssertSameBytes("fp-" + text, alert.Fingerprint);
        AssertSameBytes(text, alert.Incident.Title);
        AssertSameBytes(text, alert.Incident.Description);
        AssertSameBytes(text, alert.Incident.Rule.Name);
        AssertSameBytes(text, alert.Incident.User?.Name);
        AssertSameBytes(text, alert.Incident.Evidence[0].User?.Name);
        AssertSameBytes(text, (await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None))[0].Channel);

        // The filters go through the columns, not the JSON: they must match the text exactly too.
        var listed = await store.ListAlertsAsync(new AlertQuery { Host = text, RuleName = text }, CancellationToken.None);
        Assert.Equal(saved.AlertId, Assert.Single(listed).Id);

        var checkpoint = new Checkpoint(text, "/var/log/" + text, new FileIdentity(1, 2, text), 3, T0) { ReplayFrom = 1 };
        await store.SaveCheckpointsAsync([checkpoint], CancellationToken.None);
        Assert.Equal(checkpoint, Assert.Single(await store.GetCheckpointsAsync(text, CancellationToken.None)));

        // The tables are all still there.
        Assert.Single(await store.ListAlertsAsync(new AlertQuery(), CancellationToken.None));
        Assert.Empty(await store.MigrateAsync(CancellationToken.None));
    }

    private static void AssertSameBytes(string expected, string? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(actual));
    }
}
