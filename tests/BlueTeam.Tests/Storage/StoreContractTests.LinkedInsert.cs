using BlueTeam.Core.Events;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// New alerts are written with their chain link in the insert itself (the id drawn first), so the state linked is
// computed by the writer, not read back: it must be the state the database keeps, whatever time the incident says.
public abstract partial class StoreContractTests
{
    public static TheoryData<string, DateTimeOffset> AttackerTimes() => new()
    {
        // Sub-microsecond ticks: PostgreSQL keeps microseconds, SQLite 100 ns ticks.
        { "ticks", T0.AddTicks(1_234_567) },
        // Before PostgreSQL's epoch (2000-01-01) the microseconds count is negative: rounding toward zero would go up.
        { "before 2000", new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999) },
        { "1970", DateTimeOffset.UnixEpoch.AddTicks(3) },
        // The extremes a JSON timestamp can parse to; the driver maps them to ±infinity or not at all.
        { "max", DateTimeOffset.MaxValue },
        { "min", DateTimeOffset.MinValue },
        { "offset", new DateTimeOffset(2026, 3, 10, 23, 59, 59, TimeSpan.FromHours(-11)).AddTicks(5) },
    };

    [Theory]
    [MemberData(nameof(AttackerTimes))]
    public async Task SaveAlertsAsync_NewAlertsAtTimesTheLogChose_AreLinkedAsStoredAndTheChainVerifies(string name, DateTimeOffset at)
    {
        var store = await MigratedAsync();
        var saves = new[]
        {
            Save(Incident($"fp-time-{name}-1", firstSeen: at, lastSeen: at), HostA, "email"),
            Save(Incident($"fp-time-{name}-2", firstSeen: T0, lastSeen: at), HostA, "syslog"),
            Save(Incident($"fp-time-{name}-3", firstSeen: at, lastSeen: T0), HostA),
        };

        var created = await store.SaveAlertsAsync(saves, CancellationToken.None);
        // Then each updated in a batch of its own, and a new one after: both paths over the same rows.
        var updated = await store.SaveAlertsAsync(
            [Save(saves[0].Incident with { EventCount = 9 }, HostA, "email"), Save(Incident($"fp-time-{name}-4", firstSeen: at, lastSeen: at), HostA)],
            CancellationToken.None);

        Assert.Equal([true, true, true], created.Select(r => r.IsNew));
        Assert.Equal([false, true], updated.Select(r => r.IsNew));
        var chain = Assert.Single(await store.VerifyChainAsync(HostA, CancellationToken.None));
        Assert.True(chain.IsIntact, $"{name}: {chain.FirstBreak}");
        Assert.Equal(5, chain.EntriesChecked);
    }
}
