using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// What a fleet sharing one database needs: host_silent raised once, backlog per host, and the
// spool handing the engine's noise-control calls through.
public abstract partial class StoreContractTests
{
    private static Heartbeat Beat(string host, DateTimeOffset at) => new() { Host = host, Version = "0.3.0", StartedAt = T0.AddHours(-1), LastBeat = at };

    [Fact]
    public async Task ClaimSilentHostsAsync_SilentHosts_ReturnsEachEpisodeOnceAndANewOneAfterItBeatsAgain()
    {
        var store = await MigratedAsync();
        await store.UpsertHeartbeatAsync(Beat("web01", T0), CancellationToken.None);
        await store.UpsertHeartbeatAsync(Beat("web02", T0.AddMinutes(9)), CancellationToken.None);
        await store.UpsertHeartbeatAsync(Beat("db01", T0.AddMinutes(1)), CancellationToken.None);
        await store.UpsertHeartbeatAsync(Beat("me", T0), CancellationToken.None);

        var first = await store.ClaimSilentHostsAsync(T0.AddMinutes(5), "me", excludeHost: "me", CancellationToken.None);
        var again = await store.ClaimSilentHostsAsync(T0.AddMinutes(6), "me", excludeHost: "me", CancellationToken.None);

        Assert.Equal([new SilentHost("db01", T0.AddMinutes(1), "0.3.0"), new SilentHost("web01", T0, "0.3.0")], first);
        Assert.Empty(again);

        // web01 comes back, then goes quiet again: a new episode.
        await store.UpsertHeartbeatAsync(Beat("web01", T0.AddMinutes(20)), CancellationToken.None);
        Assert.Equal([new SilentHost("web02", T0.AddMinutes(9), "0.3.0")],
            await store.ClaimSilentHostsAsync(T0.AddMinutes(15), "me", "me", CancellationToken.None));
        Assert.Equal([new SilentHost("web01", T0.AddMinutes(20), "0.3.0")],
            await store.ClaimSilentHostsAsync(T0.AddMinutes(30), "me", "me", CancellationToken.None));
        Assert.Equal([new SilentHost("me", T0, "0.3.0")], await store.ClaimSilentHostsAsync(T0.AddMinutes(30), "other", null, CancellationToken.None));
    }

    [Fact]
    public async Task ClaimSilentHostsAsync_TwoDaemonsRacing_EachSilentHostGoesToExactlyOne()
    {
        var store = await MigratedAsync();
        await using var other = OpenSameDatabase(Time);
        var hosts = Enumerable.Range(0, 40).Select(i => $"host{i:00}").ToList();
        foreach (var (host, i) in hosts.Select((h, i) => (h, i)))
            await store.UpsertHeartbeatAsync(Beat(host, T0.AddSeconds(i)), CancellationToken.None);

        // Both daemons sweep repeatedly while the threshold moves past the hosts' beats one by one.
        async Task<List<string>> Sweep(IBlueTeamStore daemon, string name)
        {
            var mine = new List<string>();
            for (var i = 0; i <= hosts.Count; i++)
                mine.AddRange((await daemon.ClaimSilentHostsAsync(T0.AddSeconds(i), name, null, CancellationToken.None)).Select(h => h.Host));
            return mine;
        }
        var results = await Task.WhenAll(Sweep(store, "a"), Sweep(other, "b"), Sweep(store, "c"), Sweep(other, "d"));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(hosts, all.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetOutboxBacklogByHostAsync_PendingRowsOfSeveralHosts_CountsPerHostAndChannel()
    {
        var store = await MigratedAsync();
        await store.SaveAlertAsync(Incident("fp-h1"), HostA, ["email", "syslog"], CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(1));
        var b = await store.SaveAlertAsync(Incident("fp-h2"), HostB, ["syslog"], CancellationToken.None);
        await ((INotificationLog)store).EnqueueDeliveriesAsync(b.AlertId, ["syslog"], NotifyReason.Repeat, Severity.High, 9, T0.AddMinutes(5), CancellationToken.None);
        var delivered = (await store.GetDeliveriesAsync(b.AlertId, CancellationToken.None))[0];
        await store.RecordDeliveryAttemptAsync(delivered.Id, DeliveryStatus.Delivered, null, T0.AddMinutes(1), null, CancellationToken.None);

        var backlog = await store.GetOutboxBacklogByHostAsync(CancellationToken.None);

        Assert.Equal(
            new[] { new HostChannelBacklog(HostA, "email", 1, T0), new HostChannelBacklog(HostA, "syslog", 1, T0), new HostChannelBacklog(HostB, "syslog", 1, T0.AddMinutes(5)) }
                .OrderBy(x => x.Host, StringComparer.Ordinal).ThenBy(x => x.Channel, StringComparer.Ordinal),
            backlog);
    }

    [Fact]
    public async Task SpoolingAlertStore_NoiseControl_PassesThroughAndSurvivesAnOutage()
    {
        try
        {
            await MigratedAsync();
            await using var daemonStore = OpenSameDatabase(Time);
            using var spooling = Spooling(daemonStore);
            var silence = await daemonStore.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);
            var saved = await spooling.SaveAlertAsync(Incident("fp-spool-noise"), HostA, ["syslog"], CancellationToken.None);
            await spooling.EnqueueDeliveriesAsync(saved.AlertId, ["email"], NotifyReason.SeverityRose, Severity.Critical, 6, T0, CancellationToken.None);
            await spooling.MarkSilencedAsync(saved.AlertId, silence.Id, CancellationToken.None);
            Assert.Equal(["email", "syslog"], (await spooling.GetLastNotificationsAsync(saved.AlertId, CancellationToken.None)).Select(n => n.Channel).Order(StringComparer.Ordinal));
            Assert.Null(await spooling.GetAckAsync(saved.AlertId, CancellationToken.None));
            Assert.Equal([silence.Id], (await spooling.GetActiveSilencesAsync(T0, CancellationToken.None)).Select(s => s.Id));

            await BreakStoreAsync();
            // Down: the engine still learns the silences it last saw (so the incident reaches the
            // spool), and marking a spooled save is a no-op rather than a failure.
            Assert.Equal([silence.Id], (await spooling.GetActiveSilencesAsync(T0.AddMinutes(30), CancellationToken.None)).Select(s => s.Id));
            Assert.Empty(await spooling.GetActiveSilencesAsync(T0.AddHours(2), CancellationToken.None));
            var spooled = await spooling.SaveAlertAsync(Incident("fp-spool-noise-2"), HostA, [], CancellationToken.None);
            await spooling.MarkSilencedAsync(spooled.AlertId, silence.Id, CancellationToken.None);
            await RestoreStoreAsync();

            await using var reader = OpenSameDatabase(Time);
            Assert.Equal(silence.Id, (await reader.GetTriageAsync(saved.AlertId, CancellationToken.None))?.SilenceId);
        }
        finally
        {
            if (Directory.Exists(_spoolDirectory)) Directory.Delete(_spoolDirectory, recursive: true);
        }
    }
}
