using System.Collections.Concurrent;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The daemon's counters, shared by its workers (hence Interlocked), read by the summary, the
/// heartbeat and the dashboard. "Delivered" counts deliveries that reached a channel — not
/// incidents, which the seed counted as "alerts sent" whether or not anything was delivered.
/// </summary>
internal sealed class DaemonStats
{
    private long _lines, _events, _incidentsNew, _incidentUpdates, _delivered, _deliveryFailed, _storeErrors, _spooled, _reloads;

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Whether the history is sealed, as the heartbeat reports it to `status` (set by <see cref="SealWorker"/>).</summary>
    public string Sealing { get => Volatile.Read(ref _sealing); set => Volatile.Write(ref _sealing, value); }
    private string _sealing = "unsealed: the sealer has not run";
    public long Lines => Interlocked.Read(ref _lines);
    public long Events => Interlocked.Read(ref _events);
    public long IncidentsNew => Interlocked.Read(ref _incidentsNew);
    public long IncidentUpdates => Interlocked.Read(ref _incidentUpdates);
    public long Delivered => Interlocked.Read(ref _delivered);
    public long DeliveryFailed => Interlocked.Read(ref _deliveryFailed);
    public long StoreErrors => Interlocked.Read(ref _storeErrors);
    public long Spooled => Interlocked.Read(ref _spooled);
    public long Reloads => Interlocked.Read(ref _reloads);

    public void LineRead() => Interlocked.Increment(ref _lines);
    public void EventParsed() => Interlocked.Increment(ref _events);
    public void IncidentStored(bool isNew) { if (isNew) Interlocked.Increment(ref _incidentsNew); else Interlocked.Increment(ref _incidentUpdates); }
    public void DeliverySucceeded() => Interlocked.Increment(ref _delivered);
    public void DeliveryFailedFinally() => Interlocked.Increment(ref _deliveryFailed);
    public void StoreError() => Interlocked.Increment(ref _storeErrors);
    public void IncidentSpooled() => Interlocked.Increment(ref _spooled);
    public void Reloaded() => Interlocked.Increment(ref _reloads);

    private readonly long[] _bySeverity = new long[5];
    private readonly Queue<RecentIncident> _recent = new();

    /// <summary>New incidents of this session by severity (index = (int)Severity).</summary>
    public long IncidentsOf(Core.Events.Severity severity) => Interlocked.Read(ref _bySeverity[(int)severity]);

    /// <summary>
    /// Records an incident for the dashboard's "last incidents" (the last 10 are kept). An update of one already
    /// listed moves it to the top with its new last-seen time, severity and title (a burst that goes on is shown
    /// as going on, not as when it started); only new incidents count in the per-severity totals.
    /// </summary>
    public void Recent(Core.Events.SecurityIncident incident, bool isNew = true)
    {
        if (isNew)
        {
            Interlocked.Increment(ref _bySeverity[(int)incident.Severity]);
            ByRule.AddOrUpdate((incident.Rule.Name, incident.Severity), 1, (_, n) => n + 1);
        }
        var entry = new RecentIncident(incident.LastSeen, incident.Severity, incident.Rule.Name,
            incident.Source?.Ip ?? incident.User?.Name ?? incident.Host?.Hostname ?? "-", incident.Title, incident.Fingerprint);
        lock (_recent)
        {
            var kept = _recent.Where(r => r.Fingerprint != entry.Fingerprint).ToList();
            if (!isNew && kept.Count == _recent.Count) return; // an update of one no longer listed: not news
            _recent.Clear();
            foreach (var r in kept) _recent.Enqueue(r);
            _recent.Enqueue(entry);
            while (_recent.Count > 10) _recent.Dequeue();
        }
    }

    /// <summary>New incidents of this session by rule and severity (for metrics).</summary>
    public ConcurrentDictionary<(string Rule, Core.Events.Severity Severity), long> ByRule { get; } = new();

    public IReadOnlyList<RecentIncident> RecentIncidents() { lock (_recent) return _recent.Reverse().ToList(); }

    /// <summary>The outbox's pending deliveries per channel, as the last heartbeat read them (the store's count, not this session's).</summary>
    public IReadOnlyDictionary<string, long> Pending { get; set; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Deliveries per channel this session: (delivered, failed).</summary>
    public ConcurrentDictionary<string, ChannelStats> Channels { get; } = new(StringComparer.Ordinal);

    /// <summary>Per source: lines read and its state ("ok" or the reason it cannot read).</summary>
    public ConcurrentDictionary<string, SourceStats> Sources { get; } = new(StringComparer.Ordinal);

    /// <summary>Set when fleet.enabled: the fleet counters join the others. [fleet #19]</summary>
    public (FleetStats Stats, Correlation.Fleet.FleetSignalAggregator Aggregator)? Fleet { get; set; }

    public IReadOnlyDictionary<string, long> Counters()
    {
        var counters = BaseCounters();
        if (Fleet is { } fleet) fleet.Stats.AddTo(counters, fleet.Aggregator.Dropped); // [fleet #19]
        return counters;
    }

    private Dictionary<string, long> BaseCounters() => new()
    {
        ["lines"] = Lines,
        ["events"] = Events,
        ["incidents_new"] = IncidentsNew,
        ["incident_updates"] = IncidentUpdates,
        ["deliveries_delivered"] = Delivered,
        ["deliveries_failed"] = DeliveryFailed,
        ["store_errors"] = StoreErrors,
        ["incidents_spooled"] = Spooled,
        ["config_reloads"] = Reloads,
    };
}

internal sealed record RecentIncident(DateTimeOffset LastSeen, Core.Events.Severity Severity, string Rule, string Key, string Title, string Fingerprint = "");

internal sealed class ChannelStats
{
    private long _delivered, _failed, _retried;
    public long Delivered => Interlocked.Read(ref _delivered);
    public long Failed => Interlocked.Read(ref _failed);
    public long Retried => Interlocked.Read(ref _retried);
    public void Record(Alerting.DeliveryStatus status)
    {
        if (status == Alerting.DeliveryStatus.Delivered) Interlocked.Increment(ref _delivered);
        else if (status == Alerting.DeliveryStatus.Failed) Interlocked.Increment(ref _failed);
        else Interlocked.Increment(ref _retried);
    }
}

internal sealed class SourceStats
{
    private long _lines;
    public long Lines => Interlocked.Read(ref _lines);
    public void Line() => Interlocked.Increment(ref _lines);
    public volatile string State = "ok";
    public DateTimeOffset? LastLineAt { get; set; }

    /// <summary>
    /// The state as `blueteam status` shows it: the lines a parser or a rule failed on (<paramref name="errors"/>,
    /// the pipeline's count for this source) said beside an otherwise healthy state.
    /// </summary>
    public string Described(SourceErrors? errors)
    {
        if (errors is null || errors.Total + errors.Truncated == 0) return State;
        var parts = new List<string>(3);
        if (errors.ParseErrors > 0) parts.Add($"{errors.ParseErrors} line(s) skipped: a parser failed on them");
        if (errors.RuleErrors > 0) parts.Add($"{errors.RuleErrors} rule error(s): a rule failed on an event and was skipped for it");
        if (errors.Truncated > 0) parts.Add($"{errors.Truncated} line(s) cut at max_line_bytes");
        return errors.Last is { } last ? $"{State} ({string.Join("; ", parts)}; last: {last.Reason})" : $"{State} ({string.Join("; ", parts)})";
    }

    /// <summary>The contained errors of the current minute against its lines (the pipeline thread only).</summary>
    internal ErrorRate Rate { get; } = new();
}
