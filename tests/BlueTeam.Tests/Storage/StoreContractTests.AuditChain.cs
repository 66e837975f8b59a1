using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// The tamper-evident chain: intact after every kind of legitimate change, broken by every kind of
// change made behind the store's back.
public abstract partial class StoreContractTests
{
    private const string HostA = "eqmon-web01";
    private const string HostB = "eqmon-db01";

    /// <summary>Two alerts on host A (the first updated twice), one on host B: six entries on A, one on B.</summary>
    private async Task<(long First, long Second, long OnB)> ChainFixtureAsync()
    {
        var store = await MigratedAsync();
        var first = await store.SaveAlertAsync(Incident("fp-chain-1"), HostA, ["syslog"], CancellationToken.None);
        var second = await store.SaveAlertAsync(Incident("fp-chain-2", ruleName: "sudo_abuse"), HostA, ["email"], CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(1));
        await store.SaveAlertAsync(Incident("fp-chain-1", eventCount: 9, lastSeen: T0.AddMinutes(1)), HostA, ["syslog"], CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(1));
        await store.SaveAlertAsync(Incident("fp-chain-1", Severity.Critical, eventCount: 30, lastSeen: T0.AddMinutes(2)), HostA, ["syslog"], CancellationToken.None);
        var onB = await store.SaveAlertAsync(Incident("fp-chain-b", host: HostB), HostB, ["syslog"], CancellationToken.None);
        return (first.AlertId, second.AlertId, onB.AlertId);
    }

    private async Task<ChainVerification> VerifyAsync(string host) =>
        Assert.Single(await Store.VerifyChainAsync(host, CancellationToken.None));

    [Fact]
    public async Task VerifyChainAsync_CleanChainWithUpdates_IsIntactPerHost()
    {
        await ChainFixtureAsync();

        var results = await Store.VerifyChainAsync(null, CancellationToken.None);

        Assert.Equal([HostB, HostA], results.Select(r => r.Host));
        Assert.All(results, r => Assert.True(r.IsIntact, r.FirstBreak?.Detail));
        var a = results.Single(r => r.Host == HostA);
        Assert.Equal(4, a.EntriesChecked);
        Assert.Equal(4, a.Head?.Seq);
        Assert.Equal(a.Head, await Store.GetChainHeadAsync(HostA, CancellationToken.None));
        Assert.Equal(1, results.Single(r => r.Host == HostB).EntriesChecked);
    }

    [Fact]
    public async Task SaveAlertAsync_Update_AdvancesTheHeadToANewHash()
    {
        var store = await MigratedAsync();
        await store.SaveAlertAsync(Incident("fp-head"), HostA, [], CancellationToken.None);
        var before = await store.GetChainHeadAsync(HostA, CancellationToken.None);

        Time.Advance(TimeSpan.FromSeconds(5));
        await store.SaveAlertAsync(Incident("fp-head", eventCount: 6), HostA, [], CancellationToken.None);
        var after = await store.GetChainHeadAsync(HostA, CancellationToken.None);

        Assert.Equal(1, before?.Seq);
        Assert.Equal(2, after?.Seq);
        Assert.NotEqual(before?.Hash, after?.Hash);
        Assert.Matches("^[0-9a-f]{64}$", after!.Hash);
    }

    [Fact]
    public async Task GetChainHeadAsync_HostWithoutAlerts_ReturnsNull()
    {
        var store = await MigratedAsync();

        Assert.Null(await store.GetChainHeadAsync("never-seen", CancellationToken.None));
    }

    [Fact]
    public async Task VerifyChainAsync_SubMicrosecondTimestamps_StaysIntact()
    {
        var store = await MigratedAsync();
        var odd = T0.AddTicks(1_234_567);
        Time.Advance(TimeSpan.FromTicks(7_654_321));

        await store.SaveAlertAsync(Incident("fp-ticks", firstSeen: odd, lastSeen: odd.AddTicks(3)), HostA, [], CancellationToken.None);

        var result = await VerifyAsync(HostA);
        Assert.True(result.IsIntact, result.FirstBreak?.Detail);
    }

    [Fact]
    public async Task VerifyChainAsync_PastAlertTitleEditedBySql_ReportsTheAlertEdited()
    {
        var (first, _, _) = await ChainFixtureAsync();

        await ExecuteSqlAsync($"UPDATE {Table("alert_history")} SET title = 'nothing to see here' WHERE id = {first}");

        var result = await VerifyAsync(HostA);
        var broken = Assert.IsType<ChainBreak>(result.FirstBreak);
        Assert.Equal(ChainBreakKind.AlertEdited, broken.Kind);
        Assert.Equal(first, broken.AlertId);
        Assert.Equal(4, broken.Seq); // the last entry about that alert
        Assert.Contains("title", broken.Detail);
        Assert.True((await VerifyAsync(HostB)).IsIntact);
    }

    [Fact]
    public async Task VerifyChainAsync_IncidentJsonEditedBySql_ReportsTheAlertEdited()
    {
        var (_, second, _) = await ChainFixtureAsync();

        await ExecuteSqlAsync($"UPDATE {Table("alert_history")} SET incident_json = replace(incident_json, '203.0.113.7', '198.51.100.1') WHERE id = {second}");

        var broken = Assert.IsType<ChainBreak>((await VerifyAsync(HostA)).FirstBreak);
        Assert.Equal(ChainBreakKind.AlertEdited, broken.Kind);
        Assert.Equal(second, broken.AlertId);
        Assert.Contains("incident_json", broken.Detail);
    }

    [Fact]
    public async Task VerifyChainAsync_AlertRowDeletedBySql_ReportsTheAlertDeleted()
    {
        var (_, second, _) = await ChainFixtureAsync();

        await ExecuteSqlAsync($"DELETE FROM {Table("alert_deliveries")} WHERE alert_id = {second}");
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_history")} WHERE id = {second}");

        var broken = Assert.IsType<ChainBreak>((await VerifyAsync(HostA)).FirstBreak);
        Assert.Equal(ChainBreakKind.AlertDeleted, broken.Kind);
        Assert.Equal(second, broken.AlertId);
        Assert.Equal(2, broken.Seq);
    }

    [Fact]
    public async Task VerifyChainAsync_ChainEntryDeletedBySql_ReportsTheGap()
    {
        await ChainFixtureAsync();

        await ExecuteSqlAsync($"DELETE FROM {Table("alert_chain")} WHERE host = '{HostA}' AND seq = 3");

        var result = await VerifyAsync(HostA);
        var broken = Assert.IsType<ChainBreak>(result.FirstBreak);
        Assert.Equal(ChainBreakKind.Gap, broken.Kind);
        Assert.Equal(3, broken.Seq);
        Assert.Equal(2, result.EntriesChecked);
    }

    [Fact]
    public async Task VerifyChainAsync_RowAndItsChainEntryEditedTogether_ReportsTheHashMismatch()
    {
        var (first, _, _) = await ChainFixtureAsync();

        // A careful forger edits the row and the entry about it alike; the entry's hash gives it away.
        await ExecuteSqlAsync($"UPDATE {Table("alert_history")} SET event_count = 1 WHERE id = {first}");
        await ExecuteSqlAsync($"UPDATE {Table("alert_chain")} SET event_count = 1 WHERE host = '{HostA}' AND seq = 4");

        var broken = Assert.IsType<ChainBreak>((await VerifyAsync(HostA)).FirstBreak);
        Assert.Equal(ChainBreakKind.HashMismatch, broken.Kind);
        Assert.Equal(4, broken.Seq);
        Assert.Equal(first, broken.AlertId);
    }

    [Fact]
    public async Task VerifyChainAsync_ChainEntryReplacedWithRecomputedHash_ReportsTheBrokenLink()
    {
        await ChainFixtureAsync();

        // Rewriting entry 2's hash (as a forger recomputing it would) breaks entry 3's link to it.
        await ExecuteSqlAsync($"UPDATE {Table("alert_chain")} SET entry_hash = '{new string('a', 64)}' WHERE host = '{HostA}' AND seq = 2");

        var broken = Assert.IsType<ChainBreak>((await VerifyAsync(HostA)).FirstBreak);
        Assert.Equal(2, broken.Seq);
        Assert.Equal(ChainBreakKind.HashMismatch, broken.Kind);
    }

    [Fact]
    public async Task VerifyChainAsync_ChainRowsOfAnAlertAllDeleted_ReportsTheRowAsNotChained()
    {
        var (_, _, onB) = await ChainFixtureAsync();

        await ExecuteSqlAsync($"DELETE FROM {Table("alert_chain")} WHERE host = '{HostB}'");

        var broken = Assert.IsType<ChainBreak>((await VerifyAsync(HostB)).FirstBreak);
        Assert.Equal(ChainBreakKind.AlertNotChained, broken.Kind);
        Assert.Equal(onB, broken.AlertId);
        Assert.Null(broken.Seq);
    }

    [Fact]
    public async Task SaveAlertAsync_TwoProcessesWritingOneHostAtOnce_ChainHasNoForkAndNoGap()
    {
        var store = await MigratedAsync();
        await using var other = OpenSameDatabase(Time);

        await Task.WhenAll(
            Task.WhenAll(Enumerable.Range(0, 15).Select(i => store.SaveAlertAsync(Incident($"fp-race-a{i}"), HostA, ["syslog"], CancellationToken.None))),
            Task.WhenAll(Enumerable.Range(0, 15).Select(i => other.SaveAlertAsync(Incident($"fp-race-b{i}"), HostA, ["syslog"], CancellationToken.None))),
            Task.WhenAll(Enumerable.Range(0, 5).Select(_ => other.SaveAlertAsync(Incident("fp-race-shared"), HostA, ["syslog"], CancellationToken.None))));

        var result = await VerifyAsync(HostA);
        Assert.True(result.IsIntact, result.FirstBreak?.Detail);
        Assert.Equal(35, result.EntriesChecked);
        Assert.Equal(35, result.Head?.Seq);
    }

    [Fact]
    public async Task MigrateAsync_AlertsStoredBeforeTheChain_SealsThemInIdOrder()
    {
        await ((AdoStore)Store).MigrateAsync(1, CancellationToken.None);
        foreach (var fp in new[] { "fp-old-1", "fp-old-2" })
        {
            await ExecuteSqlAsync($"""
                INSERT INTO {Table("alert_history")} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                    nist_controls, cui_involved, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
                VALUES ('{fp}', '{HostA}', 'BT-OLD', 'old_rule', 'low', 'old', 'old', 'old_rule', '3.3.1', '1', 3,
                    '2025-01-01T00:00:00.0000000Z', '2025-01-01T00:00:00.0000000Z', '2025-01-01T00:00:00.0000000Z',
                    '2025-01-01T00:00:00.0000000Z', '{EcsJson.Serialize(Incident(fp)).Replace("'", "''", StringComparison.Ordinal)}')
                """);
        }

        var applied = await Store.MigrateAsync(CancellationToken.None);

        Assert.Contains(4, applied);
        var result = await VerifyAsync(HostA);
        Assert.True(result.IsIntact, result.FirstBreak?.Detail);
        Assert.Equal(2, result.EntriesChecked);
        await Store.SaveAlertAsync(Incident("fp-old-1", eventCount: 8), HostA, [], CancellationToken.None);
        Assert.Equal(3, (await VerifyAsync(HostA)).EntriesChecked);
    }
}
