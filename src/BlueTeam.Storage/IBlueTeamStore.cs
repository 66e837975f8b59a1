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
/// It is also the alert engine's send history, ack source and change feed (<see cref="INotificationLog"/>,
/// <see cref="IAckSource"/>, <see cref="INoiseControlChanges"/>). Its <see cref="ISilenceSource"/> is offered as
/// <see cref="SilenceSource"/> (and all of them as <see cref="NoiseControl"/>), not as a base interface, because
/// <see cref="ISilenceSource"/> and <see cref="ISilenceStore"/> both declare MarkSilencedAsync (returning Task and
/// Task&lt;bool&gt;, and failing differently on a missing alert).
/// </remarks>
public interface IBlueTeamStore : IAlertStore, ICheckpointStore, IHostCheckpointStore, IDeliveryScheduler, IBanStore, IAuditChain, Sealing.ISealStore, IHeartbeatStore, ISilenceStore, IAlertHistoryReader, IFirstSeenPairStore, Retention.IRetentionStore, INotificationLog, IAckSource, INoiseControlChanges, IAsyncDisposable
{
    /// <summary>Applies the versioned migrations not yet applied; returns the versions applied now.</summary>
    Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Where the data is, for messages (never includes a password).</summary>
    string Description { get; }

    /// <summary>The store's send history, silences and acks, for an alert engine over it.</summary>
    NoiseControlSources NoiseControl { get; }

    /// <summary>The store's silences as the alert engine reads them (MarkSilencedAsync throws on a missing alert).</summary>
    ISilenceSource SilenceSource { get; }
}
