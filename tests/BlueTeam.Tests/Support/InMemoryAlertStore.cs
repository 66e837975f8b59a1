using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Support;

/// <summary>
/// An <see cref="IAlertStore"/> in memory that keeps the contract the SQLite and PostgreSQL stores
/// keep: upsert by fingerprint, outbox rows only for new alerts, due = pending and next attempt
/// reached, oldest first.
/// </summary>
public sealed class InMemoryAlertStore : IAlertStore
{
    private readonly TimeProvider _time;
    // Test code and the code under test may touch the store from different threads.
    private readonly Lock _lock = new();
    private readonly List<AlertRecord> _alerts = [];
    private readonly List<DeliveryRecord> _deliveries = [];
    private long _nextAlertId = 1;
    private long _nextDeliveryId = 1;

    public InMemoryAlertStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Every attempt recorded, in order, as the store received it.</summary>
    public List<(long DeliveryId, DeliveryStatus Status, string? Error, DateTimeOffset AttemptedAt, DateTimeOffset? NextAttemptAt)> RecordedAttempts { get; } = [];

    public IReadOnlyList<AlertRecord> Alerts { get { lock (_lock) return [.. _alerts]; } }
    public IReadOnlyList<DeliveryRecord> Deliveries { get { lock (_lock) return [.. _deliveries]; } }

    public Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var index = _alerts.FindIndex(a => a.Fingerprint == incident.Fingerprint);
            if (index >= 0)
            {
                _alerts[index] = _alerts[index] with { Incident = incident, UpdatedAt = now };
                return Task.FromResult(new AlertSaveResult(_alerts[index].Id, false));
            }
            var alert = new AlertRecord
            {
                Id = _nextAlertId++,
                Fingerprint = incident.Fingerprint,
                Host = host,
                Incident = incident,
                CreatedAt = now,
                UpdatedAt = now,
            };
            _alerts.Add(alert);
            foreach (var channel in channels.Distinct())
                _deliveries.Add(new DeliveryRecord { Id = _nextDeliveryId++, AlertId = alert.Id, Channel = channel, Status = DeliveryStatus.Pending });
            return Task.FromResult(new AlertSaveResult(alert.Id, true));
        }
    }

    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<PendingDelivery> due = _deliveries
                .Where(d => d.Status == DeliveryStatus.Pending && (d.NextAttemptAt is null || d.NextAttemptAt <= now))
                .OrderBy(d => d.Id)
                .Take(max)
                .Select(d => new PendingDelivery(d, _alerts.Single(a => a.Id == d.AlertId)))
                .ToList();
            return Task.FromResult(due);
        }
    }

    public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var index = _deliveries.FindIndex(d => d.Id == deliveryId);
            if (index < 0) throw new KeyNotFoundException($"no delivery {deliveryId}");
            var d = _deliveries[index];
            _deliveries[index] = d with
            {
                Status = status,
                Attempts = d.Attempts + 1,
                LastError = error,
                DeliveredAt = status == DeliveryStatus.Delivered ? attemptedAt : d.DeliveredAt,
                NextAttemptAt = status == DeliveryStatus.Pending ? nextAttemptAt : null,
            };
            RecordedAttempts.Add((deliveryId, status, error, attemptedAt, nextAttemptAt));
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<AlertRecord> list = _alerts
                .Where(a => query.MinSeverity is null || a.Incident.Severity >= query.MinSeverity)
                .Where(a => query.RuleName is null || a.Incident.Rule.Name == query.RuleName)
                .Where(a => query.Host is null || a.Host == query.Host)
                .Where(a => query.Since is null || a.UpdatedAt >= query.Since)
                .OrderByDescending(a => a.Id)
                .Take(query.Limit)
                .ToList();
            return Task.FromResult(list);
        }
    }

    public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock) return Task.FromResult(_alerts.FirstOrDefault(a => a.Id == id));
    }

    public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<DeliveryRecord> list = _deliveries.Where(d => d.AlertId == alertId).OrderBy(d => d.Id).ToList();
            return Task.FromResult(list);
        }
    }
}
