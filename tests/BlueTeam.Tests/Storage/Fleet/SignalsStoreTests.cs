using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>Fleet signals, the election and the correlator's durable state on a real PostgreSQL.</summary>
public class SignalsStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
    private SignalsTestDatabase _db = null!;
    private SignalsStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await SignalsTestDatabase.CreateAsync();
        _store = new SignalsStore(_db.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static FleetSignal Signal(string host, string source = "203.0.113.7", string? user = "root", int failures = 3) =>
        new(0, host, T0, source, user, failures);

    [Fact]
    public async Task Publish_ThenLeaderReadsAfterCursor_EverySignalOnceInOrder_UserTextKeptAsIs()
    {
        const string hostile = "root'; DROP TABLE blueteam.fleet_signals; --\u001b[31m";
        await _store.PublishAsync([Signal("web01"), Signal("web02", user: hostile), Signal("web03", source: "2001:db8::/64", user: null)], CancellationToken.None);
        await using var leader = await _store.TryLeadAsync("leader", CancellationToken.None);
        Assert.NotNull(leader);

        var first = await leader.ReadAfterAsync(0, 2, CancellationToken.None);
        var rest = await leader.ReadAfterAsync(first[^1].Id, 100, CancellationToken.None);

        var all = first.Concat(rest).ToList();
        Assert.Equal(["web01", "web02", "web03"], all.Select(s => s.Host));
        Assert.Equal(hostile, all[1].User);
        Assert.Null(all[2].User);
        Assert.Equal("2001:db8::/64", all[2].Source);
        Assert.Equal(T0, all[0].Bucket);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Id < p.Second.Id));
    }

    [Fact]
    public async Task Election_OneLeaderAtATime_FreedWhenTheSessionEnds()
    {
        var first = await _store.TryLeadAsync("a", CancellationToken.None);
        Assert.NotNull(first);
        Assert.Null(await _store.TryLeadAsync("b", CancellationToken.None));

        await first.DisposeAsync(); // the leader's session ends (as when its process dies)
        await using var second = await _store.TryLeadAsync("b", CancellationToken.None);
        Assert.NotNull(second);
    }

    [Fact]
    public async Task Leader_NotifiedOnPublish()
    {
        await using var leader = await _store.TryLeadAsync("a", CancellationToken.None);
        Assert.NotNull(leader);
        Assert.False(await leader.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        await _store.PublishAsync([Signal("web01")], CancellationToken.None);
        Assert.True(await leader.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
    }

    [Fact]
    public async Task Cursor_AndEpisodes_SurviveTheLeader_NextLeaderContinues()
    {
        await _store.PublishAsync([Signal("web01"), Signal("web02")], CancellationToken.None);
        var episode = new FleetEpisode("fleet_ssh_spray", "203.0.113.7", T0, T0.AddMinutes(1), "fp1",
            new Dictionary<string, long> { ["web01"] = 3, ["web02"] = 3 }, "a", Raised: false);
        await using (var a = await _store.TryLeadAsync("a", CancellationToken.None))
        {
            Assert.NotNull(a);
            Assert.Equal(0, await a.ReadCursorAsync(CancellationToken.None));
            var read = await a.ReadAfterAsync(0, 100, CancellationToken.None);
            await a.CommitAsync(read[^1].Id, [episode], CancellationToken.None);
        }
        await _store.PublishAsync([Signal("web03")], CancellationToken.None); // while no one leads

        await using var b = await _store.TryLeadAsync("b", CancellationToken.None);
        Assert.NotNull(b);
        var cursor = await b.ReadCursorAsync(CancellationToken.None);
        Assert.Equal(["web03"], (await b.ReadAfterAsync(cursor, 100, CancellationToken.None)).Select(s => s.Host));
        Assert.Equal(["web01", "web02"], (await b.ReadWindowAsync(T0.AddMinutes(-10), cursor, CancellationToken.None)).Select(s => s.Host));
        var open = Assert.Single(await b.ReadEpisodesAsync(T0.AddMinutes(-10), CancellationToken.None));
        Assert.Equal(episode.Hosts, open.Hosts);
        Assert.False(open.Raised);
        Assert.Equal("a", open.RaisedBy);

        await b.MarkRaisedAsync(["fp1"], CancellationToken.None);
        Assert.True(Assert.Single(await b.ReadEpisodesAsync(T0.AddMinutes(-10), CancellationToken.None)).Raised);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_cursor WHERE host = 'a'"));
    }

    [Fact]
    public async Task ConcurrentPublishers_ReaderFollowingTheCursor_MissesNothing()
    {
        await using var leader = await _store.TryLeadAsync("leader", CancellationToken.None);
        Assert.NotNull(leader);
        var publishers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
                await _store.PublishAsync([Signal($"h{p}", source: $"198.51.100.{i}"), Signal($"h{p}", source: $"198.51.101.{i}")], CancellationToken.None);
        })).ToList();

        var seen = new HashSet<long>();
        long cursor = 0;
        while (publishers.Any(t => !t.IsCompleted) || seen.Count < 400)
        {
            foreach (var s in await leader.ReadAfterAsync(cursor, 50, CancellationToken.None))
            {
                Assert.True(seen.Add(s.Id));
                cursor = s.Id;
            }
            if (publishers.All(t => t.IsCompleted) && await _db.ScalarAsync("SELECT max(id) FROM blueteam.fleet_signals") == cursor) break;
        }
        await Task.WhenAll(publishers);
        Assert.Equal(400, seen.Count);
    }

    [Fact]
    public async Task Prune_DeletesOnlyOldSignalsAlreadyRead()
    {
        await _store.PublishAsync([Signal("old1") with { Bucket = T0.AddDays(-2) }, Signal("new1")], CancellationToken.None);
        await using var leader = await _store.TryLeadAsync("leader", CancellationToken.None);
        Assert.NotNull(leader);
        var read = await leader.ReadAfterAsync(0, 100, CancellationToken.None);
        await _store.PublishAsync([Signal("old2") with { Bucket = T0.AddDays(-2) }], CancellationToken.None); // not read yet

        Assert.Equal(1, await leader.PruneAsync(T0.AddDays(-1), read[^1].Id, CancellationToken.None));

        Assert.Equal(["new1", "old2"], (await leader.ReadAfterAsync(0, 100, CancellationToken.None)).Select(s => s.Host));
    }

    [Fact]
    public async Task Publish_NoSignals_WritesNothing()
    {
        await _store.PublishAsync([], CancellationToken.None);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_signals"));
    }
}
