using BlueTeam.Response;
using BlueTeam.Sources;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Storage;

/// <summary>
/// Everything blueteam keeps: alert history and outbox, checkpoints, the audit chain over the
/// history, heartbeats, silences and acknowledgements, the first-seen memory. One contract, two
/// backends (SQLite by default, PostgreSQL for a fleet), checked by one contract test suite.
/// </summary>
/// <remarks>
/// Both backends (<see cref="AdoStore"/>) also implement the alert engine's noise-control
/// interfaces <see cref="INotificationLog"/>, <see cref="ISilenceSource"/> and
/// <see cref="IAckSource"/>, offered typed as <see cref="NoiseControl"/>. They are not base interfaces here
/// because <see cref="ISilenceSource"/> and <see cref="ISilenceStore"/> both declare MarkSilencedAsync
/// (returning Task and Task&lt;bool&gt;).
/// </remarks>
public interface IBlueTeamStore : IAlertStore, ICheckpointStore, IHostCheckpointStore, IDeliveryScheduler, IBanStore, IAuditChain, Sealing.ISealStore, IHeartbeatStore, ISilenceStore, IAlertHistoryReader, IFirstSeenPairStore, Retention.IRetentionStore, IAsyncDisposable
{
    /// <summary>Applies the versioned migrations not yet applied; returns the versions applied now.</summary>
    Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Where the data is, for messages (never includes a password).</summary>
    string Description { get; }

    /// <summary>The store's send history, silences and acks, for an alert engine over it.</summary>
    NoiseControlSources NoiseControl { get; }
}
