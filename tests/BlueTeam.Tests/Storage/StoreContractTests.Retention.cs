using BlueTeam.Alerting;
using BlueTeam.Storage;
using BlueTeam.Storage.Retention;
using BlueTeam.Storage.Sealing;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// Retention on a real store (SQLite and PostgreSQL): a prune removes the oldest part of a host's history, records
// itself in the chain, and verify still passes — while the same removal done by hand, or a prune record edited
// afterwards, still breaks the chain.
public abstract partial class StoreContractTests
{
    private const string KeepHost = "keep-web01";

    /// <summary>Saves an incident with one delivery, delivered at once (a pending delivery holds a prune back).</summary>
    private async Task<long> SaveDeliveredAsync(string fingerprint, string host = KeepHost)
    {
        var saved = await Store.SaveAlertAsync(Incident(fingerprint, host: host, title: fingerprint), host, ["syslog"], CancellationToken.None);
        foreach (var d in await Store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None))
            await Store.RecordDeliveryAttemptAsync(d.Id, DeliveryStatus.Delivered, null, Time.GetUtcNow(), null, CancellationToken.None);
        return saved.AlertId;
    }

    private async Task<ChainVerification> VerifyHostAsync(string host = KeepHost) =>
        Assert.Single(await Store.VerifyChainAsync(host, CancellationToken.None));

    [Fact]
    public async Task Prune_RemovesOldIncidentsWithTheirDeliveries_AndVerifyStillPasses()
    {
        await MigratedAsync();
        for (var i = 1; i <= 5; i++) await SaveDeliveredAsync($"old-{i}");
        Time.Advance(TimeSpan.FromDays(40));
        var kept = new List<long>();
        for (var i = 1; i <= 3; i++) kept.Add(await SaveDeliveredAsync($"new-{i}"));
        var otherHost = await SaveDeliveredAsync("other-host-old", host: "other-web02");

        var outcome = await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);

        Assert.Equal(5, outcome.AlertsRemoved);
        Assert.Equal(5, outcome.DeliveriesRemoved);
        Assert.Equal(5, outcome.EntriesRemoved);
        var record = Assert.IsType<PruneRecord>(outcome.Record);
        Assert.Equal(5, record.PrunedThrough);
        Assert.Equal(9, record.Seq); // after the three kept entries
        var left = await Store.ListAlertsAsync(new AlertQuery { Limit = 100 }, CancellationToken.None);
        Assert.Equal(kept.Append(otherHost).Order(), left.Select(a => a.Id).Order());
        var verified = await VerifyHostAsync();
        Assert.True(verified.IsIntact, verified.FirstBreak?.Detail);
        Assert.Equal(4, verified.EntriesChecked); // entries 6..9: three incidents and the prune's record
        Assert.Equal(5, verified.Pruned?.PrunedThrough);
        Assert.True((await VerifyHostAsync("other-web02")).IsIntact);
        Assert.Equal(record, await Store.GetLatestPruneAsync(KeepHost, CancellationToken.None));
    }

    [Fact]
    public async Task Prune_DryRun_ChangesNothing()
    {
        await MigratedAsync();
        for (var i = 1; i <= 3; i++) await SaveDeliveredAsync($"old-{i}");
        Time.Advance(TimeSpan.FromDays(40));

        var outcome = await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: true, CancellationToken.None);

        Assert.Equal(3, outcome.AlertsRemoved);
        Assert.Equal(3, (await Store.ListAlertsAsync(new AlertQuery { Limit = 100 }, CancellationToken.None)).Count);
        Assert.Null(await Store.GetLatestPruneAsync(KeepHost, CancellationToken.None));
        Assert.Equal(3, (await VerifyHostAsync()).EntriesChecked);
    }

    [Fact]
    public async Task Prune_KeepsAnIncidentThatStillOwesADelivery_AndEverythingAfterIt()
    {
        await MigratedAsync();
        await SaveDeliveredAsync("old-1");
        await Store.SaveAlertAsync(Incident("owes-mail", host: KeepHost), KeepHost, ["email"], CancellationToken.None);
        await SaveDeliveredAsync("old-3");
        Time.Advance(TimeSpan.FromDays(40));

        var outcome = await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);

        Assert.Equal(1, outcome.AlertsRemoved);
        Assert.Equal(1, outcome.Record?.PrunedThrough);
        var titles = (await Store.ListAlertsAsync(new AlertQuery { Limit = 100 }, CancellationToken.None)).Select(a => a.Incident.Fingerprint);
        Assert.Equal(["old-3", "owes-mail"], titles.Order());
        Assert.True((await VerifyHostAsync()).IsIntact);
    }

    [Fact]
    public async Task Prune_AnIncidentUpdatedAfterTheCutoff_KeepsItsRow_AndLosesOnlyItsOldEntries()
    {
        await MigratedAsync();
        await SaveDeliveredAsync("long-lived");
        await SaveDeliveredAsync("old-2");
        Time.Advance(TimeSpan.FromDays(40));
        await Store.SaveAlertAsync(Incident("long-lived", host: KeepHost, eventCount: 50, title: "long-lived"), KeepHost, [], CancellationToken.None);

        var outcome = await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);

        Assert.Equal(1, outcome.AlertsRemoved);
        Assert.Equal(2, outcome.EntriesRemoved);
        var left = Assert.Single(await Store.ListAlertsAsync(new AlertQuery { Limit = 100 }, CancellationToken.None));
        Assert.Equal("long-lived", left.Incident.Fingerprint);
        Assert.True((await VerifyHostAsync()).IsIntact);
    }

    [Fact]
    public async Task Prune_Twice_EachStartsWhereTheLastEnded_AndNothingYoungIsTouched()
    {
        await MigratedAsync();
        await SaveDeliveredAsync("a");
        Time.Advance(TimeSpan.FromDays(40));
        await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);
        await SaveDeliveredAsync("b");

        var nothing = await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(40));
        var second = await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);

        Assert.Null(nothing.Record);
        Assert.Equal(3, second.Record?.PrunedThrough); // a, the first prune's record, b
        Assert.Empty(await Store.ListAlertsAsync(new AlertQuery { Limit = 100 }, CancellationToken.None));
        var verified = await VerifyHostAsync();
        Assert.True(verified.IsIntact, verified.FirstBreak?.Detail);
        Assert.Equal(1, verified.EntriesChecked); // only the second prune's record
    }

    [Fact]
    public async Task Prune_ByHand_WithoutARecord_BreaksTheChainAtItsStart()
    {
        await MigratedAsync();
        for (var i = 1; i <= 3; i++) await SaveDeliveredAsync($"old-{i}");
        await SaveDeliveredAsync("kept");

        var gone = $"SELECT alert_id FROM {Table("alert_chain")} WHERE host = '{KeepHost}' AND seq <= 3";
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_deliveries")} WHERE alert_id IN ({gone})");
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_history")} WHERE id IN ({gone})");
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_chain")} WHERE host = '{KeepHost}' AND seq <= 3");

        var verified = await VerifyHostAsync();
        Assert.Equal(ChainBreakKind.Gap, verified.FirstBreak?.Kind);
        Assert.Equal(1, verified.FirstBreak?.Seq);
    }

    [Theory]
    [InlineData("UPDATE {prunes} SET retention_days = 1", ChainBreakKind.HashMismatch)]
    [InlineData("UPDATE {prunes} SET pruned_through = 2", ChainBreakKind.Gap)] // the walk then expects entry 3, which was pruned
    [InlineData("DELETE FROM {prunes}", ChainBreakKind.Gap)]
    [InlineData("DELETE FROM {chain} WHERE kind = 'pruned'", ChainBreakKind.Gap)]
    public async Task Prune_RecordEditedOrRemovedAfterwards_BreaksTheChain(string sql, ChainBreakKind expected)
    {
        await MigratedAsync();
        for (var i = 1; i <= 3; i++) await SaveDeliveredAsync($"old-{i}");
        Time.Advance(TimeSpan.FromDays(40));
        await SaveDeliveredAsync("kept");
        await Store.PruneAsync(KeepHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);
        await SaveDeliveredAsync("after");
        Assert.True((await VerifyHostAsync()).IsIntact);

        await ExecuteSqlAsync(sql.Replace("{prunes}", Table("chain_prunes"), StringComparison.Ordinal).Replace("{chain}", Table("alert_chain"), StringComparison.Ordinal));

        var verified = await VerifyHostAsync();
        Assert.False(verified.IsIntact);
        Assert.Equal(expected, verified.FirstBreak?.Kind);
    }

    [Fact]
    public async Task Prune_OfASealedHistory_SealsAnchorAndRetentionCheckHold()
    {
        using var f = await SealedFixtureAsync(); // entries 1..12 over three epochs, 10 sealed
        Time.Advance(TimeSpan.FromDays(40));
        // The daemon seals every epoch; one stopped meanwhile seals the epochs it missed at its next start.
        await f.Sealer.SealAtStartAsync(CancellationToken.None);
        await Store.SaveAlertAsync(Incident("fp-seal-new", host: SealHost, title: "young"), SealHost, [], CancellationToken.None);
        await ExecuteSqlAsync($"UPDATE {Table("alert_deliveries")} SET status = 'delivered'");

        var outcome = await Store.PruneAsync(SealHost, 30, Time.GetUtcNow(), dryRun: false, CancellationToken.None);
        await f.Sealer.SealNowAsync(CancellationToken.None);

        Assert.Equal(12, outcome.Record?.PrunedThrough);
        Assert.True((await VerifyHostAsync(SealHost)).IsIntact);
        var seals = await HistoryChecks.SealsAsync(f.Key, Store, Time.GetUtcNow(), CancellationToken.None, SealingState.Load(f.StatePath), outcome.Record);
        Assert.Equal(CheckOutcome.Passed, seals.Outcome);
        var anchor = await HistoryChecks.AnchorAsync(SealHost, f.StatePath, Store, Store, CancellationToken.None, outcome.Record);
        Assert.Equal(CheckOutcome.Passed, anchor.Outcome);
        var retention = await HistoryChecks.RetentionAsync(f.Key, Store, outcome.Record, 30, CancellationToken.None);
        Assert.Equal(CheckOutcome.Passed, retention.Outcome);
        Assert.Contains("at least 40", retention.Detail);
        // The same prune judged by a configuration that keeps 90 days, or everything, fails.
        Assert.Equal(CheckOutcome.Failed, (await HistoryChecks.RetentionAsync(f.Key, Store, outcome.Record, 90, CancellationToken.None)).Outcome);
        Assert.Equal(CheckOutcome.Failed, (await HistoryChecks.RetentionAsync(f.Key, Store, outcome.Record, 0, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task Prune_OfFreshSealedEntries_CalledRetention_FailsTheRetentionCheck()
    {
        // An intruder cuts the newest evidence through the store's own prune, with a one-day period, and claims it
        // was retention: the links and the seals pass (it is a real prune), but the seals bound the entries' age.
        using var f = await SealedFixtureAsync();
        Time.Advance(TimeSpan.FromDays(2));
        await f.Sealer.SealAtStartAsync(CancellationToken.None);
        await ExecuteSqlAsync($"UPDATE {Table("alert_deliveries")} SET status = 'delivered'");

        var outcome = await Store.PruneAsync(SealHost, 1, Time.GetUtcNow(), dryRun: false, CancellationToken.None);
        await f.Sealer.SealNowAsync(CancellationToken.None);

        Assert.True((await VerifyHostAsync(SealHost)).IsIntact);
        var retention = await HistoryChecks.RetentionAsync(f.Key, Store, outcome.Record, 30, CancellationToken.None);
        Assert.Equal(CheckOutcome.Failed, retention.Outcome);
        Assert.Contains("younger than the 30 days", retention.Detail);
    }
}
