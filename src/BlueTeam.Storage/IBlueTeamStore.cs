using BlueTeam.Alerting;
using BlueTeam.Sources;

namespace BlueTeam.Storage;

/// <summary>
/// Everything blueteam keeps: alert history and outbox, checkpoints, the audit chain over the
/// history, heartbeats, silences and acknowledgements. One contract, two backends (SQLite by
/// default, PostgreSQL for a fleet), checked by one contract test suite.
/// </summary>
public interface IBlueTeamStore : IAlertStore, ICheckpointStore, IAuditChain, IHeartbeatStore, ISilenceStore, IAlertHistoryReader, IAsyncDisposable
{
    /// <summary>Applies the versioned migrations not yet applied; returns the versions applied now.</summary>
    Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Where the data is, for messages (never includes a password).</summary>
    string Description { get; }
}
