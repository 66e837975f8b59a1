using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Support;

/// <summary>
/// An <see cref="IAlertStore"/> in memory that keeps the contract the SQLite and PostgreSQL stores
/// keep: upsert by fingerprint, outbox rows only for new alerts, due = pending and next attempt
/// reached, oldest first; plus the noise-control interfaces alerting defines (notification log,
/// silences, acks, delivery scheduling) with the semantics their XML docs give the SQL stores.
/// </summary>
public sealed class InMemoryAlertStore : IAlertStore, INotificationLog, ISilenceSource, IAckSource, IDeliveryScheduler
{
    private readonly TimeProvider _time;
    // Test code and the code under test may touch the store from different threads.
    private readonly Lock _lock = new();
    private readonly List<AlertRecord> _alerts = [];
    private readonly List<DeliveryRecord> _deliveries = [];
    // Per delivery row: what it was queued for (the SQL stores keep these as columns).
    private readonly Dictionary<long, (DateTimeOffset QueuedAt, Severity Severity, int EventCount, NotifyReason Reason)> _queued = [];
    private readonly List<Silence> _silences = [];
    private readonly Dictionary<long, long> _silencedBy = [];
    private readonly Dictionary<long, AlertAck> _acks = [];
    private long _nextAlertId = 1;
    private long _nextDeliveryId = 1;

    public InMemoryAlertStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Every attempt recorded, in order, as the store received it.</summary>
    public List<(long DeliveryId, DeliveryStatus Status, string? Error, DateTimeOffset AttemptedAt, DateTimeOffset? NextAttemptAt)> RecordedAttempts { get; } = [];

    public IReadOnlyList<AlertRecord> Alerts { get { lock (_lock) return [.. _alerts]; } }
    public IReadOnlyList<DeliveryRecord> Deliveries { get { lock (_lock) return [.. _deliveries]; } }

    /// <summary>Each save in turn, as the real stores promise (their all-or-nothing transaction has no in-memory failure to roll back).</summary>
    /// <summary>The size of each <see cref="SaveAlertsAsync"/> call, in order (one call is one transaction in the SQL stores).</summary>
    public List<int> BatchSizes { get; } = [];

    /// <summary>While above zero, a save fails as it does with the store down (<see cref="BlueTeam.Storage.StoreException"/>), and counts one down.</summary>
    public int FailingSaves { get; set; }

    public async Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (FailingSaves > 0)
            {
                FailingSaves--;
                throw new BlueTeam.Storage.StoreException("save alerts", "the in-memory store", "down (test)");
            }
            BatchSizes.Add(saves.Count);
        }
        var results = new List<AlertSaveResult>(saves.Count);
        foreach (var (incident, host, channels) in saves) results.Add(await SaveAlertAsync(incident, host, channels, cancellationToken));
        return results;
    }

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
            {
                _queued[_nextDeliveryId] = (now, incident.Severity, incident.EventCount, NotifyReason.New);
                _deliveries.Add(new DeliveryRecord { Id = _nextDeliveryId++, AlertId = alert.Id, Channel = channel, Status = DeliveryStatus.Pending });
            }
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

    public Task<IReadOnlyList<ChannelNotification>> GetLastNotificationsAsync(long alertId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<ChannelNotification> list = _deliveries.Where(d => d.AlertId == alertId)
                .GroupBy(d => d.Channel)
                .Select(g => g.MaxBy(d => d.Id)!)
                .Select(d => new ChannelNotification(d.Channel, _queued[d.Id].QueuedAt, _queued[d.Id].Severity, _queued[d.Id].EventCount, d.Status))
                .ToList();
            return Task.FromResult(list);
        }
    }

    public Task EnqueueDeliveriesAsync(long alertId, IReadOnlyCollection<string> channels, NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_alerts.Any(a => a.Id == alertId)) throw new KeyNotFoundException($"no alert {alertId}");
            foreach (var channel in channels.Distinct())
            {
                _queued[_nextDeliveryId] = (queuedAt, severity, eventCount, reason);
                _deliveries.Add(new DeliveryRecord { Id = _nextDeliveryId++, AlertId = alertId, Channel = channel, Status = DeliveryStatus.Pending });
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The reason each delivery row was queued for.</summary>
    public NotifyReason ReasonOf(long deliveryId) { lock (_lock) return _queued[deliveryId].Reason; }

    public void AddSilence(Silence silence) { lock (_lock) _silences.Add(silence); }

    public void Acknowledge(long alertId, string by, DateTimeOffset at)
    {
        lock (_lock) _acks[alertId] = new AlertAck(alertId, by, at, _alerts.Single(a => a.Id == alertId).Incident.Severity);
    }

    public long? SilencedBy(long alertId) { lock (_lock) return _silencedBy.TryGetValue(alertId, out var s) ? s : null; }

    public Task<IReadOnlyList<Silence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<Silence> list = _silences.Where(s => s.StartsAt <= now && now < s.EndsAt).ToList();
            return Task.FromResult(list);
        }
    }

    public Task MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock) _silencedBy[alertId] = silenceId;
        return Task.CompletedTask;
    }

    public Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock) return Task.FromResult(_acks.TryGetValue(alertId, out var a) ? a : null);
    }

    public Task<IReadOnlyList<string>> GetDueChannelsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<string> channels = _deliveries.Where(d => IsDue(d, now)).Select(d => d.Channel).Distinct().Order(StringComparer.Ordinal).ToList();
            return Task.FromResult(channels);
        }
    }

    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesForChannelAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<PendingDelivery> due = _deliveries
                .Where(d => d.Channel == channel && IsDue(d, now))
                .Select(d => new PendingDelivery(d, _alerts.Single(a => a.Id == d.AlertId)))
                .OrderBy(p => p.Alert.Incident.Severity == Severity.Critical ? 0 : 1)
                .ThenBy(p => p.Delivery.NextAttemptAt ?? _queued[p.Delivery.Id].QueuedAt)
                .ThenBy(p => p.Delivery.Id)
                .Take(max)
                .ToList();
            return Task.FromResult(due);
        }
    }

    public Task<int> DeferAsync(IReadOnlyCollection<long> deliveryIds, DateTimeOffset until, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var ids = deliveryIds.ToHashSet();
        var moved = 0;
        lock (_lock)
        {
            for (var i = 0; i < _deliveries.Count; i++)
            {
                if (!ids.Contains(_deliveries[i].Id) || _deliveries[i].Status != DeliveryStatus.Pending) continue;
                _deliveries[i] = _deliveries[i] with { NextAttemptAt = until };
                moved++;
            }
        }
        return Task.FromResult(moved);
    }

    public Task<IReadOnlyList<ChannelSend>> GetSendsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<ChannelSend> sends = _deliveries
                .Where(d => d.Status == DeliveryStatus.Delivered && d.DeliveredAt >= since)
                .Select(d => new ChannelSend(d.Channel, d.DeliveredAt!.Value))
                .Distinct()
                .OrderBy(s => s.At)
                .ToList();
            return Task.FromResult(sends);
        }
    }

    private static bool IsDue(DeliveryRecord d, DateTimeOffset now) =>
        d.Status == DeliveryStatus.Pending && (d.NextAttemptAt is null || d.NextAttemptAt <= now);
}
