namespace BlueTeam.Engine.Daemon;

/// <summary>This daemon's part in fleet correlation, in its heartbeat counters (so `status` shows it) when fleet.enabled.</summary>
internal sealed class FleetStats
{
    private long _published, _publishFailures, _read, _leader, _elections;

    public void Published(int count) => Interlocked.Add(ref _published, count);

    public void PublishFailed() => Interlocked.Increment(ref _publishFailures);

    public void Read(int count) => Interlocked.Add(ref _read, count);

    public void Leads(bool leads)
    {
        if (leads) Interlocked.Increment(ref _elections);
        Interlocked.Exchange(ref _leader, leads ? 1 : 0);
    }

    /// <summary>Counters by name; <paramref name="dropped"/> is the aggregator's count of failures it had no room for.</summary>
    public void AddTo(IDictionary<string, long> counters, long dropped)
    {
        counters["fleet_signals_published"] = Interlocked.Read(ref _published);
        counters["fleet_publish_failures"] = Interlocked.Read(ref _publishFailures);
        counters["fleet_failures_dropped"] = dropped;
        counters["fleet_signals_read"] = Interlocked.Read(ref _read);
        counters["fleet_leader"] = Interlocked.Read(ref _leader);
        counters["fleet_elections_won"] = Interlocked.Read(ref _elections);
    }
}
