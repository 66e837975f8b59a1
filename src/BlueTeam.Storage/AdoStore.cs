using BlueTeam.Response;
using BlueTeam.Sources;
using BlueTeam.Storage.Ado;
using BlueTeam.Storage.Fleet;
using BlueTeam.Storage.Retention;
using BlueTeam.Storage.Sealing;

namespace BlueTeam.Storage;

/// <summary>
/// The store over any ADO.NET data source: every statement is written once, in the parts under
/// <c>Ado/</c>, and the small <see cref="SqlDialect"/> supplies what differs between SQLite and PostgreSQL.
/// </summary>
/// <remarks>
/// <para>
/// Each call opens a pooled connection, does its work (in one transaction when it writes more than
/// one row) and closes it, so one store can be shared by the pipeline, the outbox and the CLI.
/// Provider failures surface as <see cref="StoreException"/>; cancellation passes through as is.
/// </para>
/// <para>
/// This class only composes: each concern (incidents, the outbox and its scheduling, history reads,
/// checkpoints, silences and acks, the audit chain, seals, retention, heartbeats, bans, first-seen
/// pairs, migrations) is its own class over one shared <see cref="StoreDatabase"/>, and every member
/// here hands the call to its part. Callers keep the one object they always had, typed as the
/// interfaces they use, so splitting the store changed none of them.
/// </para>
/// </remarks>
public abstract class AdoStore : IBlueTeamStore, INotificationLog, ISilenceSource, IAckSource, INoiseControlChanges
{
    /// <summary>
    /// The host of the checkpoints read and written through <see cref="ICheckpointStore"/>, which
    /// names none: a store used by one host only. Rows from before schema version 12 have it too,
    /// until a named host takes them over.
    /// </summary>
    public const string UnnamedCheckpointHost = "";

    private readonly StoreDatabase _db;
    private readonly StoreRows _rows;
    private readonly AdoMigrator _migrator;
    private readonly AdoIncidentStore _incidents;
    private readonly AdoOutbox _outbox;
    private readonly AdoDeliveryScheduler _scheduler;
    private readonly AdoHistoryReader _history;
    private readonly AdoCheckpointStore _checkpoints;
    private readonly AdoAuditChain _chain;
    private readonly AdoSealStore _seals;
    private readonly AdoRetentionStore _retention;
    private readonly AdoSilenceStore _silences;
    private readonly AdoHeartbeatStore _heartbeats;
    private readonly AdoBanStore _bans;
    private readonly AdoFirstSeenStore _firstSeen;

    private protected AdoStore(DbDataSource dataSource, SqlDialect dialect, TimeProvider timeProvider, string description)
    {
        _db = new StoreDatabase(dataSource, dialect, timeProvider, description);
        _rows = new StoreRows(_db);
        _chain = new AdoAuditChain(_db, _rows);
        _migrator = new AdoMigrator(_db, _chain);
        _incidents = new AdoIncidentStore(_db, _rows, _chain);
        _outbox = new AdoOutbox(_db, _rows);
        _scheduler = new AdoDeliveryScheduler(_db, _outbox);
        _history = new AdoHistoryReader(_db, _rows);
        _checkpoints = new AdoCheckpointStore(_db);
        _seals = new AdoSealStore(_db);
        _retention = new AdoRetentionStore(_db, _chain);
        _silences = new AdoSilenceStore(_db, _chain);
        _heartbeats = new AdoHeartbeatStore(_db);
        _bans = new AdoBanStore(_db);
        _firstSeen = new AdoFirstSeenStore(_db);
    }

    public string Description => _db.Description;

    /// <inheritdoc />
    public NoiseControlSources NoiseControl => NoiseControlSources.Of(this);

    /// <inheritdoc />
    public ISilenceSource SilenceSource => this;

    /// <inheritdoc />
    /// <remarks>
    /// Each migration runs in its own transaction and re-checks, inside it, whether another process
    /// applied it meanwhile; PostgreSQL additionally serializes migrators with an advisory lock.
    /// </remarks>
    public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken) => _migrator.MigrateAsync(int.MaxValue, cancellationToken);

    /// <summary>Applies the missing migrations up to and including <paramref name="lastVersion"/> (tests build old schemas with it).</summary>
    internal Task<IReadOnlyList<int>> MigrateAsync(int lastVersion, CancellationToken cancellationToken) => _migrator.MigrateAsync(lastVersion, cancellationToken);

    // Saving incidents (IAlertStore).
    public Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken) => _incidents.SaveAlertAsync(incident, host, channels, cancellationToken);
    public Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken) => _incidents.SaveAlertsAsync(saves, cancellationToken);

    // The outbox (IAlertStore, INotificationLog) and its scheduling (IDeliveryScheduler).
    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) => _outbox.GetDueDeliveriesAsync(now, max, cancellationToken);
    public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken) => _outbox.RecordDeliveryAttemptAsync(deliveryId, status, error, attemptedAt, nextAttemptAt, cancellationToken);
    public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken) => _outbox.GetDeliveriesAsync(alertId, cancellationToken);
    public Task<IReadOnlyList<ChannelNotification>> GetLastNotificationsAsync(long alertId, CancellationToken cancellationToken) => _outbox.GetLastNotificationsAsync(alertId, cancellationToken);
    public Task EnqueueDeliveriesAsync(long alertId, IReadOnlyCollection<string> channels, NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt, CancellationToken cancellationToken) => _outbox.EnqueueDeliveriesAsync(alertId, channels, reason, severity, eventCount, queuedAt, cancellationToken);
    public Task<IReadOnlyList<string>> GetDueChannelsAsync(DateTimeOffset now, CancellationToken cancellationToken) => _scheduler.GetDueChannelsAsync(now, cancellationToken);
    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesForChannelAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken) => _scheduler.GetDueDeliveriesForChannelAsync(channel, now, max, cancellationToken);
    public Task<int> DeferAsync(IReadOnlyCollection<long> deliveryIds, DateTimeOffset until, CancellationToken cancellationToken) => _scheduler.DeferAsync(deliveryIds, until, cancellationToken);
    public Task<IReadOnlyList<ChannelSend>> GetSendsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) => _scheduler.GetSendsSinceAsync(since, cancellationToken);

    // Reads of the history (IAlertStore, IAlertHistoryReader).
    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken) => _history.ListAlertsAsync(query, cancellationToken);
    public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) => _history.GetAlertAsync(id, cancellationToken);
    public Task<IReadOnlyList<AlertTriage>> ListTriageAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken) => _history.ListTriageAsync(alertIds, cancellationToken);
    public Task<IReadOnlyList<DeliveryRecord>> ListDeliveriesAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken) => _history.ListDeliveriesAsync(alertIds, cancellationToken);
    public Task<IReadOnlyList<AlertChainLink>> GetAlertChainAsync(long alertId, CancellationToken cancellationToken) => _history.GetAlertChainAsync(alertId, cancellationToken);
    public Task<IReadOnlyList<QueuedNotification>> GetNotificationHistoryAsync(long alertId, CancellationToken cancellationToken) => _history.GetNotificationHistoryAsync(alertId, cancellationToken);

    // Checkpoints (ICheckpointStore, IHostCheckpointStore).
    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken) => _checkpoints.GetCheckpointsAsync(collector, cancellationToken);
    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string host, string collector, CancellationToken cancellationToken) => _checkpoints.GetCheckpointsAsync(host, collector, cancellationToken);
    public Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken) => _checkpoints.SaveCheckpointsAsync(checkpoints, cancellationToken);
    public Task SaveCheckpointsAsync(string host, IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken) => _checkpoints.SaveCheckpointsAsync(host, checkpoints, cancellationToken);

    // The audit chain, its seals and its retention (IAuditChain, ISealStore, IRetentionStore).
    public Task<IReadOnlyList<ChainVerification>> VerifyChainAsync(string? host, CancellationToken cancellationToken) => _chain.VerifyChainAsync(host, cancellationToken);
    public Task<ChainHead?> GetChainHeadAsync(string host, CancellationToken cancellationToken) => _chain.GetChainHeadAsync(host, cancellationToken);
    public Task AddSealAsync(SealRecord seal, CancellationToken cancellationToken) => _seals.AddSealAsync(seal, cancellationToken);
    public Task<IReadOnlyList<SealRecord>> GetSealsAsync(string host, CancellationToken cancellationToken) => _seals.GetSealsAsync(host, cancellationToken);
    public Task<IReadOnlyDictionary<long, string>> GetEntryHashesAsync(string host, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken) => _seals.GetEntryHashesAsync(host, seqs, cancellationToken);
    public Task<PruneOutcome> PruneAsync(string host, int retentionDays, DateTimeOffset now, bool dryRun, CancellationToken cancellationToken) => _retention.PruneAsync(host, retentionDays, now, dryRun, cancellationToken);
    public Task<PruneRecord?> GetLatestPruneAsync(string host, CancellationToken cancellationToken) => _retention.GetLatestPruneAsync(host, cancellationToken);
    public Task<IReadOnlyList<string>> GetChainHostsAsync(CancellationToken cancellationToken) => _retention.GetChainHostsAsync(cancellationToken);

    // Silences and acks (ISilenceStore), and what the alert engine reads of them (ISilenceSource, IAckSource, INoiseControlChanges).
    public Task<Silence> AddSilenceAsync(NewSilence silence, CancellationToken cancellationToken) => _silences.AddSilenceAsync(silence, cancellationToken);
    public Task<IReadOnlyList<Silence>> ListSilencesAsync(bool activeOnly, CancellationToken cancellationToken) => _silences.ListSilencesAsync(activeOnly, cancellationToken);
    public Task<SilenceExpiry> ExpireSilenceAsync(long id, CancellationToken cancellationToken) => _silences.ExpireSilenceAsync(id, cancellationToken);
    public Task<AlertTriage?> AckAlertAsync(long alertId, string ackedBy, string? note, CancellationToken cancellationToken) => _silences.AckAlertAsync(alertId, ackedBy, note, cancellationToken);
    public Task<bool> MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) => _silences.MarkSilencedAsync(alertId, silenceId, cancellationToken);
    public Task<AlertTriage?> GetTriageAsync(long alertId, CancellationToken cancellationToken) => _silences.GetTriageAsync(alertId, cancellationToken);
    public Task<IReadOnlyList<AlertSilence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken) => _silences.GetActiveSilencesAsync(now, cancellationToken);
    public Task<IReadOnlyList<AlertSilence>> GetSilencesNotEndedAsync(DateTimeOffset now, CancellationToken cancellationToken) => _silences.GetSilencesNotEndedAsync(now, cancellationToken);
    public Task<NoiseControlVersion> GetNoiseControlVersionAsync(CancellationToken cancellationToken) => _silences.GetNoiseControlVersionAsync(cancellationToken);
    public Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken) => _silences.GetAckAsync(alertId, cancellationToken);
    Task ISilenceSource.MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) => ((ISilenceSource)_silences).MarkSilencedAsync(alertId, silenceId, cancellationToken);

    // Heartbeats, silent-host claims and the outbox backlog (IHeartbeatStore).
    public Task UpsertHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken) => _heartbeats.UpsertHeartbeatAsync(heartbeat, cancellationToken);
    public Task<IReadOnlyList<Heartbeat>> GetHeartbeatsAsync(CancellationToken cancellationToken) => _heartbeats.GetHeartbeatsAsync(cancellationToken);
    public Task<IReadOnlyList<ChannelBacklog>> GetOutboxBacklogAsync(CancellationToken cancellationToken) => _heartbeats.GetOutboxBacklogAsync(cancellationToken);
    public Task<IReadOnlyList<HostChannelBacklog>> GetOutboxBacklogByHostAsync(CancellationToken cancellationToken) => _heartbeats.GetOutboxBacklogByHostAsync(cancellationToken);
    public Task<IReadOnlyList<SilentHost>> ClaimSilentHostsAsync(DateTimeOffset silentBefore, string claimedBy, string? excludeHost, CancellationToken cancellationToken) => _heartbeats.ClaimSilentHostsAsync(silentBefore, claimedBy, excludeHost, cancellationToken);

    // Bans (IBanStore) and the first-seen memory (IFirstSeenPairStore).
    public Task<BanRecord> AddBanAsync(NewBan ban, CancellationToken cancellationToken) => _bans.AddBanAsync(ban, cancellationToken);
    public Task<IReadOnlyList<BanRecord>> ListBansAsync(bool activeOnly, string? host, DateTimeOffset now, CancellationToken cancellationToken) => _bans.ListBansAsync(activeOnly, host, now, cancellationToken);
    public Task<int> CountEnforcedBansAsync(string target, CancellationToken cancellationToken) => _bans.CountEnforcedBansAsync(target, cancellationToken);
    public Task<IReadOnlyList<BanRecord>> LiftBansAsync(string target, string liftedBy, DateTimeOffset now, CancellationToken cancellationToken) => _bans.LiftBansAsync(target, liftedBy, now, cancellationToken);
    public Task<IReadOnlyList<FirstSeenPair>> LoadFirstSeenAsync(int max, CancellationToken cancellationToken) => _firstSeen.LoadFirstSeenAsync(max, cancellationToken);
    public Task<IReadOnlyList<FirstSeenPair>> GetFirstSeenAsync(string rule, string key, CancellationToken cancellationToken) => _firstSeen.GetFirstSeenAsync(rule, key, cancellationToken);
    public Task SaveFirstSeenAsync(IReadOnlyCollection<FirstSeenPair> pairs, CancellationToken cancellationToken) => _firstSeen.SaveFirstSeenAsync(pairs, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await DisposeCoreAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the data source (and with it the pooled connections).</summary>
    protected virtual ValueTask DisposeCoreAsync() => _db.DisposeAsync();
}
