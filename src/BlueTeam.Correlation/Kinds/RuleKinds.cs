namespace BlueTeam.Correlation.Kinds;

/// <summary>Every rule kind blueteam can build: adding a kind is its file plus one line here.</summary>
public static class RuleKinds
{
    /// <summary>The kinds, in the order error messages list them.</summary>
    public static IReadOnlyList<IRuleKind> All { get; } =
    [
        new ThresholdRuleKind(),
        new DistinctCountRuleKind(),
        new SequenceRuleKind(),
        new FirstSeenRuleKind(),
        new ScheduleRuleKind(),
        new AbsenceRuleKind(),
        new SteadyRateRuleKind(),
        new LargeValueRuleKind(),
    ];

    /// <summary>The registered kind named <paramref name="name"/>, or null.</summary>
    public static IRuleKind? Find(string name)
    {
        foreach (var kind in All)
            if (kind.Name == name) return kind;
        return null;
    }

    /// <summary>The kind of <paramref name="name"/>; for names the parser has already accepted.</summary>
    internal static IRuleKind Of(string name) => Find(name) ?? throw new InvalidOperationException($"unknown kind {name}");

    /// <summary>The kinds' names for messages: <c>threshold, distinct_count, …</c>.</summary>
    public static string Names => string.Join(", ", All.Select(k => k.Name));
}
