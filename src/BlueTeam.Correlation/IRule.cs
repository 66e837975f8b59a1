using BlueTeam.Core.Events;

namespace BlueTeam.Correlation;

/// <summary>
/// A stateful detection evaluated in event time. For each event it returns the incidents that the
/// event opened or updated (same fingerprint = same incident, updated), usually none.
/// </summary>
public interface IRule
{
    RuleDescriptor Descriptor { get; }
    IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent);
}

/// <summary>What a rule is, with its effective options (defaults overridden by the config).</summary>
public sealed record RuleDescriptor
{
    public required string Id { get; init; }
    /// <summary>The rule's name: part of the interface (config keys, CLI, stored rule_name).</summary>
    public required string Name { get; init; }
    public required string Title { get; init; }
    public required Severity Severity { get; init; }
    public required IReadOnlyList<string> NistControls { get; init; }
    public required string Description { get; init; }
    public bool Enabled { get; init; } = true;
    /// <summary>Effective option values, for `rules list`.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
