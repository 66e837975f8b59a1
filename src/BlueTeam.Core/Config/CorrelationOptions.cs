using BlueTeam.Core.Events;

namespace BlueTeam.Core.Config;

// Correlation stage options (correlation.*).

public sealed class CorrelationOptions
{
    /// <summary>Per-rule overrides, keyed by rule name. Names and options are checked against the rule catalogue at start.</summary>
    public Dictionary<string, RuleOptions> Rules { get; set; } = [];
}

/// <summary>Options every rule understands; a rule rejects the ones that do not apply to it.</summary>
public sealed class RuleOptions : IValidatable
{
    public bool? Enabled { get; set; }
    public int? Threshold { get; set; }
    public int? WindowSec { get; set; }
    public Severity? Severity { get; set; }

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Threshold is < 1) yield return new("threshold", "must be at least 1");
        if (WindowSec is < 1 or > 7 * 86400) yield return new("window_sec", "must be between 1 second and 7 days");
    }
}
