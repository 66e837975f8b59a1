using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// SaveAlertsAsync: one transaction for many incidents, with the results of as many single saves.
public abstract partial class StoreContractTests
{
    /// <summary>Empties the alert, delivery and chain tables and restarts their ids at 1, as on a fresh database.</summary>
    protected abstract Task EmptyAlertTablesAsync();

    /// <summary>Makes the database refuse any delivery row for the channel named "rejected" (a trigger).</summary>
    protected abstract Task RejectDeliveriesToChannelNamedRejectedAsync();

    private static AlertSaveRequest Save(SecurityIncident incident, string host, params string[] channels) => new(incident, host, channels);

    /// <summary>What a run of saves left: every alert, its delivery rows, and each host's chain.</summary>
    private async Task<string> DescribeStoredAsync(IReadOnlyList<AlertSaveResult> results, params string[] hosts)
    {
        var lines = new List<string> { "results: " + string.Join(", ", results) };
        foreach (var alert in (await Store.ListAlertsAsync(new AlertQuery { Limit = 10_000 }, CancellationToken.None)).OrderBy(a => a.Id))
        {
            lines.Add($"alert {alert.Id} {alert.Fingerprint} {alert.Host} {alert.CreatedAt:O} {alert.UpdatedAt:O} {EcsJson.Serialize(alert.Incident)}");
            foreach (var d in await Store.GetDeliveriesAsync(alert.Id, CancellationToken.None))
                lines.Add($"  delivery {d.Id} {d.Channel} {d.Status} {d.NextAttemptAt:O}");
        }
        foreach (var chain in await Store.VerifyChainAsync(null, CancellationToken.None))
            lines.Add($"chain {chain.Host}: {chain.EntriesChecked} entries, head {chain.Head}, intact {chain.IsIntact}");
        foreach (var host in hosts) Assert.True(Assert.Single(await Store.VerifyChainAsync(host, CancellationToken.None)).IsIntact, $"chain of {host}");
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Runs <paramref name="saves"/> as single saves, then (on the emptied tables) as one batch, each
    /// after <paramref name="before"/>; both must leave the same ids, rows and chain hashes.
    /// </summary>
    private async Task<IReadOnlyList<AlertSaveResult>> AssertBatchMatchesSinglesAsync(IReadOnlyList<AlertSaveRequest> saves, IReadOnlyList<AlertSaveRequest> before)
    {
        var store = await MigratedAsync();
        var hosts = saves.Concat(before).Select(s => s.Host).Distinct().ToArray();

        foreach (var (incident, host, channels) in before) await store.SaveAlertAsync(incident, host, channels, CancellationToken.None);
        var singles = new List<AlertSaveResult>();
        foreach (var (incident, host, channels) in saves) singles.Add(await store.SaveAlertAsync(incident, host, channels, CancellationToken.None));
        var afterSingles = await DescribeStoredAsync(singles, hosts);

        await EmptyAlertTablesAsync();
        foreach (var (incident, host, channels) in before) await store.SaveAlertAsync(incident, host, channels, CancellationToken.None);
        var batch = await store.SaveAlertsAsync(saves, CancellationToken.None);
        var afterBatch = await DescribeStoredAsync(batch, hosts);

        Assert.Equal(singles, batch);
        Assert.Equal(afterSingles, afterBatch);
        return batch;
    }

    [Fact]
    public async Task SaveAlertsAsync_NewKnownAndRepeatedFingerprints_StoresExactlyWhatSingleSavesStore()
    {
        var results = await AssertBatchMatchesSinglesAsync(
            [
                Save(Incident("fp-batch-1"), HostA, "email", "syslog"),
                Save(Incident("fp-batch-known", eventCount: 40, lastSeen: T0.AddMinutes(5)), HostA, "email"),
                Save(Incident("fp-batch-2", Severity.Info), HostA),
                Save(Incident("fp-batch-1", Severity.Medium, eventCount: 9, lastSeen: T0.AddMinutes(1)), HostA, "email", "syslog"),
                Save(Incident("fp-batch-3"), HostA, "syslog", "syslog", "console"),
            ],
            before: [Save(Incident("fp-batch-known", Severity.Critical), HostA, "email")]);

        Assert.Equal([true, false, true, false, true], results.Select(r => r.IsNew));
        Assert.Equal(results[0].AlertId, results[3].AlertId);
        var repeated = await Store.GetAlertAsync(results[0].AlertId, CancellationToken.None);
        Assert.NotNull(repeated);
        Assert.Equal(9, repeated.Incident.EventCount);
        Assert.Equal(Severity.High, repeated.Incident.Severity); // the stored severity never goes down, within a batch too
        Assert.Equal(["email", "syslog"], (await Store.GetDeliveriesAsync(results[0].AlertId, CancellationToken.None)).Select(d => d.Channel));
        Assert.Equal(["syslog", "console"], (await Store.GetDeliveriesAsync(results[4].AlertId, CancellationToken.None)).Select(d => d.Channel));
        // The known alert keeps the one delivery of its creation: an update adds none.
        Assert.Single(await Store.GetDeliveriesAsync(results[1].AlertId, CancellationToken.None));
        Assert.Equal(Severity.Critical, (await Store.GetAlertAsync(results[1].AlertId, CancellationToken.None))!.Incident.Severity);
    }

    [Fact]
    public async Task SaveAlertsAsync_MoreIncidentsThanOneStatementHolds_StoresExactlyWhatSingleSavesStore()
    {
        // 450 saves of 300 fingerprints: every third one repeats the fingerprint of about 150 saves
        // before (the first one, early on), so repeats fall in the same multi-row statement as the
        // insert and in later ones.
        var saves = Enumerable.Range(0, 450)
            .Select(i => i % 3 == 2
                ? Save(Incident($"fp-many-{Math.Max(0, i / 3 * 2 - 100):000}", eventCount: 50 + i, lastSeen: T0.AddMinutes(2)), HostA, "email")
                : Save(Incident($"fp-many-{i / 3 * 2 + i % 3:000}", eventCount: 5), HostA, "email", "syslog"))
            .ToList();

        var results = await AssertBatchMatchesSinglesAsync(saves, before: []);

        var created = results.Where(r => r.IsNew).Select(r => r.AlertId).ToList();
        Assert.Equal(created.Order(), created); // ids in the order of the batch
        Assert.Equal(saves.Select(s => s.Incident.Fingerprint).Distinct().Count(), created.Count);
    }

    [Fact]
    public async Task SaveAlertsAsync_UpdateOfAnotherHostsAlert_IsChainedOnThatHost()
    {
        var results = await AssertBatchMatchesSinglesAsync(
            [
                Save(Incident("fp-batch-b1", host: HostB), HostB, "syslog"),
                Save(Incident("fp-batch-shared", eventCount: 30), HostB, "syslog"),
                Save(Incident("fp-batch-b2", host: HostB), HostB),
            ],
            before: [Save(Incident("fp-batch-shared"), HostA, "syslog")]);

        Assert.Equal([true, false, true], results.Select(r => r.IsNew));
        Assert.Equal(2, (await Store.GetChainHeadAsync(HostA, CancellationToken.None))!.Seq);
        Assert.Equal(2, (await Store.GetChainHeadAsync(HostB, CancellationToken.None))!.Seq);
    }

    [Fact]
    public async Task SaveAlertsAsync_EmptyBatch_ReturnsNothingWithoutTouchingTheStore()
    {
        // Not migrated: any statement would fail.
        Assert.Empty(await Store.SaveAlertsAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task SaveAlertsAsync_BeforeMigrate_ThrowsStoreExceptionNamingTheBatch()
    {
        var ex = await Assert.ThrowsAsync<StoreException>(() => Store.SaveAlertsAsync(
            [Save(Incident("fp-unmigrated-1"), HostA), Save(Incident("fp-unmigrated-2"), HostA)], CancellationToken.None));

        Assert.Contains("save 2 alerts", ex.Message);
        Assert.Contains(Store.Description, ex.Message);
    }

    [Fact]
    public async Task SaveAlertsAsync_IncidentWithoutFingerprint_ThrowsBeforeSavingAnyOfTheBatch()
    {
        var store = await MigratedAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.SaveAlertsAsync(
            [Save(Incident("fp-before-bad"), HostA), Save(Incident(""), HostA)], CancellationToken.None));

        Assert.Empty(await store.ListAlertsAsync(new AlertQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task SaveAlertsAsync_OneRowRefusedByTheDatabase_StoresNoneOfTheBatch()
    {
        var store = await MigratedAsync();
        var kept = await store.SaveAlertAsync(Incident("fp-all-or-nothing-known"), HostA, ["email"], CancellationToken.None);
        await RejectDeliveriesToChannelNamedRejectedAsync();

        await Assert.ThrowsAsync<StoreException>(() => store.SaveAlertsAsync(
            [
                Save(Incident("fp-all-or-nothing-1"), HostA, "email"),
                Save(Incident("fp-all-or-nothing-known", eventCount: 99), HostA, "email"),
                Save(Incident("fp-all-or-nothing-2"), HostA, "email", "rejected"),
            ], CancellationToken.None));

        var alerts = await store.ListAlertsAsync(new AlertQuery(), CancellationToken.None);
        Assert.Equal(kept.AlertId, Assert.Single(alerts).Id);
        Assert.Equal(5, alerts[0].Incident.EventCount);
        var chain = Assert.Single(await store.VerifyChainAsync(HostA, CancellationToken.None));
        Assert.True(chain.IsIntact);
        Assert.Equal(1, chain.Head!.Seq);
    }

    [Fact]
    public async Task SpoolingAlertStore_StoreDownDuringABatch_SpoolsEveryIncidentAndReplaysThemOnce()
    {
        try
        {
            await MigratedAsync();
            await using var daemonStore = OpenSameDatabase(Time);
            using var spooling = Spooling(daemonStore);
            await BreakStoreAsync();

            var down = await spooling.SaveAlertsAsync(
                [
                    Save(Incident("fp-spool-batch-1"), HostA, "email", "syslog"),
                    Save(Incident("fp-spool-batch-2"), HostA, "syslog"),
                    Save(Incident("fp-spool-batch-1", eventCount: 12, lastSeen: T0.AddMinutes(2)), HostA, "email", "syslog"),
                ], CancellationToken.None);

            Assert.Equal(3, down.Count);
            Assert.All(down, r => Assert.True(SpoolingAlertStore.IsSpooled(r)));
            Assert.Equal(3, File.ReadAllLines(SpoolPath).Length);
            Assert.Equal(3, await spooling.GetSpooledCountAsync(CancellationToken.None));

            await RestoreStoreAsync();
            // Spooled without trying the store while older saves wait for the replay.
            var waiting = await spooling.SaveAlertsAsync([Save(Incident("fp-spool-batch-3"), HostA, "email")], CancellationToken.None);
            Assert.True(SpoolingAlertStore.IsSpooled(Assert.Single(waiting)));

            var replay = await spooling.ReplaySpoolAsync(CancellationToken.None);
            await using var reader = OpenSameDatabase(Time);

            Assert.Equal(new SpoolReplay(Replayed: 4, Created: 3, TornTailDropped: false), replay);
            var alerts = await reader.ListAlertsAsync(new AlertQuery(), CancellationToken.None);
            Assert.Equal(["fp-spool-batch-1", "fp-spool-batch-2", "fp-spool-batch-3"], alerts.Select(a => a.Fingerprint).Order());
            var one = alerts.Single(a => a.Fingerprint == "fp-spool-batch-1");
            Assert.Equal(12, one.Incident.EventCount);
            Assert.Equal(["email", "syslog"], (await reader.GetDeliveriesAsync(one.Id, CancellationToken.None)).Select(d => d.Channel));
            var chain = Assert.Single(await reader.VerifyChainAsync(HostA, CancellationToken.None));
            Assert.True(chain.IsIntact);
            Assert.Equal(4, chain.Head!.Seq);

            var live = await spooling.SaveAlertsAsync([Save(Incident("fp-spool-batch-4"), HostA), Save(Incident("fp-spool-batch-2"), HostA)], CancellationToken.None);
            Assert.Equal([true, false], live.Select(r => r.IsNew));
            Assert.DoesNotContain(live, SpoolingAlertStore.IsSpooled);
        }
        finally
        {
            if (Directory.Exists(_spoolDirectory)) Directory.Delete(_spoolDirectory, recursive: true);
        }
    }
}
