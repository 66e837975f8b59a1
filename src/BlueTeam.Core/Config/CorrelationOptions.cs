namespace BlueTeam.Core.Config;

// Correlation stage options (correlation.*).

public sealed class CorrelationOptions
{
    /// <summary>Per-rule overrides, keyed by rule name. Names and options are checked against the rule catalogue at start.</summary>
    public Dictionary<string, RuleOptions> Rules { get; set; } = [];

    /// <summary>
    /// A directory of declarative rule files (*.yaml, *.yml) loaded beside the built-in rules; unset = built-in rules only.
    /// Every file is validated at start: a bad file refuses the config.
    /// </summary>
    public string? RulesDir { get; set; }
}

/// <summary>
/// Options a rule may understand. Every rule reads <c>enabled</c> and <c>severity</c>; the others
/// belong to rule kinds, and a rule rejects at start any option its kind does not read.
/// </summary>
public sealed class RuleOptions : IValidatable
{
    public bool? Enabled { get; set; }
    public Severity? Severity { get; set; }
    /// <summary>For the counting kinds (threshold, distinct_count, sequence, schedule, steady, …: each kind names the options it reads in its IRuleKind): how many events (or distinct values, or first-step events) make an incident.</summary>
    public int? Threshold { get; set; }
    /// <summary>How close together, in event time, the events must be; also how long one incident keeps being updated.</summary>
    public int? WindowSec { get; set; }
    /// <summary>Most group keys the rule keeps state for; past it the least recently seen key is evicted.</summary>
    public int? MaxKeys { get; set; }
    /// <summary>schedule: the expected hours, as "HH:MM-HH:MM" ranges in <see cref="TimeZone"/> (an end before the start wraps midnight).</summary>
    public List<string>? Hours { get; set; }
    /// <summary>schedule: the expected days (mon, tue, wed, thu, fri, sat, sun).</summary>
    public List<string>? Days { get; set; }
    /// <summary>schedule: IANA time zone of <see cref="Hours"/> and <see cref="Days"/>; the host's zone when unset.</summary>
    public string? TimeZone { get; set; }
    /// <summary>absence: how long a source may stay silent (wall-clock seconds) before it is reported.</summary>
    public int? SilentSec { get; set; }
    /// <summary>absence: per-source silence thresholds in seconds, keyed by collector name, overriding <see cref="SilentSec"/>.</summary>
    public Dictionary<string, int>? Collectors { get; set; }
    /// <summary>Extra values a rule adds to its built-in list (privileged_group_change: more privileged groups).</summary>
    public List<string>? Groups { get; set; }

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Threshold is < 1) yield return new("threshold", "must be at least 1");
        if (WindowSec is < 1 or > 7 * 86400) yield return new("window_sec", "must be between 1 second and 7 days");
        if (MaxKeys is < 1 or > 10_000_000) yield return new("max_keys", "must be between 1 and 10000000");
        if (SilentSec is < 1 or > 30 * 86400) yield return new("silent_sec", "must be between 1 second and 30 days");
        if (Collectors is not null)
            foreach (var (name, seconds) in Collectors)
                if (seconds is < 1 or > 30 * 86400) yield return new($"collectors.{name}", "must be between 1 second and 30 days");
    }
}
