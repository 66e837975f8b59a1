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

    /// <summary>Pending deliveries per host of the alert and channel, ordered by host then channel; pairs with none are absent.</summary>
    Task<IReadOnlyList<HostChannelBacklog>> GetOutboxBacklogByHostAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims the hosts whose last beat is older than <paramref name="silentBefore"/> and that no
    /// daemon has claimed for that beat yet, and returns them: the caller raises <c>host_silent</c>
    /// for exactly these. Every daemon sharing the database may call this each cycle; each silence
    /// episode (a host and its last beat) is returned to exactly one caller, once. A host that beats
    /// again and falls silent later is a new episode.
    /// </summary>
    /// <param name="silentBefore">Beats older than this (strictly) count as silent.</param>
    /// <param name="claimedBy">The claiming daemon's host name, kept with the claim for the record.</param>
    /// <param name="excludeHost">A host never to claim (the caller's own); null for none.</param>
    /// <remarks>Claims of episodes that ended (the host beat again since) are deleted in the same transaction.</remarks>
    Task<IReadOnlyList<SilentHost>> ClaimSilentHostsAsync(DateTimeOffset silentBefore, string claimedBy, string? excludeHost, CancellationToken cancellationToken);
}

/// <summary>Pending deliveries of one channel for the alerts of one host.</summary>
/// <param name="OldestDueAt">The earliest next attempt among them.</param>
public sealed record HostChannelBacklog(string Host, string Channel, long Pending, DateTimeOffset? OldestDueAt);

/// <summary>A host that stopped beating, claimed by this caller.</summary>
/// <param name="LastBeat">Its last heartbeat: the episode's key.</param>
/// <param name="Version">The blueteam version it last reported.</param>
public sealed record SilentHost(string Host, DateTimeOffset LastBeat, string Version);

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
