using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// Silences and acks kept in memory by the daemon (NoiseControlCache over the store, as SpoolingAlertStore builds
// it) while another process (the CLI, another host) changes them through its own store on the same database.
public abstract partial class StoreContractTests
{
    private static NoiseControlCache CacheOver(IBlueTeamStore store) =>
        new(Silences(store), Acks(store), Assert.IsAssignableFrom<INoiseControlChanges>(store));

    [Fact]
    public async Task NoiseControlCache_SilenceAddedByAnotherProcess_AppliesFromTheNextRead()
    {
        var daemon = await MigratedAsync();
        await using var cli = OpenSameDatabase(Time);
        var cache = CacheOver(daemon);
        Assert.Empty(await cache.GetActiveSilencesAsync(T0, CancellationToken.None));
        Assert.Empty(await cache.GetActiveSilencesAsync(T0.AddSeconds(1), CancellationToken.None));
        Assert.Equal(1, cache.SilenceReloads);

        var added = await cli.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);

        var active = Assert.Single(await cache.GetActiveSilencesAsync(T0.AddSeconds(2), CancellationToken.None));
        Assert.Equal((added.Id, "ssh_brute_force"), (active.Id, active.RuleName));
        Assert.Equal(2, cache.SilenceReloads);
        Assert.Single(await cache.GetActiveSilencesAsync(T0.AddSeconds(3), CancellationToken.None));
        Assert.Equal(2, cache.SilenceReloads);
    }

    [Fact]
    public async Task NoiseControlCache_SilenceExpiredByAnotherProcess_StopsApplyingFromTheNextRead()
    {
        var daemon = await MigratedAsync();
        await using var cli = OpenSameDatabase(Time);
        var added = await cli.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);
        var cache = CacheOver(daemon);
        Assert.Single(await cache.GetActiveSilencesAsync(T0.AddMinutes(1), CancellationToken.None));

        Time.SetUtcNow(T0.AddMinutes(2));
        Assert.Equal(SilenceExpiry.Expired, await cli.ExpireSilenceAsync(added.Id, CancellationToken.None));

        Assert.Empty(await cache.GetActiveSilencesAsync(T0.AddMinutes(3), CancellationToken.None));
    }

    [Fact]
    public async Task NoiseControlCache_SilenceStartingLater_AppliesOnTimeWithoutAnotherRead()
    {
        var daemon = await MigratedAsync();
        await using var cli = OpenSameDatabase(Time);
        await cli.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0.AddHours(1), EndsAt = T0.AddHours(2), CreatedBy = "alice", Reason = "window" }, CancellationToken.None);
        var cache = CacheOver(daemon);

        Assert.Empty(await cache.GetActiveSilencesAsync(T0, CancellationToken.None));
        Assert.Single(await cache.GetActiveSilencesAsync(T0.AddHours(1), CancellationToken.None));
        Assert.Empty(await cache.GetActiveSilencesAsync(T0.AddHours(2), CancellationToken.None));
        Assert.Equal(1, cache.SilenceReloads);
    }

    [Fact]
    public async Task NoiseControlCache_AlertAcknowledgedByAnotherProcess_SeenAfterTheNextSilencesRead()
    {
        var daemon = await MigratedAsync();
        await using var cli = OpenSameDatabase(Time);
        var saved = await daemon.SaveAlertAsync(Incident("fp-cache-ack"), HostA, ["syslog"], CancellationToken.None);
        var cache = CacheOver(daemon);
        await cache.GetActiveSilencesAsync(T0, CancellationToken.None);
        Assert.Null(await cache.GetAckAsync(saved.AlertId, CancellationToken.None));

        Time.SetUtcNow(T0.AddMinutes(5));
        await cli.AckAlertAsync(saved.AlertId, "alice", "mine", CancellationToken.None);
        Assert.Null(await cache.GetAckAsync(saved.AlertId, CancellationToken.None)); // as of the batch's start

        await cache.GetActiveSilencesAsync(T0.AddMinutes(6), CancellationToken.None);
        var ack = await cache.GetAckAsync(saved.AlertId, CancellationToken.None);
        Assert.Equal(new AlertAck(saved.AlertId, "alice", T0.AddMinutes(5), Severity.High), ack);

        // A second alert acknowledged: the count moves even if the clock did not.
        var other = await daemon.SaveAlertAsync(Incident("fp-cache-ack-2"), HostA, ["syslog"], CancellationToken.None);
        await cache.GetActiveSilencesAsync(T0.AddMinutes(6), CancellationToken.None);
        Assert.Null(await cache.GetAckAsync(other.AlertId, CancellationToken.None));
        await cli.AckAlertAsync(other.AlertId, "bob", null, CancellationToken.None);
        await cache.GetActiveSilencesAsync(T0.AddMinutes(7), CancellationToken.None);
        Assert.Equal("bob", (await cache.GetAckAsync(other.AlertId, CancellationToken.None))?.By);
    }

    [Fact]
    public async Task SpoolingAlertStore_SilenceAddedWithTheCli_HoldsBackTheDaemonsNextBatch()
    {
        var store = await MigratedAsync();
        await using var cli = OpenSameDatabase(Time);
        var spoolDirectory = Directory.CreateTempSubdirectory("blueteam-spool-");
        try
        {
            using var spool = new SpoolingAlertStore(store, Path.Combine(spoolDirectory.FullName, "spool.jsonl"), Time);
            var options = new BlueTeam.Core.Config.AlertingOptions();
            options.Syslog.Enabled = true;
            var engine = new AlertEngine(new AlertRouter(options, ["syslog"]), spool, HostA, options, Time, spool, spool, spool);
            var first = await engine.RaiseAllAsync([Incident("fp-spool-cache-1")], CancellationToken.None);
            Assert.Null(first[0].SilencedBy);

            var silence = await cli.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);
            var next = await engine.RaiseAllAsync([Incident("fp-spool-cache-2")], CancellationToken.None);

            Assert.Equal(silence.Id, next[0].SilencedBy);
            Assert.Empty(await store.GetDeliveriesAsync(next[0].AlertId, CancellationToken.None));
        }
        finally
        {
            spoolDirectory.Delete(recursive: true);
        }
    }
}
