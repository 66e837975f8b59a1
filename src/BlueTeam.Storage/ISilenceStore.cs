namespace BlueTeam.Storage;

/// <summary>
/// Silences (a time window in which matching incidents are stored but not sent) and alert
/// acknowledgements. Storage only: which incidents a silence matches is the alert engine's rule.
/// </summary>
public interface ISilenceStore
{
    /// <summary>Stores a new silence and returns it with its id and creation time.</summary>
    /// <exception cref="ArgumentException">A matcher's label is not one of <see cref="IncidentLabels.Known"/>, there is no condition at all, or the window is empty.</exception>
    Task<Silence> AddSilenceAsync(NewSilence silence, CancellationToken cancellationToken);

    /// <summary>
    /// The silences in force now (started, not ended, not expired) when <paramref name="activeOnly"/>,
    /// otherwise all of them; ordered by id.
    /// </summary>
    Task<IReadOnlyList<Silence>> ListSilencesAsync(bool activeOnly, CancellationToken cancellationToken);

    /// <summary>Ends a silence now (sets expired_at); an expired silence stays listed for the record.</summary>
    Task<SilenceExpiry> ExpireSilenceAsync(long id, CancellationToken cancellationToken);

    /// <summary>
    /// Acknowledges an alert: who, when, a note, and the severity it had then (so an escalation
    /// after the ack can be noticed). A second ack replaces the first. Null when there is no such alert.
    /// </summary>
    Task<AlertTriage?> AckAlertAsync(long alertId, string ackedBy, string? note, CancellationToken cancellationToken);

    /// <summary>Marks an alert as silenced by <paramref name="silenceId"/>. False when there is no such alert.</summary>
    Task<bool> MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken);

    /// <summary>The acknowledgement and silence mark of an alert; null when there is no such alert.</summary>
    Task<AlertTriage?> GetTriageAsync(long alertId, CancellationToken cancellationToken);
}

/// <summary>A silence to create.</summary>
public sealed record NewSilence
{
    /// <summary>The rule's name (or id) it applies to; null for every rule.</summary>
    public string? RuleName { get; init; }
    /// <summary>Conditions that must all hold, on labels from <see cref="IncidentLabels.Known"/>.</summary>
    public IReadOnlyList<LabelMatcher> Matchers { get; init; } = [];
    public required DateTimeOffset StartsAt { get; init; }
    public required DateTimeOffset EndsAt { get; init; }
    public required string CreatedBy { get; init; }
    public required string Reason { get; init; }
}

/// <summary>A stored silence.</summary>
public sealed record Silence
{
    public required long Id { get; init; }
    public string? RuleName { get; init; }
    /// <summary>
    /// Its conditions. A silence stored before matchers had operators (a key → value object) reads as
    /// <c>=</c> matchers, a value ending in '*' as the prefix regex it meant (<c>10.0.*</c> → <c>10\.0\..*</c>).
    /// </summary>
    public required IReadOnlyList<LabelMatcher> Matchers { get; init; }
    /// <summary>Why the stored matchers could not be read; such a silence matches nothing (its incidents are sent).</summary>
    public string? MatchersError { get; init; }
    public required DateTimeOffset StartsAt { get; init; }
    public required DateTimeOffset EndsAt { get; init; }
    public required string CreatedBy { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When someone ended it early; null if never.</summary>
    public DateTimeOffset? ExpiredAt { get; init; }

    public bool IsActiveAt(DateTimeOffset now) => ExpiredAt is null && StartsAt <= now && now < EndsAt;
}

public enum SilenceExpiry
{
    Expired,
    AlreadyExpired,
    NotFound,
}

/// <summary>What people and silences did about an alert.</summary>
public sealed record AlertTriage
{
    public required long AlertId { get; init; }
    public DateTimeOffset? AckedAt { get; init; }
    public string? AckedBy { get; init; }
    public string? AckNote { get; init; }
    /// <summary>The alert's severity when it was acknowledged.</summary>
    public Severity? AckedSeverity { get; init; }
    /// <summary>The silence that matched it, if one did.</summary>
    public long? SilenceId { get; init; }

    public bool IsAcked => AckedAt is not null;
    public bool IsSilenced => SilenceId is not null;
}
