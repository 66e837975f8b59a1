using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Alerting;

public sealed class NoiseControlCacheTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 8, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetActiveSilencesAsync_VersionUnchanged_ReadsTheSilencesOnceAndPicksActiveOnesByTime()
    {
        var store = new FakeNoiseStore { Silences = [Silence(1, T0, T0.AddHours(1)), Silence(2, T0.AddHours(2), T0.AddHours(3))] };
        var cache = new NoiseControlCache(store, store, store);

        Assert.Equal([1L], (await cache.GetActiveSilencesAsync(T0, CancellationToken.None)).Select(s => s.Id));
        Assert.Empty(await cache.GetActiveSilencesAsync(T0.AddMinutes(90), CancellationToken.None));
        Assert.Equal([2L], (await cache.GetActiveSilencesAsync(T0.AddHours(2), CancellationToken.None)).Select(s => s.Id));

        Assert.Equal(1, store.SilenceReads);
        Assert.Equal(3, store.VersionReads);
    }

    [Fact]
    public async Task GetActiveSilencesAsync_SilencesVersionMoved_ReadsThemAgain()
    {
        var store = new FakeNoiseStore { Silences = [Silence(1, T0, T0.AddHours(1))] };
        var cache = new NoiseControlCache(store, store, store);
        await cache.GetActiveSilencesAsync(T0, CancellationToken.None);

        store.Silences = [];
        store.Version = store.Version with { Silences = "moved" };

        Assert.Empty(await cache.GetActiveSilencesAsync(T0.AddMinutes(1), CancellationToken.None));
        Assert.Equal(2, store.SilenceReads);
    }

    [Fact]
    public async Task GetActiveSilencesAsync_ClockWentBack_ReadsThemAgain()
    {
        var store = new FakeNoiseStore { Silences = [] };
        var cache = new NoiseControlCache(store, store, store);
        await cache.GetActiveSilencesAsync(T0, CancellationToken.None);

        await cache.GetActiveSilencesAsync(T0.AddMinutes(-1), CancellationToken.None);

        Assert.Equal(2, store.SilenceReads);
    }

    [Fact]
    public async Task GetAckAsync_BeforeAnyVersionRead_AsksTheStoreEveryTime()
    {
        var store = new FakeNoiseStore();
        var cache = new NoiseControlCache(store, store, store);

        await cache.GetAckAsync(7, CancellationToken.None);
        await cache.GetAckAsync(7, CancellationToken.None);

        Assert.Equal(2, store.AckReads);
    }

    [Fact]
    public async Task GetAckAsync_AfterAVersionRead_KeepsTheAnswerUntilTheAcksVersionMoves()
    {
        var store = new FakeNoiseStore();
        var cache = new NoiseControlCache(store, store, store);
        await cache.GetActiveSilencesAsync(T0, CancellationToken.None);

        Assert.Null(await cache.GetAckAsync(7, CancellationToken.None));
        store.Acks[7] = new AlertAck(7, "alice", T0, Severity.High);
        Assert.Null(await cache.GetAckAsync(7, CancellationToken.None));
        Assert.Equal(1, store.AckReads);

        store.Version = store.Version with { Acks = "moved" };
        await cache.GetActiveSilencesAsync(T0.AddSeconds(1), CancellationToken.None);

        Assert.Equal("alice", (await cache.GetAckAsync(7, CancellationToken.None))?.By);
        Assert.Equal(2, store.AckReads);
        Assert.Equal(1, store.SilenceReads); // the silences did not move
    }

    [Fact]
    public async Task GetAckAsync_AcksChangedWhileItWasBeingRead_DoesNotKeepTheOldAnswer()
    {
        var store = new FakeNoiseStore();
        var cache = new NoiseControlCache(store, store, store);
        await cache.GetActiveSilencesAsync(T0, CancellationToken.None);
        var release = new TaskCompletionSource();
        store.BeforeAckAnswer = release.Task;

        var pending = cache.GetAckAsync(7, CancellationToken.None);
        store.Version = store.Version with { Acks = "moved" };
        await cache.GetActiveSilencesAsync(T0.AddSeconds(1), CancellationToken.None);
        release.SetResult();
        Assert.Null(await pending);

        store.BeforeAckAnswer = null;
        store.Acks[7] = new AlertAck(7, "alice", T0, Severity.High);
        Assert.Equal("alice", (await cache.GetAckAsync(7, CancellationToken.None))?.By);
    }

    private static Silence Silence(long id, DateTimeOffset startsAt, DateTimeOffset endsAt) =>
        new() { Id = id, StartsAt = startsAt, EndsAt = endsAt, RuleName = "ssh_brute_force" };

    private sealed class FakeNoiseStore : ISilenceSource, IAckSource, INoiseControlChanges
    {
        public IReadOnlyList<Silence> Silences { get; set; } = [];

        public Dictionary<long, AlertAck> Acks { get; } = [];

        public NoiseControlVersion Version { get; set; } = new("s1", "a1");

        public Task? BeforeAckAnswer { get; set; }

        public int VersionReads { get; private set; }

        public int SilenceReads { get; private set; }

        public int AckReads { get; private set; }

        public Task<NoiseControlVersion> GetNoiseControlVersionAsync(CancellationToken cancellationToken)
        {
            VersionReads++;
            return Task.FromResult(Version);
        }

        public Task<IReadOnlyList<Silence>> GetSilencesNotEndedAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            SilenceReads++;
            return Task.FromResult<IReadOnlyList<Silence>>(Silences.Where(s => s.EndsAt > now).ToList());
        }

        public Task<IReadOnlyList<Silence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the cache reads the silences not ended, not the active ones");

        public Task MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken)
        {
            AckReads++;
            var answer = Acks.GetValueOrDefault(alertId);
            if (BeforeAckAnswer is { } gate) await gate;
            return answer;
        }
    }
}
