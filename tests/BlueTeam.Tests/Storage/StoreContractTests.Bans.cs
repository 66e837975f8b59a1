using BlueTeam.Response;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// The bans table (migration 10), on both backends.
public abstract partial class StoreContractTests
{
    private static NewBan NewBan(string target, string host = "h1", BanAction action = BanAction.Enforced, int minutes = 10) => new()
    {
        Host = host,
        Target = target,
        Rule = "ssh_brute_force",
        IncidentFingerprint = "fp-" + target,
        Reason = "SSH brute force from " + target + " 'quoted'; --",
        Evidence = "2026-03-02 10:00:00Z Failed password for root from " + target,
        By = "ssh_brute_force",
        Action = action,
        From = T0,
        Until = T0.AddMinutes(minutes),
    };

    [Fact]
    public async Task Bans_AddThenList_RoundTripsEveryField()
    {
        var bans = (IBanStore)await MigratedAsync();
        var added = await bans.AddBanAsync(NewBan("203.0.113.7"), default);
        var listed = Assert.Single(await bans.ListBansAsync(activeOnly: true, "h1", T0, default));
        Assert.Equal(added, listed);
        Assert.Equal(("203.0.113.7", "fp-203.0.113.7", BanAction.Enforced, T0.AddMinutes(10)), (listed.Target, listed.IncidentFingerprint, listed.Action, listed.Until));
        Assert.Contains("'quoted'; --", listed.Reason);
        Assert.Null(listed.LiftedAt);
    }

    [Fact]
    public async Task Bans_ActiveOnly_ExcludesEndedAndLifted_HostFilterSeparatesFleet()
    {
        var bans = (IBanStore)await MigratedAsync();
        await bans.AddBanAsync(NewBan("203.0.113.1"), default);
        await bans.AddBanAsync(NewBan("203.0.113.2", minutes: 1), default);
        await bans.AddBanAsync(NewBan("2001:db8::/64", host: "h2"), default);
        await bans.AddBanAsync(NewBan("203.0.113.3"), default);
        var lifted = await bans.LiftBansAsync("203.0.113.3", "ops", T0.AddMinutes(2), default);
        Assert.Equal("ops", Assert.Single(lifted).LiftedBy);

        var now = T0.AddMinutes(5);
        Assert.Equal(["203.0.113.1"], (await bans.ListBansAsync(true, "h1", now, default)).Select(b => b.Target));
        Assert.Equal(["203.0.113.1", "2001:db8::/64"], (await bans.ListBansAsync(true, null, now, default)).Select(b => b.Target));
        Assert.Equal(4, (await bans.ListBansAsync(false, null, now, default)).Count);
        Assert.Empty(await bans.LiftBansAsync("203.0.113.3", "ops", now, default)); // already lifted
    }

    [Fact]
    public async Task Bans_CountEnforced_CountsHistoryNotDryRunOrReported()
    {
        var bans = (IBanStore)await MigratedAsync();
        await bans.AddBanAsync(NewBan("203.0.113.7"), default);
        await bans.AddBanAsync(NewBan("203.0.113.7", minutes: 0), default);
        await bans.AddBanAsync(NewBan("203.0.113.7", action: BanAction.DryRun), default);
        await bans.AddBanAsync(NewBan("203.0.113.7", action: BanAction.Reported, minutes: 0), default);
        Assert.Equal(2, await bans.CountEnforcedBansAsync("203.0.113.7", default));
        Assert.Equal(0, await bans.CountEnforcedBansAsync("203.0.113.8", default));
    }
}
