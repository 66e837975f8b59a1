using BlueTeam.Sources;

namespace BlueTeam.Storage.Fleet;

/// <summary>A store whose checkpoints are kept per host: hosts sharing one database may tail the same collector and path.</summary>
public interface IHostCheckpointStore
{
    Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string host, string collector, CancellationToken cancellationToken);

    Task SaveCheckpointsAsync(string host, IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken);
}

/// <summary>One host's view of the checkpoints: what the daemon hands its sources and its pipeline.</summary>
public sealed class HostCheckpointStore : ICheckpointStore
{
    private readonly IHostCheckpointStore _store;
    private readonly string _host;

    public HostCheckpointStore(IHostCheckpointStore store, string host)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(host);
        _store = store;
        _host = host;
    }

    /// <summary><paramref name="host"/>'s view of <paramref name="store"/>'s checkpoints (every <see cref="IBlueTeamStore"/> keeps them per host).</summary>
    public static ICheckpointStore For(IHostCheckpointStore store, string host) => new HostCheckpointStore(store, host);

    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken) =>
        _store.GetCheckpointsAsync(_host, collector, cancellationToken);

    public Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken) =>
        _store.SaveCheckpointsAsync(_host, checkpoints, cancellationToken);
}
