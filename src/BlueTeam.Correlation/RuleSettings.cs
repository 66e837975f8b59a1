using BlueTeam.Core.Events;

namespace BlueTeam.Correlation;

/// <summary>A rule's effective options: its defaults, overridden by <c>correlation.rules.&lt;name&gt;</c>.</summary>
public sealed record RuleSettings
{
    public bool Enabled { get; init; } = true;
    /// <summary>How many matching events make an incident.</summary>
    public int Threshold { get; init; } = 1;
    /// <summary>How close together (in event time) those events must be.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
    public Severity Severity { get; init; } = Severity.Medium;
}

/// <summary>
/// How the catalogue knows a rule: its identity, its defaults, which options it accepts, and how
/// to build it from effective settings and the configured host name.
/// </summary>
public sealed record RuleRegistration
{
    public required string Name { get; init; }
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required IReadOnlyList<string> NistControls { get; init; }
    public required RuleSettings Defaults { get; init; }
    /// <summary>The option keys the rule reads; every rule reads <c>enabled</c> and <c>severity</c>.</summary>
    public required IReadOnlySet<string> Options { get; init; }
    /// <summary>The rule's description for these settings (says the threshold and window it applies).</summary>
    public required Func<RuleSettings, string> Describe { get; init; }
    public required Func<RuleSettings, string, IRule> Create { get; init; }

    /// <summary>The descriptor of a rule built with <paramref name="settings"/>, for <c>rules list</c> and for the rule itself.</summary>
    public RuleDescriptor Descriptor(RuleSettings settings)
    {
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [RuleOptionNames.Enabled] = settings.Enabled ? "true" : "false",
            [RuleOptionNames.Severity] = settings.Severity.ToName(),
        };
        if (Options.Contains(RuleOptionNames.Threshold))
            options[RuleOptionNames.Threshold] = settings.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Options.Contains(RuleOptionNames.WindowSec))
            options[RuleOptionNames.WindowSec] = ((long)settings.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new RuleDescriptor
        {
            Id = Id,
            Name = Name,
            Title = Title,
            Severity = settings.Severity,
            NistControls = NistControls,
            Description = Describe(settings),
            Enabled = settings.Enabled,
            Options = options,
        };
    }
}

/// <summary>The config keys of <see cref="BlueTeam.Core.Config.RuleOptions"/>, as they are spelled in blueteam.yaml.</summary>
public static class RuleOptionNames
{
    public const string Enabled = "enabled";
    public const string Threshold = "threshold";
    public const string WindowSec = "window_sec";
    public const string Severity = "severity";
}
