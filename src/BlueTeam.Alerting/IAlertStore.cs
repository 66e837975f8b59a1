namespace BlueTeam.Alerting;

/// <summary>Status of one (alert, channel) delivery row.</summary>
public enum DeliveryStatus
{
    Pending,
    Delivered,
    /// <summary>Ended without delivery: a permanent error, or transient errors until the attempt limit.</summary>
    Failed,
}

/// <summary>A stored alert: the incident plus what the store assigned.</summary>
public sealed record AlertRecord
{
    public required long Id { get; init; }
    public required string Fingerprint { get; init; }
    public required string Host { get; init; }
    public required SecurityIncident Incident { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>For a delivery that is not the alert's first notice on its channel: what changed since the last one.</summary>
    public AlertChange? Change { get; init; }
}

public sealed record DeliveryRecord
{
    public required long Id { get; init; }
    public required long AlertId { get; init; }
    public required string Channel { get; init; }
    public required DeliveryStatus Status { get; init; }
    public int Attempts { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
}

/// <summary>A pending delivery with the alert it carries.</summary>
public sealed record PendingDelivery(DeliveryRecord Delivery, AlertRecord Alert);

/// <summary>The result of saving an incident: the alert's id and whether it was new.</summary>
public readonly record struct AlertSaveResult(long AlertId, bool IsNew);

/// <summary>One incident of a batch save: what <see cref="IAlertStore.SaveAlertAsync"/> takes, as one value.</summary>
public sealed record AlertSaveRequest(SecurityIncident Incident, string Host, IReadOnlyCollection<string> Channels);

public sealed record AlertQuery
{
    public int Limit { get; init; } = 50;
    public Severity? MinSeverity { get; init; }
    public string? RuleName { get; init; }
    public string? Host { get; init; }
    public DateTimeOffset? Since { get; init; }
}

/// <summary>
/// The alert history and the outbox, implemented by the store (SQLite or PostgreSQL).
/// </summary>
public interface IAlertStore
{
    /// <summary>
    /// Upserts the incident by fingerprint. When it is new, one pending delivery row per channel is
    /// written in the same transaction (the outbox); when it exists, count, last_seen, severity and
    /// the incident JSON are updated and no delivery rows are added.
    /// </summary>
    Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken);

    /// <summary>
    /// Saves the incidents in order, each exactly as <see cref="SaveAlertAsync"/> would (the same
    /// ids, IsNew flags, delivery rows and chain entries as that many single saves, including a
    /// fingerprint that occurs twice: inserted, then updated), but in one transaction: all of them
    /// are stored or none. The results are in the order of <paramref name="saves"/>.
    /// </summary>
    Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken);

    /// <summary>Pending deliveries whose next attempt is due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>Records one attempt: attempts + 1, the status, the error, and when to try next (pending only).</summary>
    Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken);

    Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken);
    Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken);
    Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken);
}
