namespace BlueTeam.Core.Config;

/// <summary>How the history is protected beyond its hash chain: sealing, and the daemon watching its own store.</summary>
public sealed class StorageOptions : IValidatable
{
    public SealingOptions Sealing { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    /// <summary>
    /// How often the daemon checks its own store for rows removed, a replaced or deleted file, or a rewound
    /// chain (audit_store_tampered); 0 turns the watch off.
    /// </summary>
    public int WatchIntervalSec { get; set; } = 5;
    public TimeSpan WatchInterval => TimeSpan.FromSeconds(WatchIntervalSec);

    public IEnumerable<ConfigProblem> Validate()
    {
        if (WatchIntervalSec is < 0 or > 3600) yield return new("watch_interval_sec", "must be 0 (off) or between 1 and 3600 seconds");
    }
}

/// <summary>
/// Forward-secure sealing of the audit chain (created by <c>blueteam keys init</c>). Without a state file the
/// daemon runs unsealed and says so at start and in <c>status</c>.
/// </summary>
public sealed class SealingOptions : IValidatable
{
    /// <summary>The sealing state (the current epoch's key and the last sealed position); outside the database's folder.</summary>
    public string? StatePath { get; set; }

    /// <summary>How long one key seals before it is replaced by its one-way successor and erased. Read by <c>keys init</c>; the state keeps it after.</summary>
    public int EpochMinutes { get; set; } = 15;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (StatePath is { Length: 0 }) yield return new("state_path", "must not be empty");
        if (EpochMinutes is < 1 or > 1440) yield return new("epoch_minutes", "must be between 1 and 1440 minutes (a day)");
    }

    public string ResolveStatePath() => StatePath ?? DefaultPaths.SealingState();

    /// <summary>
    /// True when the state would sit in the database's folder: whoever can replace the database there could
    /// then replace the state with it, and the anchor would prove nothing.
    /// </summary>
    public static bool IsInsideFolderOf(string statePath, string databasePath)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(databasePath));
        if (string.IsNullOrEmpty(folder)) return false;
        var full = System.IO.Path.GetFullPath(statePath);
        return full.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);
    }
}

/// <summary>
/// How long the history is kept. Off by default (NIST SP 800-171 3.3.1 leaves the period to the organisation, and
/// nothing is thrown away unless someone chose so). A prune is recorded in the chain, so <c>verify</c> still passes
/// and says what went; with the verification key it also checks that nothing younger than the period was pruned.
/// </summary>
public sealed class RetentionOptions : IValidatable
{
    /// <summary>
    /// Incidents whose last change is older than this many days are pruned with their deliveries and the chain entries
    /// about them (never one that still owes a delivery); 0 keeps everything.
    /// </summary>
    public int Days { get; set; }

    /// <summary>How often the daemon prunes (it also prunes ten seconds after it starts). Read only when <see cref="Days"/> is set.</summary>
    public int IntervalHours { get; set; } = 6;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Days is < 0 or > 36_500) yield return new("days", "must be 0 (keep everything) or between 1 and 36500 days");
        if (IntervalHours is < 1 or > 168) yield return new("interval_hours", "must be between 1 and 168 hours (a week)");
    }
}
