using BlueTeam.Sources;

namespace BlueTeam.Tests.Support;

/// <summary>A faithful in-memory checkpoint store for unit tests of sources.</summary>
internal sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly Dictionary<(string, string), Checkpoint> _rows = [];

    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Checkpoint>>(_rows.Values.Where(c => c.Collector == collector).ToList());

    public Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken)
    {
        foreach (var c in checkpoints) _rows[(c.Collector, c.Path)] = c;
        return Task.CompletedTask;
    }
}
