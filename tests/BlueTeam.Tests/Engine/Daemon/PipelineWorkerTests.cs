using BlueTeam.Core.Config;
using BlueTeam.Sources;
using BlueTeam.Tests.Correlation;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Engine.Daemon;

/// <summary>The daemon's pipeline worker in-process: batched raise, checkpoints after the incidents, containment.</summary>
public class PipelineWorkerTests
{
    private static readonly DateTime Start = new(2026, 3, 10, 9, 0, 0);
    private const string AuthPath = "/var/log/auth.log";

    private static BlueTeamConfig Config() => new()
    {
        Host = "eqmon-web01",
        Collectors = new() { ["auth_log"] = new CollectorOptions { Type = "auth", Paths = [AuthPath], TimeZone = "UTC" } },
    };

    private static List<RawLine> BruteForces(int attackers, int failuresEach) =>
        DaemonPipelineRig.Lines("auth_log", "auth", AuthPath, Enumerable.Range(0, attackers)
            .SelectMany(a => AuthLogLines.FailedPasswords($"203.0.113.{10 + a}", failuresEach, Start.AddMinutes(a), TimeSpan.FromSeconds(5)))).ToList();

    [Fact]
    public async Task Drain_BatchOfLines_IncidentsRaisedInOneTransaction_ThenTheirPositionCommitted()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryAlertStore(time);
        var checkpoints = new RecordingCheckpointStore(store);
        var rig = new DaemonPipelineRig(Config(), [Rules.Build("ssh_brute_force")], time, store, checkpoints);
        var lines = BruteForces(attackers: 4, failuresEach: 6);
        foreach (var line in lines) await rig.WriteAsync(line); // queued before the worker runs: one batch
        await rig.StartAsync();
        await rig.DrainAsync();

        // 4 incidents opened (5th failure) and updated (6th): 8 raises, one transaction, which stores each incident's
        // newest state once (the open and the update of one incident in one batch are one save).
        Assert.Equal(new[] { 4 }, store.BatchSizes);
        Assert.Equal(4, store.Alerts.Count);
        Assert.All(store.Alerts, a => Assert.Equal(6, a.Incident.EventCount));
        var commit = Assert.Single(checkpoints.Commits);
        Assert.Equal(4, commit.AlertsStoredBefore); // never a position before its incidents
        Assert.Equal(lines[^1].EndOffset, Assert.Single(commit.Checkpoints).Offset);
    }

    [Fact]
    public async Task Drain_StoreDownThenBack_BatchHeldAndRetriedWhole_PositionCommittedOnlyAfter()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryAlertStore(time) { FailingSaves = 3 };
        var checkpoints = new RecordingCheckpointStore(store);
        var rig = new DaemonPipelineRig(Config(), [Rules.Build("ssh_brute_force")], time, store, checkpoints);
        foreach (var line in BruteForces(attackers: 2, failuresEach: 5)) await rig.WriteAsync(line);
        await rig.StartAsync();
        var drained = rig.DrainAsync();
        // The worker backs off on the provider's clock (1 s, 2 s, 4 s): move it until the store takes the batch.
        while (!drained.IsCompleted && time.GetUtcNow() < new DateTimeOffset(2026, 4, 1, 0, 5, 0, TimeSpan.Zero))
        {
            await Task.Delay(10);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        await drained;

        Assert.Equal(0, store.FailingSaves);
        Assert.Equal(new[] { 2 }, store.BatchSizes); // the batch was stored whole, once
        Assert.Equal(2, store.Alerts.Count);
        Assert.Equal(3, rig.Stats.StoreErrors);
        var commit = Assert.Single(checkpoints.Commits);
        Assert.Equal(2, commit.AlertsStoredBefore);
    }

    [Fact]
    public async Task Drain_RuleThrowsOnOneLine_ContainedOnItsSource_OtherRulesAlert_PositionAdvances()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryAlertStore(time);
        var checkpoints = new RecordingCheckpointStore(store);
        var rig = new DaemonPipelineRig(Config(), [new ThrowingOnUserRule("mallory"), Rules.Build("ssh_brute_force")], time, store, checkpoints);
        var text = AuthLogLines.FailedPasswords("203.0.113.7", 5, Start, TimeSpan.FromSeconds(5)).ToList();
        text[2] = text[2].Replace("for root", "for mallory", StringComparison.Ordinal);
        var lines = DaemonPipelineRig.Lines("auth_log", "auth", AuthPath, text).ToList();
        await rig.StartAsync();
        foreach (var line in lines) await rig.WriteAsync(line);
        await rig.DrainAsync();

        var alert = Assert.Single(store.Alerts);
        Assert.Equal("ssh_brute_force", alert.Incident.Rule.Name);
        Assert.Equal(5, alert.Incident.EventCount);
        var errors = rig.Pipeline.Errors.For("auth_log");
        Assert.Equal(1, errors.RuleErrors);
        Assert.Equal(lines[2].Offset, errors.Last!.Offset);
        Assert.Contains("rule error", rig.Stats.Sources["auth_log"].Described(errors), StringComparison.Ordinal);
        Assert.Equal(lines[^1].EndOffset, checkpoints.Commits.SelectMany(c => c.Checkpoints).Max(c => c.Offset));
    }

    /// <summary>Checkpoints kept in memory, each commit with how many alerts the store held when it came.</summary>
    private sealed class RecordingCheckpointStore(InMemoryAlertStore alerts) : ICheckpointStore
    {
        private readonly InMemoryCheckpointStore _inner = new();

        public List<(int AlertsStoredBefore, IReadOnlyCollection<Checkpoint> Checkpoints)> Commits { get; } = [];

        public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken) => _inner.GetCheckpointsAsync(collector, cancellationToken);

        public Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken)
        {
            Commits.Add((alerts.Alerts.Count, checkpoints.ToList()));
            return _inner.SaveCheckpointsAsync(checkpoints, cancellationToken);
        }
    }
}
