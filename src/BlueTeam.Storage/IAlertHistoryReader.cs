using BlueTeam.Alerting;

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
}

/// <summary>One audit-chain entry about an alert: where it sits in its host's chain and what change it records.</summary>
/// <param name="Kind">created, updated, acked, silenced or sealed.</param>
public sealed record AlertChainLink(string Host, long Seq, string Kind, string EntryHash);
