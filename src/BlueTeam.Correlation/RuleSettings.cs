namespace BlueTeam.Correlation;

/// <summary>
/// A rule's effective options: the rule file's defaults, overridden by <c>correlation.rules.&lt;name&gt;</c>.
/// Each kind reads the ones that concern it (<see cref="Kinds.IRuleKind.Options"/>).
/// </summary>
public sealed record RuleSettings
{
    public bool Enabled { get; init; } = true;
    public Severity Severity { get; init; } = Severity.Medium;
    /// <summary>How many matching events (distinct values, first-step events) make an incident.</summary>
    public int Threshold { get; init; } = 1;
    /// <summary>How close together (in event time) those events must be; an incident is updated while events keep coming within it.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Most group keys with state; past it the least recently seen key is evicted (and counted).</summary>
    public int MaxKeys { get; init; } = DefaultMaxKeys;
    /// <summary>schedule: expected hours ("HH:MM-HH:MM").</summary>
    public IReadOnlyList<string> Hours { get; init; } = [];
    /// <summary>schedule: expected days (mon … sun).</summary>
    public IReadOnlyList<string> Days { get; init; } = [];
    /// <summary>schedule: IANA zone of Hours/Days; null = the host's zone.</summary>
    public string? TimeZone { get; init; }
    /// <summary>absence: default silence allowed, wall-clock.</summary>
    public TimeSpan Silent { get; init; } = TimeSpan.FromHours(1);
    /// <summary>absence: per-source silence allowed, overriding <see cref="Silent"/>.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Collectors { get; init; } = new Dictionary<string, TimeSpan>();
    /// <summary>Extra values for the rule's <c>$groups</c> list.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    public const int DefaultMaxKeys = 100_000;
}

/// <summary>The option keys, as they are spelled in blueteam.yaml and in rule files.</summary>
public static class RuleOptionNames
{
    public const string Enabled = "enabled";
    public const string Severity = "severity";
    public const string Threshold = "threshold";
    public const string WindowSec = "window_sec";
    public const string MaxKeys = "max_keys";
    public const string Hours = "hours";
    public const string Days = "days";
    public const string TimeZone = "time_zone";
    public const string SilentSec = "silent_sec";
    public const string Collectors = "collectors";
    public const string Groups = "groups";
}
