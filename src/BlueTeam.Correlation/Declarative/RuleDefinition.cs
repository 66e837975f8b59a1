using System.Net;

namespace BlueTeam.Correlation.Declarative;

/// <summary>A rule as its YAML file defines it, validated but not yet combined with the config's overrides.</summary>
public sealed record RuleDefinition
{
    /// <summary>"built-in" rules name their resource; others the file path.</summary>
    public required string Origin { get; init; }
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Title { get; init; }
    public required string Description { get; init; }
    public required IReadOnlyList<string> NistControls { get; init; }
    /// <summary>The rule's kind, or "any" for several detections.</summary>
    public required string Kind { get; init; }
    /// <summary>Defaults from the file (enabled, severity, threshold, window_sec, …).</summary>
    public required RuleSettings Defaults { get; init; }
    /// <summary>Option keys <c>correlation.rules.&lt;name&gt;</c> may set (always enabled and severity too).</summary>
    public required IReadOnlySet<string> Options { get; init; }
    public required IReadOnlyList<DetectionDefinition> Detections { get; init; }
    /// <summary>"file:line" of each key written in the file, for errors found once overrides are applied.</summary>
    public IReadOnlyDictionary<string, string> Locations { get; init; } = new Dictionary<string, string>();
}

/// <summary>One detection: a kind with its filter, grouping, wording and any options it fixes for itself.</summary>
public sealed record DetectionDefinition
{
    public required string Kind { get; init; }
    /// <summary>Set only when the rule has several detections.</summary>
    public string? Label { get; init; }
    public required MatchDefinition Match { get; init; }
    /// <summary>What the kind read from its own keys (<see cref="Kinds.IRuleKind.Read"/>): sequence's steps, distinct_count's field, …</summary>
    public object? Parameters { get; init; }
    public required IReadOnlyList<EventField> GroupBy { get; init; }
    /// <summary>The weighted kinds (<see cref="Kinds.IRuleKind.Weighted"/>): fields whose numeric values multiply to how many occurrences one event stands for (each 1 when absent).</summary>
    public IReadOnlyList<EventField> Weight { get; init; } = [];
    public int? Threshold { get; init; }
    public int? WindowSec { get; init; }
    public required string IncidentTitle { get; init; }
    public string? IncidentDescription { get; init; }

    /// <summary>The <see cref="Parameters"/> of a detection its kind has read, as the kind's own type.</summary>
    public T ParametersAs<T>() where T : class =>
        Parameters as T ?? throw new InvalidOperationException($"a {Kind} detection without its {typeof(T).Name}");
}

/// <summary>A filter as written: conditions that all must hold.</summary>
public sealed record MatchDefinition(IReadOnlyList<ConditionDefinition> Conditions)
{
    public static readonly MatchDefinition Empty = new([]);

    /// <summary>The filter, with <c>$groups</c> in lists expanded from the effective settings.</summary>
    public EventFilter Build(RuleSettings settings) => new([.. Conditions.Select(c => c.Build(settings))]);
}

/// <summary>One condition as written: field, operator (equals, in, contains, regex, cidr, exists; not_… negates), values.</summary>
public sealed record ConditionDefinition(EventField Field, string Operator, IReadOnlyList<string> Values, bool IgnoreCase, bool Negate)
{
    public const string GroupsReference = "$groups";

    public FieldCondition Build(RuleSettings settings)
    {
        var values = Values.SelectMany(v => v == GroupsReference ? settings.Groups : [v]).ToList();
        return Operator switch
        {
            "exists" => new FieldCondition(Field, null, exists: Negate ? !ParseBool(values[0]) : ParseBool(values[0])),
            "equals" => new FieldCondition(Field, new EqualsMatcher(values[0], IgnoreCase), Negate),
            "in" => new FieldCondition(Field, new InMatcher(values, IgnoreCase), Negate),
            "contains" => new FieldCondition(Field, values.Count == 1 ? new ContainsMatcher(values[0], IgnoreCase) : new AnyOfMatcher([.. values.Select(v => new ContainsMatcher(v, IgnoreCase))]), Negate),
            "regex" => new FieldCondition(Field, values.Count == 1 ? new RegexMatcher(values[0], IgnoreCase) : new AnyOfMatcher([.. values.Select(v => new RegexMatcher(v, IgnoreCase))]), Negate),
            "cidr" => new FieldCondition(Field, new CidrMatcher(values.Select(v => IPNetwork.Parse(v))), Negate),
            _ => throw new InvalidOperationException($"unknown operator {Operator}"),
        };
    }

    private static bool ParseBool(string v) => v is "true" or "yes" or "on";

    private sealed class AnyOfMatcher(IValueMatcher[] matchers) : IValueMatcher
    {
        public bool Matches(string value) => matchers.Any(m => m.Matches(value));
        public string Describe() => string.Join(" or ", matchers.Select(m => m.Describe()));
    }
}

/// <summary>The severity names accepted in rule files, for messages.</summary>
internal static class RuleSeverity
{
    public static bool TryParse(string? text, out Severity s) => SeverityNames.TryParse(text, out s);
}
