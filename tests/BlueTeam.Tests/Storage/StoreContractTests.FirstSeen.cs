using BlueTeam.Correlation;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// The first-seen memory: in memory for the correlator, written behind to the store.
public abstract partial class StoreContractTests
{
    private const string Rule = "ssh_login_new_source";

    [Fact]
    public async Task PersistentFirstSeenStore_FlushedThenReopened_ValuesSeenBeforeAreKnown()
    {
        var store = await MigratedAsync();
        var memory = await PersistentFirstSeenStore.LoadAsync(store);

        Assert.Equal(FirstSeenResult.NewKey, memory.Observe(Rule, "root", "203.0.113.7", T0));
        Assert.Equal(FirstSeenResult.Known, memory.Observe(Rule, "root", "203.0.113.7", T0.AddMinutes(1)));
        Assert.Equal(FirstSeenResult.NewValue, memory.Observe(Rule, "root", "198.51.100.9", T0.AddMinutes(2)));
        Assert.Equal(FirstSeenResult.NewKey, memory.Observe("other_rule", "root", "203.0.113.7", T0.AddMinutes(3)));
        Assert.Equal(3, memory.PendingWrites);
        Assert.Equal(3, await memory.FlushAsync(CancellationToken.None));
        Assert.Equal(0, await memory.FlushAsync(CancellationToken.None));

        await using var restarted = OpenSameDatabase(Time);
        var reloaded = await PersistentFirstSeenStore.LoadAsync(restarted);

        Assert.Equal(3, reloaded.Count);
        Assert.Equal(FirstSeenResult.Known, reloaded.Observe(Rule, "root", "203.0.113.7", T0.AddDays(1)));
        Assert.Equal(FirstSeenResult.Known, reloaded.Observe(Rule, "root", "198.51.100.9", T0.AddDays(1)));
        Assert.Equal(FirstSeenResult.NewValue, reloaded.Observe(Rule, "root", "192.0.2.1", T0.AddDays(1)));
        Assert.Equal(FirstSeenResult.NewKey, reloaded.Observe(Rule, "alice", "203.0.113.7", T0.AddDays(1)));
        Assert.Equal(0, reloaded.DroppedWrites);
    }

    [Fact]
    public async Task SaveFirstSeenAsync_PairAgain_KeepsTheFirstTime()
    {
        var store = await MigratedAsync();

        await store.SaveFirstSeenAsync([new FirstSeenPair(Rule, "root", "203.0.113.7", T0.AddHours(1))], CancellationToken.None);
        await store.SaveFirstSeenAsync([new FirstSeenPair(Rule, "root", "203.0.113.7", T0), new FirstSeenPair(Rule, "root", "10.0.0.1", T0)], CancellationToken.None);

        Assert.Equal([new FirstSeenPair(Rule, "root", "203.0.113.7", T0.AddHours(1)), new FirstSeenPair(Rule, "root", "10.0.0.1", T0)],
            await store.LoadFirstSeenAsync(10, CancellationToken.None));
        Assert.Equal([new FirstSeenPair(Rule, "root", "203.0.113.7", T0.AddHours(1))], await store.LoadFirstSeenAsync(1, CancellationToken.None));
        Assert.Equal(2, (await store.GetFirstSeenAsync(Rule, "root", CancellationToken.None)).Count);
        Assert.Empty(await store.GetFirstSeenAsync(Rule, "alice", CancellationToken.None));
    }

    [Fact]
    public async Task PersistentFirstSeenStore_PastTheCap_ForgetsTheLeastRecentlyObservedPair()
    {
        var store = await MigratedAsync();
        var memory = await PersistentFirstSeenStore.LoadAsync(store, maxPairs: 2);
        memory.Observe(Rule, "root", "a", T0);
        memory.Observe(Rule, "root", "b", T0);
        Assert.Equal(FirstSeenResult.Known, memory.Observe(Rule, "root", "a", T0)); // a is now the most recent

        Assert.Equal(FirstSeenResult.NewValue, memory.Observe(Rule, "root", "c", T0)); // forgets b

        Assert.Equal(2, memory.Count);
        Assert.Equal(FirstSeenResult.Known, memory.Observe(Rule, "root", "a", T0));
        Assert.Equal(FirstSeenResult.NewValue, memory.Observe(Rule, "root", "b", T0)); // reported new again: errs on alerting
        await memory.FlushAsync(CancellationToken.None);
        Assert.Equal(3, (await store.LoadFirstSeenAsync(10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task PersistentFirstSeenStore_ReopenedWithSmallerCap_LoadsTheMostRecentlyFirstSeen()
    {
        var store = await MigratedAsync();
        await store.SaveFirstSeenAsync(
            [new FirstSeenPair(Rule, "root", "old", T0), new FirstSeenPair(Rule, "root", "mid", T0.AddHours(1)), new FirstSeenPair(Rule, "root", "new", T0.AddHours(2))],
            CancellationToken.None);

        var memory = await PersistentFirstSeenStore.LoadAsync(store, maxPairs: 2);

        Assert.Equal(FirstSeenResult.Known, memory.Observe(Rule, "root", "new", T0.AddHours(3)));
        Assert.Equal(FirstSeenResult.Known, memory.Observe(Rule, "root", "mid", T0.AddHours(3)));
        Assert.Equal(FirstSeenResult.NewValue, memory.Observe(Rule, "root", "old", T0.AddHours(3)));
    }

    [Fact]
    public async Task PersistentFirstSeenStore_StoreDownAtFlush_KeepsThePairsAndWritesThemOnceBack()
    {
        await MigratedAsync();
        await using var daemonStore = OpenSameDatabase(Time);
        var memory = await PersistentFirstSeenStore.LoadAsync(daemonStore);
        memory.Observe(Rule, "root", "203.0.113.7", T0);
        await BreakStoreAsync();
        memory.Observe(Rule, "root", "198.51.100.9", T0.AddMinutes(1));

        await Assert.ThrowsAsync<StoreException>(() => memory.FlushAsync(CancellationToken.None));
        memory.Observe(Rule, "alice", "192.0.2.1", T0.AddMinutes(2));
        Assert.Equal(3, memory.PendingWrites);

        await RestoreStoreAsync();
        // The daemon flushes every cycle; connections cut by the outage may fail the first one.
        var written = 0;
        for (var attempt = 0; attempt < 3 && memory.PendingWrites > 0; attempt++)
        {
            try
            {
                written += await memory.FlushAsync(CancellationToken.None);
            }
            catch (StoreException) when (attempt < 2)
            {
                Assert.Equal(3, memory.PendingWrites);
            }
        }

        Assert.Equal(3, written);
        Assert.Equal(0, memory.PendingWrites);
        await using var reader = OpenSameDatabase(Time);
        Assert.Equal(["192.0.2.1", "198.51.100.9", "203.0.113.7"],
            (await reader.LoadFirstSeenAsync(10, CancellationToken.None)).Select(p => p.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PersistentFirstSeenStore_PendingQueueFull_DropsTheOldestAndCountsIt()
    {
        var store = await MigratedAsync();
        var memory = await PersistentFirstSeenStore.LoadAsync(store, maxPendingWrites: 2);

        memory.Observe(Rule, "root", "a", T0);
        memory.Observe(Rule, "root", "b", T0);
        memory.Observe(Rule, "root", "c", T0);

        Assert.Equal((2, 1L), (memory.PendingWrites, memory.DroppedWrites));
        Assert.Equal(FirstSeenResult.Known, memory.Observe(Rule, "root", "a", T0)); // still known until restart
        await memory.FlushAsync(CancellationToken.None);
        Assert.Equal(["b", "c"], (await store.LoadFirstSeenAsync(10, CancellationToken.None)).Select(p => p.Value).Order(StringComparer.Ordinal));
    }
}
