namespace BlueTeam.Storage;

/// <summary>
/// Per-host liveness, written by each daemon and read by <c>blueteam status</c> and by the fleet
/// rule that raises <c>host_silent</c> when a host stops beating.
/// </summary>
public interface IHeartbeatStore
{
    /// <summary>Inserts or replaces the host's heartbeat (one row per host).</summary>
    Task UpsertHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken);

    /// <summary>Every host's latest heartbeat, ordered by host.</summary>
    Task<IReadOnlyList<Heartbeat>> GetHeartbeatsAsync(CancellationToken cancellationToken);

    /// <summary>Pending deliveries per channel (the outbox backlog), ordered by channel; channels with none are absent.</summary>
    Task<IReadOnlyList<ChannelBacklog>> GetOutboxBacklogAsync(CancellationToken cancellationToken);
}

/// <summary>One daemon's report of itself.</summary>
public sealed record Heartbeat
{
    public required string Host { get; init; }
    /// <summary>The blueteam version the daemon runs.</summary>
    public required string Version { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset LastBeat { get; init; }
    /// <summary>Stored in whole milliseconds.</summary>
    public TimeSpan Uptime { get; init; }
    /// <summary>The daemon's counters (lines read, events, incidents, drops...), by name.</summary>
    public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>();
    /// <summary>Each source's state (e.g. "reading", "missing: permission denied"), by source name.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; init; } = new Dictionary<string, string>();
    /// <summary>Pending deliveries in the outbox when the beat was written.</summary>
    public int OutboxBacklog { get; init; }
}

/// <summary>Pending deliveries of one channel.</summary>
/// <param name="OldestDueAt">The earliest next attempt among them: how long the oldest has been waiting.</param>
public sealed record ChannelBacklog(string Channel, long Pending, DateTimeOffset? OldestDueAt);
