namespace BlueTeam.Alerting;

// What the engine needs from the store to keep noise down. Each is a small interface the store
// implements next to IAlertStore (SQLite and PostgreSQL), so alerting never references storage and
// a store that lacks one still works: the engine then falls back to the behaviour before it.

/// <summary>Why a delivery row was queued.</summary>
public enum NotifyReason
{
    /// <summary>The fingerprint was new.</summary>
    New,
    /// <summary>An open incident's severity rose above what the channel was last sent.</summary>
    SeverityRose,
    /// <summary>An open incident's event count reached the next step (default: doubled) since the last send.</summary>
    CountGrew,
    /// <summary>The incident went on and repeat_interval passed since the channel was last sent it.</summary>
    Repeat,
}

/// <summary>The newest delivery row queued for one (alert, channel), with what it was queued for.</summary>
/// <param name="QueuedAt">When the row was written (wall clock of the writer).</param>
/// <param name="Severity">The alert's severity when the row was queued.</param>
/// <param name="EventCount">The alert's event count when the row was queued.</param>
public sealed record ChannelNotification(string Channel, DateTimeOffset QueuedAt, Severity Severity, int EventCount, DeliveryStatus Status);

/// <summary>
/// Per-channel notification history of an alert, and a way to queue deliveries for an alert that
/// already exists (<see cref="IAlertStore.SaveAlertAsync"/> queues them only for new fingerprints).
/// </summary>
public interface INotificationLog
{
    /// <summary>For each channel that has any delivery row for the alert, its newest row (any status).</summary>
    /// <remarks>Rows written by <see cref="IAlertStore.SaveAlertAsync"/> count too, with the alert's severity and count at insert.</remarks>
    Task<IReadOnlyList<ChannelNotification>> GetLastNotificationsAsync(long alertId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes one pending delivery row per channel for an existing alert (due at once), recording
    /// the reason, <paramref name="severity"/>, <paramref name="eventCount"/> and <paramref name="queuedAt"/>.
    /// </summary>
    Task EnqueueDeliveriesAsync(long alertId, IReadOnlyCollection<string> channels, NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt, CancellationToken cancellationToken);
}

/// <summary>A silence: while active, matching incidents are stored and marked but not delivered.</summary>
/// <remarks>
/// Every condition given must hold: <see cref="RuleName"/>, <see cref="Fingerprint"/>, the route-style
/// <see cref="Labels"/> (values ending in '*' match by prefix) and the amtool-style <see cref="Matchers"/>.
/// A matcher whose regular expression runs out of time makes the silence not apply: the incident is sent.
/// </remarks>
public sealed record Silence
{
    public required long Id { get; init; }
    public required DateTimeOffset StartsAt { get; init; }
    public required DateTimeOffset EndsAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public string Comment { get; init; } = "";
    /// <summary>Exact rule name (<c>rule.name</c>) or rule id (<c>rule.id</c>, e.g. <c>BT-R001</c>), or null for any.</summary>
    public string? RuleName { get; init; }
    /// <summary>Exact fingerprint, or null for any.</summary>
    public string? Fingerprint { get; init; }
    /// <summary>Label (<c>host</c>, <c>source.ip</c>, <c>user.name</c>, <c>nist_control</c>) → value.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Conditions on any of <see cref="IncidentLabels.Known"/> (=, !=, =~, !~, CIDR for addresses).</summary>
    public IReadOnlyList<LabelMatcher> Matchers { get; init; } = [];

    /// <summary>True when active at <paramref name="now"/> and every matcher holds.</summary>
    public bool Matches(SecurityIncident incident, string host, DateTimeOffset now) => Test(incident, host, now) == MatchResult.Holds;

    /// <summary>Whether the silence applies to <paramref name="incident"/> at <paramref name="now"/>, and <see cref="MatchResult.TimedOut"/> when a regex could not say.</summary>
    public MatchResult Test(SecurityIncident incident, string host, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(incident);
        if (now < StartsAt || now >= EndsAt) return MatchResult.DoesNotHold;
        // `blueteam silence add --rule` takes a rule's name or its id, as `alerts list --rule` does.
        if (RuleName is not null && !string.Equals(RuleName, incident.Rule.Name, StringComparison.Ordinal)
            && !string.Equals(RuleName, incident.Rule.Id, StringComparison.Ordinal)) return MatchResult.DoesNotHold;
        if (Fingerprint is not null && !string.Equals(Fingerprint, incident.Fingerprint, StringComparison.Ordinal)) return MatchResult.DoesNotHold;
        foreach (var (label, pattern) in Labels)
            if (!AlertRouter.LabelValues(incident, host, label).Any(v => AlertRouter.Glob(pattern, v))) return MatchResult.DoesNotHold;
        foreach (var matcher in Matchers)
            if (matcher.Test(incident, host) is var result && result != MatchResult.Holds) return result;
        // A silence with no matcher at all would mute everything; the store refuses to create one,
        // and this refuses to honour one.
        return RuleName is not null || Fingerprint is not null || Labels.Count > 0 || Matchers.Count > 0 ? MatchResult.Holds : MatchResult.DoesNotHold;
    }
}

/// <summary>Silences kept by the store.</summary>
public interface ISilenceSource
{
    /// <summary>Silences whose time range contains <paramref name="now"/>.</summary>
    Task<IReadOnlyList<Silence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Marks the stored alert as silenced by that silence (shown in history and audit).</summary>
    Task MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken);
}

/// <summary>An acknowledgement: someone owns the alert; it is not re-notified unless its severity rises.</summary>
/// <param name="SeverityAtAck">The alert's severity when it was acknowledged.</param>
public sealed record AlertAck(long AlertId, string By, DateTimeOffset At, Severity SeverityAtAck);

/// <summary>Acknowledgements kept by the store.</summary>
public interface IAckSource
{
    /// <summary>The alert's acknowledgement, or null when nobody acknowledged it.</summary>
    Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken);
}

/// <summary>What silences and acknowledgements look like now: two tokens that change when they change.</summary>
/// <param name="Silences">Changes when a silence is added, expired or deleted, by any process.</param>
/// <param name="Acks">Changes when an alert is acknowledged, by any process.</param>
public readonly record struct NoiseControlVersion(string Silences, string Acks);

/// <summary>
/// What lets a reader keep silences and acknowledgements in memory (<see cref="NoiseControlCache"/>): a cheap
/// question whether they changed, and the silences that can still apply.
/// </summary>
public interface INoiseControlChanges
{
    /// <summary>The current tokens; one short read, whatever the number of alerts.</summary>
    Task<NoiseControlVersion> GetNoiseControlVersionAsync(CancellationToken cancellationToken);

    /// <summary>Silences not ended (nor expired) at <paramref name="now"/>, those that start later included.</summary>
    Task<IReadOnlyList<Silence>> GetSilencesNotEndedAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
