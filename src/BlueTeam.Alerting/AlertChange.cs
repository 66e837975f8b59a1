namespace BlueTeam.Alerting;

/// <summary>
/// Why a channel is sent an alert it was sent before, and what that channel's reader saw last time: so an
/// update says what changed ("severity high → critical; 5 → 40 events") instead of repeating the whole alert
/// for the reader to compare by memory.
/// </summary>
/// <param name="Reason">Why this delivery was queued.</param>
/// <param name="PreviousSeverity">The alert's severity when this channel last delivered it; null when it never did.</param>
/// <param name="PreviousEventCount">The alert's event count then.</param>
/// <param name="PreviousAt">When that earlier notice was queued.</param>
public sealed record AlertChange(NotifyReason Reason, Severity? PreviousSeverity, int? PreviousEventCount, DateTimeOffset? PreviousAt)
{
    /// <summary>One line, numbers and fixed words only (no attacker text): safe for a mail subject or a syslog line.</summary>
    public string Describe(SecurityIncident now)
    {
        ArgumentNullException.ThrowIfNull(now);
        var parts = new List<string>(3);
        if (PreviousSeverity is { } before && before != now.Severity) parts.Add($"severity {before.ToName()} → {now.Severity.ToName()}");
        if (PreviousEventCount is { } count && count != now.EventCount)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{count} → {now.EventCount} events"));
        if (parts.Count == 0)
            parts.Add(Reason == NotifyReason.Repeat
                ? string.Create(CultureInfo.InvariantCulture, $"still active, {now.EventCount} events")
                : string.Create(CultureInfo.InvariantCulture, $"{now.EventCount} events"));
        if (PreviousAt is { } at)
            parts.Add("since the notice of " + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture));
        return "update: " + string.Join("; ", parts);
    }

    /// <summary>The change as delivery rows record it: null for a first notice (nothing to compare with).</summary>
    public static AlertChange? For(NotifyReason reason, Severity? previousSeverity, int? previousEventCount, DateTimeOffset? previousAt) =>
        reason == NotifyReason.New ? null : new AlertChange(reason, previousSeverity, previousEventCount, previousAt);
}

/// <summary>A <see cref="NotifyReason"/> as delivery rows store it and the alert JSON shows it.</summary>
public static class NotifyReasonNames
{
    public static string Name(NotifyReason reason) => reason switch
    {
        NotifyReason.New => "new",
        NotifyReason.SeverityRose => "severity_rose",
        NotifyReason.CountGrew => "count_grew",
        NotifyReason.Repeat => "repeat",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "unknown notify reason"),
    };

    /// <exception cref="FormatException">Not one of the names.</exception>
    public static NotifyReason Parse(string text) => text switch
    {
        "new" => NotifyReason.New,
        "severity_rose" => NotifyReason.SeverityRose,
        "count_grew" => NotifyReason.CountGrew,
        "repeat" => NotifyReason.Repeat,
        _ => throw new FormatException($"'{text}' is not a notify reason (new, severity_rose, count_grew, repeat)"),
    };
}
