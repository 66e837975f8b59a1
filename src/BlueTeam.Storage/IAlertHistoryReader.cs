namespace BlueTeam.Storage;

/// <summary>
/// Bulk reads over the alert history for the CLI's listings and the auditor's report: the triage
/// and deliveries of many alerts in a few statements, and the audit-chain entries about one alert.
/// </summary>
public interface IAlertHistoryReader
{
    /// <summary>The acknowledgement and silence mark of each alert in <paramref name="alertIds"/> that exists, ordered by alert id.</summary>
    Task<IReadOnlyList<AlertTriage>> ListTriageAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken);

    /// <summary>The delivery rows of every alert in <paramref name="alertIds"/>, ordered by alert id, then delivery id.</summary>
    Task<IReadOnlyList<DeliveryRecord>> ListDeliveriesAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken);

    /// <summary>The audit-chain entries about one alert, oldest first; empty when there are none.</summary>
    Task<IReadOnlyList<AlertChainLink>> GetAlertChainAsync(long alertId, CancellationToken cancellationToken);

    /// <summary>Every delivery row of one alert with what it was queued for (when, at which severity and count, why), oldest first.</summary>
    Task<IReadOnlyList<QueuedNotification>> GetNotificationHistoryAsync(long alertId, CancellationToken cancellationToken);
}

/// <summary>One delivery row of an alert and what it was queued for.</summary>
/// <param name="Severity">The alert's severity when the row was queued.</param>
/// <param name="EventCount">The alert's event count when the row was queued.</param>
/// <param name="Reason">Why it was queued (<see cref="NotifyReason.New"/> for rows written with the alert, and for rows from before migration 5).</param>
public sealed record QueuedNotification(long DeliveryId, string Channel, DateTimeOffset QueuedAt, Severity Severity, int EventCount, NotifyReason Reason, DeliveryStatus Status);

/// <summary>One audit-chain entry about an alert: where it sits in its host's chain and what change it records.</summary>
/// <param name="Kind">created, updated, acked, silenced or sealed.</param>
public sealed record AlertChainLink(string Host, long Seq, string Kind, string EntryHash);
